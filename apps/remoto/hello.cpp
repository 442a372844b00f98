// `remoto hello`: the HTTP server that answers every GET with "Hello, cliente!".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli.hpp"
#include "remoto/services/hello_server.hpp"
#include "server_flags.hpp"

namespace remoto::cli {

int hello_main(const Args& args) {
  CLI::App app("HTTP server answering every GET with 200 OK and \"Hello, cliente!\".",
               "remoto hello");
  net::ServerOptions options;
  add_server_flags(app, options);
  if (auto code = parse(app, args)) return *code;

  StopSignals signals;
  try {
    services::HelloServer server(options);
    print_listening(options.host, server.start());
    signals.wait();
    server.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "remoto hello: %s\n", e.what());
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace remoto::cli
