// The event-driven connection model (see detail/event_server.hpp).
#include "remoto/net/detail/event_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <exception>
#include <thread>

#include "remoto/net/detail/listener.hpp"

namespace remoto::net::detail {

namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// The sweep runs a few times per idle timeout, so a deadline is kept to within a quarter of
// it, but never more often than every 10 ms nor less often than every second.
std::chrono::milliseconds tick_for(std::chrono::milliseconds idle_timeout) {
  using namespace std::chrono_literals;
  if (idle_timeout <= 0ms) return 1000ms;
  return std::clamp(idle_timeout / 4, std::chrono::milliseconds(10),
                    std::chrono::milliseconds(1000));
}

void log_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "remoto: connection failed: %s\n", ex.what());
  } catch (...) {
    std::fprintf(stderr, "remoto: connection failed\n");
  }
}

}  // namespace

/// One I/O thread: its io_context, its acceptor, its live connections and their sweep.
class EventWorker {
 public:
  EventWorker(const EventServer::Handler& handler, std::chrono::milliseconds idle_timeout,
              int listen_fd, bool v6)
      : handler_(handler), tick_(tick_for(idle_timeout)), acceptor_(io_), sweep_timer_(io_) {
    idle_ticks_ = idle_timeout.count() > 0 ? ticks(idle_timeout) : 0;
    acceptor_.assign(v6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), listen_fd);
  }

  void run() {
    asio::co_spawn(io_, accept_loop(), log_failure);
    asio::co_spawn(io_, sweep_loop(), log_failure);
    thread_ = std::jthread([this] {
      for (;;) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {  // a handler threw past its coroutine: keep serving
          std::fprintf(stderr, "remoto: I/O thread: %s\n", e.what());
        }
      }
    });
  }

  void stop_and_join() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  friend class ConnectionSlot;

  std::uint64_t ticks(std::chrono::milliseconds timeout) const {
    // +1: a deadline armed just before a tick still gets the whole timeout.
    return static_cast<std::uint64_t>((timeout + tick_ - std::chrono::milliseconds(1)) / tick_) + 1;
  }

  void link(ConnectionSlot& slot) noexcept {
    slot.next_ = head_;
    if (head_) head_->prev_ = &slot;
    head_ = &slot;
  }

  void unlink(ConnectionSlot& slot) noexcept {
    if (slot.prev_)
      slot.prev_->next_ = slot.next_;
    else
      head_ = slot.next_;
    if (slot.next_) slot.next_->prev_ = slot.prev_;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        // Out of descriptors or memory: back off instead of spinning on the ready listener.
        asio::steady_timer backoff(io_, std::chrono::milliseconds(50));
        co_await backoff.async_wait(use_tuple);
        continue;
      }
      asio::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      asio::co_spawn(io_, handler_(AcceptedSocket{this, std::move(socket)}), log_failure);
    }
  }

  asio::awaitable<void> sweep_loop() {
    for (;;) {
      sweep_timer_.expires_after(tick_);
      auto [ec] = co_await sweep_timer_.async_wait(use_tuple);
      if (ec) co_return;
      ++now_;
      for (ConnectionSlot* slot = head_; slot != nullptr; slot = slot->next_) {
        if (slot->deadline_ != 0 && slot->deadline_ <= now_) {
          slot->deadline_ = 0;
          slot->expired_ = true;
          asio::error_code ignored;
          slot->socket_.close(ignored);  // completions are posted, so the list stays intact
        }
      }
    }
  }

  const EventServer::Handler& handler_;
  std::chrono::milliseconds tick_;
  std::uint64_t idle_ticks_ = 0;
  std::uint64_t now_ = 1;  // sweep ticks since start
  // Declared before io_: the connection frames that io_ destroys unlink themselves from it.
  ConnectionSlot* head_ = nullptr;
  // Every socket of this io_context is used on its one thread only, so Asio may skip the
  // per-descriptor locks; the scheduler keeps its lock, so stop() from another thread is safe.
  asio::io_context io_{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  std::jthread thread_;
};

ConnectionSlot::ConnectionSlot(AcceptedSocket accepted) noexcept
    : worker_(*accepted.worker), socket_(std::move(accepted.socket)) {
  worker_.link(*this);
}

ConnectionSlot::~ConnectionSlot() {
  worker_.unlink(*this);
}

void ConnectionSlot::arm() noexcept {
  deadline_ = worker_.idle_ticks_ == 0 ? 0 : worker_.now_ + worker_.idle_ticks_;
}

void ConnectionSlot::arm(std::chrono::milliseconds timeout) noexcept {
  deadline_ = worker_.now_ + worker_.ticks(timeout);
}

EventServer::EventServer(ServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

EventServer::~EventServer() {
  stop();
}

std::uint16_t EventServer::start() {
  unsigned threads = options_.threads != 0 ? options_.threads : std::thread::hardware_concurrency();
  threads = std::max(threads, 1u);
  std::uint16_t port = options_.port;
  if (port != 0) check_port_free(options_.host, port);
  try {
    for (unsigned i = 0; i < threads; ++i) {
      int fd = open_listener(options_.host, port, /*reuse_port=*/true);
      sockaddr_storage storage{};
      socklen_t length = sizeof storage;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
      if (i == 0) port = local_port(fd);  // port 0: the others join the port the first got
      try {
        workers_.push_back(std::make_unique<EventWorker>(handler_, options_.idle_timeout, fd,
                                                         storage.ss_family == AF_INET6));
      } catch (...) {
        ::close(fd);
        throw;
      }
    }
  } catch (...) {
    workers_.clear();
    throw;
  }
  port_.store(port, std::memory_order_relaxed);
  for (auto& worker : workers_) worker->run();
  return port;
}

void EventServer::stop() {
  for (auto& worker : workers_) worker->stop_and_join();
  // With every thread joined, destroying the io_contexts destroys the connection frames,
  // which closes their sockets.
  workers_.clear();
}

}  // namespace remoto::net::detail
