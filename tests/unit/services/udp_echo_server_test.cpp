#include "remoto/services/udp_echo_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/net/udp_socket.hpp"

namespace remoto::services {
namespace {

using namespace std::chrono_literals;

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Sends `payload` and returns the reply (nullopt after 2 s).
std::optional<std::string> round_trip(net::UdpSocket& socket, const std::string& payload) {
  socket.send(bytes(payload));
  std::vector<std::byte> buffer(net::max_udp_payload + 1);
  auto n = socket.receive(buffer, 2s);
  if (!n) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(buffer.data()), *n);
}

TEST(UdpEchoServerTest, EchoesEmptySmallAndLargestDatagrams) {
  UdpEchoServer server({});
  server.start();
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(server.host(), "127.0.0.1");
  auto socket = net::UdpSocket::connect("127.0.0.1", server.port());
  EXPECT_EQ(round_trip(socket, ""), "");
  EXPECT_EQ(round_trip(socket, "x"), "x");
  std::string big(net::max_udp_payload, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + 3);
  EXPECT_EQ(round_trip(socket, big), big);
  // The count goes up just after the reply is sent: give it a moment.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.echoed() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(server.echoed(), 3u);
}

TEST(UdpEchoServerTest, EchoesABurstToItsSender) {
  UdpEchoServer server({});
  server.start();
  auto socket = net::UdpSocket::connect("127.0.0.1", server.port());
  constexpr int count = 200;  // well within the socket buffers: none should be lost
  for (int i = 0; i < count; ++i) socket.send(bytes("datagram " + std::to_string(i)));
  std::set<std::string> replies;
  std::vector<std::byte> buffer(2048);
  while (replies.size() < count) {
    auto n = socket.receive(buffer, 2s);
    ASSERT_TRUE(n) << "after " << replies.size() << " replies";
    replies.emplace(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  EXPECT_TRUE(replies.contains("datagram 0"));
  EXPECT_TRUE(replies.contains("datagram " + std::to_string(count - 1)));
}

TEST(UdpEchoServerTest, ServesSeveralSendersOnSeveralThreads) {
  UdpEchoServer::Options options;
  options.threads = 3;
  UdpEchoServer server(options);
  server.start();
  std::vector<net::UdpSocket> sockets;
  for (int i = 0; i < 8; ++i)
    sockets.push_back(net::UdpSocket::connect("127.0.0.1", server.port()));
  for (int round = 0; round < 5; ++round) {
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      std::string payload = std::to_string(i) + "/" + std::to_string(round);
      EXPECT_EQ(round_trip(sockets[i], payload), payload);
    }
  }
}

TEST(UdpEchoServerTest, EchoesToABoundSocketWithItsAddress) {
  UdpEchoServer server({});
  server.start();
  auto socket = net::UdpSocket::bind("127.0.0.1", 0);
  net::UdpEndpoint to{net::Address::loopback_v4(), server.port()};
  socket.send_to(bytes("where from?"), to);
  std::vector<std::byte> buffer(100);
  auto got = socket.receive_from(buffer, 2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size, 11u);
  EXPECT_EQ(got->from, to);
}

TEST(UdpEchoServerTest, WorksOverIpv6Loopback) {
  UdpEchoServer::Options options;
  options.host = "::1";
  UdpEchoServer server(options);
  try {
    server.start();
  } catch (const CommunicationError& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  EXPECT_EQ(server.host(), "::1");
  auto socket = net::UdpSocket::connect("::1", server.port());
  EXPECT_EQ(round_trip(socket, "six"), "six");
}

TEST(UdpEchoServerTest, StopEndsPromptlyAndFreesThePort) {
  UdpEchoServer server({});
  server.start();
  auto port = server.port();
  auto before = std::chrono::steady_clock::now();
  server.stop();
  server.stop();  // idempotent
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  auto again = net::UdpSocket::bind("127.0.0.1", port);  // the port is free again
  EXPECT_TRUE(again.is_open());
}

TEST(UdpEchoServerTest, BindFailureNamesTheAddress) {
  auto taken = net::UdpSocket::bind("127.0.0.1", 0);
  UdpEchoServer::Options options;
  options.port = taken.local_endpoint().port;
  UdpEchoServer server(options);
  try {
    server.start();
    FAIL() << "bound a taken port";
  } catch (const CommunicationError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(options.port)),
              std::string::npos)
        << e.what();
  }
}

TEST(UdpSocketTest, ReceiveTimesOutWithNothing) {
  auto socket = net::UdpSocket::bind("127.0.0.1", 0);
  std::vector<std::byte> buffer(16);
  auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(socket.receive(buffer, 100ms));
  EXPECT_GE(std::chrono::steady_clock::now() - before, 100ms);
}

TEST(UdpSocketTest, ConnectedSocketReportsARefusal) {
  std::uint16_t port;
  {
    auto probe = net::UdpSocket::bind("127.0.0.1", 0);
    port = probe.local_endpoint().port;
  }  // now nobody listens there
  auto socket = net::UdpSocket::connect("127.0.0.1", port);
  socket.send(bytes("anyone?"));
  std::vector<std::byte> buffer(16);
  EXPECT_THROW(socket.receive(buffer, 2s), CommunicationError);
}

TEST(UdpSocketTest, ReportsTheFullSizeOfATruncatedDatagram) {
  auto receiver = net::UdpSocket::bind("127.0.0.1", 0);
  auto sender = net::UdpSocket::connect("127.0.0.1", receiver.local_endpoint().port);
  sender.send(bytes("0123456789"));
  std::vector<std::byte> small(4);
  EXPECT_EQ(receiver.receive(small, 2s), 10u);
}

}  // namespace
}  // namespace remoto::services
