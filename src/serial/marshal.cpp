// Python's marshal format, version 4 as CPython 3.11 writes it (spec §4.6), for the types Value
// carries. Little-endian binary: one type-code byte per object, bit 0x80 (FLAG_REF) asking the
// reader to remember the object in a reference table, and 'r' + index repeating a remembered one.
//
// The reader resolves a reference by decoding the remembered object's bytes again (it keeps only
// their offset), so remembering costs nothing per object; a reference to a container that is not
// finished yet (a recursive structure) or to an index never handed out is an error. Because
// references let a few bytes stand for a large value, every value the reader creates is charged
// against a budget proportional to the input size (see Reader::charge).
// The writer never sets FLAG_REF: CPython reads that fine, and it keeps the writer one pass.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <unordered_map>

#include "remoto/serial/detail/out_buffer.hpp"
#include "remoto/serial/detail/small_stack.hpp"
#include "remoto/serial/detail/utf8_scan.hpp"
#include "remoto/serial/serializer.hpp"
#include "remoto/value/unicode.hpp"

namespace remoto::serial {
namespace {

// Type codes (CPython Python/marshal.c). Never change: they are the format.
constexpr unsigned char flag_ref = 0x80;
constexpr unsigned char t_null = '0';  // ends a dict
constexpr unsigned char t_none = 'N';
constexpr unsigned char t_false = 'F';
constexpr unsigned char t_true = 'T';
constexpr unsigned char t_stopiter = 'S';
constexpr unsigned char t_ellipsis = '.';
constexpr unsigned char t_int = 'i';
constexpr unsigned char t_int64 = 'I';  // no longer written by CPython, still read
constexpr unsigned char t_float = 'f';  // text float of old versions
constexpr unsigned char t_binary_float = 'g';
constexpr unsigned char t_complex = 'x';  // text complex of old versions
constexpr unsigned char t_binary_complex = 'y';
constexpr unsigned char t_long = 'l';
constexpr unsigned char t_string = 's';  // bytes
constexpr unsigned char t_interned = 't';
constexpr unsigned char t_ref = 'r';
constexpr unsigned char t_tuple = '(';
constexpr unsigned char t_small_tuple = ')';
constexpr unsigned char t_list = '[';
constexpr unsigned char t_dict = '{';
constexpr unsigned char t_code = 'c';
constexpr unsigned char t_unicode = 'u';
constexpr unsigned char t_unknown = '?';
constexpr unsigned char t_set = '<';
constexpr unsigned char t_frozenset = '>';
constexpr unsigned char t_ascii = 'a';
constexpr unsigned char t_ascii_interned = 'A';
constexpr unsigned char t_short_ascii = 'z';
constexpr unsigned char t_short_ascii_interned = 'Z';

// Ints travel in base 2**15. Value keeps big ints as decimal text, and converting between the
// two is quadratic, so sizes are bounded: 2048 digits (30720 bits, about 9250 decimal digits)
// is more than twice what Python 3.11 itself converts to or from text (4300 digits), so every
// int that Pyro4's text serializers can carry fits.
constexpr std::size_t max_long_digits = 2048;
constexpr std::size_t max_int_text = 9300;  // checked first, to bound the conversion

// Python's writer refuses deeper nesting ("object too deeply nested to marshal").
constexpr std::size_t max_write_depth = 2000;

// Reader budget: the bytes of memory the decoded value may take, roughly. Without references
// a value needs at most about 90 bytes per input byte (a list of {None: None}: 4 bytes, a Value
// and room for 4 dict items), so 128 never refuses such data; the floor leaves room for Python's
// own references to shared objects, which this reader copies.
constexpr std::size_t budget_per_input_byte = 128;
constexpr std::size_t budget_floor = 4u << 20;
constexpr std::size_t index_cost = 64;  // hash index entry of a Set item

[[noreturn, gnu::cold]] void fail(const std::string& what, std::size_t offset) {
  throw SerializeError("marshal: " + what + " at offset " + std::to_string(offset));
}

std::string hex_byte(unsigned char c) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

using detail::is_ascii;

// Base-2**15 magnitude digits (least significant first) -> decimal text. Base-10**9 limbs
// multiplied by 2**30 per step: two marshal digits at a time.
std::string digits_to_decimal(bool negative, std::span<const std::uint16_t> digits) {
  constexpr std::uint64_t base = 1000000000;
  std::vector<std::uint32_t> limbs;  // least significant first
  limbs.reserve(digits.size() / 2 + 2);
  auto step = [&limbs](std::uint64_t chunk, unsigned shift) {
    std::uint64_t carry = chunk;
    for (auto& limb : limbs) {
      std::uint64_t cur = (static_cast<std::uint64_t>(limb) << shift) + carry;
      limb = static_cast<std::uint32_t>(cur % base);
      carry = cur / base;
    }
    while (carry) {
      limbs.push_back(static_cast<std::uint32_t>(carry % base));
      carry /= base;
    }
  };
  std::size_t i = digits.size();
  if (i % 2) {
    --i;
    step(digits[i], 15);
  }
  while (i) {
    i -= 2;
    step((static_cast<std::uint64_t>(digits[i + 1]) << 15) | digits[i], 30);
  }
  std::string text;
  if (limbs.empty()) return "0";
  text.reserve(limbs.size() * 9 + 1);
  if (negative) text += '-';
  text += std::to_string(limbs.back());
  char buf[16];
  for (std::size_t k = limbs.size() - 1; k-- > 0;) {
    auto res = std::to_chars(buf, buf + sizeof buf, limbs[k]);
    auto len = static_cast<std::size_t>(res.ptr - buf);
    text.append(9 - len, '0');
    text.append(buf, len);
  }
  return text;
}

// ---- reader -------------------------------------------------------------------------------

// Little-endian loads; memcpy compiles to one (unaligned) load.
std::uint32_t load_u32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}
double load_f64(const char* p) noexcept {
  std::uint64_t bits;
  std::memcpy(&bits, p, sizeof bits);
  if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap64(bits);
  return std::bit_cast<double>(bits);
}

class Reader {
 public:
  Reader(std::string_view data, const Limits& limits)
      : begin_(data.data()),
        p_(data.data()),
        end_(data.data() + data.size()),
        limits_(limits),
        budget_(data.size() * budget_per_input_byte + budget_floor) {}

