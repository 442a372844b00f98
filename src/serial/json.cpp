// json (serializer id 2): Python's json dialect exactly as Pyro4 writes and reads it, i.e.
// json.dumps(data, ensure_ascii=False) encoded as UTF-8, and json.loads of the UTF-8 text.
//
// Hand-written, because no JSON library available as a Debian package reads and writes this
// dialect exactly (checked 2024 against the packaged versions):
//  * nlohmann-json 3.11.2 (nlohmann-json3-dev): its lexer rejects the tokens NaN, Infinity and
//    -Infinity (parse_error.101 "invalid literal", also through the SAX interface, with no
//    option to allow them); an integer beyond 64 bits becomes a double (the SAX number_float
//    callback does get the raw text, so that part could be recovered); a lone surrogate escape
//    such as "\ud800", which Python accepts, is a parse error; on output, non-finite doubles
//    become null, separators are "," and ":" (", " and ": " only come with newlines and
//    indentation), and float text is its own shortest form, not CPython's repr.
//  * simdjson 3.0.1 (libsimdjson-dev): strict RFC 8259, NaN/Infinity are errors (upstream
//    added them only in 2026, behind a build flag, and case-insensitively), integers beyond 64
//    bits are BIGINT_ERROR in the DOM API; it has no writer for this dialect either.
// So both directions are written here, following CPython 3.11's json module (the C scanner
// and encoder): see the Reader and Writer comments for the exact rules.
#include <algorithm>
#include <array>
#include <bit>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "remoto/serial/detail/utf8_scan.hpp"
#include "remoto/serial/serializer.hpp"
#include "remoto/value/repr.hpp"
#include "remoto/value/unicode.hpp"

namespace remoto::serial {
namespace {

// Deep enough for any real payload, shallow enough for the recursion to stay well inside a
// thread's stack (Python's own json.dumps stops at its recursion limit, about 1000).
constexpr std::size_t max_encode_depth = 10000;

// ---------------------------------------------------------------------------------------------
// Reader: CPython's json.loads on text that Pyro4 first decoded from strict UTF-8.
//  * whitespace is space, \t, \n, \r only; nothing may follow the one value but whitespace;
//  * numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? -- without fraction and exponent
//    an int of any size, else a float (out of range: ±inf or ±0.0, as float() gives);
//  * NaN, Infinity, -Infinity; true, false, null;
//  * strings: raw control characters (< 0x20) are errors, escapes \" \\ \/ \b \f \n \r \t
//    \uXXXX; a \u high surrogate directly followed by a \u low surrogate is one code point,
//    any other surrogate stays a lone surrogate (Str keeps them, surrogatepass);
//  * arrays become lists; objects dicts in order, a repeated key keeps its first position
//    and its last value.
class Reader {
 public:
  Reader(std::string_view text, const Limits& limits)
      : begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(limits.max_depth) {}

  Value document() {
    skip_ws();
    Value v;
    value_into(v);
    skip_ws();
    if (p_ != end_) fail("extra data", p_);
    return v;
  }

 private:
  [[noreturn]] void fail(std::string_view what, const char* at) const {
    std::string msg = "json: ";
    msg += what;
    msg += " at byte ";
    msg += std::to_string(at - begin_);
    throw SerializeError(msg);
  }

  void skip_ws() {
    // All four whitespace characters are <= ' ': one comparison settles the usual case.
    while (p_ != end_ && static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }

  // After ',' and ':', where json.dumps puts exactly one space.
  void skip_ws_after_separator() {
    if (p_ != end_ && *p_ == ' ') ++p_;
    skip_ws();
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0)
      return false;
    p_ += word.size();
    return true;
  }

