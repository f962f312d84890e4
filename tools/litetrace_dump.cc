// litetrace-dump: see what Jaeger would receive, without running Jaeger.
//
// Listens for Agent.emitBatch datagrams (compact Thrift over UDP, what every Jaeger client
// sends to port 6831), decodes each with litetrace's reader and prints it: a span tree by
// default, one JSON object per batch with --json, or, with --traces, one tree per trace
// across all the services that sent spans of it. A malformed datagram is reported and the
// tool goes on.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "batch_printer.h"
#include "jaeger/jaeger_decoder.h"
#include "litetrace/version.h"

namespace {

constexpr const char* kUsage =
    "usage: litetrace-dump [--port N] [--bind ADDRESS] [--json | --traces] [--count N] [--timeout SECONDS]\n"
    "\n"
    "Listens for Jaeger emitBatch datagrams (compact Thrift over UDP) and prints them.\n"
    "  --port N          UDP port to listen on (default 6831; 0 picks a free one)\n"
    "  --bind ADDRESS    address to listen on (default :: , which also takes IPv4)\n"
    "  --json            one JSON object per datagram instead of a span tree\n"
    "  --traces          collect, then print one tree per trace across services, when --count\n"
    "                    datagrams came or none came for --timeout seconds (default 2)\n"
    "  --count N         exit after N datagrams\n"
    "  --timeout SECONDS exit with status 3 when no datagram came for that long\n";

struct Options {
  int port = 6831;
  std::string bind;
  bool json = false;
  bool traces = false;
  long count = 0;
  double timeout = 0;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    char* end = nullptr;
    if (a == "--traces") {
      o.traces = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--port" && has_value) {
      o.port = static_cast<int>(std::strtol(argv[++i], &end, 10));
      if (*end != '\0' || o.port < 0 || o.port > 65535) return false;
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

int open_socket(const Options& o, std::string& bound) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_family = o.bind.empty() ? AF_INET6 : AF_UNSPEC;
  const std::string port = std::to_string(o.port);
  addrinfo* found = nullptr;
  int rc = getaddrinfo(o.bind.empty() ? nullptr : o.bind.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 && o.bind.empty()) {  // no IPv6 here: IPv4 only
    hints.ai_family = AF_INET;
    rc = getaddrinfo(nullptr, port.c_str(), &hints, &found);
  }
  if (rc != 0) {
    std::fprintf(stderr, "litetrace-dump: cannot resolve %s: %s\n", o.bind.c_str(), gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  int err = 0;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int off = 0;
    if (ai->ai_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    // Jaeger clients send bursts of 64 KB datagrams; give them room.
    const int size = 8 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    std::fprintf(stderr, "litetrace-dump: cannot listen on UDP port %d: %s\n", o.port, std::strerror(err));
    return -1;
  }
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  bound = address_text(a, len);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string bound;
  const int fd = open_socket(o, bound);
  if (fd < 0) return 1;
  std::fprintf(stderr, "litetrace-dump %s listening on udp %s\n", litetrace::version(), bound.c_str());
  std::fflush(stderr);

  std::vector<uint8_t> buf(65536);
  litetrace::detail::DecodedBatch batch;
  std::string error;
  // --traces: every datagram and its batch, kept until the end (the batches' views point
  // into the datagrams; deques keep both in place).
  std::deque<std::vector<uint8_t>> kept_datagrams;
  std::deque<litetrace::detail::DecodedBatch> kept_batches;
  auto print_traces = [&] {
    std::vector<const litetrace::detail::DecodedBatch*> batches;
    for (const auto& b : kept_batches) batches.push_back(&b);
    std::printf("%s", litetrace::tools::format_traces(batches).c_str());
    std::fflush(stdout);
  };
  for (long seen = 0; o.count == 0 || seen < o.count; ++seen) {
    if (o.timeout > 0) {
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(o.timeout * 1000));
      if (ready == 0) {
        if (o.traces) {
          print_traces();
          return kept_batches.empty() ? 3 : 0;
        }
        std::fprintf(stderr, "litetrace-dump: no datagram for %g s\n", o.timeout);
        return 3;
      }
    }
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "litetrace-dump: receive failed: %s\n", std::strerror(errno));
      return 1;
    }
    const std::string source = address_text(from, from_len);
    const size_t size = static_cast<size_t>(n);
    if (o.traces) {
      kept_datagrams.emplace_back(buf.begin(), buf.begin() + n);
      kept_batches.emplace_back();
      if (litetrace::detail::decode_emit_batch(kept_datagrams.back().data(), size, kept_batches.back(), &error)) {
        continue;
      }
      kept_batches.pop_back();
      kept_datagrams.pop_back();
      std::fprintf(stderr, "litetrace-dump: %zu-byte datagram from %s is not a valid emitBatch: %s\n", size,
                   source.c_str(), error.c_str());
      continue;
    }
    if (!litetrace::detail::decode_emit_batch(buf.data(), size, batch, &error)) {
      std::fprintf(stderr, "litetrace-dump: %zu-byte datagram from %s is not a valid emitBatch: %s\n", size,
                   source.c_str(), error.c_str());
      if (o.json) {
        std::printf("{\"source\":%s,\"bytes\":%zu,\"error\":%s}\n", litetrace::tools::json_string(source).c_str(),
                    size, litetrace::tools::json_string(error).c_str());
      }
    } else if (o.json) {
      std::printf("%s\n", litetrace::tools::format_json(batch, source).c_str());
    } else {
      std::printf("%s", litetrace::tools::format_text(batch, source + ", " + std::to_string(size) + " bytes").c_str());
    }
    std::fflush(stdout);
  }
  if (o.traces) print_traces();
  ::close(fd);
  return 0;
}
