#pragma once

// A minimal HTTP/1.1 client for the sampling-strategy poller (GET) and the HTTP exporters
// (POST): plain http only, one keep-alive connection per HttpConnection, a deadline for
// connecting and one for sending the request and reading the whole response;
// Content-Length on every request with a body; Content-Length, chunked and read-to-close
// response bodies. The response is parsed
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

#include "core/slice.h"
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
  Resolver resolver;                             // empty: getaddrinfo; tests replace it
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string retry_after;   // the Retry-After header as sent, if any
  std::string content_type;  // the Content-Type header, if any
};

struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

// One connection to one endpoint, kept open between requests while the server allows it
// (HTTP/1.1 without "Connection: close", a body that does not end with the connection)
// and opened again when it does not. A request on a kept connection that the server closed
// while it was idle (reset or closed before any byte of the response) is sent once more on
// a new connection.
//
// Thread: one at a time.
class HttpConnection {
 public:
  HttpConnection(HttpUrl url, HttpOptions options);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `method` to the URL's target with Host, User-Agent, Content-Length (for a body,
  // and for every method but GET) and `headers`, then reads the response. False with a
  // reason in `error` when no complete response arrived: the host did not resolve, nothing
  // accepted the connection, a timeout passed, the response was malformed, truncated or
  // too large. A complete response with any status is true.
  bool request(std::string_view method, Slice<HttpHeader> headers, std::string_view body, HttpResponse& out,
               std::string* error);
  void close();
  bool connected() const { return fd_ >= 0; }
  uint64_t connects() const { return connects_; }  // connections opened so far

 private:
  bool exchange(std::string_view method, Slice<HttpHeader> headers, std::string_view body, HttpResponse& out,
                std::string* error, bool* closed_unanswered);

  HttpUrl url_;
  HttpOptions options_;
  std::string host_header_;
  int fd_ = -1;
  uint64_t connects_ = 0;
};

// One GET on a connection of its own (Connection: close), Accept: application/json.
bool http_get(const HttpUrl& url, const HttpOptions& options, HttpResponse& out, std::string* error);

}  // namespace litetrace::detail