  // Decodes the next value right into `out`, which holds None: nothing to destroy there and
  // no temporary Value to move in. Scalars are built in one step and containers in locals
  // moved in at the end, so if decoding throws, `out` still holds None. Inlined into the
  // array and object loops (scalars cost no call); the recursion goes through array_into and
  // object_into, kept out of line.
  [[gnu::always_inline]] void value_into(Value& out) {
    if (p_ == end_) fail("expecting value", p_);
    switch (*p_) {
      case '{':
        object_into(out);
        return;
      case '[':
        array_into(out);
        return;
      case '"':
        new (&out) Value(std::in_place_type<Str>, string());
        return;
      case 'n':
        if (literal("null")) return;  // `out` holds None already
        break;
      case 't':
        if (literal("true")) {
          new (&out) Value(true);
          return;
        }
        break;
      case 'f':
        if (literal("false")) {
          new (&out) Value(false);
          return;
        }
        break;
      case 'N':
        if (literal("NaN")) {
          new (&out) Value(std::numeric_limits<double>::quiet_NaN());
          return;
        }
        break;
      case 'I':
        if (literal("Infinity")) {
          new (&out) Value(std::numeric_limits<double>::infinity());
          return;
        }
        break;
      case '-':
        if (literal("-Infinity")) {
          new (&out) Value(-std::numeric_limits<double>::infinity());
          return;
        }
        new (&out) Value(number());  // number()'s result is constructed right in `out`
        return;
      default:
        if (*p_ >= '0' && *p_ <= '9') {
          new (&out) Value(number());
          return;
        }
        break;
    }
    fail("expecting value", p_);
  }

  void enter(const char* at) {
    if (++depth_ > max_depth_)
      fail("nesting deeper than " + std::to_string(max_depth_) + " levels", at);
  }

  // Each element is decoded right into its place in the list's own vector. Room for 4 at
  // the first: most arrays are short, and growing 1, 2, 4 costs more allocations.
  [[gnu::noinline]] void array_into(Value& out) {
    const char* start = p_;
    enter(start);
    ++p_;
    // Built right in `out` (None until now); if reading throws, the owner of `out` destroys
    // what was read so far.
    new (&out) Value(std::in_place_type<List>);
    std::vector<Value>& items = out.get<List>().items;
    skip_ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
    } else {
      items.reserve(4);
      for (;;) {
        value_into(items.emplace_back());
        skip_ws();
        if (p_ == end_) fail("unterminated array starting", start);
        if (*p_ == ',') {
          ++p_;
          skip_ws_after_separator();
        } else if (*p_ == ']') {
          ++p_;
          break;
        } else {
          fail("expecting ',' delimiter", p_);
        }
      }
    }
    --depth_;
  }

  // Keys and values are decoded right into the dict's items, appended unchecked; repeated
  // keys are settled once the object ends.
  [[gnu::noinline]] void object_into(Value& out) {
    const char* start = p_;
    enter(start);
    ++p_;
    new (&out) Value(std::in_place_type<Dict>);  // as array_into
    Dict& dict = out.get<Dict>();
    skip_ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
    } else {
      dict.reserve(4);
      for (;;) {
        if (p_ == end_ || *p_ != '"') fail("expecting property name enclosed in double quotes", p_);
        Dict::Item& item = dict.emplace_key(std::in_place_type<Str>, string());
        skip_ws();
        if (p_ == end_ || *p_ != ':') fail("expecting ':' delimiter", p_);
        ++p_;
        skip_ws_after_separator();
        value_into(item.second);
        skip_ws();
        if (p_ == end_) fail("unterminated object starting", start);
        if (*p_ == ',') {
          ++p_;
          skip_ws_after_separator();
        } else if (*p_ == '}') {
          ++p_;
          break;
        } else {
          fail("expecting ',' delimiter", p_);
        }
      }
    }
    --depth_;
    // dict[key] = value for each pair, as Python's json does for a repeated key (first
    // position, last value), settled for the whole object at once.
    if (dict.size() > 1) dict.remove_duplicate_keys();
  }

