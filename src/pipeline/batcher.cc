#include "pipeline/batcher.h"

#include <pthread.h>

#include <algorithm>
#include <cstddef>

#include "core/compiler.h"
#include "core/diagnostic_reporter.h"
#include "core/process_info.h"
#include "core/record_reader.h"
#include "core/text.h"
#include "jaeger/jaeger_sink.h"
#include "litetrace/version.h"
#include "pipeline/exporters.h"
#include "pipeline/provider_core.h"

namespace litetrace::detail {
namespace {

// Spans flowing: look again in 1 ms, or at once after a large haul or an overflow; idle: back
// off to 50 ms.
constexpr auto kBusyPoll = std::chrono::milliseconds(1);
constexpr auto kIdlePoll = std::chrono::milliseconds(50);
constexpr size_t kLargeHaul = 256;
// How long after a ring last overflowed the batcher looks again at once whenever a pass
// found spans (next_poll(), OverflowWatch): producers that filled a ring once are likely
// to again.
constexpr auto kOverflowBusy = std::chrono::milliseconds(100);
// Records read before the space is handed back to the producer (at most; also at the end of
// what is there to read): often enough that a full ring refills quickly, rarely enough that
// the shared index is not written per record.
constexpr size_t kReleaseEvery = 64;
// With no sink (the exporter "none"): each record is only counted.
struct Discard {
  void add(const uint8_t*, RecordNormalizer&) {}
};
// How often the clocks are sampled for TickConverter (which keeps one sample per 20 ms at
// most): often enough that the newest sample is close to the spans being converted.
constexpr auto kClockSampleEvery = std::chrono::milliseconds(10);

// The agent's ports: compact Thrift, binary Thrift.
constexpr uint16_t kAgentCompactPort = 6831;
constexpr uint16_t kAgentBinaryPort = 6832;
constexpr const char* kNotLinked =
    "is not linked into this program (it was linked lean, without -Wl,--undefined=litetrace_exporters)";

ExporterOptions exporter_options(const TracerProviderOptions& o) {
  ExporterOptions e;
  copy_text(e.agent_host, o.agent_host);
  e.agent_port = o.agent_port;
  e.max_packet_size = o.max_packet_size;
  return e;
}

}  // namespace

LITETRACE_COLD ProcessView::ProcessView(const TracerProviderOptions& o) : host(host_name()), ip(preferred_ipv4()) {
  // The SDK's own resource attributes, which every OpenTelemetry SDK provides by default.
  const std::pair<std::string_view, std::string_view> sdk[] = {
      {"telemetry.sdk.name", "litetrace"},
      {"telemetry.sdk.language", "cpp"},
      {"telemetry.sdk.version", LITETRACE_VERSION_STRING},
      {"jaeger.version", "litetrace-cpp-" LITETRACE_VERSION_STRING},
      {"hostname", host},
      {"ip", ip},
  };
  const auto given = [&](std::string_view key) {
    for (const auto& t : o.resource_attributes) {
      if (t.first == key) return true;
    }
    return false;
  };
  size_t n = o.resource_attributes.size();
  for (const auto& [key, value] : sdk) n += given(key) ? 0 : 1;
  tags = make_raw_array<Tag>(n);
  size_t i = 0;
  for (const auto& t : o.resource_attributes) tags[i++] = Tag::string(t.first, t.second);
  for (const auto& [key, value] : sdk) {
    if (!given(key)) tags[i++] = Tag::string(key, value);
  }
  process = Process{o.service_name, {tags.get(), n}};
}

const LinkedExporters* linked_exporters() { return &litetrace_exporters != nullptr ? &litetrace_exporters : nullptr; }

LITETRACE_COLD const char* exporter_name(const TracerProviderOptions& options) {
  switch (options.exporter) {
    case TracesExporter::kJaeger:
      switch (options.jaeger_protocol) {
        case JaegerProtocol::kUdpThriftCompact: return "jaeger";
        case JaegerProtocol::kUdpThriftBinary: return "jaeger (udp/thrift.binary)";
        case JaegerProtocol::kHttpThriftBinary: return "jaeger (http/thrift.binary)";
      }
      break;
    case TracesExporter::kOtlp: return "otlp";
    case TracesExporter::kNone: return "none";
    case TracesExporter::kConsole: return "console";
    case TracesExporter::kZipkin: return "zipkin";
  }
  return "unknown";
}

namespace {

// The sink options.exporter names. Jaeger over UDP, the default, is always here; the others
// (exporters.cc) when the program links them (exporters.h). "none" has no sink: the batcher
// counts its spans as discarded (a sink of its own linked its methods into every program).
LITETRACE_COLD std::unique_ptr<SpanSink> make_sink(const TracerProviderOptions& options, const TickConverter* clock,
                                                   DiagnosticReporter* reporter) {
  const bool udp = options.exporter == TracesExporter::kJaeger &&
                   options.jaeger_protocol != JaegerProtocol::kHttpThriftBinary;
  if (options.exporter == TracesExporter::kNone) return nullptr;
  const LinkedExporters* linked = linked_exporters();
  if (!udp) {
    if (linked != nullptr) return linked->make_sink(options, clock);
    reporter->report_formatted(DiagnosticCode::kInvalidOption,
                               "exporter %s %s; sending to Jaeger's agent over UDP instead", exporter_name(options),
                               kNotLinked);
  }
  ExporterOptions e = exporter_options(options);
  if (udp && options.jaeger_protocol == JaegerProtocol::kUdpThriftBinary) {
    if (linked != nullptr) {
      e.protocol = linked->binary_thrift;
    } else {
      if (e.agent_port == kAgentBinaryPort) e.agent_port = kAgentCompactPort;
      reporter->report_formatted(DiagnosticCode::kInvalidOption,
                                 "exporter %s %s; sending compact Thrift to Jaeger's agent on port %u instead",
                                 exporter_name(options), kNotLinked, static_cast<unsigned>(e.agent_port));
    }
  }
  // The Process is encoded once, in the constructor; the strings need to live only that long.
  const ProcessView process(options);
  if (!e.protocol->compact) return linked->make_binary_sink(e, process.process, clock, reporter);
  // new, not make_unique: the constructor is inlined here, built for size, instead of into
  // make_unique's instantiation, built for speed.
  return std::unique_ptr<SpanSink>(new JaegerSink(e, process.process, clock, reporter));
}

}  // namespace

ClockSource clock_source() noexcept {
  decide_tick_source();
  switch (g_tick_source) {
    case TickSource::kTsc: return ClockSource::kTsc;
    case TickSource::kArmCounter: return ClockSource::kArmCounter;
    case TickSource::kMonotonicNs: break;
  }
  return ClockSource::kMonotonicClock;
}

LITETRACE_COLD Batcher::Batcher(ProviderCore* core, const TracerProviderOptions& options, uint64_t dropped_before)
    : core_(core),
      flush_interval_(options.flush_interval),
      configuration_errors_(options.configuration_errors),
      has_callback_(static_cast<bool>(options.on_diagnostic)),
      reporter_(options.on_diagnostic),
      sink_(make_sink(options, &clock_, &reporter_)),
      normalizer_(options.max_attributes, options.max_attribute_length),
      losses_seen_(dropped_before) {}  // the new sink has lost nothing

LITETRACE_COLD Batcher::~Batcher() { stop(std::chrono::seconds(5)); }

LITETRACE_COLD void* Batcher::thread_main(void* batcher) noexcept {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "litetrace");  // what top -H and gdb show
#endif
  static_cast<Batcher*>(batcher)->run();
  return nullptr;
}

