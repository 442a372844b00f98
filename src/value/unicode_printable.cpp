// unicode::is_printable: CPython's notion of a printable code point, from a range table
// generated out of CPython's own unicodedata (scripts/gen_unicode_printable.py).
#include "remoto/value/unicode.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace remoto::unicode {
namespace {

struct Range {
  std::uint32_t first;
  std::uint32_t last;
};

constexpr Range printable_ranges[] = {
#include "unicode_printable_table.inc"
};

}  // namespace

bool is_printable(char32_t cp) noexcept {
  // ASCII and Latin-1 first: almost every character a repr meets.
  if (cp < 0x7F) return cp >= 0x20;
  if (cp < 0xA1) return false;  // DEL, C1 controls, NBSP
  auto it = std::upper_bound(std::begin(printable_ranges), std::end(printable_ranges), cp,
                             [](char32_t c, const Range& r) { return c < r.first; });
  if (it == std::begin(printable_ranges)) return false;
  --it;
  return cp <= it->last;
}

}  // namespace remoto::unicode
