#include "remoto/net/tcp_server.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../loopback_client.hpp"
#include "remoto/errors.hpp"
#include "remoto/net/detail/event_server.hpp"
#include "remoto/net/detail/uring_server.hpp"

namespace {

using namespace std::chrono_literals;
using remoto::net::ConnectionModel;
using remoto::net::EventBackend;
using remoto::net::FeedResult;
using remoto::net::ServerOptions;
using remoto::net::StreamSession;
using remoto::net::TcpServer;
using remoto::test::LoopbackClient;

constexpr std::size_t flood_size = 4 << 20;

/// Answers each complete line in upper case; "quit" says bye and closes, "flood" answers
/// flood_size bytes and closes. Either tells the driver whether input followed the line.
class ShoutSession final : public StreamSession {
 public:
  FeedResult feed(std::string_view input, std::string& out) override {
    std::size_t pos = 0;
    for (std::size_t eol; (eol = input.find('\n', pos)) != std::string_view::npos; pos = eol + 1) {
      std::string_view line = input.substr(pos, eol - pos);
      if (line == "quit" || line == "flood") {
        if (line == "quit")
          out += "bye\n";
        else
          out.append(flood_size, 'x');
        return {eol + 1, true, true, eol + 1 == input.size()};
      }
      for (char c : line) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out += '\n';
    }
    return {pos, false, pos == input.size()};
  }
};

/// Reads until the peer closes; "reset" if the connection was reset instead.
std::string receive_until_clean_eof(LoopbackClient& client) {
  std::string data;
  char buffer[4096];
  for (;;) {
    pollfd p{client.fd(), POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) return data + "(timeout)";
    ssize_t n = ::recv(client.fd(), buffer, sizeof buffer, 0);
    if (n == 0) return data;
    if (n < 0) return data + "(reset)";
    data.append(buffer, static_cast<std::size_t>(n));
  }
}

/// A connection model and, for the event model, its driver.
struct Driver {
  ConnectionModel model;
  EventBackend backend;
};

class TcpServerTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    if (GetParam().model == ConnectionModel::event && GetParam().backend == EventBackend::uring &&
        !remoto::net::detail::uring_supported())
      GTEST_SKIP() << "this kernel does not run the io_uring driver";
  }
  ServerOptions options() {
    ServerOptions o;
    o.model = GetParam().model;
    o.backend = GetParam().backend;
    o.threads = 2;
    return o;
  }
  ServerOptions options(std::chrono::milliseconds idle_timeout) {
    ServerOptions o = options();
    o.idle_timeout = idle_timeout;
    return o;
  }
  static remoto::net::SessionFactory shout() {
    return [] { return std::make_unique<ShoutSession>(); };
  }
};

TEST_P(TcpServerTest, RunsACustomSession) {
  TcpServer server(options(), shout());
  EXPECT_EQ(server.port(), 0);
  std::uint16_t port = server.start();
  EXPECT_EQ(server.port(), port);
  LoopbackClient client(port);
  client.send("hola\nmun");
  EXPECT_EQ(client.receive(5), "HOLA\n");
  client.send("do\nquit\nignored\n");
  EXPECT_EQ(client.receive_all(), "MUNDO\nbye\n");
  EXPECT_TRUE(client.eof());
}

