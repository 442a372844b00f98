// Load generator for a UDP echo server (bench/echo.sh): keeps a window of K datagrams of S
// bytes in flight on one connected socket, sends one more for every reply, and counts the
// replies per second for D seconds after a warm-up. Prints one line of key=value pairs.
//
// Datagrams can be lost (a full socket buffer drops them silently), which would shrink the
// window for good; so when nothing comes back for `--stall` milliseconds the window is
// presumed empty and refilled. Batches of sendmmsg / recvmmsg keep the client's own cost per
// datagram low; run it on its own CPU (taskset).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
  std::size_t size = 64;
  unsigned window = 256;
  unsigned batch = 32;
  double duration = 5.0;
  double warmup = 1.0;
  int stall_ms = 20;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "udp_echo_load: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: udp_echo_load --port P [--host H] [--size BYTES] [--window K]\n"
               "                     [--batch B] [--duration S] [--warmup S] [--stall MS]\n");
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
    else if (arg == "--size")
      o.size = static_cast<std::size_t>(std::atol(value()));
    else if (arg == "--window")
      o.window = static_cast<unsigned>(std::atoi(value()));
    else if (arg == "--batch")
      o.batch = static_cast<unsigned>(std::atoi(value()));
    else if (arg == "--duration")
      o.duration = std::atof(value());
    else if (arg == "--warmup")
      o.warmup = std::atof(value());
    else if (arg == "--stall")
      o.stall_ms = std::atoi(value());
    else
      usage();
  }
  if (o.port <= 0 || o.window == 0 || o.batch == 0 || o.duration <= 0 || o.size > 65507) usage();
  o.batch = std::min(o.batch, 1024u);  // UIO_MAXIOV
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &address.sin_addr) != 1) {
    std::fprintf(stderr, "udp_echo_load: not an IPv4 address: %s\n", o.host.c_str());
    return 2;
  }
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  int buffer = 4 << 20;  // capped by net.core.[rw]mem_max; a refusal only costs speed
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect");

  // Every datagram sent is the same payload; replies land in per-slot buffers one byte
  // longer than expected, so a reply of the wrong size shows up.
  std::vector<char> payload(o.size, 'x');
  std::vector<iovec> out_iov(o.batch, iovec{payload.data(), payload.size()});
  std::vector<mmsghdr> out(o.batch);
  for (unsigned i = 0; i < o.batch; ++i) {
    out[i].msg_hdr = msghdr{};
    out[i].msg_hdr.msg_iov = &out_iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
  std::vector<char> in_buffers((o.size + 1) * o.batch);
  std::vector<iovec> in_iov(o.batch);
  std::vector<mmsghdr> in(o.batch);
  for (unsigned i = 0; i < o.batch; ++i) {
    in_iov[i] = iovec{in_buffers.data() + i * (o.size + 1), o.size + 1};
    in[i].msg_hdr = msghdr{};
    in[i].msg_hdr.msg_iov = &in_iov[i];
    in[i].msg_hdr.msg_iovlen = 1;
  }

  auto start = Clock::now();
  auto measure_from = start + std::chrono::duration<double>(o.warmup);
  auto end = measure_from + std::chrono::duration<double>(o.duration);
  bool measuring = o.warmup <= 0;
  std::uint64_t in_flight = 0;
  std::uint64_t sent = 0, received = 0, wrong_size = 0, stalls = 0;  // since measure_from

  for (;;) {
    // Top the window up.
    while (in_flight < o.window) {
      auto want = static_cast<unsigned>(std::min<std::uint64_t>(o.batch, o.window - in_flight));
      int n = ::sendmmsg(fd, out.data(), want, 0);
      if (n > 0) {
        in_flight += static_cast<unsigned>(n);
        if (measuring) sent += static_cast<unsigned>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) break;
      if (n < 0 && (errno == EINTR || errno == ECONNREFUSED)) continue;
      die("sendmmsg");
    }
    int n = ::recvmmsg(fd, in.data(), o.batch, MSG_DONTWAIT, nullptr);
    auto now = Clock::now();
    if (!measuring && now >= measure_from) measuring = true;
    if (now >= end) break;
    if (n > 0) {
      for (int i = 0; i < n; ++i)
        if (in[i].msg_len != o.size) ++wrong_size;
      in_flight -= std::min<std::uint64_t>(in_flight, static_cast<unsigned>(n));
      if (measuring) received += static_cast<unsigned>(n);
      continue;
    }
    if (n < 0 && errno == ECONNREFUSED) {
      std::fprintf(stderr, "udp_echo_load: no server on port %d\n", o.port);
      return 1;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) die("recvmmsg");
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, o.stall_ms);
    if (ready == 0) {  // the window's datagrams are lost: start a new one
      in_flight = 0;
      if (measuring) ++stalls;
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - measure_from).count();
  std::printf(
      "size=%zu window=%u seconds=%.3f sent=%llu received=%llu received_per_second=%.0f "
      "wrong_size=%llu stalls=%llu\n",
      o.size, o.window, seconds, static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(received), static_cast<double>(received) / seconds,
      static_cast<unsigned long long>(wrong_size), static_cast<unsigned long long>(stalls));
  ::close(fd);
  return wrong_size == 0 ? 0 : 1;
}