  // 0..15 for a hex digit, -1 otherwise.
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // The four hex digits at p (p + 4 <= end_ checked by the caller), or -1.
  static long hex4(const char* p) {
    long v = 0;
    for (int i = 0; i < 4; ++i) {
      int d = hex_digit(p[i]);
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  static bool plain_ascii(char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  // The first byte from p on that is not plain ASCII (quote, backslash, control character,
  // non-ASCII), or end_.
  const char* skip_plain_ascii(const char* p) const {
#if defined(__SSE2__)
    // 16 bytes at a time where the target has SSE2 (every x86-64): exact, one compare each
    // for quote and backslash, and one signed compare for control characters and non-ASCII.
    while (end_ - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
      const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
      const __m128i below_space_or_high = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
      const auto mask = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), below_space_or_high)));
      if (mask != 0) return p + std::countr_zero(mask);
      p += 16;
    }
#endif
    while (end_ - p >= 8) {
      const std::uint64_t special = detail::json_special8(p);
      if (special != 0) {
        if constexpr (std::endian::native == std::endian::little) {
          return p + std::countr_zero(special) / 8;
        } else {
          return p + std::countl_zero(special) / 8;
        }
      }
      p += 8;
    }
    while (p != end_ && plain_ascii(*p)) ++p;
    return p;
  }

  // The first byte from p on that ends a run of characters a string carries as they are
  // (quote, backslash, control character, the start of invalid UTF-8), or end_: valid UTF-8
  // sequences are stepped over.
  const char* scan_plain(const char* p) const {
    for (;;) {
      p = skip_plain_ascii(p);
      if (p == end_ || static_cast<unsigned char>(*p) < 0x80) return p;
      std::size_t n = detail::utf8_length(p, end_);
      if (n == 0) return p;
      p += n;
    }
  }

  // p_ at the opening quote; returns the decoded text and leaves p_ after the closing quote.
  // Without escapes (the usual case) that text is the input itself, else string_buffer_
  // (valid until the next call).
  [[gnu::always_inline]] std::string_view string() {
    const char* run = p_ + 1;
    const char* stop = scan_plain(run);
    if (stop != end_ && *stop == '"') {
      p_ = stop + 1;
      return {run, static_cast<std::size_t>(stop - run)};
    }
    string_buffer_.assign(run, static_cast<std::size_t>(stop - run));
    escaped_string(p_, stop);
    return string_buffer_;
  }

  // Goes on with the string that opened at `start` after its plain first run (in
  // string_buffer_ already), from `at` (where that run stopped) to after the closing quote.
  [[gnu::noinline]] void escaped_string(const char* start, const char* at) {
    std::string& out = string_buffer_;
    p_ = at;
    for (;;) {
      if (p_ == end_) fail("unterminated string starting", start);
      char c = *p_;
      if (c == '"') {
        ++p_;
        return;
      }
      if (static_cast<unsigned char>(c) >= 0x80) fail("invalid UTF-8", p_);
      if (c != '\\') fail("invalid control character", p_);
      const char* esc = p_;
      if (end_ - p_ < 2) fail("unterminated string starting", start);
      switch (p_[1]) {
        case '"':
        case '\\':
        case '/':
          out += p_[1];
          p_ += 2;
          break;
        case 'b':
          out += '\b';
          p_ += 2;
          break;
        case 'f':
          out += '\f';
          p_ += 2;
          break;
        case 'n':
          out += '\n';
          p_ += 2;
          break;
        case 'r':
          out += '\r';
          p_ += 2;
          break;
        case 't':
          out += '\t';
          p_ += 2;
          break;
        case 'u': {
          if (end_ - p_ < 6) fail("invalid \\uXXXX escape", esc);
          long cp = hex4(p_ + 2);
          if (cp < 0) fail("invalid \\uXXXX escape", esc);
          p_ += 6;
          // A high surrogate joins a directly following \u low surrogate, as CPython does.
          if (cp >= 0xD800 && cp <= 0xDBFF && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
            long low = hex4(p_ + 2);
            if (low < 0) fail("invalid \\uXXXX escape", p_);
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              p_ += 6;
            }
          }
          unicode::append(out, static_cast<char32_t>(cp));
          break;
        }
        default:
          fail("invalid \\escape", esc);
      }
      const char* run = p_;
      p_ = scan_plain(p_);
      out.append(run, static_cast<std::size_t>(p_ - run));
    }
  }

  static bool is_digit(char c) {
    return c >= '0' && c <= '9';
  }

  // Powers of ten that a double holds exactly.
  static constexpr double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                           1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

  // The digits are read once, into a 64-bit mantissa as they go: enough for any int of 18
  // digits, and for the usual float, whose mantissa and power of ten are both exact doubles
  // (below 2^53 and at most 22): then one multiplication or division, correctly rounded by
  // IEEE arithmetic, gives what float() gives. Anything else goes the general way.
  [[gnu::always_inline]] Value number() {
    const char* start = p_;
    const char* p = p_;
    const bool negative = *p == '-';
    if (negative) ++p;
    if (p == end_) fail("expecting value", start);
    const char* digits = p;
    std::uint64_t mantissa = 0;  // wraps beyond 19 digits; only used below that
    if (*p == '0') {
      ++p;
    } else if (*p >= '1' && *p <= '9') {
      do {
        mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
        ++p;
      } while (p != end_ && is_digit(*p));
    } else {
      fail("expecting value", start);
    }
    const char* int_end = p;
    std::size_t mantissa_digits = static_cast<std::size_t>(int_end - digits);
    long long exponent = 0;
    bool is_int = true;
    if (end_ - p >= 2 && *p == '.' && is_digit(p[1])) {
      const char* fraction = ++p;
      do {
        mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
        ++p;
      } while (p != end_ && is_digit(*p));
      mantissa_digits += static_cast<std::size_t>(p - fraction);
      exponent = -(p - fraction);
      is_int = false;
    }
    if (p != end_ && (*p == 'e' || *p == 'E')) {
      const char* q = p + 1;
      bool exponent_negative = false;
      if (q != end_ && (*q == '+' || *q == '-')) exponent_negative = *q++ == '-';
      if (q != end_ && is_digit(*q)) {
        long long e = 0;
        do {
          e = std::min<long long>(e * 10 + (*q - '0'), 1LL << 40);
          ++q;
        } while (q != end_ && is_digit(*q));
        exponent += exponent_negative ? -e : e;
        p = q;
        is_int = false;
      }
    }
    if (is_int) {
      if (mantissa_digits <= 18) {
        auto v = static_cast<std::int64_t>(mantissa);
        p_ = p;
        return Value(negative ? -v : v);
      }
      p_ = p;
      return long_int(start, int_end);
    }
    // (FLT_EVAL_METHOD 0: double arithmetic is done in double, not x87's wider registers.)
    if (FLT_EVAL_METHOD == 0 && mantissa_digits <= 19 && mantissa <= (std::uint64_t{1} << 53) &&
        exponent >= -22 && exponent <= 22) {
      double d = static_cast<double>(mantissa);
      if (exponent < 0) {
        d /= exact_pow10[-exponent];
      } else {
        d *= exact_pow10[exponent];
      }
      p_ = p;
      return Value(negative ? -d : d);
    }
    p_ = p;
    return general_float(start, p);
  }

  // The rare numbers, kept out of the inlined path.
  [[gnu::noinline]] static Value long_int(const char* start, const char* end) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(start, end, v);
    if (ec == std::errc() && ptr == end) return Value(v);
    return Value(*BigInt::parse(std::string_view(start, static_cast<std::size_t>(end - start))));
  }

  [[gnu::noinline]] Value general_float(const char* start, const char* end) const {
    double d = 0;
    auto [ptr, ec] = std::from_chars(start, end, d);
    if (ec == std::errc::result_out_of_range) return Value(out_of_range(start, end));
    if (ec != std::errc() || ptr != end) fail("invalid number", start);
    return Value(d);
  }

  // from_chars leaves the value unset when it overflows or underflows; float() gives ±inf
  // or ±0.0 there. Which one follows from the decimal exponent of the leading digit.
  static double out_of_range(const char* s, const char* e) {
    bool neg = *s == '-';
    if (neg) ++s;
    long long lead = 0;  // decimal exponent of the first nonzero digit, before the 'e' part
    bool found = false;
    long long int_digits = 0;
    const char* p = s;
    for (; p != e && is_digit(*p); ++p, ++int_digits) {
      if (!found && *p != '0') {
        found = true;
        lead = -int_digits;  // adjusted below once the integer length is known
      }
    }
    if (found) {
      lead += int_digits - 1;
    }
    if (p != e && *p == '.') {
      ++p;
      for (long long i = 1; p != e && is_digit(*p); ++p, ++i)
        if (!found && *p != '0') {
          found = true;
          lead = -i;
        }
    }
    long long exp = 0;
    if (p != e && (*p == 'e' || *p == 'E')) {
      ++p;
      bool eneg = false;
      if (*p == '+' || *p == '-') eneg = *p++ == '-';
      for (; p != e; ++p) exp = std::min<long long>(exp * 10 + (*p - '0'), 1LL << 40);
      if (eneg) exp = -exp;
    }
    double mag = lead + exp > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return neg ? -mag : mag;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::string string_buffer_;  // the text of a string with escapes
};