LITETRACE_COLD void Batcher::start() {
  const int rc = pthread_create(&thread_, nullptr, &Batcher::thread_main, this);
  started_ = rc == 0;
  if (!started_) {
    // Nothing drains the rings: the spans stay pending until they fill, then each is
    // dropped and counted; flush() and shutdown() say false.
    reporter_.report_formatted(DiagnosticCode::kOutOfMemory,
                               "cannot start the batcher thread: %s; no span will be exported",
                               errno_text(rc).c_str());
  }
}

LITETRACE_COLD std::string Batcher::peer() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peer_;
}

LITETRACE_COLD SinkStats Batcher::sink_stats() const {
  if (sink_ != nullptr) return sink_->stats();
  SinkStats s;
  s.spans_discarded = discarded_.load(std::memory_order_relaxed);
  return s;
}

LITETRACE_COLD uint64_t Batcher::losses() const {
  const SinkStats e = sink_stats();
  return e.spans_failed + e.spans_too_large + e.spans_rejected + e.spans_dropped_queue + core_->dropped_total();
}

LITETRACE_COLD bool Batcher::flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopped_ || !started_) return false;
    const uint64_t ticket = ++flush_requested_;
    // Notified with the lock held: the batcher may be between its predicate check and its
    // wait; holding the lock makes that impossible (it waits on the same mutex).
    wake_.notify_one();
    ok = flushed_.wait_until(lock, deadline, [&] { return flush_completed_ >= ticket; }) && flush_ok_;
  }
  return delivered(deadline) && ok;
}

