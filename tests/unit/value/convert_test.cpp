#include "remoto/value/convert.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

enum class Color : std::uint8_t { red = 1, green = 2 };

}  // namespace

// A user type: one specialization, written with the public API only.
template <>
struct remoto::Convert<Point> {
  static constexpr std::string_view label = "point dict";
  static Value to_value(const Point& p) { return make_dict({{"x", p.x}, {"y", p.y}}); }
  static Point from_value(const Value& v) {
    const Dict& d = v.as_dict();
    const Value* x = d.find("x");
    const Value* y = d.find("y");
    if (!x || !y) throw TypeError("expected a dict with x and y");
    return {remoto::from_value<double>(*x), remoto::from_value<double>(*y)};
  }
};

namespace remoto {
namespace {

template <class T>
std::string error_of(const Value& v) {
  try {
    (void)from_value<T>(v);
  } catch (const TypeError& e) {
    return e.what();
  }
  return "no error";
}

template <class T>
void expect_round_trip(const T& x, const Value& expected) {
  Value v = to_value(x);
  EXPECT_EQ(v, expected);
  EXPECT_EQ(from_value<T>(v), x);
}

TEST(ConvertTest, Scalars) {
  expect_round_trip(true, Value(true));
  expect_round_trip(42, Value(42));
  expect_round_trip(std::int8_t{-5}, Value(-5));
  expect_round_trip(std::uint64_t{18446744073709551615ULL},
                    Value(*BigInt::parse("18446744073709551615")));
  expect_round_trip(std::numeric_limits<std::int64_t>::min(),
                    Value(std::numeric_limits<std::int64_t>::min()));
  expect_round_trip(2.5, Value(2.5));
  expect_round_trip(2.5f, Value(2.5));
  expect_round_trip(std::complex<double>(1, -2), Value(Value::Complex(1, -2)));
  expect_round_trip(Color::green, Value(2));
  expect_round_trip(nullptr, Value());
  expect_round_trip(std::monostate{}, Value());
  expect_round_trip(*BigInt::parse("-123456789012345678901234567890"),
                    Value(*BigInt::parse("-123456789012345678901234567890")));
  EXPECT_EQ(from_value<Value>(Value::list({1})), Value::list({1}));
}

TEST(ConvertTest, IntegersAreRangeChecked) {
  EXPECT_EQ(error_of<std::uint8_t>(300), "int 300 out of range for uint8_t");
  EXPECT_EQ(error_of<std::uint32_t>(-1), "int -1 out of range for uint32_t");
  EXPECT_EQ(error_of<std::int32_t>(std::int64_t{1} << 40),
            "int 1099511627776 out of range for int32_t");
  EXPECT_EQ(error_of<std::int64_t>(Value(*BigInt::parse("9223372036854775808"))),
            "int 9223372036854775808 out of range for int64_t");
  EXPECT_EQ(error_of<std::uint64_t>(Value(*BigInt::parse("-9223372036854775809"))),
            "int -9223372036854775809 out of range for uint64_t");
  EXPECT_EQ(from_value<std::int16_t>(-32768), -32768);
}

TEST(ConvertTest, FollowsPythonsNumericRules) {
  EXPECT_EQ(from_value<double>(3), 3.0);  // int -> float is fine
  EXPECT_EQ(from_value<double>(Value(*BigInt::parse("100000000000000000000"))), 1e20);
  EXPECT_EQ(error_of<int>(3.0), "expected int, got float");  // not back
  EXPECT_EQ(error_of<int>(true), "expected int, got bool");  // bool is not int here
  EXPECT_EQ(error_of<double>(true), "expected float, got bool");
  EXPECT_EQ(error_of<bool>(1), "expected bool, got int");
  EXPECT_EQ(from_value<std::complex<double>>(2), std::complex<double>(2, 0));
  EXPECT_TRUE(std::signbit(from_value<double>(-0.0)));
}

TEST(ConvertTest, StringsAndBytesStayApart) {
  expect_round_trip(std::string("héllo"), Value("héllo"));
  EXPECT_EQ(to_value("lit"), Value("lit"));
  EXPECT_EQ(to_value(std::string_view("sv")), Value("sv"));
  Value s("view");
  EXPECT_EQ(from_value<std::string_view>(s), "view");
  EXPECT_EQ(error_of<std::string>(Value::bytes("x")), "expected str, got bytes");

  std::vector<std::byte> buf{std::byte{0}, std::byte{0xFF}, std::byte{'a'}};
  expect_round_trip(buf, Value::bytes(std::string_view("\x00\xff"
                                                       "a",
                                                       3)));
  expect_round_trip(Bytes{"raw"}, Value::bytes("raw"));
  std::array<std::byte, 2> two{std::byte{1}, std::byte{2}};
  expect_round_trip(two, Value::bytes("\x01\x02"));
  EXPECT_EQ((error_of<std::array<std::byte, 2>>(Value::bytes("abc"))),
            "expected bytes of length 2, got bytes of length 3");
  EXPECT_EQ(error_of<std::vector<std::byte>>("text"), "expected bytes, got str");
  EXPECT_EQ(to_value(std::span<const std::byte>(buf)), to_value(buf));

  // Pyro4's serpent sends bytes as a base64 dict.
  Value serpent_bytes = make_dict({{"data", "AAH/YWJj"}, {"encoding", "base64"}});
  EXPECT_EQ(from_value<Bytes>(serpent_bytes).data, std::string("\x00\x01\xff"
                                                               "abc",
                                                               6));
  EXPECT_EQ(error_of<Bytes>(make_dict({{"data", "A"}, {"encoding", "base64"}})),
            "bad base64 in serpent bytes dict");
}

TEST(ConvertTest, Sequences) {
  expect_round_trip(std::vector<int>{1, 2, 3}, Value::list({1, 2, 3}));
  EXPECT_EQ(from_value<std::vector<int>>(Value::tuple({4, 5})), (std::vector<int>{4, 5}));
  EXPECT_EQ(from_value<std::vector<int>>(make_set({6})), std::vector<int>{6});
  expect_round_trip(std::array<int, 2>{7, 8}, Value::list({7, 8}));
  EXPECT_EQ((from_value<std::array<int, 2>>(Value::tuple({1, 2}))), (std::array<int, 2>{1, 2}));
  EXPECT_EQ((error_of<std::array<int, 2>>(Value::list({1}))),
            "expected a sequence of 2 items, got list of 1 items");
  EXPECT_EQ(error_of<std::vector<int>>(Value::list({1, 2, 3, "x"})),
            "item 3: expected int, got str");
  EXPECT_EQ(error_of<std::vector<std::vector<int>>>(Value::list({Value::list({1}), 2})),
            "item 1: expected list, got int");
  EXPECT_EQ(error_of<std::vector<std::vector<int>>>(Value::list({Value::list({1, 2.5})})),
            "item 0: item 1: expected int, got float");
  EXPECT_EQ(error_of<std::vector<int>>(make_dict({})), "expected list, got dict");
}

TEST(ConvertTest, Maps) {
  std::map<std::string, int> m{{"a", 1}, {"b", 2}};
  expect_round_trip(m, make_dict({{"a", 1}, {"b", 2}}));
  std::unordered_map<int, std::string> u{{1, "one"}};
  expect_round_trip(u, make_dict({{1, "one"}}));
  EXPECT_EQ((error_of<std::map<std::string, int>>(make_dict({{"a", 1}, {"b", "x"}}))),
            "value of key 'b': expected int, got str");
  EXPECT_EQ((error_of<std::map<std::string, int>>(make_dict({{3, 1}}))),
            "key 3: expected str, got int");
  // A C++ key that Python could not hash.
  std::map<std::vector<int>, int> bad{{{1}, 1}};
  EXPECT_THROW(to_value(bad), TypeError);
  std::map<std::tuple<int, int>, int> tuple_keys{{{1, 2}, 3}};
  expect_round_trip(tuple_keys, make_dict({{Value::tuple({1, 2}), 3}}));
}

TEST(ConvertTest, Sets) {
  std::set<int> s{1, 2};
  expect_round_trip(s, make_set({1, 2}));
  std::unordered_set<std::string> us{"x"};
  expect_round_trip(us, make_set({"x"}));
  // json and msgpack carry sets as lists.
  EXPECT_EQ(from_value<std::set<int>>(Value::list({2, 1, 2})), (std::set<int>{1, 2}));
  EXPECT_EQ(error_of<std::set<int>>(5), "expected set, got int");
}

TEST(ConvertTest, OptionalTupleVariant) {
  expect_round_trip(std::optional<int>{}, Value());
  expect_round_trip(std::optional<int>{3}, Value(3));
  EXPECT_EQ(error_of<std::optional<int>>("x"), "expected int, got str");

  expect_round_trip(std::tuple<int, std::string>{1, "a"}, Value::tuple({1, "a"}));
  expect_round_trip(std::pair<std::string, double>{"pi", 3.14}, Value::tuple({"pi", 3.14}));
  EXPECT_EQ((from_value<std::pair<int, int>>(Value::list({1, 2}))), (std::pair<int, int>{1, 2}));
  EXPECT_EQ((error_of<std::tuple<int, int>>(Value::tuple({1}))),
            "expected a tuple of 2 items, got tuple of 1 items");
  EXPECT_EQ((error_of<std::tuple<int, int>>(Value::tuple({1, "x"}))),
            "item 1: expected int, got str");

  using V = std::variant<int, std::string, std::vector<int>>;
  expect_round_trip(V{5}, Value(5));
  expect_round_trip(V{std::string("s")}, Value("s"));
  expect_round_trip(V{std::vector<int>{1}}, Value::list({1}));
  EXPECT_EQ(error_of<V>(2.5), "expected int or str or list, got float");
  // The first alternative that accepts wins: an int becomes a double here.
  auto d = from_value<std::variant<double, int>>(1);
  EXPECT_EQ(d.index(), 0u);
}

TEST(ConvertTest, UserTypeWithOneSpecialization) {
  static_assert(Convertible<Point>);
  static_assert(!Convertible<void*>);
  expect_round_trip(Point{1, 2}, make_dict({{"x", 1.0}, {"y", 2.0}}));
  // It composes with the built-ins.
  std::vector<Point> points{{1, 2}, {3, 4}};
  EXPECT_EQ(from_value<std::vector<Point>>(to_value(points)), points);
  EXPECT_EQ(from_value<Point>(make_dict({{"x", 1}, {"y", 2}})), (Point{1, 2}));  // int -> float
  EXPECT_EQ(error_of<std::vector<Point>>(Value::list({make_dict({{"x", 1}, {"y", "no"}})})),
            "item 0: expected float, got str");
  EXPECT_EQ((error_of<std::variant<int, Point>>("s")), "expected int or point dict, got str");
  std::map<std::string, std::optional<Point>> named{{"origin", Point{}}, {"none", std::nullopt}};
  EXPECT_EQ((from_value<std::map<std::string, std::optional<Point>>>(to_value(named))), named);
}

}  // namespace
}  // namespace remoto
