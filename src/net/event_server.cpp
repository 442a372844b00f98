// The event-driven connection model (see detail/event_server.hpp).
#include "remoto/net/detail/event_server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <system_error>
#include <thread>

#include "remoto/net/detail/listener.hpp"
#include "session_io.hpp"

namespace remoto::net::detail {

namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr int max_accepts_in_a_row = 16;

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
      : handler_(handler),
        tick_(sweep_tick(idle_timeout)),
        protocol_(v6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4()),
        acceptor_(io_),
        sweep_timer_(io_),
        park_watch_(io_) {
    idle_ticks_ = idle_timeout.count() > 0 ? ticks(idle_timeout) : 0;
    acceptor_.assign(protocol_, listen_fd);
    acceptor_.non_blocking(true);  // accept4 below must not block
    int park_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (park_fd < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
    park_watch_.assign(park_fd);
  }

  // Runs on the controlling thread after stop_and_join(): the parked connections close here.
  ~EventWorker() {
    for (std::size_t fd = 0; fd < parked_.size(); ++fd) {
      if (parked_[fd].connection) ::close(static_cast<int>(fd));
    }
  }

  void run() {
    asio::co_spawn(io_, accept_loop(), log_failure);
    asio::co_spawn(io_, sweep_loop(), log_failure);
    watch_parked();
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
  friend class AcceptedSocket;

  struct Parked {
    std::unique_ptr<ParkedConnection> connection;
    std::uint64_t deadline = 0;  // in sweep ticks; 0: none
  };

  std::uint64_t idle_deadline() const noexcept { return idle_ticks_ == 0 ? 0 : now_ + idle_ticks_; }

  void park(int fd, std::unique_ptr<ParkedConnection> connection) {
    auto index = static_cast<std::size_t>(fd);
    if (index >= parked_.size()) parked_.resize(std::max(index + 1, parked_.size() * 2));
    ::epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;  // level-triggered: nothing to re-arm per request
    event.data.fd = fd;
    if (::epoll_ctl(park_watch_.native_handle(), EPOLL_CTL_ADD, fd, &event) != 0) {
      ::close(fd);
      return;
    }
    parked_[index] = {std::move(connection), idle_deadline()};
    ++parked_count_;
  }

  // The lot's epoll set is itself a descriptor Asio waits on: readable when any parked
  // connection is.
  void watch_parked() {
    park_watch_.async_wait(asio::posix::stream_descriptor::wait_read, [this](asio::error_code ec) {
      if (ec) return;  // stopping
      serve_parked();
      watch_parked();
    });
  }

  void serve_parked() {
    constexpr int max_events = 256;
    constexpr int max_rounds = 8;
    ::epoll_event events[max_events];
    int n;
    int rounds = 0;
    do {
      n = ::epoll_wait(park_watch_.native_handle(), events, max_events, 0);
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        auto index = static_cast<std::size_t>(fd);
        if (index >= parked_.size() || !parked_[index].connection) continue;
        ParkedConnection::Verdict verdict = ParkedConnection::Verdict::close;
        try {
          verdict = parked_[index].connection->readable(fd);
        } catch (...) {
          log_failure(std::current_exception());
        }
        switch (verdict) {
          case ParkedConnection::Verdict::stay:
            parked_[index].deadline = idle_deadline();
            break;
          case ParkedConnection::Verdict::close:
            unpark(index);
            ::close(fd);  // leaves the epoll set with it
            break;
          case ParkedConnection::Verdict::take: {
            std::unique_ptr<ParkedConnection> connection = unpark(index);
            ::epoll_ctl(park_watch_.native_handle(), EPOLL_CTL_DEL, fd, nullptr);
            try {
              connection->take(AcceptedSocket(this, fd));
            } catch (...) {  // the AcceptedSocket closed the descriptor
              log_failure(std::current_exception());
            }
            break;
          }
        }
      }
      // Under load, more requests arrive while a batch is served: looking again costs one
      // epoll_wait, going back through Asio three (its epoll_wait, ours, its re-arm). Bounded,
      // so the acceptor and the connections Asio serves get their turn.
    } while (n > 0 && ++rounds < max_rounds);
  }

  std::unique_ptr<ParkedConnection> unpark(std::size_t index) noexcept {
    --parked_count_;
    return std::move(parked_[index].connection);
  }

  void sweep_parked() {
    if (parked_count_ == 0) return;
    for (std::size_t fd = 0; fd < parked_.size(); ++fd) {
      Parked& p = parked_[fd];
      if (p.connection && p.deadline != 0 && p.deadline <= now_) {
        unpark(fd);
        ::close(static_cast<int>(fd));
      }
    }
  }

  std::uint64_t ticks(std::chrono::milliseconds timeout) const { return in_ticks(timeout, tick_); }

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

  // accept4 hands over non-blocking sockets (Asio's accept makes a separate ioctl for that)
  // that are not yet registered with the reactor (see AcceptedSocket). The loop takes every
  // pending connection before waiting again; a wait costs Asio an epoll_ctl to re-arm. It
  // accepts a batch before starting any of them: the later a connection's first read, the
  // likelier its request is there already, which spares parking it first.
  asio::awaitable<void> accept_loop() {
    const int listen_fd = acceptor_.native_handle();
    std::array<int, max_accepts_in_a_row> batch;
    for (;;) {
      std::size_t n = 0;
      int error = 0;
      while (n < batch.size()) {
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
          batch[n++] = fd;
        } else if (errno != EINTR && errno != ECONNABORTED) {
          error = errno;
          break;
        }
      }
      for (std::size_t i = 0; i < n; ++i) start(batch[i]);
      if (n == batch.size()) {
        // Under a flood of connections the backlog never empties: let the connections
        // already accepted, and the sweep, have their turn.
        co_await asio::post(io_, asio::use_awaitable);
        continue;
      }
      if (error == EAGAIN || error == EWOULDBLOCK) {
        auto [ec] = co_await acceptor_.async_wait(asio::ip::tcp::acceptor::wait_read, use_tuple);
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        continue;
      }
      // Out of descriptors or memory: back off instead of spinning on the ready listener.
      asio::steady_timer backoff(io_, std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      if (!acceptor_.is_open()) co_return;
    }
  }

  void start(int fd) {
    try {
      asio::awaitable<void> session = handler_(AcceptedSocket(this, fd));
      if (session.valid()) asio::co_spawn(io_, std::move(session), log_failure);
    } catch (...) {  // e.g. out of memory for one connection: keep accepting the others
      log_failure(std::current_exception());
    }
  }

  asio::awaitable<void> sweep_loop() {
    for (;;) {
      sweep_timer_.expires_after(tick_);
      auto [ec] = co_await sweep_timer_.async_wait(use_tuple);
      if (ec) co_return;
      ++now_;
      sweep_parked();
      for (ConnectionSlot* slot = head_; slot != nullptr; slot = slot->next_) {
        if (slot->deadline_ != 0 && slot->deadline_ <= now_) {
          slot->deadline_ = 0;
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
  asio::ip::tcp protocol_;
  // Declared before io_: the connection frames that io_ destroys unlink themselves from it.
  ConnectionSlot* head_ = nullptr;
  // Every socket of this io_context is used on its one thread only, so Asio may skip the
  // per-descriptor locks; the scheduler keeps its lock, so stop() from another thread is safe.
  asio::io_context io_{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  asio::posix::stream_descriptor park_watch_;  // owns the parking lot's epoll set
  std::vector<Parked> parked_;                 // by descriptor
  std::size_t parked_count_ = 0;
  std::jthread thread_;
};

AcceptedSocket::~AcceptedSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void AcceptedSocket::park(std::unique_ptr<ParkedConnection> connection) && {
  worker_->park(std::exchange(fd_, -1), std::move(connection));
}

ConnectionSlot::ConnectionSlot(AcceptedSocket accepted) noexcept
    : worker_(*accepted.worker_), socket_(worker_.io_) {
  asio::error_code ec;
  socket_.assign(worker_.protocol_, accepted.fd_, ec);  // registers it with the reactor
  // On failure the socket stays closed, so the handler's first operation fails; the
  // descriptor is then still the AcceptedSocket's, which closes it.
  if (!ec) accepted.fd_ = -1;
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
  std::vector<int> fds =
      open_listeners(options_.host, options_.port, io_thread_count(options_.threads));
  std::size_t taken = 0;  // the workers own the first `taken` descriptors
  try {
    for (; taken < fds.size(); ++taken) {
      sockaddr_storage storage{};
      socklen_t length = sizeof storage;
      ::getsockname(fds[taken], reinterpret_cast<sockaddr*>(&storage), &length);
      workers_.push_back(std::make_unique<EventWorker>(handler_, options_.idle_timeout, fds[taken],
                                                       storage.ss_family == AF_INET6));
    }
  } catch (...) {
    for (std::size_t i = taken; i < fds.size(); ++i) ::close(fds[i]);
    workers_.clear();
    throw;
  }
  std::uint16_t port = local_port(fds[0]);
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
