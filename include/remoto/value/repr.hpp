// Python's repr() for Value, exactly as CPython 3.11 prints it, plus pretty(), an indented form
// for people. The str/bytes/float pieces are exposed separately because the serpent writer
// (whose text is Python literals) and the command line reuse them.
#pragma once

#include <complex>
#include <cstddef>
#include <string>
#include <string_view>

#include "remoto/value/value.hpp"

namespace remoto {

/// What CPython 3.11's repr() prints for the equivalent Python value: None, True, 42,
/// 1.5, (1+2j), 'it\'s', b'\x00', [1, 2], (1,), {'a': 1}, {1, 2}, set(). Containers nested
/// deeper than 1000 levels print as ... (CPython itself would raise RecursionError).
std::string python_repr(const Value& value);
void append_python_repr(std::string& out, const Value& value);

/// repr() of a str given as surrogatepass UTF-8: quote choice, escapes, and the printable
/// rule (unicode::is_printable) as CPython applies them. A byte that is not valid UTF-8 is
/// written as \udcXX (Python's surrogateescape convention); returns false if there was one.
bool append_str_repr(std::string& out, std::string_view utf8);

/// repr() of bytes: b'...' with CPython's quote choice and \t \n \r \xhh escapes.
void append_bytes_repr(std::string& out, std::string_view data);

/// repr() of a float, appended in place: the same text as python_float_repr().
void append_float_repr(std::string& out, double d);

/// repr() of a complex: 2j, (1+2j), (-0-1j), (nan+infj); parts without a forced ".0".
void append_complex_repr(std::string& out, std::complex<double> c);

/// A readable, indented rendering for people: a value whose repr fits in `width` columns
/// (counting its indentation) is printed as its repr; a longer container is opened on its own
/// line with one item per line, indented by two spaces and followed by a comma (valid Python,
/// like black's layout). Dicts keep insertion order.
std::string pretty(const Value& value, std::size_t width = 80);

}  // namespace remoto
