// UdpEchoServer: one io_context, socket and thread per worker. A worker's coroutine waits
// for readability with Asio, then drains the socket with recvmmsg and echoes each batch with
// sendmmsg, so a busy server makes two system calls per `batch` datagrams.
//
// Replies are sent with UDP generic segmentation offload (UDP_SEGMENT) where the batch allows:
// consecutive datagrams from one sender with one length (the last may be shorter) leave as one
// message that the kernel cuts into datagrams, which saves most of its per-datagram send cost
// (routing, headers, queueing: the bulk of an echo's CPU for small datagrams). The peer receives
// ordinary datagrams. Where the kernel or the device refuses GSO, the worker falls back to one
// message per datagram for good.
#include "remoto/services/udp_echo_server.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/net/detail/asio_address.hpp"
#include "remoto/net/resolver.hpp"
#include "remoto/services/detail/udp_gso.hpp"

namespace remoto::services {

namespace {

using asio::ip::udp;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
// Room for the largest datagram (65,507 bytes) with slack, so nothing is ever truncated.
constexpr std::size_t slot_size = 65536;

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// One socket and the thread that serves it.
class Worker {
 public:
  // Takes over `fd`, a bound datagram socket of `protocol`.
  Worker(const udp& protocol, int fd, unsigned batch)
      : socket_(io_, protocol, fd),
        // Not value-initialized: pages of a slot are only touched when a datagram that long
        // arrives, so small datagrams keep the resident size small.
        buffers_(new std::byte[slot_size * batch]),
        headers_(batch),
        iovecs_(batch),
        names_(batch),
        replies_(batch),
        controls_(batch),
        first_datagram_(batch) {
    for (unsigned i = 0; i < batch; ++i) {
      iovecs_[i].iov_base = buffers_.get() + i * slot_size;
      headers_[i].msg_hdr.msg_iov = &iovecs_[i];
      headers_[i].msg_hdr.msg_iovlen = 1;
      headers_[i].msg_hdr.msg_name = &names_[i];
    }
  }

  void start() {
    asio::co_spawn(io_, run(), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::fprintf(stderr, "udp echo: worker failed: %s\n", x.what());
      }
    });
    thread_ = std::thread([this] { io_.run(); });
  }

  // Closes the socket from its own thread (Asio sockets are not thread safe), which ends the
  // coroutine and with it io_.run(); then joins.
  void stop() {
    stopping_.store(true, std::memory_order_relaxed);
    asio::post(io_, [this] {
      asio::error_code ignored;
      socket_.close(ignored);
    });
    if (thread_.joinable()) thread_.join();
  }

  std::uint64_t echoed() const { return echoed_.load(std::memory_order_relaxed); }

 private:
  asio::awaitable<void> run() {
    int fd = socket_.native_handle();
    while (!stopping_.load(std::memory_order_relaxed)) {
      auto [ec] = co_await socket_.async_wait(udp::socket::wait_read, use_tuple);
      if (ec) co_return;  // closed by stop()
      // Drain what is queued, then go back to waiting; stop() is honoured between batches.
      while (!stopping_.load(std::memory_order_relaxed)) {
        int n = receive_batch(fd);
        if (n == 0) break;
        if (n < 0) co_return;
        co_await send_batch(fd, static_cast<unsigned>(n));
        echoed_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      }
    }
  }

