// litetrace-dump: see what Jaeger would receive, without running Jaeger.
//
// Listens as the Jaeger all-in-one does: for Agent.emitBatch datagrams in compact Thrift
// (UDP 6831, what every Jaeger client sends) and in binary Thrift (UDP 6832), for Batch
// bodies POSTed to the collector (binary Thrift, POST /api/traces on 14268), for OTLP/HTTP
// export requests (protobuf or JSON, POST /v1/traces on 4318), and for Zipkin v2 JSON
// (POST /api/v2/spans on 9411). Decodes each and prints it: a span tree by default, one
// JSON object per batch with --json, or, with --traces, one tree per trace across all the
// services that sent spans of it. OTLP and Zipkin spans are shown as Jaeger shows them
// (otlp_request.h, zipkin_request.h), so the same spans print the same whichever way they
// came. A malformed datagram or request is reported (a request is
// answered 400, as a collector does) and the tool goes on.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "jaeger/span_printer.h"
#include "http_request.h"
#include "jaeger/jaeger_decoder.h"
#include "litetrace/version.h"
#include "otlp_request.h"
#include "zipkin_request.h"

namespace {

using litetrace::detail::DecodedBatch;
using litetrace::tools::HttpParse;
using litetrace::tools::HttpRequest;
using litetrace::tools::ReceivedRequest;

constexpr const char* kUsage =
    "usage: litetrace-dump [--port N|off] [--binary-port N|off] [--http-port N|off] [--otlp-port N|off]\n"
    "                      [--zipkin-port N|off]\n"
    "                      [--bind ADDRESS] [--json | --traces] [--count N] [--timeout SECONDS]\n"
    "\n"
    "Listens where the Jaeger all-in-one does and prints the spans that come:\n"
    "  --port N          UDP port for emitBatch datagrams in compact Thrift (default 6831)\n"
    "  --binary-port N   UDP port for emitBatch datagrams in binary Thrift (default 6832)\n"
    "  --http-port N     TCP port for Jaeger's collector API, POST /api/traces (default 14268)\n"
    "  --otlp-port N     TCP port for OTLP/HTTP, POST /v1/traces (default 4318)\n"
    "  --zipkin-port N   TCP port for Zipkin v2 JSON, POST /api/v2/spans (default 9411)\n"
    "                    (each: 0 picks a free port; off: none)\n"
    "  --bind ADDRESS    address to listen on (default :: , which also takes IPv4)\n"
    "  --json            one JSON object per batch instead of a span tree\n"
    "  --traces          collect, then print one tree per trace across services, when --count\n"
    "                    messages came or none came for --timeout seconds (default 2)\n"
    "  --count N         exit after N messages (datagrams or export requests)\n"
    "  --timeout SECONDS exit with status 3 when no message came for that long\n";

constexpr int kDefaultUdpPort = 6831;
constexpr int kDefaultBinaryPort = 6832;
constexpr int kDefaultHttpPort = 14268;
constexpr int kDefaultOtlpPort = 4318;
constexpr int kDefaultZipkinPort = 9411;
constexpr int kOff = -1;
constexpr size_t kMaxConnections = 256;

// What a socket takes.
enum class Wire { kUdpCompact, kUdpBinary, kHttpJaeger, kHttpOtlp, kHttpZipkin };

struct Port {
  int number;
  bool given = false;  // on the command line: must be had
};

struct Options {
  Port port{kDefaultUdpPort};
  Port binary_port{kDefaultBinaryPort};
  Port http_port{kDefaultHttpPort};
  Port otlp_port{kDefaultOtlpPort};
  Port zipkin_port{kDefaultZipkinPort};
  std::string bind;
  bool json = false;
  bool traces = false;
  long count = 0;
  double timeout = 0;
};

bool parse_port(const char* text, int& out) {
  if (std::strcmp(text, "off") == 0) {
    out = kOff;
    return true;
  }
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  out = static_cast<int>(v);
  return *text != '\0' && *end == '\0' && v >= 0 && v <= 65535;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    char* end = nullptr;
    if (a == "--traces") {
      o.traces = true;
    } else if (a == "--json") {
      o.json = true;
    } else if ((a == "--port" || a == "--binary-port" || a == "--http-port" || a == "--otlp-port" ||
                a == "--zipkin-port") &&
               has_value) {
      Port& p = a == "--port"          ? o.port
                : a == "--binary-port" ? o.binary_port
                : a == "--http-port"   ? o.http_port
                : a == "--otlp-port"   ? o.otlp_port
                                       : o.zipkin_port;
      if (!parse_port(argv[++i], p.number)) return false;
      p.given = true;
    } else if (a == "--bind" && has_value) {
      o.bind = argv[++i];
    } else if (a == "--count" && has_value) {
      o.count = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || o.count < 0) return false;
    } else if (a == "--timeout" && has_value) {
      o.timeout = std::strtod(argv[++i], &end);
      if (*end != '\0' || o.timeout < 0) return false;
    } else {
      return false;
    }
  }
  if (o.traces && o.json) return false;
  if (o.port.number == kOff && o.binary_port.number == kOff && o.http_port.number == kOff &&
      o.otlp_port.number == kOff && o.zipkin_port.number == kOff) {
    return false;
  }
  if (o.traces && o.timeout == 0) o.timeout = 2;
  return true;
}

