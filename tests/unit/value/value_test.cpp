#include "remoto/value/value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace remoto {
namespace {

TEST(ValueTest, KeepsPythonTypesApart) {
  EXPECT_NE(Value(1), Value(true));
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_NE(Value::list({1, 2}), Value::tuple({1, 2}));
  EXPECT_NE(Value("ab"), Value::bytes("ab"));
  EXPECT_EQ(Value(1).type(), Type::integer);
  EXPECT_STREQ(Value(true).type_name(), "bool");
}

TEST(ValueTest, FloatIdentityKeepsNegativeZeroAndNan) {
  EXPECT_NE(Value(0.0), Value(-0.0));
  EXPECT_EQ(Value(std::nan("")), Value(std::numeric_limits<double>::quiet_NaN()));
}

TEST(ValueTest, WrongTypeNamesBoth) {
  try {
    (void)Value("x").as_int();
    FAIL() << "no exception";
  } catch (const TypeError& e) {
    EXPECT_STREQ(e.what(), "expected int, got str");
  }
}

TEST(ValueTest, BigIntNormalizesToInt64WhenItFits) {
  EXPECT_TRUE(Value(*BigInt::parse("-9223372036854775808")).is_int64());
  Value big(*BigInt::parse("9223372036854775808"));
  EXPECT_TRUE(big.is_big_int());
  EXPECT_EQ(Value(std::uint64_t{9223372036854775808ULL}), big);
}

TEST(ValueTest, BigIntDigits15RoundTrip) {
  // 2**63 = marshal digits 0,0,0,0,8 (spec §4.6 example)
  auto b = *BigInt::parse("9223372036854775808");
  EXPECT_EQ(b.to_digits15(), (std::vector<std::uint16_t>{0, 0, 0, 0, 8}));
  std::vector<std::uint16_t> d{0, 0, 0, 0, 8};
  EXPECT_EQ(BigInt::from_digits15(true, d).str(), "-9223372036854775808");
  auto huge = *BigInt::parse("1606938044258990275541962092341162602522202993782792835301376");
  EXPECT_EQ(BigInt::from_digits15(false, huge.to_digits15()), huge);  // 2**200
}

TEST(ValueTest, DictKeepsInsertionOrderAndLastWins) {
  Dict d;
  for (int i = 20; i > 0; --i) d.insert_or_assign(i, i * 10);
  d.insert_or_assign(5, "five");
  ASSERT_EQ(d.size(), 20u);
  EXPECT_EQ(d[0].first, Value(20));
  EXPECT_EQ(*d.find(5), Value("five"));
  EXPECT_EQ(d.find(Value(5.0)), nullptr);
}

TEST(ValueTest, SetEqualityIgnoresOrder) {
  EXPECT_EQ(make_set({1, 2, 3}), make_set({3, 2, 1}));
  Set s;
  EXPECT_TRUE(s.insert(Value::tuple({1, "a"})));
  EXPECT_FALSE(s.insert(Value::tuple({1, "a"})));
}

TEST(ValueTest, Hashability) {
  EXPECT_TRUE(Value::tuple({1, Value::tuple({"x"})}).is_hashable());
  EXPECT_FALSE(Value::tuple({1, Value::list()}).is_hashable());
  EXPECT_FALSE(make_dict({}).is_hashable());
}

TEST(ValueTest, StrKeepsShortAndLongTextExactly) {
  // Up to 31 bytes live inside the Value, longer ones on the heap; both behave alike.
  for (std::size_t n : {0u, 1u, 3u, 4u, 7u, 8u, 15u, 16u, 17u, 30u, 31u, 32u, 33u, 100u}) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += static_cast<char>('a' + i % 26);
    Value v(text);
    EXPECT_EQ(v.as_str(), text) << n;
    Value copy = v;
    Value moved = std::move(copy);
    EXPECT_EQ(moved, v) << n;
    EXPECT_EQ(moved.as_str(), text) << n;
    EXPECT_TRUE(copy.is_none()) << n;  // a moved-from Value is None
    Value assigned = Value("x");
    assigned = moved;
    EXPECT_EQ(assigned.as_str(), text) << n;
    if (n > 0) {
      EXPECT_NE(Value(text.substr(0, n - 1)), v) << n;
    }
  }
  EXPECT_EQ(Value(std::string("a\0b", 3)).as_str(), std::string_view("a\0b", 3));
  EXPECT_NE(Value(std::string("a\0", 2)), Value("a"));
}

