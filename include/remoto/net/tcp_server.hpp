// A TCP server that runs one StreamSession per connection under either connection model
// (server_options.hpp). It is the machinery under the HTTP hello and TCP echo services: they
// only supply the session.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "remoto/net/server_options.hpp"
#include "remoto/net/stream_session.hpp"

namespace remoto::net {

/// Resource type. start() and stop() are called from one controlling thread; port() from any.
class TcpServer {
 public:
  /// `busy_reply`: what the thread model sends to a client over max_clients before closing
  /// it (may be empty).
  TcpServer(ServerOptions options, SessionFactory factory, std::string busy_reply = {});
  /// Stops the server if it runs.
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  /// Binds, starts the threads and returns the bound port. Throws CommunicationError
  /// ("listen 127.0.0.1:80: Permission denied") or UnknownHostError.
  std::uint16_t start();
  /// Closes the listeners and every live connection and joins all threads. Returns promptly
  /// even with clients connected. Idempotent.
  void stop();
  /// The bound port; 0 before start().
  std::uint16_t port() const noexcept;
  const ServerOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace remoto::net
