// The netcat-like client: one poll() loop over the input descriptor and the socket.
#include "remoto/services/tcp_pipe.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "remoto/errors.hpp"
#include "remoto/net/detail/listener.hpp"
#include "remoto/net/resolver.hpp"

namespace remoto::services {

namespace {

int connect_tcp(std::string_view host, std::uint16_t port) {
  int err = ECONNREFUSED;
  for (const net::Address& address : net::resolve_all(host)) {
    sockaddr_storage storage;
    std::size_t length = address.to_sockaddr(storage, port);
    int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int rc;
    do {
      rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&storage),
                     static_cast<socklen_t>(length));
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return fd;
    err = errno;
    ::close(fd);
  }
  throw CommunicationError("connect " + net::detail::host_port(host, port) + ": " +
                           std::strerror(err));
}

// Writes all of `data` to a blocking descriptor; false if the other side went away.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void pipe_tcp(std::string_view host, std::uint16_t port, int in, int out) {
  int fd = connect_tcp(host, port);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  static constexpr std::size_t buffer_size = 64 * 1024;
  auto from_socket = std::make_unique<char[]>(buffer_size);
  auto to_socket = std::make_unique<char[]>(buffer_size);
  std::size_t to_send = 0, sent = 0;  // input read but not yet sent: to_socket[sent, to_send)
  bool input_open = true;
  auto fail = [&](const char* what) {
    return CommunicationError(std::string(what) + " " + net::detail::host_port(host, port) + ": " +
                              std::strerror(errno));
  };
  for (;;) {
    // Never block in send(): while the server cannot take more, we must keep reading what it
    // sends back, or both sides wait on each other (an echo server with a large input).
    bool sending = sent < to_send;
    pollfd fds[2] = {{fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0},
                     {input_open && !sending ? in : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw fail("poll");
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(fd, from_socket.get(), buffer_size, MSG_DONTWAIT);
      if (n < 0 && errno != EINTR && errno != EAGAIN && errno != ECONNRESET)
        throw fail("receive from");
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return;  // the server closed: done
      if (n > 0 && !write_all(out, from_socket.get(), static_cast<std::size_t>(n))) return;
    }
    if (sending && (fds[0].revents & POLLOUT)) {
      ssize_t n = ::send(fd, to_socket.get() + sent, to_send - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno != EINTR && errno != EAGAIN) throw fail("send to");
      if (n > 0) sent += static_cast<std::size_t>(n);
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::read(in, to_socket.get(), buffer_size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // End of input: tell the server, then keep printing until it closes.
        input_open = false;
        ::shutdown(fd, SHUT_WR);
        continue;
      }
      sent = 0;
      to_send = static_cast<std::size_t>(n);
    }
  }
}

}  // namespace remoto::services
