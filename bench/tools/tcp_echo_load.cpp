// Load generator for a TCP echo server (bench/echo.sh): opens N connections, and on each one
// sends continuously while reading the echo back, for D seconds after a warm-up. Prints one
// line of key=value pairs; `received_per_second` is the echoed payload, one direction, in
// bytes per second (every byte crossed loopback twice: out and back).
//
// One thread, non-blocking sockets and edge-triggered epoll, so the client costs as few
// system calls as it can; run it on its own CPU (taskset) so it does not steal the server's.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 1;
  double duration = 5.0;
  double warmup = 1.0;
  std::size_t size = 64 * 1024;  // bytes per send() call
  bool verify = false;           // check that every byte comes back in order
};

// Bytes of the stream follow a fixed pattern, so the echo can be checked with one memcmp.
constexpr std::size_t pattern_period = 251;

struct Connection {
  int fd = -1;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  bool writable = true;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "tcp_echo_load: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: tcp_echo_load --port P [--host H] [--connections N] [--duration S]\n"
               "                     [--warmup S] [--size BYTES] [--verify]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--host")
      o.host = value();
    else if (arg == "--port")
      o.port = std::atoi(value());
    else if (arg == "--connections")
      o.connections = std::atoi(value());
    else if (arg == "--duration")
      o.duration = std::atof(value());
    else if (arg == "--warmup")
      o.warmup = std::atof(value());
    else if (arg == "--size")
      o.size = static_cast<std::size_t>(std::atol(value()));
    else if (arg == "--verify")
      o.verify = true;
    else
      usage();
  }
  if (o.port <= 0 || o.connections <= 0 || o.duration <= 0 || o.size == 0) usage();
  return o;
}

int connect_to(const Options& o) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &address.sin_addr) != 1) {
    std::fprintf(stderr, "tcp_echo_load: not an IPv4 address: %s\n", o.host.c_str());
    std::exit(2);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) die("fcntl");
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<char> pattern(o.size + pattern_period);
  for (std::size_t i = 0; i < pattern.size(); ++i)
    pattern[i] = static_cast<char>(i % pattern_period);
  std::vector<char> in(o.size);

  int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) die("epoll_create1");
  std::vector<Connection> connections(static_cast<std::size_t>(o.connections));
  for (std::size_t i = 0; i < connections.size(); ++i) {
    connections[i].fd = connect_to(o);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLET;
    event.data.u64 = i;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, connections[i].fd, &event) != 0) die("epoll_ctl");
  }

  auto start = Clock::now();
  auto measure_from = start + std::chrono::duration<double>(o.warmup);
  auto end = measure_from + std::chrono::duration<double>(o.duration);
  bool measuring = o.warmup <= 0;
  std::uint64_t received_total = 0, sent_total = 0;  // since measure_from
  std::uint64_t mismatches = 0;
  std::vector<epoll_event> events(connections.size());

  // Writes until the socket is full; reads until it is empty. Edge-triggered epoll tells us
  // when either can go on.
  auto pump_write = [&](Connection& c) {
    while (c.writable) {
      const char* data = pattern.data() + c.sent % pattern_period;
      ssize_t n = ::send(c.fd, data, o.size, MSG_NOSIGNAL);
      if (n > 0) {
        c.sent += static_cast<std::uint64_t>(n);
        if (measuring) sent_total += static_cast<std::uint64_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c.writable = false;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        die("send");
      }
    }
  };
  auto pump_read = [&](Connection& c) {
    for (;;) {
      ssize_t n = ::recv(c.fd, in.data(), in.size(), 0);
      if (n > 0) {
        if (o.verify && std::memcmp(in.data(), pattern.data() + c.received % pattern_period,
                                    static_cast<std::size_t>(n)) != 0)
          ++mismatches;
        c.received += static_cast<std::uint64_t>(n);
        if (measuring) received_total += static_cast<std::uint64_t>(n);
        if (static_cast<std::size_t>(n) < in.size()) return;  // drained
      } else if (n == 0) {
        std::fprintf(stderr, "tcp_echo_load: the server closed a connection\n");
        std::exit(1);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      } else if (errno != EINTR) {
        die("recv");
      }
    }
  };

  for (auto& c : connections) pump_write(c);
  for (;;) {
    auto now = Clock::now();
    if (!measuring && now >= measure_from) measuring = true;
    if (now >= end) break;
    auto until = measuring ? end : measure_from;
    int timeout_ms =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(until - now).count());
    int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      Connection& c = connections[events[i].data.u64];
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) pump_read(c);
      if (events[i].events & EPOLLOUT) {
        c.writable = true;
        pump_write(c);
      }
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - measure_from).count();
  std::printf(
      "connections=%d size=%zu seconds=%.3f bytes_sent=%llu bytes_received=%llu "
      "received_per_second=%.0f mismatches=%llu\n",
      o.connections, o.size, seconds, static_cast<unsigned long long>(sent_total),
      static_cast<unsigned long long>(received_total),
      static_cast<double>(received_total) / seconds, static_cast<unsigned long long>(mismatches));
  for (auto& c : connections) ::close(c.fd);
  ::close(epoll);
  return mismatches == 0 ? 0 : 1;
}
