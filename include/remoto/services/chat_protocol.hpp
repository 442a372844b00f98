// The chat line protocol: limits, nick rules and the parsing of one client line into a
// command, free of I/O so that the server, the tests and the fuzzer share it. ChatRoom
// (chat_room.hpp) decides what each command does; ChatLineReader (chat_line_reader.hpp) cuts
// the byte stream into lines.
//
// Every line ends in "\n" (a "\r" before it is dropped) and holds at most chat_max_line bytes.
//
// Client -> server:
//   NICK              the first line: the nick to join under (see check_nick)
//   text              said to every other user
//   //text            says "/text": a doubled leading '/' escapes a line that starts with '/'
//   /msg NICK text    said to NICK only
//   /who              asks who is here
//   /quit             leaves (closing the connection does too)
//   (empty lines are ignored)
//
// Server -> client:
//   * welcome NICK             you joined under NICK (the answer to a good first line),
//   * users: alice, bob        followed by the users, as for /who (sorted, you included)
//   * NICK joined              someone else joined
//   * NICK left                someone else left: /quit, closed, or dropped for not reading
//   NICK: text                 NICK said text to everyone
//   NICK (private): text       NICK said text to you only (/msg)
//   * bye                      the answer to /quit; then the server closes the connection
//   error: REASON              your line was refused; REASON is one of
//     nick taken                          (first line; then the server closes)
//     invalid nick: 1-32 letters, digits, '_', '-' or '.'   (first line; then closes)
//     server full                         (on connect; then closes)
//     nick timeout                        (no first line in time; then closes)
//     line too long (max 4096 bytes)      (the line is dropped; before the nick, closes)
//     no such user: NICK
//     unknown command: /CMD (try /msg, /who, /quit, or // to start a line with /)
//     usage: /msg NICK text
//
// Nicks compare without regard to ASCII case ("Alice" is taken when "alice" is here). Text
// is passed on byte for byte, except control characters other than tab, which become '?' so
// that no one can drive the others' terminals.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace remoto::services {

/// Longest line, in bytes, without its "\n" or "\r\n".
inline constexpr std::size_t chat_max_line = 4096;
/// Longest nick, in bytes.
inline constexpr std::size_t chat_max_nick = 32;

/// Why `nick` cannot be a nick, as the text after "error: ", or nullopt if it can: 1 to
/// chat_max_nick ASCII letters, digits, '_', '-' or '.'.
std::optional<std::string> check_nick(std::string_view nick);

/// `nick` in lower case: the key under which nicks are compared.
std::string fold_nick(std::string_view nick);

/// What a client line asks for, after the nick. The views point into the parsed line.
struct ChatCommand {
  enum class Kind {
    say,      ///< text to everyone
    msg,      ///< text to `nick`
    who,      ///< list the users
    quit,     ///< leave
    ignore,   ///< an empty line
    invalid,  ///< refused: `text` says why (the text after "error: ")
  };
  Kind kind = Kind::ignore;
  std::string_view nick;  ///< msg: the addressee, as written
  std::string text;       ///< say, msg: what to pass on; invalid: the reason
};

/// Parses one line (without its "\n"; a trailing "\r" is still allowed) sent after the nick.
/// Never fails: bad commands come back as Kind::invalid with the reason.
ChatCommand parse_chat_command(std::string_view line);

/// `text` with control characters other than tab replaced by '?' (see the file comment).
std::string sanitize_chat_text(std::string_view text);

}  // namespace remoto::services
