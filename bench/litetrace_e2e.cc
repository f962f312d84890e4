// End to end: N producer threads record spans for T seconds through the real rings,
// batcher and UDP sender to a receiver on loopback that counts the spans it gets; with
// --otlp, through the OTLP/HTTP exporter (protobuf) to an HTTP receiver on loopback that
// answers 200 and counts the spans in every request; with --jaeger-http, binary-Thrift
// Batches POSTed to a receiver that answers 202 as Jaeger's collector does and steps over
// every span of every Batch to count them.
//
//   ./build/bench/litetrace_e2e --threads 1 --seconds 5 [--otlp | --jaeger-http] [--batch N]
//
// Prints spans/s exported, ended, exported, dropped, received, packets, bytes per span,
// the batcher's CPU time, peak RSS; the last line is one JSON object with those fields.
// Producers run flat out, so a batcher that cannot keep up shows as dropped spans (counted,
// never blocking the producers).

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "jaeger/compact_reader.h"
#include "litetrace/trace.h"
#include "jaeger/binary_reader.h"
#include "otlp/proto_reader.h"

namespace {

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The number of spans in an emitBatch datagram, read without decoding the spans.
uint64_t span_count(const uint8_t* data, size_t size) {
  using namespace litetrace::detail;
  CompactReader r(data, size);
  r.read_message_begin();
  r.struct_begin();
  if (r.read_field_header().type != CType::kStruct) return 0;  // emitBatch_args.batch
  r.struct_begin();
  for (;;) {
    const FieldHeader f = r.read_field_header();
    if (f.stop || !r.ok()) return 0;
    if (f.id == 2 && f.type == CType::kList) return r.read_list_header().count;  // Batch.spans
    r.skip(f.type);
  }
}

struct Receiver {
  int fd = -1;
  uint16_t port = 0;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> spans{0};
  std::atomic<uint64_t> datagrams{0};
  double cpu = 0;
  std::thread thread;

  Receiver() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    const int size = 256 << 20;
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    thread = std::thread([this] { run(); });
  }

  void run() {
    std::vector<uint8_t> buf(70000);
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) {
        if (stop.load()) break;
        continue;
      }
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) continue;
      spans.fetch_add(span_count(buf.data(), static_cast<size_t>(n)), std::memory_order_relaxed);
      datagrams.fetch_add(1, std::memory_order_relaxed);
    }
    cpu = thread_cpu_seconds();
  }
};

// The number of spans in an ExportTraceServiceRequest: resource_spans (1) -> scope_spans
// (2) -> spans (2), counted without decoding the spans.
uint64_t otlp_span_count(std::string_view body) {
  using litetrace::detail::ProtoField;
  using litetrace::detail::ProtoReader;
  uint64_t n = 0;
  ProtoReader request(body);
  ProtoField rs;
  while (request.next(rs)) {
    if (rs.number != 1) continue;
    ProtoReader resource_spans(rs.bytes);
    ProtoField ss;
    while (resource_spans.next(ss)) {
      if (ss.number != 2) continue;
      ProtoReader scope_spans(ss.bytes);
      ProtoField span;
      while (scope_spans.next(span)) n += span.number == 2 ? 1 : 0;
    }
  }
  return n;
}

