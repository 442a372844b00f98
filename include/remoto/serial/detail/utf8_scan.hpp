// Fast strict-UTF-8 scanning for the json and msgpack codecs: inline, word-at-a-time over
// ASCII, and exactly as strict as Python's UTF-8 decoder (no surrogates, no overlong forms,
// nothing beyond U+10FFFF), which is what both formats demand of str on the wire. Agrees with
// remoto::unicode::decode(..., allow_surrogates = false); the unit tests check that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace remoto::serial::detail {

inline constexpr std::uint64_t ones8 = 0x0101010101010101ull;
inline constexpr std::uint64_t high8 = 0x8080808080808080ull;

/// The 8 bytes at p as one word (any byte order: only per-byte tests are made on it).
inline std::uint64_t load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

/// Length of the strict UTF-8 sequence that starts at `at` (1 for ASCII), or 0 if none does
/// before `end`.
inline std::size_t utf8_length(const char* at, const char* end) {
  auto p = reinterpret_cast<const unsigned char*>(at);
  auto avail = static_cast<std::size_t>(end - at);
  auto cont = [p](std::size_t i) { return (p[i] & 0xC0) == 0x80; };
  unsigned c = p[0];
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;  // continuation byte, or the overlong leads C0 and C1
  if (c < 0xE0) return avail >= 2 && cont(1) ? 2 : 0;
  if (c < 0xF0) {
    if (avail < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c < 0xF5) {
    if (avail < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

/// Whether every byte of s is ASCII: a word at a time, the last word overlapping the one
/// before, so short strings (keys, words; up to 32 bytes) take fixed-size loads and no loop.
inline bool is_ascii(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n >= 8) {
    std::uint64_t acc = load8(p) | load8(p + n - 8);
    if (n > 32) {
      for (std::size_t i = 8; i + 8 <= n; i += 8) acc |= load8(p + i);
    } else if (n > 16) {
      acc |= load8(p + 8) | load8(p + n - 16);
    }
    return (acc & high8) == 0;
  }
  if (n >= 4) {
    std::uint32_t a;
    std::uint32_t b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return ((a | b) & 0x80808080u) == 0;
  }
  if (n == 0) return true;
  return ((static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) |
           static_cast<unsigned char>(p[n - 1])) &
          0x80) == 0;
}

/// Offset of the first byte of s that starts no strict UTF-8 sequence, or npos.
inline std::size_t find_invalid_utf8(std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  while (p != end) {
    while (end - p >= 8 && (load8(p) & high8) == 0) p += 8;
    const char* window = end - p < 8 ? end : p + 8;
    while (p < window) {
      std::size_t n = utf8_length(p, end);
      if (n == 0) return static_cast<std::size_t>(p - s.data());
      p += n;
    }
  }
  return std::string_view::npos;
}

/// The bytes of the 8 at p that a JSON string cannot carry as they are (quote, backslash,
/// control character, non-ASCII), as their high bits. Per byte, x - 1 sets the high bit when
/// x is 0 (a quote or backslash after the xor) or above 0x80, and w - 0x20 when w is below
/// 0x20 or above 0x9F; the bytes above 0x7F are non-ASCII, which `| w` flags anyway. A borrow
/// only starts at a flagged byte and can flag bytes above it, never below: so the result is 0
/// exactly when all 8 are plain, and its lowest flagged byte is always a special one.
inline std::uint64_t json_special8(const char* p) {
  std::uint64_t w = load8(p);
  std::uint64_t quote = w ^ (ones8 * '"');
  std::uint64_t backslash = w ^ (ones8 * '\\');
  return ((quote - ones8) | (backslash - ones8) | (w - ones8 * 0x20) | w) & high8;
}

/// Whether the 8 bytes at p are all characters a JSON string carries as they are.
inline bool json_plain8(const char* p) {
  return json_special8(p) == 0;
}

}  // namespace remoto::serial::detail
