#include "remoto/net/address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sstream>
#include <stdexcept>
#include <unordered_set>

namespace remoto::net {
namespace {

Address parsed(std::string_view text) {
  auto address = Address::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(Address());
}

TEST(AddressTest, DefaultIsIpv4Any) {
  Address a;
  EXPECT_TRUE(a.is_v4());
  EXPECT_TRUE(a.is_any());
  EXPECT_EQ(a.to_string(), "0.0.0.0");
}

TEST(AddressTest, ParsesAndPrintsIpv4) {
  for (const char* text : {"127.0.0.1", "0.0.0.0", "192.168.0.1", "255.255.255.255", "8.8.4.4"}) {
    Address a = parsed(text);
    EXPECT_EQ(a.family(), AddressFamily::v4);
    EXPECT_EQ(a.to_string(), text);
    EXPECT_EQ(Address::parse(a.to_string()), a);
  }
}

TEST(AddressTest, PrintsIpv6InCanonicalForm) {
  // RFC 5952: lower case, no leading zeros, the longest run of zero groups compressed.
  const std::pair<const char*, const char*> cases[] = {
      {"::1", "::1"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"::", "::"},
      {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {"2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"},
      {"fe80::0001", "fe80::1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"::ffff:192.168.0.1", "::ffff:192.168.0.1"},
      {"::ffff:c0a8:1", "::ffff:192.168.0.1"},
      {"ff02::1", "ff02::1"},
  };
  for (auto [text, canonical] : cases) {
    Address a = parsed(text);
    EXPECT_EQ(a.family(), AddressFamily::v6) << text;
    EXPECT_EQ(a.to_string(), canonical) << text;
    EXPECT_EQ(parsed(canonical), a) << text;
  }
}

TEST(AddressTest, RejectsWhatIsNotAnAddress) {
  for (const char* text : {"",           " ",
                           "localhost",  "1.2.3",
                           "1.2.3.4.5",  "256.0.0.1",
                           "127.1",      "01.2.3.4",
                           "0x7f.0.0.1", "1.2.3.4 ",
                           " 1.2.3.4",   "1.2.3.-4",
                           ":::",        "1:2:3:4:5:6:7:8:9",
                           "12345::1",   "::g",
                           "[::1]",      "1.2.3.4%1",
                           "fe80::1%",   "fe80::1%no-such-interface0",
                           "::1%lo%lo"}) {
    EXPECT_FALSE(Address::parse(text).has_value()) << '"' << text << '"';
  }
  EXPECT_FALSE(Address::parse(std::string_view("1.2.3.4\0", 8)).has_value());
  EXPECT_FALSE(Address::parse(std::string(1000, '1')).has_value());
}

TEST(AddressTest, FromStringThrowsNamingTheText) {
  EXPECT_EQ(Address::from_string("10.0.0.1"), Address(Address::V4Bytes{10, 0, 0, 1}));
  try {
    Address::from_string("not.an.address");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not.an.address"), std::string::npos) << e.what();
  }
}

TEST(AddressTest, ParsesZone) {
  Address a = parsed("fe80::1%7");
  EXPECT_EQ(a.scope_id(), 7u);
  EXPECT_NE(a, parsed("fe80::1"));
  EXPECT_EQ(Address::parse(a.to_string()), a);
  // The loopback interface is called "lo" on Linux: the name is kept when printing.
  Address lo = parsed("fe80::1%lo");
  EXPECT_NE(lo.scope_id(), 0u);
  EXPECT_EQ(lo.to_string(), "fe80::1%lo");
  EXPECT_EQ(parsed("fe80::1%" + std::to_string(lo.scope_id())), lo);
}

TEST(AddressTest, FromBytes) {
  const std::uint8_t v4[] = {0xc0, 0xa8, 0x00, 0x01};
  EXPECT_EQ(Address::from_bytes(v4).to_string(), "192.168.0.1");
  std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 1;
  Address a = Address::from_bytes(v6);
  EXPECT_TRUE(a.is_v6());
  EXPECT_EQ(a.to_string(), "2001:db8::1");
  EXPECT_EQ(a.to_bytes(), std::vector<std::uint8_t>(std::begin(v6), std::end(v6)));
  EXPECT_EQ(Address::from_bytes(v4).to_bytes(), std::vector<std::uint8_t>(v4, v4 + 4));
  EXPECT_EQ(Address::from_bytes(v4).bytes().size(), 4u);
}

TEST(AddressTest, FromBytesRejectsOtherLengths) {
  for (std::size_t n : {0, 1, 3, 5, 8, 15, 17, 32}) {
    std::vector<std::uint8_t> bytes(n);
    EXPECT_THROW(Address::from_bytes(bytes), std::invalid_argument) << n;
  }
}

TEST(AddressTest, Predicates) {
  struct Case {
    const char* text;
    bool loopback, any, multicast, link_local, site_local;
  };
  const Case cases[] = {
      {"127.0.0.1", true, false, false, false, false},
      {"127.255.0.9", true, false, false, false, false},
      {"::1", true, false, false, false, false},
      {"::ffff:127.0.0.1", true, false, false, false, false},
      {"0.0.0.0", false, true, false, false, false},
      {"::", false, true, false, false, false},
      {"224.0.0.1", false, false, true, false, false},
      {"239.255.255.250", false, false, true, false, false},
      {"ff02::1", false, false, true, false, false},
      {"169.254.1.1", false, false, false, true, false},
      {"fe80::1", false, false, false, true, false},
      {"febf::1", false, false, false, true, false},
      {"10.1.2.3", false, false, false, false, true},
      {"172.16.0.1", false, false, false, false, true},
      {"172.31.255.255", false, false, false, false, true},
      {"172.32.0.1", false, false, false, false, false},
      {"192.168.1.1", false, false, false, false, true},
      {"::ffff:10.0.0.1", false, false, false, false, true},
      {"fec0::1", false, false, false, false, true},
      {"8.8.8.8", false, false, false, false, false},
      {"2001:db8::1", false, false, false, false, false},
      {"128.0.0.1", false, false, false, false, false},
  };
  for (const auto& c : cases) {
    Address a = parsed(c.text);
    EXPECT_EQ(a.is_loopback(), c.loopback) << c.text;
    EXPECT_EQ(a.is_any(), c.any) << c.text;
    EXPECT_EQ(a.is_multicast(), c.multicast) << c.text;
    EXPECT_EQ(a.is_link_local(), c.link_local) << c.text;
    EXPECT_EQ(a.is_site_local(), c.site_local) << c.text;
  }
  EXPECT_TRUE(parsed("fd12:3456::1").is_unique_local());
  EXPECT_FALSE(parsed("fe80::1").is_unique_local());
}

TEST(AddressTest, V4Mapped) {
  Address mapped = parsed("::ffff:1.2.3.4");
  EXPECT_TRUE(mapped.is_v4_mapped());
  EXPECT_TRUE(mapped.is_v6());
  EXPECT_EQ(mapped.unmapped(), parsed("1.2.3.4"));
  EXPECT_NE(mapped, parsed("1.2.3.4"));
  EXPECT_FALSE(parsed("1.2.3.4").is_v4_mapped());
  EXPECT_FALSE(parsed("::1.2.3.4").is_v4_mapped());
  EXPECT_EQ(parsed("::1").unmapped(), parsed("::1"));
}

TEST(AddressTest, ValueSemantics) {
  Address a = parsed("10.0.0.1");
  Address b = a;
  EXPECT_EQ(a, b);
  b = parsed("10.0.0.2");
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  EXPECT_LT(parsed("255.255.255.255"), parsed("::"));  // IPv4 sorts first
  EXPECT_NE(parsed("0.0.0.0"), parsed("::"));
  std::unordered_set<Address> set{a, b, a, parsed("::1"), Address::loopback_v6()};
  EXPECT_EQ(set.size(), 3u);
  std::ostringstream out;
  out << parsed("2001:db8::1") << ' ' << a;
  EXPECT_EQ(out.str(), "2001:db8::1 10.0.0.1");
}

TEST(AddressTest, NamedAddresses) {
  EXPECT_EQ(Address::loopback_v4().to_string(), "127.0.0.1");
  EXPECT_EQ(Address::loopback_v6().to_string(), "::1");
  EXPECT_EQ(Address::any_v4().to_string(), "0.0.0.0");
  EXPECT_EQ(Address::any_v6().to_string(), "::");
}

TEST(AddressTest, SockaddrRoundTrip) {
  for (const char* text : {"192.168.0.1", "2001:db8::1", "fe80::1%3"}) {
    Address a = parsed(text);
    sockaddr_storage storage;
    std::size_t length = a.to_sockaddr(storage, 8080);
    auto* sa = reinterpret_cast<const sockaddr*>(&storage);
    EXPECT_EQ(length, a.is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    EXPECT_EQ(sa->sa_family, a.is_v4() ? AF_INET : AF_INET6);
    EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port), 8080);
    EXPECT_EQ(Address::from_sockaddr(sa, length), a) << text;
    EXPECT_FALSE(Address::from_sockaddr(sa, length - 1).has_value());
  }
  sockaddr_storage unix_socket{};
  unix_socket.ss_family = AF_UNIX;
  EXPECT_FALSE(
      Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&unix_socket), sizeof unix_socket)
          .has_value());
  EXPECT_FALSE(Address::from_sockaddr(nullptr, 0).has_value());
}

}  // namespace
}  // namespace remoto::net
