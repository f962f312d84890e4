// End to end: N producer threads record spans for T seconds through the real rings,
// batcher and UDP sender to a receiver on loopback that counts the spans it gets.
//
//   ./build/bench/litetrace_e2e --threads 1 --seconds 5
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
#include <unistd.h>

#include <atomic>
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

  Receiver receiver;
  litetrace::TracerProviderOptions o;
  o.service_name = "e2e";
  o.agent_host = "127.0.0.1";
  o.agent_port = receiver.port;
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

  const litetrace::TracerStats s = provider.stats();
  double producers_total = 0;
  for (double c : producer_cpu) producers_total += c;
  const double batcher_cpu = process_cpu_seconds() - cpu_before - producers_total - receiver.cpu;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double exported_per_s = static_cast<double>(s.spans_exported) / flushed;
  const double bytes_per_span = s.spans_exported ? static_cast<double>(s.bytes_sent) / static_cast<double>(s.spans_exported) : 0;

  std::printf("threads %d, %.2f s producing, %.2f s until flushed\n", threads, elapsed, flushed);
  std::printf("spans/s exported %.0f\n", exported_per_s);
  std::printf("ended     %llu\nexported  %llu\ndropped   %llu (ring full %llu, too large %llu, send failed %llu)\n",
              static_cast<unsigned long long>(s.spans_ended), static_cast<unsigned long long>(s.spans_exported),
              static_cast<unsigned long long>(s.spans_dropped_queue + s.spans_dropped_too_large + s.spans_failed),
              static_cast<unsigned long long>(s.spans_dropped_queue),
              static_cast<unsigned long long>(s.spans_dropped_too_large), static_cast<unsigned long long>(s.spans_failed));
  if (have_split) {
    std::printf("batcher thread while producing: %.2f s user, %.2f s system\n", batcher_user, batcher_system);
  }
  std::printf("received  %llu\npackets   %llu\nbytes/span %.1f\nbatcher CPU %.2f s (%.0f ns per exported span)\npeak RSS %ld KiB\n",
              static_cast<unsigned long long>(receiver.spans.load()), static_cast<unsigned long long>(s.packets_sent),
              bytes_per_span, batcher_cpu, s.spans_exported ? batcher_cpu * 1e9 / static_cast<double>(s.spans_exported) : 0,
              ru.ru_maxrss);
  std::printf("{\"threads\":%d,\"seconds\":%.3f,\"spans_per_s_exported\":%.0f,\"ended\":%llu,\"exported\":%llu,"
              "\"dropped\":%llu,\"received\":%llu,\"packets\":%llu,\"bytes_per_span\":%.1f,\"batcher_cpu_s\":%.3f,"
              "\"batcher_ns_per_span\":%.1f,\"peak_rss_kib\":%ld}\n",
              threads, flushed, exported_per_s, static_cast<unsigned long long>(s.spans_ended),
              static_cast<unsigned long long>(s.spans_exported),
              static_cast<unsigned long long>(s.spans_dropped_queue + s.spans_dropped_too_large + s.spans_failed),
              static_cast<unsigned long long>(receiver.spans.load()), static_cast<unsigned long long>(s.packets_sent),
              bytes_per_span, batcher_cpu,
              s.spans_exported ? batcher_cpu * 1e9 / static_cast<double>(s.spans_exported) : 0, ru.ru_maxrss);
  const bool accounted = s.spans_ended == s.spans_exported + s.spans_dropped_queue + s.spans_dropped_too_large + s.spans_failed;
  return accounted ? 0 : 1;
}
