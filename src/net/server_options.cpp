// Names of the connection models, as the command line spells them.
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

}  // namespace remoto::net
