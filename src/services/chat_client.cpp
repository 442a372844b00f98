// The chat client: blocking POSIX calls and one poll() loop over the input and the socket, so
// it needs no threads and works with any kind of input descriptor (Asio cannot wait on a
// regular file).
#include "remoto/services/chat_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/net/resolver.hpp"
#include "remoto/services/chat_protocol.hpp"

namespace remoto::services {

namespace {

std::string endpoint_text(std::string_view host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string_view::npos;
  // Built by appending: g++ 12 -O3 warns falsely (-Wrestrict) on `const char* + std::string`.
  std::string text;
  if (v6) text += '[';
  text += host;
  text += v6 ? "]:" : ":";
  text += std::to_string(port);
  return text;
}

// Closes the descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int connect_to(std::string_view host, std::uint16_t port) {
  std::string what = "connect " + endpoint_text(host, port);
  int error = EADDRNOTAVAIL;
  for (const auto& address : net::resolve_all(host)) {
    ::sockaddr_storage storage{};
    auto length = static_cast<::socklen_t>(address.to_sockaddr(storage, port));
    int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = errno;
      continue;
    }
    int rc;
    do {
      rc = ::connect(fd, reinterpret_cast<const ::sockaddr*>(&storage), length);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    error = errno;
    ::close(fd);
  }
  throw CommunicationError(what + ": " + std::strerror(error));
}

// Writes all of `data`; false if the peer is gone (EPIPE, ECONNRESET).
bool write_all(int fd, std::string_view data, bool socket) {
  while (!data.empty()) {
    ::ssize_t n = socket ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL)
                         : ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ::pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, -1);
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

ChatClientEnd run_chat_client(const ChatClientOptions& options, int in_fd, int out_fd) {
  Fd sock{connect_to(options.host, options.port)};
  std::string where = endpoint_text(options.host, options.port);
  if (!write_all(sock.fd, options.nick + "\n", true)) {
    throw CommunicationError("send to " + where + ": " + std::strerror(errno));
  }

  std::vector<char> buffer(64 * 1024);
  std::string first_line;  // the server's first line, to tell a welcome from a refusal
  bool first_line_done = false;
  bool welcomed = false;
  bool input_open = true;
  char last_sent = '\n';  // to end an unterminated last input line before "/quit"
  auto quit_deadline = std::chrono::steady_clock::time_point::max();

  for (;;) {
    ::pollfd fds[2] = {{sock.fd, POLLIN, 0}, {in_fd, POLLIN, 0}};
    int timeout = -1;
    if (!input_open) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          quit_deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      timeout = static_cast<int>(left.count()) + 1;
    }
    int rc = ::poll(fds, input_open ? 2 : 1, timeout);
    if (rc < 0) {
      if (errno == EINTR) continue;
      throw CommunicationError(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[0].revents != 0) {
      ::ssize_t n = ::recv(sock.fd, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != ECONNRESET) {
        throw CommunicationError("receive from " + where + ": " + std::strerror(errno));
      }
      if (n <= 0) break;  // the server closed (or reset) the connection
      std::string_view data(buffer.data(), static_cast<std::size_t>(n));
      if (!first_line_done) {
        auto newline = data.find('\n');
        first_line.append(data.substr(0, newline));
        if (newline != std::string_view::npos || first_line.size() > 2 * chat_max_line) {
          first_line_done = true;
          welcomed = first_line.starts_with("* welcome ");
        }
      }
      write_all(out_fd, data, false);
    }
    if (input_open && fds[1].revents != 0) {
      ::ssize_t n = ::read(in_fd, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n > 0) {
        if (!write_all(sock.fd, std::string_view(buffer.data(), static_cast<std::size_t>(n)),
                       true)) {
          input_open = false;  // the server is gone; read what it said last, then stop
          quit_deadline = std::chrono::steady_clock::now() + options.quit_timeout;
          continue;
        }
        last_sent = buffer[static_cast<std::size_t>(n) - 1];
        continue;
      }
      // End of input (or a read error, which ends it just the same): say goodbye.
      input_open = false;
      write_all(sock.fd, last_sent == '\n' ? "/quit\n" : "\n/quit\n", true);
      quit_deadline = std::chrono::steady_clock::now() + options.quit_timeout;
    }
  }
  return welcomed ? ChatClientEnd::left : ChatClientEnd::refused;
}

}  // namespace remoto::services
