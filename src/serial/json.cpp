// Placeholder until the json serializer lands: refuses everything.
#include "remoto/serial/serializer.hpp"

namespace remoto::serial {
namespace {

class Placeholder final : public Serializer {
 public:
  SerializerId id() const noexcept override { return SerializerId::json; }
  const char* name() const noexcept override { return "json"; }
  std::string encode(const Value&) const override { throw SerializeError("json: not built yet"); }
  Value decode(std::string_view, const Limits&) const override {
    throw SerializeError("json: not built yet");
  }
  std::string encode_call(const Call&) const override {
    throw SerializeError("json: not built yet");
  }
  Call decode_call(std::string_view, const Limits&) const override {
    throw SerializeError("json: not built yet");
  }
};

}  // namespace

const Serializer& json() {
  static const Placeholder instance;
  return instance;
}

}  // namespace remoto::serial
