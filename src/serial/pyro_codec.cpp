#include "remoto/serial/pyro_codec.hpp"

#include "remoto/serial/class_dicts.hpp"

namespace remoto::serial {
namespace {

// Pyro4's marshal dumps() converts only the top-level object into a dict (util.py,
// convert_obj_into_marshallable); marshal itself cannot write the others.
[[noreturn]] void unmarshallable() {
  throw SerializeError(
      "marshal: unmarshallable object (a URI, proxy or exception below the top level)");
}

// A class dict below the top level of a loaded value stands for a Python object.
bool has_nested_class_dict(const Value& v, std::size_t depth) {
  if (v.is_list() || v.is_tuple()) {
    for (const auto& item : v.as_sequence())
      if (has_nested_class_dict(item, depth + 1)) return true;
  } else if (v.is_dict()) {
    if (v.as_dict().find(Value("__class__"))) return depth > 0;
    for (const auto& [key, item] : v.as_dict())
      if (has_nested_class_dict(item, depth + 1)) return true;
  }
  return false;
}

}  // namespace

Value pyro_loads(const Serializer& serializer, std::string_view data, const Limits& limits) {
  Value value = serializer.decode(data, limits);
  recreate_class_dicts(value, class_dict_options(serializer.id()));
  return value;
}

std::string pyro_dumps(const Serializer& serializer, const Value& value) {
  if (serializer.id() == SerializerId::marshal && has_nested_class_dict(value, 0)) unmarshallable();
  return serializer.encode(value);
}

std::string convert(std::string_view data, const Serializer& from, const Serializer& to,
                    const Limits& limits) {
  Value value = from.decode(data, limits);
  bool nested = recreate_class_dicts(value, class_dict_options(from.id()));
  if (to.id() == SerializerId::marshal && nested) unmarshallable();
  return to.encode(value);
}

}  // namespace remoto::serial