  Value read_top() {
    charge(sizeof(Value));
    return read();
  }

  /// Reads a top-level tuple or list of 4 (a call) straight into `parts`, without building the
  /// tuple. False, having read nothing, if the data starts with anything else.
  bool read_call(Value (&parts)[4]) {
    const char* at = p_;
    if (remaining() < 2) return false;
    const auto c = static_cast<unsigned char>(*p_);
    const auto code = static_cast<unsigned char>(c & ~flag_ref);
    if (code == t_small_tuple) {
      if (static_cast<unsigned char>(p_[1]) != 4) return false;
      p_ += 2;
    } else if (code == t_tuple || code == t_list) {
      if (remaining() < 5 || load_u32(p_ + 1) != 4) return false;
      p_ += 5;
    } else {
      return false;
    }
    charge(5 * sizeof(Value));
    std::size_t slot = no_slot;
    if (c & flag_ref) {
      slot = refs_.size();
      refs_.push_back({offset(at), false});
    }
    Nest nest(*this, offset(at));
    for (Value& part : parts) read_into(part);
    if (slot != no_slot) refs_[slot].done = true;
    return true;
  }

 private:
  struct Slot {
    std::size_t offset;  // of the flagged type code: a reference decodes from here again
    bool done;           // a reference to an unfinished container would make a cycle
  };
  static constexpr std::size_t no_slot = std::numeric_limits<std::size_t>::max();

  // Counts container nesting; throws beyond the limit before the stack can run out.
  class Nest {
   public:
    Nest(Reader& r, std::size_t at) : r_(r) {
      if (++r_.depth_ > r_.limits_.max_depth)
        fail("nesting deeper than " + std::to_string(r_.limits_.max_depth) + " levels", at);
    }
    ~Nest() { --r_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Reader& r_;
  };

  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  std::size_t offset(const char* p) const noexcept { return static_cast<std::size_t>(p - begin_); }
  std::size_t pos() const noexcept { return offset(p_); }

  [[noreturn, gnu::cold, gnu::noinline]] static void fail_end(std::size_t at) {
    fail("unexpected end of data", at);
  }
  void need(std::size_t n, std::size_t at) const {
    if (remaining() < n) fail_end(at);
  }

