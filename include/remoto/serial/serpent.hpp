// serpent (Pyro4's default serializer, id 1): Python literal text, "# serpent utf-8 python3.2\n"
// followed by one expression that Python's ast.literal_eval() reads. serial::serpent() is the
// Serializer Pyro4 messages use; this header adds the writer's options for other uses.
#pragma once

#include <cstddef>
#include <string>

#include "remoto/serial/serializer.hpp"
#include "remoto/value/value.hpp"

namespace remoto::serial {

/// Writer options; the defaults are what Pyro4 uses, so output matches Python's byte for byte.
struct SerpentOptions {
  /// Write bytes as b'...' literals (Python serpent's bytes_repr=True; Python reads them back
  /// as bytes) instead of Pyro4's {'data': '<base64>', 'encoding': 'base64'} dict. Bytes in dict
  /// keys and set elements are always written as literals: a dict cannot be a key.
  bool bytes_repr = false;
  /// Deepest container nesting written; deeper values throw SerializeError. (CPython's parser
  /// itself stops at 200 levels.)
  std::size_t max_depth = Limits{}.max_depth;
};

/// serial::serpent().encode(value) with options. Throws SerializeError for what serpent cannot
/// carry: a list, dict or set inside a dict key or set element, NaN in a key or in a complex,
/// a str that is not (surrogatepass) UTF-8, nesting beyond max_depth.
std::string serpent_encode(const Value& value, const SerpentOptions& options = {});

}  // namespace remoto::serial