// The number of spans in a bare binary-Thrift Batch: Batch.process stepped over, then the
// count Batch.spans declares, as span_count() reads a datagram's; the body must end with
// the Batch's stop byte.
uint64_t jaeger_span_count(std::string_view body) {
  using litetrace::detail::CType;
  litetrace::detail::BinaryReader r(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  r.struct_begin();
  for (litetrace::detail::FieldHeader f = r.read_field_header(); !f.stop && r.ok(); f = r.read_field_header()) {
    if (f.id == 2 && f.type == CType::kList) {
      const uint32_t n = r.read_list_header().count;
      return r.ok() && !body.empty() && body.back() == '\0' ? n : 0;
    }
    r.skip(f.type);
  }
  return 0;
}

// An OTLP/HTTP receiver, or with `jaeger` Jaeger's collector API: keep-alive connections,
// Content-Length bodies, 200 (202) to each.
struct HttpReceiver {
  int listener = -1;
  uint16_t port = 0;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> spans{0};
  std::atomic<uint64_t> requests{0};
  double cpu = 0;
  bool jaeger = false;
  std::thread thread;

  explicit HttpReceiver(bool jaeger_collector) : jaeger(jaeger_collector) {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener, 4);
    socklen_t len = sizeof a;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    thread = std::thread([this] { run(); });
  }

  void run() {
    while (!stop.load()) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int fd = ::accept(listener, nullptr, nullptr);
      if (fd >= 0) serve(fd);
    }
    cpu = thread_cpu_seconds();
  }

  // Requests are read into one buffer and counted where they lie: no copy beyond the
  // kernel's, so that the receiver takes as little as it can of the CPU the exporter needs.
  void serve(int fd) {
    const timeval poll_stop{0, 100 * 1000};  // recv returns every 100 ms to look at `stop`
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &poll_stop, sizeof poll_stop);
    std::vector<char> buf(8 << 20);
    size_t begin = 0;  // the first byte not yet taken
    size_t end = 0;    // the end of what was received
    static const char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    static const char kAccepted[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
    const std::string_view answer = jaeger ? std::string_view(kAccepted, sizeof kAccepted - 1)
                                           : std::string_view(kOk, sizeof kOk - 1);
    for (;;) {
      const std::string_view in(buf.data() + begin, end - begin);
      const size_t head_end = in.find("\r\n\r\n");
      if (head_end != std::string_view::npos) {
        const size_t at = in.find("Content-Length: ");
        const size_t length = at < head_end ? std::strtoul(in.data() + at + 16, nullptr, 10) : 0;
        if (in.size() >= head_end + 4 + length) {
          const std::string_view body = in.substr(head_end + 4, length);
          spans.fetch_add(jaeger ? jaeger_span_count(body) : otlp_span_count(body), std::memory_order_relaxed);
          requests.fetch_add(1, std::memory_order_relaxed);
          begin += head_end + 4 + length;
          if (begin == end) begin = end = 0;
          if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) break;
          continue;
        }
      }
      if (buf.size() - end < (1 << 20)) {  // keep room for a large read: the partial request to the front
        std::memmove(buf.data(), buf.data() + begin, end - begin);
        end -= begin;
        begin = 0;
        if (buf.size() - end < (1 << 20)) buf.resize(buf.size() * 2);
      }
      const ssize_t n = ::recv(fd, buf.data() + end, buf.size() - end, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (stop.load()) break;
        continue;
      }
      if (n <= 0) break;
      end += static_cast<size_t>(n);
    }
    ::close(fd);
  }
};

// User and system CPU seconds of the thread named "litetrace" (the batcher), from /proc.
bool batcher_cpu_from_proc(double* user, double* system) {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return false;
  bool found = false;
  while (dirent* e = readdir(dir)) {
    const std::string base = std::string("/proc/self/task/") + e->d_name;
    char name[64] = {};
    if (FILE* f = std::fopen((base + "/comm").c_str(), "r")) {
      if (std::fgets(name, sizeof name, f) == nullptr) name[0] = '\0';
      std::fclose(f);
    }
    if (std::strncmp(name, "litetrace", 9) != 0) continue;
    if (FILE* f = std::fopen((base + "/stat").c_str(), "r")) {
      char buf[1024] = {};
      const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      buf[n] = '\0';
      const char* p = std::strrchr(buf, ')');  // fields after the command name
      unsigned long utime = 0;
      unsigned long stime = 0;
      if (p != nullptr && std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2) {
        const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
        *user = static_cast<double>(utime) / tick;
        *system = static_cast<double>(stime) / tick;
        found = true;
      }
    }
  }
  closedir(dir);
  return found;
}

