// remoto::BigInt: a Python int outside the int64 range, kept exactly. Serializers need only
// its decimal text (serpent, json, msgpack ext 0x31) and its base-2**15 digits (marshal), so
// it stores canonical decimal text and converts; there is no arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace remoto {

/// Value type. Invariant: text is canonical ("0", "123", "-45"; no '+', no leading zeros).
class BigInt {
 public:
  BigInt() : text_("0") {}

  /// Parses optional sign and decimal digits (no '_', no spaces); nullopt on anything else.
  static std::optional<BigInt> parse(std::string_view decimal);
  static BigInt from_int64(std::int64_t v);
  static BigInt from_uint64(std::uint64_t v);
  /// From magnitude digits base 2**15, least significant first (marshal's 'l' layout).
  static BigInt from_digits15(bool negative, std::span<const std::uint16_t> digits);

  const std::string& str() const noexcept { return text_; }
  bool negative() const noexcept { return text_[0] == '-'; }
  bool is_zero() const noexcept { return text_ == "0"; }
  std::optional<std::int64_t> to_int64() const noexcept;
  std::optional<std::uint64_t> to_uint64() const noexcept;
  /// Magnitude digits base 2**15, least significant first; empty for zero.
  std::vector<std::uint16_t> to_digits15() const;
  /// Nearest double (±inf beyond range), as Python's float(int) would overflow instead.
  double to_double() const noexcept;

  friend bool operator==(const BigInt&, const BigInt&) = default;

 private:
  explicit BigInt(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace remoto
