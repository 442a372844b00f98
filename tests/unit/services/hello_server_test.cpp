#include "remoto/services/hello_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../loopback_client.hpp"

namespace {

using namespace std::chrono_literals;
using remoto::net::ConnectionModel;
using remoto::net::ServerOptions;
using remoto::services::HelloServer;
using remoto::test::LoopbackClient;

const std::string ok_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nHello, cliente!";
const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

class HelloServerTest : public ::testing::TestWithParam<ConnectionModel> {
 protected:
  std::unique_ptr<HelloServer> start(ServerOptions options = {}) {
    options.model = GetParam();
    options.threads = 2;
    auto server = std::make_unique<HelloServer>(options);
    port_ = server->start();
    return server;
  }
  std::uint16_t port_ = 0;
};

TEST_P(HelloServerTest, AnswersGetWithHello) {
  auto server = start();
  ASSERT_NE(port_, 0);
  EXPECT_EQ(server->port(), port_);
  LoopbackClient client(port_);
  client.send(get);
  EXPECT_EQ(client.receive(ok_response.size()), ok_response);
}

TEST_P(HelloServerTest, KeepsTheConnectionForSeveralRequests) {
  auto server = start();
  LoopbackClient client(port_);
  for (int i = 0; i < 5; ++i) {
    client.send(get);
    ASSERT_EQ(client.receive(ok_response.size()), ok_response) << i;
  }
}

TEST_P(HelloServerTest, AnswersPipelinedRequestsInOrder) {
  auto server = start();
  LoopbackClient client(port_);
  std::string requests, expected;
  for (int i = 0; i < 16; ++i) {
    requests += i % 2 ? get : "HEAD / HTTP/1.1\r\n\r\n";
    expected += i % 2 ? ok_response : ok_response.substr(0, ok_response.size() - 15);
  }
  client.send(requests);
  EXPECT_EQ(client.receive(expected.size()), expected);
}

TEST_P(HelloServerTest, ClosesAfterHttp10AndConnectionClose) {
  auto server = start();
  {
    LoopbackClient client(port_);
    client.send("GET / HTTP/1.0\r\n\r\n");
    std::string reply = client.receive_all();
    EXPECT_NE(reply.find("HTTP/1.1 200 OK\r\n"), std::string::npos);
    EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos);
    EXPECT_TRUE(client.eof());
  }
  {
    LoopbackClient client(port_);
    client.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    std::string reply = client.receive_all();
    EXPECT_EQ(reply.find("HTTP/1.1", 1), std::string::npos) << "answered past Connection: close";
    EXPECT_TRUE(client.eof());
  }
  {
    LoopbackClient client(port_);
    client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    std::string reply = client.receive(200, 500ms);
    EXPECT_NE(reply.find("Connection: keep-alive\r\n"), std::string::npos);
    EXPECT_FALSE(client.eof());
  }
}

TEST_P(HelloServerTest, SkipsRequestBodiesAndRefusesOtherMethods) {
  auto server = start();
  LoopbackClient client(port_);
  client.send("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel");
  client.send(std::string("lo") + get);
  std::string reply = client.receive(1000, 500ms);
  EXPECT_EQ(reply.find("HTTP/1.1 405 Method Not Allowed\r\n"), 0u);
  EXPECT_NE(reply.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_NE(reply.find(ok_response), std::string::npos);
}

TEST_P(HelloServerTest, AnswersMalformedRequestsWith400AndCloses) {
  auto server = start();
  LoopbackClient client(port_);
  client.send("hello there\r\n\r\n");
  std::string reply = client.receive_all();
  EXPECT_EQ(reply.find("HTTP/1.1 400 Bad Request\r\n"), 0u);
  EXPECT_TRUE(client.eof());
}

TEST_P(HelloServerTest, AnswersOversizedHeadsWith431) {
  auto server = start();
  LoopbackClient client(port_);
  client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n");
  std::string reply = client.receive_all();
  EXPECT_EQ(reply.find("HTTP/1.1 431 "), 0u);
  EXPECT_TRUE(client.eof());
}

TEST_P(HelloServerTest, DropsSlowClientsWithoutDelayingOthers) {
  ServerOptions options;
  options.idle_timeout = 300ms;
  auto server = start(options);
  LoopbackClient slow(port_);
  slow.send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finished
  LoopbackClient idle(port_);
  auto begin = std::chrono::steady_clock::now();
  LoopbackClient fast(port_);
  fast.send(get);
  EXPECT_EQ(fast.receive(ok_response.size()), ok_response);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 250ms);
  EXPECT_EQ(slow.receive_all(2000ms), "");
  EXPECT_TRUE(slow.eof());
  auto dropped = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(dropped, 250ms);
  EXPECT_LT(dropped, 1500ms);
  idle.receive_all(2000ms);
  EXPECT_TRUE(idle.eof());
}

TEST_P(HelloServerTest, StopsPromptlyWithClientsConnected) {
  auto server = start();
  std::vector<std::unique_ptr<LoopbackClient>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<LoopbackClient>(port_));
  clients[0]->send(get);
  EXPECT_EQ(clients[0]->receive(ok_response.size()), ok_response);
  clients[1]->send("GET / HTTP/1.1\r\n");  // half a request
  auto begin = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 1s);
  for (auto& client : clients) {
    client->receive_all(1000ms);
    EXPECT_TRUE(client->eof());
  }
  server->stop();  // idempotent
}

INSTANTIATE_TEST_SUITE_P(Models, HelloServerTest,
                         ::testing::Values(ConnectionModel::event, ConnectionModel::thread),
                         [](const auto& info) {
                           return std::string(remoto::net::to_string(info.param));
                         });

TEST(HelloServerThreadModelTest, TurnsAwayClientsOverTheLimit) {
  ServerOptions options;
  options.model = ConnectionModel::thread;
  options.max_clients = 2;
  HelloServer server(options);
  std::uint16_t port = server.start();
  LoopbackClient a(port), b(port);
  a.send(get);
  ASSERT_EQ(a.receive(ok_response.size()), ok_response);
  b.send(get);
  ASSERT_EQ(b.receive(ok_response.size()), ok_response);
  {
    LoopbackClient c(port);
    c.send(get);
    std::string reply = c.receive_all(2000ms);
    EXPECT_EQ(reply.find("HTTP/1.1 503 Service Unavailable\r\n"), 0u) << reply;
    EXPECT_TRUE(c.eof());
  }
  a.close();
  // The slot frees once a's thread ends; a new client is then served.
  auto deadline = std::chrono::steady_clock::now() + 3s;
  std::string reply;
  while (std::chrono::steady_clock::now() < deadline) {
    LoopbackClient d(port);
    d.send(get);
    reply = d.receive(ok_response.size(), 1000ms);
    if (reply == ok_response) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(reply, ok_response);
}

}  // namespace
