// Pyro4's class-dict convention on the receiving side (spec §4.2): after decoding, Pyro4 turns
// every dict with a "__class__" key into an object (URI, Proxy, Daemon, an exception, ...) or
// refuses the data. These functions do the same checks, and can rewrite each class dict into
// the dict Pyro4 would send for the object it made of it, so that a value passes through remoto
// the way it passes through Python's loads() and dumps().
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "remoto/errors.hpp"
#include "remoto/serial/serializer.hpp"
#include "remoto/value/value.hpp"

namespace remoto::serial {

/// How one serializer's loads() applies the convention.
struct ClassDictOptions {
  /// serpent only: {'__class__': 'float', 'value': 'nan'} stands for a float.
  bool float_marker = false;
  /// msgpack converts every map while decoding, inner ones first, including those inside
  /// another class dict; the others walk from the top and leave a class dict's insides alone.
  bool bottom_up = false;
  /// Class names the application registered a converter for (Pyro4's
  /// register_dict_to_class): such dicts are accepted and left as they are. May be empty.
  std::function<bool(std::string_view)> registered;
};

/// The options Pyro4's loads() uses for this serializer.
ClassDictOptions class_dict_options(SerializerId id);

/// Throws where Pyro4's loads() would refuse `value`: SecurityError("refused to deserialize
/// types with double underscores in their name: NAME"), SerializeError("unsupported serialized
/// class: NAME"), or an error about a malformed URI / proxy / exception dict.
void check_class_dicts(const Value& value, const ClassDictOptions& options);

/// check_class_dicts, and in place each class dict becomes the dict Pyro4's dumps() writes for
/// the object its loads() made of it: exception class names get their module
/// ("ValueError" -> "builtins.ValueError"), a proxy's timeout and retries become the receiver's
/// defaults (0.0, 0), serpent's NaN marker becomes a float, extra keys are dropped.
/// Returns whether such an object sits below the top level (Pyro4's marshal can dump objects
/// only at the top level).
bool recreate_class_dicts(Value& value, const ClassDictOptions& options);

/// The class name Python gives the exception it rebuilds from an exception dict of class
/// `name`: "builtins.ValueError" for "ValueError", "builtins.ValueError" or
/// "exceptions.ValueError"; "Pyro4.errors.NamingError" for "NamingError" or
/// "Pyro4.errors.NamingError"; "sqlite3.X" for sqlite3's errors. nullopt when Python would not
/// rebuild it.
std::optional<std::string> canonical_exception_class(std::string_view name);

}  // namespace remoto::serial
