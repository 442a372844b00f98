// serpent: a hand-written reader of Python literal expressions (the grammar of spec §4.3, a
// superset of what Python's ast.literal_eval accepts from serpent) and a writer that produces
// exactly Python serpent 1.41's output (no spaces, repr() of str and float, 1e30000 for inf,
// the NaN class dict, the base64 dict for bytes, () for an empty set).
//
// Reading follows CPython where it matters for fidelity: strict UTF-8 without NUL, \r\n and \r
// read as \n in the source, escapes as in Python 3.11 (octal escapes in bytes masked to 8 bits),
// ints of any size up to CPython's 4300-digit conversion limit, float overflow to ±inf,
// duplicate dict keys keep their first position and take the last value. Deliberate
// differences: a complex literal (a+bj) is built as complex(a, b) rather than by float
// arithmetic, so the sign of a zero part survives (Python turns (-0.0+1j) into 1j); numbers
// may carry repeated unary signs; keys equal in Python but not as Values (1 and True) stay
// separate.
#include "remoto/serial/serpent.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include "remoto/serial/detail/out_buffer.hpp"
#include "remoto/serial/detail/utf8_scan.hpp"
#include "remoto/value/repr.hpp"
#include "remoto/value/unicode.hpp"

namespace remoto::serial {
namespace {

constexpr std::string_view header = "# serpent utf-8 python3.2\n";
constexpr std::string_view nan_marker = "{'__class__':'float','value':'nan'}";
// CPython 3.11 refuses to convert decimal text of more digits than this to an int
// (sys.int_info.default_max_str_digits); ast.literal_eval fails on such literals.
constexpr std::size_t max_int_digits = 4300;

// ---- reader -----------------------------------------------------------------------------

enum CharClass : std::uint8_t {
  c_other = 0,
  c_space = 1,      // ' ' \t \f \n \r
  c_digit = 2,      // 0-9
  c_ident = 4,      // letters, digits, '_': may continue a name or a number
  c_str_stop = 8,   // ends a run of plain string characters: quotes, \\, \n, \r, NUL, >= 0x80
  c_ws_start = 16,  // may start whitespace: c_space, '#' (comment), '\\' (line join)
};

struct CharTable {
  std::uint8_t t[256] = {};
  constexpr CharTable() {
    for (int c : {' ', '\t', '\f', '\n', '\r'}) t[c] |= c_space;
    for (int c = '0'; c <= '9'; ++c) t[c] |= c_digit | c_ident;
    for (int c = 'a'; c <= 'z'; ++c) t[c] |= c_ident;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] |= c_ident;
    t[static_cast<int>('_')] |= c_ident;
    for (int c : {'\'', '"', '\\', '\n', '\r', '\0'}) t[c] |= c_str_stop;
    for (int c : {' ', '\t', '\f', '\n', '\r', '#', '\\'}) t[c] |= c_ws_start;
    for (int c = 0x80; c < 0x100; ++c) t[c] |= c_str_stop;
  }
};
constexpr CharTable chars;

inline std::uint8_t cls(char c) {
  return chars.t[static_cast<unsigned char>(c)];
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's float(str) for the NaN marker's 'value': "nan", "-inf", "Infinity", " 1.5 ", ...
std::optional<double> python_float_from_str(std::string_view s) {
  while (!s.empty() && cls(s.front()) & c_space) s.remove_prefix(1);
  while (!s.empty() && cls(s.back()) & c_space) s.remove_suffix(1);
  bool neg = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  auto iequal = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if ((a[i] | 0x20) != b[i]) return false;
    return true;
  };
  if (iequal(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (iequal(body, "inf") || iequal(body, "infinity"))
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  if (body.empty() || !(cls(body[0]) & c_digit || body[0] == '.')) return std::nullopt;
  double d = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), d);
  if (p != body.data() + body.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return std::nullopt;  // rare; leave the dict as is
  return neg ? -d : d;
}

Value negate(Value v) {
  if (v.is_int64()) {
    std::int64_t x = v.as_int();
    if (x == std::numeric_limits<std::int64_t>::min())
      return Value(*BigInt::parse("9223372036854775808"));
    return Value(-x);
  }
  if (v.is_big_int()) {
    const std::string& t = v.as_big_int().str();
    return Value(*BigInt::parse(t[0] == '-' ? std::string_view(t).substr(1) : "-" + t));
  }
  if (v.is_float()) return Value(-v.as_float());
  auto c = v.as_complex();
  return Value(Value::Complex(-c.real(), -c.imag()));
}

// Work space of the parser, kept per thread so a decode allocates only for the values it
// makes. One parse at a time per thread: a parser never calls another.
struct Scratch {
  std::vector<Value> stack;
  std::vector<std::uint32_t> slots;
  std::vector<std::uint8_t> dropped;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Recursive-descent parser over the whole input. Recursion depth is bounded by
// Limits::max_depth (each bracket and parenthesis counts one level).
class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : s_(text), max_depth_(limits.max_depth) {
    if (text.size() > limits.max_input)
      throw SerializeError("serpent: input of " + std::to_string(text.size()) +
                           " bytes exceeds the limit of " + std::to_string(limits.max_input));
  }

  ~Parser() {
    // Left over only after an error. Huge scratch space from a huge message is given back.
    stack_.clear();
    if (stack_.capacity() > 65536) std::vector<Value>().swap(stack_);
    if (slots_.capacity() > 65536) std::vector<std::uint32_t>().swap(slots_);
    if (dropped_.capacity() > 65536) std::vector<std::uint8_t>().swap(dropped_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  Value parse_document() {
    if (s_.substr(0, header.size()) == header) pos_ = header.size();  // the usual first line
    skip_ws();
    if (pos_ >= s_.size()) fail("no value in the input", pos_);
    Value v = parse_expr();
    skip_ws();
    if (pos_ < s_.size()) fail("unexpected " + describe(pos_) + " after the value", pos_);
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what, std::size_t at) const {
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < at && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    throw SerializeError("serpent: " + what + " at offset " + std::to_string(at) + " (line " +
                         std::to_string(line) + ", column " + std::to_string(at - line_start + 1) +
                         ")");
  }

  std::string describe(std::size_t at) const {
    if (at >= s_.size()) return "end of input";
    auto c = static_cast<unsigned char>(s_[at]);
    if (c > 0x20 && c < 0x7F) return std::string("character '") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
  }

  void check_utf8(std::string_view span, std::size_t offset) const {
    for (std::size_t i = 0; i < span.size(); ++i) {
      if (span[i] == '\0') fail("NUL character (Python refuses serpent text with NUL)", offset + i);
    }
    auto bad = unicode::find_invalid(span, false);
    if (bad != std::string_view::npos) fail("invalid UTF-8", offset + bad);
  }

  // Whitespace, comments, and backslash-newline line joins. Python's own output has none
  // between tokens, so the common case returns at once.
  void skip_ws() {
    if (pos_ < s_.size() && !(cls(s_[pos_]) & c_ws_start)) return;
    skip_ws_slow();
  }

  void skip_ws_slow() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (cls(c) & c_space) {
        ++pos_;
      } else if (c == '#') {
        std::size_t end = pos_;
        while (end < s_.size() && s_[end] != '\n' && s_[end] != '\r') ++end;
        check_utf8(s_.substr(pos_, end - pos_), pos_);
        pos_ = end;
      } else if (c == '\\' && pos_ + 1 < s_.size() &&
                 (s_[pos_ + 1] == '\n' || s_[pos_ + 1] == '\r')) {
        pos_ += 2;
      } else {
        return;
      }
    }
  }

  // Dict keys and set elements must be hashable: no list, dict or set anywhere inside them.
  // Checked when such a container opens, so Pyro4's NaN dict inside a key is refused (as in
  // Python, where hashing fails before the dict would become a float).
  void check_not_in_key(const char* type, std::size_t at) const {
    if (key_nesting_)
      fail(std::string("unhashable ") + type + " inside a dict key or set element", at);
  }

  Value parse_key() {
    ++key_nesting_;
    Value v = parse_expr();
    --key_nesting_;
    return v;
  }

  void enter(std::size_t at) {
    if (++depth_ > max_depth_)
      fail("nesting deeper than " + std::to_string(max_depth_) + " levels", at);
  }
  void leave() { --depth_; }

  // expr := sign* atom [ ('+'|'-') imaginary ]
  Value parse_expr() {
    std::size_t start = pos_;
    bool neg = false;
    bool signed_ = false;
    while (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+')) {
      neg ^= s_[pos_] == '-';
      signed_ = true;
      ++pos_;
      skip_ws();
    }
    std::size_t atom_at = pos_;
    Value v = parse_atom();
    if (signed_) {
      if (!(v.is_int() || v.is_float() || v.is_complex()))
        fail(std::string("unary sign before a non-number (") + v.type_name() + ")", start);
      if (neg) v = negate(std::move(v));
    }
    if (v.is_int() || v.is_float()) {
      // A complex written as a sum: real ('+'|'-') imaginary, as Python's serpent writes it
      // inside parentheses. Nothing else may follow a number with + or -.
      skip_ws();
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) {
        bool minus = s_[pos_] == '-';
        ++pos_;
        skip_ws();
        std::size_t imag_at = pos_;
        if (pos_ >= s_.size() || !(cls(s_[pos_]) & c_digit || s_[pos_] == '.'))
          fail("expected an imaginary number after '" + std::string(minus ? "-" : "+") + "'",
               imag_at);
        Value imag = parse_number();
        if (!imag.is_complex() || imag.as_complex().real() != 0.0)
          fail("expected an imaginary number (like 2.0j) in a complex literal", imag_at);
        double re;
        if (v.is_float()) {
          re = v.as_float();
        } else if (v.is_int64()) {
          re = static_cast<double>(v.as_int());
        } else {
          re = v.as_big_int().to_double();
          if (std::isinf(re)) fail("integer too large to convert to float", atom_at);
        }
        double im = imag.as_complex().imag();
        v = Value(Value::Complex(re, minus ? -im : im));
      }
      // Every caller skips whitespace after an expression, so pos_ may stay past it.
    }
    return v;  // the only return: named return value optimization
  }

  Value parse_atom() {
    if (pos_ >= s_.size()) fail("unexpected end of input, expected a value", pos_);
    char c = s_[pos_];
    switch (c) {
      case '(':
        return parse_paren();
      case '[':
        return parse_list();
      case '{':
        return parse_brace();
      case '\'':
      case '"':
        return parse_strings();
      default:
        break;
    }
    if (cls(c) & c_digit || (c == '.' && pos_ + 1 < s_.size() && cls(s_[pos_ + 1]) & c_digit))
      return parse_number();
    if (cls(c) & c_ident) return parse_name();
    fail("unexpected " + describe(pos_) + ", expected a value", pos_);
  }

  Value parse_name() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && cls(s_[pos_]) & c_ident) ++pos_;
    std::string_view name = s_.substr(start, pos_ - start);
    if (pos_ < s_.size() && (s_[pos_] == '\'' || s_[pos_] == '"')) {
      pos_ = start;
      return parse_strings();
    }
    if (name == "None") return Value();
    if (name == "True") return Value(true);
    if (name == "False") return Value(false);
    if (name == "set") {
      // set() is the one call ast.literal_eval accepts: the empty set.
      std::size_t save = pos_;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == '(') {
        ++pos_;
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ')') {
          check_not_in_key("set", start);
          ++pos_;
          return Value(Set());
        }
      }
      pos_ = save;
    }
    fail("unknown name '" + std::string(name.substr(0, 40)) + "'", start);
  }

  // '(' : empty tuple, parenthesized expression, or tuple.
  Value parse_paren() {
    std::size_t open = pos_;
    enter(open);
    ++pos_;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ')') {
      ++pos_;
      leave();
      return Value::tuple();
    }
    Value first = parse_expr();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ')') {
      ++pos_;
      leave();
      return first;  // just grouping
    }
    if (pos_ >= s_.size() || s_[pos_] != ',')
      fail("expected ',' or ')' (tuple opened at offset " + std::to_string(open) + "), found " +
               describe(pos_),
           pos_);
    std::size_t base = stack_.size();
    stack_.push_back(std::move(first));
    parse_sequence_rest(')', open);
    leave();
    return Value(Tuple{take_items(base)});
  }

  // After the first item and at its ',' (or at the closer): the remaining items, onto stack_.
  void parse_sequence_rest(char closer, std::size_t open) {
    for (;;) {
      if (pos_ < s_.size() && s_[pos_] == closer) {
        ++pos_;
        return;
      }
      if (pos_ >= s_.size() || s_[pos_] != ',')
        fail(std::string("expected ',' or '") + closer + "' (opened at offset " +
                 std::to_string(open) + "), found " + describe(pos_),
             pos_);
      ++pos_;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == closer) {
        ++pos_;
        return;
      }
      stack_.push_back(parse_expr());
      skip_ws();
    }
  }

  // Moves the items above `base` off the stack into a vector of exactly their size.
  std::vector<Value> take_items(std::size_t base) {
    std::vector<Value> items;
    items.reserve(stack_.size() - base);
    for (std::size_t i = base; i < stack_.size(); ++i) items.push_back(std::move(stack_[i]));
    stack_.resize(base);
    return items;
  }

  Value parse_list() {
    std::size_t open = pos_;
    check_not_in_key("list", open);
    enter(open);
    ++pos_;
    skip_ws();
    std::size_t base = stack_.size();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
    } else {
      stack_.push_back(parse_expr());
      skip_ws();
      parse_sequence_rest(']', open);
    }
    leave();
    return Value(List{take_items(base)});
  }

  // '{': dict or set; a first item followed by ':' makes it a dict.
  Value parse_brace() {
    std::size_t open = pos_;
    check_not_in_key("dict or set", open);
    enter(open);
    ++pos_;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      leave();
      return Value(Dict());
    }
    std::size_t base = stack_.size();
    stack_.push_back(parse_key());
    skip_ws();
    Value result;
    if (pos_ < s_.size() && s_[pos_] == ':') {
      result = parse_dict_rest(base, open);
    } else {
      for (;;) {
        if (pos_ < s_.size() && s_[pos_] == '}') break;
        if (pos_ >= s_.size() || s_[pos_] != ',')
          fail("expected ',' or '}' in a set (opened at offset " + std::to_string(open) +
                   "), found " + describe(pos_),
               pos_);
        ++pos_;
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == '}') break;
        stack_.push_back(parse_key());
        skip_ws();
      }
      ++pos_;
      Set set;
      set.reserve(stack_.size() - base);
      for (std::size_t i = base; i < stack_.size(); ++i) set.insert(std::move(stack_[i]));
      stack_.resize(base);
      result = Value(std::move(set));
    }
    leave();
    return result;
  }

  // The first key is on the stack at `base` and pos_ at its ':'. Keys and values go onto the
  // stack in turn; the dict is built at the end.
  Value parse_dict_rest(std::size_t base, std::size_t open) {
    for (;;) {
      ++pos_;  // the ':'
      skip_ws();
      stack_.push_back(parse_expr());
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == '}') break;
      if (pos_ >= s_.size() || s_[pos_] != ',')
        fail("expected ',' or '}' in a dict (opened at offset " + std::to_string(open) +
                 "), found " + describe(pos_),
             pos_);
      ++pos_;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == '}') break;
      stack_.push_back(parse_key());
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':')
        fail("expected ':' after a dict key, found " + describe(pos_), pos_);
    }
    ++pos_;
    bool has_class = false;
    Dict dict = build_dict(base, has_class);
    if (has_class) {
      // Pyro4 turns serpent's float class dict (how NaN travels) back into a float.
      const Value* cls_name = dict.find(Value("__class__"));
      if (cls_name && cls_name->is_str() && cls_name->as_str() == "float") {
        const Value* text = dict.find(Value("value"));
        if (text && text->is_str()) {
          if (auto d = python_float_from_str(text->as_str())) return Value(*d);
        }
      }
    }
    return Value(std::move(dict));
  }

  // Builds a dict from the key, value pairs above `base` (removing them from the stack). A
  // repeated key keeps its first position and takes the last value, as in Python. Duplicates
  // are found with a scratch hash table, so Dict needs no index of its own while it grows.
  Dict build_dict(std::size_t base, bool& has_class) {
    const std::size_t n = (stack_.size() - base) / 2;
    auto key = [&](std::size_t i) -> Value& { return stack_[base + 2 * i]; };
    auto value = [&](std::size_t i) -> Value& { return stack_[base + 2 * i + 1]; };
    Dict dict;
    dict.reserve(n);
    dropped_.assign(n, 0);
    if (n > 8) {
      std::size_t size = 16;
      while (size < 2 * n) size *= 2;
      const std::size_t mask = size - 1;
      slots_.assign(size, UINT32_MAX);
      for (std::size_t i = 0; i < n; ++i) {
        std::size_t at = key(i).hash() & mask;
        for (;;) {
          std::uint32_t j = slots_[at];
          if (j == UINT32_MAX) {
            slots_[at] = static_cast<std::uint32_t>(i);
            break;
          }
          if (key(j) == key(i)) {
            value(j) = std::move(value(i));
            dropped_[i] = 1;
            break;
          }
          at = (at + 1) & mask;
        }
      }
    } else {
      for (std::size_t i = 1; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (!dropped_[j] && key(j) == key(i)) {
            value(j) = std::move(value(i));
            dropped_[i] = 1;
            break;
          }
        }
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (dropped_[i]) continue;
      has_class = has_class || is_class_key(key(i));
      dict.append_unique(std::move(key(i)), std::move(value(i)));
    }
    stack_.resize(base);
    return dict;
  }

  static bool is_class_key(const Value& key) { return key.is_str() && key.as_str() == "__class__"; }

  // ---- numbers ----

  // Digits of `radix` with single '_' separators allowed between digits (and, after a base
  // prefix, before the first); returns one past the last digit.
  std::size_t scan_digits(std::size_t p, int radix, bool& underscores, bool allow_leading_us) {
    bool last_digit = allow_leading_us;  // after 0x, one '_' may come first
    for (;;) {
      if (p >= s_.size()) break;
      char c = s_[p];
      if (c == '_') {
        if (!last_digit || p + 1 >= s_.size()) fail("invalid number literal", p);
        int nv = radix == 10 ? (cls(s_[p + 1]) & c_digit ? 0 : -1) : hex_value(s_[p + 1]);
        if (nv < 0 || nv >= radix) fail("invalid number literal ('_' must be between digits)", p);
        underscores = true;
        last_digit = false;
        ++p;
        continue;
      }
      int v = radix == 10 ? (cls(c) & c_digit ? c - '0' : -1) : hex_value(c);
      if (v < 0 || v >= radix) break;
      last_digit = true;
      ++p;
    }
    return p;
  }

  static std::string strip_underscores(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s)
      if (c != '_') out += c;
    return out;
  }

  Value parse_number() {
    std::size_t start = pos_;
    {
      // Fast path: a plain decimal int of at most 18 digits (no '_', no leading zero).
      std::size_t p = pos_;
      std::int64_t v = 0;
      while (p < s_.size() && p - start < 18 && cls(s_[p]) & c_digit) v = v * 10 + (s_[p++] - '0');
      if (p > start && (p >= s_.size() || !(cls(s_[p]) & c_ident || s_[p] == '.')) &&
          (s_[start] != '0' || p == start + 1)) {
        pos_ = p;
        return Value(v);
      }
    }
    bool us = false;
    if (s_[pos_] == '0' && pos_ + 1 < s_.size()) {
      char p = static_cast<char>(s_[pos_ + 1] | 0x20);
      int radix = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
      if (radix) return parse_radix_int(radix);
    }
    std::size_t p = scan_digits(pos_, 10, us, false);
    bool is_float = false;
    if (p < s_.size() && s_[p] == '.') {
      is_float = true;
      ++p;
      if (p < s_.size() && s_[p] == '_') fail("invalid number literal", p);
      p = scan_digits(p, 10, us, false);
    }
    if (p < s_.size() && (s_[p] == 'e' || s_[p] == 'E')) {
      std::size_t e = p + 1;
      if (e < s_.size() && (s_[e] == '+' || s_[e] == '-')) ++e;
      if (e >= s_.size() || !(cls(s_[e]) & c_digit))
        fail("invalid number literal (exponent without digits)", p);
      is_float = true;
      p = scan_digits(e, 10, us, false);
    }
    bool imaginary = false;
    if (p < s_.size() && (s_[p] == 'j' || s_[p] == 'J')) {
      imaginary = true;
      ++p;
    }
    if (p < s_.size() && cls(s_[p]) & c_ident)
      fail("invalid number literal (unexpected " + describe(p) + ")", p);
    pos_ = p;
    std::string_view text = s_.substr(start, (imaginary ? p - 1 : p) - start);
    std::string stripped;
    if (us) {
      stripped = strip_underscores(text);
      text = stripped;
    }
    if (!is_float && !imaginary) return make_int(text, start);
    double d = parse_float(text, start);
    if (imaginary) return Value(Value::Complex(0.0, d));
    return Value(d);
  }

  Value make_int(std::string_view digits, std::size_t start) {
    if (digits.size() > 1 && digits[0] == '0') {
      if (digits.find_first_not_of('0') != std::string_view::npos)
        fail("leading zeros in a decimal integer literal", start);
      return Value(0);
    }
    if (digits.size() <= 18) {
      std::int64_t v = 0;
      for (char c : digits) v = v * 10 + (c - '0');
      return Value(v);
    }
    if (digits.size() > max_int_digits)
      fail("integer literal of " + std::to_string(digits.size()) + " digits exceeds the limit of " +
               std::to_string(max_int_digits) + " (as CPython's int conversion)",
           start);
    return Value(*BigInt::parse(digits));
  }

  Value parse_radix_int(int radix) {
    std::size_t start = pos_;
    bool us = false;
    std::size_t first = pos_ + 2;
    std::size_t p = scan_digits(first, radix, us, true);
    if (p == first || (p == first + 1 && s_[first] == '_'))
      fail("invalid number literal (no digits after the base prefix)", start);
    if (p < s_.size() && cls(s_[p]) & c_ident)
      fail("invalid number literal (unexpected " + describe(p) + ")", p);
    pos_ = p;
    // Accumulate in base 10**9 limbs, least significant first.
    std::vector<std::uint32_t> limbs{0};
    constexpr std::size_t max_limbs = max_int_digits / 9 + 2;
    for (std::size_t i = first; i < p; ++i) {
      if (s_[i] == '_') continue;
      std::uint64_t carry = static_cast<std::uint64_t>(hex_value(s_[i]));
      for (auto& limb : limbs) {
        std::uint64_t x = static_cast<std::uint64_t>(limb) * static_cast<unsigned>(radix) + carry;
        limb = static_cast<std::uint32_t>(x % 1000000000u);
        carry = x / 1000000000u;
      }
      if (carry) {
        limbs.push_back(static_cast<std::uint32_t>(carry));
        if (limbs.size() > max_limbs)
          fail("integer literal exceeds " + std::to_string(max_int_digits) + " decimal digits",
               start);
      }
    }
    std::string text = std::to_string(limbs.back());
    for (std::size_t i = limbs.size() - 1; i-- > 0;) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%09u", static_cast<unsigned>(limbs[i]));
      text += buf;
    }
    if (text.size() > max_int_digits)
      fail("integer literal exceeds " + std::to_string(max_int_digits) + " decimal digits", start);
    return Value(*BigInt::parse(text));
  }

  double parse_float(std::string_view text, std::size_t start) {
    double d = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (p != text.data() + text.size()) fail("invalid float literal", start);
    if (ec == std::errc::result_out_of_range) {
      // Beyond double's range: Python gives inf (1e30000, how serpent writes infinity) or 0.0.
      // Which one follows from the decimal exponent of the first significant digit.
      std::size_t e = text.find_first_of("eE");
      std::string_view mant = text.substr(0, e);
      long long exp10 = 0;
      if (e != std::string_view::npos) {
        std::string_view es = text.substr(e + 1);
        bool eneg = !es.empty() && es[0] == '-';
        if (!es.empty() && (es[0] == '-' || es[0] == '+')) es.remove_prefix(1);
        for (char c : es) {
          exp10 = exp10 * 10 + (c - '0');
          if (exp10 > 1000000000LL) break;  // saturate
        }
        if (eneg) exp10 = -exp10;
      }
      std::size_t dot = mant.find('.');
      std::size_t int_len = dot == std::string_view::npos ? mant.size() : dot;
      std::size_t nz = mant.find_first_not_of("0.");
      long long magnitude;  // position of the first significant digit relative to the point
      if (nz == std::string_view::npos) return 0.0;
      if (nz < int_len) {
        magnitude = static_cast<long long>(int_len - nz);
      } else {
        magnitude = -static_cast<long long>(nz - int_len - 1);
      }
      d = magnitude + exp10 > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    }
    return d;
  }

  // ---- strings ----

  // One or more adjacent string literals (Python concatenates them); all str or all bytes.
  // Whether a string literal (with or without prefix) starts at p.
  bool literal_at(std::size_t p) const {
    if (p >= s_.size()) return false;
    if (s_[p] == '\'' || s_[p] == '"') return true;
    std::size_t q = p;
    while (q < s_.size() && q - p < 3 && cls(s_[q]) & c_ident) ++q;
    return q > p && q < s_.size() && (s_[q] == '\'' || s_[q] == '"');
  }

  Value parse_strings() {
    // Fast path, what Python writes most: one 'literal' without escapes or non-ASCII text.
    const char quote = s_[pos_];
    if (quote == '\'' || quote == '"') {
      std::size_t p = pos_ + 1;
      while (p < s_.size() && !(cls(s_[p]) & c_str_stop)) ++p;
      if (p < s_.size() && s_[p] == quote && p > pos_ + 1) {
        std::size_t start = pos_ + 1;
        std::size_t save = pos_;
        pos_ = p + 1;
        skip_ws();
        if (!literal_at(pos_)) return Value(std::in_place_type<Str>, s_.substr(start, p - start));
        pos_ = save;
      }
    }
    std::string buf;
    int kind = -1;  // 0 str, 1 bytes
    for (;;) {
      std::size_t at = pos_;
      bool raw = false;
      bool bytes = false;
      while (pos_ < s_.size() && cls(s_[pos_]) & c_ident) ++pos_;
      std::string_view prefix = s_.substr(at, pos_ - at);
      if (prefix.size() > 2) fail("invalid string prefix", at);
      for (char c : prefix) {
        char l = static_cast<char>(c | 0x20);
        if (l == 'r' && !raw) {
          raw = true;
        } else if (l == 'b' && !bytes) {
          bytes = true;
        } else if (l == 'u' && prefix.size() == 1) {
        } else if (l == 'f') {
          fail("f-strings are not literals", at);
        } else {
          fail("invalid string prefix '" + std::string(prefix) + "'", at);
        }
      }
      int k = bytes ? 1 : 0;
      if (kind >= 0 && k != kind) fail("cannot mix bytes and str literals", at);
      kind = k;
      parse_string_body(buf, raw, bytes, at);
      // Another literal follows? (Whitespace skipped here is skipped by the caller anyway.)
      skip_ws();
      if (!literal_at(pos_)) break;
    }
    if (kind == 1) return Value(Bytes{std::move(buf)});
    return Value(Str{std::move(buf)});
  }

  void parse_string_body(std::string& out, bool raw, bool bytes, std::size_t at) {
    const char quote = s_[pos_];
    bool triple = pos_ + 2 < s_.size() && s_[pos_ + 1] == quote && s_[pos_ + 2] == quote;
    pos_ += triple ? 3 : 1;
    const char* const base = s_.data();
    const std::size_t n = s_.size();
    std::size_t p = pos_;
    std::size_t run = p;
    auto flush = [&] { out.append(base + run, p - run); };
    auto unterminated = [&] { fail("unterminated string", at); };
    for (;;) {
      while (p < n && !(cls(base[p]) & c_str_stop)) ++p;
      if (p >= n) unterminated();
      auto c = static_cast<unsigned char>(base[p]);
      if (c == static_cast<unsigned char>(quote)) {
        if (!triple) break;
        if (p + 2 < n && base[p + 1] == quote && base[p + 2] == quote) break;
        ++p;
        continue;
      }
      if (c == '\'' || c == '"') {  // the other quote
        ++p;
        continue;
      }
      if (c >= 0x80) {
        if (bytes) fail("bytes literal with a non-ASCII character", p);
        std::size_t q = p;
        if (!unicode::decode(s_, q, false)) fail("invalid UTF-8", p);
        p = q;
        continue;
      }
      if (c == '\0') fail("NUL character (Python refuses serpent text with NUL)", p);
      if (c == '\n' || c == '\r') {
        if (!triple) fail("unterminated string (line break in a single-quoted string)", at);
        if (c == '\r') {  // Python reads \r\n and \r in source text as \n
          flush();
          out += '\n';
          p += (p + 1 < n && base[p + 1] == '\n') ? 2 : 1;
          run = p;
          continue;
        }
        ++p;
        continue;
      }
      // backslash
      if (p + 1 >= n) unterminated();
      if (raw) {
        // The backslash stays; it only keeps a following quote or backslash from ending the
        // literal, and a following line break from ending a single-quoted one.
        char next = base[p + 1];
        if (next == '\r') {
          ++p;
          flush();
          out += '\n';
          p += (p + 1 < n && base[p + 1] == '\n') ? 2 : 1;
          run = p;
          continue;
        }
        p += (next == quote || next == '\\' || next == '\n') ? 2 : 1;
        continue;
      }
      flush();
      p = parse_escape(out, p, bytes);
      run = p;
    }
    flush();
    pos_ = p + (triple ? 3 : 1);
  }

  // At a backslash in a non-raw literal: appends the escaped character, returns the position
  // after the escape.
  std::size_t parse_escape(std::string& out, std::size_t p, bool bytes) {
    const std::size_t esc = p;
    char c = s_[p + 1];
    p += 2;
    auto push_byte = [&](unsigned v) { out += static_cast<char>(v); };
    switch (c) {
      case '\n':
        return p;  // line continuation
      case '\r':
        return p < s_.size() && s_[p] == '\n' ? p + 1 : p;
      case '\\':
      case '\'':
      case '"':
        out += c;
        return p;
      case 'a':
        out += '\a';
        return p;
      case 'b':
        out += '\b';
        return p;
      case 'f':
        out += '\f';
        return p;
      case 'n':
        out += '\n';
        return p;
      case 'r':
        out += '\r';
        return p;
      case 't':
        out += '\t';
        return p;
      case 'v':
        out += '\v';
        return p;
      case 'x': {
        int h1 = p < s_.size() ? hex_value(s_[p]) : -1;
        int h2 = p + 1 < s_.size() ? hex_value(s_[p + 1]) : -1;
        if (h1 < 0 || h2 < 0) fail("truncated \\xXX escape", esc);
        auto v = static_cast<unsigned>(h1 * 16 + h2);
        if (bytes) {
          push_byte(v);
        } else {
          unicode::append(out, v);
        }
        return p + 2;
      }
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      unsigned v = static_cast<unsigned>(c - '0');
      for (int i = 0; i < 2 && p < s_.size() && s_[p] >= '0' && s_[p] <= '7'; ++i, ++p)
        v = v * 8 + static_cast<unsigned>(s_[p] - '0');
      if (bytes) {
        push_byte(v & 0xFF);  // CPython 3.11 masks b'\777' to b'\xff'
      } else {
        unicode::append(out, v);
      }
      return p;
    }
    if (!bytes && (c == 'u' || c == 'U')) {
      int digits = c == 'u' ? 4 : 8;
      char32_t v = 0;
      for (int i = 0; i < digits; ++i) {
        int h = p + static_cast<std::size_t>(i) < s_.size() ? hex_value(s_[p + i]) : -1;
        if (h < 0)
          fail(c == 'u' ? "truncated \\uXXXX escape" : "truncated \\UXXXXXXXX escape", esc);
        v = v * 16 + static_cast<char32_t>(h);
      }
      if (v > 0x10FFFF) fail("illegal Unicode character in \\U escape", esc);
      unicode::append(out, v);  // lone surrogates stay, as in Python
      return p + static_cast<std::size_t>(digits);
    }
    if (!bytes && c == 'N') fail("\\N{...} escapes are not supported", esc);
    // Unknown escape: Python keeps the backslash (and warns); the next character is read
    // normally.
    out += '\\';
    return esc + 1;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
  std::size_t key_nesting_ = 0;  // > 0 while parsing a dict key or set element
  Scratch& scratch_ = scratch();
  std::vector<Value>& stack_ = scratch_.stack;  // items of the open containers, innermost last
  std::vector<std::uint32_t>& slots_ = scratch_.slots;  // build_dict's hash table
  std::vector<std::uint8_t>& dropped_ = scratch_.dropped;
};

