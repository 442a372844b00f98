// The json/msgpack UTF-8 scanner must agree exactly with remoto::unicode's strict decoder.
#include "remoto/serial/detail/utf8_scan.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "remoto/value/unicode.hpp"

namespace remoto::serial::detail {
namespace {

TEST(Utf8ScanTest, AgreesWithTheStrictDecoderOnRandomBytes) {
  std::mt19937 rng(7);
  // Bytes biased towards the interesting lead and continuation ranges.
  const unsigned char pool[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
                                0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee,
                                0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff};
  for (int i = 0; i < 200000; ++i) {
    std::string s(rng() % 24, 'a');
    for (auto& c : s)
      if (rng() % 3) c = static_cast<char>(pool[rng() % sizeof pool]);
    ASSERT_EQ(find_invalid_utf8(s), unicode::find_invalid(s, false)) << i;
  }
}

TEST(Utf8ScanTest, IsAsciiSeesANonAsciiByteAnywhere) {
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string s(n, 'x');
    EXPECT_TRUE(is_ascii(s)) << n;
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = '\x80';
      EXPECT_FALSE(is_ascii(s)) << n << " " << i;
      s[i] = '\x7f';
      EXPECT_TRUE(is_ascii(s)) << n << " " << i;
      s[i] = 'x';
    }
  }
}

TEST(Utf8ScanTest, EveryCodePointAndBoundary) {
  for (char32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x20000 ? 1 : 97)) {
    std::string s = "abcdefgh";
    unicode::append(s, cp);
    bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    EXPECT_EQ(find_invalid_utf8(s) == std::string::npos, !surrogate)
        << std::hex << static_cast<std::uint32_t>(cp);
    EXPECT_EQ(utf8_length(s.data() + 8, s.data() + s.size()), surrogate ? 0 : s.size() - 8);
  }
  EXPECT_EQ(find_invalid_utf8("\xf4\x90\x80\x80"), 0u);     // U+110000
  EXPECT_EQ(find_invalid_utf8("0123456789\xe2\x82"), 10u);  // truncated
}

TEST(Utf8ScanTest, JsonPlain8NeverPassesASpecialByte) {
  for (int b = 0; b < 256; ++b) {
    for (int pos = 0; pos < 8; ++pos) {
      std::string w(8, 'x');
      w[static_cast<std::size_t>(pos)] = static_cast<char>(b);
      bool special = b < 0x20 || b >= 0x80 || b == '"' || b == '\\';
      EXPECT_EQ(json_plain8(w.data()), !special) << b << " at " << pos;
    }
  }
}

}  // namespace
}  // namespace remoto::serial::detail
