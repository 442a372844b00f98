#include "remoto/services/tcp_echo_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../loopback_client.hpp"
#include "remoto/errors.hpp"
#include "remoto/services/tcp_pipe.hpp"

namespace {

using namespace std::chrono_literals;
using remoto::net::ConnectionModel;
using remoto::net::ServerOptions;
using remoto::services::TcpEchoServer;
using remoto::test::LoopbackClient;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string data(n, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  return data;
}

class TcpEchoServerTest : public ::testing::TestWithParam<ConnectionModel> {
 protected:
  std::unique_ptr<TcpEchoServer> start() {
    ServerOptions options;
    options.model = GetParam();
    options.threads = 2;
    auto server = std::make_unique<TcpEchoServer>(options);
    port_ = server->start();
    return server;
  }
  std::uint16_t port_ = 0;
};

TEST_P(TcpEchoServerTest, EchoesBinaryData) {
  auto server = start();
  LoopbackClient client(port_);
  std::string data = random_bytes(256, 1);
  data[0] = '\0';
  client.send(data);
  EXPECT_EQ(client.receive(data.size()), data);
}

TEST_P(TcpEchoServerTest, EchoesAMegabyteWhileItIsStillBeingSent) {
  auto server = start();
  LoopbackClient client(port_);
  std::string data = random_bytes(1 << 20, 2);
  // Send from another thread: the echo comes back while we are still sending.
  auto sender = std::async(std::launch::async, [&] {
    client.send(data);
    client.shutdown_send();
  });
  std::string echoed = client.receive_all();
  sender.get();
  EXPECT_EQ(echoed.size(), data.size());
  EXPECT_TRUE(echoed == data);
  EXPECT_TRUE(client.eof());  // the server closes after our EOF
}

TEST_P(TcpEchoServerTest, ServesManyClientsAtOnce) {
  auto server = start();
  std::vector<std::future<bool>> results;
  for (unsigned i = 0; i < 16; ++i) {
    results.push_back(std::async(std::launch::async, [this, i] {
      LoopbackClient client(port_);
      std::string data = random_bytes(20000 + i, i);
      client.send(data);
      return client.receive(data.size()) == data;
    }));
  }
  for (auto& result : results) EXPECT_TRUE(result.get());
}

TEST_P(TcpEchoServerTest, StopsPromptlyWithClientsConnected) {
  auto server = start();
  LoopbackClient a(port_), b(port_);
  a.send("x");
  EXPECT_EQ(a.receive(1), "x");
  auto begin = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 1s);
  a.receive_all(1000ms);
  EXPECT_TRUE(a.eof());
}

TEST_P(TcpEchoServerTest, PipeSendsInputAndPrintsTheEcho) {
  auto server = start();
  int in[2], out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  std::string text = "hola\nmundo\n";
  ASSERT_EQ(::write(in[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(in[1]);  // EOF after the text
  remoto::services::pipe_tcp("127.0.0.1", port_, in[0], out[1]);
  ::close(out[1]);
  char buffer[256];
  ssize_t n = ::read(out[0], buffer, sizeof buffer);
  EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0), text);
  ::close(in[0]);
  ::close(out[0]);
}

INSTANTIATE_TEST_SUITE_P(Models, TcpEchoServerTest,
                         ::testing::Values(ConnectionModel::event, ConnectionModel::thread),
                         [](const auto& info) {
                           return std::string(remoto::net::to_string(info.param));
                         });

TEST(TcpPipeTest, ReportsARefusedConnection) {
  // A port that was just free: nobody listens there.
  std::uint16_t port;
  {
    TcpEchoServer server(ServerOptions{});
    port = server.start();
  }
  try {
    remoto::services::pipe_tcp("127.0.0.1", port, -1, -1);
    FAIL() << "connected to a closed port";
  } catch (const remoto::CommunicationError& e) {
    EXPECT_EQ(std::string(e.what()),
              "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }
}

}  // namespace
