// Opening listening sockets for both connection models, with plain POSIX calls.
#include "remoto/net/detail/listener.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "remoto/errors.hpp"
#include "remoto/net/resolver.hpp"

namespace remoto::net::detail {

std::string host_port(std::string_view host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string_view::npos;
  std::string text;
  if (v6) text += '[';
  text += host;
  if (v6) text += ']';
  text += ':';
  text += std::to_string(port);
  return text;
}

namespace {

int open_socket(std::string_view host, std::uint16_t port, bool reuse_port, int backlog) {
  Address address = resolve(host);
  sockaddr_storage storage;
  std::size_t length = address.to_sockaddr(storage, port);
  auto fail = [&](const char* what, int err) -> CommunicationError {
    return CommunicationError(std::string(what) + " " + host_port(host, port) + ": " +
                              std::strerror(err));
  };
  int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw fail("socket", errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int err = errno;
    ::close(fd);
    throw fail("listen", err);
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&storage), static_cast<socklen_t>(length)) !=
          0 ||
      (backlog > 0 && ::listen(fd, backlog) != 0)) {
    int err = errno;
    ::close(fd);
    throw fail("listen", err);
  }
  return fd;
}

}  // namespace

int open_listener(std::string_view host, std::uint16_t port, bool reuse_port, int backlog) {
  return open_socket(host, port, reuse_port, backlog > 0 ? backlog : 1);
}

void check_port_free(std::string_view host, std::uint16_t port) {
  ::close(open_socket(host, port, /*reuse_port=*/false, /*backlog=*/0));  // bound, not listening
}

std::uint16_t local_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0)
    throw CommunicationError(std::string("getsockname: ") + std::strerror(errno));
  if (storage.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

unsigned io_thread_count(unsigned requested) noexcept {
  unsigned threads = requested != 0 ? requested : std::thread::hardware_concurrency();
  return std::max(threads, 1u);
}

std::vector<int> open_listeners(std::string_view host, std::uint16_t port, unsigned count) {
  if (port != 0) check_port_free(host, port);
  std::vector<int> fds;
  try {
    for (unsigned i = 0; i < count; ++i) {
      fds.push_back(open_listener(host, port, /*reuse_port=*/true));
      if (i == 0) port = local_port(fds[0]);
    }
  } catch (...) {
    for (int fd : fds) ::close(fd);
    throw;
  }
  return fds;
}

}  // namespace remoto::net::detail
