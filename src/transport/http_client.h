#pragma once

// A minimal HTTP/1.1 GET client for the sampling-strategy poller: plain http only, one
// request per connection (Connection: close), a deadline for connecting and one for the
// whole response, Content-Length, chunked and read-to-close bodies. The response is parsed
// as it arrives, each byte once, and every part of it is capped: status line and headers
// 16 KiB, each chunk-size line 1 KiB, trailers 16 KiB, the body max_body.
// Every wait is at most 100 ms at a time and also checks `cancel`, so the thread that owns
// the request can always be stopped promptly: the name lookup too, which runs on a helper
// thread (Lookup) bounded by connect_timeout together with the connection.
//
// Thread: any; each call is independent. It blocks its caller, so never call it on an
// application thread (the remote sampler's poller thread does).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/resolver.h"

namespace litetrace::detail {

struct HttpUrl {
  std::string host;    // without brackets for IPv6 literals
  uint16_t port = 80;
  std::string target;  // path and query, "/" at least
};

// "http://host[:port][/path][?query]"; host may be an [IPv6] literal.
bool parse_http_url(std::string_view url, HttpUrl& out, std::string* error);

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{5000};  // for the whole response once connected
  size_t max_body = 1 << 20;
  const std::atomic<bool>* cancel = nullptr;     // true: give up now
  Resolver resolver = resolve_with_getaddrinfo;  // tests replace it
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// False with a reason in `error` when no complete response arrived: the host did not
// resolve, nothing accepted the connection, a timeout passed, the response was malformed,
// truncated or too large. A complete response with any status is true.
bool http_get(const HttpUrl& url, const HttpOptions& options, HttpResponse& out, std::string* error);

}  // namespace litetrace::detail