std::string address_text(const sockaddr_storage& a, socklen_t len) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  std::string h = host;
  if (h.rfind("::ffff:", 0) == 0) h = h.substr(7);  // an IPv4 peer on a dual-stack socket
  return (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
}

// A socket bound to the --bind address (default: every IPv6 and IPv4 address) and `port`;
// -1 with the reason in `error`.
int open_socket(const Options& o, int type, int port, std::string& bound, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = type;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_family = o.bind.empty() ? AF_INET6 : AF_UNSPEC;
  const std::string port_text = std::to_string(port);
  addrinfo* found = nullptr;
  int rc = getaddrinfo(o.bind.empty() ? nullptr : o.bind.c_str(), port_text.c_str(), &hints, &found);
  if (rc != 0 && o.bind.empty()) {  // no IPv6 here: IPv4 only
    hints.ai_family = AF_INET;
    rc = getaddrinfo(nullptr, port_text.c_str(), &hints, &found);
  }
  if (rc != 0) {
    error = "cannot resolve " + o.bind + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  int err = 0;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int off = 0;
    const int on = 1;
    if (ai->ai_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (type == SOCK_DGRAM) {
      // Jaeger clients send bursts of 64 KB datagrams; give them room.
      const int size = 8 << 20;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    } else {
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // restart at once on the same port
    }
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || (type == SOCK_STREAM && ::listen(fd, 64) != 0)) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    error = std::string("cannot listen on ") + (type == SOCK_DGRAM ? "UDP" : "TCP") + " port " + port_text + ": " +
            std::strerror(err);
    return -1;
  }
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  bound = address_text(a, len);
  return fd;
}

// ---- OTLP/HTTP: what a collector answers ----

// google.rpc.Status, or an ExportTraceServiceResponse with partial_success, in the
// request's encoding. Protobuf is written by hand: a few fields, no writer needed.
void append_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void append_field(std::string& out, uint32_t number, std::string_view bytes) {
  append_varint(out, uint64_t{number} << 3 | 2);
  append_varint(out, bytes.size());
  out += bytes;
}

std::string status_body(bool json, int code, const std::string& message) {
  if (json) {
    return "{\"code\":" + std::to_string(code) + ",\"message\":" + litetrace::detail::json_string(message) + "}";
  }
  std::string out;
  append_varint(out, /*Status.code*/ 1 << 3 | 0);
  append_varint(out, static_cast<uint64_t>(code));
  append_field(out, /*Status.message*/ 2, message);
  return out;
}

