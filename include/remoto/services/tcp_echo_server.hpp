// The TCP echo server (`remoto tcp echo`): sends every byte back, under either connection
// model. Reads up to 64 KiB at a time and writes each read back in one call, for throughput.
#pragma once

#include <chrono>
#include <cstdint>

#include "remoto/net/server_options.hpp"
#include "remoto/net/tcp_server.hpp"

namespace remoto::services {

/// The echo server's default idle timeout: longer than an HTTP server's, since people type
/// into it (`remoto tcp connect`).
inline constexpr std::chrono::milliseconds echo_idle_timeout{300'000};

/// Resource type. start() and stop() from one controlling thread.
class TcpEchoServer {
 public:
  explicit TcpEchoServer(net::ServerOptions options);
  std::uint16_t start() { return server_.start(); }
  void stop() { server_.stop(); }
  std::uint16_t port() const noexcept { return server_.port(); }

 private:
  net::TcpServer server_;
};

}  // namespace remoto::services
