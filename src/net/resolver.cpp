// The resolver: thin, exception-or-error_code wrappers over getaddrinfo, getnameinfo and
// gethostname, which are thread-safe in glibc.
#include "remoto/net/resolver.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <memory>

namespace remoto::net {

namespace {

class GaiCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int value) const override { return gai_strerror(value); }
};

// A getaddrinfo/getnameinfo return value as an error_code; EAI_SYSTEM means "see errno".
std::error_code gai_error(int status) {
  if (status == EAI_SYSTEM) return {errno, std::system_category()};
  return {status, gai_category()};
}

std::string reason(const std::error_code& code) {
  return code.message();
}

}  // namespace

const std::error_category& gai_category() noexcept {
  static const GaiCategory category;
  return category;
}

UnknownHostError::UnknownHostError(std::string host, std::error_code code)
    : CommunicationError(host + ": " + reason(code)), host_(std::move(host)), code_(code) {}

std::vector<Address> resolve_all(std::string_view host, std::error_code& ec) {
  ec.clear();
  // A numeric address answers itself: no DNS, and only the strict inet_pton forms (getaddrinfo
  // would also take "127.1" and "0x7f.0.0.1", and would drop an unknown "%zone" silently).
  if (auto address = Address::parse(host)) return {*address};

  std::string name(host);
  if (name.empty() || name.find('\0') != std::string::npos) {
    ec = make_error_code(GaiErrc::no_name);
    return {};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  // One socket type, or every address comes back once per type (stream, datagram, raw).
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int status = getaddrinfo(name.c_str(), nullptr, &hints, &list); status != 0) {
    ec = gai_error(status);
    return {};
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(list, &freeaddrinfo);

  std::vector<Address> addresses;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    auto address = Address::from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!address) continue;
    // Keep getaddrinfo's order (it ranks by RFC 6724), dropping repeats; lists are short.
    if (std::find(addresses.begin(), addresses.end(), *address) == addresses.end()) {
      addresses.push_back(*address);
    }
  }
  if (addresses.empty()) ec = make_error_code(GaiErrc::no_name);
  return addresses;
}

std::vector<Address> resolve_all(std::string_view host) {
  std::error_code ec;
  auto addresses = resolve_all(host, ec);
  if (ec) throw UnknownHostError(std::string(host), ec);
  return addresses;
}

std::optional<Address> resolve(std::string_view host, std::error_code& ec) {
  auto addresses = resolve_all(host, ec);
  if (ec) return std::nullopt;
  return addresses.front();
}

Address resolve(std::string_view host) {
  return resolve_all(host).front();
}

std::string reverse_lookup(const Address& address, std::error_code& ec) {
  ec.clear();
  sockaddr_storage storage;
  auto length = address.to_sockaddr(storage, 0);
  char name[NI_MAXHOST];
  int status =
      getnameinfo(reinterpret_cast<const sockaddr*>(&storage), static_cast<socklen_t>(length), name,
                  sizeof name, nullptr, 0, NI_NAMEREQD);
  if (status != 0) {
    ec = gai_error(status);
    return {};
  }
  return name;
}

std::string reverse_lookup(const Address& address) {
  std::error_code ec;
  auto name = reverse_lookup(address, ec);
  if (ec) throw UnknownHostError(address.to_string(), ec);
  return name;
}

std::string local_host_name(std::error_code& ec) {
  ec.clear();
  char name[HOST_NAME_MAX + 1] = {};
  // sizeof - 1 keeps a terminating NUL even if the name was truncated.
  if (gethostname(name, sizeof name - 1) != 0) {
    ec = {errno, std::system_category()};
    return {};
  }
  return name;
}

std::string local_host_name() {
  std::error_code ec;
  auto name = local_host_name(ec);
  if (ec) throw std::system_error(ec, "gethostname");
  return name;
}

}  // namespace remoto::net
