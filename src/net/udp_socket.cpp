// UdpSocket on POSIX calls: getaddrinfo for names, poll() for receive timeouts.
#include "remoto/net/udp_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/net/resolver.hpp"

namespace remoto::net {

namespace {

std::string endpoint_text(std::string_view host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string_view::npos;
  std::string text = v6 ? "[" : "";
  text.append(host);
  text += v6 ? "]:" : ":";
  text += std::to_string(port);
  return text;
}

[[noreturn]] void fail(const std::string& what, int error) {
  throw CommunicationError(what + ": " + std::strerror(error));
}

struct Candidate {
  ::sockaddr_storage address;
  ::socklen_t length;
  int family;
};

// The addresses HOST resolves to, in getaddrinfo's order of preference, with PORT.
std::vector<Candidate> resolve_candidates(std::string_view host, std::uint16_t port) {
  std::vector<Candidate> out;
  for (const auto& address : resolve_all(host)) {
    Candidate c{};
    c.length = static_cast<::socklen_t>(address.to_sockaddr(c.address, port));
    c.family = address.is_v4() ? AF_INET : AF_INET6;
    out.push_back(c);
  }
  return out;
}

UdpEndpoint to_endpoint(const ::sockaddr_storage& storage, ::socklen_t length) {
  UdpEndpoint endpoint;
  auto* sa = reinterpret_cast<const ::sockaddr*>(&storage);
  if (auto address = Address::from_sockaddr(sa, length)) endpoint.address = *address;
  if (storage.ss_family == AF_INET && length >= sizeof(::sockaddr_in)) {
    endpoint.port = ntohs(reinterpret_cast<const ::sockaddr_in*>(&storage)->sin_port);
  } else if (storage.ss_family == AF_INET6 && length >= sizeof(::sockaddr_in6)) {
    endpoint.port = ntohs(reinterpret_cast<const ::sockaddr_in6*>(&storage)->sin6_port);
  }
  return endpoint;
}

// Opens a datagram socket for each candidate in turn until `setup` (bind or connect)
// succeeds; the error of the last candidate is reported.
template <class Setup>
int open_first(const std::string& what, std::vector<Candidate>& candidates, Setup setup) {
  int error = EADDRNOTAVAIL;
  for (auto& c : candidates) {
    int fd = ::socket(c.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = errno;
      continue;
    }
    if (setup(fd, c) == 0) return fd;
    error = errno;
    ::close(fd);
  }
  fail(what, error);
}

// Waits until fd is readable; false when `timeout` ran out first.
/// Waits until fd is readable (true) or the deadline passes (false; or an error, in ec).
bool wait_readable(int fd, std::chrono::steady_clock::time_point deadline, std::error_code& ec) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    ::pollfd p{fd, POLLIN, 0};
    // Round up so a sub-millisecond remainder does not turn into a busy loop.
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) {
      ec.assign(errno, std::generic_category());
      return false;
    }
    if (rc == 0 && std::chrono::steady_clock::now() >= deadline) return false;
  }
}

}  // namespace

std::string UdpEndpoint::to_string() const {
  return endpoint_text(address.to_string(), port);
}

UdpSocket::~UdpSocket() {
  close();
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), peer_(other.peer_) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    peer_ = other.peer_;
  }
  return *this;
}

void UdpSocket::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

UdpSocket UdpSocket::bind(std::string_view host, std::uint16_t port) {
  std::string what = "udp bind " + endpoint_text(host, port);
  auto candidates = resolve_candidates(host, port);
  int fd = open_first(what, candidates, [](int fd, Candidate& c) {
    return ::bind(fd, reinterpret_cast<const ::sockaddr*>(&c.address), c.length);
  });
  UdpSocket socket(fd);
  socket.peer_ = socket.local_endpoint();
  return socket;
}

UdpSocket UdpSocket::connect(std::string_view host, std::uint16_t port) {
  std::string what = "udp connect " + endpoint_text(host, port);
  auto candidates = resolve_candidates(host, port);
  UdpEndpoint peer;
  int fd = open_first(what, candidates, [&](int fd, Candidate& c) {
    peer = to_endpoint(c.address, c.length);
    return ::connect(fd, reinterpret_cast<const ::sockaddr*>(&c.address), c.length);
  });
  UdpSocket socket(fd);
  socket.peer_ = peer;
  return socket;
}

UdpEndpoint UdpSocket::local_endpoint() const {
  ::sockaddr_storage storage{};
  ::socklen_t length = sizeof storage;
  if (::getsockname(fd_, reinterpret_cast<::sockaddr*>(&storage), &length) != 0) {
    fail("udp getsockname", errno);
  }
  return to_endpoint(storage, length);
}

std::string UdpSocket::describe() const {
  return peer_.to_string();
}

void UdpSocket::send(std::span<const std::byte> data, std::error_code& ec) noexcept {
  ec.clear();
  for (;;) {
    if (::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) >= 0) return;
    if (errno != EINTR) break;
  }
  ec.assign(errno, std::generic_category());
}

void UdpSocket::send(std::span<const std::byte> data) {
  std::error_code ec;
  send(data, ec);
  if (ec) fail("udp send to " + describe(), ec.value());
}

void UdpSocket::send_to(std::span<const std::byte> data, const UdpEndpoint& to) {
  ::sockaddr_storage storage{};
  auto length = static_cast<::socklen_t>(to.address.to_sockaddr(storage, to.port));
  for (;;) {
    if (::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const ::sockaddr*>(&storage), length) >= 0) {
      return;
    }
    if (errno != EINTR) fail("udp send to " + to.to_string(), errno);
  }
}

std::optional<std::size_t> UdpSocket::receive(std::span<std::byte> buffer,
                                              std::chrono::milliseconds timeout,
                                              std::error_code& ec) noexcept {
  ec.clear();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!wait_readable(fd_, deadline, ec)) return std::nullopt;
    // MSG_TRUNC: the return value is the datagram's real size even when it was cut short.
    ::ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_TRUNC | MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    // EAGAIN: the datagram that woke poll() was taken by another reader or dropped (bad
    // checksum); wait again, until the same deadline.
    if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      ec.assign(errno, std::generic_category());
      return std::nullopt;
    }
  }
}

std::optional<std::size_t> UdpSocket::receive(std::span<std::byte> buffer,
                                              std::chrono::milliseconds timeout) {
  std::error_code ec;
  auto n = receive(buffer, timeout, ec);
  if (ec) fail("udp receive from " + describe(), ec.value());
  return n;
}

std::optional<UdpSocket::Received> UdpSocket::receive_from(std::span<std::byte> buffer,
                                                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::error_code ec;
    bool ready = wait_readable(fd_, deadline, ec);
    if (ec) fail("udp receive on " + describe(), ec.value());
    if (!ready) return std::nullopt;
    ::sockaddr_storage storage{};
    ::socklen_t length = sizeof storage;
    ::ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_TRUNC | MSG_DONTWAIT,
                             reinterpret_cast<::sockaddr*>(&storage), &length);
    if (n >= 0) return Received{static_cast<std::size_t>(n), to_endpoint(storage, length)};
    if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      fail("udp receive on " + describe(), errno);
    }
  }
}

}  // namespace remoto::net
