#pragma once

// The state a TracerProvider shares with its tracers, spans and batcher.
//
// Every application thread that records spans gets a ThreadState on its first span: a
// SpanRing, its counters and a pool of SpanBuffers. The ThreadState is registered with the
// core (the one lock of the design, taken once per thread and per batcher pass) and found
// again through a thread_local cache, so the hot path takes no lock. When the thread exits
// its ThreadState is retired: the batcher sends what is left in its ring, then frees it.
//
// Lifetime: tracers and thread registrations hold the core (CoreHold, a count). shutdown()
// stops the batcher and frees it (thread, socket); the core itself goes when the last
// holder lets go. A thread lets go of a shut-down core with no span open at its next
// registration, when the provider is destroyed on it, or when it exits
// (release_finished_cores()); until then its spans are dropped and counted, never lost
// silently. A thread that never registered with a core does not register once it is shut
// down: its spans are counted on the core (count_unregistered_start, end_unregistered).

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "core/counter.h"
#include "core/plain_vector.h"
#include "core/id_generator.h"
#include "core/span_record.h"
#include "core/span_ring.h"
#include "core/span_sink.h"
#include "core/tick_clock.h"
#include "litetrace/trace.h"

namespace litetrace::detail {

class Batcher;
class RecordNormalizer;

// Lets go of shut-down cores with no span open that the calling thread still holds, and of
// those parked by exited threads. Called as threads register and as providers are destroyed.
void release_finished_cores();

// One TracerScope per name and version in the whole process, never freed: providers and
// global tracers share them, so a scope is one pointer on every wire (OTLP groups spans by
// it) and a record's scope outlives any provider.
const TracerScope* intern_scope(std::string_view name, std::string_view version);

// The calling thread's normalizer for the items of the spans it records (trace.cc), made
// with its registrations and freed with them: after every C++ thread_local destructor, so
// one that sets attributes on a span as its thread exits still finds it whole.
RecordNormalizer& calling_thread_normalizer();

// The global provider (set_global_provider) as the calling thread sees it: its core, or
// nullptr when none is installed. The thread holds the core (a CoreHold kept with its
// registrations) from the first span it starts through a global tracer after each change
// until the next change it sees, so a core it uses cannot go while it does: no lock and
// no reference count per span, one atomic load.
struct GlobalCache {
  static inline std::atomic<uint64_t> generation{1};  // changes with every set_global_provider
  static inline thread_local uint64_t seen = 0;       // the generation `core` is of
  static inline thread_local ProviderCore* core = nullptr;
};
ProviderCore* global_core_slow();
// Installs `provider` (its core: `core`) as the global one, or none; returns the one it
// replaces. Thread-safe.
std::shared_ptr<TracerProvider> install_global(std::shared_ptr<TracerProvider> provider, CoreHold core);
std::shared_ptr<TracerProvider> installed_global();
// At exit, the global provider is shut down (flushed); registered once, by the first call.
void register_global_exit_handler();
inline ProviderCore* global_core() {
  if (GlobalCache::seen == GlobalCache::generation.load(std::memory_order_acquire)) return GlobalCache::core;
  return global_core_slow();
}

struct ThreadCounters {
  uint64_t started = 0;
  uint64_t not_sampled = 0;
  uint64_t ended = 0;
  uint64_t dropped = 0;  // ring full, or ended after shutdown
};

struct ThreadState {
  explicit ThreadState(size_t ring_bytes) : ring(ring_bytes) {}
  ~ThreadState();

  SpanRing ring;
  // Written by the owning thread only (increment_single_writer: no locked read-modify-write),
  // read by stats() from any thread.
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> not_sampled{0};
  std::atomic<uint64_t> ended{0};
  std::atomic<uint64_t> dropped{0};
  // Set by the owning thread as it exits (release); the batcher drains the ring and frees
  // this state once it sees it (acquire).
  std::atomic<bool> retired{false};
  // Owning thread only.
  SpanBuffer* free_buffers = nullptr;

  static void bump(std::atomic<uint64_t>& c) { increment_single_writer(c); }
  ThreadCounters counters() const;

