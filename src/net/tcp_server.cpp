// TcpServer: the two drivers that run a StreamSession over a socket, one per connection model.
// Both follow the same loop: read, hand every unconsumed byte to the session, write its whole
// answer at once, and keep only an unfinished message between reads.
#include "remoto/net/tcp_server.hpp"

#include <sys/socket.h>

#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <variant>

#include "remoto/net/detail/event_server.hpp"
#include "remoto/net/detail/threaded_server.hpp"

namespace remoto::net {

namespace {

constexpr std::size_t read_size = 64 * 1024;  // large reads: echo throughput
constexpr auto linger_time = std::chrono::seconds(2);

/// The bytes an event-model I/O thread reads into and answers from. Shared by all the
/// thread's connections, because a connection only uses them within one handler: an idle
/// connection holds no buffer.
struct ThreadBuffers {
  std::unique_ptr<char[]> in{new char[read_size]};
  std::string out;
};

ThreadBuffers& thread_buffers() {
  thread_local ThreadBuffers buffers;
  return buffers;
}

/// Hands `n` new bytes to the session, with `pending` (the unfinished message so far) in
/// front of them, and leaves in `pending` what the session did not consume.
FeedResult feed(StreamSession& session, std::string& pending, const char* data, std::size_t n,
                std::string& out) {
  std::string_view input(data, n);
  if (!pending.empty()) {
    pending.append(data, n);
    input = pending;
  }
  FeedResult result = session.feed(input, out);
  if (result.close) return result;
  if (pending.empty())
    pending.assign(data + result.consumed, n - result.consumed);
  else
    pending.erase(0, result.consumed);
  return result;
}

using asio::ip::tcp;

/// Whether a connection the session closes must linger (see EventConnection::linger): unless
/// the session saw its input end exactly at its last message, the peer may still be sending
/// (pipelined bytes, a body not read, an error answered before the request was whole). A read
/// that filled the buffer may have left more in the socket. With nothing unread, close() sends
/// FIN after the reply, as a shutdown would, and the peer gets every byte of it.
bool must_linger(const FeedResult& result, std::size_t read, std::size_t buffer_size) {
  return !result.input_complete || read == buffer_size;
}

/// Whether a failed recv/send only means "not now".
bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

/// One connection of the event model, driven by completion handlers rather than a coroutine,
/// so that an idle connection costs little memory: this object (the socket in its sweep slot,
/// the session, two empty strings) and Asio's per-descriptor state plus one pending readiness
/// wait, whose handler owns the object. Bytes are read only once the socket is readable, with
/// plain non-blocking calls into the I/O thread's shared buffer, so an idle connection holds no
/// read buffer and no coroutine frames (a coroutine parked in a read held about 1.7 kB: its
/// frame, co_spawn's, the use_awaitable initiation's and the read operation).
///
/// Waiting for readiness costs Asio an epoll_ctl per wait; starting a read instead costs a
/// failed recv whenever nothing is there yet (Asio tries every read at once), which for a
/// keep-alive request/response connection is every time: one system call either way.
///
/// A new connection is first served without the reactor (serve_first): a connection that brought
/// its whole request, got its whole reply and is to be closed (HTTP with a new connection per
/// request) costs recv, send and close, and is never registered with Asio.
class EventConnection {
 public:
  using Owner = std::unique_ptr<EventConnection>;

  /// Serves a new connection.
  static void start(detail::AcceptedSocket accepted, std::unique_ptr<StreamSession> session) {
    int fd = accepted.native_handle();
    First first = serve_first(fd, *session);
    if (first.done) return;  // `accepted` closes the descriptor
    Owner self(new EventConnection(std::move(accepted), std::move(session)));
    EventConnection& c = *self;
    if (!first.pending.empty()) c.pending() = std::move(first.pending);
    c.replied_ = first.replied;
    if (!first.unsent.empty()) {
      c.unsent() = std::move(first.unsent);
      write_rest(std::move(self), first.next);
      return;
    }
    if (first.next.close) {
      linger(std::move(self));  // (a close without linger was done)
      return;
    }
    wait_readable(std::move(self));
  }

 private:
  /// What comes after a reply has been sent.
  struct Next {
    bool close = false;   // close the connection,
    bool linger = false;  // gracefully (see linger())
    bool idle = true;     // the session is between messages: restart the idle deadline
  };

  /// What the first read of a connection did.
  struct First {
    bool done = false;  // nothing more to do: close
    bool replied = false;
    Next next;
    std::string pending;  // the unfinished message
    std::string unsent;   // the part of the first reply the socket did not take
  };

  static Next next_after(const FeedResult& result, std::size_t read) {
    return {result.close, result.close && must_linger(result, read, read_size), result.idle};
  }

