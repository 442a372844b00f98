// The serializer interface: bytes <-> Value for each of Pyro4's serializers, plus the call
// form (object id, method, args, kwargs) whose shape differs per serializer (spec §3.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/value/value.hpp"

namespace remoto::serial {

/// Pyro4 serializer ids. Never change: they are on the wire.
enum class SerializerId : std::uint16_t {
  serpent = 1,
  json = 2,
  marshal = 3,
  pickle = 4,
  dill = 5,
  msgpack = 6,
  cloudpickle = 7,
};

/// Bounds every decoder keeps on hostile input.
struct Limits {
  std::size_t max_depth = 1000;                // nesting of containers
  std::size_t max_input = 512u * 1024 * 1024;  // bytes accepted by decode()
};

/// One remote call as it travels in an INVOKE payload.
struct Call {
  std::string object;
  std::string method;
  std::vector<Value> args;
  std::optional<Dict> kwargs;  // Pyro4 sends None for attribute access and batches
  friend bool operator==(const Call&, const Call&) = default;
};

/// Stateless and thread-safe: one instance per serializer serves every connection.
class Serializer {
 public:
  virtual ~Serializer() = default;
  virtual SerializerId id() const noexcept = 0;
  virtual const char* name() const noexcept = 0;

  /// Throws SerializeError when the format cannot carry the value (e.g. bytes in json).
  virtual std::string encode(const Value& value) const = 0;
  /// Throws SerializeError saying what and where (byte offset) for bad input.
  virtual Value decode(std::string_view data, const Limits& limits = {}) const = 0;

  virtual std::string encode_call(const Call& call) const = 0;
  virtual Call decode_call(std::string_view data, const Limits& limits = {}) const = 0;
};

/// The four serializers remoto implements (each defined in its own source file).
const Serializer& serpent();
const Serializer& json();
const Serializer& marshal();
const Serializer& msgpack();

/// The serializer with this id or name ("serpent", "json", "marshal", "msgpack"); nullptr if
/// remoto has none (pickle and friends are refused on purpose).
const Serializer* find_serializer(SerializerId id) noexcept;
const Serializer* find_serializer(std::string_view name) noexcept;

}  // namespace remoto::serial
