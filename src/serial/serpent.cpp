// Placeholder until the serpent serializer lands: refuses everything.
#include "remoto/serial/serializer.hpp"

namespace remoto::serial {
namespace {

class Placeholder final : public Serializer {
 public:
  SerializerId id() const noexcept override { return SerializerId::serpent; }
  const char* name() const noexcept override { return "serpent"; }
  std::string encode(const Value&) const override {
    throw SerializeError("serpent: not built yet");
  }
  Value decode(std::string_view, const Limits&) const override {
    throw SerializeError("serpent: not built yet");
  }
  std::string encode_call(const Call&) const override {
    throw SerializeError("serpent: not built yet");
  }
  Call decode_call(std::string_view, const Limits&) const override {
    throw SerializeError("serpent: not built yet");
  }
};

}  // namespace

const Serializer& serpent() {
  static const Placeholder instance;
  return instance;
}

}  // namespace remoto::serial
