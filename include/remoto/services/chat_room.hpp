// ChatRoom: the chat's state and rules, free of I/O. The server reports what happens on each
// connection (connected, a line, an over-long line, closed) and gets back what to do: which
// lines go to which connections and which connections to close. The line formats are in
// chat_protocol.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace remoto::services {

/// The server's name for a connection; never reused while the room lives.
using ChatClientId = std::uint64_t;

/// The users of one chat and what their lines cause.
/// Value type; not thread safe: the chat server calls it from its one I/O thread only.
class ChatRoom {
 public:
  struct Options {
    std::size_t max_clients = 1024;  ///< connections, joined or not
  };

  /// One line (without "\n") for some connections.
  struct Message {
    std::vector<ChatClientId> to;
    std::string line;
  };
  /// What the server must do, in order: send the messages, then close the connections in
  /// `close` once everything queued for them is sent.
  struct Actions {
    std::vector<Message> messages;
    std::vector<ChatClientId> close;
  };

  ChatRoom() : ChatRoom(Options{}) {}
  explicit ChatRoom(Options options) : options_(options) {}

  /// A new connection, which must send its nick first.
  Actions connect(ChatClientId id);
  /// A line from `id`, without its "\n". Lines from unknown or closed ids are ignored.
  Actions receive(ChatClientId id, std::string_view line);
  /// `id` sent a line over chat_max_line bytes (it was dropped).
  Actions line_too_long(ChatClientId id);
  /// `id` did not send its nick in time.
  Actions nick_timeout(ChatClientId id);
  /// `id` is gone (closed, failed, or dropped by the server for not reading). Also fine for
  /// connections the room closed itself.
  Actions disconnect(ChatClientId id);

  bool joined(ChatClientId id) const;
  /// The nicks of the joined users, sorted by their lower-case form.
  std::vector<std::string> users() const;
  /// Connections, joined or not.
  std::size_t connections() const { return clients_.size(); }

 private:
  struct Client {
    std::string nick;  // empty until joined
  };

  Actions join(ChatClientId id, Client& client, std::string_view nick);
  Actions refuse(ChatClientId id, std::string reason);  // error line, close, forget
  std::string users_line() const;
  std::vector<ChatClientId> others(ChatClientId id) const;

  Options options_;
  std::unordered_map<ChatClientId, Client> clients_;
  std::map<std::string, ChatClientId> by_nick_;  // folded nick -> id, joined users only
};

}  // namespace remoto::services
