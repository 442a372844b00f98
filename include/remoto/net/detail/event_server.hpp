// The event-driven connection model: one io_context per I/O thread, each with its own
// acceptor on the shared port (SO_REUSEPORT); each connection is served on the thread that
// accepted it and never moves, so its state is touched by one thread only and needs no locks.
// Idle deadlines are kept by one periodic sweep per thread instead of a timer per read.
// Detail header: it exposes Asio, include it only from .cpp files.
// Generic: the handler serves a socket its own way: with a coroutine, with completion
// handlers, or with plain non-blocking calls whenever the thread's parking lot finds it
// readable (AcceptedSocket::park; TcpServer parks connections between requests, the cheapest
// way to hold an idle one).
#pragma once

// A standard header before Asio's: Asio 1.22 decides between aligned_alloc and operator new
// for its recycled memory from a libstdc++ macro, which it only sees if one was included
// first. A file that starts with Asio would otherwise allocate with one and free with the
// other (AddressSanitizer: alloc-dealloc-mismatch).
#include <cstddef>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "remoto/net/server_options.hpp"

namespace remoto::net::detail {

class EventWorker;
class AcceptedSocket;

/// A connection waiting in its I/O thread's parking lot (see AcceptedSocket::park). Called on
/// that thread only.
class ParkedConnection {
 public:
  enum class Verdict {
    stay,   ///< served what was there; keep waiting (the idle deadline restarts)
    close,  ///< close the connection
    take,   ///< leave the lot: take() gets the descriptor
  };
  virtual ~ParkedConnection() = default;
  /// The descriptor is readable (data, EOF or an error). Serve it with non-blocking calls.
  virtual Verdict readable(int fd) = 0;
  /// After Verdict::take: the connection goes on as `accepted`, outside the lot, which deletes
  /// this object when take() returns.
  virtual void take(AcceptedSocket accepted) = 0;
};

/// A connection just accepted (non-blocking, close-on-exec), on its way to the handler. It is
/// still a bare descriptor, unknown to Asio: a handler that can serve the connection with a
/// few non-blocking calls and close it never pays for registering it with the reactor. To
/// wait on it, the handler makes a ConnectionSlot of it (in its coroutine frame, or in the
/// connection object its completion handlers own). Move-only; closes the descriptor unless a
/// slot took it.
class AcceptedSocket {
 public:
  AcceptedSocket(EventWorker* worker, int fd) noexcept : worker_(worker), fd_(fd) {}
  AcceptedSocket(AcceptedSocket&& other) noexcept
      : worker_(other.worker_), fd_(std::exchange(other.fd_, -1)) {}
  AcceptedSocket& operator=(AcceptedSocket&&) = delete;
  ~AcceptedSocket();

  int native_handle() const noexcept { return fd_; }

  /// Hands the connection to its I/O thread's parking lot: a level-triggered epoll set of the
  /// thread's own, which calls `connection`'s readable() whenever the peer sends, and closes
  /// the connection when the server's idle timeout passes without any. A parked connection
  /// costs `connection` and 16 bytes, where one waiting through Asio costs its per-descriptor
  /// state and a pending operation besides (about 300 bytes), and a request costs no re-arming
  /// system call. For connections that are served with a few non-blocking calls per request
  /// and need nothing in between (no partial writes, no unfinished messages). If the set
  /// refuses the descriptor, the connection is closed.
  void park(std::unique_ptr<ParkedConnection> connection) &&;

 private:
  friend class ConnectionSlot;
  EventWorker* worker_;
  int fd_;
};

/// One live connection of an EventServer: its socket and its idle deadline. Lives in the
/// connection's coroutine frame or connection object, linked into its thread's list so the
/// sweep can find it, and the sweep closes the socket when the deadline passes (pending
/// operations then fail with operation_aborted). Thread safety: only on the connection's own
/// I/O thread.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(AcceptedSocket accepted) noexcept;
  ~ConnectionSlot();
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

  /// Bound to its io_context's executor type rather than the type-erased any_io_executor:
  /// 48 bytes less in the socket and in every operation pending on it (an idle connection
  /// keeps one).
  using Socket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

  Socket& socket() noexcept { return socket_; }
  /// The deadline is now + the server's idle timeout (none if that is zero).
  void arm() noexcept;
  /// The deadline is now + `timeout` (at least one sweep tick away).
  void arm(std::chrono::milliseconds timeout) noexcept;

 private:
  friend class EventWorker;
  EventWorker& worker_;
  Socket socket_;
  ConnectionSlot* prev_ = nullptr;  // intrusive list of the worker's live connections
  ConnectionSlot* next_ = nullptr;
  std::uint64_t deadline_ = 0;  // in sweep ticks; 0: none
};

/// Runs `handler` for every accepted connection (Nagle left on: a handler that answers in one
/// write per request gains nothing from TCP_NODELAY until a connection's second reply). The
/// handler makes a ConnectionSlot of what it gets, which then owns the socket; when the
/// handler returns, the socket closes:
///     [](AcceptedSocket accepted) -> asio::awaitable<void> {
///       ConnectionSlot slot(std::move(accepted));
///       ... co_await slot.socket().async_read_some(...) ...
///     }
/// A handler that is not a coroutine itself returns an empty awaitable (nothing is spawned):
/// it finishes the connection at once with non-blocking calls on native_handle(), or hands a
/// ConnectionSlot to completion handlers that own it (see EventConnection in tcp_server.cpp).
/// Resource type. start() and stop() from one controlling thread.
class EventServer {
 public:
  using Handler = std::function<asio::awaitable<void>(AcceptedSocket)>;

  EventServer(ServerOptions options, Handler handler);
  ~EventServer();
  EventServer(const EventServer&) = delete;
  EventServer& operator=(const EventServer&) = delete;

  /// Binds one acceptor per I/O thread, starts the threads, returns the bound port.
  std::uint16_t start();
  /// Stops the I/O threads, joins them, and destroys every connection (closing its socket)
  /// without waiting for clients. Idempotent.
  void stop();
  std::uint16_t port() const noexcept { return port_.load(std::memory_order_relaxed); }
  const ServerOptions& options() const noexcept { return options_; }

 private:
  ServerOptions options_;
  Handler handler_;  // outlives the workers: their coroutine frames refer to it
  std::vector<std::unique_ptr<EventWorker>> workers_;
  std::atomic<std::uint16_t> port_{0};
};

}  // namespace remoto::net::detail