long arg(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atol(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = static_cast<int>(arg(argc, argv, "--threads", 1));
  const double seconds = static_cast<double>(arg(argc, argv, "--seconds", 5));
  const long ring = arg(argc, argv, "--ring", 256 * 1024);
  bool otlp = false;
  bool jaeger_http = false;
  for (int i = 1; i < argc; ++i) {
    otlp = otlp || std::strcmp(argv[i], "--otlp") == 0;
    jaeger_http = jaeger_http || std::strcmp(argv[i], "--jaeger-http") == 0;
  }
  const bool http = otlp || jaeger_http;

  Receiver receiver;
  HttpReceiver http_receiver(jaeger_http);
  litetrace::TracerProviderOptions o;
  o.service_name = "e2e";
  o.agent_host = "127.0.0.1";
  o.agent_port = receiver.port;
  if (otlp) {
    o.exporter = litetrace::TracesExporter::kOtlp;
    o.otlp_endpoint = "http://127.0.0.1:" + std::to_string(http_receiver.port) + "/v1/traces";
  }
  if (jaeger_http) {
    o.jaeger_protocol = litetrace::JaegerProtocol::kHttpThriftBinary;
    o.jaeger_endpoint = "http://127.0.0.1:" + std::to_string(http_receiver.port) + "/api/traces";
  }
  if (http) o.max_export_batch_size = static_cast<size_t>(arg(argc, argv, "--batch", 512));
  o.ring_bytes_per_thread = static_cast<size_t>(ring);
  o.on_diagnostic = [](const litetrace::Diagnostic& d) {
    std::fprintf(stderr, "diagnostic: %.*s\n", static_cast<int>(d.message.size()), d.message.data());
  };
  const double cpu_before = process_cpu_seconds();
  litetrace::TracerProvider provider(o);
  litetrace::Tracer tracer = provider.tracer("");  // no scope tags: ~100-byte spans

  std::vector<double> producer_cpu(static_cast<size_t>(threads));
  std::vector<std::thread> producers;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([&, t] {
      int64_t i = 0;
      while (std::chrono::steady_clock::now() < deadline) {
        for (int k = 0; k < 1024; ++k) {
          litetrace::Span s = tracer.start_span("operation");
          s.set_attribute("http.method", "GET");
          s.set_attribute("user.id", ++i);
        }
      }
      producer_cpu[static_cast<size_t>(t)] = thread_cpu_seconds();
    });
  }
  for (std::thread& p : producers) p.join();
  double batcher_user = 0;
  double batcher_system = 0;
  const bool have_split = batcher_cpu_from_proc(&batcher_user, &batcher_system);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  provider.shutdown(std::chrono::seconds(30));
  const double flushed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  receiver.stop = true;
  receiver.thread.join();
  http_receiver.stop = true;
  http_receiver.thread.join();

  const litetrace::TracerStats s = provider.stats();
  const uint64_t received = http ? http_receiver.spans.load() : receiver.spans.load();
  const uint64_t transfers = http ? s.requests_sent : s.packets_sent;  // requests or datagrams
  const char* const name = otlp ? "OTLP/HTTP" : jaeger_http ? "Jaeger HTTP" : "Jaeger UDP";
  const uint64_t dropped = s.spans_dropped_queue + s.spans_dropped_too_large + s.spans_failed + s.spans_rejected +
                           s.spans_dropped_export_queue;
  double producers_total = 0;
  for (double c : producer_cpu) producers_total += c;
  const double batcher_cpu = process_cpu_seconds() - cpu_before - producers_total - receiver.cpu - http_receiver.cpu;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double exported_per_s = static_cast<double>(s.spans_exported) / flushed;
  const double bytes_per_span = s.spans_exported ? static_cast<double>(s.bytes_sent) / static_cast<double>(s.spans_exported) : 0;

  std::printf("%s, threads %d, %.2f s producing, %.2f s until flushed\n", name, threads, elapsed, flushed);
  std::printf("spans/s exported %.0f\n", exported_per_s);
  std::printf("ended     %llu\nexported  %llu\ndropped   %llu (ring full %llu, too large %llu, send failed %llu, "
              "rejected %llu, export queue full %llu)\n",
              static_cast<unsigned long long>(s.spans_ended), static_cast<unsigned long long>(s.spans_exported),
              static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(s.spans_dropped_queue),
              static_cast<unsigned long long>(s.spans_dropped_too_large), static_cast<unsigned long long>(s.spans_failed),
              static_cast<unsigned long long>(s.spans_rejected),
              static_cast<unsigned long long>(s.spans_dropped_export_queue));
  if (have_split) {
    std::printf("litetrace threads while producing: %.2f s user, %.2f s system\n", batcher_user, batcher_system);
  }
  std::printf("received  %llu\n%s %llu\nbytes/span %.1f\nbackground CPU %.2f s (%.0f ns per exported span)\n"
              "peak RSS %ld KiB\n",
              static_cast<unsigned long long>(received), http ? "requests " : "packets  ",
              static_cast<unsigned long long>(transfers), bytes_per_span, batcher_cpu,
              s.spans_exported ? batcher_cpu * 1e9 / static_cast<double>(s.spans_exported) : 0, ru.ru_maxrss);
  std::printf("{\"exporter\":\"%s\",\"threads\":%d,\"seconds\":%.3f,\"spans_per_s_exported\":%.0f,\"ended\":%llu,"
              "\"exported\":%llu,\"dropped\":%llu,\"received\":%llu,\"transfers\":%llu,\"bytes_per_span\":%.1f,"
              "\"batcher_cpu_s\":%.3f,\"batcher_ns_per_span\":%.1f,\"peak_rss_kib\":%ld}\n",
              otlp ? "otlp" : jaeger_http ? "jaeger-http" : "jaeger", threads, flushed, exported_per_s, static_cast<unsigned long long>(s.spans_ended),
              static_cast<unsigned long long>(s.spans_exported), static_cast<unsigned long long>(dropped),
              static_cast<unsigned long long>(received), static_cast<unsigned long long>(transfers), bytes_per_span,
              batcher_cpu, s.spans_exported ? batcher_cpu * 1e9 / static_cast<double>(s.spans_exported) : 0,
              ru.ru_maxrss);
  const bool accounted = s.spans_ended == s.spans_exported + dropped;
  return accounted ? 0 : 1;
}
