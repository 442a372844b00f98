#include "remoto/services/chat_room.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "remoto/services/chat_protocol.hpp"

namespace remoto::services {
namespace {

using Lines = std::vector<std::string>;

// A room plus what each client has been sent and which clients were closed: the server's
// job, without sockets.
class Harness {
 public:
  explicit Harness(ChatRoom::Options options = {}) : room_(options) {}

  void connect(ChatClientId id) { take(room_.connect(id)); }
  void line(ChatClientId id, std::string_view text) { take(room_.receive(id, text)); }
  void too_long(ChatClientId id) { take(room_.line_too_long(id)); }
  void timeout(ChatClientId id) { take(room_.nick_timeout(id)); }
  void disconnect(ChatClientId id) { take(room_.disconnect(id)); }
  void join(ChatClientId id, std::string_view nick) {
    connect(id);
    line(id, nick);
  }

  // What `id` was sent since the last call.
  Lines sent(ChatClientId id) { return std::exchange(inbox_[id], {}); }
  bool closed(ChatClientId id) const { return closed_.contains(id); }
  ChatRoom& room() { return room_; }

 private:
  void take(ChatRoom::Actions actions) {
    for (auto& m : actions.messages) {
      for (auto id : m.to) {
        EXPECT_FALSE(closed_.contains(id)) << "sent to a closed client: " << m.line;
        EXPECT_EQ(m.line.find('\n'), std::string::npos);
        inbox_[id].push_back(m.line);
      }
    }
    for (auto id : actions.close) closed_[id] = true;
  }

