#include "remoto/net/resolver.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <set>

namespace remoto::net {
namespace {

// Under the reserved .invalid TLD (RFC 6761): never resolves, and resolvers answer at once.
constexpr const char* unknown_host = "no.such.host.invalid";

TEST(ResolverTest, LocalhostIsLoopback) {
  auto addresses = resolve_all("localhost");
  ASSERT_FALSE(addresses.empty());
  for (const auto& a : addresses) EXPECT_TRUE(a.is_loopback()) << a;
  EXPECT_TRUE(resolve("localhost").is_loopback());
  EXPECT_EQ(resolve("localhost"), addresses.front());
}

TEST(ResolverTest, ResultsAreDistinct) {
  auto addresses = resolve_all("localhost");
  std::set<Address> distinct(addresses.begin(), addresses.end());
  EXPECT_EQ(distinct.size(), addresses.size());
}

TEST(ResolverTest, NumericAddressResolvesToItself) {
  for (const char* text : {"127.0.0.1", "192.0.2.7", "::1", "2001:db8::5", "::ffff:10.1.2.3"}) {
    auto addresses = resolve_all(text);
    ASSERT_EQ(addresses.size(), 1u) << text;
    EXPECT_EQ(addresses[0], Address::from_string(text));
    EXPECT_EQ(resolve(text), Address::from_string(text));
  }
}

TEST(ResolverTest, UnknownHostThrowsWithTheName) {
  try {
    resolve_all(unknown_host);
    FAIL() << "no exception";
  } catch (const UnknownHostError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind(std::string(unknown_host) + ": ", 0), 0u) << what;
    EXPECT_GT(what.size(), std::string(unknown_host).size() + 2) << "no reason given";
    EXPECT_EQ(e.host(), unknown_host);
    EXPECT_TRUE(e.code());
    EXPECT_EQ(what, std::string(unknown_host) + ": " + e.code().message());
  }
  EXPECT_THROW(resolve(unknown_host), UnknownHostError);
  // It is a CommunicationError for code that catches the Pyro hierarchy.
  EXPECT_THROW(resolve(unknown_host), CommunicationError);
}

TEST(ResolverTest, UnknownHostWithErrorCode) {
  std::error_code ec;
  EXPECT_TRUE(resolve_all(unknown_host, ec).empty());
  ASSERT_TRUE(ec);
  // Offline resolvers may say "temporary failure" instead of "unknown name"; both are
  // getaddrinfo's.
  if (ec.category() == gai_category()) {
    EXPECT_TRUE(ec == GaiErrc::no_name || ec == GaiErrc::again || ec == GaiErrc::fail ||
                ec.value() == EAI_NODATA)
        << ec.message();
  }
  EXPECT_FALSE(resolve(unknown_host, ec).has_value());
  EXPECT_TRUE(ec);
  // A later success clears the code.
  EXPECT_TRUE(resolve("127.0.0.1", ec).has_value());
  EXPECT_FALSE(ec);
}

TEST(ResolverTest, EmptyNameFails) {
  std::error_code ec;
  EXPECT_TRUE(resolve_all("", ec).empty());
  EXPECT_TRUE(ec);
  EXPECT_THROW(resolve(""), UnknownHostError);
}

TEST(ResolverTest, GaiCategoryUsesGaiStrerror) {
  std::error_code ec = GaiErrc::no_name;
  EXPECT_EQ(ec.category(), gai_category());
  EXPECT_STREQ(gai_category().name(), "getaddrinfo");
  EXPECT_EQ(ec.message(), gai_strerror(EAI_NONAME));
  EXPECT_EQ(std::error_code(GaiErrc::again).message(), gai_strerror(EAI_AGAIN));
}

TEST(ResolverTest, ReverseOfLoopbackIsAName) {
  std::string name = reverse_lookup(Address::loopback_v4());
  EXPECT_FALSE(name.empty());
  EXPECT_FALSE(Address::parse(name).has_value()) << "NI_NAMEREQD must not give the address back";
  // Normally /etc/hosts says "localhost", and the name must lead back to 127.0.0.1 then.
  if (name == "localhost") {
    auto back = resolve_all(name);
    EXPECT_NE(std::find(back.begin(), back.end(), Address::loopback_v4()), back.end());
  }
}

TEST(ResolverTest, ReverseOfNamelessAddressFails) {
  // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): documentation only, no PTR records.
  Address nameless = Address::from_string("192.0.2.1");
  std::error_code ec;
  EXPECT_EQ(reverse_lookup(nameless, ec), "");
  EXPECT_TRUE(ec);
  try {
    reverse_lookup(nameless);
    FAIL() << "no exception";
  } catch (const UnknownHostError& e) {
    EXPECT_EQ(e.host(), "192.0.2.1");
    EXPECT_EQ(std::string(e.what()).rfind("192.0.2.1: ", 0), 0u) << e.what();
  }
}

TEST(ResolverTest, LocalHostNameMatchesGethostname) {
  char expected[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(gethostname(expected, sizeof expected - 1), 0);
  EXPECT_EQ(local_host_name(), expected);
  std::error_code ec;
  EXPECT_EQ(local_host_name(ec), expected);
  EXPECT_FALSE(ec);
}

}  // namespace
}  // namespace remoto::net
