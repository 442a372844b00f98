// ChatServer: one io_context on one thread; per connection a reader, a writer and a nick
// watchdog coroutine, all sharing the connection's Session. The net layer's TcpServer runs
// isolated request/response sessions; chat needs fan-out between connections and an output
// queue per client, so it drives Asio itself.
#include "remoto/services/chat_server.hpp"

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <cstdio>
#include <deque>
#include <thread>
#include <unordered_map>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/net/detail/asio_address.hpp"
#include "remoto/net/resolver.hpp"
#include "remoto/services/chat_line_reader.hpp"
#include "remoto/services/chat_room.hpp"

namespace remoto::services {

namespace {

using asio::ip::tcp;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t max_gather = 64;  // lines per gathered write

// Reports what escapes a coroutine instead of losing it (asio::detached would).
struct LogFailure {
  const char* what;
  void operator()(std::exception_ptr e) const {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "chat: %s failed: %s\n", what, x.what());
    }
  }
};

// One connection. Owned jointly by its coroutines and by the server's session table.
struct Session {
  Session(tcp::socket s, ChatClientId client_id)
      : socket(std::move(s)),
        wake(socket.get_executor()),
        deadline(socket.get_executor()),
        id(client_id) {}

  tcp::socket socket;
  asio::steady_timer wake;  // the writer sleeps on it; cancel() wakes it
  // For the nick while not joined, for the last lines while closing; unset otherwise.
  asio::steady_timer deadline;
  ChatClientId id;
  std::deque<std::shared_ptr<const std::string>> queue;  // lines to send, each ending in \n
  std::size_t queued_bytes = 0;
  bool joined = false;
  bool closing = false;  // send what is queued, then close; read nothing more
  bool eof = false;      // the client closed its side
  bool closed = false;   // the socket is closed; the coroutines are on their way out
  bool ended = false;    // the server has forgotten it
};

}  // namespace

struct ChatServer::Impl {
  explicit Impl(Options o) : options(std::move(o)), room(ChatRoom::Options{options.max_clients}) {}

  Options options;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};           // after io: destroyed before it
  asio::steady_timer accept_retry{io};  // pause after EMFILE and the like
  tcp::endpoint bound;
  std::thread thread;
  std::atomic<std::size_t> connection_count{0};

  // Touched on the I/O thread only, so no lock.
  ChatRoom room;
  std::unordered_map<ChatClientId, std::shared_ptr<Session>> sessions;
  ChatClientId next_id = 1;
  bool stopping = false;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> read_loop(std::shared_ptr<Session> s);
  asio::awaitable<void> write_loop(std::shared_ptr<Session> s);
  asio::awaitable<void> watch_deadline(std::shared_ptr<Session> s);
  void apply(ChatRoom::Actions actions);
  void begin_closing(Session& s);
  void close(Session& s);
  void end(Session& s);
};

// Queues the room's messages and carries out its closes. A client whose queue would go over
// the limit is dropped, which the room announces, which may drop others: hence the worklist.
void ChatServer::Impl::apply(ChatRoom::Actions actions) {
  std::vector<ChatClientId> drops;
  for (;;) {
    for (auto& message : actions.messages) {
      message.line += '\n';
      auto line = std::make_shared<const std::string>(std::move(message.line));
      for (auto id : message.to) {
        auto it = sessions.find(id);
        if (it == sessions.end()) continue;
        Session& s = *it->second;
        if (s.closed || s.closing) continue;
        if (s.queued_bytes + line->size() > options.max_queue_bytes) {
          drops.push_back(id);
          continue;
        }
        s.queue.push_back(line);
        s.queued_bytes += line->size();
        s.wake.cancel();
      }
    }
    for (auto id : actions.close) {
      auto it = sessions.find(id);
      if (it != sessions.end()) begin_closing(*it->second);
    }
    actions = {};
    while (!drops.empty() && actions.messages.empty()) {
      auto id = drops.back();
      drops.pop_back();
      auto it = sessions.find(id);
      if (it == sessions.end() || it->second->closed) continue;
      close(*it->second);
      actions = room.disconnect(id);
    }
    if (actions.messages.empty() && actions.close.empty()) return;
  }
}

// Closes the socket at once (stop, drop, failure); the coroutines see it and finish.
void ChatServer::Impl::close(Session& s) {
  if (s.closed) return;
  s.closed = true;
  asio::error_code ignored;
  s.socket.close(ignored);
  s.wake.cancel();
  s.deadline.cancel();
  s.queue.clear();
  s.queued_bytes = 0;
}

// Sends what is queued, then closes; whatever is left after options.linger is cut off, so a
// client that stops reading cannot keep a closing connection forever.
void ChatServer::Impl::begin_closing(Session& s) {
  if (s.closed || s.closing) return;
  s.closing = true;
  s.wake.cancel();
  s.deadline.expires_after(options.linger);
}

void ChatServer::Impl::end(Session& s) {
  if (s.ended) return;
  s.ended = true;
  close(s);
  apply(room.disconnect(s.id));
  sessions.erase(s.id);
  connection_count.fetch_sub(1, std::memory_order_relaxed);
}

asio::awaitable<void> ChatServer::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (stopping || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or buffers: pause instead of spinning on the same error.
      accept_retry.expires_after(std::chrono::milliseconds(100));
      co_await accept_retry.async_wait(use_tuple);
      continue;
    }
    asio::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // chat lines are small and interactive
    auto s = std::make_shared<Session>(std::move(socket), next_id++);
    sessions.emplace(s->id, s);
    connection_count.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(io, read_loop(s), LogFailure{"reader"});
    asio::co_spawn(io, write_loop(s), LogFailure{"writer"});
    asio::co_spawn(io, watch_deadline(s), LogFailure{"deadline"});
    apply(room.connect(s->id));
  }
}

