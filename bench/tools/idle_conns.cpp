// Holds many idle keep-alive HTTP connections open (bench/idle_memory.sh): opens N
// connections to an HTTP server, makes one GET on each and reads the whole response, then
// prints "ready N" and keeps them all open, silent, until SIGTERM or SIGINT (then closes them
// and exits 0). The caller measures the server's memory while they wait.
//
// Connects a batch at a time with non-blocking sockets and poll, so 10,000 connections take
// a second or two, not one round trip each in turn. Needs `ulimit -n` above N.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "idle_conns: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: idle_conns --port P [--host H] [--connections N] [--batch B]\n");
  std::exit(2);
}

// What one connection still has to do.
struct Connection {
  int fd = -1;
  std::string response;
};

// A response is complete once its head and Content-Length bytes of body are in.
bool response_complete(const std::string& r) {
  auto head_end = r.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::size_t length = 0;
  auto at = r.find("Content-Length:");
  if (at == std::string::npos) at = r.find("content-length:");
  if (at != std::string::npos && at < head_end)
    length = static_cast<std::size_t>(std::strtoul(r.c_str() + at + 15, nullptr, 10));
  return r.size() >= head_end + 4 + length;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  int total = 10000;
  int batch = 200;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--host")
      host = value();
    else if (arg == "--port")
      port = std::atoi(value());
    else if (arg == "--connections")
      total = std::atoi(value());
    else if (arg == "--batch")
      batch = std::atoi(value());
    else
      usage();
  }
  if (port <= 0 || total <= 0 || batch <= 0) usage();

  // Blocked now, taken by sigwait() at the end: a clean exit whenever the signal comes.
  sigset_t stop_signals;
  ::sigemptyset(&stop_signals);
  ::sigaddset(&stop_signals, SIGTERM);
  ::sigaddset(&stop_signals, SIGINT);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) usage();
  const std::string request = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";

  std::vector<int> open_fds;
  open_fds.reserve(static_cast<std::size_t>(total));
  char buffer[4096];
  while (static_cast<int>(open_fds.size()) < total) {
    int count = std::min(batch, total - static_cast<int>(open_fds.size()));
    std::vector<Connection> pending(static_cast<std::size_t>(count));
    for (auto& c : pending) {
      c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (c.fd < 0) die("socket");
      if (::connect(c.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
          errno != EINPROGRESS)
        die("connect");
    }
    // Wait until each is connected, send the request, then read until the response is whole.
    std::vector<int> state(pending.size(), 0);  // 0 connecting, 1 reading, 2 done
    std::size_t done = 0;
    while (done < pending.size()) {
      std::vector<pollfd> fds;
      std::vector<std::size_t> index;
      for (std::size_t i = 0; i < pending.size(); ++i) {
        if (state[i] == 2) continue;
        fds.push_back({pending[i].fd, static_cast<short>(state[i] == 0 ? POLLOUT : POLLIN), 0});
        index.push_back(i);
      }
      int n = ::poll(fds.data(), fds.size(), 10'000);
      if (n < 0 && errno != EINTR) die("poll");
      if (n == 0) {
        std::fprintf(stderr, "idle_conns: no progress for 10 s after %zu connections\n",
                     open_fds.size());
        return 1;
      }
      for (std::size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        std::size_t i = index[k];
        Connection& c = pending[i];
        if (state[i] == 0) {
          int error = 0;
          socklen_t length = sizeof error;
          ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
          if (error != 0) {
            errno = error;
            die("connect");
          }
          if (::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
              static_cast<ssize_t>(request.size()))
            die("send");
          state[i] = 1;
          continue;
        }
        ssize_t got = ::recv(c.fd, buffer, sizeof buffer, 0);
        if (got == 0) {
          std::fprintf(stderr, "idle_conns: the server closed connection %zu\n",
                       open_fds.size() + i);
          return 1;
        }
        if (got < 0) {
          if (errno == EAGAIN || errno == EINTR) continue;
          die("recv");
        }
        c.response.append(buffer, static_cast<std::size_t>(got));
        if (response_complete(c.response)) {
          if (c.response.compare(0, 12, "HTTP/1.1 200") != 0) {
            std::fprintf(stderr, "idle_conns: unexpected response: %.40s\n", c.response.c_str());
            return 1;
          }
          state[i] = 2;
          ++done;
        }
      }
    }
    for (auto& c : pending) open_fds.push_back(c.fd);
  }
  std::printf("ready %zu\n", open_fds.size());
  std::fflush(stdout);
  int signal = 0;
  ::sigwait(&stop_signals, &signal);  // idle until told to go
  for (int fd : open_fds) ::close(fd);
  return 0;
}
