// The chat protocol's pure functions: nick rules and command parsing.
#include "remoto/services/chat_protocol.hpp"

namespace remoto::services {

namespace {

bool is_nick_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

ChatCommand invalid(std::string reason) {
  return {ChatCommand::Kind::invalid, {}, std::move(reason)};
}

}  // namespace

std::optional<std::string> check_nick(std::string_view nick) {
  bool ok = !nick.empty() && nick.size() <= chat_max_nick;
  for (char c : nick) ok = ok && is_nick_char(c);
  if (ok) return std::nullopt;
  return "invalid nick: 1-" + std::to_string(chat_max_nick) + " letters, digits, '_', '-' or '.'";
}

std::string fold_nick(std::string_view nick) {
  std::string folded(nick);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return folded;
}

std::string sanitize_chat_text(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) c = '?';
  }
  return out;
}

ChatCommand parse_chat_command(std::string_view line) {
  line = strip_cr(line);
  if (line.empty()) return {};
  if (line.front() != '/') return {ChatCommand::Kind::say, {}, sanitize_chat_text(line)};
  if (line.starts_with("//")) {
    line.remove_prefix(1);
    return {ChatCommand::Kind::say, {}, sanitize_chat_text(line)};
  }
  auto space = line.find(' ');
  std::string_view name = line.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? "" : skip_spaces(line.substr(space));
  // /who and /quit ignore anything after the command word, as IRC's /quit takes a message.
  if (name == "/who") return {ChatCommand::Kind::who, {}, {}};
  if (name == "/quit") return {ChatCommand::Kind::quit, {}, {}};
  if (name == "/msg") {
    auto nick_end = rest.find(' ');
    if (nick_end == std::string_view::npos) return invalid("usage: /msg NICK text");
    std::string_view nick = rest.substr(0, nick_end);
    std::string_view text = skip_spaces(rest.substr(nick_end));
    if (text.empty()) return invalid("usage: /msg NICK text");
    return {ChatCommand::Kind::msg, nick, sanitize_chat_text(text)};
  }
  // Echo a bounded, sanitized sample of what was typed.
  constexpr std::size_t max_echo = 40;
  std::string shown = sanitize_chat_text(name.substr(0, max_echo));
  if (name.size() > max_echo) shown += "...";
  return invalid("unknown command: " + shown +
                 " (try /msg, /who, /quit, or // to start a line with /)");
}

}  // namespace remoto::services