  // new (kNoThrow) ThreadState: aligned for its ring's cache lines here, from plain
  // operator new. The C++ runtime's aligned forms of new and delete are two imports more in
  // every program (some 0.2 KB of symbols and relocations).
  static void* operator new(size_t bytes, const std::nothrow_t&) noexcept;
  static void operator delete(void* p) noexcept;
  static void operator delete(void* p, const std::nothrow_t&) noexcept { operator delete(p); }
};

// What the hot path keeps per thread, in one thread_local: a span's start finds it with one
// TLS address computation (separate thread_locals cost one each, which the compiler does
// not share, and spills). Constant-initialized: reached with no guard and no TLS wrapper.
struct ThreadContext {
  SpanContext current;  // the thread's current span (Scope)
  IdGenerator ids;
  // The core whose ThreadState this thread found last, and that state (ProviderCore::thread_state).
  ProviderCore* cache_core = nullptr;
  ThreadState* cache_state = nullptr;
};
inline thread_local ThreadContext t_context;
// t_context's address as a plain pointer: compilers otherwise compute it again at each use
// (it is cheap to recompute, so they would rather not keep it in a register), and spill
// whatever the computation needs its register for.
inline ThreadContext& this_thread_context() {
  ThreadContext* tc = &t_context;
#if defined(__GNUC__)
  __asm__("" : "+r"(tc));
#endif
  return *tc;
}

// Held by CoreHolds (litetrace/trace.h) and by the threads that record for it; the last
// hold to go deletes it.
class ProviderCore {
 public:
  // Copied once, here. (Taken by value and moved, they linked TracerProviderOptions' move
  // constructor into every program, beside the copy a program makes of its own options.)
  explicit ProviderCore(const TracerProviderOptions& options);
  ~ProviderCore();

  // Joins the live cores (the fork handlers' list) and starts the batcher: separate from
  // the constructor, so that neither the handlers nor the batcher meet a core half made.
  void start();

  const TracerProviderOptions& options() const { return options_; }
  // nullptr: the default, ParentBased(AlwaysOn), which start_span() applies inline.
  Sampler* sampler() const { return sampler_; }
  bool disabled() const { return options_.disabled; }
  const Propagator& propagator() const;
  const TracerScope* scope(std::string_view name, std::string_view version);

  // The calling thread's state, made and registered on its first span; nullptr when the
  // thread has none and the core is shut down.
  ThreadState* thread_state() { return thread_state(this_thread_context()); }
  ThreadState* thread_state(ThreadContext& tc) {
    if (tc.cache_core == this) return tc.cache_state;
    return register_thread();
  }
  bool accepting() const { return !shut_down_.load(std::memory_order_relaxed); }

  // A SpanBuffer from the calling thread's pool; the caller fills in every header field and
  // sets its items (trace.cc: start_record). nullptr when a new one cannot be allocated.
  SpanBuffer* acquire_buffer(ThreadState* ts) {
    SpanBuffer* b = ts->free_buffers;
    if (b == nullptr) return new_buffer();  // warming up, or more spans open than ever before
    ts->free_buffers = b->next_free;
    return b;
  }
  // Ends a span: copies it into the calling thread's ring or counts it dropped; the buffer
  // goes back to the calling thread's pool.
  void submit(SpanBuffer* b) {
    ThreadState* ts = thread_state();
    if (ts == nullptr) return end_unregistered(b);
    const size_t used = b->used;  // read once: the stores into the ring might alias it
    SpanRing::Room room{nullptr, 0};
    if (accepting() && ts->ring.try_reserve(record_size(used), room)) {
      write_record(ts, b, used, room, b->header.end);
    } else {
      ThreadState::bump(ts->dropped);
      ThreadState::bump(ts->ended);
      release_buffer(ts, b);
    }
  }
  // submit()'s common case, for the thread whose state is `ts`: the ring has room without a
  // look at the batcher's side (SpanRing::try_reserve_quickly). That also says the core
  // takes spans and its ticks are the CPU counter's: a ring refuses quick reservations where
  // they are not, or once the core shuts down (register_thread, shutdown). The span's end
  // is the counter's reading. False, having done nothing, otherwise.
  LITETRACE_ALWAYS_INLINE bool try_submit_quickly(ThreadState* ts, SpanBuffer* b) {
    const size_t used = b->used;
    SpanRing::Room room{nullptr, 0};
    if (!ts->ring.try_reserve_quickly(record_size(used), room)) return false;
    write_record(ts, b, used, room, read_counter());
    return true;
  }
  size_t max_items_bytes() const { return max_items_bytes_; }
  // A record's size in the ring for `items_size` bytes of items: room for the whole 16-byte
  // chunks write_record() copies them in (move_chunks), and for one chunk when there are none
  // (a span whose buffer could not be grown for its long name, out of memory, has none).
  static size_t record_size(size_t items_size) {
    static_assert(sizeof(SpanRecordHeader) % kItemChunk == 0 && kItemChunk % SpanRing::kAlign == 0);
    return (sizeof(SpanRecordHeader) + items_size + kItemChunk) & ~(kItemChunk - 1);
  }
  // Copies the span into the room reserved for it, with its end, publishes it, and gives the
  // buffer back.
  static void write_record(ThreadState* ts, SpanBuffer* b, size_t used, const SpanRing::Room& room, uint64_t end) {
    // The header's size is a constant: the compiler copies it with a few wide moves. The
    // fields end() sets (the sizes, the end) are then stored in the ring, not in the buffer
    // first: a narrow store read back at once by a wide load stalls the CPU's forwarding of
    // stores to loads (as many instructions either way).
    std::memcpy(room.at, &b->header, sizeof b->header);
    const auto size = static_cast<uint32_t>(record_size(used));
    const auto items_size = static_cast<uint32_t>(used);
    std::memcpy(room.at + offsetof(SpanRecordHeader, size), &size, sizeof size);
    std::memcpy(room.at + offsetof(SpanRecordHeader, items_size), &items_size, sizeof items_size);
    std::memcpy(room.at + offsetof(SpanRecordHeader, end), &end, sizeof end);
    move_chunks(room.at + sizeof b->header, b->items, used);
    ts->ring.publish(room);
    ThreadState::bump(ts->ended);
    release_buffer(ts, b);
  }
  static void release_buffer(ThreadState* ts, SpanBuffer* b) {
    b->next_free = ts->free_buffers;
    ts->free_buffers = b;
  }
  // For a thread that has no state and gets none (the core is shut down).
  void count_unregistered_start(bool sampled);
  void end_unregistered(SpanBuffer* b);
  // Spans started (sampled) and not yet ended, on any thread.
  uint64_t open_spans() const;
  // Memory that could not be allocated (a ring, a span buffer); the batcher reports it.
  void note_allocation_failure(size_t bytes);
  uint64_t allocation_failures(size_t* last_bytes) const;