std::string export_response(bool json, size_t rejected, const std::string& message) {
  if (rejected == 0) return json ? "{}" : "";  // an empty ExportTraceServiceResponse
  if (json) {
    return "{\"partialSuccess\":{\"rejectedSpans\":\"" + std::to_string(rejected) +
           "\",\"errorMessage\":" + litetrace::detail::json_string(message) + "}}";
  }
  std::string partial;
  append_varint(partial, /*ExportTracePartialSuccess.rejected_spans*/ 1 << 3 | 0);
  append_varint(partial, rejected);
  append_field(partial, /*ExportTracePartialSuccess.error_message*/ 2, message);
  std::string out;
  append_field(out, /*ExportTraceServiceResponse.partial_success*/ 1, partial);
  return out;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

std::string http_response(int status, const char* content_type, const std::string& body, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  if (content_type != nullptr) out += std::string("Content-Type: ") + content_type + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  return out + "\r\n" + body;
}

// The media type of a Content-Type value, without parameters, lower case.
std::string media_type(std::string_view value) {
  std::string out(value.substr(0, value.find(';')));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Listener {
  int fd = -1;
  Wire wire = Wire::kUdpCompact;
};

struct Connection {
  Wire wire = Wire::kHttpOtlp;  // which API its requests are for
  int fd = -1;
  std::string peer;
  std::string in;
  std::string out;  // a response not yet all written
  bool continue_sent = false;
  bool closing = false;  // close once `out` is written
};

class Dump {
 public:
  explicit Dump(const Options& o) : o_(o) {}

  int run(const std::vector<Listener>& listeners);

 private:
  // One message (datagram or request) came; false once --count of them have.
  bool counted() { return o_.count == 0 || ++seen_ < o_.count; }
  void print_batch(const DecodedBatch& batch, const std::string& source, size_t bytes);
  void print_error(const std::string& source, size_t bytes, const std::string& what, const std::string& error);
  void print_traces();
  bool on_datagram(const Listener& l, std::vector<uint8_t>& buf);
  // A datagram or a Jaeger HTTP body: printed, or kept for --traces; false if malformed.
  bool take_thrift(const uint8_t* data, size_t size, bool binary, bool bare_batch, const std::string& source,
                   std::string& error);
  void accept_connections(const Listener& l);
  // Reads what came on `c` and answers every complete request; false when `c` is done.
  bool on_readable(Connection& c);
  void answer(Connection& c, const HttpRequest& r);
  void answer_jaeger(Connection& c, const HttpRequest& r);
  void answer_zipkin(Connection& c, const HttpRequest& r);
  // A decoded request: printed, or kept for --traces.
  void take_request(ReceivedRequest& request, const std::string& source, size_t bytes);
  bool write_pending(Connection& c);
  void drain_responses();

  const Options& o_;
  long seen_ = 0;
  bool done_ = false;  // --count reached
  std::vector<std::unique_ptr<Connection>> connections_;
  // --traces: every datagram and its batch, and every request, kept until the end (the
  // batches' views point into them; deques keep them in place).
  std::deque<std::vector<uint8_t>> kept_datagrams_;
  std::deque<DecodedBatch> kept_batches_;
  std::deque<ReceivedRequest> kept_requests_;
  size_t kept_ = 0;
  ReceivedRequest scratch_;  // the request being printed, without --traces
};

void Dump::print_batch(const DecodedBatch& batch, const std::string& source, size_t bytes) {
  if (o_.json) {
    std::printf("%s\n", litetrace::detail::format_json(batch, source).c_str());
  } else {
    std::printf("%s", litetrace::detail::format_text(batch, source + ", " + std::to_string(bytes) + " bytes").c_str());
  }
  std::fflush(stdout);
}

void Dump::print_error(const std::string& source, size_t bytes, const std::string& what, const std::string& error) {
  std::fprintf(stderr, "litetrace-dump: %zu-byte %s from %s is not a valid %s\n", bytes,
               what == "emitBatch" ? "datagram" : what == "Batch" ? "body" : "request", source.c_str(),
               (what + ": " + error).c_str());
  if (o_.json) {
    std::printf("{\"source\":%s,\"bytes\":%zu,\"error\":%s}\n", litetrace::detail::json_string(source).c_str(), bytes,
                litetrace::detail::json_string(error).c_str());
    std::fflush(stdout);
  }
}

void Dump::print_traces() {
  std::vector<const DecodedBatch*> batches;
  for (const auto& b : kept_batches_) batches.push_back(&b);
  for (const auto& r : kept_requests_) {
    for (const auto& b : r.batches) batches.push_back(&b);
  }
  std::printf("%s", litetrace::detail::format_traces(batches).c_str());
  std::fflush(stdout);
}

bool Dump::take_thrift(const uint8_t* data, size_t size, bool binary, bool bare_batch, const std::string& source,
                       std::string& error) {
  const auto decode = [&](const uint8_t* bytes, DecodedBatch& batch) {
    if (bare_batch) return litetrace::detail::decode_batch_binary(bytes, size, batch, &error);
    return binary ? litetrace::detail::decode_emit_batch_binary(bytes, size, batch, &error)
                  : litetrace::detail::decode_emit_batch(bytes, size, batch, &error);
  };
  if (o_.traces) {
    kept_datagrams_.emplace_back(data, data + size);
    kept_batches_.emplace_back();
    if (decode(kept_datagrams_.back().data(), kept_batches_.back())) {
      ++kept_;
      return true;
    }
    kept_batches_.pop_back();
    kept_datagrams_.pop_back();
    return false;
  }
  DecodedBatch batch;
  if (!decode(data, batch)) return false;
  print_batch(batch, source, size);
  return true;
}

bool Dump::on_datagram(const Listener& l, std::vector<uint8_t>& buf) {
  sockaddr_storage from{};
  socklen_t from_len = sizeof from;
  const ssize_t n =
      ::recvfrom(l.fd, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return true;
    std::fprintf(stderr, "litetrace-dump: receive failed: %s\n", std::strerror(errno));
    return false;
  }
  const bool binary = l.wire == Wire::kUdpBinary;
  const std::string source = address_text(from, from_len) + (binary ? " in binary Thrift" : "");
  const size_t size = static_cast<size_t>(n);
  std::string error;
  if (!take_thrift(buf.data(), size, binary, false, source, error)) print_error(source, size, "emitBatch", error);
  done_ = !counted();
  return true;
}

void Dump::accept_connections(const Listener& l) {
  for (;;) {
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    const int fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&from), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: all taken; anything else: the client is gone already
    if (connections_.size() >= kMaxConnections) {
      std::fprintf(stderr, "litetrace-dump: more than %zu connections; closing a new one\n", kMaxConnections);
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Connection>();
    c->wire = l.wire;
    c->fd = fd;
    c->peer = address_text(from, len);
    connections_.push_back(std::move(c));
  }
}

bool Dump::on_readable(Connection& c) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    if (!c.in.empty() && !c.closing) {
      std::fprintf(stderr, "litetrace-dump: %s closed the connection in the middle of a request (%zu bytes)\n",
                   c.peer.c_str(), c.in.size());
    }
    return false;  // closed by the client (or reset)
  }
  while (!c.closing && !done_) {
    HttpRequest r;
    size_t consumed = 0;
    int status = 0;
    std::string error;
    const HttpParse p = litetrace::tools::parse_http_request(c.in, {}, r, consumed, status, error);
    if (p == HttpParse::kIncomplete) break;
    if (p == HttpParse::kHeadComplete) {
      if (r.expects_continue && !c.continue_sent) {
        c.out += "HTTP/1.1 100 Continue\r\n\r\n";
        c.continue_sent = true;
      }
      break;
    }
    if (p == HttpParse::kError) {
      std::fprintf(stderr, "litetrace-dump: bad HTTP request from %s: %s\n", c.peer.c_str(), error.c_str());
      c.out += http_response(status, "text/plain", error + "\n", true);
      c.closing = true;
      break;
    }
    c.in.erase(0, consumed);
    c.continue_sent = false;
    answer(c, r);
  }
  return write_pending(c);
}

