// TcpServer: the drivers that run a StreamSession over a socket: here the thread model's and
// the event model's on Asio; the event model's on io_uring is uring_server.cpp. All follow the
// same loop: read, hand every unconsumed byte to the session, write its whole answer at once,
// and keep only an unfinished message between reads.
#include "remoto/net/tcp_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <variant>

#include "remoto/errors.hpp"
#include "remoto/net/detail/event_server.hpp"
#include "remoto/net/detail/threaded_server.hpp"
#include "remoto/net/detail/uring_server.hpp"
#include "session_io.hpp"

namespace remoto::net {

namespace {

using detail::feed;
using detail::linger_time;
using detail::must_linger;
using detail::Nagle;

constexpr std::size_t read_size = 64 * 1024;  // large reads: echo throughput

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

using asio::ip::tcp;

/// Whether a failed recv/send only means "not now".
bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

/// What comes after a reply has been sent.
struct Next {
  bool close = false;   // close the connection,
  bool linger = false;  // gracefully (see EventConnection::linger)
  bool idle = true;     // the session is between messages: restart the idle deadline
};

Next next_after(const FeedResult& result, std::size_t read) {
  return {result.close, result.close && must_linger(result, read, read_size), result.idle};
}

/// What one serve_now() did.
struct Served {
  bool nothing = false;  // no bytes were there
  bool done = false;     // close now: EOF, an error, or a close with nothing unread or unsent
  Next next;
  std::string unsent;  // the part of the reply the socket did not take

  /// Nothing is left to do but wait for the peer: no reply half sent, no close pending, and
  /// (the caller checks) no unfinished message.
  bool waiting() const noexcept { return nothing || (!done && !next.close && unsent.empty()); }
};

/// Reads what the socket has, once, answers it and sends the answer, all with plain
/// non-blocking calls into the I/O thread's buffers. `pending`: the unfinished message, in and
/// out.
Served serve_now(int fd, StreamSession& session, Nagle& nagle, std::string& pending) {
  Served served;
  ThreadBuffers& buffers = thread_buffers();
  ssize_t got;
  do {
    got = ::recv(fd, buffers.in.get(), read_size, 0);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    served.nothing = got < 0 && would_block(errno);
    served.done = !served.nothing;  // EOF or an error
    return served;
  }
  auto n = static_cast<std::size_t>(got);
  buffers.out.clear();
  served.next = next_after(feed(session, pending, buffers.in.get(), n, buffers.out), n);
  if (!buffers.out.empty()) {
    nagle.before_reply(fd);
    ssize_t sent = ::send(fd, buffers.out.data(), buffers.out.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (!would_block(errno)) {
        served.done = true;
        return served;
      }
      sent = 0;
    }
    if (static_cast<std::size_t>(sent) < buffers.out.size())
      served.unsent.assign(buffers.out, static_cast<std::size_t>(sent));
  }
  // Closing with nothing unread and nothing unsent: close() sends FIN after the reply.
  served.done = served.next.close && !served.next.linger && served.unsent.empty();
  return served;
}

/// One connection of the event model that needs Asio: a reply to finish writing, an
/// unfinished message (its deadline), or a graceful close. Driven by completion handlers
/// rather than a coroutine, so that it costs little memory: this object (the socket in its
/// sweep slot, the session) and Asio's per-descriptor state plus one pending readiness wait,
/// whose handler owns the object. Bytes are read only once the socket is readable, with plain
/// non-blocking calls into the I/O thread's shared buffer, so no read buffer waits with it (a
/// coroutine parked in a read held about 1.7 kB: its frame, co_spawn's, the use_awaitable
/// initiation's and the read operation).
///
/// Connections that need none of this wait in the I/O thread's parking lot instead (see
/// ParkedSession), for less memory still and no re-arming system call per request.
class EventConnection {
 public:
  using Owner = std::unique_ptr<EventConnection>;

  /// Serves a new connection: at once if its request is there, then parked or through Asio.
  static void start(detail::AcceptedSocket accepted, std::unique_ptr<StreamSession> session);

  /// Goes on through Asio after `served` (with `pending`, the unfinished message).
  static void resume(detail::AcceptedSocket accepted, std::unique_ptr<StreamSession> session,
                     Nagle nagle, Served served, std::string pending) {
    Owner self(new EventConnection(std::move(accepted), std::move(session), nagle));
    EventConnection& c = *self;
    if (!pending.empty()) c.pending() = std::move(pending);
    if (!served.unsent.empty()) {
      c.unsent() = std::move(served.unsent);
      write_rest(std::move(self), served.next);
      return;
    }
    if (served.next.close) {
      linger(std::move(self));  // (a close without linger was done)
      return;
    }
    wait_readable(std::move(self));
  }

