// The HTTP hello server (`remoto hello`): HelloSession under either connection model.
#pragma once

#include <cstdint>

#include "remoto/net/server_options.hpp"
#include "remoto/net/tcp_server.hpp"

namespace remoto::services {

/// Resource type. start() and stop() from one controlling thread.
class HelloServer {
 public:
  explicit HelloServer(net::ServerOptions options);
  /// Binds and returns the bound port (see net::TcpServer::start).
  std::uint16_t start() { return server_.start(); }
  /// Closes the listeners and all connections, joins the threads. Idempotent.
  void stop() { server_.stop(); }
  std::uint16_t port() const noexcept { return server_.port(); }

 private:
  net::TcpServer server_;
};

}  // namespace remoto::services
