// `remoto udp`: the UDP lessons on the command line.
//   remoto udp echo [-H HOST] [-p PORT] [-t THREADS]   echo every datagram back to its sender
//   remoto udp send HOST PORT MESSAGE [--count N] [--timeout S]
//                                                      send MESSAGE N times, print each reply
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "remoto/errors.hpp"
#include "remoto/net/udp_socket.hpp"
#include "remoto/services/udp_echo_server.hpp"

namespace remoto::cli {

namespace {

int run_echo(const services::UdpEchoServer::Options& options) {
  StopSignals signals;  // first, so the I/O threads inherit the blocked signals
  services::UdpEchoServer server(options);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "remoto udp echo: %s\n", e.what());
    return exit_failure;
  }
  print_listening(server.host(), server.port());
  signals.wait();
  server.stop();
  return exit_ok;
}

int run_send(const std::string& host, std::uint16_t port, const std::string& message,
             unsigned count, double timeout_seconds) {
  auto timeout = std::chrono::milliseconds(std::llround(timeout_seconds * 1000));
  try {
    auto socket = net::UdpSocket::connect(host, port);
    std::vector<std::byte> reply(net::max_udp_payload + 1);
    for (unsigned i = 0; i < count; ++i) {
      socket.send(message);
      auto size = socket.receive(reply, timeout);
      if (!size) {
        std::fprintf(stderr, "remoto udp send: no reply from %s within %g s\n",
                     socket.remote_endpoint().to_string().c_str(), timeout_seconds);
        return exit_failure;
      }
      std::fwrite(reply.data(), 1, std::min(*size, reply.size()), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
  } catch (const CommunicationError& e) {
    std::fprintf(stderr, "remoto udp send: %s\n", e.what());
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace

int udp_main(const Args& args) {
  CLI::App app("UDP echo server and sender", "remoto udp");
  app.require_subcommand(1);

  services::UdpEchoServer::Options echo;
  auto* echo_cmd = app.add_subcommand("echo", "send every datagram back to its sender");
  echo_cmd->add_option("-H,--host", echo.host, "address to bind")->capture_default_str();
  echo_cmd->add_option("-p,--port", echo.port, "port to bind (0: any free port)")
      ->capture_default_str();
  echo_cmd
      ->add_option("-t,--threads", echo.threads,
                   "sockets sharing the port (SO_REUSEPORT), one I/O thread each")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();

  std::string host;
  std::uint16_t port = 0;
  std::string message;
  unsigned count = 1;
  double timeout = 2.0;
  auto* send_cmd = app.add_subcommand("send", "send a datagram and print each reply");
  send_cmd->add_option("HOST", host, "server host name or address")->required();
  send_cmd->add_option("PORT", port, "server port")->required()->check(CLI::Range(1, 65535));
  send_cmd->add_option("MESSAGE", message, "datagram to send (may be empty)")->required();
  send_cmd->add_option("-n,--count", count, "how many times to send it")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  send_cmd->add_option("--timeout", timeout, "seconds to wait for each reply")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();

  if (auto code = parse(app, args)) return *code;
  if (send_cmd->parsed()) {
    if (message.size() > net::max_udp_payload) {
      std::fprintf(stderr, "remoto udp send: MESSAGE is %zu bytes; a datagram holds at most %zu\n",
                   message.size(), net::max_udp_payload);
      return exit_usage;
    }
    return run_send(host, port, message, count, timeout);
  }
  return run_echo(echo);
}

}  // namespace remoto::cli
