// The non-template parts of Convert: error messages and serpent's base64 bytes dict.
#include "remoto/value/convert.hpp"

#include "remoto/value/repr.hpp"

namespace remoto::detail {
namespace {

// Keys in paths are shown as Python would print them, shortened: paths are for people.
std::string short_repr(const Value& key) {
  std::string text = python_repr(key);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding, as serpent writes it (Python's base64.b64encode).
std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char c : text) {
    if (c == '=') {
      ++pad;
      continue;
    }
    int d = base64_digit(c);
    if (d < 0 || pad) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if ((text.size() % 4) != 0 || pad > 2) return std::nullopt;
  return out;
}

}  // namespace

void wrong_type(std::string_view expected, const Value& v) {
  throw TypeError("expected " + std::string(expected) + ", got " + v.type_name());
}

void out_of_range(const Value& v, std::string_view target) {
  throw TypeError("int " + (v.is_int64() ? std::to_string(v.as_int()) : v.as_big_int().str()) +
                  " out of range for " + std::string(target));
}

void rethrow_at(std::string_view where, const TypeError& error) {
  throw TypeError(std::string(where) + ": " + error.what());
}

std::string item_path(std::size_t index) {
  return "item " + std::to_string(index);
}

std::string key_path(const Value& key) {
  return "key " + short_repr(key);
}

std::string value_path(const Value& key) {
  return "value of key " + short_repr(key);
}

std::string bytes_of(const Value& v) {
  if (v.is_bytes()) return v.as_bytes();
  if (v.is_dict()) {
    // serpent (and so Pyro4's default serializer) sends bytes as this dict.
    const auto& d = v.as_dict();
    const Value* data = d.find("data");
    const Value* encoding = d.find("encoding");
    if (d.size() == 2 && data && encoding && data->is_str() && *encoding == Value("base64")) {
      if (auto decoded = base64_decode(data->as_str())) return *std::move(decoded);
      throw TypeError("bad base64 in serpent bytes dict");
    }
  }
  wrong_type("bytes", v);
}

void require_hashable(const Value& v, const char* what) {
  if (!v.is_hashable()) throw TypeError(std::string("unhashable ") + what + ": " + v.type_name());
}

}  // namespace remoto::detail
