// CPython 3.11's repr() rules (Objects/unicodeobject.c unicode_repr, bytesobject.c, floatobject.c
// via PyOS_double_to_string 'r', complexobject.c complex_repr), re-implemented on Value, and the
// pretty printer built on them.
#include "remoto/value/repr.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <variant>

#include "remoto/value/unicode.hpp"

namespace remoto {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";
constexpr std::size_t max_repr_depth = 1000;
constexpr std::size_t no_limit = std::string::npos;

void append_hex_escape(std::string& out, char kind, std::uint32_t v, int digits) {
  char buf[10];
  buf[0] = '\\';
  buf[1] = kind;
  for (int i = digits - 1; i >= 0; --i) {
    buf[2 + i] = hex_digits[v & 0xF];
    v >>= 4;
  }
  out.append(buf, static_cast<std::size_t>(digits) + 2);
}

// Printable ASCII that str repr copies as is: everything from ' ' to '~' but quotes and \\.
struct PlainAscii {
  bool is[256] = {};
  constexpr PlainAscii() {
    for (int c = 0x20; c < 0x7F; ++c) is[c] = c != '\'' && c != '"' && c != '\\';
  }
};
constexpr PlainAscii plain_ascii;

// Python's quote choice for str and bytes: ' unless the text has ' and no ".
char choose_quote(std::string_view s) {
  if (std::memchr(s.data(), '\'', s.size()) == nullptr) return '\'';
  if (std::memchr(s.data(), '"', s.size()) == nullptr) return '"';
  return '\'';
}

// The shortest round-trip digits of a finite d in Python's repr layout, into buf (>= 32
// bytes); returns the length. add_dot_0 mirrors Py_DTSF_ADD_DOT_0 (float repr has it,
// complex parts do not).
std::size_t format_finite(char* buf, double d, bool add_dot_0) {
  char sci[32];
  auto res = std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific);
  const char* p = sci;
  const char* end = res.ptr;
  char* o = buf;
  if (*p == '-') {
    *o++ = '-';
    ++p;
  }
  char digits[24];
  std::size_t nd = 0;
  while (p < end && *p != 'e') {
    if (*p != '.') digits[nd++] = *p;
    ++p;
  }
  int exp = 0;
  std::from_chars(p + 1 + (p[1] == '+'), end, exp);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      *o++ = '0';
      *o++ = '.';
      for (int i = 0; i < -exp - 1; ++i) *o++ = '0';
      std::memcpy(o, digits, nd);
      o += nd;
    } else {
      auto int_len = static_cast<std::size_t>(exp) + 1;
      if (nd <= int_len) {
        std::memcpy(o, digits, nd);
        o += nd;
        for (std::size_t i = nd; i < int_len; ++i) *o++ = '0';
        if (add_dot_0) {
          *o++ = '.';
          *o++ = '0';
        }
      } else {
        std::memcpy(o, digits, int_len);
        o += int_len;
        *o++ = '.';
        std::memcpy(o, digits + int_len, nd - int_len);
        o += nd - int_len;
      }
    }
  } else {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      std::memcpy(o, digits + 1, nd - 1);
      o += nd - 1;
    }
    *o++ = 'e';
    *o++ = exp < 0 ? '-' : '+';
    int a = exp < 0 ? -exp : exp;
    if (a < 10) *o++ = '0';
    o = std::to_chars(o, buf + 32, a).ptr;
  }
  return static_cast<std::size_t>(o - buf);
}

// A complex part: 'r' format without ".0"; with_sign mirrors Py_DTSF_SIGN (NaN is "+nan").
void append_complex_part(std::string& out, double d, bool with_sign) {
  if (std::isnan(d)) {
    out += with_sign ? "+nan" : "nan";
    return;
  }
  if (with_sign && !std::signbit(d)) out += '+';
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
    return;
  }
  char buf[32];
  out.append(buf, format_finite(buf, d, false));
}

