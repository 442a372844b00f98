// Names of the connection models and event backends, as the command line spells them.
#include "remoto/net/server_options.hpp"

namespace remoto::net {

std::optional<ConnectionModel> parse_connection_model(std::string_view text) noexcept {
  if (text == "thread") return ConnectionModel::thread;
  if (text == "event") return ConnectionModel::event;
  return std::nullopt;
}

std::string_view to_string(ConnectionModel model) noexcept {
  return model == ConnectionModel::thread ? "thread" : "event";
}

std::optional<EventBackend> parse_event_backend(std::string_view text) noexcept {
  if (text == "auto") return EventBackend::automatic;
  if (text == "uring") return EventBackend::uring;
  if (text == "asio") return EventBackend::asio;
  return std::nullopt;
}

std::string_view to_string(EventBackend backend) noexcept {
  switch (backend) {
    case EventBackend::uring:
      return "uring";
    case EventBackend::asio:
      return "asio";
    case EventBackend::automatic:
      break;
  }
  return "auto";
}

}  // namespace remoto::net
