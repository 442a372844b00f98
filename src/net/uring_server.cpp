// The event model's io_uring driver (see detail/uring_server.hpp).
//
// One round of a worker's loop: one io_uring_enter submits what the last round queued and
// waits for at least one completion; then every completion is handled, and the replies the
// round produced, which the sessions wrote one after another into one shared chunk, are
// queued as one send each. A send carries MSG_WAITALL, so the kernel finishes it whole (or
// fails it) however long the peer takes: a connection has at most one send in flight, and
// what its session answers meanwhile waits in the connection's own queue, whose size stops the
// connection's reading when the peer does not read (backpressure).
//
// Completions name their connection by descriptor and a 16-bit generation of the
// descriptor's slot, so a late completion for a closed connection is recognised even when a
// new connection got the same descriptor: it only gives back its buffer or its chunk.
#include "remoto/net/detail/uring_server.hpp"

#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "remoto/net/detail/listener.hpp"
#include "session_io.hpp"

namespace remoto::net::detail {

namespace {

// Ring sizes. The completion queue is larger than the submission queue: a round may complete
// a recv and a send for every live connection. Beyond it the kernel keeps completions itself
// (IORING_FEAT_NODROP), so this only bounds the mapped memory.
constexpr unsigned sq_entries = 1024;
constexpr unsigned cq_entries = 8192;

// Provided buffers, into which the multishot recvs read. 64 KiB each, so that bulk input
// (echo) comes in large pieces. A recv that finds none free ends with ENOBUFS: the pool then
// grows by a block, up to max_buffers. Only the pages a recv writes become resident, and a
// thread that received nothing for a whole tick gives them back (see trim_buffers), so idle
// connections cost no buffer memory.
constexpr unsigned buffer_size = 64 * 1024;
constexpr unsigned buffer_block = 16;
constexpr unsigned max_buffers = 512;  // the buffer ring's size (a power of two)
constexpr unsigned short buffer_group = 0;

// A connection whose own queue (replies waiting behind its send in flight) grows past this
// stops reading until the queue is sent.
constexpr std::size_t queue_limit = 1024 * 1024;
// A chunk of replies is sealed (its sends queued) once it is this large, so one stalled peer
// pins at most this much of other connections' sent replies.
constexpr std::size_t chunk_limit = 256 * 1024;
constexpr std::chrono::milliseconds accept_backoff{50};

// user_data: kind (4 bits) | chunk (12) | generation (16) | descriptor (32).
enum class Kind : std::uint8_t { accept = 1, recv, send, tick, stop, backoff, other };
constexpr std::uint32_t own_chunk = 0xfff;  // a send from the connection's own queue

constexpr std::uint64_t tag(Kind kind, int fd = 0, std::uint16_t gen = 0,
                            std::uint32_t chunk = 0) noexcept {
  return std::uint64_t(kind) << 60 | std::uint64_t(chunk & 0xfff) << 48 | std::uint64_t(gen) << 32 |
         static_cast<std::uint32_t>(fd);
}
Kind kind_of(std::uint64_t data) noexcept {
  return static_cast<Kind>(data >> 60);
}
std::uint32_t chunk_of(std::uint64_t data) noexcept {
  return (data >> 48) & 0xfff;
}
std::uint16_t gen_of(std::uint64_t data) noexcept {
  return (data >> 32) & 0xffff;
}
int fd_of(std::uint64_t data) noexcept {
  return static_cast<int>(data & 0xffffffff);
}

__kernel_timespec timespec_of(std::chrono::milliseconds d) {
  __kernel_timespec ts{};
  ts.tv_sec = d.count() / 1000;
  ts.tv_nsec = (d.count() % 1000) * 1'000'000;
  return ts;
}

void log_failure(const char* what) {
  std::fprintf(stderr, "remoto: connection failed: %s\n", what);
}

[[noreturn]] void throw_errno(int negative_error, const char* what) {
  throw std::system_error(-negative_error, std::system_category(), what);
}

/// The flags every ring here is made with: completions are handled only when the worker asks
/// (no interrupting task work), by the one thread that submits.
constexpr unsigned ring_flags =
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;

bool probe() noexcept {
  io_uring ring;
  io_uring_params params{};
  params.flags = ring_flags;
  params.cq_entries = 16;
  if (io_uring_queue_init_params(8, &ring, &params) != 0) return false;
  bool ok = false;
  int pair[2] = {-1, -1};
  void* ring_memory = nullptr;
  static char buffer[64];
  do {
    if ((params.features & (IORING_FEAT_NODROP | IORING_FEAT_CQE_SKIP)) !=
        (IORING_FEAT_NODROP | IORING_FEAT_CQE_SKIP))
      break;
    ring_memory = std::aligned_alloc(4096, 4096);
    if (!ring_memory) break;
    auto* buffers = static_cast<io_uring_buf_ring*>(ring_memory);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(buffers);
    reg.ring_entries = 1;
    reg.bgid = 0;
    if (io_uring_register_buf_ring(&ring, &reg, 0) != 0) break;
    io_uring_buf_ring_init(buffers);
    io_uring_buf_ring_add(buffers, buffer, sizeof buffer, 0, io_uring_buf_ring_mask(1), 0);
    io_uring_buf_ring_advance(buffers, 1);
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) break;
    if (::write(pair[1], "x", 1) != 1) break;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv_multishot(sqe, pair[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_cqe* cqe = nullptr;
    if (io_uring_submit_and_wait(&ring, 1) < 0 || io_uring_peek_cqe(&ring, &cqe) != 0) break;
    ok = cqe->res == 1 && (cqe->flags & IORING_CQE_F_MORE) && (cqe->flags & IORING_CQE_F_BUFFER);
  } while (false);
  if (pair[0] >= 0) ::close(pair[0]);
  if (pair[1] >= 0) ::close(pair[1]);
  io_uring_queue_exit(&ring);  // cancels the recv before its buffer ring goes
  std::free(ring_memory);
  return ok;
}

}  // namespace

bool uring_supported() noexcept {
  static const bool supported = probe();
  return supported;
}

class UringServer::Worker {
 public:
  Worker(const SessionFactory& factory, std::chrono::milliseconds idle_timeout, int listen_fd)
      : factory_(factory), tick_(sweep_tick(idle_timeout)), listen_fd_(listen_fd) {
    idle_ticks_ = idle_timeout.count() > 0 ? ticks(idle_timeout) : 0;
    linger_ticks_ = ticks(std::chrono::duration_cast<std::chrono::milliseconds>(linger_time));
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (stop_fd_ < 0) {
      int error = errno;
      ::close(listen_fd_);
      throw std::system_error(error, std::system_category(), "eventfd");
    }
  }