  // Checked reads, for the codes off the fast path of read_with().
  unsigned char u8() {
    need(1, pos());
    return static_cast<unsigned char>(*p_++);
  }
  std::uint32_t u32() {
    need(4, pos());
    const std::uint32_t v = load_u32(p_);
    p_ += 4;
    return v;
  }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  double f64() {
    need(8, pos());
    const double d = load_f64(p_);
    p_ += 8;
    return d;
  }
  std::string_view take(std::size_t n, std::size_t at) {
    need(n, at);
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }

  // Adds `bytes` to the memory the value takes; refuses input that expands too far.
  void charge(std::size_t bytes) {
    used_ += bytes;
    if (used_ > budget_) [[unlikely]]
      over_budget();
  }
  [[noreturn, gnu::cold, gnu::noinline]] void over_budget() const {
    fail("data expands to more than " + std::to_string(budget_) +
             " bytes of values (too many references)",
         pos());
  }

  // Item counts: every item takes at least one byte, so a count beyond the rest of the input is
  // a lie, refused before anything is allocated for it.
  std::size_t count(std::size_t n, std::size_t at) {
    if (n > remaining())
      fail("container claims " + std::to_string(n) + " items but only " +
               std::to_string(remaining()) + " bytes follow",
           at);
    charge(n * sizeof(Value));
    return n;
  }

  // CPython gives a reference slot to a flagged object of any type but these (its writer never
  // flags them; a reader must still number the slots the same way).
  static bool takes_slot(unsigned char code) noexcept {
    return code != t_none && code != t_true && code != t_false && code != t_null && code != t_ref &&
           code != t_stopiter && code != t_ellipsis && code != t_unknown;
  }

  // The slot of a flagged scalar, finished as soon as it is handed out.
  void scalar_slot(const char* at) {
    if (replaying_ == 0) refs_.push_back({offset(at), true});
  }

  Value read() {
    Value v;
    read_into(v);
    return v;
  }

  // Reads the next object right into `out`, which holds None (so there is nothing to destroy,
  // and no temporary to move: the object is constructed there). Value constructors set the
  // type last, so if reading throws, `out` still holds a None (or a container partly filled,
  // which its owner destroys).
  void read_into(Value& out) {
    if (p_ == end_) [[unlikely]]
      fail_end(pos());
    read_with(out, static_cast<unsigned char>(*p_));
  }

  // read_into() for a caller that has looked at the type code `c` (at p_) already. The codes
  // Pyro4's payloads are made of, when the input is long enough for their fixed part, are read
  // inline with one bounds check, and no call: this is inlined into the container loops, so
  // a scalar costs no function prologue. Everything else goes through read_other().
  [[gnu::always_inline]] void read_with(Value& out, unsigned char c) {
    const char* at = p_;
    const std::size_t left = remaining();  // >= 1: `c` is there
    switch (c & ~flag_ref) {
      case t_none:
        p_ = at + 1;
        return;  // `out` holds None already; never takes a slot
      case t_true:
        p_ = at + 1;
        new (&out) Value(true);
        return;
      case t_false:
        p_ = at + 1;
        new (&out) Value(false);
        return;
      case t_int:
        if (left < 5) break;
        if (c & flag_ref) scalar_slot(at);
        new (&out) Value(static_cast<std::int64_t>(static_cast<std::int32_t>(load_u32(at + 1))));
        p_ = at + 5;
        return;
      case t_binary_float:
        if (left < 9) break;
        if (c & flag_ref) scalar_slot(at);
        new (&out) Value(load_f64(at + 1));
        p_ = at + 9;
        return;
      case t_short_ascii:
      case t_short_ascii_interned: {
        if (left < 2) break;
        const std::size_t n = static_cast<unsigned char>(at[1]);
        if (n > left - 2) fail_end(offset(at));
        if (c & flag_ref) scalar_slot(at);
        p_ = at + 2 + n;
        read_latin1_into(out, std::string_view(at + 2, n));
        return;
      }
      default:
        break;
    }
    read_other(out, c);
  }

