#include "remoto/services/udp_echo_server.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/net/udp_socket.hpp"
#include "remoto/services/detail/udp_gso.hpp"

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

// Same-sized replies to one sender leave as one segmented (GSO) message: each sender must still
// get back exactly its own datagrams, every one with its own length and bytes, also where a
// group ends at a shorter datagram, an empty one or the size limit of one message. Each sender
// sends its datagrams in sendmmsg bursts so that the server finds many queued at once.
TEST(UdpEchoServerTest, EchoesBurstsOfEqualSizesExactly) {
  UdpEchoServer server({});
  server.start();
  std::vector<net::UdpSocket> sockets;
  for (int i = 0; i < 2; ++i)
    sockets.push_back(net::UdpSocket::connect("127.0.0.1", server.port()));
  auto payload = [](std::size_t sender, std::size_t index, std::size_t size) {
    std::string p(size, '\0');
    for (std::size_t k = 0; k < size; ++k) p[k] = static_cast<char>(sender * 131 + index * 7 + k);
    return p;
  };
  // Runs of 64 bytes, a shorter one, runs of 20,000 (three fill one message), empty datagrams.
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 70; ++i) sizes.push_back(64);
  sizes.push_back(10);
  for (int i = 0; i < 5; ++i) sizes.push_back(20000);
  sizes.push_back(0);
  sizes.push_back(0);
  for (int i = 0; i < 5; ++i) sizes.push_back(64);
  std::vector<std::multiset<std::string>> expected(sockets.size());
  for (std::size_t s = 0; s < sockets.size(); ++s) {
    std::vector<std::string> payloads;
    for (std::size_t i = 0; i < sizes.size(); ++i) payloads.push_back(payload(s, i, sizes[i]));
    std::vector<::iovec> iov(payloads.size());
    std::vector<::mmsghdr> messages(payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      iov[i] = {payloads[i].data(), payloads[i].size()};
      messages[i] = {};
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      expected[s].insert(payloads[i]);
    }
    unsigned sent = 0;
    while (sent < messages.size()) {
      int rc = ::sendmmsg(sockets[s].native_handle(), messages.data() + sent,
                          static_cast<unsigned>(messages.size() - sent), 0);
      ASSERT_GT(rc, 0) << std::strerror(errno);
      sent += static_cast<unsigned>(rc);
    }
  }
  std::vector<std::byte> buffer(net::max_udp_payload + 1);
  for (std::size_t s = 0; s < sockets.size(); ++s) {
    std::multiset<std::string> got;
    while (got.size() < expected[s].size()) {
      auto n = sockets[s].receive(buffer, 2s);
      ASSERT_TRUE(n) << "sender " << s << ": after " << got.size() << " replies";
      got.emplace(reinterpret_cast<const char*>(buffer.data()), *n);
    }
    EXPECT_EQ(got, expected[s]) << "sender " << s;
    EXPECT_FALSE(sockets[s].receive(buffer, 50ms)) << "sender " << s << ": an extra reply";
  }
}

// The grouping rule itself, on hand-made batches.
class GsoGroupTest : public ::testing::Test {
 protected:
  // Appends a datagram of `size` bytes from 127.0.0.1:`port`.
  void add(std::size_t size, std::uint16_t port = 5000) {
    ::sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    names_.push_back(a);
    iov_.push_back({nullptr, size});
  }
  unsigned group(std::size_t from = 0) {
    messages_.assign(iov_.size(), {});
    for (std::size_t i = 0; i < iov_.size(); ++i) {
      messages_[i].msg_hdr.msg_name = &names_[i];
      messages_[i].msg_hdr.msg_namelen = sizeof(::sockaddr_in);
      messages_[i].msg_hdr.msg_iov = &iov_[i];
      messages_[i].msg_hdr.msg_iovlen = 1;
    }
    return detail::gso_group_length(messages_.data() + from,
                                    static_cast<unsigned>(messages_.size() - from));
  }
  std::vector<::sockaddr_in> names_;
  std::vector<::iovec> iov_;
  std::vector<::mmsghdr> messages_;
};

TEST_F(GsoGroupTest, GroupsEqualSizesToOnePeerAndEndsAtAShorterOne) {
  for (int i = 0; i < 5; ++i) add(64);
  add(10);
  add(64);
  EXPECT_EQ(group(), 6u);  // the shorter datagram is the last of the group
  EXPECT_EQ(group(6), 1u);
}

TEST_F(GsoGroupTest, StopsAtALongerDatagramAnotherPeerOrAnEmptyOne) {
  add(64);
  add(64);
  add(65);
  EXPECT_EQ(group(), 2u);
  names_.clear();
  iov_.clear();
  add(64, 5000);
  add(64, 5000);
  add(64, 5001);
  EXPECT_EQ(group(), 2u);
  names_.clear();
  iov_.clear();
  add(64);
  add(0);
  add(64);
  EXPECT_EQ(group(), 1u);
  EXPECT_EQ(group(1), 1u);  // an empty datagram always goes alone
}

TEST_F(GsoGroupTest, KeepsWithinTheSegmentAndByteLimits) {
  for (unsigned i = 0; i < detail::max_gso_segments + 10; ++i) add(8);
  EXPECT_EQ(group(), detail::max_gso_segments);
  names_.clear();
  iov_.clear();
  for (int i = 0; i < 5; ++i) add(20000);
  EXPECT_EQ(group(), 3u);  // a fourth would pass max_gso_bytes
  names_.clear();
  iov_.clear();
  add(65000);
  add(65000);
  EXPECT_EQ(group(), 1u);
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
