#include "remoto/value/float_repr.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace remoto {
namespace {

TEST(FloatReprTest, MatchesCPython) {
  // Each pair checked against CPython 3.11's repr().
  const std::pair<double, const char*> cases[] = {
      {1.0, "1.0"},
      {-0.0, "-0.0"},
      {0.1, "0.1"},
      {1e-05, "1e-05"},
      {0.0001, "0.0001"},
      {1e16, "1e+16"},
      {1e15, "1000000000000000.0"},
      {3.141592653589793, "3.141592653589793"},
      {1.5e300, "1.5e+300"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {5e-324, "5e-324"},
      {-2.5, "-2.5"},
      {1e22, "1e+22"},
      {0.000123, "0.000123"},
      {12345.678, "12345.678"},
  };
  for (auto [d, text] : cases) EXPECT_EQ(python_float_repr(d), text);
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(python_float_repr(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::quiet_NaN()), "nan");
}

}  // namespace
}  // namespace remoto