  // The containers, every other code, and the scalars too close to the end for read_with().
  [[gnu::noinline]] void read_other(Value& out, unsigned char c) {
    const char* at = p_++;
    const auto code = static_cast<unsigned char>(c & ~flag_ref);
    std::size_t slot = no_slot;
    if ((c & flag_ref) && replaying_ == 0 && takes_slot(code)) {
      slot = refs_.size();
      refs_.push_back({offset(at), false});
    }
    switch (code) {
      case t_dict:
        // {} (as a call's kwargs usually are) without the call.
        if (p_ != end_ && (*p_ & ~flag_ref) == t_null && depth_ < limits_.max_depth) {
          ++p_;
          new (&out) Value(std::in_place_type<Dict>);
        } else {
          read_dict_into(out, at);
        }
        break;
      case t_list:
        read_sequence_into<List>(out, u32(), at);
        break;
      case t_tuple:
        read_sequence_into<Tuple>(out, u32(), at);
        break;
      case t_small_tuple:
        read_sequence_into<Tuple>(out, u8(), at);
        break;
      case t_ref:
        read_ref_into(out, offset(at));
        break;
      default:
        new (&out) Value(read_object(code, offset(at)));
        break;
    }
    if (slot != no_slot) refs_[slot].done = true;
  }

  Value read_object(unsigned char c, std::size_t at) {
    switch (c) {
      case t_none:
        return Value();
      case t_true:
        return Value(true);
      case t_false:
        return Value(false);
      case t_int:
        return Value(static_cast<std::int64_t>(i32()));
      case t_int64: {
        std::uint64_t lo = u32();
        std::uint64_t hi = u32();
        return Value(static_cast<std::int64_t>((hi << 32) | lo));
      }
      case t_long:
        return read_long(at);
      case t_binary_float:
        return Value(f64());
      case t_binary_complex: {
        double re = f64();
        double im = f64();
        return Value(Value::Complex(re, im));
      }
      case t_float:
        return Value(read_text_float());
      case t_complex: {
        double re = read_text_float();
        double im = read_text_float();
        return Value(Value::Complex(re, im));
      }
      case t_string: {
        std::size_t n = u32();
        auto s = take(n, at);
        charge(n);
        return Value(Bytes{std::string(s)});
      }
      case t_unicode:
      case t_interned: {
        std::size_t n = u32();
        return read_utf8(take(n, at), at);
      }
      case t_ascii:
      case t_ascii_interned: {
        std::size_t n = u32();
        return read_latin1(take(n, at));
      }
      case t_short_ascii:
      case t_short_ascii_interned: {
        std::size_t n = u8();
        return read_latin1(take(n, at));
      }
      case t_set:
      case t_frozenset:
        return read_set(at);
      case t_null:
        fail("NULL object outside a dict", at);
      case t_code:
        fail("code objects are not supported", at);
      case t_stopiter:
        fail("StopIteration is not a value remoto carries", at);
      case t_ellipsis:
        fail("Ellipsis is not a value remoto carries", at);
      case t_unknown:
        fail("unknown object ('?')", at);
      default:
        fail("unknown type code " + hex_byte(c), at);
    }
  }

  Value read_long(std::size_t at) {
    std::int32_t n = i32();
    if (n == 0) return Value(0);
    bool negative = n < 0;
    std::size_t size = negative ? static_cast<std::size_t>(-static_cast<std::int64_t>(n))
                                : static_cast<std::size_t>(n);
    if (size > max_long_digits)
      fail("int of " + std::to_string(size) + " digits is too large (limit " +
               std::to_string(max_long_digits) + " digits of 15 bits)",
           at);
    need(2 * size, at);
    const char* p = p_;
    auto digit = [p](std::size_t i) {
      return static_cast<std::uint16_t>(static_cast<unsigned char>(p[2 * i]) |
                                        (static_cast<unsigned char>(p[2 * i + 1]) << 8));
    };
    for (std::size_t i = 0; i < size; ++i)
      if (digit(i) > 0x7FFF) fail("int digit out of range", at);
    if (digit(size - 1) == 0) fail("unnormalized int", at);
    p_ += 2 * size;
    if (size <= 4) {  // at most 60 bits: no text needed
      std::int64_t mag = 0;
      for (std::size_t i = size; i-- > 0;) mag = (mag << 15) | digit(i);
      return Value(negative ? -mag : mag);
    }
    // References replay the bytes; the conversion is quadratic, so do it once per encoding.
    if (!big_ints_) big_ints_ = std::make_unique<std::unordered_map<std::size_t, BigInt>>();
    if (auto it = big_ints_->find(at); it != big_ints_->end()) return Value(it->second);
    std::vector<std::uint16_t> digits(size);
    for (std::size_t i = 0; i < size; ++i) digits[i] = digit(i);
    auto big = BigInt::parse(digits_to_decimal(negative, digits));
    charge(big->str().size());
    big_ints_->emplace(at, *big);
    return Value(std::move(*big));
  }