// After a flush pass: waits for the sink to deliver what the pass handed it (an HTTP
// sink's answers), and whether anything was lost on the way.
LITETRACE_COLD bool Batcher::delivered(std::chrono::steady_clock::time_point deadline) {
  const bool done = sink_ == nullptr || sink_->wait_delivered(deadline);
  const uint64_t lost = losses();  // before mutex_: losses() takes the core's lock
  std::lock_guard<std::mutex> lock(mutex_);
  const bool nothing_lost = lost == losses_seen_;
  losses_seen_ = std::max(losses_seen_, lost);
  return done && nothing_lost;
}

LITETRACE_COLD bool Batcher::stop(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopped_) return true;
    if (!started_) return false;  // nothing was exported (start() reported why)
    const uint64_t ticket = ++flush_requested_;
    stopping_ = true;
    wake_.notify_one();
    ok = flushed_.wait_until(lock, deadline, [&] { return flush_completed_ >= ticket; }) && flush_ok_;
  }
  ok = delivered(deadline) && ok;
  pthread_join(thread_, nullptr);  // the last pass is done or bounded by the socket's send timeout
  if (sink_ != nullptr) sink_->close();  // whatever is still undelivered is given up and counted, now
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  return ok;
}

LITETRACE_COLD void Batcher::report_clock_source() noexcept {
  // Said to a callback always; on the default stderr output only when it is the slower
  // fallback, so a healthy start prints nothing.
  const ClockSource source = clock_source();
  if (!has_callback_ && source != ClockSource::kMonotonicClock) return;
  reporter_.report_formatted(DiagnosticCode::kClockSource, "span times are read from %s%s", to_string(source),
                             source == ClockSource::kMonotonicClock
                                 ? " (no constant-rate CPU counter found; each span reads clock_gettime twice)"
                                 : ", converted on this thread against CLOCK_MONOTONIC (durations) and "
                                   "CLOCK_REALTIME (start times)");
}

LITETRACE_COLD void Batcher::report_allocation_failures() noexcept {
  size_t bytes = 0;
  const uint64_t failures = core_->allocation_failures(&bytes);
  if (failures == allocation_failures_reported_) return;
  reporter_.report_formatted(DiagnosticCode::kOutOfMemory,
                             "%llu allocation(s) failed, the last of %zu bytes; the spans or attributes that "
                             "needed them were dropped and counted",
                             static_cast<unsigned long long>(failures - allocation_failures_reported_), bytes);
  allocation_failures_reported_ = failures;
}

