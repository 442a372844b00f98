#include "remoto/services/chat_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace remoto::services {
namespace {

using namespace std::chrono_literals;

// A blocking TCP client that reads lines with a deadline, over loopback.
class LineClient {
 public:
  explicit LineClient(std::uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    ::sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<::sockaddr*>(&address), sizeof address), 0);
  }
  ~LineClient() { ::close(fd_); }

  void send(std::string_view data) {
    while (!data.empty()) {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // The next line without "\n"; nullopt at EOF or after `timeout`.
  std::optional<std::string> line(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return std::nullopt;
      ::pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[4096];
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // True when the server closed the connection (after any unread lines) within `timeout`.
  bool closed(std::chrono::milliseconds timeout = 5s) {
    while (line(timeout)) {
    }
    ::pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, 0) <= 0;
  }

  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }
  // Closes with a reset (SO_LINGER 0), as a crashed peer might.
  void abort() {
    ::linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);  // keeps the destructor simple
  }

  // Joins as `nick` and checks the welcome.
  void join(std::string_view nick) {
    send(std::string(nick) + "\n");
    EXPECT_EQ(line(), "* welcome " + std::string(nick));
    auto users = line();
    ASSERT_TRUE(users);
    EXPECT_EQ(users->rfind("* users: ", 0), 0u) << *users;
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

// Polls `done` until it holds or 5 s pass: for state that settles just after a reply.
template <class Predicate>
bool eventually(Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class ChatServerTest : public ::testing::Test {
 protected:
  void start(ChatServer::Options options = {}) {
    server_ = std::make_unique<ChatServer>(std::move(options));
    server_->start();
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::unique_ptr<ChatServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ChatServerTest, BindsAFreePort) {
  start();
  EXPECT_NE(port_, 0);
  EXPECT_EQ(server_->host(), "127.0.0.1");
}

TEST_F(ChatServerTest, BroadcastsMessagesAndAnnouncesJoinsAndLeaves) {
  start();
  LineClient alice(port_), bob(port_);
  alice.join("alice");
  bob.join("bob");
  EXPECT_EQ(alice.line(), "* bob joined");
  alice.send("hello bob\n");
  EXPECT_EQ(bob.line(), "alice: hello bob");
  bob.send("/msg alice psst\r\n/who\n");
  EXPECT_EQ(alice.line(), "bob (private): psst");
  EXPECT_EQ(bob.line(), "* users: alice, bob");
  bob.send("/quit\n");
  EXPECT_EQ(bob.line(), "* bye");
  EXPECT_TRUE(bob.closed());
  EXPECT_EQ(alice.line(), "* bob left");
}

TEST_F(ChatServerTest, RefusesATakenNickAndCloses) {
  start();
  LineClient alice(port_), other(port_);
  alice.join("alice");
  other.send("Alice\n");
  EXPECT_EQ(other.line(), "error: nick taken");
  EXPECT_TRUE(other.closed());
}

TEST_F(ChatServerTest, OverLongLineIsRefusedAndTheClientStays) {
  start();
  LineClient alice(port_), bob(port_);
  alice.join("alice");
  bob.join("bob");
  alice.line();  // * bob joined
  alice.send(std::string(100'000, 'x') + "\nstill here\n");
  EXPECT_EQ(alice.line(), "error: line too long (max 4096 bytes)");
  EXPECT_EQ(bob.line(), "alice: still here");
}

TEST_F(ChatServerTest, ClosingTheConnectionLeavesAfterTheLastLine) {
  start();
  LineClient alice(port_);
  alice.join("alice");
  {
    LineClient bob(port_);
    bob.join("bob");
    EXPECT_EQ(alice.line(), "* bob joined");
    bob.send("bye without newline");
  }
  EXPECT_EQ(alice.line(), "bob: bye without newline");
  EXPECT_EQ(alice.line(), "* bob left");
  EXPECT_TRUE(eventually([&] { return server_->connections() == 1; }));
}

TEST_F(ChatServerTest, EveryWayOfLeavingFreesTheConnection) {
  start();
  LineClient alice(port_);
  alice.join("alice");
  {
    LineClient quitter(port_), taken(port_), half(port_), reset(port_);
    quitter.join("quitter");
    quitter.send("/quit\n");
    EXPECT_EQ(quitter.line(), "* bye");
    taken.send("alice\n");
    EXPECT_EQ(taken.line(), "error: nick taken");
    half.join("half");
    half.shutdown_send();  // closes its side but still reads
    reset.join("reset");
    reset.abort();
  }
  EXPECT_TRUE(eventually([&] { return server_->connections() == 1; }));
  alice.send("/who\n");
  std::optional<std::string> users;
  do {
    users = alice.line();
  } while (users && users->rfind("* users:", 0) != 0);
  EXPECT_EQ(users, "* users: alice");
}

TEST_F(ChatServerTest, DropsAClientThatDoesNotReadAndKeepsServingTheOthers) {
  ChatServer::Options options;
  options.max_queue_bytes = 64 * 1024;
  start(options);
  LineClient alice(port_), bob(port_), sleepy(port_, 4096);
  alice.join("alice");
  bob.join("bob");
  sleepy.join("sleepy");
  EXPECT_EQ(alice.line(), "* bob joined");
  EXPECT_EQ(alice.line(), "* sleepy joined");
  EXPECT_EQ(bob.line(), "* sleepy joined");
  // sleepy never reads again. Kernel buffers absorb a few MB, then its queue fills.
  std::string text(4000, 'm');
  std::optional<std::string> seen;
  auto start = std::chrono::steady_clock::now();
  int sent = 0;
  while (std::chrono::steady_clock::now() - start < 20s) {
    alice.send(text + "\n");
    ++sent;
    // bob reads everything: each line arrives promptly, and so eventually does the drop.
    auto got = bob.line(2s);
    ASSERT_TRUE(got) << "bob got nothing after " << sent << " lines";
    if (*got == "* sleepy left") {
      seen = got;
      break;
    }
    ASSERT_EQ(*got, "alice: " + text);
  }
  ASSERT_TRUE(seen) << "sleepy was never dropped";
  EXPECT_EQ(alice.line(), "* sleepy left");
  EXPECT_TRUE(eventually([&] { return server_->connections() == 2; }));
}

TEST_F(ChatServerTest, NickTimeoutClosesSilentConnections) {
  ChatServer::Options options;
  options.nick_timeout = 200ms;
  start(options);
  LineClient silent(port_);
  EXPECT_EQ(silent.line(), "error: nick timeout");
  EXPECT_TRUE(silent.closed());
}

TEST_F(ChatServerTest, FullServerRefusesMoreConnections) {
  ChatServer::Options options;
  options.max_clients = 1;
  start(options);
  LineClient alice(port_);
  alice.join("alice");
  LineClient extra(port_);
  EXPECT_EQ(extra.line(), "error: server full");
  EXPECT_TRUE(extra.closed());
}

TEST_F(ChatServerTest, StopClosesConnectedClientsPromptly) {
  start();
  LineClient alice(port_), idle(port_);
  alice.join("alice");
  auto before = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
  EXPECT_TRUE(alice.closed(1s));
  EXPECT_TRUE(idle.closed(1s));
}

TEST(ChatServerBindTest, ReportsABindFailure) {
  ChatServer first({});
  first.start();
  ChatServer::Options options;
  options.port = first.port();
  ChatServer second(options);
  EXPECT_THROW(second.start(), std::exception);
}

}  // namespace
}  // namespace remoto::services