  double read_text_float() {
    std::size_t at = pos();
    std::size_t n = u8();
    std::string_view text = take(n, at);
    // PyOS_string_to_double: optional sign, decimal or inf/infinity/nan, nothing else.
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
      negative = text[0] == '-';
      text.remove_prefix(1);
    }
    double d = 0;
    auto res = std::from_chars(text.data(), text.data() + text.size(), d);
    if (text.empty() || text[0] == '-' || res.ec == std::errc::invalid_argument ||
        res.ptr != text.data() + text.size())
      fail("bad float text", at);
    // from_chars reports both overflow and underflow as out of range; strtod tells which
    // (rare old format, so its locale dependence does not matter in practice).
    if (res.ec == std::errc::result_out_of_range)
      d = std::strtod(std::string(text).c_str(), nullptr);
    return negative ? -d : d;
  }

  Value read_utf8(std::string_view s, std::size_t at) {
    // CPython decodes with "surrogatepass": lone surrogates are kept, as in Value's Str. The
    // fast strict scan accepts a subset of that; only what it refuses is looked at again.
    if (detail::find_invalid_utf8(s) != std::string_view::npos) {
      auto bad = unicode::find_invalid(s, true);
      if (bad != std::string_view::npos) fail("invalid UTF-8 in str", at + 5 + bad);
    }
    charge(s.size());
    return Value(std::in_place_type<Str>, s);
  }

  // CPython builds 'a'/'z' strings as one-byte-kind strings, i.e. bytes >= 0x80 are Latin-1.
  [[gnu::always_inline]] void read_latin1_into(Value& out, std::string_view s) {
    if (is_ascii(s)) [[likely]] {
      charge(s.size());
      new (&out) Value(std::in_place_type<Str>, s);
    } else {
      new (&out) Value(read_latin1(s));
    }
  }
  [[gnu::noinline]] Value read_latin1(std::string_view s) {
    if (is_ascii(s)) {
      charge(s.size());
      return Value(std::in_place_type<Str>, s);
    }
    std::string utf8;
    utf8.reserve(s.size() * 2);
    for (char c : s) unicode::append(utf8, static_cast<unsigned char>(c));
    charge(utf8.size());
    return Value(Str{std::move(utf8)});
  }

  // Builds the list or tuple right in `out` (None until now), as read_dict_into.
  template <class Seq>
  void read_sequence_into(Value& out, std::size_t n, const char* at) {
    Nest nest(*this, offset(at));
    count(n, offset(at));
    new (&out) Value(std::in_place_type<Seq>);
    auto& items = out.get<Seq>().items;
    items.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (p_ == end_) [[unlikely]]
        fail_end(pos());
      read_with(items.emplace_back(), static_cast<unsigned char>(*p_));
    }
  }

