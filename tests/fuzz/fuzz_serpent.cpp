// Fuzzes the serpent reader, remoto's decoder of Pyro4's default wire format: it must never
// crash, hang or recurse without bound, and every value it accepts must survive a round trip
// through the writer (which may not refuse anything the reader produced). Python's repr and
// the pretty printer run over the decoded values too.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "remoto/serial/serpent.hpp"
#include "remoto/value/repr.hpp"

namespace {

using remoto::Bytes;
using remoto::Dict;
using remoto::Set;
using remoto::Value;

void append_base64(std::string& out, std::string_view data) {
  static constexpr char chars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    auto v = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]) << 16 |
                                        static_cast<unsigned char>(data[i + 1]) << 8 |
                                        static_cast<unsigned char>(data[i + 2]));
    for (int s = 18; s >= 0; s -= 6) out += chars[(v >> s) & 63];
  }
  if (std::size_t rest = data.size() - i) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]) << 16);
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1]) << 8);
    out += chars[v >> 18];
    out += chars[(v >> 12) & 63];
    out += rest == 2 ? chars[(v >> 6) & 63] : '=';
    out += '=';
  }
}

// What a value becomes after a trip through serpent text: bytes outside keys turn into
// Pyro4's base64 dict, an empty set into an empty tuple.
Value normalize(const Value& v, bool in_key) {
  if (v.is_bytes() && !in_key) {
    std::string b64;
    append_base64(b64, v.as_bytes());
    return remoto::make_dict({{"data", b64}, {"encoding", "base64"}});
  }
  if (v.is_list()) {
    std::vector<Value> items;
    for (const auto& item : v.as_list()) items.push_back(normalize(item, in_key));
    return Value::list(std::move(items));
  }
  if (v.is_tuple()) {
    std::vector<Value> items;
    for (const auto& item : v.as_tuple()) items.push_back(normalize(item, in_key));
    return Value::tuple(std::move(items));
  }
  if (v.is_dict()) {
    Dict d;
    for (const auto& [key, value] : v.as_dict())
      d.insert_or_assign(normalize(key, true), normalize(value, false));
    return Value(std::move(d));
  }
  if (v.is_set()) {
    if (v.as_set().empty()) return Value::tuple();
    Set s;
    for (const auto& item : v.as_set()) s.insert(normalize(item, true));
    return Value(std::move(s));
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& serpent = remoto::serial::serpent();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  remoto::serial::Limits limits;
  limits.max_depth = 64;  // keeps deep inputs fast; the unit tests cover the default
  try {
    serpent.decode_call(text, limits);
  } catch (const remoto::SerializeError&) {
  }
  Value value;
  try {
    value = serpent.decode(text, limits);
  } catch (const remoto::SerializeError&) {
    return 0;
  }
  (void)remoto::python_repr(value);
  (void)remoto::pretty(value, 40);
  std::string encoded = serpent.encode(value);  // must not throw for anything decoded
  Value again = serpent.decode(encoded, limits);
  if (!(again == normalize(value, false))) std::abort();
  if (serpent.encode(again) != encoded) std::abort();
  return 0;
}
