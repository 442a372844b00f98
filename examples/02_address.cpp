// Lesson 2: addresses and names, Java's InetAddress in C++: a host name resolves to one or
// more IPv4 and IPv6 addresses (getaddrinfo), an address is text or raw bytes, and an address
// may resolve back to a name (getnameinfo). Failures come back as error codes here; the same
// calls without the error_code argument throw remoto::net::UnknownHostError.
// Usage: example_02_address
#include <iomanip>
#include <iostream>
#include <system_error>

#include "remoto/net/address.hpp"
#include "remoto/net/resolver.hpp"

namespace net = remoto::net;
using remoto::net::Address;

int main() {
  std::cout << "this machine is called " << net::local_host_name() << '\n';

  for (const Address& address : net::resolve_all("localhost")) {
    std::cout << "localhost -> " << address << (address.is_v4() ? " (IPv4)" : " (IPv6)")
              << (address.is_loopback() ? ", loopback" : "") << '\n';
  }

  // Text in, canonical text out: IPv6 is printed lower case with zeros compressed.
  Address parsed = Address::from_string("2001:0DB8:0000:0000:0000:0000:0000:0001");
  std::cout << "parsed 2001:0DB8:0000:0000:0000:0000:0000:0001 -> " << parsed << '\n';

  // Bytes in (network order), bytes out.
  const std::uint8_t raw[] = {192, 168, 0, 1};
  Address from_bytes = Address::from_bytes(raw);
  std::cout << "bytes c0 a8 00 01 -> " << from_bytes
            << (from_bytes.is_site_local() ? " (site-local, a private network)" : "") << '\n';
  std::cout << "bytes of ::1 ->";
  for (std::uint8_t b : Address::loopback_v6().to_bytes()) {
    std::cout << ' ' << std::hex << std::setw(2) << std::setfill('0') << int{b};
  }
  std::cout << std::dec << '\n';

  std::error_code ec;
  std::string name = net::reverse_lookup(Address::loopback_v4(), ec);
  std::cout << "127.0.0.1 is called " << (ec ? "? (" + ec.message() + ")" : name) << '\n';

  net::resolve("no.such.host.invalid", ec);
  std::cout << "no.such.host.invalid -> error: " << ec.message() << std::endl;
}
