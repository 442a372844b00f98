#include "remoto/value/repr.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "remoto/value/float_repr.hpp"
#include "remoto/value/unicode.hpp"

namespace remoto {
namespace {

using namespace std::string_literals;

constexpr double inf = std::numeric_limits<double>::infinity();
const double nan = std::numeric_limits<double>::quiet_NaN();

// A str from code points, surrogates included (surrogatepass UTF-8).
Value str_of(std::initializer_list<char32_t> cps) {
  std::string s;
  for (char32_t cp : cps) unicode::append(s, cp);
  return Value(Str{s});
}

Value big(const char* text) {
  return Value(*BigInt::parse(text));
}

// Every expected string below was printed by CPython 3.11 (/usr/bin/python3) for the
// equivalent Python value.
TEST(ReprTest, Scalars) {
  EXPECT_EQ(python_repr(Value()), "None");
  EXPECT_EQ(python_repr(Value(true)), "True");
  EXPECT_EQ(python_repr(Value(false)), "False");
  EXPECT_EQ(python_repr(Value(0)), "0");
  EXPECT_EQ(python_repr(Value(-1)), "-1");
  EXPECT_EQ(python_repr(Value(INT64_MAX)), "9223372036854775807");
  EXPECT_EQ(python_repr(Value(INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(python_repr(big("18446744073709551616")), "18446744073709551616");
  EXPECT_EQ(python_repr(big("-1267650600228229401496703205377")),
            "-1267650600228229401496703205377");
}

TEST(ReprTest, Floats) {
  const std::pair<double, const char*> cases[] = {
      {1.0, "1.0"},
      {-0.0, "-0.0"},
      {0.1, "0.1"},
      {1e16, "1e+16"},
      {1e-5, "1e-05"},
      {1.5e300, "1.5e+300"},
      {5e-324, "5e-324"},
      {inf, "inf"},
      {-inf, "-inf"},
      {nan, "nan"},
      {1e15, "1000000000000000.0"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {0.0001, "0.0001"},
  };
  for (auto [d, text] : cases) EXPECT_EQ(python_repr(Value(d)), text) << text;
}

TEST(ReprTest, FloatAppendMatchesPythonFloatRepr) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (i % 2) d = std::ldexp(static_cast<double>(bits >> 11), static_cast<int>(bits % 120) - 60);
    std::string out;
    append_float_repr(out, d);
    ASSERT_EQ(out, python_float_repr(d)) << bits;
  }
}

TEST(ReprTest, Complex) {
  using C = Value::Complex;
  const std::pair<C, const char*> cases[] = {
      {{1, 2}, "(1+2j)"},           {{0, 2}, "2j"},
      {{-0.0, -1}, "(-0-1j)"},      {{0.0, -0.0}, "-0j"},
      {{-0.0, 0.0}, "(-0+0j)"},     {{1.5, -0.5}, "(1.5-0.5j)"},
      {{nan, inf}, "(nan+infj)"},   {{1, nan}, "(1+nanj)"},
      {{1, -nan}, "(1+nanj)"},      {{0, nan}, "nanj"},
      {{inf, -inf}, "(inf-infj)"},  {{1e16, 1e-7}, "(1e+16+1e-07j)"},
      {{0.1, 100.0}, "(0.1+100j)"},
  };
  for (auto [c, text] : cases) EXPECT_EQ(python_repr(Value(c)), text) << text;
}

TEST(ReprTest, Strings) {
  EXPECT_EQ(python_repr(Value("")), "''");
  EXPECT_EQ(python_repr(Value("hello")), "'hello'");
  EXPECT_EQ(python_repr(Value("it's")), R"("it's")");
  EXPECT_EQ(python_repr(Value(R"(say "hi")")), R"('say "hi"')");
  EXPECT_EQ(python_repr(Value(R"(both ' and ")")), R"('both \' and "')");
  EXPECT_EQ(python_repr(Value("tab\tnl\ncr\rnul\0bs\\bell\aesc\x1b"
                              "del\x7f"s)),
            R"('tab\tnl\ncr\rnul\x00bs\\bell\x07esc\x1bdel\x7f')");
  EXPECT_EQ(python_repr(Value("üñí©€ 日本")), "'üñí©€ 日本'");
  EXPECT_EQ(python_repr(Value("😀")), "'😀'");
  EXPECT_EQ(python_repr(str_of({0x200B, 0x2028, 0xA0, 0xAD, 0xE0001})),
            R"('\u200b\u2028\xa0\xad\U000e0001')");
  EXPECT_EQ(python_repr(str_of({0xD800})), R"('\ud800')");
  EXPECT_EQ(python_repr(str_of({'a', 0xDFFF, 'b'})), R"('a\udfffb')");
  EXPECT_EQ(python_repr(str_of({0x80, 0x9F, 0xFF, 0x378, 0xE000, 0x10FFFF, 0xF0000})),
            R"('\x80\x9fÿ\u0378\ue000\U0010ffff\U000f0000')");
  EXPECT_EQ(python_repr(str_of({0x3000, ' ', 0x2029, 0x85})), R"('\u3000 \u2029\x85')");
}

TEST(ReprTest, StrWithInvalidUtf8IsEscapedAndReported) {
  std::string out;
  EXPECT_FALSE(append_str_repr(out,
                               "a\xff"
                               "b\xc3"));
  EXPECT_EQ(out, R"('a\udcffb\udcc3')");
  out.clear();
  EXPECT_TRUE(append_str_repr(out, "ok"));
}

TEST(ReprTest, Bytes) {
  EXPECT_EQ(python_repr(Value::bytes("")), "b''");
  EXPECT_EQ(python_repr(Value::bytes("abc")), "b'abc'");
  EXPECT_EQ(python_repr(Value::bytes("it's")), R"(b"it's")");
  EXPECT_EQ(python_repr(Value::bytes(std::string_view("\0\x7f\x80\xff\t\n\r\\", 8))),
            R"(b'\x00\x7f\x80\xff\t\n\r\\')");
  EXPECT_EQ(python_repr(Value::bytes(R"(both ' and ")")), R"(b'both \' and "')");
}

TEST(ReprTest, Containers) {
  EXPECT_EQ(python_repr(Value::list()), "[]");
  EXPECT_EQ(python_repr(Value::list({1, 2})), "[1, 2]");
  EXPECT_EQ(python_repr(Value::list({Value::list()})), "[[]]");
  EXPECT_EQ(python_repr(Value::tuple()), "()");
  EXPECT_EQ(python_repr(Value::tuple({1})), "(1,)");
  EXPECT_EQ(python_repr(Value::tuple({1, 2})), "(1, 2)");
  EXPECT_EQ(python_repr(Value::tuple({Value::tuple()})), "((),)");
  EXPECT_EQ(python_repr(make_dict({})), "{}");
  EXPECT_EQ(python_repr(make_dict({{"a", 1}})), "{'a': 1}");
  EXPECT_EQ(python_repr(make_dict({{1, "one"}, {Value::tuple({1, 2}), Value::list({3})}})),
            "{1: 'one', (1, 2): [3]}");
  EXPECT_EQ(python_repr(Value(Set())), "set()");
  EXPECT_EQ(python_repr(make_set({1})), "{1}");
  EXPECT_EQ(
      python_repr(make_dict({{"list", Value::list({1, Value::tuple({2, 3}), make_set({4})})},
                             {"tuple", Value::tuple({Value::tuple(), Value::tuple({nullptr})})},
                             {"float", -2.5}})),
      "{'list': [1, (2, 3), {4}], 'tuple': ((), (None,)), 'float': -2.5}");
}

TEST(ReprTest, DeepNestingIsCutOff) {
  Value v = 1;
  for (int i = 0; i < 1500; ++i) v = Value::list({std::move(v)});
  std::string text = python_repr(v);
  EXPECT_EQ(text.substr(0, 5), "[[[[[");
  EXPECT_NE(text.find("[...]"), std::string::npos);
  EXPECT_EQ(text.size(), 1000u * 2 + 3);
}

TEST(UnicodeTest, IsPrintableFollowsCPython) {
  // str.isprintable() in CPython 3.11 (Unicode 14.0).
  for (char32_t cp : {U' ', U'a', U'~', U'\u00a1', U'\u00ff', U'\u0377', U'\u4e00', U'\U0001F600',
                      U'\U0001FAF6', U'\uFFFD', U'\u00e9', U'\u20ac'})
    EXPECT_TRUE(unicode::is_printable(cp)) << std::hex << static_cast<unsigned>(cp);
  for (char32_t cp : {U'\0', U'\t', U'\x1f', U'\x7f', U'\u0085', U'\u00a0', U'\u00ad', U'\u0378',
                      U'\u200b', U'\u2028', U'\u2029', U'\u3000', U'\uE000', U'\U000E0001',
                      U'\U000F0000', U'\U0010FFFF', U'\U0001FAF7'})
    EXPECT_FALSE(unicode::is_printable(cp)) << std::hex << static_cast<unsigned>(cp);
  EXPECT_FALSE(unicode::is_printable(0xD800));
  EXPECT_FALSE(unicode::is_printable(0x110000));
}

TEST(PrettyTest, ShortValuesStayOnOneLine) {
  EXPECT_EQ(pretty(Value(42)), "42");
  EXPECT_EQ(pretty(make_dict({{"a", 1}, {"b", Value::list({1, 2})}})), "{'a': 1, 'b': [1, 2]}");
  EXPECT_EQ(pretty(Value(Set())), "set()");
}

TEST(PrettyTest, LongContainersBreakOneItemPerLine) {
  Value v = make_dict(
      {{"handshake", "hello"},
       {"meta",
        make_dict({{"methods", Value::list({"oneway_echo", "error_with_text", "slow", "echo"})},
                   {"attrs", Value::tuple({"verbose"})}})}});
  EXPECT_EQ(pretty(v, 40),
            "{\n"
            "  'handshake': 'hello',\n"
            "  'meta': {\n"
            "    'methods': [\n"
            "      'oneway_echo',\n"
            "      'error_with_text',\n"
            "      'slow',\n"
            "      'echo',\n"
            "    ],\n"
            "    'attrs': ('verbose',),\n"
            "  },\n"
            "}");
  // Wide enough: python_repr as is.
  EXPECT_EQ(pretty(v, 200), python_repr(v));
}

}  // namespace
}  // namespace remoto
