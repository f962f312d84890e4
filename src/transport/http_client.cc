#include "transport/http_client.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "core/compiler.h"
#include "core/raw_array.h"  // kNoThrow
#include "core/diagnostic_reporter.h"  // errno_text
#include "core/text.h"
#include "litetrace/version.h"
#include "transport/resolver.h"

namespace litetrace::detail {
namespace {

using Clock = std::chrono::steady_clock;

enum class Wait { kReady, kTimeout, kCancelled, kError };

// Waits for `events` on `fd` until `deadline`, in slices of at most 100 ms so that a
// cancellation is seen promptly.
Wait wait_for(int fd, short events, Clock::time_point deadline, const std::atomic<bool>* cancel) {
  for (;;) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return Wait::kCancelled;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Wait::kTimeout;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
    if (n > 0) return Wait::kReady;
    if (n < 0 && errno != EINTR) return Wait::kError;
  }
}

LITETRACE_COLD std::string wait_error(Wait w, const char* what) {
  switch (w) {
    case Wait::kTimeout: return std::string("timed out ") + what;
    case Wait::kCancelled: return "cancelled";
    default: return std::string("poll failed ") + what + ": " + errno_text(errno);
  }
}

// Looks the host up on a helper thread (getaddrinfo has no timeout of its own) within the
// connect timeout, seeing a cancellation within 100 ms.
LITETRACE_COLD bool resolve_within(const HttpUrl& url, const HttpOptions& o, Clock::time_point deadline,
                                   std::vector<SocketAddress>* out, std::string* error) {
  std::unique_ptr<Lookup> lookup(new (kNoThrow) Lookup(o.resolver, url.host, url.port));
  if (lookup == nullptr) {
    *error = "cannot resolve " + url.host + ": out of memory";
    return false;
  }
  for (;;) {
    if (o.cancel != nullptr && o.cancel->load(std::memory_order_relaxed)) {
      *error = "cancelled";
      return false;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      *error = "cannot resolve " + url.host + ": no answer within " +
               std::to_string(o.connect_timeout.count()) + " ms";
      return false;
    }
    if (lookup->wait_until(std::min(deadline, now + std::chrono::milliseconds(100)))) break;
  }
  if (const char* why = lookup->take_answer(out)) {
    *error = "cannot resolve " + url.host + ": " + why;
    return false;
  }
  return true;
}

// Requests are written whole (head and body back to back) and answered before the next
// one, so Nagle's algorithm only adds a delayed-ACK wait (some 40 ms) per request.
void no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

LITETRACE_COLD bool connect_any(const HttpUrl& url, const HttpOptions& o, int& fd_out, std::string* error) {
  // The connect timeout bounds the lookup and the connection attempts together.
  const auto deadline = Clock::now() + o.connect_timeout;
  std::vector<SocketAddress> addresses;
  if (!resolve_within(url, o, deadline, &addresses, error)) return false;
  std::string last;
  for (const SocketAddress& a : addresses) {
    const int fd = ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = "socket: " + errno_text(errno);
      continue;
    }
    no_delay(fd);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length) == 0) {
      fd_out = fd;
      return true;
    }
    if (errno == EINPROGRESS) {
      const Wait w = wait_for(fd, POLLOUT, deadline, o.cancel);
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (w == Wait::kReady && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0) {
        fd_out = fd;
        return true;
      }
      last = w == Wait::kReady ? "connect: " + errno_text(so_error) : wait_error(w, "connecting");
    } else {
      last = "connect: " + errno_text(errno);
    }
    ::close(fd);
    if (Clock::now() >= deadline || (o.cancel != nullptr && o.cancel->load())) break;
  }
  *error = last;
  return false;
}

enum class Parse { kIncomplete, kDone, kError };

// Reads a response as its bytes arrive, each byte once, keeping only the line being read
// and the body. Every part is capped: the status line and headers together, each chunk-size
// line, the trailers together, and the body (HttpOptions::max_body); going over a cap is an
// error that names it.
class ResponseReader {
 public:
  explicit ResponseReader(size_t max_body) : max_body_(max_body) {}

