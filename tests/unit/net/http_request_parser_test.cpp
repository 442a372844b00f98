#include "remoto/net/http_request_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using remoto::net::HttpMethod;
using remoto::net::HttpParseResult;
using remoto::net::HttpParseStatus;
using remoto::net::HttpRequestParser;

HttpParseResult parse(std::string_view data) {
  HttpRequestParser parser;
  return parser.parse(data);
}

// Feeds `data` to `parser` one byte more at a time: every prefix must need more; returns what
// the whole of it gives.
HttpParseResult parse_growing(HttpRequestParser& parser, std::string_view data) {
  for (std::size_t n = 1; n < data.size(); ++n) {
    HttpParseResult partial = parser.parse(data.substr(0, n));
    EXPECT_EQ(partial.status, HttpParseStatus::need_more) << n;
    if (partial.status != HttpParseStatus::need_more) return partial;
  }
  return parser.parse(data);
}

void expect_invalid(std::string_view data, int status) {
  HttpParseResult result = parse(data);
  EXPECT_EQ(result.status, HttpParseStatus::invalid) << data;
  EXPECT_EQ(result.error_status, status) << data;
  EXPECT_FALSE(result.error.empty());
}

TEST(HttpRequestParserTest, ParsesSimpleGet) {
  std::string data = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";
  HttpParseResult result = parse(data);
  ASSERT_EQ(result.status, HttpParseStatus::complete);
  EXPECT_EQ(result.request.method, HttpMethod::get);
  EXPECT_EQ(result.request.method_name, "GET");
  EXPECT_EQ(result.request.target, "/index.html");
  EXPECT_EQ(result.request.version_minor, 1);
  EXPECT_TRUE(result.request.keep_alive);
  EXPECT_EQ(result.request.content_length, 0u);
  EXPECT_EQ(result.request.head_size, data.size());
}

TEST(HttpRequestParserTest, RecognizesHeadAndOtherMethods) {
  EXPECT_EQ(parse("HEAD / HTTP/1.1\r\n\r\n").request.method, HttpMethod::head);
  HttpParseResult post = parse("POST / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(post.status, HttpParseStatus::complete);
  EXPECT_EQ(post.request.method, HttpMethod::other);
  EXPECT_EQ(post.request.method_name, "POST");
  // Methods are case-sensitive (RFC 9110 §9.1).
  EXPECT_EQ(parse("get / HTTP/1.1\r\n\r\n").request.method, HttpMethod::other);
}

TEST(HttpRequestParserTest, NeedsMoreUntilTheBlankLine) {
  std::string data = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t n = 0; n < data.size(); ++n)
    EXPECT_EQ(parse(data.substr(0, n)).status, HttpParseStatus::need_more) << n;
  EXPECT_EQ(parse(data).status, HttpParseStatus::complete);
}

TEST(HttpRequestParserTest, ResumesByteByByte) {
  std::string data = "GET /a HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(3000, 'v') + "\r\n\r\n";
  HttpRequestParser parser;
  HttpParseResult result = parse_growing(parser, data);
  ASSERT_EQ(result.status, HttpParseStatus::complete);
  EXPECT_EQ(result.request.head_size, data.size());
  EXPECT_EQ(result.request.target, "/a");
}

TEST(HttpRequestParserTest, KeepsWhatHeaderLinesSaidAcrossPieces) {
  // Each line is read once, when it is whole: what it said must survive until the head ends.
  std::string data = "POST /p HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\n";
  HttpRequestParser parser;
  HttpParseResult result = parse_growing(parser, data);
  ASSERT_EQ(result.status, HttpParseStatus::complete);
  EXPECT_EQ(result.request.content_length, 5u);
  EXPECT_FALSE(result.request.keep_alive);
  EXPECT_EQ(result.request.method_name, "POST");
  EXPECT_EQ(result.request.target, "/p");

  // A bad header line seen in an earlier piece is answered once the head ends, and the next
  // request starts clean.
  std::string bad = "GET / HTTP/1.1\r\nNoColonHere\r\nHost: x\r\n\r\n";
  std::size_t split = bad.find("Host");
  EXPECT_EQ(parser.parse(std::string_view(bad).substr(0, split)).status,
            HttpParseStatus::need_more);
  HttpParseResult answer = parser.parse(bad);
  EXPECT_EQ(answer.status, HttpParseStatus::invalid);
  EXPECT_EQ(answer.error, "header line without a colon");
  HttpParseResult next = parser.parse("GET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(next.status, HttpParseStatus::complete);
  EXPECT_TRUE(next.request.keep_alive);
  EXPECT_EQ(next.request.content_length, 0u);
}

TEST(HttpRequestParserTest, HeadSizeStopsAtTheBlankLineForPipelining) {
  std::string first = "GET /1 HTTP/1.1\r\n\r\n";
  std::string data = first + "GET /2 HTTP/1.1\r\n\r\n";
  HttpRequestParser parser;
  HttpParseResult one = parser.parse(data);
  ASSERT_EQ(one.status, HttpParseStatus::complete);
  EXPECT_EQ(one.request.head_size, first.size());
  HttpParseResult two = parser.parse(std::string_view(data).substr(first.size()));
  ASSERT_EQ(two.status, HttpParseStatus::complete);
  EXPECT_EQ(two.request.target, "/2");
}

TEST(HttpRequestParserTest, AcceptsBareLineFeeds) {
  HttpParseResult result = parse("GET / HTTP/1.0\nHost: x\n\n");
  ASSERT_EQ(result.status, HttpParseStatus::complete);
  EXPECT_EQ(result.request.head_size, 24u);
}

TEST(HttpRequestParserTest, SkipsEmptyLinesBeforeTheRequest) {
  HttpParseResult result = parse("\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(result.status, HttpParseStatus::complete);
  EXPECT_EQ(result.request.head_size, 22u);
  EXPECT_EQ(parse("\r\n").status, HttpParseStatus::need_more);
  std::string many;
  for (int i = 0; i < 20; ++i) many += "\r\n";
  expect_invalid(many + "GET / HTTP/1.1\r\n\r\n", 400);
}

TEST(HttpRequestParserTest, KeepAliveFollowsVersionAndConnectionHeader) {
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nconnection: Keep-Alive, CLOSE\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection:  Keep-Alive \r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\nConnection: upgrade\r\n\r\n").request.keep_alive);
  EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n").request.version_minor, 0);
}

TEST(HttpRequestParserTest, ReadsContentLength) {
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n").request.content_length, 42u);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\ncontent-length:7\r\n\r\n").request.content_length, 7u);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n").request.content_length, 5u);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")
                .request.content_length,
            5u);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n")
                .request.content_length,
            18446744073709551615u);
}

