// TcpServer: the two drivers that run a StreamSession over a socket, one per connection model.
// Both follow the same loop: read, hand every unconsumed byte to the session, write its whole
// answer at once, and keep only an unfinished message between reads.
#include "remoto/net/tcp_server.hpp"

#include <sys/socket.h>

#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
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
/// thread's connections, because a connection only uses them between two suspensions: an
/// idle connection holds no big buffer, only its small first-read one.
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
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

/// Closes gracefully: FIN first, then read and discard until the peer's EOF (or a short
/// while), so that unread input does not turn our close into a reset that could destroy the
/// reply before the peer reads it.
asio::awaitable<void> linger(detail::ConnectionSlot& slot) {
  tcp::socket& socket = slot.socket();
  asio::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  slot.arm(std::chrono::duration_cast<std::chrono::milliseconds>(linger_time));
  for (;;) {
    socket.read_some(asio::buffer(thread_buffers().in.get(), read_size), ec);
    if (ec == asio::error::would_block) {
      std::tie(ec) = co_await socket.async_wait(tcp::socket::wait_read, use_tuple);
      if (ec) co_return;
      continue;
    }
    if (ec) co_return;  // EOF included
  }
}

/// Whether a connection the session closes must linger (see linger()): unless the session
/// saw its input end exactly at its last message, the peer may still be sending (pipelined
/// bytes, a body not read, an error answered before the request was whole). A read that
/// filled the buffer may have left more in the socket. With nothing unread, close() sends FIN
/// after the reply, as a shutdown would, and the peer gets every byte of it.
bool must_linger(const FeedResult& result, std::size_t read, std::size_t buffer_size) {
  return !result.input_complete || read == buffer_size;
}

void set_no_delay(tcp::socket& socket) {
  asio::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
}

/// What run_event_session takes over from start_event_session.
struct EventStart {
  std::string pending;  // the unfinished message
  std::string unsent;   // the part of the first reply the socket did not take
  bool replied = false;
  bool close = false;
  bool linger = false;
};

/// A new connection's first read and reply, with plain non-blocking calls: a connection that
/// brought its whole request, got its whole reply and is to be closed (HTTP with a new
/// connection per request) is served with three system calls, without a coroutine and
/// without ever being registered with the reactor. True: nothing more to do (closing the
/// descriptor sends FIN after the reply). False: continue in run_event_session with `start`.
bool serve_first_read(int fd, StreamSession& session, EventStart& start) {
  ThreadBuffers& buffers = thread_buffers();
  ssize_t got = ::recv(fd, buffers.in.get(), read_size, 0);
  if (got == 0) return true;  // closed already
  if (got < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  auto n = static_cast<std::size_t>(got);
  buffers.out.clear();
  FeedResult result = feed(session, start.pending, buffers.in.get(), n, buffers.out);
  start.close = result.close;
  start.linger = result.close && must_linger(result, n, read_size);
  if (!buffers.out.empty()) {
    start.replied = true;
    ssize_t sent = ::send(fd, buffers.out.data(), buffers.out.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
      sent = 0;
    }
    if (static_cast<std::size_t>(sent) < buffers.out.size())
      start.unsent.assign(buffers.out, static_cast<std::size_t>(sent));
  }
  return start.close && !start.linger && start.unsent.empty();
}

// Sized for a typical request (wrk's is ~40 bytes, curl's ~80): a connection waits with a read
// into this buffer, which lives in its coroutine frame. Reading, rather than waiting for
// readiness and then reading, saves a system call per request (Asio re-arms epoll for a wait).
constexpr std::size_t first_read_size = 128;

asio::awaitable<void> run_event_session(detail::AcceptedSocket accepted,
                                        std::unique_ptr<StreamSession> session, EventStart start) {
  detail::ConnectionSlot slot(std::move(accepted));
  tcp::socket& socket = slot.socket();
  asio::error_code ec;
  socket.non_blocking(true, ec);  // it is already; this tells Asio so
  if (ec) co_return;
  // Nagle only ever delays a reply that follows an unacknowledged one: from the second reply
  // on, it is off (as nginx does for keep-alive).
  bool no_delay = false;
  slot.arm();
  if (!start.unsent.empty()) {
    set_no_delay(socket);
    no_delay = true;
    std::tie(ec, std::ignore) =
        co_await asio::async_write(socket, asio::buffer(start.unsent), use_tuple);
    if (ec) co_return;
    std::string().swap(start.unsent);
  }
  if (start.close) {
    if (start.linger) co_await linger(slot);
    co_return;
  }
  std::string pending = std::move(start.pending);  // empty (no heap) while idle
  bool replied = start.replied;
  std::array<char, first_read_size> first;
  for (;;) {
    std::size_t n = 0;
    std::tie(ec, n) = co_await socket.async_read_some(asio::buffer(first), use_tuple);
    if (ec) co_return;  // EOF, reset, or closed by the sweep
    ThreadBuffers& buffers = thread_buffers();
    const char* data = first.data();
    std::size_t buffer_size = first.size();
    if (n == first.size()) {
      // There may be more (pipelining, a large request, echo): take it in one more read into
      // the thread's big buffer.
      std::memcpy(buffers.in.get(), first.data(), n);
      std::size_t more = socket.read_some(asio::buffer(buffers.in.get() + n, read_size - n), ec);
      if (!ec) n += more;  // an error (EOF included) shows up again on the next read
      data = buffers.in.get();
      buffer_size = read_size;
    }

    buffers.out.clear();
    FeedResult result = feed(*session, pending, data, n, buffers.out);
    if (!buffers.out.empty()) {
      if (replied && !no_delay) {
        set_no_delay(socket);
        no_delay = true;
      }
      replied = true;
      std::size_t written = socket.write_some(asio::buffer(buffers.out), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        written = 0;
        ec.clear();
      }
      if (ec) co_return;
      if (written < buffers.out.size()) {
        // The peer's window is full: the thread's buffer must not wait with us.
        std::string rest(buffers.out, written);
        slot.arm();
        std::tie(ec, std::ignore) =
            co_await asio::async_write(socket, asio::buffer(rest), use_tuple);
        if (ec) co_return;
      }
    }
    if (result.close) {
      if (must_linger(result, n, buffer_size)) co_await linger(slot);
      co_return;
    }
    if (result.idle) slot.arm();
  }
}

/// A new connection (see serve_first_read); what is left continues in run_event_session.
/// A new connection: served at once if it can be (see serve_first_read). Anything else (no
/// bytes yet, an unfinished request, keep-alive, a reply the socket did not take whole)
/// continues in run_event_session. When the first read finds nothing, the request is still on
/// its way; looking once more after the thread's other work, before paying for the reactor,
/// almost never found it (tried).
asio::awaitable<void> start_event_session(detail::AcceptedSocket accepted,
                                          const SessionFactory& factory) {
  std::unique_ptr<StreamSession> session = factory();
  EventStart start;
  if (serve_first_read(accepted.native_handle(), *session, start)) return {};
  return run_event_session(std::move(accepted), std::move(session), std::move(start));
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
        impl.options, [&factory](detail::AcceptedSocket accepted) {
          // Not a coroutine itself: one frame less per connection.
          return start_event_session(std::move(accepted), factory);
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
