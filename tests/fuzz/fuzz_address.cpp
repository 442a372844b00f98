// Fuzzes Address::parse, the reader of address text from the command line and the network:
// it must never crash, and whatever it accepts must print as text that parses back to the
// same address. Inputs of 4 or 16 bytes also go through from_bytes and the same round trip.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "remoto/net/address.hpp"

using remoto::net::Address;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto address = Address::parse(text)) {
    auto again = Address::parse(address->to_string());
    if (!again || *again != *address) std::abort();
    if (address->bytes().size() != (address->is_v4() ? 4u : 16u)) std::abort();
  }
  if (size == 4 || size == 16) {
    Address address = Address::from_bytes(std::span(data, size));
    if (Address::parse(address.to_string()) != address) std::abort();
  }
  return 0;
}
