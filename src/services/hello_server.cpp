// The HTTP hello server: its session (HelloSession) and the server that runs it.
#include "remoto/services/hello_server.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include "remoto/services/hello_session.hpp"

namespace remoto::services {

namespace {

enum Connection { keep_default = 0, keep_explicit = 1, close = 2 };

// Every reply the server can give to a good request, built once: a request then costs one
// append. [method: 0 GET, 1 HEAD, 2 other][Connection].
const std::array<std::array<std::string, 3>, 3>& replies() {
  static const auto table = [] {
    std::array<std::array<std::string, 3>, 3> t;
    const std::string_view connection[3] = {"", "Connection: keep-alive\r\n",
                                            "Connection: close\r\n"};
    for (int c = 0; c < 3; ++c) {
      std::string ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                       std::to_string(hello_body.size()) + "\r\n" + std::string(connection[c]) +
                       "\r\n";
      t[0][c] = ok + std::string(hello_body);
      t[1][c] = ok;  // HEAD: the same headers, no body
      std::string_view body = "405 Method Not Allowed: only GET and HEAD\n";
      t[2][c] =
          "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Type: "
          "text/plain\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n" + std::string(connection[c]) + "\r\n" +
          std::string(body);
    }
    return t;
  }();
  return table;
}

std::string_view reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 411:
      return "Length Required";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

void append_error(std::string& out, int status, std::string_view why) {
  std::string body =
      std::to_string(status) + " " + std::string(reason(status)) + ": " + std::string(why) + "\n";
  out += "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason(status)) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

net::FeedResult HelloSession::feed(std::string_view input, std::string& out) {
  std::size_t pos = 0;
  for (;;) {
    if (body_left_ > 0) {  // skip the previous request's body without keeping it
      auto skip = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, input.size() - pos));
      pos += skip;
      body_left_ -= skip;
      if (body_left_ > 0) return {pos, false, false};
    }
    if (pos == input.size()) return {pos, false, true};
    net::HttpParseResult parsed = parser_.parse(input.substr(pos));
    if (parsed.status == net::HttpParseStatus::need_more) return {pos, false, false};
    if (parsed.status == net::HttpParseStatus::invalid) {
      append_error(out, parsed.error_status, parsed.error);
      return {input.size(), true, false};
    }
    const net::HttpRequest& request = parsed.request;
    int connection = !request.keep_alive          ? close
                     : request.version_minor == 0 ? keep_explicit
                                                  : keep_default;
    int method = request.method == net::HttpMethod::get    ? 0
                 : request.method == net::HttpMethod::head ? 1
                                                           : 2;
    out += replies()[method][connection];
    if (!request.keep_alive) {
      // Closing at once is safe only if the request, body included, is all there was.
      bool complete = input.size() - pos - request.head_size == request.content_length;
      return {input.size(), true, false, complete};
    }
    pos += request.head_size;
    body_left_ = request.content_length;
  }
}

std::string_view hello_busy_reply() noexcept {
  static const std::string reply = [] {
    std::string out;
    append_error(out, 503, "too many clients, try again later");
    return out;
  }();
  return reply;
}

HelloServer::HelloServer(net::ServerOptions options)
    : server_(
          std::move(options), [] { return std::make_unique<HelloSession>(); },
          std::string(hello_busy_reply())) {}

}  // namespace remoto::services
