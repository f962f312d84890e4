#include "transport/http_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "core/diagnostic_reporter.h"  // errno_text
#include "core/text.h"
#include "litetrace/version.h"
#include "transport/resolver.h"

namespace litetrace::detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxHeaderBytes = 16 * 1024;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

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

std::string wait_error(Wait w, const char* what) {
  switch (w) {
    case Wait::kTimeout: return std::string("timed out ") + what;
    case Wait::kCancelled: return "cancelled";
    default: return std::string("poll failed ") + what + ": " + errno_text(errno);
  }
}

bool connect_any(const HttpUrl& url, const HttpOptions& o, int& fd_out, std::string* error) {
  std::vector<SocketAddress> addresses;
  std::string why;
  if (!resolve_with_getaddrinfo(url.host, url.port, &addresses, &why)) {
    *error = "cannot resolve " + url.host + ": " + why;
    return false;
  }
  const auto deadline = Clock::now() + o.connect_timeout;
  std::string last;
  for (const SocketAddress& a : addresses) {
    const int fd = ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = "socket: " + errno_text(errno);
      continue;
    }
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

// What the response head says about the body.
struct Head {
  int status = 0;
  bool chunked = false;
  bool has_length = false;
  size_t length = 0;
  size_t body_offset = 0;
};

enum class Parse { kIncomplete, kDone, kError };

Parse parse_head(std::string_view data, Head& h, std::string* error) {
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (data.size() > kMaxHeaderBytes) {
      *error = "response header larger than " + std::to_string(kMaxHeaderBytes) + " bytes";
      return Parse::kError;
    }
    return Parse::kIncomplete;
  }
  std::string_view head = data.substr(0, end);
  const size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ') ||
      !std::all_of(status_line.begin() + 9, status_line.begin() + 12, [](char c) { return c >= '0' && c <= '9'; })) {
    *error = "malformed status line";
    return Parse::kError;
  }
  h.status = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
  head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
  while (!head.empty()) {
    const size_t line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    head.remove_prefix(line_end == std::string_view::npos ? head.size() : line_end + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = "malformed header line";
      return Parse::kError;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (equals_ignoring_case(name, "content-length")) {
      if (value.empty() || value.size() > 15 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        *error = "malformed Content-Length";
        return Parse::kError;
      }
      size_t length = 0;
      std::from_chars(value.data(), value.data() + value.size(), length);
      if (h.has_length && length != h.length) {
        *error = "conflicting Content-Length headers";
        return Parse::kError;
      }
      h.has_length = true;
      h.length = length;
    } else if (equals_ignoring_case(name, "transfer-encoding")) {
      if (!equals_ignoring_case(value, "chunked")) {
        *error = "unsupported Transfer-Encoding: " + std::string(value);
        return Parse::kError;
      }
      h.chunked = true;
    }
  }
  h.body_offset = end + 4;
  return Parse::kDone;
}

// Decodes a chunked body; kIncomplete until the last chunk and the trailers are in.
Parse decode_chunked(std::string_view data, size_t max_body, std::string& body, std::string* error) {
  body.clear();
  size_t pos = 0;
  for (;;) {
    const size_t eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (data.size() - pos <= 1024) return Parse::kIncomplete;
      *error = "malformed chunk size";
      return Parse::kError;
    }
    std::string_view size_text = data.substr(pos, eol - pos);
    size_text = trim_ows(size_text.substr(0, size_text.find(';')));  // chunk extensions are ignored
    if (size_text.empty() || size_text.size() > 8) {
      *error = "malformed chunk size";
      return Parse::kError;
    }
    size_t size = 0;
    for (const char c : size_text) {
      const int d = hex_value(c);
      if (d < 0) {
        *error = "malformed chunk size";
        return Parse::kError;
      }
      size = size * 16 + static_cast<size_t>(d);
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailers (ignored) end with an empty line.
      for (;;) {
        const size_t trailer_end = data.find("\r\n", pos);
        if (trailer_end == std::string_view::npos) return Parse::kIncomplete;
        if (trailer_end == pos) return Parse::kDone;
        pos = trailer_end + 2;
      }
    }
    if (body.size() + size > max_body) {
      *error = "response body larger than " + std::to_string(max_body) + " bytes";
      return Parse::kError;
    }
    if (data.size() - pos < size + 2) return Parse::kIncomplete;
    if (data.substr(pos + size, 2) != "\r\n") {
      *error = "malformed chunk";
      return Parse::kError;
    }
    body.append(data.data() + pos, size);
    pos += size + 2;
  }
}

}  // namespace

bool parse_http_url(std::string_view url, HttpUrl& out, std::string* error) {
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

bool http_get(const HttpUrl& url, const HttpOptions& o, HttpResponse& out, std::string* error) {
  int fd = -1;
  if (!connect_any(url, o, fd, error)) return false;
  const Socket socket(fd);

  const bool ipv6_literal = url.host.find(':') != std::string::npos;
  const std::string host = ipv6_literal ? "[" + url.host + "]" : url.host;
  const std::string request = "GET " + url.target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(url.port) +
                              "\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: litetrace-cpp/" +
                              LITETRACE_VERSION_STRING + "\r\n\r\n";
  const auto deadline = Clock::now() + o.read_timeout;
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      *error = "send: " + errno_text(errno);
      return false;
    }
    const Wait w = wait_for(fd, POLLOUT, deadline, o.cancel);
    if (w != Wait::kReady) {
      *error = wait_error(w, "sending the request");
      return false;
    }
  }

  std::string data;
  Head head;
  bool have_head = false;
  char buf[16 * 1024];
  for (;;) {
    // Is what arrived so far a complete response?
    if (!have_head) {
      const Parse p = parse_head(data, head, error);
      if (p == Parse::kError) return false;
      have_head = p == Parse::kDone;
      if (have_head && !head.chunked && head.has_length && head.length > o.max_body) {
        *error = "response body larger than " + std::to_string(o.max_body) + " bytes";
        return false;
      }
    }
    if (have_head) {
      const std::string_view body = std::string_view(data).substr(head.body_offset);
      if (head.chunked) {
        const Parse p = decode_chunked(body, o.max_body, out.body, error);
        if (p == Parse::kError) return false;
        if (p == Parse::kDone) break;
      } else if (head.has_length && body.size() >= head.length) {
        out.body.assign(body.substr(0, head.length));
        break;
      } else if (!head.has_length && body.size() > o.max_body) {
        *error = "response body larger than " + std::to_string(o.max_body) + " bytes";
        return false;
      }
    }

    const Wait w = wait_for(fd, POLLIN, deadline, o.cancel);
    if (w != Wait::kReady) {
      *error = wait_error(w, "waiting for the response");
      return false;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      data.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n < 0) {
      *error = "recv: " + errno_text(errno);
      return false;
    }
    // The server closed the connection.
    if (!have_head) {
      *error = data.empty() ? "connection closed before a response" : "connection closed in the response header";
      return false;
    }
    if (head.chunked || head.has_length) {
      const size_t got = data.size() - head.body_offset;
      *error = head.chunked ? "connection closed in a chunked body"
                            : "truncated response: " + std::to_string(got) + " of " + std::to_string(head.length) +
                                  " body bytes";
      return false;
    }
    out.body = data.substr(head.body_offset);  // the body ends with the connection
    break;
  }
  out.status = head.status;
  return true;
}

}  // namespace litetrace::detail
