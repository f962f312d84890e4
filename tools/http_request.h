#pragma once

// The HTTP/1.1 requests litetrace-dump takes as an OTLP/HTTP collector: a request is parsed
// from what a connection has received so far, and is either complete, incomplete (wait for
// more bytes) or malformed (answer with the status given and close). Bodies come with
// Content-Length or chunked transfer coding (the OpenTelemetry JS exporters send chunked);
// chunk extensions and trailers are read and ignored. Every part is capped: the request
// line and headers, each chunk-size line, the trailers, and the body.
//
// Thread: any; no shared state.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace litetrace::tools {

struct HttpRequest {
  std::string method;
  std::string target;
  std::string version;                                      // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
  std::string body;                                         // de-chunked
  bool keep_alive = true;  // HTTP/1.1 without "Connection: close", or 1.0 with keep-alive
  bool expects_continue = false;  // "Expect: 100-continue"

  // The value of the first header `name` (lower case), or empty.
  std::string_view header(std::string_view name) const;
};

struct HttpParseLimits {
  size_t max_head = 64 * 1024;  // request line, headers; and trailers separately
  size_t max_body = 64 << 20;
};

enum class HttpParse { kIncomplete, kHeadComplete, kComplete, kError };

// Parses the request at the start of `input`. kComplete: `out` holds it and `consumed`
// the bytes it took (a pipelined request may follow). kHeadComplete: the head is in `out`,
// the body has not all arrived (a server answers "100 Continue" now when asked).
// kIncomplete: nothing usable yet. kError: `status` (400, 413, 431, 501, 505) and `error`
// say why; the connection cannot go on.
HttpParse parse_http_request(std::string_view input, const HttpParseLimits& limits, HttpRequest& out,
                             size_t& consumed, int& status, std::string& error);

}  // namespace litetrace::tools
