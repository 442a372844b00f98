// The chat client behind `remoto chat join`: joins under a nick, then copies lines from an
// input descriptor to the server and the server's lines to an output descriptor, like a
// line-oriented netcat that knows how to say hello and goodbye (chat_protocol.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace remoto::services {

struct ChatClientOptions {
  std::string host;
  std::uint16_t port = 0;
  std::string nick;
  /// After the input ends and "/quit" is sent: how long to wait for the server to close.
  std::chrono::milliseconds quit_timeout = std::chrono::seconds(5);
};

/// How a chat session ended.
enum class ChatClientEnd {
  left,     ///< joined, then the input ended (we sent /quit) or the server closed
  refused,  ///< the server closed before welcoming us (nick taken, server full, ...)
};

/// Connects, sends the nick, then relays in_fd -> server and server -> out_fd until the
/// server closes; at the end of in_fd it sends "/quit" and waits for that. Blocks the calling
/// thread. in_fd may be a terminal, a pipe or a regular file. Throws CommunicationError when
/// the connection cannot be made or fails ("connect 127.0.0.1:4000: Connection refused").
ChatClientEnd run_chat_client(const ChatClientOptions& options, int in_fd, int out_fd);

}  // namespace remoto::services