// ---------------------------------------------------------------------------------------------
// Writer: CPython's json.dumps(value, ensure_ascii=False) (the C encoder), as Pyro4 calls it.
//  * separators ", " and ": ", no newlines, dicts in insertion order;
//  * str: " \ and \b \f \n \r \t as short escapes, other characters below 0x20 as \u00xx
//    (lowercase hex), everything else raw (0x7F too); a lone surrogate cannot be encoded to
//    UTF-8, which Pyro4 does next, so it is an error;
//  * int any size; float as repr(), NaN, Infinity, -Infinity;
//  * list, tuple and set become arrays (Pyro4 turns a set into a tuple);
//  * dict keys: str as is; float, int, True/False/None converted to their JSON text; any
//    other key (tuple, bytes, complex) is an error, as in Python;
//  * bytes and complex are errors (Pyro4's json serializer refuses them).
// Errors carry the path to the bad item, e.g. json: cannot serialize bytes at [2]["data"].
struct EncodeFailure {
  std::string reason;
  std::string path;  // built from the inside out while the failure travels up
};

// Writer::value switches on Value::index(); these are its alternatives in that order.
static_assert(std::is_same_v<decltype(std::declval<const Value&>().get<Str>()), const Str&>);

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void value(const Value& v, std::size_t depth) {
    const Value& var = v;
    switch (var.index()) {
      case 0:
        out_ += "null";
        return;
      case 1:
        out_ += var.get<bool>() ? "true" : "false";
        return;
      case 2:
        integer(var.get<std::int64_t>());
        return;
      case 3:
        out_ += var.get<BigInt>().str();
        return;
      case 4:
        real(var.get<double>());
        return;
      case 5:
        throw EncodeFailure{"cannot serialize complex (Pyro4's json serializer refuses it)", {}};
      case 6:
        string(var.get<Str>().utf8);
        return;
      case 7:
        throw EncodeFailure{"cannot serialize bytes (Pyro4's json serializer refuses it)", {}};
      case 8:
        items(var.get<List>().items, depth);
        return;
      case 9:
        items(var.get<Tuple>().items, depth);
        return;
      case 10:
        dict(var.get<Dict>(), depth);
        return;
      case 11:
        items(var.get<Set>(), depth);
        return;
      default:
        break;
    }
    throw EncodeFailure{"cannot serialize this value", {}};
  }

  void string(std::string_view s) {
    out_ += '"';
    const char* p = s.data();
    const char* end = p + s.size();
    while (p != end) {
      const char* run = p;
      for (bool more = true; more;) {  // as in Reader::string
        while (end - p >= 8 && detail::json_plain8(p)) p += 8;
        const char* window = std::min(p + 8, end);
        more = p != end;
        while (p < window) {
          auto c = static_cast<unsigned char>(*p);
          if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            ++p;
          } else if (c >= 0x80) {
            std::size_t n = detail::utf8_length(p, end);
            if (n == 0) {
              std::size_t pos = static_cast<std::size_t>(p - s.data());
              bool surrogate = unicode::decode(s, pos, true).has_value();
              throw EncodeFailure{surrogate ? "cannot encode a lone surrogate in str to UTF-8"
                                            : "str holds invalid UTF-8",
                                  {}};
            }
            p += n;
          } else {
            more = false;
            break;
          }
        }
        if (p == end) more = false;
      }
      out_.append(run, static_cast<std::size_t>(p - run));
      if (p == end) break;
      char c = *p++;
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default: {
          static constexpr char hex[] = "0123456789abcdef";
          char buf[6] = {'\\', 'u', '0', '0', hex[(c >> 4) & 0xF], hex[c & 0xF]};
          out_.append(buf, sizeof buf);
        }
      }
    }
    out_ += '"';
  }

  template <class Items>
  void items(const Items& items, std::size_t depth) {
    if (depth >= max_encode_depth) throw EncodeFailure{"nesting too deep", {}};
    out_ += '[';
    std::size_t i = 0;
    for (const Value& item : items) {
      if (i) out_ += ", ";
      try {
        value(item, depth + 1);
      } catch (EncodeFailure& f) {
        f.path.insert(0, "[" + std::to_string(i) + "]");
        throw;
      }
      ++i;
    }
    out_ += ']';
  }

  void dict(const Dict& d, std::size_t depth) {
    if (depth >= max_encode_depth) throw EncodeFailure{"nesting too deep", {}};
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : d) {
      if (!first) out_ += ", ";
      first = false;
      key(k);
      out_ += ": ";
      try {
        value(v, depth + 1);
      } catch (EncodeFailure& f) {
        std::string where = "[";
        if (k.is_str()) {
          where += '"';
          where += std::string_view(k.as_str()).substr(0, 40);
          where += '"';
        } else {
          where += k.type_name();
        }
        where += ']';
        f.path.insert(0, where);
        throw;
      }
    }
    out_ += '}';
  }

 private:
  void integer(std::int64_t i) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, i);
    out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }

  void real(double d) {
    if (std::isnan(d)) {
      out_ += "NaN";
    } else if (std::isinf(d)) {
      out_ += d < 0 ? "-Infinity" : "Infinity";
    } else {
      append_float_repr(out_, d);
    }
  }

  // Python's encoder converts these key types to strings; JSON keys are always strings.
  void key(const Value& k) {
    const Value& var = k;
    switch (var.index()) {
      case 6:
        string(var.get<Str>().utf8);
        return;
      case 0:
        out_ += "\"null\"";
        return;
      case 1:
        out_ += var.get<bool>() ? "\"true\"" : "\"false\"";
        return;
      case 2:
      case 3:
      case 4:
        out_ += '"';
        value(k, 0);
        out_ += '"';
        return;
      default:
        throw EncodeFailure{
            std::string("keys must be str, int, float, bool or None, not ") + k.type_name(), {}};
    }
  }

  std::string& out_;
};