  Value read_set(std::size_t at) {
    Nest nest(*this, at);
    std::size_t n = count(u32(), at);
    Set set;
    set.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t item_at = pos();
      Value item = read();
      if (!item.is_hashable())
        fail(std::string("unhashable set element: ") + item.type_name(), item_at);
      if (set.insert(std::move(item))) charge(index_cost);
    }
    return Value(std::move(set));
  }

  // Builds the dict right in `out` (None until now): a half-read dict is destroyed by the
  // owner of `out` if reading throws, and its duplicate keys never matter then.
  [[gnu::noinline]] void read_dict_into(Value& out, const char* at) {
    Nest nest(*this, offset(at));
    new (&out) Value(std::in_place_type<Dict>);
    if (p_ == end_) [[unlikely]]
      fail_end(pos());
    auto c = static_cast<unsigned char>(*p_);
    if ((c & ~flag_ref) == t_null) {
      ++p_;
      return;
    }
    Dict& dict = out.get<Dict>();
    // Room for 4 items at the first: most dicts are small, and growing 1, 2, 4 costs more.
    // Then twice the room, and from 64 items on 4 times (each growth moves every item, and
    // a dict that large is likely to grow more), but never room for more items than the rest
    // of the input can hold: each takes at least 2 bytes.
    charge(4 * sizeof(Dict::Item));
    dict.reserve(4);
    std::size_t capacity = 4;
    for (std::size_t n = 0;; ++n) {
      if (n >= 4) charge(sizeof(Dict::Item));
      if (n == capacity) [[unlikely]] {
        capacity = std::min(n >= 64 ? 4 * n : 2 * n, n + 1 + remaining() / 2);
        dict.reserve(capacity);
      }
      // Appended unchecked (CPython never writes a key twice); duplicates are settled below.
      Dict::Item& item = dict.emplace_key();
      const char* key_at = p_;
      read_with(item.first, c);
      if (!item.first.is_hashable()) [[unlikely]]
        fail(std::string("unhashable dict key: ") + item.first.type_name(), offset(key_at));
      if (p_ == end_) [[unlikely]]
        fail_end(pos());
      c = static_cast<unsigned char>(*p_);
      if ((c & ~flag_ref) == t_null) [[unlikely]]
        fail("dict key without a value", pos());
      read_with(item.second, c);
      if (p_ == end_) [[unlikely]]
        fail_end(pos());
      c = static_cast<unsigned char>(*p_);
      if ((c & ~flag_ref) == t_null) {
        ++p_;
        break;
      }
    }
    // Python's d[k] = v for each item: a repeated key keeps its first place, the last value.
    dict.remove_duplicate_keys();
  }

  // A reference decodes the remembered object's bytes again, right into `out`.
  void read_ref_into(Value& out, std::size_t at) {
    std::uint32_t index = u32();
    if (index >= refs_.size())
      fail("reference to object #" + std::to_string(index) + " but only " +
               std::to_string(refs_.size()) + " were marked",
           at);
    if (!refs_[index].done)
      fail("reference to an unfinished container (recursive data is not supported)", at);
    const char* resume = p_;
    p_ = begin_ + refs_[index].offset;
    ++replaying_;
    read_into(out);
    --replaying_;
    p_ = resume;
  }

  const char* const begin_;
  const char* p_;  // the next byte to read
  const char* const end_;
  const Limits& limits_;
  std::size_t depth_ = 0;
  std::size_t budget_;
  std::size_t used_ = 0;
  std::size_t replaying_ = 0;  // > 0 while decoding a referenced object again
  // The reference slots: the first ones inline (a call payload flags a few objects, and an
  // allocation would cost more than decoding it), the rest in a vector.
  detail::SmallStack<Slot, 16> refs_;
  // Big ints by offset of their type code; made by the first one (most data has none).
  std::unique_ptr<std::unordered_map<std::size_t, BigInt>> big_ints_;
};

// ---- writer -------------------------------------------------------------------------------

// Stores bytes straight into the output string (detail::StringOut).
class Writer : detail::StringOut {
 public:
  using StringOut::StringOut;

  // The common scalars inline; the rest through a call, which keeps this function small (one
  // big visit for everything costs a heavy prologue on every value).
  void write(const Value& v) {
    if (const auto* i = v.get_if<std::int64_t>()) return put(*i);
    if (const auto* s = v.get_if<Str>()) return put(*s);
    if (const auto* d = v.get_if<double>()) return put(*d);
    write_other(v);
  }
  [[gnu::noinline]] void write_other(const Value& v) {
    v.visit([this](const auto& x) { put(x); });
  }

  /// A str given as its text (a Call's object and method).
  void put_str(std::string_view text) { put_text(text); }

  void put_list(const std::vector<Value>& items) {
    Nest nest(*this);
    head(t_list, items.size());
    for (const auto& item : items) write(item);
  }

  void put(const Dict& d) {
    Nest nest(*this);
    ensure(1);
    byte(t_dict);
    for (const auto& [k, v] : d) {
      if (!k.is_hashable())
        throw SerializeError(std::string("marshal: unhashable dict key: ") + k.type_name());
      write(k);
      write(v);
    }
    ensure(1);
    byte(t_null);
  }

 private:
  // CPython's writer refuses deeper nesting ("object too deeply nested to marshal").
  class Nest {
   public:
    explicit Nest(Writer& w) : w_(w) {
      if (++w_.depth_ > max_write_depth)
        throw SerializeError("marshal: object too deeply nested to marshal");
    }
    ~Nest() { --w_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Writer& w_;
  };

