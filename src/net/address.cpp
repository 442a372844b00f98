// Address: text and bytes in and out through the C library's inet_pton / inet_ntop, so remoto
// prints addresses exactly as the C library and Python do.
#include "remoto/net/address.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ostream>
#include <stdexcept>

namespace remoto::net {

namespace {

// Longest text parse() can accept: a full IPv6 address with an embedded IPv4 part, '%' and
// an interface name or a 10-digit number. Anything longer is refused before copying.
constexpr std::size_t max_text = INET6_ADDRSTRLEN + 1 + IF_NAMESIZE;

std::optional<std::uint32_t> parse_zone(std::string_view zone) {
  if (zone.empty()) return std::nullopt;
  if (std::all_of(zone.begin(), zone.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::uint32_t id = 0;
    auto [end, ec] = std::from_chars(zone.data(), zone.data() + zone.size(), id);
    if (ec != std::errc{} || end != zone.data() + zone.size()) return std::nullopt;
    return id;
  }
  std::string name(zone);
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return std::nullopt;  // no such interface
  return index;
}

}  // namespace

Address::Address(const V4Bytes& bytes) noexcept {
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

Address::Address(const V6Bytes& bytes, std::uint32_t scope_id) noexcept
    : family_(AddressFamily::v6), bytes_(bytes), scope_id_(scope_id) {}

Address Address::loopback_v6() noexcept {
  V6Bytes bytes{};
  bytes[15] = 1;
  return Address(bytes);
}

std::optional<Address> Address::parse(std::string_view text) {
  // inet_pton wants a NUL-terminated string: an embedded NUL must not cut the text short.
  if (text.empty() || text.size() > max_text || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view zone;
  bool has_zone = false;
  if (auto percent = text.find('%'); percent != std::string_view::npos) {
    zone = text.substr(percent + 1);
    text = text.substr(0, percent);
    has_zone = true;
  }
  std::string host(text);
  if (!has_zone) {
    V4Bytes v4;
    if (inet_pton(AF_INET, host.c_str(), v4.data()) == 1) return Address(v4);
  }
  V6Bytes v6;
  if (inet_pton(AF_INET6, host.c_str(), v6.data()) != 1) return std::nullopt;
  std::uint32_t scope_id = 0;
  if (has_zone) {
    auto id = parse_zone(zone);
    if (!id) return std::nullopt;
    scope_id = *id;
  }
  return Address(v6, scope_id);
}

Address Address::from_string(std::string_view text) {
  if (auto address = parse(text)) return *address;
  throw std::invalid_argument("not an IP address: '" + std::string(text) + "'");
}

Address Address::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() == 4) {
    V4Bytes v4;
    std::copy(bytes.begin(), bytes.end(), v4.begin());
    return Address(v4);
  }
  if (bytes.size() == 16) {
    V6Bytes v6;
    std::copy(bytes.begin(), bytes.end(), v6.begin());
    return Address(v6);
  }
  throw std::invalid_argument("an IP address is 4 or 16 bytes, not " +
                              std::to_string(bytes.size()));
}

std::optional<Address> Address::from_sockaddr(const ::sockaddr* address, std::size_t length) {
  if (address == nullptr || length < sizeof(sa_family_t)) return std::nullopt;
  // Copy out rather than cast: the caller's buffer need not be aligned for sockaddr_in6.
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    std::memcpy(&in, address, sizeof in);
    V4Bytes v4;
    std::memcpy(v4.data(), &in.sin_addr, v4.size());
    return Address(v4);
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof in6);
    V6Bytes v6;
    std::memcpy(v6.data(), &in6.sin6_addr, v6.size());
    return Address(v6, in6.sin6_scope_id);
  }
  return std::nullopt;
}

std::string Address::to_string() const {
  char text[INET6_ADDRSTRLEN];
  // Cannot fail: the family is valid and the buffer is large enough for either.
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), text, sizeof text);
  std::string out(text);
  if (scope_id_ != 0) {
    char name[IF_NAMESIZE];
    out += '%';
    out +=
        if_indextoname(scope_id_, name) != nullptr ? std::string(name) : std::to_string(scope_id_);
  }
  return out;
}

bool Address::is_v4_mapped() const noexcept {
  static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return is_v6() && std::equal(std::begin(prefix), std::end(prefix), bytes_.begin());
}

Address Address::unmapped() const noexcept {
  if (!is_v4_mapped()) return *this;
  return Address(V4Bytes{bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

bool Address::is_loopback() const noexcept {
  Address a = unmapped();
  if (a.is_v4()) return a.bytes_[0] == 127;
  return a == loopback_v6();
}

bool Address::is_any() const noexcept {
  // The v4-mapped form of 0.0.0.0 is not the IPv6 unspecified address: look at it as it is.
  return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

bool Address::is_multicast() const noexcept {
  Address a = unmapped();
  if (a.is_v4()) return (a.bytes_[0] & 0xf0) == 0xe0;
  return a.bytes_[0] == 0xff;
}

bool Address::is_link_local() const noexcept {
  Address a = unmapped();
  if (a.is_v4()) return a.bytes_[0] == 169 && a.bytes_[1] == 254;
  return a.bytes_[0] == 0xfe && (a.bytes_[1] & 0xc0) == 0x80;
}

bool Address::is_site_local() const noexcept {
  Address a = unmapped();
  if (a.is_v4()) {
    return a.bytes_[0] == 10 || (a.bytes_[0] == 172 && (a.bytes_[1] & 0xf0) == 16) ||
           (a.bytes_[0] == 192 && a.bytes_[1] == 168);
  }
  return a.bytes_[0] == 0xfe && (a.bytes_[1] & 0xc0) == 0xc0;
}

bool Address::is_unique_local() const noexcept {
  return is_v6() && (bytes_[0] & 0xfe) == 0xfc;
}

std::size_t Address::to_sockaddr(::sockaddr_storage& out, std::uint16_t port) const noexcept {
  std::memset(&out, 0, sizeof out);
  if (is_v4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, bytes_.data(), 4);
    std::memcpy(&out, &in, sizeof in);
    return sizeof in;
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  std::memcpy(&in6.sin6_addr, bytes_.data(), 16);
  in6.sin6_scope_id = scope_id_;
  std::memcpy(&out, &in6, sizeof in6);
  return sizeof in6;
}

std::ostream& operator<<(std::ostream& out, const Address& address) {
  return out << address.to_string();
}

}  // namespace remoto::net

std::size_t std::hash<remoto::net::Address>::operator()(
    const remoto::net::Address& address) const noexcept {
  // FNV-1a over family, bytes and scope: cheap and good enough for hash tables of addresses.
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  mix(address.is_v4() ? 4 : 6);
  for (std::uint8_t b : address.bytes()) mix(b);
  for (int shift = 0; shift < 32; shift += 8)
    mix(static_cast<std::uint8_t>(address.scope_id() >> shift));
  return static_cast<std::size_t>(h);
}