  EventConnection(detail::AcceptedSocket accepted, std::unique_ptr<StreamSession> session)
      : slot_(std::move(accepted)), session_(std::move(session)) {
    slot_.arm();
  }

  int fd() noexcept { return slot_.socket().native_handle(); }

  static First serve_first(int fd, StreamSession& session) {
    First first;
    ThreadBuffers& buffers = thread_buffers();
    ssize_t got = ::recv(fd, buffers.in.get(), read_size, 0);
    if (got == 0) {
      first.done = true;  // closed already
      return first;
    }
    if (got < 0) {
      first.done = !would_block(errno);
      return first;
    }
    auto n = static_cast<std::size_t>(got);
    buffers.out.clear();
    first.next = next_after(feed(session, first.pending, buffers.in.get(), n, buffers.out), n);
    if (!buffers.out.empty()) {
      first.replied = true;
      ssize_t sent = ::send(fd, buffers.out.data(), buffers.out.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (!would_block(errno)) {
          first.done = true;
          return first;
        }
        sent = 0;
      }
      if (static_cast<std::size_t>(sent) < buffers.out.size())
        first.unsent.assign(buffers.out, static_cast<std::size_t>(sent));
    }
    // Closing with nothing unread and nothing unsent: close() sends FIN after the reply.
    first.done = first.next.close && !first.next.linger && first.unsent.empty();
    return first;
  }

  static void wait_readable(Owner self) {
    auto& socket = self->slot_.socket();
    socket.async_wait(tcp::socket::wait_read,
                      [self = std::move(self)](asio::error_code ec) mutable {
                        if (!ec)
                          serve(std::move(self));  // else closed by the sweep or the server's stop
                      });
  }

  // Reads what is there and answers it; then waits for more, writes the rest, or closes.
  static void serve(Owner self) {
    EventConnection& c = *self;
    int fd = c.fd();
    ThreadBuffers& buffers = thread_buffers();
    ssize_t got;
    do {
      got = ::recv(fd, buffers.in.get(), read_size, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0 && would_block(errno)) {
      wait_readable(std::move(self));  // a spurious wake-up
      return;
    }
    if (got <= 0) return;  // EOF or reset: closes
    auto n = static_cast<std::size_t>(got);
    buffers.out.clear();
    Next next = c.feed_session(buffers.in.get(), n, buffers.out);
    if (!buffers.out.empty()) {
      if (c.replied_ && !c.no_delay_) c.set_no_delay();
      c.replied_ = true;
      ssize_t sent = ::send(fd, buffers.out.data(), buffers.out.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (!would_block(errno)) return;
        sent = 0;
      }
      if (static_cast<std::size_t>(sent) < buffers.out.size()) {
        // The peer's window is full: the thread's buffer must not wait with us.
        c.unsent().assign(buffers.out, static_cast<std::size_t>(sent));
        write_rest(std::move(self), next);
        return;
      }
    }
    if (next.close) {
      if (next.linger) linger(std::move(self));
      return;
    }
    if (next.idle) c.slot_.arm();
    // Edge-triggered: if a full read left more, the wait completes at once.
    wait_readable(std::move(self));
  }

  // Writes unsent_, then goes on as `next` says.
  static void write_rest(Owner self, Next next) {
    EventConnection& c = *self;
    if (!c.no_delay_) c.set_no_delay();  // the reply is now in pieces: don't let Nagle hold one
    c.slot_.arm();
    asio::async_write(c.slot_.socket(), asio::buffer(c.unsent()),
                      [self = std::move(self), next](asio::error_code ec, std::size_t) mutable {
                        if (ec) return;
                        std::string().swap(self->unsent());
                        if (next.close) {
                          if (next.linger) linger(std::move(self));
                          return;
                        }
                        if (next.idle) self->slot_.arm();
                        serve(std::move(self));
                      });
  }

  /// Closes gracefully: FIN first, then reads and discards until the peer's EOF (or a short
  /// while), so that unread input does not turn our close into a reset that could destroy the
  /// reply before the peer reads it.
  static void linger(Owner self) {
    if (::shutdown(self->fd(), SHUT_WR) != 0) return;
    self->slot_.arm(std::chrono::duration_cast<std::chrono::milliseconds>(linger_time));
    drain(std::move(self));
  }

  static void drain(Owner self) {
    int fd = self->fd();
    char* scratch = thread_buffers().in.get();
    for (;;) {
      ssize_t got = ::recv(fd, scratch, read_size, 0);
      if (got > 0) continue;
      if (got == 0 || !would_block(errno)) return;  // EOF or an error: close
      if (errno != EINTR) break;
    }
    auto& socket = self->slot_.socket();
    socket.async_wait(tcp::socket::wait_read,
                      [self = std::move(self)](asio::error_code ec) mutable {
                        if (!ec) drain(std::move(self));
                      });
  }

  void set_no_delay() noexcept {
    asio::error_code ignored;
    slot_.socket().set_option(tcp::no_delay(true), ignored);
    no_delay_ = true;
  }

  detail::ConnectionSlot slot_;
  std::unique_ptr<StreamSession> session_;
  // Strings a connection needs only now and then, allocated the first time: an idle
  // keep-alive connection has none.
  struct Spill {
    std::string pending;  // the unfinished message
    std::string unsent;   // the reply the peer's window could not take yet
  };
  Spill& spill() {
    if (!spill_) spill_ = std::make_unique<Spill>();
    return *spill_;
  }
  std::string& pending() { return spill().pending; }
  std::string& unsent() { return spill().unsent; }

  // feed() with this connection's unfinished message; keeps a Spill only while needed.
  Next feed_session(const char* data, std::size_t n, std::string& out) {
    if (!spill_) {
      std::string pending;  // no heap unless the input ends in an unfinished message
      Next next = next_after(feed(*session_, pending, data, n, out), n);
      if (!pending.empty()) this->pending() = std::move(pending);
      return next;
    }
    Next next = next_after(feed(*session_, spill_->pending, data, n, out), n);
    if (spill_->pending.empty() && spill_->unsent.empty()) spill_.reset();
    return next;
  }

  std::unique_ptr<Spill> spill_;
  bool replied_ = false;
  bool no_delay_ = false;  // Nagle only ever delays a reply that follows an unacknowledged one:
                           // from the second reply on it is off (as nginx does for keep-alive)
};

void run_blocking_session(detail::BlockingConnection& connection, StreamSession& session) {
  using detail::IoStatus;
  std::unique_ptr<char[]> in(new char[read_size]);
  std::string pending;
  std::string out;
  connection.arm();
  for (;;) {
    std::size_t n = 0;
    if (connection.read_some(in.get(), read_size, n) != IoStatus::ok) return;
    out.clear();
    FeedResult result = feed(session, pending, in.get(), n, out);
    if (!out.empty() && connection.write_all(out) != IoStatus::ok) return;
    if (result.close) {
      if (!must_linger(result, n, read_size)) return;  // closing sends FIN after the reply
      connection.shutdown_send();
      connection.arm(std::chrono::duration_cast<std::chrono::milliseconds>(linger_time));
      while (connection.read_some(in.get(), read_size, n) == IoStatus::ok) {
      }
      return;
    }
    if (result.idle) connection.arm();
  }
}

}  // namespace

struct TcpServer::Impl {
  Impl(ServerOptions o, SessionFactory f, std::string busy)
      : options(std::move(o)), factory(std::move(f)), busy_reply(std::move(busy)) {}

