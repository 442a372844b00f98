// A minimal HTTP/1.1 request-head parser (RFC 9112), free of I/O: given the bytes received so
// far it says complete (with what a simple server needs), need more, or invalid (with the
// status to answer). One parser serves both connection models and the fuzzer.
//
// Accepted: a request line of exactly three parts separated by single spaces, a token method,
// a target without controls or spaces and the version HTTP/1.<digit>; header lines
// "name: value" with a token name and no whitespace before the colon; lines ending in CRLF or
// a bare LF; empty lines before the request line (skipped, RFC 9112 §2.2). Rejected with 400:
// anything else, obs-fold, controls in values, a bad or conflicting Content-Length. Rejected
// with 411: any Transfer-Encoding (we only take bodies of declared length). Rejected with 431:
// a head longer than the limit (16 KiB by default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace remoto::net {

enum class HttpMethod : std::uint8_t { get, head, other };

/// What a server needs from one request head. The views point into the parsed bytes.
struct HttpRequest {
  HttpMethod method = HttpMethod::other;
  std::string_view method_name;
  std::string_view target;
  int version_minor = 1;  ///< HTTP/1.x
  /// The connection stays open after the response: HTTP/1.1 unless "Connection: close",
  /// HTTP/1.0 only with "Connection: keep-alive".
  bool keep_alive = true;
  /// Body bytes that follow the head (Content-Length; 0 without it).
  std::uint64_t content_length = 0;
  /// Bytes of the head, empty lines before it and the final blank line included: the body
  /// (or the next request) starts here.
  std::size_t head_size = 0;
};

enum class HttpParseStatus : std::uint8_t { complete, need_more, invalid };

struct HttpParseResult {
  HttpParseStatus status = HttpParseStatus::need_more;
  HttpRequest request;   ///< when complete
  int error_status = 0;  ///< when invalid: 400, 411 or 431
  std::string_view error =
      {};  ///< when invalid: why, a static string ("header line without a colon")
};

/// Parses one request head at a time. Remembers how far it has looked, so that a head
/// arriving byte by byte costs linear time, not quadratic. Value type; one per connection.
class HttpRequestParser {
 public:
  static constexpr std::size_t default_max_head = 16 * 1024;

  explicit HttpRequestParser(std::size_t max_head = default_max_head) noexcept
      : max_head_(max_head) {}

  /// `data` starts at the beginning of a request. When the previous call answered need_more,
  /// `data` must begin with the same bytes (plus more); after complete or invalid, a new
  /// request may start anywhere.
  HttpParseResult parse(std::string_view data) noexcept;
  /// Forgets the progress of an unfinished head (for data that starts somewhere else).
  void reset() noexcept {
    scanned_ = 0;
    first_line_ok_ = false;
    head_ = {};
  }
  std::size_t max_head() const noexcept { return max_head_; }

 private:
  /// What the lines read so far said; kept across calls, so each line is read once.
  struct Head {
    std::size_t method_size = 0;  // the request line: METHOD SP TARGET SP HTTP/1.x
    std::size_t target_size = 0;
    int version_minor = 1;
    std::uint64_t content_length = 0;
    bool has_length = false;
    bool close = false;       // Connection: close
    bool keep_alive = false;  // Connection: keep-alive
    bool chunked = false;     // Transfer-Encoding
    int error_status = 0;     // the first bad header line, answered once the head ends
    std::string_view error;
  };
  void read_header(std::string_view line) noexcept;
  HttpParseResult finish(std::string_view data, std::size_t start, std::size_t end) noexcept;

  std::size_t max_head_;
  std::size_t scanned_ = 0;     // the header lines before this offset are read
  bool first_line_ok_ = false;  // the request line was read and is valid
  Head head_;
};

std::string_view to_string(HttpMethod method) noexcept;

}  // namespace remoto::net
