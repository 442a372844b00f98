// ChatLineReader: a buffer with a scan position, compacted when lines are taken.
#include "remoto/services/chat_line_reader.hpp"

namespace remoto::services {

namespace {

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

void ChatLineReader::feed(std::string_view bytes) {
  if (skipping_) {
    auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) return;
    bytes.remove_prefix(newline + 1);
    skipping_ = false;
  }
  // Drop what earlier lines used before growing, so the buffer stays near one line's size.
  if (start_ > 0) {
    buffer_.erase(0, start_);
    scanned_ -= start_;
    start_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<ChatLineReader::Event> ChatLineReader::next() {
  auto newline = buffer_.find('\n', scanned_);
  if (newline != std::string::npos) {
    std::string_view line = strip_cr(std::string_view(buffer_).substr(start_, newline - start_));
    start_ = scanned_ = newline + 1;
    if (line.size() > max_line_) return Event{Event::Kind::too_long, {}};
    return Event{Event::Kind::line, line};
  }
  scanned_ = buffer_.size();
  // One byte of slack: the pending bytes may end in the "\r" of a "\r\n".
  if (buffer_.size() - start_ > max_line_ + 1) {
    buffer_.clear();
    start_ = scanned_ = 0;
    skipping_ = true;
    return Event{Event::Kind::too_long, {}};
  }
  return std::nullopt;
}

std::optional<ChatLineReader::Event> ChatLineReader::finish() {
  if (skipping_ || start_ == buffer_.size()) return std::nullopt;
  std::string_view line = strip_cr(std::string_view(buffer_).substr(start_));
  start_ = scanned_ = buffer_.size();
  if (line.size() > max_line_) return Event{Event::Kind::too_long, {}};
  return Event{Event::Kind::line, line};
}

}  // namespace remoto::services
