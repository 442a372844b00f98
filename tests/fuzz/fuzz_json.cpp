// Fuzzes the json serializer's reader (Python's json dialect): it must never crash, hang or
// recurse without bound, and whatever it accepts must encode (unless it holds a lone
// surrogate, which Python cannot encode to UTF-8 either) to text that decodes to the same value
// and encodes to the same text again. The same bytes also go through decode_call.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "remoto/serial/serializer.hpp"

using remoto::SerializeError;
using remoto::Value;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& ser = remoto::serial::json();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Value value;
  try {
    value = ser.decode(input);
  } catch (const SerializeError&) {
    return 0;
  }
  std::string text;
  try {
    text = ser.encode(value);
  } catch (const SerializeError& e) {
    if (std::string_view(e.what()).find("lone surrogate") == std::string_view::npos) std::abort();
    return 0;
  }
  Value again = ser.decode(text);
  if (!(again == value)) std::abort();
  if (ser.encode(again) != text) std::abort();
  try {
    auto call = ser.decode_call(input);
    auto call_text = ser.encode_call(call);
    if (!(ser.decode_call(call_text) == call)) std::abort();
  } catch (const SerializeError&) {
  }
  return 0;
}
