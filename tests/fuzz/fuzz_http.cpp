// libFuzzer target for the HTTP/1.1 request parser and the hello server's session: any bytes,
// fed whole and in chunks, must never crash, hang or read out of bounds, and feeding in
// pieces must give the same answer as feeding everything at once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "remoto/net/http_request_parser.hpp"
#include "remoto/services/hello_session.hpp"

namespace {

using remoto::net::HttpParseResult;
using remoto::net::HttpParseStatus;
using remoto::net::HttpRequestParser;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_result(const HttpParseResult& r, std::string_view data, std::size_t max_head) {
  switch (r.status) {
    case HttpParseStatus::complete:
      check(r.request.head_size > 0 && r.request.head_size <= data.size());
      check(r.request.head_size <= max_head);
      check(r.error_status == 0);
      check(!r.request.method_name.empty() && !r.request.target.empty());
      check(r.request.version_minor >= 0 && r.request.version_minor <= 9);
      break;
    case HttpParseStatus::invalid:
      check(r.error_status == 400 || r.error_status == 411 || r.error_status == 431);
      check(!r.error.empty());
      break;
    case HttpParseStatus::need_more:
      check(data.size() <= max_head);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks a chunk size and a small head limit, so the 431 path is reachable.
  std::size_t chunk = 1 + bytes[0] % 17;
  std::size_t max_head = 64 + (bytes[0] >> 4) * 64;
  std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);

  // Whole: parse request after request, as a server does.
  HttpRequestParser whole(max_head);
  HttpParseResult first = whole.parse(data);
  check_result(first, data, max_head);
  std::string_view rest = data;
  for (HttpParseResult r = first; r.status == HttpParseStatus::complete;) {
    rest.remove_prefix(r.request.head_size);
    r = whole.parse(rest);
    check_result(r, rest, max_head);
  }

  // In growing prefixes: need_more until the answer, which must match the whole one.
  HttpRequestParser pieces(max_head);
  for (std::size_t n = std::min(chunk, data.size());; n = std::min(n + chunk, data.size())) {
    HttpParseResult r = pieces.parse(data.substr(0, n));
    check_result(r, data.substr(0, n), max_head);
    if (r.status != HttpParseStatus::need_more || n == data.size()) {
      if (r.status != HttpParseStatus::need_more) {
        HttpParseResult fresh = HttpRequestParser(max_head).parse(data.substr(0, n));
        check(fresh.status == r.status && fresh.error_status == r.error_status &&
              fresh.request.head_size == r.request.head_size);
      }
      if (n == data.size()) check(r.status == first.status);
      if (r.status == HttpParseStatus::complete)
        check(first.status == HttpParseStatus::complete &&
              r.request.head_size == first.request.head_size);
      break;
    }
  }

  // The session, fed in chunks as a driver would: consumed never exceeds the input, and the
  // output only ever holds whole responses.
  remoto::services::HelloSession session;
  std::string pending, out;
  for (std::size_t pos = 0; pos < data.size(); pos += chunk) {
    pending.append(data.substr(pos, chunk));
    auto result = session.feed(pending, out);
    check(result.consumed <= pending.size());
    check(out.empty() || out.rfind("HTTP/1.1 ", 0) == 0);
    if (result.close) break;
    pending.erase(0, result.consumed);
  }
  return 0;
}
