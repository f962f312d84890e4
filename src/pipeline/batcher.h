#pragma once

// The background thread of a TracerProvider: drains the per-thread rings and hands each
// record to the provider's sink (core/span_sink.h), which maps and delivers it.
//
// Wake-ups: application threads never signal the batcher (that would be a system call on
// the hot path). The batcher polls instead: at once again after a large haul, or while
// rings have lately overflowed and the sink keeps up (next_poll(), OverflowWatch), in 1 ms
// while spans trickle, backing off to 50 ms when idle; it sends a partial packet once per
// flush interval. A burst from idle therefore has up to 50 ms to fit in the ring
// (256 KiB per thread by default, some 1,500 spans with a few attributes).
// force_flush() and shutdown() wake it at once through the condition variable.
//
// Thread: flush()/stop() from any thread; everything else on the batcher thread.

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/diagnostic_reporter.h"
#include "core/tick_clock.h"
#include "core/record_normalizer.h"
#include "core/span_sink.h"
#include "litetrace/trace.h"

namespace litetrace::detail {

class ProviderCore;
struct ThreadState;

// The public name of g_tick_source.
ClockSource clock_source() noexcept;

// How long the batcher waits before its next pass, after one that found `spans` spans,
// `previous` having been the last wait. `overflowed`: a ring was full lately (a span was
// dropped for want of room), so the next pass starts at once, however few spans this one
// found.
std::chrono::milliseconds next_poll(std::chrono::milliseconds previous, size_t spans, bool overflowed);

// Whether the batcher is what loses spans: a ring overflowed within `window`, and the
// sink's own queue did not (when an HTTP sink's queue is full, its sender is the limit, and
// a batcher that never slept would only take the CPU the sender needs).
class OverflowWatch {
 public:
  using Clock = std::chrono::steady_clock;
  OverflowWatch(Clock::time_point now, Clock::duration window, uint64_t ring_dropped, uint64_t queue_dropped)
      : window_(window), ring_dropped_(ring_dropped), queue_dropped_(queue_dropped), ring_full_(now - window),
        queue_full_(now - window) {}
  // The counts as they are `now` (they only grow).
  bool batcher_behind(Clock::time_point now, uint64_t ring_dropped, uint64_t queue_dropped) {
    if (ring_dropped != ring_dropped_) ring_full_ = now;
    if (queue_dropped != queue_dropped_) queue_full_ = now;
    ring_dropped_ = ring_dropped;
    queue_dropped_ = queue_dropped;
    return now - ring_full_ < window_ && now - queue_full_ >= window_;
  }

 private:
  Clock::duration window_;
  uint64_t ring_dropped_;
  uint64_t queue_dropped_;
  Clock::time_point ring_full_;
  Clock::time_point queue_full_;
};

class Batcher {
 public:
  // `dropped_before`: the core's dropped_total() as the batcher is made (with the core's
  // lock held, so before any span can find a ring without a batcher to drain it): the
  // first flush reports what is lost after it, however late the thread starts. `options`
  // (the core's) must outlive the batcher.
  Batcher(ProviderCore* core, const TracerProviderOptions& options, uint64_t dropped_before);
  ~Batcher();

  void start();
  // Waits until every span committed before the call has been handed to the sink and the
  // sink delivered it (the socket took it; an HTTP server answered), or `timeout` passed.
  // True when that happened and nothing was lost since the last flush.
  bool flush(std::chrono::milliseconds timeout);
  // flush(), then end the thread. Idempotent.
  bool stop(std::chrono::milliseconds timeout);

  SinkStats sink_stats() const;
  // Held across fork() (ProviderCore's atfork handlers), so the child's copy is unlocked.
  // Inline: out of line, each was a function and an unwind entry for one call.
  void lock_for_fork() { mutex_.lock(); }
  void unlock_after_fork() { mutex_.unlock(); }
  std::string peer() const;

 private:
  // The batcher thread's: an exception there would end the program whether or not they say
  // so. Saying it spares the code that would unwind their frames.
  static void* thread_main(void* batcher) noexcept;
  void run() noexcept;
  void report_clock_source() noexcept;
  void report_allocation_failures() noexcept;
  size_t drain(const PlainVector<ThreadState*>& threads) noexcept;
  bool delivered(std::chrono::steady_clock::time_point deadline);
  uint64_t losses() const;

  ProviderCore* core_;
  std::chrono::milliseconds flush_interval_;
  // Reported when the thread starts: the core's options', which outlive the batcher.
  const std::vector<std::string>& configuration_errors_;
  uint64_t allocation_failures_reported_ = 0;
  bool has_callback_;
  DiagnosticReporter reporter_;
  TickConverter clock_;              // before the sink, which converts times with it
  std::unique_ptr<SpanSink> sink_;  // null when the exporter is "none"
  std::atomic<uint64_t> discarded_{0};  // with no sink: the spans drained (one writer: the batcher)
  RecordNormalizer normalizer_;      // the span attribute rules, which the sink applies

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  uint64_t flush_requested_ = 0;
  uint64_t flush_completed_ = 0;
  bool flush_ok_ = true;
  uint64_t losses_seen_ = 0;  // losses() when a flush last looked
  bool stopping_ = false;
  bool stopped_ = false;
  std::string peer_;
  // pthread_create(), not std::thread: a thread that cannot start is reported, not thrown
  // out of the provider's constructor, and std::thread linked its state's vtable, type
  // information and destructors (0.5 KB of a lean program, bench/footprint.py).
  pthread_t thread_{};
  bool started_ = false;  // thread_ runs, until stop() joins it
};

}  // namespace litetrace::detail
