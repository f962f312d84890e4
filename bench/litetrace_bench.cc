// Microbenchmarks of litetrace's hot path and encoder, each read against a floor measured
// in the same run: BM_Floor_TwoClockReads is what merely timing a span costs (two
// clock_gettime(CLOCK_REALTIME) through the vDSO and a 128-byte copy).
//
//   ./build/bench/litetrace_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
//
// Spans go through a real TracerProvider whose batcher sends them to a UDP socket of this
// process that nobody reads. Each thread flushes every kFlushEvery spans with the timer
// paused, so every timed span takes the real path into a ring with room (and a "dropped"
// counter shows it stayed that way). p50/p99 counters come from timing batches of 32 spans
// with the TSC.

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "compact_writer.h"
#include "jaeger_encoder.h"
#include "litetrace/trace.h"
#include "tick_clock.h"

namespace {

constexpr int kFlushEvery = 1 << 16;

struct BenchTracing {
  int sink = -1;
  std::unique_ptr<litetrace::TracerProvider> provider;
  litetrace::Tracer tracer;

  BenchTracing() {
    sink = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(sink, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(sink, reinterpret_cast<sockaddr*>(&a), &len);
    litetrace::TracerProviderOptions o;
    o.service_name = "bench";
    o.agent_host = "127.0.0.1";
    o.agent_port = ntohs(a.sin_port);
    o.ring_bytes_per_thread = 32u << 20;  // kFlushEvery spans fit with room to spare
    o.on_diagnostic = [](const litetrace::Diagnostic&) {};
    provider = std::make_unique<litetrace::TracerProvider>(o);
    tracer = provider->tracer("bench", "1");
  }
};

BenchTracing& tracing() {
  static BenchTracing t;
  return t;
}

// Runs `body` once per iteration, flushing with the timer paused every kFlushEvery spans,
// and reports p50/p99 per span from TSC-timed batches of 32.
template <typename Body>
void run_spans(benchmark::State& state, Body body) {
  BenchTracing& t = tracing();
  const uint64_t dropped_before = t.provider->stats().spans_dropped_queue;
  std::vector<uint64_t> batch_ticks;
  batch_ticks.reserve(1 << 16);
  int since_flush = 0;
  int in_batch = 0;
  uint64_t batch_start = litetrace::detail::read_ticks();
  for (auto _ : state) {
    body(t.tracer);
    if (++in_batch == 32) {
      const uint64_t now = litetrace::detail::read_ticks();
      if (batch_ticks.size() < batch_ticks.capacity()) batch_ticks.push_back(now - batch_start);
      batch_start = now;
      in_batch = 0;
    }
    if (++since_flush == kFlushEvery) {
      state.PauseTiming();
      t.provider->force_flush();
      since_flush = 0;
      state.ResumeTiming();
      batch_start = litetrace::detail::read_ticks();
    }
  }
  // The timed loop is over; what follows is not measured.
  t.provider->force_flush();
  if (state.thread_index() == 0 && !batch_ticks.empty()) {
    litetrace::detail::TickConverter clock;  // ~1 ms calibration, outside the timing
    std::sort(batch_ticks.begin(), batch_ticks.end());
    const auto per_span_ns = [&](double q) {
      return static_cast<double>(batch_ticks[static_cast<size_t>(q * static_cast<double>(batch_ticks.size() - 1))]) *
             clock.ns_per_tick() / 32.0;
    };
    state.counters["p50_ns"] = per_span_ns(0.50);
    state.counters["p99_ns"] = per_span_ns(0.99);
  }
  state.counters["dropped"] = static_cast<double>(t.provider->stats().spans_dropped_queue - dropped_before);
}

void BM_Floor_TwoClockReads(benchmark::State& state) {
  char src[128];
  char dst[128];
  std::memset(src, 'x', sizeof src);
  for (auto _ : state) {
    timespec a;
    timespec b;
    clock_gettime(CLOCK_REALTIME, &a);
    std::memcpy(dst, src, sizeof dst);
    benchmark::DoNotOptimize(dst);
    clock_gettime(CLOCK_REALTIME, &b);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Floor_TwoClockReads)->Threads(1)->Threads(2);

void BM_SpanStartEnd(benchmark::State& state) {
  run_spans(state, [](litetrace::Tracer& tracer) { tracer.start_span("operation").end(); });
}
BENCHMARK(BM_SpanStartEnd)->Threads(1)->Threads(2);

void BM_SpanStartEnd2Attrs(benchmark::State& state) {
  int64_t i = 0;
  run_spans(state, [&](litetrace::Tracer& tracer) {
    litetrace::Span s = tracer.start_span("operation");
    s.set_attribute("http.method", "GET");
    s.set_attribute("user.id", ++i);
  });
}
BENCHMARK(BM_SpanStartEnd2Attrs)->Threads(1)->Threads(2);

void BM_SpanUnsampled(benchmark::State& state) {
  litetrace::SpanContext unsampled;
  unsampled.trace_id = {1, 2};
  unsampled.span_id = 3;
  unsampled.flags = 0;
  litetrace::Scope scope(unsampled);
  litetrace::Tracer& tracer = tracing().tracer;
  for (auto _ : state) {
    litetrace::Span s = tracer.start_span("not sampled");
    s.set_attribute("user.id", 42);
  }
}
BENCHMARK(BM_SpanUnsampled);

// The encoder alone: a ~100-byte span (ids, name, times, two tags) into a packet buffer.
void BM_EncodeSpan(benchmark::State& state) {
  using namespace litetrace::detail;
  const Tag tags[] = {Tag::string("http.method", "GET"), Tag::int64("user.id", 123456)};
  Span span;
  span.trace_id_low = 0x1234567890abcdefu;
  span.trace_id_high = 0xfedcba0987654321u;
  span.span_id = 0x1122334455667788u;
  span.parent_span_id = 0x8877665544332211u;
  span.operation_name = "operation";
  span.start_time_us = 1700000000000000;
  span.duration_us = 1234;
  span.tags = slice_of(tags);
  std::vector<uint8_t> buf(65536);
  const size_t size = encoded_size(span);
  size_t offset = 0;
  for (auto _ : state) {
    if (offset + size > buf.size()) offset = 0;
    CompactWriter w(buf.data() + offset, buf.size() - offset);
    encode_span(w, span);
    offset += w.size();
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
  state.counters["span_bytes"] = static_cast<double>(size);
}
BENCHMARK(BM_EncodeSpan);

}  // namespace

BENCHMARK_MAIN();