  // Consumes `data`; kDone once the response is complete (anything after it is ignored).
  LITETRACE_COLD Parse feed(std::string_view data, std::string* error) {
    while (!data.empty() && state_ != State::kDone) {
      if (state_ == State::kBody || state_ == State::kChunkData) {
        const size_t n = std::min(data.size(), left_);
        body_.append(data.data(), n);
        data.remove_prefix(n);
        left_ -= n;
        if (left_ == 0) state_ = state_ == State::kBody ? State::kDone : State::kChunkDataEnd;
        continue;
      }
      if (state_ == State::kBodyToClose) {
        if (body_.size() + data.size() > max_body_) return fail(body_too_large(), error);
        body_.append(data);
        return Parse::kIncomplete;
      }
      // A line: up to LF (a CR before it is dropped; RFC 9112 lets a recipient accept a
      // bare LF too).
      const size_t lf = data.find('\n');
      const std::string_view piece = data.substr(0, lf == std::string_view::npos ? data.size() : lf + 1);
      if (line_.size() + piece.size() > line_cap()) return fail(line_too_long(), error);
      line_.append(piece);
      data.remove_prefix(piece.size());
      if (lf == std::string_view::npos) return Parse::kIncomplete;
      part_bytes_ += line_.size();
      line_.pop_back();
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      if (!take_line(error)) return Parse::kError;
      line_.clear();
    }
    return state_ == State::kDone ? Parse::kDone : Parse::kIncomplete;
  }

  // The server closed the connection: complete only for a body that ends with it.
  Parse at_close(std::string* error) {
    if (state_ == State::kDone || state_ == State::kBodyToClose) {
      state_ = State::kDone;
      return Parse::kDone;
    }
    switch (state_) {
      case State::kStatusLine:
        *error = line_.empty() ? "connection closed before a response" : "connection closed in the response header";
        break;
      case State::kHeaderLine: *error = "connection closed in the response header"; break;
      case State::kBody:
        *error = "truncated response: " + std::to_string(length_ - left_) + " of " + std::to_string(length_) +
                 " body bytes";
        break;
      default: *error = "connection closed in a chunked body"; break;
    }
    return Parse::kError;
  }

  int status() const { return status_; }
  std::string& body() { return body_; }
  std::string& retry_after() { return retry_after_; }
  std::string& content_type() { return content_type_; }
  // Whether the connection can carry another request: the server did not ask to close it
  // and the body did not end with the connection.
  bool reusable() const { return state_ == State::kDone && !close_; }

 private:
  enum class State {
    kStatusLine, kHeaderLine, kBody, kBodyToClose, kChunkSize, kChunkData, kChunkDataEnd, kTrailerLine, kDone
  };
  static constexpr size_t kMaxHeadBytes = 16 * 1024;     // status line and headers
  static constexpr size_t kMaxChunkLineBytes = 1024;     // a chunk size and its extensions
  static constexpr size_t kMaxTrailerBytes = 16 * 1024;  // all trailers

  // The most the line being read may still grow to (its part's cap).
  size_t line_cap() const {
    switch (state_) {
      case State::kChunkSize:
      case State::kChunkDataEnd: return kMaxChunkLineBytes;
      case State::kTrailerLine: return kMaxTrailerBytes - part_bytes_;
      default: return kMaxHeadBytes - part_bytes_;
    }
  }
  std::string line_too_long() const {
    switch (state_) {
      case State::kChunkSize: return "malformed chunk size";
      case State::kChunkDataEnd: return "malformed chunk";
      case State::kTrailerLine: return "response trailers larger than " + std::to_string(kMaxTrailerBytes) + " bytes";
      default: return "response header larger than " + std::to_string(kMaxHeadBytes) + " bytes";
    }
  }
  std::string body_too_large() const { return "response body larger than " + std::to_string(max_body_) + " bytes"; }
  static Parse fail(std::string why, std::string* error) {
    *error = std::move(why);
    return Parse::kError;
  }
  static bool reject(std::string why, std::string* error) {
    *error = std::move(why);
    return false;
  }

