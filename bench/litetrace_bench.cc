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

#include "core/span_record.h"
#include "core/tick_clock.h"
#include "jaeger/compact_writer.h"
#include "jaeger/exporter.h"
#include "jaeger/jaeger_encoder.h"
#include "otlp/otlp_encoder.h"
#include "otlp/otlp_mapper.h"
#include "zipkin/zipkin_format.h"
#include "jaeger/span_mapper.h"
#include "litetrace/litetrace.h"
#include "litetrace/sampler.h"
#include "litetrace/trace.h"

namespace {

constexpr int kFlushEvery = 1 << 16;

struct BenchTracing {
  int sink = -1;
  std::shared_ptr<litetrace::TracerProvider> provider;  // also the global provider
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
    provider = std::make_shared<litetrace::TracerProvider>(o);
    tracer = provider->tracer("bench", "1");
    litetrace::set_global_provider(provider);
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
    litetrace::detail::TickConverter clock;  // ~20 ms to learn the rate, outside the timing
    clock.wait_until_ready();
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

// The least a span recorded the way litetrace records it can cost: the two CPU-counter
// reads of the hot path and copying BM_SpanStartEnd2Attrs's 160-byte record to the next
// place in a 1 MiB buffer. No ids, no parent, no attributes, no publishing.
void BM_Floor_TwoTickReads(benchmark::State& state) {
  constexpr size_t kRecord = 160;
  constexpr size_t kBuffer = 1u << 20;
  alignas(64) uint8_t record[kRecord];
  std::memset(record, 'x', sizeof record);
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[kBuffer]);
  size_t at = 0;
  for (auto _ : state) {
    const uint64_t start = litetrace::detail::read_ticks();
    benchmark::DoNotOptimize(start);
    const uint64_t end = litetrace::detail::read_ticks();
    std::memcpy(record, &start, sizeof start);
    std::memcpy(record + 8, &end, sizeof end);
    std::memcpy(buffer.get() + at, record, kRecord);
    at = (at + kRecord) % (kBuffer - kRecord);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Floor_TwoTickReads);

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

// The same through a library's global tracer (global_tracer), to the same provider,
// installed as the global one: against BM_SpanStartEnd2Attrs, the goal is at most 1.1x.
void BM_GlobalSpanStartEnd2Attrs(benchmark::State& state) {
  static const litetrace::Tracer global = litetrace::global_tracer("bench", "1");
  int64_t i = 0;
  run_spans(state, [&](litetrace::Tracer&) {
    litetrace::Span s = global.start_span("operation");
    s.set_attribute("http.method", "GET");
    s.set_attribute("user.id", ++i);
  });
}
BENCHMARK(BM_GlobalSpanStartEnd2Attrs)->Threads(1)->Threads(2);

// The same through the C API (litetrace.h), with a C handle on the same global tracer: the
// C layer's own cost against BM_GlobalSpanStartEnd2Attrs; the goal is at most 1.1x.
void BM_CSpanStartEnd2Attrs(benchmark::State& state) {
  static litetrace_tracer* const global = litetrace_global_tracer("bench", "1");
  int64_t i = 0;
  run_spans(state, [&](litetrace::Tracer&) {
    litetrace_span s;
    litetrace_span_start(global, &s, "operation", nullptr);
    litetrace_span_set_string(&s, "http.method", "GET");
    litetrace_span_set_int64(&s, "user.id", ++i);
    litetrace_span_end(&s);
  });
}
BENCHMARK(BM_CSpanStartEnd2Attrs)->Threads(1)->Threads(2);

// A library's span before the application installs a provider: a no-op that carries the
// incoming context on. Against BM_SpanUnsampled: the goal is at most 10 ns.
void BM_GlobalSpanNoProvider(benchmark::State& state) {
  static const litetrace::Tracer global = litetrace::global_tracer("bench", "1");
  tracing();  // made first, so that removing its provider below is what lasts
  if (state.thread_index() == 0) litetrace::set_global_provider(nullptr);
  litetrace::SpanContext incoming;
  incoming.trace_id = {1, 2};
  incoming.span_id = 3;
  incoming.flags = litetrace::kTraceFlagSampled;
  litetrace::Scope scope(incoming);
  for (auto _ : state) {
    litetrace::Span s = global.start_span("no provider");
    s.set_attribute("user.id", 42);
    benchmark::DoNotOptimize(s.context().span_id);
  }
  if (state.thread_index() == 0) litetrace::set_global_provider(tracing().provider);
}
BENCHMARK(BM_GlobalSpanNoProvider);

// One open span whose attribute, name and status change again and again (a progress
// counter, a phase, a retry description): the cost of one replacement, which must not grow
// with how many came before. Arg: replacements per span.
void BM_ReplaceAttribute(benchmark::State& state) {
  litetrace::Tracer& tracer = tracing().tracer;
  const int64_t per_span = state.range(0);
  const std::string phases[] = {"connect", "handshake", "request", "read"};
  litetrace::Span span = tracer.start_span("long-running");
  span.set_attribute("http.method", "GET");
  int64_t i = 0;
  for (auto _ : state) {
    span.set_attribute("progress", i);
    span.set_attribute("phase", phases[i & 3]);  // lengths vary: replaced by a new item
    if (++i % per_span == 0) {
      state.PauseTiming();
      span = tracer.start_span("long-running");
      span.set_attribute("http.method", "GET");
      state.ResumeTiming();
    }
  }
  state.counters["replacements"] = benchmark::Counter(static_cast<double>(2 * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReplaceAttribute)->Arg(100)->Arg(20000);

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

// A new trace that a configured sampler turns down (TraceIdRatio 0 behind ParentBased):
// ids, the sampler's virtual call, no record.
void BM_SpanRootNotSampledByRatio(benchmark::State& state) {
  litetrace::TracerProviderOptions o;
  o.agent_host = "127.0.0.1";
  o.sampler = std::make_shared<litetrace::ParentBasedSampler>(std::make_shared<litetrace::TraceIdRatioSampler>(0.0));
  o.on_diagnostic = [](const litetrace::Diagnostic&) {};
  litetrace::TracerProvider provider(o);
  litetrace::Tracer tracer = provider.tracer("bench");
  uint64_t sampled = 0;
  for (auto _ : state) {
    litetrace::Span s = tracer.start_span("not sampled");
    sampled += s.is_recording() ? 1 : 0;
  }
  state.counters["sampled"] = static_cast<double>(sampled);  // a few ids land on 0 of 2^63
}
BENCHMARK(BM_SpanRootNotSampledByRatio);

// The encoder alone: a ~100-byte span (ids, name, times, two tags) into a packet buffer, in
// compact Thrift (BM_EncodeSpan, the agent's port 6831) or binary Thrift
// (BM_EncodeSpanBinary, the collector's HTTP API and the agent's port 6832).
template <typename Writer>
void encode_span_bench(benchmark::State& state) {
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
  Writer sizing;
  encode_span(sizing, span);
  const size_t size = sizing.size();
  size_t offset = 0;
  for (auto _ : state) {
    if (offset + size > buf.size()) offset = 0;
    Writer w(buf.data() + offset, buf.size() - offset);
    encode_span(w, span);
    offset += w.size();
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
  state.counters["span_bytes"] = static_cast<double>(size);
}
void BM_EncodeSpan(benchmark::State& state) { encode_span_bench<litetrace::detail::CompactWriter>(state); }
BENCHMARK(BM_EncodeSpan);
void BM_EncodeSpanBinary(benchmark::State& state) { encode_span_bench<litetrace::detail::BinaryWriter>(state); }
BENCHMARK(BM_EncodeSpanBinary);

// The same span as an OTLP protobuf Span (what ScopeSpans.spans holds: tag, length, body),
// with its length computed as the encoder must before writing. Against BM_EncodeSpan in
// the same run: the goal is at most 1.5x its time.
void BM_EncodeSpanOtlp(benchmark::State& state) {
  using namespace litetrace::detail;
  const otlp::KeyValue attributes[] = {{"http.method", otlp::AnyValue::string("GET")},
                                       {"user.id", otlp::AnyValue::of(int64_t{123456})}};
  otlp::Span span;
  span.trace_id = {0xfedcba0987654321u, 0x1234567890abcdefu};
  span.span_id = 0x1122334455667788u;
  span.parent_span_id = 0x8877665544332211u;
  span.flags = otlp::kFlagsContextHasIsRemote | 1;
  span.name = "operation";
  span.start_time_unix_nano = 1700000000000000000u;
  span.end_time_unix_nano = 1700000000001234000u;
  span.attributes = slice_of(attributes);
  std::vector<uint8_t> buf(65536);
  const size_t size = length_delimited_field_size(2, otlp::body_size(span));
  size_t offset = 0;
  for (auto _ : state) {
    if (offset + size > buf.size()) offset = 0;
    ProtoWriter w(buf.data() + offset, buf.size() - offset);
    w.message_begin(2, otlp::body_size(span));
    otlp::encode_body(w, span);
    w.message_end();
    offset += w.size();
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
  state.counters["span_bytes"] = static_cast<double>(size);
}
BENCHMARK(BM_EncodeSpanOtlp);

// One span record as an application thread leaves it in its ring: the e2e span (name,
// "http.method" = "GET", "user.id" = 123456).
std::vector<uint8_t> sample_record() {
  using namespace litetrace::detail;
  std::vector<uint8_t> rec(256);
  SpanRecordHeader h;
  h.trace_id_high = 0xfedcba0987654321u;
  h.trace_id_low = 0x1234567890abcdefu;
  h.span_id = 0x1122334455667788u;
  h.parent_span_id = 0x8877665544332211u;
  h.start = read_ticks();
  h.end = h.start + 1000;
  h.trace_flags = 1;
  h.attribute_count = 2;
  uint8_t* p = rec.data() + sizeof h;
  p = put(p, static_cast<uint8_t>(ItemKind::kName));
  p = put(p, static_cast<uint16_t>(9));
  p = put_bytes(p, "operation");
  p = put(p, AttributeItemHead{static_cast<uint8_t>(ItemKind::kAttribute), static_cast<uint8_t>(ValueType::kString), 11, 3});
  p = put_bytes(p, "http.method");
  p = put_bytes(p, "GET");
  p = put(p, AttributeItemHead{static_cast<uint8_t>(ItemKind::kAttribute), static_cast<uint8_t>(ValueType::kInt64), 7, 0});
  p = put(p, int64_t{123456});
  p = put_bytes(p, "user.id");
  h.items_size = static_cast<uint32_t>(static_cast<size_t>(p - rec.data()) - sizeof h);
  h.size = static_cast<uint32_t>((sizeof h + h.items_size + 7) & ~size_t{7});
  std::memcpy(rec.data(), &h, sizeof h);
  return rec;
}

// The batcher's work per span without the ring: record -> Jaeger view.
void BM_BatcherMapRecord(benchmark::State& state) {
  const std::vector<uint8_t> rec = sample_record();
  litetrace::detail::TickConverter clock;
  clock.wait_until_ready();
  litetrace::detail::SpanMapper mapper(&clock);
  for (auto _ : state) benchmark::DoNotOptimize(&mapper.map(rec.data()));
}
BENCHMARK(BM_BatcherMapRecord);

// ...and the rest of it: into packets and out through sendmmsg to a socket nobody reads.
void BM_BatcherMapEncodeSend(benchmark::State& state) {
  using namespace litetrace::detail;
  const std::vector<uint8_t> rec = sample_record();
  TickConverter clock;
  clock.wait_until_ready();
  SpanMapper mapper(&clock);
  DiagnosticReporter reporter([](const litetrace::Diagnostic&) {});
  ExporterOptions o;
  o.agent_host = "127.0.0.1";
  o.agent_port = 9;
  {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(tracing().sink, reinterpret_cast<sockaddr*>(&a), &len);
    o.agent_port = ntohs(a.sin_port);
  }
  Exporter exporter(o, Process{"bench", {}}, &reporter);
  for (auto _ : state) exporter.add(mapper.map(rec.data()));
  exporter.flush();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BatcherMapEncodeSend);

// The same over OTLP: record -> OTLP span -> protobuf, a request of 512 spans at a time (the
// default batch) written around them; what the sender thread then posts is not included.
void BM_BatcherMapEncodeOtlp(benchmark::State& state) {
  using namespace litetrace::detail;
  const std::vector<uint8_t> rec = sample_record();
  TickConverter clock;
  clock.wait_until_ready();
  otlp::RequestBuilder builder(&clock, /*json=*/false);
  const otlp::KeyValue resource[] = {{"service.name", otlp::AnyValue::string("bench")}};
  ByteBuffer body;
  for (auto _ : state) {
    builder.add(rec.data());
    if (builder.spans() == 512) {
      body.clear();
      builder.build(slice_of(resource), body);
      builder.clear();
      benchmark::DoNotOptimize(body.view().data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["span_bytes"] = static_cast<double>(body.size()) / 512;  // the request's share
}
BENCHMARK(BM_BatcherMapEncodeOtlp);

// The same over Zipkin: record -> a v2 JSON span (mapping and writing are one pass), 512
// to a request; against BM_BatcherMapEncodeOtlp in the same run.
void BM_BatcherMapEncodeZipkin(benchmark::State& state) {
  using namespace litetrace::detail;
  const std::vector<uint8_t> rec = sample_record();
  TickConverter clock;
  clock.wait_until_ready();
  zipkin::FormatOptions options;
  options.service_name = "bench";
  zipkin::ZipkinFormat format(options, &clock);
  ByteBuffer body;
  for (auto _ : state) {
    format.add(rec.data());
    if (format.spans() == 512) {
      body.clear();
      format.build(body);
      format.clear();
      benchmark::DoNotOptimize(body.view().data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["span_bytes"] = static_cast<double>(body.size()) / 512;
}
BENCHMARK(BM_BatcherMapEncodeZipkin);

}  // namespace

BENCHMARK_MAIN();
