// What litetrace's default configuration costs in memory: RSS before a TracerProvider, and
// with the provider running and N threads that have each filled their span ring; both
// resident memory and its anonymous part (heap and stacks, without the pages of code the
// new calls brought in). With --threads 0: a started provider no thread has traced with.
//
//   ./build/bench/litetrace_memory --threads 8
//   ./build/bench/litetrace_memory --threads 0

#include <litetrace/trace.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "support/process_usage.h"

namespace {

using litetrace::test::rss_anon_kib;
using litetrace::test::rss_kib;

}  // namespace

int main(int argc, char** argv) {
  int threads = 8;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  }
  const long before = rss_kib();
  const long before_anon = rss_anon_kib();
  litetrace::TracerProviderOptions o;  // the defaults, but for a quiet agent address
  o.agent_host = "127.0.0.1";
  o.agent_port = 9;
  o.on_diagnostic = [](const litetrace::Diagnostic&) {};
  litetrace::TracerProvider provider(o);
  litetrace::Tracer tracer = provider.tracer("memory");
  provider.force_flush();  // the batcher has started and made a pass
  std::atomic<int> ready{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      // Far more than a ring holds: every ring ends up full at least once.
      for (int k = 0; k < 200000; ++k) {
        litetrace::Span s = tracer.start_span("operation");
        s.set_attribute("k", k);
      }
      ++ready;
      while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  while (ready < threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const long during = rss_kib();
  const long during_anon = rss_anon_kib();
  done = true;
  for (std::thread& w : workers) w.join();
  std::printf("RSS before the provider %ld KiB; with it and %d tracing threads %ld KiB: +%ld KiB "
              "(thread stacks included); anonymous +%ld KiB\n",
              before, threads, during, during - before, during_anon - before_anon);
  std::printf("{\"threads\":%d,\"rss_before_kib\":%ld,\"rss_with_tracing_kib\":%ld,\"added_kib\":%ld,"
              "\"added_anon_kib\":%ld}\n",
              threads, before, during, during - before, during_anon - before_anon);
  return 0;
}