asio::awaitable<void> ChatServer::Impl::read_loop(std::shared_ptr<Session> s) {
  ChatLineReader reader;
  std::array<char, 8192> buffer;
  for (;;) {
    auto [ec, n] = co_await s->socket.async_read_some(asio::buffer(buffer), use_tuple);
    if (s->closed) break;
    if (ec == asio::error::eof) {
      // The client closed its side: what it sent last still counts, then it leaves; the
      // writer sends what is queued and closes.
      if (!s->closing) {
        if (auto event = reader.finish()) {
          apply(event->kind == ChatLineReader::Event::Kind::line ? room.receive(s->id, event->line)
                                                                 : room.line_too_long(s->id));
        }
        apply(room.disconnect(s->id));
        begin_closing(*s);
      }
      s->eof = true;
      s->wake.cancel();
      co_return;
    }
    if (ec) break;
    if (s->closing) continue;  // lingering after "* bye" or a refusal: read and discard
    reader.feed(std::string_view(buffer.data(), n));
    while (auto event = reader.next()) {
      apply(event->kind == ChatLineReader::Event::Kind::line ? room.receive(s->id, event->line)
                                                             : room.line_too_long(s->id));
      if (s->closed || s->closing) break;
    }
    if (!s->joined && room.joined(s->id)) {
      s->joined = true;
      s->deadline.expires_at(asio::steady_timer::time_point::max());
    }
  }
  end(*s);
}

asio::awaitable<void> ChatServer::Impl::write_loop(std::shared_ptr<Session> s) {
  std::vector<std::shared_ptr<const std::string>> batch;  // keeps the lines alive mid-write
  std::vector<asio::const_buffer> buffers;
  while (!s->closed) {
    if (s->queue.empty()) {
      if (s->closing) break;
      s->wake.expires_at(asio::steady_timer::time_point::max());
      co_await s->wake.async_wait(use_tuple);  // cancelled by a new line or a close
      continue;
    }
    batch.clear();
    buffers.clear();
    for (const auto& line : s->queue) {
      if (batch.size() == max_gather) break;
      batch.push_back(line);
      buffers.push_back(asio::buffer(*line));
    }
    auto [ec, n] = co_await asio::async_write(s->socket, buffers, use_tuple);
    if (ec || s->closed) {
      end(*s);
      co_return;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) s->queue.pop_front();
    s->queued_bytes -= n;
  }
  // The writer is the last to know the connection: however it ends, it ends the session.
  if (s->closed) {
    end(*s);
    co_return;
  }
  // Everything is sent. Unless the client already closed, say we are done and let it close
  // first (or the deadline pass): closing with its unread lines still in our buffer would
  // reset the connection, and a reset can destroy our last lines before the client reads them.
  if (!s->eof) {
    asio::error_code ignored;
    s->socket.shutdown(tcp::socket::shutdown_send, ignored);
    s->wake.expires_at(asio::steady_timer::time_point::max());
    co_await s->wake.async_wait(use_tuple);  // cancelled by the reader at EOF, or by close()
  }
  end(*s);
}

// Enforces Session::deadline: the nick timeout, then (once closing) the linger time. Setting
// the timer again cancels the wait in progress, which just starts the next one.
asio::awaitable<void> ChatServer::Impl::watch_deadline(std::shared_ptr<Session> s) {
  s->deadline.expires_after(options.nick_timeout);
  for (;;) {
    auto [ec] = co_await s->deadline.async_wait(use_tuple);
    if (s->closed) break;
    if (ec) continue;  // set again
    if (s->closing) {
      end(*s);
      co_return;
    }
    if (s->joined) continue;  // its wait had already ended when it joined; now it waits for ever
    apply(room.nick_timeout(s->id));  // refuses and closes, which sets the deadline again
    if (!s->closing) {
      end(*s);  // the room does not know it: nothing will close it otherwise
      co_return;
    }
  }
}

ChatServer::ChatServer(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ChatServer::~ChatServer() {
  stop();
}

void ChatServer::start() {
  auto& impl = *impl_;
  if (impl.thread.joinable()) return;
  const auto& o = impl.options;
  tcp::endpoint endpoint(net::detail::to_asio(net::resolve(o.host)), o.port);
  asio::error_code ec;
  auto check = [&](const char* what) {
    if (ec) {
      impl.acceptor.close(ec);
      throw CommunicationError("chat " + std::string(what) + " " + o.host + ":" +
                               std::to_string(o.port) + ": " + ec.message());
    }
  };
  impl.acceptor.open(endpoint.protocol(), ec);
  check("socket");
  impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  check("SO_REUSEADDR");
  impl.acceptor.bind(endpoint, ec);
  check("bind");
  impl.acceptor.listen(tcp::acceptor::max_listen_connections, ec);
  check("listen");
  impl.bound = impl.acceptor.local_endpoint();
  asio::co_spawn(impl.io, impl.accept_loop(), LogFailure{"acceptor"});
  impl.thread = std::thread([&impl] { impl.io.run(); });
}

void ChatServer::stop() {
  auto& impl = *impl_;
  if (!impl.thread.joinable()) return;
  asio::post(impl.io, [&impl] {
    impl.stopping = true;
    asio::error_code ignored;
    impl.acceptor.close(ignored);
    impl.accept_retry.cancel();
    for (auto& [id, s] : impl.sessions) impl.close(*s);
  });
  impl.thread.join();
}

std::uint16_t ChatServer::port() const {
  return impl_->bound.port();
}

std::string ChatServer::host() const {
  return impl_->bound.address().to_string();
}

std::size_t ChatServer::connections() const {
  return impl_->connection_count.load(std::memory_order_relaxed);
}

}  // namespace remoto::services
