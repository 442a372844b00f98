// An IP address, IPv4 or IPv6: the value half of Java's InetAddress (the lookups are in
// resolver.hpp). Plain bytes plus a family, parsed and printed with inet_pton / inet_ntop, so
// the text is exactly what the C library and Python print (IPv6 in RFC 5952 form). No Asio
// here: this header is included widely; detail/asio_address.hpp converts to asio's types.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sockaddr;
struct sockaddr_storage;

namespace remoto::net {

enum class AddressFamily : std::uint8_t { v4, v6 };

/// An IPv4 or IPv6 address, with the IPv6 scope (zone) id when it has one ("fe80::1%eth0").
/// A v4-mapped IPv6 address (::ffff:a.b.c.d) stays IPv6, as inet_ntop prints it; the
/// predicates look at the IPv4 address inside it, because that is who the peer really is on a
/// dual-stack socket. Default: 0.0.0.0.
/// Value type: copyable, comparable, hashable, printable. Thread safety: as for int.
class Address {
 public:
  using V4Bytes = std::array<std::uint8_t, 4>;
  using V6Bytes = std::array<std::uint8_t, 16>;

  constexpr Address() noexcept = default;
  explicit Address(const V4Bytes& bytes) noexcept;
  explicit Address(const V6Bytes& bytes, std::uint32_t scope_id = 0) noexcept;

  /// Parses the textual forms inet_pton accepts: dotted-quad IPv4 ("192.168.0.1"; no
  /// shortened or octal forms), IPv6 in any RFC 4291 form ("::1", "::ffff:1.2.3.4"), with an
  /// optional "%zone" (interface name or number) after an IPv6 address. nullopt otherwise.
  static std::optional<Address> parse(std::string_view text);
  /// parse() that throws std::invalid_argument ("not an IP address: 'TEXT'") instead.
  static Address from_string(std::string_view text);
  /// The address made of 4 (IPv4) or 16 (IPv6) bytes in network order; throws
  /// std::invalid_argument for any other length (Java: InetAddress.getByAddress).
  static Address from_bytes(std::span<const std::uint8_t> bytes);
  /// The address in a sockaddr_in or sockaddr_in6 of `length` bytes; nullopt for any other
  /// family or a short length.
  static std::optional<Address> from_sockaddr(const ::sockaddr* address, std::size_t length);

  static Address loopback_v4() noexcept { return Address(V4Bytes{127, 0, 0, 1}); }
  static Address loopback_v6() noexcept;
  static Address any_v4() noexcept { return Address(); }
  static Address any_v6() noexcept { return Address(V6Bytes{}); }

  AddressFamily family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == AddressFamily::v4; }
  bool is_v6() const noexcept { return family_ == AddressFamily::v6; }
  /// The IPv6 scope (zone) id; 0 for none and for every IPv4 address.
  std::uint32_t scope_id() const noexcept { return scope_id_; }

  /// 4 or 16 bytes, network order (Java: getAddress). The span lives as long as *this.
  std::span<const std::uint8_t> bytes() const noexcept {
    return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
  }
  std::vector<std::uint8_t> to_bytes() const { return {bytes().begin(), bytes().end()}; }

  /// inet_ntop's text ("127.0.0.1", "::1", "::ffff:1.2.3.4"), then "%zone" if scope_id() != 0
  /// (the interface name if there is one, else the number). parse(to_string()) == *this.
  std::string to_string() const;

  /// ::ffff:a.b.c.d -> a.b.c.d; any other address unchanged.
  Address unmapped() const noexcept;
  bool is_v4_mapped() const noexcept;

  bool is_loopback() const noexcept;      ///< 127.0.0.0/8, ::1
  bool is_any() const noexcept;           ///< the unspecified address 0.0.0.0 or ::
  bool is_multicast() const noexcept;     ///< 224.0.0.0/4, ff00::/8
  bool is_link_local() const noexcept;    ///< 169.254.0.0/16, fe80::/10
  bool is_site_local() const noexcept;    ///< as Java: 10/8, 172.16/12, 192.168/16, fec0::/10
  bool is_unique_local() const noexcept;  ///< fc00::/7, IPv6's successor to site-local

  /// Writes the address and `port` into `out` as sockaddr_in or sockaddr_in6 (with the scope
  /// id) and returns its length, ready for connect/bind/sendto.
  std::size_t to_sockaddr(::sockaddr_storage& out, std::uint16_t port) const noexcept;

  /// Orders IPv4 before IPv6, then by bytes, then by scope id.
  friend auto operator<=>(const Address&, const Address&) = default;
  friend bool operator==(const Address&, const Address&) = default;

 private:
  // Invariant: unused bytes (4..15 for IPv4) are zero and scope_id_ is 0 for IPv4, so the
  // defaulted comparisons compare only what is meaningful.
  AddressFamily family_ = AddressFamily::v4;
  V6Bytes bytes_{};
  std::uint32_t scope_id_ = 0;
};

std::ostream& operator<<(std::ostream& out, const Address& address);

}  // namespace remoto::net

template <>
struct std::hash<remoto::net::Address> {
  std::size_t operator()(const remoto::net::Address& address) const noexcept;
};