  ChatRoom room_;
  std::map<ChatClientId, Lines> inbox_;
  std::map<ChatClientId, bool> closed_;
};

TEST(ChatRoomTest, FirstLineJoinsWithWelcomeAndUserList) {
  Harness h;
  h.join(1, "alice");
  EXPECT_EQ(h.sent(1), (Lines{"* welcome alice", "* users: alice"}));
  h.join(2, "bob\r");
  EXPECT_EQ(h.sent(2), (Lines{"* welcome bob", "* users: alice, bob"}));
  EXPECT_EQ(h.sent(1), (Lines{"* bob joined"}));
  EXPECT_TRUE(h.room().joined(2));
  EXPECT_EQ(h.room().users(), (Lines{"alice", "bob"}));
}

TEST(ChatRoomTest, NothingHappensBeforeTheNick) {
  Harness h;
  h.join(1, "alice");
  h.sent(1);
  h.connect(2);
  EXPECT_FALSE(h.room().joined(2));
  EXPECT_EQ(h.sent(1), Lines{});
  EXPECT_EQ(h.room().connections(), 2u);
}

TEST(ChatRoomTest, TakenNickIsRefusedWithoutRegardToCase) {
  Harness h;
  h.join(1, "alice");
  h.sent(1);
  h.join(2, "ALICE");
  EXPECT_EQ(h.sent(2), (Lines{"error: nick taken"}));
  EXPECT_TRUE(h.closed(2));
  EXPECT_EQ(h.sent(1), Lines{});  // no join, no leave
  EXPECT_EQ(h.room().connections(), 1u);
}

TEST(ChatRoomTest, InvalidNickIsRefused) {
  Harness h;
  h.join(1, "two words");
  auto lines = h.sent(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("error: invalid nick", 0), 0u);
  EXPECT_TRUE(h.closed(1));
}

TEST(ChatRoomTest, LineGoesToEveryoneElseWithTheNick) {
  Harness h;
  h.join(1, "alice");
  h.join(2, "bob");
  h.join(3, "carol");
  for (ChatClientId id : {1, 2, 3}) h.sent(id);
  h.line(2, "hi all");
  EXPECT_EQ(h.sent(1), (Lines{"bob: hi all"}));
  EXPECT_EQ(h.sent(2), Lines{});
  EXPECT_EQ(h.sent(3), (Lines{"bob: hi all"}));
}

TEST(ChatRoomTest, MsgGoesToOneUserOnly) {
  Harness h;
  h.join(1, "alice");
  h.join(2, "bob");
  h.join(3, "carol");
  for (ChatClientId id : {1, 2, 3}) h.sent(id);
  h.line(1, "/msg Carol psst");
  EXPECT_EQ(h.sent(3), (Lines{"alice (private): psst"}));
  EXPECT_EQ(h.sent(2), Lines{});
  EXPECT_EQ(h.sent(1), Lines{});
  h.line(1, "/msg dave hello?");
  EXPECT_EQ(h.sent(1), (Lines{"error: no such user: dave"}));
}

TEST(ChatRoomTest, WhoListsSortedUsers) {
  Harness h;
  h.join(1, "zed");
  h.join(2, "Amy");
  h.join(3, "bob");
  h.sent(1);
  h.line(1, "/who");
  EXPECT_EQ(h.sent(1), (Lines{"* users: Amy, bob, zed"}));
}

TEST(ChatRoomTest, QuitSaysByeClosesAndAnnouncesTheLeave) {
  Harness h;
  h.join(1, "alice");
  h.join(2, "bob");
  h.sent(1);
  h.sent(2);
  h.line(2, "/quit");
  EXPECT_EQ(h.sent(2), (Lines{"* bye"}));
  EXPECT_TRUE(h.closed(2));
  EXPECT_EQ(h.sent(1), (Lines{"* bob left"}));
  h.disconnect(2);  // the server reports the close later: no second announcement
  EXPECT_EQ(h.sent(1), Lines{});
  h.join(3, "bob");  // the nick is free again
  EXPECT_EQ(h.sent(3)[0], "* welcome bob");
}

TEST(ChatRoomTest, DisconnectAnnouncesTheLeaveOnlyForJoinedUsers) {
  Harness h;
  h.join(1, "alice");
  h.join(2, "bob");
  h.connect(3);
  h.sent(1);
  h.disconnect(3);
  EXPECT_EQ(h.sent(1), Lines{});
  h.disconnect(2);
  EXPECT_EQ(h.sent(1), (Lines{"* bob left"}));
  EXPECT_EQ(h.room().users(), (Lines{"alice"}));
}

TEST(ChatRoomTest, OverLongLineIsAnErrorAfterJoiningAndARefusalBefore) {
  Harness h;
  h.join(1, "alice");
  h.sent(1);
  h.too_long(1);
  EXPECT_EQ(h.sent(1), (Lines{"error: line too long (max 4096 bytes)"}));
  EXPECT_FALSE(h.closed(1));
  h.connect(2);
  h.too_long(2);
  EXPECT_EQ(h.sent(2), (Lines{"error: line too long (max 4096 bytes)"}));
  EXPECT_TRUE(h.closed(2));
}

TEST(ChatRoomTest, BadCommandsAreErrorsToTheSenderOnly) {
  Harness h;
  h.join(1, "alice");
  h.join(2, "bob");
  h.sent(1);
  h.sent(2);
  h.line(1, "/msg bob");
  h.line(1, "/dance");
  auto lines = h.sent(1);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "error: usage: /msg NICK text");
  EXPECT_EQ(lines[1].rfind("error: unknown command: /dance", 0), 0u);
  EXPECT_EQ(h.sent(2), Lines{});
}

TEST(ChatRoomTest, NickTimeoutRefusesOnlyThoseWithoutANick) {
  Harness h;
  h.join(1, "alice");
  h.sent(1);
  h.timeout(1);
  EXPECT_FALSE(h.closed(1));
  h.connect(2);
  h.timeout(2);
  EXPECT_EQ(h.sent(2), (Lines{"error: nick timeout"}));
  EXPECT_TRUE(h.closed(2));
}

TEST(ChatRoomTest, FullRoomRefusesNewConnections) {
  Harness h(ChatRoom::Options{2});
  h.join(1, "alice");
  h.connect(2);
  h.connect(3);
  EXPECT_EQ(h.sent(3), (Lines{"error: server full"}));
  EXPECT_TRUE(h.closed(3));
  h.disconnect(2);
  h.connect(4);
  EXPECT_FALSE(h.closed(4));
}

TEST(ChatRoomTest, LinesFromUnknownClientsAreIgnored) {
  Harness h;
  h.line(42, "hello");
  h.too_long(42);
  h.disconnect(42);
  EXPECT_EQ(h.sent(42), Lines{});
}

}  // namespace
}  // namespace remoto::services
