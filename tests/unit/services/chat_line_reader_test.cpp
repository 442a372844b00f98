#include "remoto/services/chat_line_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace remoto::services {
namespace {

using Kind = ChatLineReader::Event::Kind;

// Every event as text: the line, or "<too long>".
std::vector<std::string> drain(ChatLineReader& reader) {
  std::vector<std::string> out;
  while (auto event = reader.next()) {
    out.push_back(event->kind == Kind::line ? std::string(event->line) : "<too long>");
  }
  return out;
}

using Lines = std::vector<std::string>;

TEST(ChatLineReaderTest, SplitsLinesAndDropsCarriageReturns) {
  ChatLineReader reader;
  reader.feed("one\ntwo\r\n\nthr");
  EXPECT_EQ(drain(reader), (Lines{"one", "two", ""}));
  reader.feed("ee\n");
  EXPECT_EQ(drain(reader), (Lines{"three"}));
  EXPECT_FALSE(reader.finish());
}

TEST(ChatLineReaderTest, ByteByByteGivesTheSameLines) {
  ChatLineReader reader;
  Lines got;
  for (char c : std::string("ab\ncd\r\nef\n")) {
    reader.feed(std::string_view(&c, 1));
    for (auto& line : drain(reader)) got.push_back(line);
  }
  EXPECT_EQ(got, (Lines{"ab", "cd", "ef"}));
}

TEST(ChatLineReaderTest, FinishReturnsTheUnterminatedLastLine) {
  ChatLineReader reader;
  reader.feed("a\nlast\r");
  EXPECT_EQ(drain(reader), (Lines{"a"}));
  auto last = reader.finish();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->line, "last");
}

TEST(ChatLineReaderTest, LineAtTheLimitPassesOneOverDoesNot) {
  ChatLineReader reader(8);
  reader.feed("12345678\r\n123456789\nok\n");
  EXPECT_EQ(drain(reader), (Lines{"12345678", "<too long>", "ok"}));
}

TEST(ChatLineReaderTest, OverLongLineIsReportedOnceAndSkippedToItsEnd) {
  ChatLineReader reader(8);
  reader.feed("0123456789");
  EXPECT_EQ(drain(reader), (Lines{"<too long>"}));
  reader.feed(std::string(100000, 'x'));  // the rest of that line: dropped, not buffered
  EXPECT_EQ(drain(reader), Lines{});
  reader.feed("tail\nnext\n");
  EXPECT_EQ(drain(reader), (Lines{"next"}));
  EXPECT_FALSE(reader.finish());
}

TEST(ChatLineReaderTest, DefaultLimitIsTheProtocols) {
  ChatLineReader reader;
  reader.feed(std::string(chat_max_line, 'a') + "\n" + std::string(chat_max_line + 1, 'b') + "\n");
  auto lines = drain(reader);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), chat_max_line);
  EXPECT_EQ(lines[1], "<too long>");
}

}  // namespace
}  // namespace remoto::services
