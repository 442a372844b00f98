// The command-line flags shared by the TCP servers (`remoto hello`, `remoto tcp echo`), so
// they spell them alike: -H, -p, --model, --backend, --threads, --max-clients, --idle-timeout.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>

#include "remoto/net/server_options.hpp"

namespace remoto::cli {

/// Adds the flags to `app`, writing into `options` when parsed. `options` must outlive the
/// parse; its current values are the defaults shown in --help.
inline void add_server_flags(CLI::App& app, net::ServerOptions& options) {
  app.add_option("-H,--host", options.host, "address or name to listen on")->capture_default_str();
  app.add_option("-p,--port", options.port, "port to listen on (0: any free port)")
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--model",
         [&options](const std::string& name) {
           options.model = *net::parse_connection_model(name);  // checked below
         },
         "connection model: thread (one thread per client) or event (an event loop per I/O thread)")
      ->check(CLI::IsMember({"thread", "event"}))
      ->default_str(std::string(net::to_string(options.model)));
  app.add_option_function<std::string>(
         "--backend",
         [&options](const std::string& name) {
           options.backend = *net::parse_event_backend(name);  // checked below
         },
         "event model: io_uring, Asio (epoll), or auto (io_uring where the kernel has it)")
      ->check(CLI::IsMember({"auto", "uring", "asio"}))
      ->default_str(std::string(net::to_string(options.backend)));
  app.add_option("--threads", options.threads,
                 "event model: I/O threads (0: one per hardware thread)")
      ->capture_default_str();
  app.add_option("--max-clients", options.max_clients,
                 "thread model: clients served at once; more are turned away")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  auto ms = options.idle_timeout.count();
  app.add_option_function<double>(
         "--idle-timeout",
         [&options](double seconds) {
           options.idle_timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
         },
         "seconds a client may stay silent or send half a message (0: no limit)")
      ->check(CLI::Range(0.0, 1e6))
      ->default_str(ms % 1000 == 0 ? std::to_string(ms / 1000) : std::to_string(ms / 1000.0));
}

}  // namespace remoto::cli