// ---- writer -----------------------------------------------------------------------------

constexpr char base64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void append_base64(std::string& out, std::string_view data) {
  std::size_t start = out.size();
  out.resize(start + (data.size() + 2) / 3 * 4);
  char* o = out.data() + start;
  auto in = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    *o++ = base64_chars[v >> 18];
    *o++ = base64_chars[(v >> 12) & 63];
    *o++ = base64_chars[(v >> 6) & 63];
    *o++ = base64_chars[v & 63];
  }
  if (std::size_t rest = data.size() - i) {
    std::uint32_t v = static_cast<std::uint32_t>(in[i] << 16);
    if (rest == 2) v |= static_cast<std::uint32_t>(in[i + 1] << 8);
    *o++ = base64_chars[v >> 18];
    *o++ = base64_chars[(v >> 12) & 63];
    *o++ = rest == 2 ? base64_chars[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
}

// The dict Python's serpent writes for bytes: {'data': '<base64>', 'encoding': 'base64'}.
bool is_bytes_dict(const Dict& d) {
  return d.size() == 2 && d[0].first.is_str() && d[0].first.as_str() == "data" &&
         d[0].second.is_str() && d[1].first.is_str() && d[1].first.as_str() == "encoding" &&
         d[1].second.is_str() && d[1].second.as_str() == "base64";
}

// Whether none of the 8 bytes in w needs escaping in a str repr: all in [0x20, 0x7F), none a
// ' or a \\. (Each test below is exact about whether any byte matches, which is all that is
// asked; the borrows that make the classic zero-byte test inexact only touch bytes above a
// matching one.)
inline bool plain_word(std::uint64_t w) noexcept {
  using detail::high8;
  using detail::ones8;
  auto has_zero = [](std::uint64_t x) { return (x - ones8) & ~x & high8; };
  auto has_less = [](std::uint64_t x, std::uint64_t b) { return (x - ones8 * b) & ~x & high8; };
  const std::uint64_t bad = (w & high8) | has_less(w, 0x20) | ((w + ones8) & high8) |
                            has_zero(w ^ (ones8 * '\'')) | has_zero(w ^ (ones8 * '\\'));
  return bad == 0;
}

class Writer {
 public:
  explicit Writer(const SerpentOptions& options) : options_(options) {}

  /// What has been written.
  std::string str() const { return buf_.str(); }
  void put(char c) {
    buf_.ensure(1);
    *buf_.p++ = c;
  }
  void put(std::string_view s) { buf_.append(s); }

  // The common scalars inline; the rest through a call, which keeps this function small (one
  // big visit for everything costs a heavy prologue on every value).
  void write(const Value& v, std::size_t depth, bool in_key) {
    if (const auto* s = v.get_if<Str>()) return write_one(*s, depth, in_key);
    if (const auto* i = v.get_if<std::int64_t>()) return write_one(*i, depth, in_key);
    if (const auto* d = v.get_if<double>()) return write_one(*d, depth, in_key);
    write_other(v, depth, in_key);
  }
  [[gnu::noinline]] void write_other(const Value& v, std::size_t depth, bool in_key) {
    v.visit([&](const auto& x) { write_one(x, depth, in_key); });
  }

  void write_str(std::string_view utf8) {
    // Printable ASCII without ' or \\ (most strs) is its own repr between single quotes:
    // copied while checked, committed only if every byte passed.
    const std::size_t n = utf8.size();
    buf_.ensure(n + 2);
    char* o = buf_.p;
    *o++ = '\'';
    const char* q = utf8.data();
    bool plain = true;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {  // a word at a time
      const std::uint64_t w = detail::load8(q + i);
      if (!plain_word(w)) {
        plain = false;
        break;
      }
      std::memcpy(o + i, &w, 8);
    }
    for (; plain && i < n; ++i) {
      const auto c = static_cast<unsigned char>(q[i]);
      if (c < 0x20 || c >= 0x7F || c == '\'' || c == '\\') plain = false;
      o[i] = q[i];
    }
    if (plain) {
      o[n] = '\'';
      buf_.p = o + n + 1;
      return;
    }
    scratch_.clear();
    if (!append_str_repr(scratch_, utf8))
      throw SerializeError("serpent: cannot write a str that is not valid UTF-8");
    put(scratch_);
  }

  void write_dict(const Dict& d, std::size_t depth) {
    if (is_bytes_dict(d)) {
      // A decoded bytes value (Pyro4 leaves the base64 dict as it is) goes back out in the
      // spaced form Python's serpent writes for bytes, so it round-trips byte for byte.
      put("{'data': ");
      write_str(d[0].second.as_str());
      put(", 'encoding': 'base64'}");
      return;
    }
    put('{');
    bool first = true;
    for (const auto& [key, value] : d) {
      if (!first) put(',');
      first = false;
      write(key, depth + 1, true);
      put(':');
      write(value, depth + 1, false);
    }
    put('}');
  }

  template <class Items>
  void write_tuple(const Items& items, std::size_t depth, bool in_key) {
    put('(');
    bool first = true;
    for (const auto& item : items) {
      if (!first) put(',');
      first = false;
      write(item, depth + 1, in_key);
    }
    if (items.size() == 1) put(',');
    put(')');
  }

  void enter(std::size_t depth) {
    if (depth >= options_.max_depth)
      throw SerializeError("serpent: cannot write values nested deeper than " +
                           std::to_string(options_.max_depth) + " levels");
  }

 private:
  [[noreturn]] static void unhashable(const char* type) {
    throw SerializeError(std::string("serpent: cannot write a ") + type +
                         " inside a dict key or set element (Python cannot hash it)");
  }

  void write_float(double d, bool in_key) {
    if (std::isnan(d)) {
      if (in_key)
        throw SerializeError("serpent: cannot write NaN inside a dict key or set element");
      put(nan_marker);
    } else if (std::isinf(d)) {
      put(d > 0 ? "1e30000" : "-1e30000");  // overflows to ±inf when read
    } else {
      scratch_.clear();
      append_float_repr(scratch_, d);
      put(scratch_);
    }
  }

  void write_one(std::monostate, std::size_t, bool) { put("None"); }
  void write_one(bool b, std::size_t, bool) { put(b ? "True" : "False"); }
  void write_one(std::int64_t i, std::size_t, bool) {
    buf_.ensure(24);
    buf_.p = std::to_chars(buf_.p, buf_.p + 24, i).ptr;
  }
  void write_one(const BigInt& b, std::size_t, bool) { put(b.str()); }
  void write_one(double d, std::size_t, bool in_key) { write_float(d, in_key); }
  void write_one(const Value::Complex& c, std::size_t, bool in_key) {
    if (std::isnan(c.real()) || std::isnan(c.imag()))
      throw SerializeError("serpent: cannot write a complex with a NaN part (no literal for it)");
    put('(');
    write_float(c.real(), in_key);
    // Python's serpent writes "+-0.0j" for a -0.0 imaginary part, which Python cannot read.
    if (!std::signbit(c.imag())) put('+');
    write_float(c.imag(), in_key);
    put("j)");
  }
  void write_one(const Str& s, std::size_t, bool) { write_str(s.utf8); }
  void write_one(const Bytes& b, std::size_t, bool in_key) {
    if (in_key || options_.bytes_repr) {
      scratch_.clear();
      append_bytes_repr(scratch_, b.data);
      put(scratch_);
      return;
    }
    put("{'data': '");
    scratch_.clear();
    append_base64(scratch_, b.data);
    put(scratch_);
    put("', 'encoding': 'base64'}");
  }
  void write_one(const List& l, std::size_t depth, bool in_key) {
    if (in_key) unhashable("list");
    enter(depth);
    put('[');
    bool first = true;
    for (const auto& item : l.items) {
      if (!first) put(',');
      first = false;
      write(item, depth + 1, false);
    }
    put(']');
  }
  void write_one(const Tuple& t, std::size_t depth, bool in_key) {
    enter(depth);
    write_tuple(t.items, depth, in_key);
  }
  void write_one(const Dict& d, std::size_t depth, bool in_key) {
    if (in_key) unhashable("dict");
    enter(depth);
    write_dict(d, depth);
  }
  void write_one(const Set& s, std::size_t depth, bool in_key) {
    if (in_key) unhashable("set");
    if (s.empty()) {
      put("()");  // no literal for an empty set; Python's serpent writes an empty tuple
      return;
    }
    enter(depth);
    put('{');
    bool first = true;
    for (const auto& item : s) {
      if (!first) put(',');
      first = false;
      write(item, depth + 1, true);
    }
    put('}');
  }

  detail::OutBuffer buf_;
  std::string scratch_;  // for the rarer texts written by the std::string-based helpers
  const SerpentOptions& options_;
};

[[noreturn]] void call_shape_error(const std::string& what) {
  throw SerializeError("serpent: call payload: " + what);
}

class SerpentSerializer final : public Serializer {
 public:
  SerializerId id() const noexcept override { return SerializerId::serpent; }
  const char* name() const noexcept override { return "serpent"; }

  std::string encode(const Value& value) const override { return serpent_encode(value); }

  Value decode(std::string_view data, const Limits& limits) const override {
    return Parser(data, limits).parse_document();
  }

  std::string encode_call(const Call& call) const override {
    // (objectId, method, vargs_tuple, kwargs_dict_or_None), spec §3.1.
    SerpentOptions options;
    Writer w(options);
    w.put(header);
    w.put('(');
    w.write_str(call.object);
    w.put(',');
    w.write_str(call.method);
    w.put(',');
    w.write_tuple(call.args, 1, false);
    w.put(',');
    if (call.kwargs) {
      w.write_dict(*call.kwargs, 1);
    } else {
      w.put("None");
    }
    w.put(')');
    return w.str();
  }

  Call decode_call(std::string_view data, const Limits& limits) const override {
    Value v = Parser(data, limits).parse_document();
    if (!v.is_tuple() && !v.is_list())
      call_shape_error(std::string("expected a tuple (object, method, args, kwargs), got ") +
                       v.type_name());
    auto& parts = v.is_tuple() ? v.as_tuple() : v.as_list();
    if (parts.size() != 4)
      call_shape_error("expected 4 items (object, method, args, kwargs), got " +
                       std::to_string(parts.size()));
    Call call;
    if (!parts[0].is_str())
      call_shape_error(std::string("object id must be a str, got ") + parts[0].type_name());
    if (!parts[1].is_str())
      call_shape_error(std::string("method name must be a str, got ") + parts[1].type_name());
    if (parts[2].is_tuple()) {
      call.args = std::move(parts[2].as_tuple());
    } else if (parts[2].is_list()) {
      call.args = std::move(parts[2].as_list());
    } else {
      call_shape_error(std::string("args must be a tuple or list, got ") + parts[2].type_name());
    }
    if (parts[3].is_dict()) {
      for (const auto& item : parts[3].as_dict()) {
        if (!item.first.is_str())
          call_shape_error(std::string("kwargs keys must be str, got ") + item.first.type_name());
      }
      call.kwargs = std::move(parts[3].as_dict());
    } else if (!parts[3].is_none()) {
      call_shape_error(std::string("kwargs must be a dict or None, got ") + parts[3].type_name());
    }
    call.object = parts[0].as_str();
    call.method = parts[1].as_str();
    return call;
  }
};

}  // namespace

std::string serpent_encode(const Value& value, const SerpentOptions& options) {
  Writer w(options);
  w.put(header);
  w.write(value, 0, false);
  return w.str();
}

const Serializer& serpent() {
  static const SerpentSerializer instance;
  return instance;
}

}  // namespace remoto::serial
