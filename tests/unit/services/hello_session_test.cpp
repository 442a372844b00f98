#include "remoto/services/hello_session.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using remoto::services::HelloSession;

const std::string ok_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nHello, cliente!";

TEST(HelloSessionTest, AnswersEveryCompleteRequestAtOnce) {
  HelloSession session;
  std::string out;
  std::string input = "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\nGET /par";
  auto result = session.feed(input, out);
  EXPECT_EQ(out, ok_response + ok_response);
  EXPECT_EQ(result.consumed, input.size() - 8);  // the partial request stays
  EXPECT_FALSE(result.close);
  EXPECT_FALSE(result.idle);
}

TEST(HelloSessionTest, IsIdleBetweenRequests) {
  HelloSession session;
  std::string out;
  auto result = session.feed("GET / HTTP/1.1\r\n\r\n", out);
  EXPECT_TRUE(result.idle);
  EXPECT_EQ(result.consumed, 18u);
}

TEST(HelloSessionTest, SkipsBodiesArrivingInPieces) {
  HelloSession session;
  std::string out;
  auto result = session.feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345", out);
  EXPECT_EQ(out.find("HTTP/1.1 405 "), 0u);
  EXPECT_FALSE(result.idle);  // in the middle of the body
  out.clear();
  result = session.feed("67890GET / HTTP/1.1\r\n\r\n", out);
  EXPECT_EQ(out, ok_response);
  EXPECT_TRUE(result.idle);
}

TEST(HelloSessionTest, HeadHasNoBodyButTheSameLength) {
  HelloSession session;
  std::string out;
  session.feed("HEAD / HTTP/1.1\r\n\r\n", out);
  EXPECT_EQ(out, ok_response.substr(0, ok_response.size() - 15));
}

TEST(HelloSessionTest, ClosesAfterAnError) {
  HelloSession session;
  std::string out;
  auto result = session.feed("GET / HTTP/1.1\r\nbad header\r\n\r\nGET / HTTP/1.1\r\n\r\n", out);
  EXPECT_TRUE(result.close);
  EXPECT_EQ(out.find("HTTP/1.1 400 Bad Request\r\n"), 0u);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("header line without a colon"), std::string::npos);
}

TEST(HelloSessionTest, SaysWhetherTheInputEndedWithTheLastRequest) {
  // The driver closes at once only then; otherwise it lingers so that the reply survives.
  auto last = [](const std::string& input) {
    HelloSession session;
    std::string out;
    return session.feed(input, out);
  };
  auto result = last("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(result.close);
  EXPECT_TRUE(result.input_complete);
  result = last("GET / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(result.close);
  EXPECT_TRUE(result.input_complete);
  result = last("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_TRUE(result.close);
  EXPECT_TRUE(result.input_complete);
  // More bytes after the request, a body still to come, an error: not complete.
  EXPECT_FALSE(last("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n").input_complete);
  EXPECT_FALSE(last("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nab").input_complete);
  EXPECT_FALSE(last("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabcd").input_complete);
  result = last("GET / HTTP/1.1\r\nbad header\r\n\r\n");
  EXPECT_TRUE(result.close);
  EXPECT_FALSE(result.input_complete);
}

TEST(HelloSessionTest, BusyReplyIs503) {
  EXPECT_EQ(remoto::services::hello_busy_reply().find("HTTP/1.1 503 Service Unavailable\r\n"), 0u);
}

}  // namespace