  ~Worker() {
    stop_and_join();
    ::close(listen_fd_);
    ::close(stop_fd_);
  }

  /// Starts the thread, which sets up its ring; rethrows what failed there.
  void start() {
    std::promise<void> ready;
    std::future<void> set_up = ready.get_future();
    thread_ = std::thread([this, &ready] { run(ready); });
    try {
      set_up.get();
    } catch (...) {
      thread_.join();
      throw;
    }
  }

  void stop_and_join() {
    if (!thread_.joinable()) return;
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }

 private:
  /// What a connection needs only now and then, allocated the first time.
  struct Spill {
    std::string pending;  // the unfinished message
    std::string queued;   // replies waiting behind the send in flight
    std::string sending;  // the send in flight from this connection's own queue
  };

  struct Connection {
    std::unique_ptr<StreamSession> session;
    std::unique_ptr<Spill> spill;
    std::uint64_t deadline = 0;  // in ticks; 0: none
    Nagle nagle;
    bool sending = false;       // a reply is in this round's chunk or in flight
    bool closing = false;       // the session closed: no more input is fed
    bool close_after = false;   // close when the send in flight is done,
    bool linger_after = false;  // gracefully
    bool lingering = false;     // FIN sent; input is read and dropped until EOF
    bool receiving = false;     // a multishot recv is armed
    bool paused = false;        // its recv was cancelled: the peer does not read

    Spill& spilled() {
      if (!spill) spill = std::make_unique<Spill>();
      return *spill;
    }
  };

  struct Chunk {
    std::string bytes;
    std::uint32_t in_flight = 0;  // sends from it not yet completed
  };

  /// A reply of this round, written at bytes[offset, offset + length) of the current chunk.
  struct Reply {
    int fd;
    std::uint16_t gen;
    std::uint32_t offset;
    std::uint32_t length;
  };

  // --- setup and teardown ------------------------------------------------------------------