  // Acts on a complete line (without its line ending); false with *error set.
  bool take_line(std::string* error) {
    const std::string_view line = line_;
    switch (state_) {
      case State::kStatusLine:
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' ||
            (line.size() > 12 && line[12] != ' ') ||
            !std::all_of(line.begin() + 9, line.begin() + 12, [](char c) { return c >= '0' && c <= '9'; })) {
          return reject("malformed status line", error);
        }
        status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        if (line[7] == '0') close_ = true;  // HTTP/1.0: no keep-alive unless negotiated
        state_ = State::kHeaderLine;
        return true;
      case State::kHeaderLine: return line.empty() ? end_of_head(error) : take_header(line, error);
      case State::kChunkSize: return take_chunk_size(line, error);
      case State::kChunkDataEnd:
        if (!line.empty()) return reject("malformed chunk", error);
        state_ = State::kChunkSize;
        return true;
      case State::kTrailerLine:  // trailers are read and ignored; an empty line ends them
        if (line.empty()) state_ = State::kDone;
        return true;
      default: return true;
    }
  }

  bool take_header(std::string_view line, std::string* error) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return reject("malformed header line", error);
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (equals_ignoring_case(name, "content-length")) {
      if (value.empty() || value.size() > 15 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return reject("malformed Content-Length", error);
      }
      size_t length = 0;
      std::from_chars(value.data(), value.data() + value.size(), length);
      if (has_length_ && length != length_) return reject("conflicting Content-Length headers", error);
      has_length_ = true;
      length_ = length;
    } else if (equals_ignoring_case(name, "connection")) {
      if (equals_ignoring_case(value, "close")) close_ = true;
    } else if (equals_ignoring_case(name, "retry-after")) {
      retry_after_ = std::string(value);
    } else if (equals_ignoring_case(name, "content-type")) {
      content_type_ = std::string(value);
    } else if (equals_ignoring_case(name, "transfer-encoding")) {
      if (!equals_ignoring_case(value, "chunked")) {
        return reject("unsupported Transfer-Encoding: " + std::string(value), error);
      }
      chunked_ = true;
    }
    return true;
  }

  bool end_of_head(std::string* error) {
    part_bytes_ = 0;
    if (status_ >= 100 && status_ < 200) {
      // An interim response (100 Continue, 103 Early Hints): the real one follows.
      *this = ResponseReader(max_body_);
      return true;
    }
    if (status_ == 204 || status_ == 304) {  // never a body (RFC 9112 section 6.3)
      state_ = State::kDone;
    } else if (chunked_) {
      state_ = State::kChunkSize;
    } else if (has_length_) {
      if (length_ > max_body_) return reject(body_too_large(), error);
      left_ = length_;
      state_ = left_ == 0 ? State::kDone : State::kBody;
    } else {
      state_ = State::kBodyToClose;
      close_ = true;
    }
    return true;
  }

  bool take_chunk_size(std::string_view line, std::string* error) {
    const std::string_view size_text = trim_ows(line.substr(0, line.find(';')));  // extensions ignored
    if (size_text.empty() || size_text.size() > 8) return reject("malformed chunk size", error);
    size_t size = 0;
    for (const char c : size_text) {
      const int d = hex_value(c);
      if (d < 0) return reject("malformed chunk size", error);
      size = size * 16 + static_cast<size_t>(d);
    }
    if (size == 0) {
      state_ = State::kTrailerLine;
      part_bytes_ = 0;
      return true;
    }
    if (body_.size() + size > max_body_) return reject(body_too_large(), error);
    left_ = size;
    state_ = State::kChunkData;
    return true;
  }

  size_t max_body_;
  State state_ = State::kStatusLine;
  std::string line_;
  size_t part_bytes_ = 0;  // bytes of the head, or of the trailers, read so far
  int status_ = 0;
  bool chunked_ = false;
  bool has_length_ = false;
  size_t length_ = 0;
  size_t left_ = 0;  // of the body, or of the chunk
  bool close_ = false;
  std::string body_;
  std::string retry_after_;
  std::string content_type_;
};

// Sends all of `data`, waiting for room until `deadline`. On failure *error says why and
// *peer_closed whether the peer had closed or reset the connection.
bool send_all(int fd, std::string_view data, Clock::time_point deadline, const std::atomic<bool>* cancel,
              std::string* error, bool* peer_closed, bool more = false) {
#ifdef MSG_MORE
  const int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);  // the head waits for its body
#else
  const int flags = MSG_NOSIGNAL;
  (void)more;
#endif
  for (size_t sent = 0; sent < data.size();) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, flags);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      *peer_closed = errno == EPIPE || errno == ECONNRESET;
      *error = "send: " + errno_text(errno);
      return false;
    }
    const Wait w = wait_for(fd, POLLOUT, deadline, cancel);
    if (w != Wait::kReady) {
      *error = wait_error(w, "sending the request");
      return false;
    }
  }
  return true;
}

}  // namespace