 private:
  EventConnection(detail::AcceptedSocket accepted, std::unique_ptr<StreamSession> session,
                  Nagle nagle)
      : slot_(std::move(accepted)), session_(std::move(session)), nagle_(nagle) {
    slot_.arm();
  }

  int fd() noexcept { return slot_.socket().native_handle(); }

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
    std::string local;  // no heap unless the input ends in an unfinished message
    std::string& pending = c.spill_ ? c.spill_->pending : local;
    Served served = serve_now(c.fd(), *c.session_, c.nagle_, pending);
    if (!local.empty()) c.pending() = std::move(local);
    if (served.nothing) {
      wait_readable(std::move(self));  // a spurious wake-up
      return;
    }
    if (served.done) return;
    if (!served.unsent.empty()) {
      // The peer's window is full: the thread's buffer must not wait with us.
      c.unsent() = std::move(served.unsent);
      write_rest(std::move(self), served.next);
      return;
    }
    if (served.next.close) {
      linger(std::move(self));
      return;
    }
    if (served.next.idle) c.slot_.arm();
    if (c.spill_ && c.spill_->pending.empty()) c.spill_.reset();
    // Edge-triggered: if a full read left more, the wait completes at once.
    wait_readable(std::move(self));
  }

  // Writes unsent(), then goes on as `next` says.
  static void write_rest(Owner self, Next next) {
    EventConnection& c = *self;
    if (!c.nagle_.off) c.nagle_.turn_off(c.fd());  // the reply is in pieces now
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

  // Strings a connection needs only now and then, allocated the first time.
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

  detail::ConnectionSlot slot_;
  std::unique_ptr<StreamSession> session_;
  std::unique_ptr<Spill> spill_;
  Nagle nagle_;
};

/// A connection waiting in its I/O thread's parking lot (see AcceptedSocket::park): between
/// requests it costs this object (32 bytes), its session and a table entry. Each request is
/// served with recv and send when the lot finds the socket readable; anything more (a reply
/// half sent, an unfinished message, a graceful close) moves the connection to Asio.
class ParkedSession final : public detail::ParkedConnection {
 public:
  ParkedSession(std::unique_ptr<StreamSession> session, Nagle nagle)
      : session_(std::move(session)), nagle_(nagle) {}

  Verdict readable(int fd) override {
    std::string pending;
    Served served = serve_now(fd, *session_, nagle_, pending);
    if (served.done) return Verdict::close;
    if (served.waiting() && pending.empty()) return Verdict::stay;
    handover_ = std::make_unique<Handover>(Handover{std::move(served), std::move(pending)});
    return Verdict::take;
  }

  void take(detail::AcceptedSocket accepted) override {
    EventConnection::resume(std::move(accepted), std::move(session_), nagle_,
                            std::move(handover_->served), std::move(handover_->pending));
  }

 private:
  struct Handover {
    Served served;
    std::string pending;
  };
  std::unique_ptr<StreamSession> session_;
  std::unique_ptr<Handover> handover_;
  Nagle nagle_;
};

void EventConnection::start(detail::AcceptedSocket accepted,
                            std::unique_ptr<StreamSession> session) {
  Nagle nagle;
  std::string pending;
  // Most new connections have their request there already (or soon: then parked at once).
  Served served = serve_now(accepted.native_handle(), *session, nagle, pending);
  if (served.done) return;  // `accepted` closes the descriptor
  if (served.waiting() && pending.empty()) {
    std::move(accepted).park(std::make_unique<ParkedSession>(std::move(session), nagle));
    return;
  }
  resume(std::move(accepted), std::move(session), nagle, std::move(served), std::move(pending));
}

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
  std::variant<std::monostate, detail::EventServer, detail::UringServer, detail::ThreadedServer>
      server;
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
    EventBackend backend = impl.options.backend;
    if (backend == EventBackend::automatic)
      backend = detail::uring_supported() ? EventBackend::uring : EventBackend::asio;
    if (backend == EventBackend::uring) {
      if (!detail::uring_supported())
        throw CommunicationError(
            "the io_uring backend needs Linux 6.1 or later with io_uring enabled; use asio");
      return impl.server.emplace<detail::UringServer>(impl.options, factory).start();
    }
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
