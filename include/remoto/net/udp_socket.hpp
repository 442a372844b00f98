// A blocking UDP socket: the course's DatagramSocket. Plain POSIX calls with a timeout on
// every receive, for clients (`remoto udp send`), tests and examples; the servers that must be
// fast (services/udp_echo_server.hpp) drive their sockets with Asio instead.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "remoto/net/address.hpp"

namespace remoto::net {

/// The largest UDP payload over IPv4: 65,535 - 8 (UDP header) - 20 (IPv4 header).
inline constexpr std::size_t max_udp_payload = 65507;

/// One end of a UDP exchange: an address and a port. Value type.
struct UdpEndpoint {
  Address address;
  std::uint16_t port = 0;

  /// "127.0.0.1:7", "[::1]:7".
  std::string to_string() const;
  friend bool operator==(const UdpEndpoint&, const UdpEndpoint&) = default;
};

/// A blocking IPv4 or IPv6 UDP socket.
/// Resource type: movable, not copyable; the descriptor closes on destruction.
/// Thread safety: one thread may send while another receives (each datagram is one system
/// call); anything else needs outside locking.
class UdpSocket {
 public:
  /// A closed socket; use bind() or connect() to get an open one.
  UdpSocket() noexcept = default;
  ~UdpSocket();
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  /// A socket bound to HOST:PORT (a name or a numeric address; port 0 picks a free port),
  /// for receive_from() and send_to(). Throws CommunicationError naming the address
  /// ("udp bind 127.0.0.1:7: Address already in use").
  static UdpSocket bind(std::string_view host, std::uint16_t port);
  /// A socket connected to HOST:PORT: send() goes there, receive() takes only its datagrams,
  /// and ICMP errors come back as receive errors (ECONNREFUSED when no one listens).
  /// Throws CommunicationError naming the address.
  static UdpSocket connect(std::string_view host, std::uint16_t port);

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  /// The bound local endpoint (after bind() or connect()).
  UdpEndpoint local_endpoint() const;
  /// The peer of a connected socket.
  const UdpEndpoint& remote_endpoint() const noexcept { return peer_; }

  /// Sends one datagram to the connected peer (at most max_udp_payload bytes, may be empty).
  /// Throws CommunicationError.
  void send(std::span<const std::byte> data);
  void send(std::span<const std::byte> data, std::error_code& ec) noexcept;
  void send(std::string_view data) { send(std::as_bytes(std::span(data.data(), data.size()))); }
  void send_to(std::span<const std::byte> data, const UdpEndpoint& to);

  /// Waits up to `timeout` for one datagram and copies it into `buffer`. Returns the
  /// datagram's full size (larger than buffer.size() if it was cut short; the rest is lost),
  /// or nullopt when the time ran out. Throws CommunicationError, e.g. "Connection refused"
  /// after an earlier send() to a port no one listens on.
  std::optional<std::size_t> receive(std::span<std::byte> buffer,
                                     std::chrono::milliseconds timeout);
  std::optional<std::size_t> receive(std::span<std::byte> buffer, std::chrono::milliseconds timeout,
                                     std::error_code& ec) noexcept;

  struct Received {
    std::size_t size;  ///< the datagram's full size, as for receive()
    UdpEndpoint from;
  };
  /// receive() for a bound socket: also says who sent the datagram.
  std::optional<Received> receive_from(std::span<std::byte> buffer,
                                       std::chrono::milliseconds timeout);

  void close() noexcept;

 private:
  explicit UdpSocket(int fd) noexcept : fd_(fd) {}
  std::string describe() const;  // the address for error messages

  int fd_ = -1;
  UdpEndpoint peer_;  // the connected peer, or the bound address before connect
};

}  // namespace remoto::net