// Jaeger's collector API: a bare Batch in binary Thrift, answered 202 Accepted as the
// collector answers it; what it cannot take, 400 with the reason as text.
void Dump::answer_jaeger(Connection& c, const HttpRequest& r) {
  const bool close = !r.keep_alive;
  c.closing = c.closing || close;
  const std::string path = r.target.substr(0, r.target.find('?'));
  if (path != "/api/traces" || r.method != "POST") {
    std::fprintf(stderr, "litetrace-dump: %s asked for %s %s; Jaeger batches go to POST /api/traces\n",
                 c.peer.c_str(), r.method.c_str(), r.target.c_str());
    c.out += http_response(path != "/api/traces" ? 404 : 405, "text/plain",
                           "Jaeger batches go to POST /api/traces\n", close);
    return;
  }
  const std::string type = media_type(r.header("content-type"));
  if (type != "application/vnd.apache.thrift.binary" && type != "application/x-thrift") {
    const std::string why = "Content-Type \"" + std::string(r.header("content-type")) +
                            "\" is not application/vnd.apache.thrift.binary (nor application/x-thrift)";
    std::fprintf(stderr, "litetrace-dump: %s sent a request with %s\n", c.peer.c_str(), why.c_str());
    c.out += http_response(415, "text/plain", why + "\n", close);
    return;
  }
  const std::string source = c.peer + " over Jaeger HTTP";
  std::string error;
  const auto* body = reinterpret_cast<const uint8_t*>(r.body.data());
  if (take_thrift(body, r.body.size(), true, true, source, error)) {
    c.out += http_response(202, nullptr, "", close);
  } else {
    print_error(source, r.body.size(), "Batch", error);
    c.out += http_response(400, "text/plain", "not a valid Batch: " + error + "\n", close);
  }
  done_ = !counted();
}

