// remoto: client-server programming over sockets, from the bare socket to remote objects.
// main() only picks the subcommand; each one lives in its own file (see cli.hpp).
#include <cstdio>
#include <cstring>
#include <string_view>

#include "cli.hpp"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(const remoto::cli::Args&);
  const char* summary;
};

constexpr Subcommand subcommands[] = {
    {"serve", remoto::cli::serve_main, "start a whole node on localhost and print what to try"},
    {"resolve", remoto::cli::resolve_main, "look up host names and addresses (InetAddress)"},
    {"hello", remoto::cli::hello_main, "HTTP server answering every GET with Hello, cliente!"},
    {"tcp", remoto::cli::tcp_main, "TCP echo server and netcat-like client"},
    {"udp", remoto::cli::udp_main, "UDP echo server and sender"},
    {"chat", remoto::cli::chat_main, "line-based chat server and client"},
    {"convert", remoto::cli::convert_main, "convert one value between Pyro4 serializers"},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: remoto <subcommand> [options]   (remoto <subcommand> --help)\n\n");
  for (const auto& s : subcommands) std::fprintf(out, "  %-9s %s\n", s.name, s.summary);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return remoto::cli::exit_usage;
  }
  std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    usage(stdout);
    return remoto::cli::exit_ok;
  }
  for (const auto& s : subcommands) {
    if (name == s.name) return s.run(remoto::cli::Args(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "remoto: unknown subcommand '%s'\n\n", argv[1]);
  usage(stderr);
  return remoto::cli::exit_usage;
}