LITETRACE_COLD bool parse_http_url(std::string_view url, HttpUrl& out, std::string* error) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    *error = "only http:// URLs are supported: '" + std::string(url) + "'";
    return false;
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  HttpUrl u;
  u.target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (u.target[0] == '?') u.target.insert(0, "/");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "unterminated IPv6 address in '" + std::string(url) + "'";
      return false;
    }
    u.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      *error = "unexpected text after the IPv6 address in '" + std::string(url) + "'";
      return false;
    }
    if (!after.empty()) port_text = after.substr(1);
    if (after.size() == 1) port_text = "x";  // "[::1]:" with no port
  } else {
    const size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1).empty() ? "x" : authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    *error = "no host in '" + std::string(url) + "'";
    return false;
  }
  if (!port_text.empty()) {
    unsigned long port = 0;
    const bool digits = port_text.size() <= 5 &&
                        std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (!digits || port == 0 || port > 65535) {
      *error = "invalid port in '" + std::string(url) + "'";
      return false;
    }
    u.port = static_cast<uint16_t>(port);
  }
  out = std::move(u);
  return true;
}

LITETRACE_COLD HttpConnection::HttpConnection(HttpUrl url, HttpOptions options)
    : url_(std::move(url)), options_(std::move(options)) {
  const bool ipv6_literal = url_.host.find(':') != std::string::npos;
  host_header_ = (ipv6_literal ? "[" + url_.host + "]" : url_.host) + ":" + std::to_string(url_.port);
}

LITETRACE_COLD HttpConnection::~HttpConnection() { close(); }

void HttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool HttpConnection::request(std::string_view method, Slice<HttpHeader> headers, std::string_view body,
                             HttpResponse& out, std::string* error) {
  const bool reused = fd_ >= 0;
  bool closed_unanswered = false;
  if (exchange(method, headers, body, out, error, &closed_unanswered)) return true;
  // A kept-alive connection the server closed while it was idle fails before any byte of
  // a response: try once more on a new one (what every HTTP client does).
  if (!reused || !closed_unanswered) return false;
  return exchange(method, headers, body, out, error, &closed_unanswered);
}

// Cold, as is all of a request's handling here and in the export sink's sender: it runs
// once per request (a batch of up to 512 spans), never per span (src/core/compiler.h).
LITETRACE_COLD bool HttpConnection::exchange(std::string_view method, Slice<HttpHeader> headers,
                                             std::string_view body, HttpResponse& out, std::string* error,
                                             bool* closed_unanswered) {
  *closed_unanswered = false;
  bool answered = false;  // a byte of the response arrived
  if (fd_ < 0) {
    if (!connect_any(url_, options_, fd_, error)) return false;
    ++connects_;
  }
  std::string head;
  head.reserve(256);
  head.append(method).append(" ").append(url_.target).append(" HTTP/1.1\r\nHost: ").append(host_header_);
  head.append("\r\nUser-Agent: litetrace-cpp/").append(LITETRACE_VERSION_STRING);
  if (method != "GET" || !body.empty()) head.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  for (const HttpHeader& h : headers) head.append("\r\n").append(h.name).append(": ").append(h.value);
  head.append("\r\n\r\n");

  const auto deadline = Clock::now() + options_.read_timeout;
  if (!send_all(fd_, head, deadline, options_.cancel, error, closed_unanswered, !body.empty()) ||
      !send_all(fd_, body, deadline, options_.cancel, error, closed_unanswered)) {
    close();
    return false;
  }

  ResponseReader reader(options_.max_body);
  char buf[16 * 1024];
  for (;;) {
    const Wait w = wait_for(fd_, POLLIN, deadline, options_.cancel);
    if (w != Wait::kReady) {
      *error = wait_error(w, "waiting for the response");
      close();
      return false;
    }
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      *closed_unanswered = !answered && errno == ECONNRESET;
      *error = "recv: " + errno_text(errno);
      close();
      return false;
    }
    *closed_unanswered = n == 0 && !answered;
    answered = answered || n > 0;
    const Parse p = n > 0 ? reader.feed(std::string_view(buf, static_cast<size_t>(n)), error) : reader.at_close(error);
    if (p == Parse::kError) {
      close();
      return false;
    }
    if (p == Parse::kDone) break;
  }
  out.status = reader.status();
  out.body = std::move(reader.body());
  out.retry_after = std::move(reader.retry_after());
  out.content_type = std::move(reader.content_type());
  if (!reader.reusable()) close();
  return true;
}

bool http_get(const HttpUrl& url, const HttpOptions& o, HttpResponse& out, std::string* error) {
  HttpConnection connection(url, o);
  const HttpHeader headers[] = {{"Accept", "application/json"}, {"Connection", "close"}};
  return connection.request("GET", slice_of(headers), {}, out, error);
}

}  // namespace litetrace::detail