  bool force_flush(std::chrono::milliseconds timeout);
  bool shutdown(std::chrono::milliseconds timeout);
  // Not const: once the batcher has stopped, it counts (as dropped) spans that reached a
  // ring after its last pass, so every ended span is accounted for.
  TracerStats stats();
  std::string agent_address() const;

  // ---- for the batcher ----
  // Snapshot of the registered thread states; retired ones drained by the caller are
  // removed and freed with reap().
  void registered(PlainVector<ThreadState*>& out);
  // Spans dropped on full rings (or after shutdown), for ClientStats.
  uint64_t dropped_total() const;
  // The same, with mutex_ held by the caller.
  uint64_t dropped_total_locked() const;
  void reap(ThreadState* drained_and_retired);
  // A thread exits: its state is handed to the batcher, or freed now when none runs.
  void retire(ThreadState* ts);

  // ---- fork() ----
  // Every live core's locks are held across fork(), so a child never inherits a lock that
  // a thread of the parent held. The child has no batcher thread: the next tracer(),
  // force_flush() or shutdown() starts a new one (restart_after_fork()), leaving what the
  // rings held at the fork to the parent, which sends it.
  void lock_for_fork();
  void unlock_after_fork(bool child);
  // The next in the list of live cores (provider_core.cc), which the fork handlers walk.
  ProviderCore* next_live() const { return next_live_; }

 private:
  ThreadState* register_thread();
  SpanBuffer* new_buffer();
  void restart_after_fork();
  void sweep_stopped_rings();  // mutex_ held

  TracerProviderOptions options_;
  size_t max_items_bytes_;
  Sampler* sampler_;  // options_.sampler, or nullptr for the default
  mutable std::shared_ptr<const Propagator> propagator_;  // options_.propagator, or the default once asked for
  mutable std::once_flag propagator_once_;

  mutable std::mutex mutex_;  // guards everything below until the atomics
  PlainVector<ThreadState*> threads_;
  ThreadCounters retired_counters_;
  uint64_t unsent_after_stop_ = 0;  // committed to a ring after the batcher's last pass
  bool batcher_running_ = false;
  bool forked_ = false;           // this is a fork() child and its batcher is the parent's
  ThreadCounters fork_baseline_;  // the parent's counts, inherited at the fork
  std::unique_ptr<Batcher> batcher_;  // freed by shutdown()
  SinkStats final_sink_stats_;  // the batcher's, kept when it is freed
  std::string final_peer_;

  std::mutex lifecycle_mutex_;  // serializes shutdown() and force_flush()
  std::atomic<bool> shut_down_{false};
  std::atomic<uint64_t> unregistered_dropped_{0};
  std::atomic<uint64_t> unregistered_not_sampled_{0};
  std::atomic<uint64_t> unregistered_ended_{0};
  std::atomic<uint64_t> allocation_failures_{0};
  std::atomic<size_t> failed_allocation_bytes_{0};
  // In the list of live cores from start() to the destructor; guarded by its mutex.
  ProviderCore* prev_live_ = nullptr;
  ProviderCore* next_live_ = nullptr;
  std::atomic<size_t> holds_{0};  // hold_core(), let_go_of_core()
  friend void hold_core(ProviderCore* core) noexcept;
  friend void let_go_of_core(ProviderCore* core) noexcept;
};

}  // namespace litetrace::detail