  ServerOptions options;
  SessionFactory factory;
  std::string busy_reply;
  // Declared last: destroyed (and stopped) before the factory its threads call.
  std::variant<std::monostate, detail::EventServer, detail::ThreadedServer> server;
};

TcpServer::TcpServer(ServerOptions options, SessionFactory factory, std::string busy_reply)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(factory), std::move(busy_reply))) {
}

TcpServer::~TcpServer() {
  stop();
}

std::uint16_t TcpServer::start() {
  Impl& impl = *impl_;
  const SessionFactory& factory = impl.factory;  // outlives the server (see Impl)
  if (impl.options.model == ConnectionModel::event) {
    auto& server = impl.server.emplace<detail::EventServer>(
        impl.options, [&factory](detail::AcceptedSocket accepted) -> asio::awaitable<void> {
          // Callbacks, not a coroutine: nothing is spawned (see EventConnection).
          EventConnection::start(std::move(accepted), factory());
          return {};
        });
    return server.start();
  }
  auto& server = impl.server.emplace<detail::ThreadedServer>(
      impl.options,
      [&factory](detail::BlockingConnection& connection) {
        std::unique_ptr<StreamSession> session = factory();
        run_blocking_session(connection, *session);
      },
      impl.busy_reply);
  return server.start();
}

void TcpServer::stop() {
  std::visit(
      [](auto& server) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(server)>, std::monostate>)
          server.stop();
      },
      impl_->server);
}

std::uint16_t TcpServer::port() const noexcept {
  return std::visit(
      [](const auto& server) -> std::uint16_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(server)>, std::monostate>)
          return 0;
        else
          return server.port();
      },
      impl_->server);
}

const ServerOptions& TcpServer::options() const noexcept {
  return impl_->options;
}

}  // namespace remoto::net
