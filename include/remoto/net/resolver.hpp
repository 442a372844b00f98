// Name resolution, the lookup half of Java's InetAddress: host name -> addresses
// (getaddrinfo), address -> host name (getnameinfo) and the local host's name. Each call comes
// twice (STYLE §5): one throws UnknownHostError, one reports through a std::error_code. The
// calls block for as long as the system resolver takes (/etc/hosts, then DNS per
// nsswitch.conf); there is no timeout of our own. Safe to call from any thread.
#pragma once

#include <netdb.h>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/net/address.hpp"

namespace remoto::net {

/// getaddrinfo / getnameinfo failures: the EAI_* codes themselves, so an error_code in
/// gai_category() holds exactly what the C library returned and its message() is
/// gai_strerror's text ("Name or service not known"). The enumerators are the portable codes;
/// others (glibc's EAI_NODATA, "No address associated with hostname") can appear too.
/// EAI_SYSTEM never does: it is reported as its errno, in std::system_category().
enum class GaiErrc : int {
  again = EAI_AGAIN,  ///< temporary failure (DNS server unreachable or busy)
  bad_flags = EAI_BADFLAGS,
  fail = EAI_FAIL,  ///< non-recoverable failure in the name server
  family = EAI_FAMILY,
  memory = EAI_MEMORY,
  no_name = EAI_NONAME,  ///< the name (or the address, for a reverse lookup) is unknown
  service = EAI_SERVICE,
  socket_type = EAI_SOCKTYPE,
  overflow = EAI_OVERFLOW,
};

const std::error_category& gai_category() noexcept;
inline std::error_code make_error_code(GaiErrc e) noexcept {
  return {static_cast<int>(e), gai_category()};
}

/// A name that resolves to no address, or an address with no name (Java:
/// UnknownHostException). what() is "HOST: REASON", e.g. "no.such.host.invalid: Name or
/// service not known". Crosses the wire as Pyro4.errors.CommunicationError.
class UnknownHostError : public CommunicationError {
 public:
  UnknownHostError(std::string host, std::error_code code);
  /// The name or address text that was looked up.
  const std::string& host() const noexcept { return host_; }
  /// Why: a GaiErrc in gai_category(), or an errno in std::system_category().
  std::error_code code() const noexcept { return code_; }

 private:
  std::string host_;
  std::error_code code_;
};

/// The first address of `host` in getaddrinfo's order, IPv4 or IPv6 (Java: getByName).
/// A numeric address ("127.0.0.1", "::1") is its own answer, without asking DNS.
Address resolve(std::string_view host);
/// As above; on failure sets `ec` and returns nullopt.
std::optional<Address> resolve(std::string_view host, std::error_code& ec);

/// Every address of `host`, IPv4 and IPv6, in getaddrinfo's order without repeats (Java:
/// getAllByName). Never empty: no address is an UnknownHostError.
std::vector<Address> resolve_all(std::string_view host);
/// As above; on failure sets `ec` and returns an empty vector.
std::vector<Address> resolve_all(std::string_view host, std::error_code& ec);

/// The host name of `address` (getnameinfo with NI_NAMEREQD, Java: getHostName without its
/// fallback to the address text): an UnknownHostError if the address has no name.
std::string reverse_lookup(const Address& address);
/// As above; on failure sets `ec` and returns an empty string.
std::string reverse_lookup(const Address& address, std::error_code& ec);

/// This machine's host name, as gethostname() gives it (Java: getLocalHost().getHostName()).
/// Throws std::system_error in the unlikely case it fails.
std::string local_host_name();
std::string local_host_name(std::error_code& ec);

}  // namespace remoto::net

template <>
struct std::is_error_code_enum<remoto::net::GaiErrc> : std::true_type {};
