// The protocol side of one TCP connection, free of I/O: the connection model reads bytes,
// hands them to the session, and writes what the session answers. One session type thus runs
// unchanged under both connection models (thread per client, event-driven), and can be tested
// without a socket.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace remoto::net {

/// What a session tells its driver after feed().
struct FeedResult {
  /// Bytes taken from the front of `input`. The rest is handed back, followed by the bytes
  /// read next, on the next call: a session never has to buffer a partial message itself.
  std::size_t consumed = 0;
  /// Send `out`, then close the connection (reading no further).
  bool close = false;
  /// The session is between messages: the idle deadline restarts. While it is false (a
  /// message half received), the deadline set at the last boundary stays, so a client that
  /// trickles a message byte by byte is still dropped in time.
  bool idle = true;
  /// With `close`: the input ended exactly where the last message ended, and nothing more is
  /// expected (no unread body, no bytes after it). The driver may then close at once. Left
  /// false, it closes gracefully: FIN, then it reads and discards what the peer still sends
  /// for a short while, so that unread input cannot turn the close into a reset that
  /// destroys the reply before the peer reads it.
  bool input_complete = false;
};

/// One connection's protocol state. Called from one thread at a time.
class StreamSession {
 public:
  virtual ~StreamSession() = default;
  /// `input`: all unconsumed bytes received so far (never empty). Appends the bytes to send
  /// to `out`, which the driver owns and writes in one go after the call: answering every
  /// complete message in `input` at once gives pipelining one write for many replies.
  virtual FeedResult feed(std::string_view input, std::string& out) = 0;
};

/// Makes the session of each new connection. Called on I/O threads, possibly several at once.
using SessionFactory = std::function<std::unique_ptr<StreamSession>()>;

}  // namespace remoto::net
