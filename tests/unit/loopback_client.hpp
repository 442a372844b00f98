// A tiny blocking TCP client for the unit tests of servers: connect to 127.0.0.1, send, and
// read with a deadline, so a broken server fails a test instead of hanging it.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace remoto::test {

class LoopbackClient {
 public:
  explicit LoopbackClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("connect failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~LoopbackClient() { close(); }
  LoopbackClient(const LoopbackClient&) = delete;
  LoopbackClient& operator=(const LoopbackClient&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Whatever arrives within `timeout` of the last byte, up to `limit` bytes; stops early at
  /// EOF (sets eof()) or once `limit` bytes are in.
  std::string receive(std::size_t limit,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    std::string data;
    char buffer[65536];
    while (data.size() < limit) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) break;
      ssize_t n = ::recv(fd_, buffer, std::min(sizeof buffer, limit - data.size()), 0);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
  }

  /// Reads until the peer closes (or the timeout passes without data).
  std::string receive_all(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    return receive(static_cast<std::size_t>(-1) / 2, timeout);
  }

  bool eof() const { return eof_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool eof_ = false;
};

}  // namespace remoto::test