  // Returns the number of datagrams received, 0 when the queue is empty, -1 on a fatal error.
  int receive_batch(int fd) {
    for (auto& h : headers_) {
      h.msg_hdr.msg_namelen = sizeof(::sockaddr_storage);
      h.msg_hdr.msg_iov->iov_len = slot_size;
      h.msg_hdr.msg_control = nullptr;
      h.msg_hdr.msg_controllen = 0;
      h.msg_hdr.msg_flags = 0;
    }
    for (;;) {
      int n = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(headers_.size()), MSG_DONTWAIT,
                         nullptr);
      if (n >= 0) return n;
      switch (errno) {
        case EAGAIN:
#if EAGAIN != EWOULDBLOCK
        case EWOULDBLOCK:
#endif
          return 0;
        case EBADF:
        case ENOTSOCK:
        case EINVAL:
        case EFAULT:
          return -1;
        default:
          // EINTR, or an error queued by an ICMP message (ECONNREFUSED...): the datagrams
          // behind it are still there.
          continue;
      }
    }
  }

  // Sends datagrams [0, n) back to their senders, each with the length it came with.
  asio::awaitable<void> send_batch(int fd, unsigned n) {
    for (unsigned i = 0; i < n; ++i) headers_[i].msg_hdr.msg_iov->iov_len = headers_[i].msg_len;
    unsigned messages = group_replies(0, n);
    unsigned sent = 0;
    while (sent < messages && !stopping_.load(std::memory_order_relaxed)) {
      int rc = ::sendmmsg(fd, replies_.data() + sent, messages - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (rc > 0) {
        sent += static_cast<unsigned>(rc);
      } else if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
        // The send buffer is full: wait for room rather than drop the echo.
        auto [ec] = co_await socket_.async_wait(udp::socket::wait_write, use_tuple);
        if (ec) co_return;
      } else if (rc < 0 && errno == EINTR) {
        continue;
      } else if (rc < 0 && gso_ && (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP) &&
                 replies_[sent].msg_hdr.msg_controllen != 0) {
        // This path cannot segment (no checksum offload on the device, an old kernel): resend
        // what is left one datagram per message, and stop trying GSO.
        gso_ = false;
        messages = group_replies(first_datagram_[sent], n);
        sent = 0;
      } else {
        // This datagram cannot go back (its sender's address is unreachable, say): skip it.
        ++sent;
      }
    }
  }

  // Fills replies_ with the messages that echo datagrams [first, n); returns how many.
  unsigned group_replies(unsigned first, unsigned n) {
    unsigned m = 0;
    for (unsigned i = first; i < n;) {
      const ::msghdr& in = headers_[i].msg_hdr;
      std::size_t size = in.msg_iov->iov_len;
      unsigned end = i + (gso_ ? detail::gso_group_length(&headers_[i], n - i) : 1);
      ::msghdr& out = replies_[m].msg_hdr;
      out = {};
      out.msg_name = in.msg_name;
      out.msg_namelen = in.msg_namelen;
      out.msg_iov = in.msg_iov;  // iovecs_ is contiguous, so [i, end) is one iovec array
      out.msg_iovlen = end - i;
      if (end - i > 1) {
        auto& control = controls_[m];
        out.msg_control = control.bytes;
        out.msg_controllen = sizeof control.bytes;
        ::cmsghdr* c = CMSG_FIRSTHDR(&out);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        auto segment = static_cast<std::uint16_t>(size);
        std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
      }
      first_datagram_[m] = i;
      ++m;
      i = end;
    }
    return m;
  }

  asio::io_context io_{1};
  udp::socket socket_;  // declared after io_: closed before the context goes
  std::unique_ptr<std::byte[]> buffers_;
  std::vector<::mmsghdr> headers_;
  std::vector<::iovec> iovecs_;
  std::vector<::sockaddr_storage> names_;
  // Control buffer of one reply message: room for a UDP_SEGMENT cmsg.
  struct Control {
    alignas(::cmsghdr) unsigned char bytes[CMSG_SPACE(sizeof(std::uint16_t))];
  };
  std::vector<::mmsghdr> replies_;        // the messages of the batch being echoed
  std::vector<Control> controls_;         // replies_[m]'s control buffer
  std::vector<unsigned> first_datagram_;  // replies_[m]'s first datagram in headers_
  bool gso_ = true;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> echoed_{0};
  std::thread thread_;
};

}  // namespace

