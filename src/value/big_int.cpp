// Decimal text <-> base-2**15 digits by schoolbook division and multiplication on the text;
// quadratic, which is fine for the sizes that travel in calls (the decoders bound them).
#include "remoto/value/big_int.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace remoto {

std::optional<BigInt> BigInt::parse(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  auto first = s.find_first_not_of('0');
  if (first == std::string_view::npos) return BigInt();
  std::string text;
  text.reserve(s.size() - first + 1);
  if (neg) text += '-';
  text.append(s.substr(first));
  return BigInt(std::move(text));
}

BigInt BigInt::from_int64(std::int64_t v) {
  return BigInt(std::to_string(v));
}
BigInt BigInt::from_uint64(std::uint64_t v) {
  return BigInt(std::to_string(v));
}

std::optional<std::int64_t> BigInt::to_int64() const noexcept {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (ec != std::errc() || p != text_.data() + text_.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> BigInt::to_uint64() const noexcept {
  std::uint64_t v = 0;
  if (negative()) return std::nullopt;
  auto [p, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (ec != std::errc() || p != text_.data() + text_.size()) return std::nullopt;
  return v;
}

std::vector<std::uint16_t> BigInt::to_digits15() const {
  // Work on base-10**4 limbs, most significant first, dividing by 2**15 repeatedly.
  std::string_view mag(text_);
  if (negative()) mag.remove_prefix(1);
  std::vector<std::uint32_t> limbs;
  std::size_t head = mag.size() % 4;
  if (head)
    limbs.push_back(static_cast<std::uint32_t>(std::stoul(std::string(mag.substr(0, head)))));
  for (std::size_t i = head; i < mag.size(); i += 4)
    limbs.push_back(static_cast<std::uint32_t>(std::stoul(std::string(mag.substr(i, 4)))));
  std::vector<std::uint16_t> out;
  std::size_t start = 0;
  while (start < limbs.size()) {
    std::uint32_t rem = 0;
    for (std::size_t i = start; i < limbs.size(); ++i) {
      std::uint32_t cur = rem * 10000 + limbs[i];
      limbs[i] = cur >> 15;
      rem = cur & 0x7FFF;
    }
    out.push_back(static_cast<std::uint16_t>(rem));
    while (start < limbs.size() && limbs[start] == 0) ++start;
  }
  while (!out.empty() && out.back() == 0) out.pop_back();
  return out;
}

BigInt BigInt::from_digits15(bool negative, std::span<const std::uint16_t> digits) {
  // Base-10**4 limbs, least significant first; multiply by 2**15 and add, from the top digit.
  std::vector<std::uint32_t> limbs;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    std::uint32_t carry = *it & 0x7FFFu;
    for (auto& limb : limbs) {
      std::uint32_t cur = (limb << 15) + carry;
      limb = cur % 10000;
      carry = cur / 10000;
    }
    while (carry) {
      limbs.push_back(carry % 10000);
      carry /= 10000;
    }
  }
  while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
  if (limbs.empty()) return BigInt();
  std::string text = negative ? "-" : "";
  text += std::to_string(limbs.back());
  for (std::size_t i = limbs.size() - 1; i-- > 0;) {
    auto part = std::to_string(limbs[i]);
    text.append(4 - part.size(), '0');
    text += part;
  }
  return BigInt(std::move(text));
}

double BigInt::to_double() const noexcept {
  return std::strtod(text_.c_str(), nullptr);
}

}  // namespace remoto
