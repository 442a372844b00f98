// The thread-per-connection model (see detail/threaded_server.hpp).
#include "remoto/net/detail/threaded_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "remoto/errors.hpp"
#include "remoto/net/detail/listener.hpp"

namespace remoto::net::detail {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t max_lingering = 64;  // rejected clients closing at once; more: closed hard
constexpr auto linger_time = std::chrono::seconds(1);

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1'000'000));
}

}  // namespace

BlockingConnection::BlockingConnection(int fd, int stop_fd,
                                       std::chrono::milliseconds idle_timeout) noexcept
    : fd_(fd), stop_fd_(stop_fd), idle_timeout_(idle_timeout) {}

BlockingConnection::~BlockingConnection() {
  ::close(fd_);
}

void BlockingConnection::arm() noexcept {
  if (idle_timeout_.count() > 0)
    arm(idle_timeout_);
  else
    armed_ = false;
}

void BlockingConnection::arm(std::chrono::milliseconds timeout) noexcept {
  deadline_ = Clock::now() + timeout;
  armed_ = true;
}

IoStatus BlockingConnection::wait(short events, int timeout_ms) noexcept {
  pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoStatus::error;
    }
    if (n == 0) return IoStatus::timeout;
    if (fds[1].revents != 0) return IoStatus::stopped;
    return IoStatus::ok;  // ready, or an error/hangup the next call will report
  }
}

IoStatus BlockingConnection::read_some(char* data, std::size_t size, std::size_t& n) noexcept {
  n = 0;
  for (;;) {
    IoStatus status = wait(POLLIN, armed_ ? ms_until(deadline_) : -1);
    if (status != IoStatus::ok) return status;
    ssize_t got = ::recv(fd_, data, size, MSG_DONTWAIT);
    if (got > 0) {
      n = static_cast<std::size_t>(got);
      return IoStatus::ok;
    }
    if (got == 0) return IoStatus::eof;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
    return IoStatus::error;
  }
}

IoStatus BlockingConnection::write_all(std::string_view data) noexcept {
  int timeout_ms = idle_timeout_.count() > 0 ? static_cast<int>(idle_timeout_.count()) : -1;
  while (!data.empty()) {
    ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return IoStatus::error;
    // The peer is not reading: wait for room, but not forever.
    IoStatus status = wait(POLLOUT, timeout_ms);
    if (status != IoStatus::ok) return status;
  }
  return IoStatus::ok;
}

void BlockingConnection::shutdown_send() noexcept {
  ::shutdown(fd_, SHUT_WR);
}

ThreadedServer::ThreadedServer(ServerOptions options, Handler handler, std::string busy_reply)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      busy_reply_(std::move(busy_reply)) {}

ThreadedServer::~ThreadedServer() {
  stop();
}

std::uint16_t ThreadedServer::start() {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) throw CommunicationError(std::string("eventfd: ") + std::strerror(errno));
  try {
    listen_fd_ = open_listener(options_.host, options_.port, /*reuse_port=*/false);
    port_ = local_port(listen_fd_);
  } catch (...) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    ::close(stop_fd_);
    listen_fd_ = stop_fd_ = -1;
    throw;
  }
  acceptor_ = std::jthread([this] { accept_loop(); });
  return port_;
}

void ThreadedServer::stop() {
  if (stop_fd_ < 0) return;
  std::uint64_t one = 1;
  // eventfd stays readable from now on, so every poll() in every thread returns.
  [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
  if (acceptor_.joinable()) acceptor_.join();
  std::list<std::jthread> sessions;
  {
    std::lock_guard lock(mutex_);
    sessions.swap(sessions_);
    finished_.clear();
  }
  sessions.clear();  // joins: each thread sees the stop descriptor and returns
  {
    std::lock_guard lock(mutex_);
    finished_.clear();  // what the joined threads recorded on their way out
  }
  for (auto& l : lingering_) ::close(l.fd);
  lingering_.clear();
  ::close(listen_fd_);
  ::close(stop_fd_);
  listen_fd_ = stop_fd_ = -1;
}

void ThreadedServer::reap() {
  std::list<std::jthread> done;
  {
    std::lock_guard lock(mutex_);
    for (auto it : finished_) done.splice(done.end(), sessions_, it);
    finished_.clear();
  }
  // `done` joins here, outside the lock: those threads have already left their handler.
}

void ThreadedServer::reject(int fd) {
  if (!busy_reply_.empty())
    ::send(fd, busy_reply_.data(), busy_reply_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  if (lingering_.size() >= max_lingering) {
    ::close(fd);
    return;
  }
  // Closing now, with the client's request unread, would send a reset that can destroy the
  // reply before the client reads it; wait (briefly) for the client's EOF instead.
  lingering_.push_back({fd, Clock::now() + linger_time});
}

void ThreadedServer::accept_loop() {
  std::vector<pollfd> fds;
  char sink[4096];
  for (;;) {
    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    fds.push_back({stop_fd_, POLLIN, 0});
    int timeout_ms = -1;
    for (auto& l : lingering_) {
      fds.push_back({l.fd, POLLIN, 0});
      int left = ms_until(l.until);
      timeout_ms = timeout_ms < 0 ? left : std::min(timeout_ms, left);
    }
    // Wake now and then to join finished threads even when no one connects.
    if (timeout_ms < 0 || timeout_ms > 1000) timeout_ms = 1000;
    int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "remoto: poll: %s\n", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    reap();

    auto now = Clock::now();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < lingering_.size(); ++i) {
      bool done = now >= lingering_[i].until;
      if (!done && fds[i + 2].revents != 0) {
        ssize_t got = ::recv(lingering_[i].fd, sink, sizeof sink, MSG_DONTWAIT);
        done = got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR);
      }
      if (done)
        ::close(lingering_[i].fd);
      else
        lingering_[kept++] = lingering_[i];
    }
    lingering_.resize(kept);

    if (n <= 0 || fds[0].revents == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        ::poll(nullptr, 0, 50);  // out of resources: back off instead of spinning
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    std::lock_guard lock(mutex_);
    if (sessions_.size() - finished_.size() >= options_.max_clients) {
      reject(fd);
      continue;
    }
    auto it = sessions_.emplace(sessions_.end());
    try {
      // The thread records its own end under mutex_, which we hold until *it is assigned.
      *it = std::jthread([this, it, fd] {
        {
          BlockingConnection connection(fd, stop_fd_, options_.idle_timeout);
          try {
            handler_(connection);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "remoto: connection failed: %s\n", e.what());
          }
        }
        std::lock_guard lock(mutex_);
        finished_.push_back(it);
      });
    } catch (const std::system_error& e) {  // no more threads: refuse this one
      sessions_.erase(it);
      std::fprintf(stderr, "remoto: cannot start a thread: %s\n", e.what());
      reject(fd);
    }
  }
}

}  // namespace remoto::net::detail