TEST(ValueTest, MoveAssignFromInsideItself) {
  Value v = Value::list({Value::list({1, 2}), "x"});
  v = std::move(v.as_list()[0]);  // the source lives inside the target
  EXPECT_EQ(v, Value::list({1, 2}));
  Value d = make_dict({{"k", Value::tuple({"inner"})}});
  Value inner = *d.as_dict().find("k");
  d = *d.as_dict().find("k");  // copy from inside
  EXPECT_EQ(d, inner);
}

TEST(ValueTest, RemoveDuplicateKeysIsPythonsAssignmentInTurn) {
  // As d[k] = v for each item: first position, last value; small and hashed dicts alike.
  for (int n : {3, 8, 9, 40}) {
    Dict d;
    for (int i = 0; i < n; ++i) d.append_key(Value("k" + std::to_string(i))).second = i;
    d.emplace_key("k1").second = "again";
    d.emplace_key(Value(7)).second = 70;
    d.append_key("k0").second = "last";
    d.remove_duplicate_keys();
    ASSERT_EQ(d.size(), static_cast<std::size_t>(n) + 1) << n;
    EXPECT_EQ(d[0].first, Value("k0"));
    EXPECT_EQ(d[0].second, Value("last"));
    EXPECT_EQ(d[1].second, Value("again"));
    EXPECT_EQ(d[static_cast<std::size_t>(n)].first, Value(7));
    EXPECT_EQ(*d.find("k2"), Value(2));
    EXPECT_EQ(*d.find(Value(7)), Value(70));
  }
  Dict none;
  none.remove_duplicate_keys();
  EXPECT_TRUE(none.empty());
}

TEST(ValueTest, HashedLookupsFindKeysOfEveryLength) {
  // Each key in its own exactly sized heap block (so that a read past its end shows under
  // ASan), in a dict large enough to be hashed.
  std::vector<std::string> texts;
  for (std::size_t n = 0; n <= 70; ++n)
    texts.push_back(std::string(n, static_cast<char>('a' + n % 26)));
  Dict d;
  for (const auto& text : texts) d.append_key(Value(text)).second = static_cast<int>(text.size());
  d.append_key(Value(texts[40])).second = "again";
  d.remove_duplicate_keys();
  ASSERT_EQ(d.size(), texts.size());
  for (const auto& text : texts) {
    ASSERT_NE(d.find(Value(text)), nullptr) << text.size();
    EXPECT_EQ(Value(text).hash(), Value(std::string_view(text)).hash());
  }
  EXPECT_EQ(*d.find(Value(texts[40])), Value("again"));
  EXPECT_EQ(d.find(Value(std::string(71, 't'))), nullptr);
}

TEST(ValueTest, VisitAndGetIfSeeTheHeldAlternative) {
  EXPECT_EQ(Value("s").index(), 6u);
  EXPECT_NE(Value(3).get_if<std::int64_t>(), nullptr);
  EXPECT_EQ(Value(3).get_if<double>(), nullptr);
  EXPECT_EQ(Value(2.5).get<double>(), 2.5);
  std::string seen;
  for (const Value& v : {Value(), Value(true), Value(1), Value(1.5), Value("s"), Value::bytes("b"),
                         Value::list(), Value::tuple(), make_dict({}), make_set({})}) {
    seen += v.visit([](const auto& x) -> char {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, std::monostate>) return 'N';
      if constexpr (std::is_same_v<T, bool>) return 'b';
      if constexpr (std::is_same_v<T, std::int64_t>) return 'i';
      if constexpr (std::is_same_v<T, double>) return 'f';
      if constexpr (std::is_same_v<T, Str>) return 's';
      if constexpr (std::is_same_v<T, Bytes>) return 'y';
      if constexpr (std::is_same_v<T, List>) return 'l';
      if constexpr (std::is_same_v<T, Tuple>) return 't';
      if constexpr (std::is_same_v<T, Dict>) return 'd';
      if constexpr (std::is_same_v<T, Set>) return 'e';
      return '?';
    });
  }
  EXPECT_EQ(seen, "Nbifsyltde");
}

}  // namespace
}  // namespace remoto