TEST_P(TcpServerTest, ClosesAfterTheLastReplyWhetherOrNotInputWasLeftUnread) {
  TcpServer server(options(), shout());
  std::uint16_t port = server.start();
  {
    LoopbackClient client(port);  // nothing after "quit": the server closes at once
    client.send("quit\n");
    EXPECT_EQ(client.receive_all(), "bye\n");
    EXPECT_TRUE(client.eof());
  }
  {
    // Input the server never reads, in its receive queue when it closes: the close must not
    // turn into a reset that destroys the reply.
    LoopbackClient client(port);
    client.send("hi\nquit\n" + std::string(200'000, 'j'));
    std::this_thread::sleep_for(100ms);  // a reset, if any, arrives before we read
    EXPECT_EQ(receive_until_clean_eof(client), "HI\nbye\n");
  }
  {
    LoopbackClient client(port);  // the last line arrives in two pieces
    client.send("qu");
    EXPECT_EQ(client.receive(1, 100ms), "");
    client.send("it\n");
    EXPECT_EQ(client.receive_all(), "bye\n");
    EXPECT_TRUE(client.eof());
  }
}

TEST_P(TcpServerTest, DeliversAWholeLargeLastReplyToASlowReader) {
  TcpServer server(options(), shout());
  LoopbackClient client(server.start());
  client.send("flood\n");
  std::this_thread::sleep_for(100ms);  // the reply fills the socket buffers before we read
  std::string reply = client.receive_all();
  EXPECT_EQ(reply.size(), flood_size);
  EXPECT_EQ(reply.find_first_not_of('x'), std::string::npos);
  EXPECT_TRUE(client.eof());
}

TEST_P(TcpServerTest, KeepsSilentClientsWithoutIdleTimeout) {
  TcpServer server(options(0ms), shout());
  LoopbackClient client(server.start());
  EXPECT_EQ(client.receive(1, 300ms), "");
  EXPECT_FALSE(client.eof());
  client.send("still here\n");
  EXPECT_EQ(client.receive(11), "STILL HERE\n");
}

// Between requests an event-model connection waits in its thread's parking lot: the idle
// deadline must still close it there, and restart with every request.
TEST_P(TcpServerTest, ClosesAnIdleConnectionBetweenRequestsAfterTheIdleTimeout) {
  TcpServer server(options(300ms), shout());
  LoopbackClient talker(server.start());
  LoopbackClient quiet(server.port());
  quiet.send("once\n");
  EXPECT_EQ(quiet.receive(5), "ONCE\n");
  auto begin = std::chrono::steady_clock::now();
  // The talker keeps going for longer than the timeout, 100 ms apart: never dropped.
  for (int i = 0; i < 8; ++i) {
    talker.send("ping\n");
    EXPECT_EQ(talker.receive(5), "PING\n") << "request " << i;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_FALSE(talker.eof());
  quiet.receive_all(1000ms);
  EXPECT_TRUE(quiet.eof());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2000ms);
}

// A connection that was served, then sends a message in pieces (from the parking lot to Asio
// and back to answering), then more whole messages.
TEST_P(TcpServerTest, ServesAMessageInPiecesAfterAWholeOne) {
  TcpServer server(options(), shout());
  LoopbackClient client(server.start());
  client.send("first\n");
  EXPECT_EQ(client.receive(6), "FIRST\n");
  client.send("sec");
  EXPECT_EQ(client.receive(1, 100ms), "");
  client.send("ond\nthi");
  EXPECT_EQ(client.receive(7), "SECOND\n");
  client.send("rd\n");
  EXPECT_EQ(client.receive(6), "THIRD\n");
  for (int i = 0; i < 3; ++i) {
    client.send("again\n");
    EXPECT_EQ(client.receive(6), "AGAIN\n");
  }
  client.send("quit\n");
  EXPECT_EQ(receive_until_clean_eof(client), "bye\n");
}

TEST_P(TcpServerTest, DropsAnUnfinishedMessageAfterTheIdleTimeout) {
  TcpServer server(options(200ms), shout());
  LoopbackClient client(server.start());
  auto begin = std::chrono::steady_clock::now();
  // Bytes keep coming, but the line never ends: trickling must not extend the deadline.
  for (int i = 0; i < 6 && !client.eof(); ++i) {
    try {
      client.send("x");
    } catch (const std::exception&) {
      break;
    }
    client.receive(1, 60ms);
  }
  client.receive_all(1000ms);
  EXPECT_TRUE(client.eof());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 1000ms);
}

TEST_P(TcpServerTest, ReportsAPortInUse) {
  TcpServer first(options(), shout());
  ServerOptions o = options();
  o.port = first.start();
  TcpServer second(o, shout());
  try {
    second.start();
    FAIL() << "bound a port in use";
  } catch (const remoto::CommunicationError& e) {
    EXPECT_NE(std::string(e.what()).find("Address already in use"), std::string::npos);
  }
}

// Many connections whose requests all arrive at once: more than the io_uring driver's first
// block of receive buffers, so that some recvs find none free and must be read again.
TEST_P(TcpServerTest, AnswersManyConnectionsThatSendAtOnce) {
  TcpServer server(options(), shout());
  std::uint16_t port = server.start();
  std::vector<std::unique_ptr<LoopbackClient>> clients;
  for (int i = 0; i < 200; ++i) clients.push_back(std::make_unique<LoopbackClient>(port));
  for (int i = 0; i < 200; ++i) clients[i]->send("client " + std::to_string(i) + "\n");
  for (int i = 0; i < 200; ++i)
    EXPECT_EQ(clients[i]->receive(9 + (i >= 10) + (i >= 100)),
              "CLIENT " + std::to_string(i) + "\n");
}

// A client that sends many requests without reading the replies, then reads: the server
// stops reading while the replies wait (its queue is bounded), and every reply arrives, in
// order.
TEST_P(TcpServerTest, AnswersEveryRequestOfAClientThatReadsLate) {
  TcpServer server(options(), shout());
  LoopbackClient client(server.start());
  constexpr int requests = 400'000;  // 2.4 MB each way: more than the socket buffers hold
  std::string burst;
  for (int i = 0; i < requests; ++i) burst += "ping\n";
  std::thread sender([&] { client.send(burst); });
  std::this_thread::sleep_for(300ms);  // the replies pile up before we read
  std::string replies = client.receive(burst.size(), 10'000ms);
  sender.join();
  ASSERT_EQ(replies.size(), burst.size());
  EXPECT_EQ(replies.find_first_not_of("PING\n"), std::string::npos);
  EXPECT_EQ(replies.substr(0, 10), "PING\nPING\n");
  client.send("quit\n");
  EXPECT_EQ(receive_until_clean_eof(client), "bye\n");
}

// Clients that leave (reset, or silent past the idle timeout) while replies to them are
// still being sent: the server lets go of them and serves the next client.
TEST_P(TcpServerTest, LetsGoOfClientsThatLeaveWithRepliesUnsent) {
  TcpServer server(options(300ms), shout());
  std::uint16_t port = server.start();
  std::string burst;  // 16 MB a time
  for (int i = 0; i < 3'200'000; ++i) burst += "ping\n";
  for (bool reset : {true, false}) {
    LoopbackClient client(port);
    std::atomic<bool> dropped{false};
    std::atomic<bool> stop{false};
    std::thread sender([&] {
      // Sends until a send fails: socket buffers can grow to hold a whole burst (tcp_rmem
      // allows 32 MB), so one burst sent whole proves nothing; the sends block once the
      // server stops reading.
      try {
        while (!stop) client.send(burst);
      } catch (const std::exception&) {  // the server dropped us (or we shut down below)
        dropped = true;
      }
    });
    if (reset) {
      std::this_thread::sleep_for(200ms);
      linger lingering{1, 0};  // the close below sends a reset
      ::setsockopt(client.fd(), SOL_SOCKET, SO_LINGER, &lingering, sizeof lingering);
    } else {  // silent past the idle timeout: the server must drop us
      // Only once it stops reading does the timeout run: first it answers what the socket
      // buffers on both sides take (about 10 MB), which a sanitizer build sharing the machine
      // with other tests takes seconds to do (3.5 s seen under TSan with ctest -j2).
      auto begin = std::chrono::steady_clock::now();
      while (!dropped && std::chrono::steady_clock::now() - begin < 15s)
        std::this_thread::sleep_for(20ms);
      EXPECT_TRUE(dropped) << "a client that reads nothing was kept past the idle timeout";
    }
    stop = true;
    ::shutdown(client.fd(), SHUT_RDWR);  // wakes the sender if it still waits
    sender.join();
  }
  LoopbackClient next(port);
  next.send("hello\n");
  EXPECT_EQ(next.receive(6), "HELLO\n");
}

TEST_P(TcpServerTest, StopClosesConnectedClients) {
  auto server = std::make_unique<TcpServer>(options(), shout());
  std::uint16_t port = server->start();
  LoopbackClient idle(port);
  LoopbackClient served(port);
  served.send("hi\n");
  EXPECT_EQ(served.receive(3), "HI\n");
  LoopbackClient halfway(port);
  halfway.send("unfinished");
  std::this_thread::sleep_for(50ms);
  auto begin = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 1000ms);
  for (LoopbackClient* c : {&idle, &served, &halfway}) {
    c->receive_all(1000ms);
    EXPECT_TRUE(c->eof());
  }
  EXPECT_THROW(LoopbackClient{port}, std::exception);  // nobody listens any more
}

INSTANTIATE_TEST_SUITE_P(Models, TcpServerTest,
                         ::testing::Values(Driver{ConnectionModel::event, EventBackend::uring},
                                           Driver{ConnectionModel::event, EventBackend::asio},
                                           Driver{ConnectionModel::thread,
                                                  EventBackend::automatic}),
                         [](const auto& info) {
                           std::string name(remoto::net::to_string(info.param.model));
                           if (info.param.model == ConnectionModel::event)
                             name += "_" + std::string(remoto::net::to_string(info.param.backend));
                           return name;
                         });

TEST(EventServerTest, RunsACoroutineHandlerPerConnection) {
  using remoto::net::detail::AcceptedSocket;
  using remoto::net::detail::ConnectionSlot;
  ServerOptions o;
  o.threads = 1;
  remoto::net::detail::EventServer server(o, [](AcceptedSocket accepted) -> asio::awaitable<void> {
    ConnectionSlot slot(std::move(accepted));
    co_await asio::async_write(slot.socket(), asio::buffer(std::string_view("hi\n")),
                               asio::use_awaitable);
  });
  std::uint16_t port = server.start();
  for (int i = 0; i < 3; ++i) {
    LoopbackClient client(port);
    EXPECT_EQ(client.receive_all(), "hi\n");
    EXPECT_TRUE(client.eof());
  }
  server.stop();
}

}  // namespace
