#include "remoto/services/chat_protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace remoto::services {
namespace {

using Kind = ChatCommand::Kind;

TEST(ChatProtocolTest, AcceptsNicksOfLettersDigitsAndPunctuation) {
  EXPECT_EQ(check_nick("alice"), std::nullopt);
  EXPECT_EQ(check_nick("Bob_2"), std::nullopt);
  EXPECT_EQ(check_nick("a.b-c"), std::nullopt);
  EXPECT_EQ(check_nick(std::string(chat_max_nick, 'x')), std::nullopt);
}

TEST(ChatProtocolTest, RejectsEmptyLongAndOddNicks) {
  for (const std::string& bad :
       std::vector<std::string>{"", "two words", "tab\there", "colon:", "/msg", "*", "é",
                                std::string(chat_max_nick + 1, 'x'), std::string("nul\0", 4)}) {
    auto why = check_nick(bad);
    ASSERT_TRUE(why.has_value()) << bad;
    EXPECT_EQ(why->rfind("invalid nick", 0), 0u) << *why;
  }
}

TEST(ChatProtocolTest, FoldsNicksToLowerCase) {
  EXPECT_EQ(fold_nick("AliCe_9"), "alice_9");
}

TEST(ChatProtocolTest, PlainLineIsSaid) {
  auto c = parse_chat_command("hello there");
  EXPECT_EQ(c.kind, Kind::say);
  EXPECT_EQ(c.text, "hello there");
}

TEST(ChatProtocolTest, DropsCarriageReturnAndIgnoresEmptyLines) {
  EXPECT_EQ(parse_chat_command("hi\r").text, "hi");
  EXPECT_EQ(parse_chat_command("").kind, Kind::ignore);
  EXPECT_EQ(parse_chat_command("\r").kind, Kind::ignore);
}

TEST(ChatProtocolTest, DoubledSlashEscapesALeadingSlash) {
  auto c = parse_chat_command("//who is there");
  EXPECT_EQ(c.kind, Kind::say);
  EXPECT_EQ(c.text, "/who is there");
}

TEST(ChatProtocolTest, ParsesMsg) {
  auto c = parse_chat_command("/msg bob  see you  later ");
  EXPECT_EQ(c.kind, Kind::msg);
  EXPECT_EQ(c.nick, "bob");
  EXPECT_EQ(c.text, "see you  later ");
}

TEST(ChatProtocolTest, MsgWithoutTextIsAUsageError) {
  for (const char* line : {"/msg", "/msg bob", "/msg bob   ", "/msg "}) {
    auto c = parse_chat_command(line);
    EXPECT_EQ(c.kind, Kind::invalid) << line;
    EXPECT_EQ(c.text, "usage: /msg NICK text") << line;
  }
}

TEST(ChatProtocolTest, ParsesWhoAndQuitIgnoringArguments) {
  EXPECT_EQ(parse_chat_command("/who").kind, Kind::who);
  EXPECT_EQ(parse_chat_command("/who all").kind, Kind::who);
  EXPECT_EQ(parse_chat_command("/quit").kind, Kind::quit);
  EXPECT_EQ(parse_chat_command("/quit see you\r").kind, Kind::quit);
}

TEST(ChatProtocolTest, UnknownCommandNamesItBounded) {
  auto c = parse_chat_command("/nick bob");
  EXPECT_EQ(c.kind, Kind::invalid);
  EXPECT_EQ(c.text.rfind("unknown command: /nick (", 0), 0u) << c.text;
  EXPECT_EQ(parse_chat_command("/msgx a b").kind, Kind::invalid);
  auto long_one = parse_chat_command("/" + std::string(1000, 'z'));
  EXPECT_LT(long_one.text.size(), 200u);
}

TEST(ChatProtocolTest, ControlCharactersBecomeQuestionMarks) {
  EXPECT_EQ(parse_chat_command("a\x1b[31mred\tx\x7f").text, "a?[31mred\tx?");
  EXPECT_EQ(sanitize_chat_text(std::string("a\0b", 3)), "a?b");
  EXPECT_EQ(sanitize_chat_text("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes
}

}  // namespace
}  // namespace remoto::services