namespace detail {

unsigned gso_group_length(const ::mmsghdr* datagrams, unsigned count) {
  const ::msghdr& first = datagrams[0].msg_hdr;
  std::size_t size = first.msg_iov->iov_len;
  if (size == 0) return 1;
  std::size_t total = size;
  unsigned end = 1;
  while (end < count && end < max_gso_segments) {
    const ::msghdr& next = datagrams[end].msg_hdr;
    std::size_t next_size = next.msg_iov->iov_len;
    if (next_size == 0 || next_size > size || total + next_size > max_gso_bytes) break;
    if (next.msg_namelen != first.msg_namelen ||
        std::memcmp(next.msg_name, first.msg_name, first.msg_namelen) != 0) {
      break;
    }
    total += next_size;
    ++end;
    if (next_size < size) break;  // only the last segment may be shorter
  }
  return end;
}

}  // namespace detail

struct UdpEchoServer::Impl {
  Options options;
  udp::endpoint bound;
  std::vector<std::unique_ptr<Worker>> workers;
  std::uint64_t echoed_by_stopped = 0;  // by the workers of earlier runs
};

UdpEchoServer::UdpEchoServer(Options options) : impl_(std::make_unique<Impl>()) {
  if (options.threads == 0) options.threads = 1;
  if (options.batch == 0) options.batch = 1;
  if (options.batch > 1024) options.batch = 1024;  // UIO_MAXIOV bounds recvmmsg's vlen
  impl_->options = std::move(options);
}

UdpEchoServer::~UdpEchoServer() {
  stop();
}

void UdpEchoServer::start() {
  auto& impl = *impl_;
  if (!impl.workers.empty()) return;
  const auto& o = impl.options;
  udp::endpoint endpoint(net::detail::to_asio(net::resolve(o.host)), o.port);
  std::vector<std::unique_ptr<Worker>> workers;
  // Sockets are set up on a scratch context and their descriptors handed to the workers,
  // because each worker's socket must belong to the io_context that worker owns.
  asio::io_context scratch(1);
  for (unsigned i = 0; i < o.threads; ++i) {
    asio::error_code ec;
    auto check = [&](const char* what) {
      if (ec) {
        throw CommunicationError("udp " + std::string(what) + " " + o.host + ":" +
                                 std::to_string(endpoint.port()) + ": " + ec.message());
      }
    };
    udp::socket socket(scratch);
    socket.open(endpoint.protocol(), ec);
    check("socket");
    if (o.threads > 1) {
      // Only with several sockets: SO_REUSEPORT would also let another process of this user
      // bind the port and take a share of the traffic.
      socket.set_option(ReusePort(true), ec);
      check("SO_REUSEPORT");
    }
    // Bigger buffers ride out bursts; the kernel caps them at net.core.[rw]mem_max, and a
    // refusal costs nothing but speed.
    socket.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
    socket.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
    ec.clear();
    socket.bind(endpoint, ec);
    check("bind");
    if (i == 0) endpoint = socket.local_endpoint();  // the others join the port it got
    int fd = socket.release(ec);
    check("socket");
    try {
      workers.push_back(std::make_unique<Worker>(endpoint.protocol(), fd, o.batch));
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  impl.bound = endpoint;
  impl.workers = std::move(workers);
  for (auto& w : impl.workers) w->start();
}

void UdpEchoServer::stop() {
  for (auto& w : impl_->workers) {
    w->stop();
    impl_->echoed_by_stopped += w->echoed();
  }
  impl_->workers.clear();
}

std::uint16_t UdpEchoServer::port() const {
  return impl_->bound.port();
}

std::string UdpEchoServer::host() const {
  return impl_->bound.address().to_string();
}

std::uint64_t UdpEchoServer::echoed() const {
  std::uint64_t total = impl_->echoed_by_stopped;
  for (const auto& w : impl_->workers) total += w->echoed();
  return total;
}

}  // namespace remoto::services