// Writes the repr of v; stops early (leaving a truncated text) once out exceeds limit.
void write_repr(std::string& out, const Value& v, std::size_t depth, std::size_t limit);

template <class Items>
void write_items(std::string& out, const Items& items, std::size_t depth, std::size_t limit) {
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ", ";
    first = false;
    write_repr(out, item, depth + 1, limit);
    if (out.size() > limit) return;
  }
}

void write_repr(std::string& out, const Value& v, std::size_t depth, std::size_t limit) {
  v.visit([&](const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, std::monostate>) {
      out += "None";
    } else if constexpr (std::is_same_v<T, bool>) {
      out += x ? "True" : "False";
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      char buf[24];
      out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, x).ptr - buf));
    } else if constexpr (std::is_same_v<T, BigInt>) {
      out += x.str();
    } else if constexpr (std::is_same_v<T, double>) {
      append_float_repr(out, x);
    } else if constexpr (std::is_same_v<T, Value::Complex>) {
      append_complex_repr(out, x);
    } else if constexpr (std::is_same_v<T, Str>) {
      append_str_repr(out, x.utf8);
    } else if constexpr (std::is_same_v<T, Bytes>) {
      append_bytes_repr(out, x.data);
    } else if (depth >= max_repr_depth) {
      out += "...";
    } else if constexpr (std::is_same_v<T, List>) {
      out += '[';
      write_items(out, x.items, depth, limit);
      out += ']';
    } else if constexpr (std::is_same_v<T, Tuple>) {
      out += '(';
      write_items(out, x.items, depth, limit);
      if (x.items.size() == 1) out += ',';
      out += ')';
    } else if constexpr (std::is_same_v<T, Set>) {
      if (x.empty()) {
        out += "set()";
        return;
      }
      out += '{';
      write_items(out, x, depth, limit);
      out += '}';
    } else if constexpr (std::is_same_v<T, Dict>) {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : x) {
        if (!first) out += ", ";
        first = false;
        write_repr(out, key, depth + 1, limit);
        out += ": ";
        write_repr(out, value, depth + 1, limit);
        if (out.size() > limit) return;
      }
      out += '}';
    }
  });
}

// ---- pretty -----------------------------------------------------------------------------

bool is_container(const Value& v) {
  return v.is_list() || v.is_tuple() || v.is_dict() || v.is_set();
}

bool container_empty(const Value& v) {
  if (v.is_list() || v.is_tuple()) return v.as_sequence().empty();
  if (v.is_dict()) return v.as_dict().empty();
  return v.as_set().empty();
}

// Writes v starting at a column where `used` columns are taken on the current line; nested
// lines start at indent. `tail` columns must stay free after v (the comma that follows).
void write_pretty(std::string& out, const Value& v, std::size_t indent, std::size_t used,
                  std::size_t width, std::size_t depth) {
  std::size_t avail = width > used + 1 ? width - used - 1 : 0;  // keep room for a ','
  std::size_t mark = out.size();
  write_repr(out, v, depth, mark + avail);
  if (out.size() <= mark + avail || !is_container(v) || container_empty(v) ||
      depth >= max_repr_depth)
    return;
  out.resize(mark);  // too long: one item per line
  std::string pad(indent + 2, ' ');
  auto open_item = [&] {
    out += '\n';
    out += pad;
  };
  if (v.is_dict()) {
    out += '{';
    for (const auto& [key, value] : v.as_dict()) {
      open_item();
      std::size_t line_start = out.size() - pad.size();
      write_repr(out, key, depth + 1, no_limit);
      out += ": ";
      write_pretty(out, value, indent + 2, out.size() - line_start, width, depth + 1);
      out += ',';
    }
    out += '\n';
    out.append(indent, ' ');
    out += '}';
    return;
  }
  char open = v.is_list() ? '[' : v.is_tuple() ? '(' : '{';
  char close = v.is_list() ? ']' : v.is_tuple() ? ')' : '}';
  out += open;
  auto one = [&](const Value& item) {
    open_item();
    write_pretty(out, item, indent + 2, indent + 2, width, depth + 1);
    out += ',';
  };
  if (v.is_set()) {
    for (const auto& item : v.as_set()) one(item);
  } else {
    for (const auto& item : v.as_sequence()) one(item);
  }
  out += '\n';
  out.append(indent, ' ');
  out += close;
}

}  // namespace

