// The event model's io_uring driver: one ring per I/O thread, each with its own SO_REUSEPORT
// listener, running a StreamSession per connection. Where the Asio driver makes one system
// call per recv and per send, a thread here makes one io_uring_enter per round of the loop,
// for every connection that was served in it: a multishot accept, a multishot recv per
// connection into a ring of provided buffers (armed once for the connection's life), and the
// round's replies sent from one shared buffer. Used when the kernel has what it needs
// (uring_supported()); the Asio driver (event_server.hpp) otherwise.
// Detail header: no io_uring or Asio types, so anything may include it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "remoto/net/server_options.hpp"
#include "remoto/net/stream_session.hpp"

namespace remoto::net::detail {

/// Whether this kernel runs the driver: rings with a single issuer and deferred task work,
/// provided buffer rings and multishot recv (Linux 6.1; Debian 12's kernel has them). Probed
/// once, with a real multishot recv on a socket pair; false also where io_uring is disabled
/// (sysctl kernel.io_uring_disabled, a seccomp filter in a container).
bool uring_supported() noexcept;

/// Resource type. start() and stop() from one controlling thread.
class UringServer {
 public:
  /// `factory` must outlive the server.
  UringServer(ServerOptions options, const SessionFactory& factory);
  ~UringServer();
  UringServer(const UringServer&) = delete;
  UringServer& operator=(const UringServer&) = delete;

  /// Binds one listener per I/O thread, starts the threads, returns the bound port. Throws
  /// CommunicationError (binding) or std::system_error (a ring).
  std::uint16_t start();
  /// Stops the threads and closes every connection (the clients see the close) without
  /// waiting for them. Idempotent.
  void stop();
  std::uint16_t port() const noexcept { return port_.load(std::memory_order_relaxed); }

  class Worker;  // one I/O thread (uring_server.cpp)

 private:
  ServerOptions options_;
  const SessionFactory& factory_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::uint16_t> port_{0};
};

}  // namespace remoto::net::detail
