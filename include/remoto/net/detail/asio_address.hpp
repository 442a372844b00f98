// Conversions between remoto::net::Address and asio::ip::address, for the .cpp files that
// use Asio (kept out of address.hpp so that its many includers don't compile Asio).
#pragma once

#include <algorithm>
#include <asio/ip/address.hpp>
#include <cstdint>

#include "remoto/net/address.hpp"

namespace remoto::net::detail {

inline asio::ip::address to_asio(const Address& address) {
  auto bytes = address.bytes();
  if (address.is_v4()) {
    asio::ip::address_v4::bytes_type v4;
    std::copy(bytes.begin(), bytes.end(), v4.begin());
    return asio::ip::make_address_v4(v4);
  }
  asio::ip::address_v6::bytes_type v6;
  std::copy(bytes.begin(), bytes.end(), v6.begin());
  return asio::ip::make_address_v6(v6, address.scope_id());
}

inline Address from_asio(const asio::ip::address& address) {
  if (address.is_v4()) return Address(address.to_v4().to_bytes());
  auto v6 = address.to_v6();
  return Address(v6.to_bytes(), static_cast<std::uint32_t>(v6.scope_id()));
}

}  // namespace remoto::net::detail