// Zipkin's v2 API: a JSON array of spans, answered 202 Accepted as Zipkin answers it;
// what it cannot take, 400 with the reason as text.
void Dump::answer_zipkin(Connection& c, const HttpRequest& r) {
  const bool close = !r.keep_alive;
  c.closing = c.closing || close;
  const std::string path = r.target.substr(0, r.target.find('?'));
  if (path != "/api/v2/spans" || r.method != "POST") {
    std::fprintf(stderr, "litetrace-dump: %s asked for %s %s; Zipkin v2 spans go to POST /api/v2/spans\n",
                 c.peer.c_str(), r.method.c_str(), r.target.c_str());
    c.out += http_response(path != "/api/v2/spans" ? 404 : 405, "text/plain",
                           "Zipkin v2 spans go to POST /api/v2/spans\n", close);
    return;
  }
  const std::string type = media_type(r.header("content-type"));
  const std::string encoding = media_type(r.header("content-encoding"));
  if ((type != "application/json" && !type.empty()) || (!encoding.empty() && encoding != "identity")) {
    const std::string why = (type != "application/json" && !type.empty())
                                ? "Content-Type \"" + std::string(r.header("content-type")) +
                                      "\" is not application/json: litetrace-dump reads Zipkin's JSON v2 only"
                                : "Content-Encoding \"" + encoding + "\" is not supported by litetrace-dump";
    std::fprintf(stderr, "litetrace-dump: %s sent a request with %s\n", c.peer.c_str(), why.c_str());
    c.out += http_response(415, "text/plain", why + "\n", close);
    return;
  }
  const std::string source = c.peer + " over Zipkin JSON";
  ReceivedRequest& request = o_.traces ? kept_requests_.emplace_back() : scratch_;
  std::string error;
  if (litetrace::tools::decode_zipkin_json(r.body, request, &error)) {
    take_request(request, source, r.body.size());
    c.out += http_response(202, nullptr, "", close);
  } else {
    if (o_.traces) kept_requests_.pop_back();
    print_error(source, r.body.size(), "list of Zipkin v2 spans", error);
    c.out += http_response(400, "text/plain", "not a list of Zipkin v2 spans: " + error + "\n", close);
  }
  done_ = !counted();
}

void Dump::take_request(ReceivedRequest& request, const std::string& source, size_t bytes) {
  if (o_.traces) {
    ++kept_;
  } else {
    for (const DecodedBatch& b : request.batches) print_batch(b, source, bytes);
  }
}

