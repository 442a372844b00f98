// The HTTP/1.1 request-head parser (see http_request_parser.hpp). Works on views of the input;
// never allocates.
#include "remoto/net/http_request_parser.hpp"

#include <array>
#include <cstring>
#include <limits>

namespace remoto::net {

namespace {

constexpr std::size_t npos = std::string_view::npos;
// More empty lines than this before a request is not a confused client but garbage.
constexpr int max_leading_empty_lines = 16;

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> tchar_table = make_tchar_table();

bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char c : text)
    if (!tchar_table[static_cast<unsigned char>(c)]) return false;
  return true;
}

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
  return text;
}

// The line that starts at `from` and ends before the '\n' at `newline`, without its CR.
std::string_view line_at(std::string_view data, std::size_t from, std::size_t newline) noexcept {
  std::string_view line = data.substr(from, newline - from);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::size_t find_newline(std::string_view data, std::size_t from) noexcept {
  if (from >= data.size()) return npos;
  const void* p = std::memchr(data.data() + from, '\n', data.size() - from);
  return p == nullptr ? npos : static_cast<std::size_t>(static_cast<const char*>(p) - data.data());
}

struct RequestLine {
  std::string_view method, target;
  int version_minor = 1;
};

// Returns the reason the request line is invalid, or empty.
std::string_view parse_request_line(std::string_view line, RequestLine& out) noexcept {
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == npos ? npos : line.find(' ', sp1 + 1);
  if (sp2 == npos || line.find(' ', sp2 + 1) != npos)
    return "request line is not METHOD TARGET VERSION";
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(out.method)) return "invalid method";
  if (out.target.empty()) return "empty request target";
  for (char c : out.target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return "invalid character in request target";
  }
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
      version[7] > '9')
    return "version is not HTTP/1.x";
  out.version_minor = version[7] - '0';
  return {};
}

// Content-Length: 1*DIGIT, or a list of identical values ("5, 5") as some proxies send.
bool parse_content_length(std::string_view value, std::uint64_t& out, bool& seen) noexcept {
  while (true) {
    std::size_t comma = value.find(',');
    std::string_view item = trim_ows(value.substr(0, comma));
    if (item.empty()) return false;
    std::uint64_t n = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return false;
      auto digit = static_cast<std::uint64_t>(c - '0');
      if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
      n = n * 10 + digit;
    }
    if (seen && n != out) return false;
    out = n;
    seen = true;
    if (comma == npos) return true;
    value.remove_prefix(comma + 1);
  }
}

HttpParseResult invalid(int status, std::string_view why) noexcept {
  HttpParseResult result;
  result.status = HttpParseStatus::invalid;
  result.error_status = status;
  result.error = why;
  return result;
}

}  // namespace

std::string_view to_string(HttpMethod method) noexcept {
  switch (method) {
    case HttpMethod::get:
      return "GET";
    case HttpMethod::head:
      return "HEAD";
    case HttpMethod::other:
      break;
  }
  return "other";
}

HttpParseResult HttpRequestParser::parse(std::string_view data) noexcept {
  // Empty lines before the request line are skipped (RFC 9112 §2.2).
  std::size_t start = 0;
  for (int skipped = 0;; ++skipped) {
    std::size_t at = start;
    if (at < data.size() && data[at] == '\r') ++at;
    if (at >= data.size()) return {};  // need more: only empty lines so far
    if (data[at] != '\n') break;
    if (skipped == max_leading_empty_lines) {
      reset();
      return invalid(400, "too many empty lines before the request");
    }
    start = at + 1;
  }

  // One pass over the lines not read yet. The request line is checked as soon as it is
  // whole, so garbage is refused at once; a bad header line is answered once the head ends
  // (a head over the limit gets 431 whatever it holds).
  std::size_t pos = scanned_;
  if (!first_line_ok_) {
    std::size_t newline = find_newline(data, start);
    if (newline != npos) {
      RequestLine request_line;
      std::string_view why = parse_request_line(line_at(data, start, newline), request_line);
      if (!why.empty()) {
        reset();
        return invalid(400, why);
      }
      first_line_ok_ = true;
      head_.method_size = request_line.method.size();
      head_.target_size = request_line.target.size();
      head_.version_minor = request_line.version_minor;
      pos = newline + 1;
    }
  }
  if (first_line_ok_) {
    for (;;) {
      std::size_t newline = find_newline(data, pos);
      if (newline == npos) break;
      std::string_view line = line_at(data, pos, newline);
      pos = newline + 1;
      if (line.empty()) return finish(data, start, pos);
      if (head_.error_status == 0) read_header(line);
    }
  }
  if (data.size() > max_head_) {
    reset();
    return invalid(431, "request head too large");
  }
  scanned_ = pos;
  return {};
}

void HttpRequestParser::read_header(std::string_view header) noexcept {
  auto fail = [this](std::string_view why) {
    head_.error_status = 400;
    head_.error = why;
  };
  if (is_ows(header.front())) return fail("obsolete line folding in header");
  std::size_t colon = header.find(':');
  if (colon == npos) return fail("header line without a colon");
  std::string_view name = header.substr(0, colon);
  if (!is_token(name)) return fail("invalid header field name");
  std::string_view value = trim_ows(header.substr(colon + 1));
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return fail("invalid character in header value");
  }
  if (iequals(name, "connection")) {
    for (std::string_view rest = value; !rest.empty();) {
      std::size_t comma = rest.find(',');
      std::string_view option = trim_ows(rest.substr(0, comma));
      if (iequals(option, "close"))
        head_.close = true;
      else if (iequals(option, "keep-alive"))
        head_.keep_alive = true;
      rest = comma == npos ? std::string_view() : rest.substr(comma + 1);
    }
  } else if (iequals(name, "content-length")) {
    if (!parse_content_length(value, head_.content_length, head_.has_length))
      return fail("invalid Content-Length");
  } else if (iequals(name, "transfer-encoding")) {
    head_.chunked = true;
  }
}

HttpParseResult HttpRequestParser::finish(std::string_view data, std::size_t start,
                                          std::size_t end) noexcept {
  const Head head = head_;
  reset();  // whatever follows, the next call starts a new request
  if (end > max_head_) return invalid(431, "request head too large");
  if (head.error_status != 0) return invalid(head.error_status, head.error);
  if (head.chunked) return invalid(411, "Transfer-Encoding is not supported, send Content-Length");

  HttpParseResult result;
  HttpRequest& request = result.request;
  request.method_name = data.substr(start, head.method_size);
  request.target = data.substr(start + head.method_size + 1, head.target_size);
  request.version_minor = head.version_minor;
  if (request.method_name == "GET")
    request.method = HttpMethod::get;
  else if (request.method_name == "HEAD")
    request.method = HttpMethod::head;
  request.content_length = head.content_length;
  request.keep_alive = request.version_minor >= 1 ? !head.close : head.keep_alive && !head.close;
  request.head_size = end;
  result.status = HttpParseStatus::complete;
  return result;
}

}  // namespace remoto::net