[[noreturn]] void rethrow(const EncodeFailure& f) {
  std::string msg = "json: " + f.reason;
  if (!f.path.empty()) msg += " at " + f.path;
  throw SerializeError(msg);
}

void check_size(std::string_view data, const Limits& limits) {
  if (data.size() > limits.max_input)
    throw SerializeError("json: input of " + std::to_string(data.size()) +
                         " bytes exceeds the limit of " + std::to_string(limits.max_input));
}

class Json final : public Serializer {
 public:
  SerializerId id() const noexcept override { return SerializerId::json; }
  const char* name() const noexcept override { return "json"; }

  std::string encode(const Value& value) const override {
    std::string out;
    out.reserve(256);
    try {
      Writer(out).value(value, 0);
    } catch (const EncodeFailure& f) {
      rethrow(f);
    }
    return out;
  }

  Value decode(std::string_view data, const Limits& limits) const override {
    check_size(data, limits);
    return Reader(data, limits).document();
  }

  // {"object": id, "method": name, "params": [...], "kwargs": {...} | null}, in this order,
  // as Pyro4's JsonSerializer.dumpsCall builds the dict.
  std::string encode_call(const Call& call) const override {
    std::string out;
    out.reserve(256);
    try {
      Writer w(out);
      out += "{\"object\": ";
      w.string(call.object);
      out += ", \"method\": ";
      w.string(call.method);
      out += ", \"params\": ";
      try {
        w.items(call.args, 0);
      } catch (EncodeFailure& f) {
        f.path.insert(0, "params");
        throw;
      }
      out += ", \"kwargs\": ";
      if (call.kwargs) {
        try {
          w.dict(*call.kwargs, 0);
        } catch (EncodeFailure& f) {
          f.path.insert(0, "kwargs");
          throw;
        }
      } else {
        out += "null";
      }
      out += '}';
    } catch (const EncodeFailure& f) {
      rethrow(f);
    }
    return out;
  }

