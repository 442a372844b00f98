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
    Value v = value();
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

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0)
      return false;
    p_ += word.size();
    return true;
  }

  Value value() {
    if (p_ == end_) fail("expecting value", p_);
    switch (*p_) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return Value(std::in_place_type<Str>, string());
      case 'n':
        if (literal("null")) return Value();
        break;
      case 't':
        if (literal("true")) return Value(true);
        break;
      case 'f':
        if (literal("false")) return Value(false);
        break;
      case 'N':
        if (literal("NaN")) return Value(std::numeric_limits<double>::quiet_NaN());
        break;
      case 'I':
        if (literal("Infinity")) return Value(std::numeric_limits<double>::infinity());
        break;
      case '-':
        if (literal("-Infinity")) return Value(-std::numeric_limits<double>::infinity());
        return number();
      default:
        if (*p_ >= '0' && *p_ <= '9') return number();
        break;
    }
    fail("expecting value", p_);
  }

  void enter(const char* at) {
    if (++depth_ > max_depth_)
      fail("nesting deeper than " + std::to_string(max_depth_) + " levels", at);
  }

  // Elements go to scratch_ first and move into an exactly sized container at the end, which
  // costs one allocation per container instead of a growing vector's several.
  Value array() {
    const char* start = p_;
    enter(start);
    ++p_;
    const std::size_t base = scratch_.size();
    skip_ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
    } else {
      for (;;) {
        scratch_.push_back(value());
        skip_ws();
        if (p_ == end_) fail("unterminated array starting", start);
        if (*p_ == ',') {
          ++p_;
          skip_ws();
        } else if (*p_ == ']') {
          ++p_;
          break;
        } else {
          fail("expecting ',' delimiter", p_);
        }
      }
    }
    --depth_;
    auto first = scratch_.begin() + static_cast<std::ptrdiff_t>(base);
    std::vector<Value> items(std::make_move_iterator(first),
                             std::make_move_iterator(scratch_.end()));
    scratch_.erase(first, scratch_.end());
    return Value(List{std::move(items)});
  }

  // Keys and values alternate in scratch_ until the object ends.
  Value object() {
    const char* start = p_;
    enter(start);
    ++p_;
    const std::size_t base = scratch_.size();
    skip_ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
    } else {
      for (;;) {
        if (p_ == end_ || *p_ != '"') fail("expecting property name enclosed in double quotes", p_);
        scratch_.emplace_back(std::in_place_type<Str>, string());
        skip_ws();
        if (p_ == end_ || *p_ != ':') fail("expecting ':' delimiter", p_);
        ++p_;
        skip_ws();
        scratch_.push_back(value());
        skip_ws();
        if (p_ == end_) fail("unterminated object starting", start);
        if (*p_ == ',') {
          ++p_;
          skip_ws();
        } else if (*p_ == '}') {
          ++p_;
          break;
        } else {
          fail("expecting ',' delimiter", p_);
        }
      }
    }
    --depth_;
    auto first = scratch_.begin() + static_cast<std::ptrdiff_t>(base);
    Value result{Dict()};
    Dict& dict = result.as_dict();
    dict.reserve(static_cast<std::size_t>(scratch_.end() - first) / 2);
    for (auto it = first; it != scratch_.end(); it += 2)
      dict.emplace_key(std::move(it[0])).second = std::move(it[1]);
    scratch_.erase(first, scratch_.end());
    // dict[key] = value for each pair, as Python's json does for a repeated key (first
    // position, last value), settled for the whole object at once.
    dict.remove_duplicate_keys();
    return result;
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

  // p_ at the opening quote; returns the decoded text (valid until the next call) and leaves
  // p_ after the closing quote.
  std::string_view string() {
    string_buffer_.clear();
    string(string_buffer_);
    return string_buffer_;
  }

  // p_ at the opening quote; appends the decoded text to out and leaves p_ after the closing
  // quote. Runs of plain characters are copied in one piece.
  void string(std::string& out) {
    const char* start = p_;
    ++p_;
    for (;;) {
      const char* run = p_;
      // Whole words of plain characters, then byte by byte through the word that stopped
      // that, up to a character that ends the run (quote, backslash, control character).
      for (bool more = true; more;) {
        while (end_ - p_ >= 8 && detail::json_plain8(p_)) p_ += 8;
        const char* window = std::min(p_ + 8, end_);
        more = p_ != end_;
        while (p_ < window) {
          auto c = static_cast<unsigned char>(*p_);
          if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            ++p_;
          } else if (c >= 0x80) {
            std::size_t n = detail::utf8_length(p_, end_);
            if (n == 0) fail("invalid UTF-8", p_);
            p_ += n;
          } else {
            more = false;
            break;
          }
        }
        if (p_ == end_) more = false;
      }
      out.append(run, static_cast<std::size_t>(p_ - run));
      if (p_ == end_) fail("unterminated string starting", start);
      char c = *p_;
      if (c == '"') {
        ++p_;
        return;
      }
      if (c != '\\') fail("invalid control character", p_);
      const char* esc = p_;
      if (end_ - p_ < 2) fail("unterminated string starting", start);
      switch (p_[1]) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
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
          continue;
        }
        default:
          fail("invalid \\escape", esc);
      }
      p_ += 2;
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  Value number() {
    const char* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_) fail("expecting value", start);
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    } else {
      fail("expecting value", start);
    }
    const char* int_end = p_;
    bool is_int = true;
    if (end_ - p_ >= 2 && *p_ == '.' && is_digit(p_[1])) {
      p_ += 2;
      while (p_ != end_ && is_digit(*p_)) ++p_;
      is_int = false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      const char* q = p_ + 1;
      if (q != end_ && (*q == '+' || *q == '-')) ++q;
      if (q != end_ && is_digit(*q)) {
        while (q != end_ && is_digit(*q)) ++q;
        p_ = q;
        is_int = false;
      }
    }
    if (is_int) {
      std::size_t digits = static_cast<std::size_t>(int_end - start) - (*start == '-');
      if (digits <= 18) {
        std::int64_t v = 0;
        for (const char* d = int_end - digits; d != int_end; ++d) v = v * 10 + (*d - '0');
        return Value(*start == '-' ? -v : v);
      }
      std::int64_t v = 0;
      auto [ptr, ec] = std::from_chars(start, int_end, v);
      if (ec == std::errc() && ptr == int_end) return Value(v);
      return Value(
          *BigInt::parse(std::string_view(start, static_cast<std::size_t>(int_end - start))));
    }
    double d = 0;
    auto [ptr, ec] = std::from_chars(start, p_, d);
    if (ec == std::errc::result_out_of_range) return Value(out_of_range(start, p_));
    if (ec != std::errc() || ptr != p_) fail("invalid number", start);
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
  std::vector<Value> scratch_;  // elements (or keys and values) of the open containers
  std::string string_buffer_;   // the text of the string being decoded
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
static_assert(std::is_same_v<decltype(Value().get<Str>()), const Str&>);

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
    Dict& d = v.as_dict();
    auto field = [&d](const char* key) -> Value& {
      Value* f = d.find(Value(key));
      if (!f) throw SerializeError(std::string("json call: missing key \"") + key + "\"");
      return *f;
    };
    auto text = [&field](const char* key) {
      Value& f = field(key);
      if (!f.is_str())
        throw SerializeError(std::string("json call: \"") + key + "\" must be a string, got " +
                             f.type_name());
      return f.as_str();
    };
    Call call;
    call.object = text("object");
    call.method = text("method");
    Value& params = field("params");
    if (!params.is_list())
      throw SerializeError(std::string("json call: \"params\" must be an array, got ") +
                           params.type_name());
    call.args = std::move(params.as_list());
    Value& kwargs = field("kwargs");
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
