// ChatLineReader: cuts a byte stream into "\n"-terminated lines of bounded length, free of
// I/O. Over-long lines are reported once and skipped up to their "\n", so a client that
// sends one keeps its connection and the reader never holds more than the limit (plus the
// last chunk fed).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "remoto/services/chat_protocol.hpp"

namespace remoto::services {

/// Splits bytes into lines. Value type; not thread safe.
class ChatLineReader {
 public:
  struct Event {
    enum class Kind { line, too_long };
    Kind kind;
    /// Kind::line: the line without "\n" and without a "\r" before it. Valid until the next
    /// call to feed(), next() or finish().
    std::string_view line;
  };

  explicit ChatLineReader(std::size_t max_line = chat_max_line) : max_line_(max_line) {}

  /// Appends bytes read from the stream.
  void feed(std::string_view bytes);
  /// The next line or too_long event; nullopt when more bytes are needed.
  std::optional<Event> next();
  /// At end of stream: the unterminated last line, if any (too_long if it is over the limit).
  std::optional<Event> finish();

 private:
  std::size_t max_line_;
  std::string buffer_;       // bytes not yet returned; [start_, size) is pending
  std::size_t start_ = 0;    // where the pending bytes begin
  std::size_t scanned_ = 0;  // buffer_[start_, scanned_) holds no "\n"
  bool skipping_ = false;    // inside an over-long line already reported: drop up to "\n"
};

}  // namespace remoto::services