  void u32(std::uint32_t n) {
    p_[0] = static_cast<char>(n);
    p_[1] = static_cast<char>(n >> 8);
    p_[2] = static_cast<char>(n >> 16);
    p_[3] = static_cast<char>(n >> 24);
    p_ += 4;
  }
  void f64(double d) {
    auto bits = std::bit_cast<std::uint64_t>(d);
    for (int i = 0; i < 8; ++i) p_[i] = static_cast<char>(bits >> (8 * i));
    p_ += 8;
  }
  // A type code and a uint32 size.
  void head(unsigned char code, std::size_t n) {
    if (n > 0x7FFFFFFF) throw SerializeError("marshal: object too large to marshal");
    ensure(5);
    byte(code);
    u32(static_cast<std::uint32_t>(n));
  }
  void append(std::string_view s) {
    ensure(s.size());
    raw(s.data(), s.size());
  }
  void digits(bool negative, std::span<const std::uint16_t> ds) {
    ensure(5 + 2 * ds.size());
    byte(t_long);
    auto n = static_cast<std::int32_t>(ds.size());  // at most max_int_text / 4 digits
    u32(static_cast<std::uint32_t>(negative ? -n : n));
    for (auto d : ds) {
      byte(static_cast<unsigned char>(d));
      byte(static_cast<unsigned char>(d >> 8));
    }
  }

  void put(std::monostate) {
    ensure(1);
    byte(t_none);
  }
  void put(bool b) {
    ensure(1);
    byte(b ? t_true : t_false);
  }
  void put(std::int64_t i) {
    if (i >= INT32_MIN && i <= INT32_MAX) {
      ensure(5);
      byte(t_int);
      u32(static_cast<std::uint32_t>(i));  // two's complement, little-endian
      return;
    }
    std::uint64_t mag = i < 0 ? 0 - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
    std::uint16_t ds[5];
    std::size_t n = 0;
    while (mag) {
      ds[n++] = static_cast<std::uint16_t>(mag & 0x7FFF);
      mag >>= 15;
    }
    digits(i < 0, std::span(ds, n));
  }
  void put(const BigInt& b) {
    if (b.str().size() > max_int_text)
      throw SerializeError("marshal: int of " + std::to_string(b.str().size()) +
                           " decimal digits is too large (limit " + std::to_string(max_int_text) +
                           ")");
    auto ds = b.to_digits15();
    if (ds.size() > max_long_digits)  // what the reader takes back
      throw SerializeError("marshal: int of " + std::to_string(ds.size()) +
                           " digits is too large (limit " + std::to_string(max_long_digits) +
                           " digits of 15 bits)");
    digits(b.negative(), ds);
  }
  void put(double d) {
    ensure(9);
    byte(t_binary_float);
    f64(d);
  }
  void put(const Value::Complex& c) {
    ensure(17);
    byte(t_binary_complex);
    f64(c.real());
    f64(c.imag());
  }
  void put(const Str& s) {
    std::string_view text = s.utf8;
    // An inline str (most keys and words): its 32 bytes are the text, zeros and the size
    // byte (< 0x80), so the ASCII check and the copy are fixed-size, no loop and no call.
    const auto* raw_bytes = reinterpret_cast<const char*>(&s.utf8);
    if (text.data() == raw_bytes) {
      static_assert(sizeof s.utf8 == 32 && InlineString::inline_capacity < 0x80);
      std::uint64_t w[4];
      std::memcpy(w, raw_bytes, sizeof w);
      if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) == 0) [[likely]] {
        ensure(2 + sizeof w);
        byte(t_short_ascii);
        byte(static_cast<unsigned char>(text.size()));
        std::memcpy(p_, w, sizeof w);  // the bytes past the size are overwritten next
        p_ += text.size();
        return;
      }
    }
    put_text(text);
  }
  // A str given as its UTF-8 text (surrogatepass, as Str holds it).
  void put_text(std::string_view text) {
    if (is_ascii(text)) {
      if (text.size() <= InlineString::inline_capacity) {
        ensure(2 + text.size());
        byte(t_short_ascii);
        byte(static_cast<unsigned char>(text.size()));
        InlineString::copy_short(p_, text.data(), text.size());
        p_ += text.size();
        return;
      }
      if (text.size() < 256) {
        ensure(2 + text.size());
        byte(t_short_ascii);
        byte(static_cast<unsigned char>(text.size()));
      } else {
        head(t_ascii, text.size());
      }
    } else {
      // Str holds surrogatepass UTF-8 already, which is what CPython writes; only check it.
      if (!unicode::is_valid(text, true)) throw SerializeError("marshal: str is not valid UTF-8");
      head(t_unicode, text.size());
    }
    append(text);
  }
  void put(const Bytes& b) {
    head(t_string, b.data.size());
    append(b.data);
  }
  void put(const List& l) { put_list(l.items); }
  void put(const Tuple& t) {
    Nest nest(*this);
    if (t.items.size() < 256) {
      ensure(2);
      byte(t_small_tuple);
      byte(static_cast<unsigned char>(t.items.size()));
    } else {
      head(t_tuple, t.items.size());
    }
    for (const auto& item : t.items) write(item);
  }
  void put(const Set& s) {
    Nest nest(*this);
    head(t_set, s.size());
    for (const auto& item : s) {
      if (!item.is_hashable())
        throw SerializeError(std::string("marshal: unhashable set element: ") + item.type_name());
      write(item);
    }
  }

  std::size_t depth_ = 0;
};