std::chrono::milliseconds next_poll(std::chrono::milliseconds previous, size_t spans, bool overflowed) {
  // A pass that finds few spans soon after a ring overflowed has merely caught up with a
  // producer that was waiting for room: sleeping then drops what the ring cannot hold
  // meanwhile (a 256 KiB ring takes some 60 us to fill at full speed), pass after pass.
  if (spans >= kLargeHaul || (spans != 0 && overflowed)) return std::chrono::milliseconds(0);
  if (spans != 0) return kBusyPoll;
  return std::clamp<std::chrono::milliseconds>(previous * 2, kBusyPoll, kIdlePoll);
}

size_t Batcher::drain(const PlainVector<ThreadState*>& threads) noexcept {
  size_t spans = 0;
  for (ThreadState* ts : threads) {
    // Acquire pairs with the release in ProviderCore::retire(): a retired thread's last
    // spans are visible before its state is freed below.
    const bool retired = ts->retired.load(std::memory_order_acquire);
    for (const uint8_t* rec = ts->ring.peek(); rec != nullptr; rec = ts->ring.peek()) {
      // Runs of records, each handed on in one call and given back to the producer after it.
      size_t max = kReleaseEvery;
      // A fresh provider's first spans wait (at most ~20 ms) for a rate they can be timed
      // with; spans given every time explicitly do not. Until then, one record at a time.
      if (!clock_.ready()) {
        max = 1;
        if (has_tick_times(RecordHeaderView(rec))) clock_.wait_until_ready();
      }
      const uint8_t* at = rec;
      if (sink_ != nullptr) {
        spans += sink_->add_run(at, ts->ring.run_end(), max, normalizer_);
      } else {
        Discard discard;
        const size_t n = add_each(discard, at, ts->ring.run_end(), max, normalizer_);
        discarded_.store(discarded_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        spans += n;
      }
      ts->ring.advance(static_cast<size_t>(at - rec));
      ts->ring.release();
    }
    if (retired) core_->reap(ts);
  }
  return spans;
}

void Batcher::run() noexcept {
  for (const std::string& e : configuration_errors_) reporter_.report(DiagnosticCode::kInvalidOption, e);
  report_clock_source();
  PlainVector<ThreadState*> threads;
  auto poll = kBusyPoll;
  OverflowWatch overflows(std::chrono::steady_clock::now(), kOverflowBusy, core_->dropped_total(),
                          sink_stats().spans_dropped_queue);
  auto last_flush = std::chrono::steady_clock::now();
  auto last_clock_sample = last_flush;
  for (;;) {
    uint64_t requested;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (poll.count() != 0) {
        wake_.wait_for(lock, poll, [&] { return flush_requested_ != flush_completed_ || stopping_; });
      }
      requested = flush_requested_;
      stopping = stopping_;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_clock_sample >= kClockSampleEvery) {
      clock_.refresh();
      last_clock_sample = now;
    }
    core_->registered(threads);
    report_allocation_failures();
    const uint64_t dropped = core_->dropped_total();
    if (sink_ != nullptr) sink_->set_full_queue_dropped(dropped);
    const size_t spans = drain(threads);
    poll = next_poll(poll, spans, overflows.batcher_behind(now, dropped, sink_stats().spans_dropped_queue));

    const bool requested_flush = requested != flush_completed_;  // only this thread writes it
    if (sink_ != nullptr && (requested_flush || stopping || now - last_flush >= flush_interval_)) {
      sink_->set_full_queue_dropped(core_->dropped_total());
      sink_->flush();
      last_flush = now;
    }
    // Read before taking mutex_: losses() takes the core's lock, which is always taken
    // before ours (ProviderCore::agent_address(), the fork handlers).
    const uint64_t lost = requested_flush ? losses() : 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (sink_ != nullptr) peer_ = sink_->peer();
      if (requested_flush) {
        flush_ok_ = lost == losses_seen_;
        losses_seen_ = std::max(losses_seen_, lost);
        flush_completed_ = requested;
        flushed_.notify_all();
      }
    }
    if (stopping) return;
  }
}

}  // namespace litetrace::detail
