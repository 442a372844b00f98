// The protocol of the HTTP hello server, as a StreamSession free of I/O: every GET is
// answered "200 OK", text/plain, "Hello, cliente!". Exposed so tests can drive it with bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "remoto/net/http_request_parser.hpp"
#include "remoto/net/stream_session.hpp"

namespace remoto::services {

inline constexpr std::string_view hello_body = "Hello, cliente!";

/// One HTTP/1.x connection of the hello server. Answers every complete request in the input
/// at once (pipelining); GET and HEAD get 200 (HEAD without the body), other methods 405 with
/// "Allow: GET, HEAD"; request bodies (Content-Length) are skipped, never buffered. A bad
/// request gets 400 (411 for Transfer-Encoding, 431 for a head over 16 KiB) and the
/// connection closes. The status line says HTTP/1.1 whatever the request's version.
/// Value type; one per connection.
class HelloSession final : public net::StreamSession {
 public:
  net::FeedResult feed(std::string_view input, std::string& out) override;

 private:
  net::HttpRequestParser parser_;
  std::uint64_t body_left_ = 0;  // body bytes of the last request still to skip
};

/// What the thread model sends a client beyond max_clients: 503 and close.
std::string_view hello_busy_reply() noexcept;

}  // namespace remoto::services
