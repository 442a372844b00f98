// Pyro4's serializer.loads() and dumps() around the bare serializers: decoding followed by the
// class-dict convention (class_dicts.hpp), and encoding with Pyro4's limits on what a format
// takes. `remoto convert` is loads() of one serializer followed by dumps() of another.
#pragma once

#include <string>
#include <string_view>

#include "remoto/serial/serializer.hpp"
#include "remoto/value/value.hpp"

namespace remoto::serial {

/// What Pyro4's `serializer.loads(data)` makes of data, as a Value: decoded, checked, each class
/// dict rewritten into the dict Pyro4 would dump for the object (recreate_class_dicts).
/// Throws SerializeError / SecurityError / PyroError as Pyro4 would refuse the data.
Value pyro_loads(const Serializer& serializer, std::string_view data, const Limits& limits = {});

/// What Pyro4's `serializer.dumps(value)` writes for a value from pyro_loads: the bare encoding,
/// except that marshal refuses a URI, proxy or exception below the top level as Pyro4's does
/// ("unmarshallable object"). Throws SerializeError for what the format cannot carry.
std::string pyro_dumps(const Serializer& serializer, const Value& value);

/// `to.dumps(from.loads(data))` in Pyro4's terms.
std::string convert(std::string_view data, const Serializer& from, const Serializer& to,
                    const Limits& limits = {});

}  // namespace remoto::serial
