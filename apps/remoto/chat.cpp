// `remoto chat`: the line-based chat of the course (protocol in services/chat_protocol.hpp).
//   remoto chat serve [-H HOST] [-p PORT]     run the server
//   remoto chat join HOST PORT NICK           join: stdin lines go out, the server's lines
//                                             come out on stdout; end of stdin sends /quit
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "remoto/errors.hpp"
#include "remoto/services/chat_client.hpp"
#include "remoto/services/chat_protocol.hpp"
#include "remoto/services/chat_server.hpp"

namespace remoto::cli {

namespace {

int run_serve(const services::ChatServer::Options& options) {
  StopSignals signals;  // first, so the I/O thread inherits the blocked signals
  services::ChatServer server(options);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "remoto chat serve: %s\n", e.what());
    return exit_failure;
  }
  print_listening(server.host(), server.port());
  signals.wait();
  server.stop();
  return exit_ok;
}

int run_join(const services::ChatClientOptions& options) {
  try {
    auto end = services::run_chat_client(options, STDIN_FILENO, STDOUT_FILENO);
    if (end == services::ChatClientEnd::refused) {
      std::fprintf(stderr, "remoto chat join: the server refused us (see its error above)\n");
      return exit_failure;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "remoto chat join: %s\n", e.what());
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace

int chat_main(const Args& args) {
  CLI::App app("line-based chat server and client", "remoto chat");
  app.require_subcommand(1);

  services::ChatServer::Options serve;
  auto* serve_cmd = app.add_subcommand("serve", "run a chat server");
  serve_cmd->add_option("-H,--host", serve.host, "address to bind")->capture_default_str();
  serve_cmd->add_option("-p,--port", serve.port, "port to bind (0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--max-clients", serve.max_clients, "connections at once")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  serve_cmd
      ->add_option("--max-queue", serve.max_queue_bytes,
                   "bytes queued for one client before it is dropped as too slow")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30))
      ->capture_default_str();

  services::ChatClientOptions join;
  auto* join_cmd =
      app.add_subcommand("join", "join a chat: stdin to the server, its lines to stdout");
  join_cmd->add_option("HOST", join.host, "server host name or address")->required();
  join_cmd->add_option("PORT", join.port, "server port")->required()->check(CLI::Range(1, 65535));
  join_cmd->add_option("NICK", join.nick, "your nick: 1-32 letters, digits, '_', '-' or '.'")
      ->required()
      ->check(
          [](const std::string& nick) {
            return services::check_nick(nick).value_or(std::string());
          },
          "NICK");

  if (auto code = parse(app, args)) return *code;
  if (join_cmd->parsed()) return run_join(join);
  return run_serve(serve);
}

}  // namespace remoto::cli