  void run(std::promise<void>& ready) {
    try {
      set_up();
    } catch (...) {
      tear_down();
      ready.set_exception(std::current_exception());
      return;
    }
    ready.set_value();
    try {
      loop();
    } catch (const std::exception& e) {  // out of memory for our own tables: give up serving
      std::fprintf(stderr, "remoto: I/O thread: %s\n", e.what());
    }
    tear_down();
  }

  void set_up() {
    io_uring_params params{};
    params.flags = ring_flags;
    params.cq_entries = cq_entries;
    if (int r = io_uring_queue_init_params(sq_entries, &ring_, &params); r != 0)
      throw_errno(r, "io_uring_setup");
    ring_ready_ = true;
    io_uring_register_ring_fd(&ring_);  // optional: spares a descriptor lookup per enter
    buffer_ring_memory_ = std::aligned_alloc(4096, max_buffers * sizeof(io_uring_buf));
    if (!buffer_ring_memory_) throw std::bad_alloc();
    buffer_ring_ = static_cast<io_uring_buf_ring*>(buffer_ring_memory_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(buffer_ring_);
    reg.ring_entries = max_buffers;
    reg.bgid = buffer_group;
    if (int r = io_uring_register_buf_ring(&ring_, &reg, 0); r != 0)
      throw_errno(r, "io_uring_register_buf_ring");
    io_uring_buf_ring_init(buffer_ring_);
    add_buffers();
    chunks_.push_back(std::make_unique<Chunk>());
    arm_accept();
    arm_tick();
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_read(sqe, stop_fd_, &stop_value_, sizeof stop_value_, 0);
    io_uring_sqe_set_data64(sqe, tag(Kind::stop));
  }

  void tear_down() {
    if (ring_ready_) {
      // Shut every socket down, so that the kernel ends the operations on them (a recv sees
      // EOF, a send fails), then wait a little for the sends, whose bytes are ours.
      ::shutdown(listen_fd_, SHUT_RDWR);
      for (std::size_t fd = 0; fd < connections_.size(); ++fd)
        if (connections_[fd]) ::shutdown(static_cast<int>(fd), SHUT_RDWR);
      for (int i = 0; i < 50 && sends_in_flight_ > 0; ++i) {
        __kernel_timespec ts = timespec_of(std::chrono::milliseconds(10));
        io_uring_cqe* cqe = nullptr;
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
        unsigned head, n = 0;
        io_uring_for_each_cqe(&ring_, head, cqe) {
          ++n;
          if (kind_of(cqe->user_data) == Kind::send) send_done(*cqe, /*serving=*/false);
        }
        io_uring_cq_advance(&ring_, n);
      }
      io_uring_queue_exit(&ring_);
      ring_ready_ = false;
    }
    for (std::size_t fd = 0; fd < connections_.size(); ++fd) {
      if (connections_[fd]) {
        ::close(static_cast<int>(fd));
        delete connections_[fd];
        connections_[fd] = nullptr;
      }
    }
    std::free(buffer_ring_memory_);
    buffer_ring_memory_ = nullptr;
  }

  // --- the loop ------------------------------------------------------------------------------

  void loop() {
    while (!stopping_) {
      int r = io_uring_submit_and_wait(&ring_, 1);
      if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) throw_errno(r, "io_uring_enter");
      unsigned head, n = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++n;
        handle(*cqe);
      }
      io_uring_cq_advance(&ring_, n);
      seal_chunk();
      if (short_of_buffers_) {  // one block per round: the recvs that found none gave theirs back
        add_buffers();
        short_of_buffers_ = false;
      }
      if (!rearm_.empty()) {
        for (auto [fd, gen] : rearm_)
          if (Connection* c = live(fd, gen); c && !c->receiving && !c->paused) arm_recv(fd, *c);
        rearm_.clear();
      }
    }
  }

  void handle(const io_uring_cqe& cqe) {
    switch (kind_of(cqe.user_data)) {
      case Kind::accept:
        accepted(cqe);
        break;
      case Kind::recv:
        received(cqe);
        break;
      case Kind::send:
        send_done(cqe, /*serving=*/true);
        break;
      case Kind::tick:
        ++now_;
        sweep();
        if (buffers_dirty_ && !received_this_tick_) {
          trim_buffers();
          buffers_dirty_ = false;
        }
        received_this_tick_ = false;
        arm_tick();
        break;
      case Kind::backoff:
        arm_accept();
        break;
      case Kind::stop:
        stopping_ = true;
        break;
      case Kind::other:  // a close, shutdown or cancel that failed: nothing to do
        break;
    }
  }

