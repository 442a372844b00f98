// Fuzzes the msgpack serializer's reader: it must never crash, hang, recurse without bound or
// allocate for length fields the input does not back, and whatever it accepts must encode to
// bytes that decode to the same value and encode to the same bytes again (decoding is strict,
// so every decoded value is encodable). The same bytes also go through decode_call.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "remoto/serial/serializer.hpp"

using remoto::SerializeError;
using remoto::Value;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& ser = remoto::serial::msgpack();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Value value;
  try {
    value = ser.decode(input);
  } catch (const SerializeError&) {
    return 0;
  }
  std::string bytes = ser.encode(value);
  Value again = ser.decode(bytes);
  if (!(again == value)) std::abort();
  if (ser.encode(again) != bytes) std::abort();
  try {
    auto call = ser.decode_call(input);
    auto call_bytes = ser.encode_call(call);
    if (!(ser.decode_call(call_bytes) == call)) std::abort();
  } catch (const SerializeError&) {
  }
  return 0;
}