  // Pyro4 reads the call by key (loadsCall), so key order does not matter.
  Call decode_call(std::string_view data, const Limits& limits) const override {
    Value v = decode(data, limits);
    if (!v.is_dict())
      throw SerializeError(std::string("json call: expected an object, got ") + v.type_name());
    // The four fields in one pass over the keys (unique once decoded), not one lookup each.
    static constexpr std::string_view names[] = {"object", "method", "params", "kwargs"};
    static_assert(names[0].size() == 6 && names[1].size() == 6 && names[2].size() == 6 &&
                  names[3].size() == 6);
    Value* fields[4] = {};
    const Dict& d = v.as_dict();
    for (std::size_t i = 0; i < d.size(); ++i) {
      const Str* key = d[i].first.get_if<Str>();
      if (!key) continue;
      if (key->utf8.size() != 6) continue;
      for (std::size_t f = 0; f < 4; ++f) {
        if (std::memcmp(key->utf8.data(), names[f].data(), 6) == 0) {
          // v is ours, not const: only Dict's iteration is.
          fields[f] = const_cast<Value*>(&d[i].second);
          break;
        }
      }
    }
    auto field = [&fields](std::size_t f) -> Value& {
      if (!fields[f])
        throw SerializeError(std::string("json call: missing key \"") + std::string(names[f]) +
                             "\"");
      return *fields[f];
    };
    auto text = [&field](std::size_t f) {
      Value& value = field(f);
      if (!value.is_str())
        throw SerializeError(std::string("json call: \"") + std::string(names[f]) +
                             "\" must be a string, got " + value.type_name());
      return value.as_str();
    };
    Call call;
    call.object = text(0);
    call.method = text(1);
    Value& params = field(2);
    if (!params.is_list())
      throw SerializeError(std::string("json call: \"params\" must be an array, got ") +
                           params.type_name());
    call.args = std::move(params.as_list());
    Value& kwargs = field(3);
    if (kwargs.is_dict()) {
      call.kwargs = std::move(kwargs.as_dict());
    } else if (!kwargs.is_none()) {
      throw SerializeError(std::string("json call: \"kwargs\" must be an object or null, got ") +
                           kwargs.type_name());
    }
    return call;
  }
};

}  // namespace

const Serializer& json() {
  static const Json instance;
  return instance;
}

}  // namespace remoto::serial