  // --- accepting -------------------------------------------------------------------------------

  void arm_accept() {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, tag(Kind::accept));
  }

  void accepted(const io_uring_cqe& cqe) {
    if (cqe.res >= 0) open(cqe.res);
    if (cqe.flags & IORING_CQE_F_MORE) return;
    if (stopping_) return;
    if (cqe.res >= 0 || cqe.res == -EINTR || cqe.res == -ECONNABORTED) {
      arm_accept();
      return;
    }
    // Out of descriptors or memory: back off instead of spinning on the ready listener.
    backoff_ts_ = timespec_of(accept_backoff);
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_timeout(sqe, &backoff_ts_, 0, 0);
    io_uring_sqe_set_data64(sqe, tag(Kind::backoff));
  }

  void open(int fd) {
    auto index = static_cast<std::size_t>(fd);
    if (index >= connections_.size()) {
      std::size_t size = std::max(index + 1, connections_.size() * 2);
      connections_.resize(size, nullptr);
      gens_.resize(size, 0);
    }
    Connection* c = nullptr;
    try {
      c = new Connection;
      c->session = factory_();
    } catch (const std::exception& e) {  // e.g. out of memory for one connection
      delete c;
      log_failure(e.what());
      ::close(fd);
      return;
    }
    connections_[index] = c;
    c->deadline = idle_deadline();
    arm_recv(fd, *c);
  }

  // --- receiving --------------------------------------------------------------------------------