void Dump::answer(Connection& c, const HttpRequest& r) {
  if (c.wire == Wire::kHttpJaeger) {
    answer_jaeger(c, r);
    return;
  }
  if (c.wire == Wire::kHttpZipkin) {
    answer_zipkin(c, r);
    return;
  }
  const bool close = !r.keep_alive;
  c.closing = c.closing || close;
  const std::string path = r.target.substr(0, r.target.find('?'));
  if (path != "/v1/traces") {
    std::fprintf(stderr, "litetrace-dump: %s asked for %s %s; OTLP traces go to POST /v1/traces\n", c.peer.c_str(),
                 r.method.c_str(), r.target.c_str());
    c.out += http_response(404, "text/plain", "OTLP traces go to POST /v1/traces\n", close);
    return;
  }
  if (r.method != "POST") {
    c.out += http_response(405, "text/plain", "OTLP traces go to POST /v1/traces\n", close) ;
    return;
  }
  const std::string type = media_type(r.header("content-type"));
  const bool json = type == "application/json";
  if (!json && type != "application/x-protobuf") {
    const std::string why = "Content-Type \"" + std::string(r.header("content-type")) +
                            "\" is neither application/x-protobuf nor application/json";
    std::fprintf(stderr, "litetrace-dump: %s sent a request with %s\n", c.peer.c_str(), why.c_str());
    c.out += http_response(415, "text/plain", why + "\n", close);
    return;
  }
  const char* answer_type = json ? "application/json" : "application/x-protobuf";
  const std::string encoding = media_type(r.header("content-encoding"));
  if (!encoding.empty() && encoding != "identity") {
    const std::string why = "Content-Encoding \"" + encoding +
                            "\" is not supported by litetrace-dump: send uncompressed "
                            "(OTEL_EXPORTER_OTLP_COMPRESSION=none)";
    std::fprintf(stderr, "litetrace-dump: %s sent a request with %s\n", c.peer.c_str(), why.c_str());
    c.out += http_response(415, answer_type, status_body(json, /*INVALID_ARGUMENT*/ 3, why), close);
    return;
  }

  const std::string source = c.peer + " over OTLP/HTTP " + (json ? "JSON" : "protobuf");
  ReceivedRequest& request = o_.traces ? kept_requests_.emplace_back() : scratch_;
  std::string error;
  const bool ok = json ? litetrace::tools::decode_otlp_json(r.body, request, &error)
                       : litetrace::tools::decode_otlp_protobuf(r.body, request, &error);
  if (!ok) {
    if (o_.traces) kept_requests_.pop_back();
    print_error(source, r.body.size(), "ExportTraceServiceRequest", error);
    c.out += http_response(400, answer_type, status_body(json, /*INVALID_ARGUMENT*/ 3, error), close);
  } else {
    if (request.rejected_spans != 0) {
      std::fprintf(stderr, "litetrace-dump: rejected %zu span(s) of the request from %s: %s\n",
                   request.rejected_spans, source.c_str(), request.rejected_reason.c_str());
    }
    take_request(request, source, r.body.size());
    c.out += http_response(200, answer_type, export_response(json, request.rejected_spans, request.rejected_reason),
                           close);
  }
  done_ = !counted();
}

bool Dump::write_pending(Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0) return false;  // the client is gone
    c.out.erase(0, static_cast<size_t>(n));
  }
  return !c.closing;
}

// With --count reached: the answers not yet written are written (for up to 2 s), so that
// no exporter sees its last request go unanswered.
void Dump::drain_responses() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (auto& c : connections_) {
    while (!c->out.empty() && write_pending(*c)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (c->out.empty() || left.count() <= 0) break;
      pollfd p{c->fd, POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(left.count()));
    }
  }
}

