#include "remoto/value/value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

}  // namespace
}  // namespace remoto