class Marshal final : public Serializer {
 public:
  SerializerId id() const noexcept override { return SerializerId::marshal; }
  const char* name() const noexcept override { return "marshal"; }

  std::string encode(const Value& value) const override {
    std::string out;
    Writer(out).write(value);
    return out;
  }

  Value decode(std::string_view data, const Limits& limits) const override {
    if (data.size() > limits.max_input)
      throw SerializeError("marshal: " + std::to_string(data.size()) +
                           " bytes exceed the input limit of " + std::to_string(limits.max_input));
    // Like Python's marshal.loads, bytes after the value are ignored.
    return Reader(data, limits).read_top();
  }

  std::string encode_call(const Call& call) const override {
    // (objectId, method, vargs as a list, kwargs), as Pyro4's MarshalSerializer.dumpsCall.
    std::string out = ")\x04";
    Writer w(out);
    w.put_str(call.object);
    w.put_str(call.method);
    w.put_list(call.args);
    // Pyro4's daemon takes {} where its client would send None (attribute access, batches),
    // and its marshal client cannot send None at all (spec §4.6).
    if (call.kwargs)
      w.put(*call.kwargs);
    else
      w.put(Dict());
    return out;
  }

  Call decode_call(std::string_view data, const Limits& limits) const override {
    if (data.size() <= limits.max_input) {
      Value parts[4];
      if (Reader(data, limits).read_call(parts)) return make_call(parts);
    }
    // Not a tuple or list of 4: decoded whole, for the error message.
    Value v = decode(data, limits);
    if (!v.is_tuple() && !v.is_list())
      throw SerializeError(std::string("marshal: a call must be a tuple (object, method, args, "
                                       "kwargs), got ") +
                           v.type_name());
    auto& items = v.is_tuple() ? v.as_tuple() : v.as_list();
    if (items.size() != 4)
      throw SerializeError("marshal: a call must be a tuple of 4 items, got " +
                           std::to_string(items.size()));
    return make_call(items.data());
  }

 private:
  static Call make_call(Value* items) {
    if (!items[0].is_str() || !items[1].is_str())
      throw SerializeError(std::string("marshal: call object and method must be str, got ") +
                           items[0].type_name() + " and " + items[1].type_name());
    auto& args = items[2];
    if (!args.is_list() && !args.is_tuple())
      throw SerializeError(std::string("marshal: call args must be a list or tuple, got ") +
                           args.type_name());
    auto& kwargs = items[3];
    if (!kwargs.is_dict() && !kwargs.is_none())
      throw SerializeError(std::string("marshal: call kwargs must be a dict or None, got ") +
                           kwargs.type_name());
    Dict* kw = kwargs.is_dict() ? &kwargs.get<Dict>() : nullptr;
    if (kw)
      for (const auto& [k, unused] : *kw)
        if (!k.is_str())
          throw SerializeError(std::string("marshal: keyword argument names must be str, got ") +
                               k.type_name());
    // Every member built in place: no empty string assigned to, no Dict moved twice.
    return Call{std::string(items[0].get<Str>().utf8.view()),
                std::string(items[1].get<Str>().utf8.view()),
                std::move(args.is_list() ? args.get<List>().items : args.get<Tuple>().items),
                kw ? std::optional<Dict>(std::move(*kw)) : std::nullopt};
  }
};

}  // namespace

const Serializer& marshal() {
  static const Marshal instance;
  return instance;
}

}  // namespace remoto::serial
