// What the event model's drivers (tcp_server.cpp and event_server.cpp over Asio,
// uring_server.cpp over io_uring) and the thread model's share about running a StreamSession:
// feeding it, Nagle, when a close must linger, and the idle sweep's tick. Private to src/net.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "remoto/net/stream_session.hpp"

namespace remoto::net::detail {

/// How long a graceful close reads and discards what the peer still sends.
inline constexpr auto linger_time = std::chrono::seconds(2);

/// The period of an event-model thread's sweep of idle deadlines: a few per idle timeout, so a
/// deadline is kept to within a quarter of it, but never more often than every 10 ms nor less
/// often than every second.
inline std::chrono::milliseconds sweep_tick(std::chrono::milliseconds idle_timeout) {
  using namespace std::chrono_literals;
  if (idle_timeout <= 0ms) return 1000ms;
  return std::clamp(idle_timeout / 4, std::chrono::milliseconds(10),
                    std::chrono::milliseconds(1000));
}

/// `timeout` in sweep ticks of `tick`. +1: a deadline armed just before a tick still gets the
/// whole timeout.
inline std::uint64_t in_ticks(std::chrono::milliseconds timeout, std::chrono::milliseconds tick) {
  return static_cast<std::uint64_t>((timeout + tick - std::chrono::milliseconds(1)) / tick) + 1;
}

/// Hands `n` new bytes to the session, with `pending` (the unfinished message so far) in
/// front of them, and leaves in `pending` what the session did not consume.
inline FeedResult feed(StreamSession& session, std::string& pending, const char* data,
                       std::size_t n, std::string& out) {
  std::string_view input(data, n);
  if (!pending.empty()) {
    pending.append(data, n);
    input = pending;
  }
  FeedResult result = session.feed(input, out);
  if (result.close) return result;
  if (pending.empty())
    pending.assign(data + result.consumed, n - result.consumed);
  else
    pending.erase(0, result.consumed);
  return result;
}

/// Whether a connection the session closes must linger (read and discard until the peer's
/// EOF, after FIN): unless the session saw its input end exactly at its last message, the
/// peer may still be sending (pipelined bytes, a body not read, an error answered before the
/// request was whole), and closing with unread input sends a reset that can destroy the reply
/// before the peer reads it. A read that filled the buffer may have left more in the socket.
/// With nothing unread, close() sends FIN after the reply and the peer gets every byte of it.
inline bool must_linger(const FeedResult& result, std::size_t read, std::size_t buffer_size) {
  return !result.input_complete || read == buffer_size;
}

/// Nagle only ever delays a reply that follows an unacknowledged one: from a connection's
/// second reply on, it is off (as nginx does for keep-alive), and a connection per request
/// never pays for the setsockopt.
struct Nagle {
  bool replied = false;
  bool off = false;

  void before_reply(int fd) noexcept {
    if (replied && !off) turn_off(fd);
    replied = true;
  }
  void turn_off(int fd) noexcept {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    off = true;
  }
};

}  // namespace remoto::net::detail
