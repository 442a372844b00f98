// libFuzzer target for the marshal decoder: arbitrary bytes must decode or fail with
// SerializeError (never crash, hang or blow up memory), and whatever decodes must survive
// encode + decode unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "remoto/serial/serializer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& m = remoto::serial::marshal();
  remoto::serial::Limits limits;
  limits.max_depth = 64;
  remoto::Value value;
  try {
    value = m.decode(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  } catch (const remoto::SerializeError&) {
    return 0;
  }
  if (!(m.decode(m.encode(value), limits) == value)) std::abort();
  return 0;
}
