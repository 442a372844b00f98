// The UDP echo server (RFC 862 over UDP): every datagram goes back unchanged to its sender,
// from empty up to 65,507 bytes. Built for datagrams per second: each I/O thread owns one
// socket and moves datagrams in batches (recvmmsg / sendmmsg, up to `batch` per system call);
// with threads > 1 the sockets share the port through SO_REUSEPORT and the kernel spreads the
// senders over them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace remoto::services {

/// A UDP echo server. start() binds and returns; the echoing runs on its own threads until
/// stop() (or destruction).
/// Resource type. Thread safety: start() and stop() from one thread; port(), host() and
/// echoed() from any thread between start() and stop().
class UdpEchoServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";  ///< a numeric address or a name; the first address wins
    std::uint16_t port = 0;          ///< 0 picks a free port
    unsigned threads = 1;            ///< sockets, each with its own I/O thread
    unsigned batch = 32;             ///< datagrams per recvmmsg/sendmmsg call
  };

  explicit UdpEchoServer(Options options);
  ~UdpEchoServer();
  UdpEchoServer(const UdpEchoServer&) = delete;
  UdpEchoServer& operator=(const UdpEchoServer&) = delete;

  /// Binds the socket(s) and starts the I/O threads. Throws CommunicationError if the
  /// address does not resolve or cannot be bound ("udp bind 127.0.0.1:7: Permission denied").
  void start();
  /// Closes the sockets and joins the threads. Idempotent.
  void stop();

  /// The bound port (the chosen one when Options::port was 0).
  std::uint16_t port() const;
  /// The bound address as text ("127.0.0.1", "::1").
  std::string host() const;
  /// Datagrams echoed so far, summed over the threads (for statistics and tests).
  std::uint64_t echoed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace remoto::services
