// ChatRoom: turns connection events into messages, following chat_protocol.hpp.
#include "remoto/services/chat_room.hpp"

#include "remoto/services/chat_protocol.hpp"

namespace remoto::services {

namespace {

ChatRoom::Actions say(ChatClientId to, std::string line) {
  ChatRoom::Actions actions;
  actions.messages.push_back({{to}, std::move(line)});
  return actions;
}

}  // namespace

ChatRoom::Actions ChatRoom::connect(ChatClientId id) {
  if (clients_.contains(id)) return {};
  if (clients_.size() >= options_.max_clients) {
    Actions actions = say(id, "error: server full");
    actions.close.push_back(id);
    return actions;
  }
  clients_.emplace(id, Client{});
  return {};
}

ChatRoom::Actions ChatRoom::refuse(ChatClientId id, std::string reason) {
  clients_.erase(id);
  Actions actions = say(id, "error: " + reason);
  actions.close.push_back(id);
  return actions;
}

ChatRoom::Actions ChatRoom::receive(ChatClientId id, std::string_view line) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return {};
  Client& client = it->second;
  if (client.nick.empty()) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return join(id, client, line);
  }

  auto command = parse_chat_command(line);
  switch (command.kind) {
    case ChatCommand::Kind::ignore:
      return {};
    case ChatCommand::Kind::invalid:
      return say(id, "error: " + command.text);
    case ChatCommand::Kind::say: {
      Actions actions;
      auto to = others(id);
      if (!to.empty())
        actions.messages.push_back({std::move(to), client.nick + ": " + command.text});
      return actions;
    }
    case ChatCommand::Kind::msg: {
      auto target = by_nick_.find(fold_nick(command.nick));
      if (target == by_nick_.end()) {
        return say(id, "error: no such user: " + sanitize_chat_text(command.nick.substr(0, 64)));
      }
      return say(target->second, client.nick + " (private): " + command.text);
    }
    case ChatCommand::Kind::who:
      return say(id, users_line());
    case ChatCommand::Kind::quit: {
      Actions actions = disconnect(id);
      actions.messages.push_back({{id}, "* bye"});
      actions.close.push_back(id);
      return actions;
    }
  }
  return {};
}

ChatRoom::Actions ChatRoom::join(ChatClientId id, Client& client, std::string_view nick) {
  if (auto why = check_nick(nick)) return refuse(id, *why);
  auto key = fold_nick(nick);
  if (by_nick_.contains(key)) return refuse(id, "nick taken");
  Actions actions;
  auto to = others(id);  // before joining: everyone already here
  client.nick = std::string(nick);
  by_nick_.emplace(std::move(key), id);
  actions.messages.push_back({{id}, "* welcome " + client.nick});
  actions.messages.push_back({{id}, users_line()});
  if (!to.empty()) actions.messages.push_back({std::move(to), "* " + client.nick + " joined"});
  return actions;
}

ChatRoom::Actions ChatRoom::line_too_long(ChatClientId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return {};
  std::string reason = "line too long (max " + std::to_string(chat_max_line) + " bytes)";
  if (it->second.nick.empty()) return refuse(id, reason);
  return say(id, "error: " + reason);
}

ChatRoom::Actions ChatRoom::nick_timeout(ChatClientId id) {
  auto it = clients_.find(id);
  if (it == clients_.end() || !it->second.nick.empty()) return {};
  return refuse(id, "nick timeout");
}

ChatRoom::Actions ChatRoom::disconnect(ChatClientId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return {};
  std::string nick = std::move(it->second.nick);
  clients_.erase(it);
  if (nick.empty()) return {};
  by_nick_.erase(fold_nick(nick));
  Actions actions;
  auto to = others(id);
  if (!to.empty()) actions.messages.push_back({std::move(to), "* " + nick + " left"});
  return actions;
}

bool ChatRoom::joined(ChatClientId id) const {
  auto it = clients_.find(id);
  return it != clients_.end() && !it->second.nick.empty();
}

std::vector<std::string> ChatRoom::users() const {
  std::vector<std::string> nicks;
  nicks.reserve(by_nick_.size());
  for (const auto& [key, id] : by_nick_) nicks.push_back(clients_.at(id).nick);
  return nicks;
}

std::string ChatRoom::users_line() const {
  std::string line = "* users:";
  const char* separator = " ";
  for (const auto& [key, id] : by_nick_) {
    line += separator;
    line += clients_.at(id).nick;
    separator = ", ";
  }
  return line;
}

std::vector<ChatClientId> ChatRoom::others(ChatClientId id) const {
  std::vector<ChatClientId> ids;
  ids.reserve(by_nick_.size());
  for (const auto& [key, other] : by_nick_) {
    if (other != id) ids.push_back(other);
  }
  return ids;
}

}  // namespace remoto::services