  void arm_recv(int fd, Connection& c) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = buffer_group;
    io_uring_sqe_set_data64(sqe, tag(Kind::recv, fd, gen(fd)));
    c.receiving = true;
  }

  void received(const io_uring_cqe& cqe) {
    const int fd = fd_of(cqe.user_data);
    const bool more = cqe.flags & IORING_CQE_F_MORE;
    const char* data = nullptr;
    unsigned buffer_id = 0;
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      buffer_id = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      data = buffers_[buffer_id];
    }
    if (data) buffers_dirty_ = received_this_tick_ = true;
    Connection* c = live(fd, gen_of(cqe.user_data));
    if (c && !more) c->receiving = false;
    if (c && cqe.res > 0) serve(fd, *c, data, static_cast<std::size_t>(cqe.res));
    if (data) give_back(buffer_id);
    c = live(fd, gen_of(cqe.user_data));  // serve() may have closed it
    if (!c || cqe.res > 0) {
      if (c && !more && !c->paused) rearm_.push_back({fd, gen(fd)});
      return;
    }
    switch (cqe.res) {
      case -ENOBUFS:  // every buffer was taken: more, and read again after this round
        short_of_buffers_ = true;
        rearm_.push_back({fd, gen(fd)});
        return;
      case -ECANCELED:  // paused (see queue_limit); a lingering one reads on until EOF
        if (c->lingering) rearm_.push_back({fd, gen(fd)});
        return;
      case 0:  // EOF: the reply in flight, if any, still goes out
        if (c->sending && !c->lingering) {
          c->closing = c->close_after = true;
          c->linger_after = false;
          return;
        }
        close(fd);
        return;
      default:  // reset or another error
        close(fd);
        return;
    }
  }

  /// Feeds what a recv got to the session and files its answer: in the round's chunk if the
  /// connection has no send under way, else behind that send in its own queue.
  void serve(int fd, Connection& c, const char* data, std::size_t n) {
    if (c.closing) return;  // lingering, or closed by the session: input is dropped
    std::string& pending = c.spill ? c.spill->pending : scratch_pending_;
    scratch_pending_.clear();
    const bool own = c.sending;
    std::string& out = own ? c.spilled().queued : chunks_[chunk_]->bytes;
    const std::size_t before = out.size();
    FeedResult result;
    try {
      result = detail::feed(*c.session, pending, data, n, out);
    } catch (const std::exception& e) {
      log_failure(e.what());
      out.resize(before);
      close(fd);
      return;
    }
    if (!scratch_pending_.empty()) c.spilled().pending = std::move(scratch_pending_);
    const std::size_t length = out.size() - before;
    if (result.idle) c.deadline = idle_deadline();
    if (length > 0) {
      c.nagle.before_reply(fd);
      if (!own) {
        replies_.push_back(
            {fd, gen(fd), static_cast<std::uint32_t>(before), static_cast<std::uint32_t>(length)});
        c.sending = true;
      }
    }
    if (result.close) {
      c.closing = true;
      const bool linger = must_linger(result, n, buffer_size);
      if (!c.sending) {
        finish(fd, c, linger);
        return;
      }
      c.close_after = true;
      c.linger_after = linger;
      return;
    }
    if (own && c.spill->queued.size() > queue_limit && c.receiving && !c.paused) {
      c.paused = true;
      io_uring_sqe* sqe = next_sqe();
      io_uring_prep_cancel64(sqe, tag(Kind::recv, fd, gen(fd)), 0);
      sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
      io_uring_sqe_set_data64(sqe, tag(Kind::other, fd));
    }
    if (!own && chunks_[chunk_]->bytes.size() >= chunk_limit) seal_chunk();
  }

  // --- sending ----------------------------------------------------------------------------------

  /// Queues a send for every reply of the round (their bytes stay put from now on) and starts
  /// a new chunk for the next round.
  void seal_chunk() {
    if (replies_.empty()) {
      chunks_[chunk_]->bytes.clear();
      return;
    }
    Chunk& chunk = *chunks_[chunk_];
    for (const Reply& reply : replies_) {
      Connection* c = live(reply.fd, reply.gen);
      if (!c) continue;  // closed since (a reset)
      // A connection's last reply (the session closed, and nothing waits behind the reply):
      // the close goes in the same submission, hard-linked after the send, so the FIN
      // follows the reply at once, as after a blocking send and close.
      const bool last = c->close_after && !(c->spill && !c->spill->queued.empty());
      if (last && io_uring_sq_space_left(&ring_) < 3) io_uring_submit(&ring_);
      io_uring_sqe* sqe = send(reply.fd, chunk.bytes.data() + reply.offset, reply.length, chunk_);
      ++chunk.in_flight;
      if (!last) continue;
      sqe->flags |= IOSQE_IO_HARDLINK;
      if (c->linger_after) {
        c->close_after = false;
        linger(reply.fd, *c);
      } else {
        release(reply.fd);
        queue_close(reply.fd);
      }
    }
    replies_.clear();
    // The next chunk: a free one, or a new one.
    std::size_t next = chunks_.size();
    for (std::size_t i = 0; i < chunks_.size(); ++i) {
      if (chunks_[i]->in_flight == 0 && i != chunk_) {
        next = i;
        break;
      }
    }
    if (chunk.in_flight == 0) next = chunk_;  // every reply was for a closed connection
    if (next == chunks_.size()) {
      if (chunks_.size() >= own_chunk) throw std::runtime_error("too many replies in flight");
      chunks_.push_back(std::make_unique<Chunk>());
    }
    chunk_ = next;
    chunks_[chunk_]->bytes.clear();
  }

  io_uring_sqe* send(int fd, const char* data, std::size_t length, std::size_t chunk) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_send(sqe, fd, data, length, MSG_NOSIGNAL | MSG_WAITALL);
    io_uring_sqe_set_data64(sqe, tag(Kind::send, fd, gen(fd), static_cast<std::uint32_t>(chunk)));
    ++sends_in_flight_;
    return sqe;
  }

  /// A send completed (whole, or failed). `serving`: false during teardown.
  void send_done(const io_uring_cqe& cqe, bool serving) {
    --sends_in_flight_;
    const std::uint32_t chunk = chunk_of(cqe.user_data);
    const int fd = fd_of(cqe.user_data);
    if (chunk == own_chunk) {
      if (auto it = orphans_.find(cqe.user_data); it != orphans_.end()) {
        orphans_.erase(it);  // its connection is gone; so is now the buffer
        return;
      }
    } else {
      Chunk& c = *chunks_[chunk];
      if (--c.in_flight == 0 && chunk != chunk_) c.bytes.clear();
      if (c.bytes.capacity() > 4 * chunk_limit && c.in_flight == 0 && chunk != chunk_)
        std::string().swap(c.bytes);  // a burst's chunk: give the memory back
    }
    Connection* c = live(fd, gen_of(cqe.user_data));
    if (!c || !serving) return;
    if (cqe.res < 0) {  // reset, or shut down by a sweep
      close(fd);
      return;
    }
    c->sending = false;
    if (c->spill) c->spill->sending.clear();  // capacity kept for the next (see sweep)
    if (c->spill && !c->spill->queued.empty()) {
      // The connection's own queue goes next, from its own buffer.
      std::swap(c->spill->sending, c->spill->queued);
      if (!c->nagle.off) c->nagle.turn_off(fd);  // replies in pieces now
      c->deadline = idle_deadline();
      send(fd, c->spill->sending.data(), c->spill->sending.size(), own_chunk);
      c->sending = true;
      return;
    }
    if (c->close_after) {
      finish(fd, *c, c->linger_after);
      return;
    }
    if (c->paused) {  // the queue is empty again: read on
      c->paused = false;
      if (!c->receiving) arm_recv(fd, *c);
    }
  }

  // --- closing ----------------------------------------------------------------------------------

  /// The session is done and every reply sent: close, or linger.
  void finish(int fd, Connection& c, bool linger_first) {
    if (linger_first)
      linger(fd, c);
    else
      close(fd);
  }

  /// Closes gracefully: FIN (queued now, after any send queued before it), then reads and
  /// drops until the peer's EOF or linger_time, so that unread input does not turn the close
  /// into a reset that could destroy the reply before the peer reads it.
  void linger(int fd, Connection& c) {
    c.closing = c.lingering = true;
    c.deadline = now_ + linger_ticks_;
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_shutdown(sqe, fd, SHUT_WR);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, tag(Kind::other, fd));
    if (!c.receiving && !c.paused) rearm_.push_back({fd, gen(fd)});
    c.paused = false;
  }

  /// Closes the connection now.
  void close(int fd) {
    release(fd);
    if (io_uring_sq_space_left(&ring_) < 2) io_uring_submit(&ring_);
    queue_close(fd);
  }

  /// Frees the connection's slot: what completes later for it is recognised by its old
  /// generation. The buffer of a send still in flight from its own queue is kept until then.
  void release(int fd) {
    auto index = static_cast<std::size_t>(fd);
    Connection* c = connections_[index];
    if (c->sending && c->spill && !c->spill->sending.empty())  // (a short one is inside Spill)
      orphans_.emplace(tag(Kind::send, fd, gen(fd), own_chunk), std::move(c->spill));
    connections_[index] = nullptr;
    ++gens_[index];
    delete c;
  }

  /// Queues shutdown, then close (hard-linked: the close happens whatever the shutdown
  /// says). The shutdown ends the connection's recv, which holds the socket open past a
  /// close, and sends FIN at once.
  void queue_close(int fd) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_shutdown(sqe, fd, SHUT_RDWR);
    sqe->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, tag(Kind::other, fd));
    sqe = next_sqe();
    io_uring_prep_close(sqe, fd);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, tag(Kind::other, fd));
  }

  // --- time -------------------------------------------------------------------------------------

  void arm_tick() {
    tick_ts_ = timespec_of(tick_);
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_timeout(sqe, &tick_ts_, 0, 0);
    io_uring_sqe_set_data64(sqe, tag(Kind::tick));
  }

  /// Closes the connections whose deadline passed, and frees the strings of those with
  /// nothing pending or queued (kept between sends while a connection is busy, so that a
  /// stream does not allocate per send).
  void sweep() {
    for (std::size_t fd = 0; fd < connections_.size(); ++fd) {
      Connection* c = connections_[fd];
      if (!c) continue;
      if (c->deadline != 0 && c->deadline <= now_) {
        close(static_cast<int>(fd));
      } else if (c->spill && !c->sending && c->spill->pending.empty() && c->spill->queued.empty()) {
        c->spill.reset();
      }
    }
  }

  std::uint64_t ticks(std::chrono::milliseconds timeout) const { return in_ticks(timeout, tick_); }

  std::uint64_t idle_deadline() const noexcept { return idle_ticks_ == 0 ? 0 : now_ + idle_ticks_; }

  // --- plumbing ---------------------------------------------------------------------------------

  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (!sqe) {  // the queue is full: hand it to the kernel now
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  Connection* live(int fd, std::uint16_t generation) const noexcept {
    auto index = static_cast<std::size_t>(fd);
    if (index >= connections_.size() || gens_[index] != generation) return nullptr;
    return connections_[index];
  }

  std::uint16_t gen(int fd) const noexcept { return gens_[static_cast<std::size_t>(fd)]; }

  /// Buffer memory: anonymous pages of their own, so that trim_buffers can give them back.
  struct Block {
    void* pages = MAP_FAILED;
    explicit Block(std::size_t size)
        : pages(::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) {
      if (pages == MAP_FAILED) throw std::bad_alloc();
    }
    ~Block() { ::munmap(pages, block_bytes); }
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;
  };
  static constexpr std::size_t block_bytes = std::size_t(buffer_block) * buffer_size;

  void add_buffers() {
    if (buffers_.size() >= max_buffers) return;
    auto block = std::make_unique<Block>(block_bytes);
    auto* base = static_cast<char*>(block->pages);
    for (unsigned i = 0; i < buffer_block; ++i) {
      auto id = static_cast<unsigned short>(buffers_.size());
      buffers_.push_back(base + std::size_t(i) * buffer_size);
      io_uring_buf_ring_add(buffer_ring_, buffers_.back(), buffer_size, id,
                            io_uring_buf_ring_mask(max_buffers), static_cast<int>(i));
    }
    io_uring_buf_ring_advance(buffer_ring_, buffer_block);
    blocks_.push_back(std::move(block));
  }

  /// Gives the pool's pages back to the kernel; the next recv into a buffer gets a fresh zero
  /// page. Safe between rounds: every buffer is then back in the ring, and the kernel only
  /// writes into one while this thread is in io_uring_enter (deferred task work).
  void trim_buffers() {
    for (auto& block : blocks_) ::madvise(block->pages, block_bytes, MADV_DONTNEED);
  }

  void give_back(unsigned id) {
    io_uring_buf_ring_add(buffer_ring_, buffers_[id], buffer_size, static_cast<unsigned short>(id),
                          io_uring_buf_ring_mask(max_buffers), 0);
    io_uring_buf_ring_advance(buffer_ring_, 1);
  }

  const SessionFactory& factory_;
  std::chrono::milliseconds tick_;
  std::uint64_t idle_ticks_ = 0;
  std::uint64_t linger_ticks_ = 0;
  std::uint64_t now_ = 1;  // ticks since start
  int listen_fd_;
  int stop_fd_ = -1;
  std::uint64_t stop_value_ = 0;
  bool stopping_ = false;
  bool short_of_buffers_ = false;
  bool buffers_dirty_ = false;       // a recv wrote into the pool since the last trim
  bool received_this_tick_ = false;  // one did since the last tick
  io_uring ring_{};
  bool ring_ready_ = false;
  void* buffer_ring_memory_ = nullptr;
  io_uring_buf_ring* buffer_ring_ = nullptr;
  std::vector<char*> buffers_;  // by buffer id
  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<Connection*> connections_;  // by descriptor
  std::vector<std::uint16_t> gens_;       // by descriptor
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::size_t chunk_ = 0;  // the round's chunk
  std::vector<Reply> replies_;
  std::vector<std::pair<int, std::uint16_t>> rearm_;  // recvs to arm after the round
  // The Spill of a closed connection whose own send is still in flight, by the send's tag.
  std::unordered_map<std::uint64_t, std::unique_ptr<Spill>> orphans_;
  std::size_t sends_in_flight_ = 0;
  std::string scratch_pending_;
  __kernel_timespec tick_ts_{};
  __kernel_timespec backoff_ts_{};
  std::thread thread_;
};

UringServer::UringServer(ServerOptions options, const SessionFactory& factory)
    : options_(std::move(options)), factory_(factory) {}

UringServer::~UringServer() {
  stop();
}

std::uint16_t UringServer::start() {
  std::vector<int> fds =
      open_listeners(options_.host, options_.port, io_thread_count(options_.threads));
  std::uint16_t port = local_port(fds[0]);
  std::size_t taken = 0;  // the workers own the first `taken` descriptors
  try {
    for (; taken < fds.size(); ++taken) {
      workers_.push_back(std::make_unique<Worker>(factory_, options_.idle_timeout, fds[taken]));
      workers_.back()->start();
    }
  } catch (...) {
    for (std::size_t i = taken + 1; i < fds.size(); ++i) ::close(fds[i]);
    workers_.clear();
    throw;
  }
  port_.store(port, std::memory_order_relaxed);
  return port;
}

void UringServer::stop() {
  workers_.clear();  // each joins its thread, which closes its connections
}

}  // namespace remoto::net::detail