TEST(HttpRequestParserTest, RejectsBadContentLength) {
  expect_invalid("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400);
  expect_invalid("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
  expect_invalid("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", 400);
  expect_invalid("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", 400);
  expect_invalid("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
  expect_invalid("POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", 400);
}

TEST(HttpRequestParserTest, RejectsTransferEncodingWith411) {
  expect_invalid("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411);
}

TEST(HttpRequestParserTest, RejectsMalformedRequestLines) {
  expect_invalid("GET /\r\n\r\n", 400);                 // two parts
  expect_invalid("GET / HTTP/1.1 extra\r\n\r\n", 400);  // four parts
  expect_invalid("GET  / HTTP/1.1\r\n\r\n", 400);       // double space
  expect_invalid("hello\r\n\r\n", 400);
  expect_invalid("GET / HTTP/2.0\r\n\r\n", 400);
  expect_invalid("GET / HTTP/1.10\r\n\r\n", 400);
  expect_invalid("GET / http/1.1\r\n\r\n", 400);
  expect_invalid("GET / HTTP/1.x\r\n\r\n", 400);
  expect_invalid("G(T / HTTP/1.1\r\n\r\n", 400);       // method not a token
  expect_invalid("GET /a\x01 HTTP/1.1\r\n\r\n", 400);  // control in target
  expect_invalid("GET / HTTP/1.1\r\r\n\r\n", 400);     // stray CR
  expect_invalid(std::string("GET /\0 HTTP/1.1\r\n\r\n", 19), 400);
}

TEST(HttpRequestParserTest, RejectsABadRequestLineBeforeTheHeadEnds) {
  // A client that sends garbage is answered at once, not after a timeout.
  expect_invalid("garbage\r\n", 400);
  expect_invalid("garbage\n", 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n").status, HttpParseStatus::need_more);
}

TEST(HttpRequestParserTest, RejectsBadHeaderLines) {
  expect_invalid("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", 400);
  expect_invalid("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
  expect_invalid("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);  // space before colon
  expect_invalid("GET / HTTP/1.1\r\n: x\r\n\r\n", 400);       // empty name
  expect_invalid("GET / HTTP/1.1\r\nX(y): x\r\n\r\n", 400);
  expect_invalid("GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400);
  expect_invalid("GET / HTTP/1.1\r\nX-A: a\x01z\r\n\r\n", 400);
  expect_invalid("GET / HTTP/1.1\r\nX-A: a\rz\r\n\r\n", 400);
  HttpParseResult result = parse("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n");
  EXPECT_EQ(result.error, "header line without a colon");
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n").error, "invalid header field name");
}

TEST(HttpRequestParserTest, AcceptsTokenCharactersAndObsTextInValues) {
  HttpParseResult result =
      parse("GET / HTTP/1.1\r\nX-!#$%&'*+-.^_`|~09az: caf\xc3\xa9\tok\r\nEmpty:\r\n\r\n");
  EXPECT_EQ(result.status, HttpParseStatus::complete);
}

TEST(HttpRequestParserTest, RejectsHeadsOverTheLimitWith431) {
  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n";
  expect_invalid(big, 431);
  // Even before the head ends.
  expect_invalid(big.substr(0, 16 * 1024 + 1), 431);
  // A head of exactly the limit is fine.
  std::string head = "GET / HTTP/1.1\r\nX: ";
  head += std::string(HttpRequestParser::default_max_head - head.size() - 4, 'b') + "\r\n\r\n";
  ASSERT_EQ(head.size(), HttpRequestParser::default_max_head);
  EXPECT_EQ(parse(head).status, HttpParseStatus::complete);
  // A custom limit.
  HttpRequestParser small(32);
  EXPECT_EQ(small.parse("GET / HTTP/1.1\r\nHost: a-long-host-name\r\n\r\n").error_status, 431);
}

TEST(HttpRequestParserTest, ResetsAfterEachResult) {
  HttpRequestParser parser;
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\nHo").status, HttpParseStatus::need_more);
  parser.reset();  // the next data does not continue the unfinished head
  EXPECT_EQ(parser.parse("bad\r\n\r\n").status, HttpParseStatus::invalid);
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\n\r\n").status, HttpParseStatus::complete);
}

}  // namespace
