// `remoto tcp`: `tcp echo`, the TCP echo server, and `tcp connect`, a netcat-like client.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "cli.hpp"
#include "remoto/services/tcp_echo_server.hpp"
#include "remoto/services/tcp_pipe.hpp"
#include "server_flags.hpp"

namespace remoto::cli {

int tcp_main(const Args& args) {
  CLI::App app("TCP echo server and netcat-like client.", "remoto tcp");
  app.require_subcommand(1);

  net::ServerOptions options;
  options.idle_timeout = services::echo_idle_timeout;
  CLI::App* echo = app.add_subcommand("echo", "echo every byte back to its sender");
  add_server_flags(*echo, options);

  std::string host;
  std::uint16_t port = 0;
  CLI::App* connect = app.add_subcommand(
      "connect", "send stdin to HOST:PORT and print what comes back, until the server closes");
  connect->add_option("HOST", host, "host name or address")->required();
  connect->add_option("PORT", port, "port")->required();

  if (auto code = parse(app, args)) return *code;

  if (connect->parsed()) {
    try {
      services::pipe_tcp(host, port);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "remoto tcp connect: %s\n", e.what());
      return exit_failure;
    }
    return exit_ok;
  }

  StopSignals signals;
  try {
    services::TcpEchoServer server(options);
    print_listening(options.host, server.start());
    signals.wait();
    server.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "remoto tcp echo: %s\n", e.what());
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace remoto::cli