void append_float_repr(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
    return;
  }
  char buf[32];
  out.append(buf, format_finite(buf, d, true));
}

void append_complex_repr(std::string& out, std::complex<double> c) {
  // CPython: a real part of +0.0 is left out, together with the parentheses.
  if (c.real() == 0.0 && !std::signbit(c.real())) {
    append_complex_part(out, c.imag(), false);
    out += 'j';
    return;
  }
  out += '(';
  append_complex_part(out, c.real(), false);
  append_complex_part(out, c.imag(), true);
  out += "j)";
}

bool append_str_repr(std::string& out, std::string_view s) {
  // The quote is decided at the first ' (it becomes " if the text has no "), so most strings
  // are scanned once; the opening quote is patched then.
  const std::size_t open_at = out.size();
  char quote = 0;  // undecided; ' unless a ' turns up in a text without "
  bool seen_double = false;
  bool valid = true;
  out.reserve(out.size() + s.size() + 2);
  out += '\'';
  const char* const begin = s.data();
  const char* const end = begin + s.size();
  const char* p = begin;
  const char* run = p;  // start of the pending stretch copied as is
  auto flush = [&] { out.append(run, static_cast<std::size_t>(p - run)); };
  while (p < end) {
    auto c = static_cast<unsigned char>(*p);
    if (plain_ascii.is[c]) {
      ++p;
      continue;
    }
    if (c == '"') {
      seen_double = true;
      ++p;
      continue;
    }
    if (c == '\'') {
      if (!quote) {
        quote = seen_double || std::memchr(p + 1, '"', static_cast<std::size_t>(end - p - 1)) ? '\''
                                                                                              : '"';
        out[open_at] = quote;
      }
      if (quote == '"') {
        ++p;
        continue;
      }
    }
    if (c < 0x80) {
      flush();
      switch (c) {
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\'':
          out += "\\'";
          break;
        default:
          append_hex_escape(out, 'x', c, 2);
      }
      run = ++p;
      continue;
    }
    std::size_t pos = static_cast<std::size_t>(p - begin);
    auto cp = unicode::decode(s, pos, true);
    if (!cp) {
      flush();
      valid = false;
      append_hex_escape(out, 'u', 0xDC00u + c, 4);  // surrogateescape: byte 0xNN -> U+DCNN
      run = ++p;
      continue;
    }
    if (unicode::is_printable(*cp)) {
      p = begin + pos;
      continue;
    }
    flush();
    if (*cp <= 0xFF) {
      append_hex_escape(out, 'x', *cp, 2);
    } else if (*cp <= 0xFFFF) {
      append_hex_escape(out, 'u', *cp, 4);
    } else {
      append_hex_escape(out, 'U', *cp, 8);
    }
    p = begin + pos;
    run = p;
  }
  flush();
  out += quote ? quote : '\'';
  return valid;
}

void append_bytes_repr(std::string& out, std::string_view data) {
  const char quote = choose_quote(data);
  out.reserve(out.size() + data.size() + 3);
  out += 'b';
  out += quote;
  for (char ch : data) {
    auto c = static_cast<unsigned char>(ch);
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7F) {
      append_hex_escape(out, 'x', c, 2);
    } else {
      out += ch;
    }
  }
  out += quote;
}

void append_python_repr(std::string& out, const Value& value) {
  write_repr(out, value, 0, no_limit);
}

std::string python_repr(const Value& value) {
  std::string out;
  write_repr(out, value, 0, no_limit);
  return out;
}

std::string pretty(const Value& value, std::size_t width) {
  std::string out;
  write_pretty(out, value, 0, 0, width, 0);
  return out;
}

}  // namespace remoto