// Closes gracefully: the client reads the answer before it sees the end, not a reset for
// bytes it sent that were not read.
void close_connection(Connection& c) {
  ::shutdown(c.fd, SHUT_WR);
  char sink[4096];
  while (::recv(c.fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
  }
  ::close(c.fd);
}

int Dump::run(const std::vector<Listener>& listeners) {
  std::vector<uint8_t> buf(65536);
  std::vector<pollfd> fds;
  while (!done_) {
    fds.clear();
    for (const Listener& l : listeners) fds.push_back({l.fd, POLLIN, 0});
    const size_t first_connection = fds.size();
    for (const auto& c : connections_) {
      fds.push_back({c->fd, static_cast<short>(POLLIN | (c->out.empty() ? 0 : POLLOUT)), 0});
    }
    const int ready = ::poll(fds.data(), fds.size(), o_.timeout > 0 ? static_cast<int>(o_.timeout * 1000) : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "litetrace-dump: poll failed: %s\n", std::strerror(errno));
      return 1;
    }
    if (ready == 0) {
      if (o_.traces) {
        print_traces();
        return kept_ == 0 ? 3 : 0;
      }
      std::fprintf(stderr, "litetrace-dump: nothing came for %g s\n", o_.timeout);
      return 3;
    }
    for (size_t i = 0; i < listeners.size() && !done_; ++i) {
      if (fds[i].revents == 0) continue;
      const Listener& l = listeners[i];
      if (l.wire == Wire::kUdpCompact || l.wire == Wire::kUdpBinary) {
        if (!on_datagram(l, buf)) return 1;
      } else {
        accept_connections(l);
      }
    }
    // Connections accepted just now come after those polled.
    std::vector<std::unique_ptr<Connection>> open;
    for (size_t k = 0; k < connections_.size(); ++k) {
      Connection& c = *connections_[k];
      const bool polled = first_connection + k < fds.size();
      const bool ready_now = polled && fds[first_connection + k].revents != 0;
      if (done_ || !ready_now || on_readable(c)) {
        open.push_back(std::move(connections_[k]));
      } else {
        if (!c.out.empty() || c.closing) write_pending(c);
        close_connection(c);
      }
    }
    connections_ = std::move(open);
  }
  drain_responses();
  for (auto& c : connections_) close_connection(*c);
  connections_.clear();
  if (o_.traces) print_traces();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  // A port given on the command line must be had; a default one that is taken (another
  // collector runs here) is reported and the others are listened on without it.
  std::vector<Listener> listeners;
  const struct {
    const Port& port;
    Wire wire;
    const char* option;
    const char* what;
  } wanted[] = {
      {o.port, Wire::kUdpCompact, "--port", ""},
      {o.binary_port, Wire::kUdpBinary, "--binary-port", " (Jaeger binary Thrift)"},
      {o.http_port, Wire::kHttpJaeger, "--http-port", " (Jaeger: POST /api/traces)"},
      {o.otlp_port, Wire::kHttpOtlp, "--otlp-port", " (OTLP: POST /v1/traces)"},
      {o.zipkin_port, Wire::kHttpZipkin, "--zipkin-port", " (Zipkin: POST /api/v2/spans)"},
  };
  bool failed = false;
  for (const auto& w : wanted) {
    if (w.port.number == kOff) continue;
    const bool udp = w.wire == Wire::kUdpCompact || w.wire == Wire::kUdpBinary;
    std::string bound;
    std::string error;
    const int fd = open_socket(o, udp ? SOCK_DGRAM : SOCK_STREAM, w.port.number, bound, error);
    if (fd >= 0) {
      if (!udp) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      listeners.push_back({fd, w.wire});
      std::fprintf(stderr, "litetrace-dump %s listening on %s %s%s\n", litetrace::version(), udp ? "udp" : "http",
                   bound.c_str(), w.what);
      continue;
    }
    const std::string hint = w.port.given ? "" : std::string("; choose another with ") + w.option + " N, or " +
                                                     w.option + " off";
    std::fprintf(stderr, "litetrace-dump: %s%s\n", error.c_str(), hint.c_str());
    failed = failed || w.port.given;
  }
  if (failed || listeners.empty()) {
    for (const Listener& l : listeners) ::close(l.fd);
    return 1;
  }
  std::fflush(stderr);
  Dump dump(o);
  const int rc = dump.run(listeners);
  for (const Listener& l : listeners) ::close(l.fd);
  return rc;
}
