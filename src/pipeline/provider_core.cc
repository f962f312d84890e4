#include "pipeline/provider_core.h"

#include <pthread.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <new>

#include "core/compiler.h"
#include "core/diagnostic_reporter.h"
#include "core/option_rule.h"
#include "core/record_normalizer.h"
#include "core/text.h"
#include "jaeger/exporter.h"  // the packet size limits
#include "litetrace/propagation.h"
#include "litetrace/sampler.h"
#include "pipeline/batcher.h"
#include "pipeline/exporters.h"

namespace litetrace::detail {
namespace {

// Also the element of the parked cores (`state` nullptr). Each holds its core (hold_core()),
// let go of as it leaves the lists: plain, for a PlainVector.
struct ThreadRegistration {
  ProviderCore* core;
  ThreadState* state;
};

// The thread's ThreadStates, one per provider it recorded spans for. Each holds its core,
// so a core a thread has cached can never be freed (or its address reused) under it.
//
// The list is reached from a thread_local pointer but owned by a pthread key, whose
// destructor runs after every C++ thread_local destructor of the exiting thread: a
// thread_local object that ends a span as its thread exits still finds its registration.
// A span recorded after that registers anew and the key's destructor runs again (POSIX
// repeats it while values are set, up to PTHREAD_DESTRUCTOR_ITERATIONS). The main thread
// never runs key destructors at exit(), so spans ended by static destructors find theirs.
struct ThreadRegistrations {
  PlainVector<ThreadRegistration> list;
  CoreHold global_core;         // what GlobalCache::core points to
  RecordNormalizer normalizer;  // calling_thread_normalizer()
};

thread_local ThreadRegistrations* t_registrations = nullptr;  // trivially destructible

// Cores a thread let go of at exit while one of their spans was still open (ended later on
// another thread, or never); released once no span of theirs is open.
std::mutex g_parked_mutex;
PlainVector<ThreadRegistration>* g_parked = nullptr;  // made on first use; never destroyed (used at exit)
// The caller holds g_parked_mutex.
PlainVector<ThreadRegistration>& parked_cores() {
  if (g_parked == nullptr) g_parked = new PlainVector<ThreadRegistration>;
  return *g_parked;
}

LITETRACE_COLD void release_registrations(void* p) {
  t_registrations = nullptr;
  // The global core's hold goes with the registrations: a span started later (by another
  // key's destructor) looks it up again, and holds it again.
  GlobalCache::seen = 0;
  GlobalCache::core = nullptr;
  std::unique_ptr<ThreadRegistrations> registrations(static_cast<ThreadRegistrations*>(p));
  for (const ThreadRegistration& r : registrations->list) {
    r.core->retire(r.state);
    if (r.core->open_spans() != 0) {
      std::lock_guard<std::mutex> lock(g_parked_mutex);
      parked_cores().push_back({r.core, nullptr});  // the hold goes with it
    } else {
      let_go_of_core(r.core);
    }
  }
}

LITETRACE_COLD pthread_key_t registrations_key() {
  static pthread_key_t key;  // set once, by pthread_once (IdGenerator::reseed says why)
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, [] {
    // Only at PTHREAD_KEYS_MAX. terminate(), which aborts, is imported by any C++ program.
    if (pthread_key_create(&key, release_registrations) != 0) std::terminate();
  });
  return key;
}

LITETRACE_COLD ThreadRegistrations& calling_thread_registrations() {
  if (t_registrations == nullptr) {
    t_registrations = new ThreadRegistrations;
    pthread_setspecific(registrations_key(), t_registrations);
  }
  return *t_registrations;
}

}  // namespace

LITETRACE_COLD RecordNormalizer& calling_thread_normalizer() { return calling_thread_registrations().normalizer; }

namespace {

// The live cores, for the fork handlers: a list through the cores themselves, which needs
// no allocation to join and no static to guard.
std::mutex g_cores_mutex;
ProviderCore* g_live_cores = nullptr;  // the first; guarded by g_cores_mutex

LITETRACE_COLD void fork_prepare() {
  g_cores_mutex.lock();
  for (ProviderCore* c = g_live_cores; c != nullptr; c = c->next_live()) c->lock_for_fork();
}
LITETRACE_COLD void fork_parent() {
  for (ProviderCore* c = g_live_cores; c != nullptr; c = c->next_live()) c->unlock_after_fork(false);
  g_cores_mutex.unlock();
}
LITETRACE_COLD void fork_child() {
  for (ProviderCore* c = g_live_cores; c != nullptr; c = c->next_live()) c->unlock_after_fork(true);
  g_cores_mutex.unlock();
  // The forking thread is the child's only one: with its cache cleared, its next span takes
  // the uncached way (trace.cc: cache_thread_state), which reseeds its ids (check_fork) before it
  // draws any; the cached way does not check.
  t_context.cache_core = nullptr;
  t_context.cache_state = nullptr;
}

// Consumes every record in `ring` unread (the caller must be its only consumer); returns
// how many there were.
LITETRACE_COLD uint64_t discard_all(SpanRing& ring) {
  uint64_t n = 0;
  for (const uint8_t* rec = ring.peek(); rec != nullptr; rec = ring.peek()) {
    uint32_t size;
    std::memcpy(&size, rec, sizeof size);
    ring.advance(size);
    ++n;
  }
  ring.release();
  return n;
}

ThreadCounters sum(const ThreadCounters& a, const ThreadCounters& b) {
  return {a.started + b.started, a.not_sampled + b.not_sampled, a.ended + b.ended, a.dropped + b.dropped};
}

}  // namespace

void hold_core(ProviderCore* core) noexcept { core->holds_.fetch_add(1, std::memory_order_relaxed); }

// As shared_ptr's count: the last hold's release orders every other holder's use of the core
// before its destruction.
LITETRACE_COLD void let_go_of_core(ProviderCore* core) noexcept {
  if (core->holds_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete core;
}

// Lets go of cores that were shut down and have no span open: the calling thread's
// registrations and the parked cores. A core freed here is freed on this thread.
LITETRACE_COLD void release_finished_cores() {
  PlainVector<ProviderCore*> finished;
  if (ThreadRegistrations* registrations = t_registrations) {
    auto& list = registrations->list;
    size_t kept = 0;
    for (const ThreadRegistration& r : list) {
      if (r.core->accepting() || r.core->open_spans() != 0) {
        list[kept++] = r;
      } else {
        r.core->retire(r.state);
        finished.push_back(r.core);
      }
    }
    list.resize(kept);
  }
  {
    std::lock_guard<std::mutex> lock(g_parked_mutex);
    auto& parked = parked_cores();
    size_t kept = 0;
    for (const ThreadRegistration& r : parked) {
      if (r.core->open_spans() != 0) {
        parked[kept++] = r;
      } else {
        finished.push_back(r.core);
      }
    }
    parked.resize(kept);
  }
  // After the lock: a core's destructor takes other locks.
  for (ProviderCore* core : finished) let_go_of_core(core);
}

// The one rule for an option out of range (core/option_rule.h), for every numeric field.
LITETRACE_COLD void check_options(TracerProviderOptions& o) {
  const TracerProviderOptions d;
  auto& e = o.configuration_errors;
  o.agent_port = static_cast<uint16_t>(in_range_or_default<size_t>("agent_port", o.agent_port, 1, 65535, d.agent_port, e));
  o.max_packet_size = in_range_or_default("max_packet_size", o.max_packet_size, kMinPacketSize, kMaxPacketSize,
                                          d.max_packet_size, e);
  o.ring_bytes_per_thread = in_range_or_default("ring_bytes_per_thread", o.ring_bytes_per_thread, kMinRingBytes,
                                                kMaxRingBytes, d.ring_bytes_per_thread, e);
  o.flush_interval = in_range_or_default("flush_interval", o.flush_interval, std::chrono::milliseconds(0),
                                         kMaxFlushInterval, d.flush_interval, e);
  o.max_attributes = in_range_or_default<size_t>("max_attributes", o.max_attributes, 0, kMaxCountLimit, d.max_attributes, e);
  o.max_events = in_range_or_default<size_t>("max_events", o.max_events, 0, kMaxCountLimit, d.max_events, e);
  o.max_links = in_range_or_default<size_t>("max_links", o.max_links, 0, kMaxCountLimit, d.max_links, e);
  o.max_attributes_per_event = in_range_or_default<size_t>("max_attributes_per_event", o.max_attributes_per_event, 0,
                                                           kMaxCountLimit, d.max_attributes_per_event, e);
  o.max_attributes_per_link = in_range_or_default<size_t>("max_attributes_per_link", o.max_attributes_per_link, 0,
                                                          kMaxCountLimit, d.max_attributes_per_link, e);
  o.max_attribute_length = in_range_or_default<size_t>("max_attribute_length", o.max_attribute_length, 0,
                                                       kMaxAttributeLengthLimit, d.max_attribute_length, e);
  o.otlp_timeout = in_range_or_default("otlp_timeout", o.otlp_timeout, std::chrono::milliseconds(1),
                                       std::chrono::milliseconds(3600 * 1000), d.otlp_timeout, e);
  o.max_export_batch_size = in_range_or_default<size_t>("max_export_batch_size", o.max_export_batch_size, 1,
                                                        kMaxCountLimit, d.max_export_batch_size, e);
  o.jaeger_timeout = in_range_or_default("jaeger_timeout", o.jaeger_timeout, std::chrono::milliseconds(1),
                                         std::chrono::milliseconds(3600 * 1000), d.jaeger_timeout, e);
  o.jaeger_max_request_bytes = in_range_or_default<size_t>("jaeger_max_request_bytes", o.jaeger_max_request_bytes,
                                                           4 << 10, 64 << 20, d.jaeger_max_request_bytes, e);
  o.zipkin_timeout = in_range_or_default("zipkin_timeout", o.zipkin_timeout, std::chrono::milliseconds(1),
                                         std::chrono::milliseconds(3600 * 1000), d.zipkin_timeout, e);
  o.zipkin_max_request_bytes = in_range_or_default<size_t>("zipkin_max_request_bytes", o.zipkin_max_request_bytes,
                                                           4 << 10, 64 << 20, d.zipkin_max_request_bytes, e);
  if (const LinkedExporters* linked = linked_exporters()) linked->check_endpoints(o, e);
}

LITETRACE_COLD bool SpanBuffer::grow(size_t needed, size_t limit) {
  if (needed > limit) return false;
  size_t c = capacity * 2;
  while (c < needed) c *= 2;
  c = std::min(c, limit);
  // Whole chunks, for the copy into the record (move_chunks).
  RawArray<uint8_t> bigger = make_raw_array<uint8_t>((c + kItemChunk - 1) & ~(kItemChunk - 1), kNoThrow);
  if (!bigger) {
    core->note_allocation_failure(c);  // the item is dropped and counted on the span
    return false;
  }
  std::memcpy(bigger.get(), items, used);
  heap = std::move(bigger);
  items = heap.get();
  capacity = c;
  return true;
}

LITETRACE_COLD ThreadState::~ThreadState() {
  while (free_buffers != nullptr) {
    SpanBuffer* next = free_buffers->next_free;
    delete free_buffers;
    free_buffers = next;
  }
}

// The block is `alignof(ThreadState)` bytes longer; the state starts at the first aligned
// byte past its start, and the block's start is kept in the word before the state. (new's
// blocks are aligned for a pointer at least, so that word is inside the block.)
static_assert(__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= sizeof(void*), "the word before the state is in its block");
LITETRACE_COLD void* ThreadState::operator new(size_t bytes, const std::nothrow_t&) noexcept {
  void* block = ::operator new(bytes + alignof(ThreadState), kNoThrow);
  if (block == nullptr) return nullptr;
  const uintptr_t at = (reinterpret_cast<uintptr_t>(block) + alignof(ThreadState)) & ~(alignof(ThreadState) - 1);
  reinterpret_cast<void**>(at)[-1] = block;
  return reinterpret_cast<void*>(at);
}

LITETRACE_COLD void ThreadState::operator delete(void* p) noexcept {
  if (p != nullptr) ::operator delete(static_cast<void**>(p)[-1]);
}

ThreadCounters ThreadState::counters() const {
  return {started.load(std::memory_order_relaxed), not_sampled.load(std::memory_order_relaxed),
          ended.load(std::memory_order_relaxed), dropped.load(std::memory_order_relaxed)};
}

LITETRACE_COLD ProviderCore::ProviderCore(const TracerProviderOptions& options)
    : options_(options),
      sampler_(options_.sampler.get()),
      propagator_(options_.propagator) {
  decide_tick_source();  // before the batcher's clock, or any span, reads it
  check_options(options_);
  // A span's record must fit in half its ring (SpanRing::max_record()).
  max_items_bytes_ = SpanRing::rounded_capacity(options_.ring_bytes_per_thread) / 2 - sizeof(SpanRecordHeader) -
                     SpanRing::kAlign;
  if (sampler_ != nullptr && !options_.disabled) sampler_->attach(options_.service_name, options_.on_diagnostic);
}

const Propagator& ProviderCore::propagator() const {
  // The default is made on first use, so a program that never propagates does not link the
  // W3C formats.
  std::call_once(propagator_once_, [this] {
    if (!propagator_) {
      propagator_ = std::make_shared<CompositePropagator>(std::vector<std::shared_ptr<const Propagator>>{
          std::make_shared<W3CTraceContextPropagator>(), std::make_shared<W3CBaggagePropagator>()});
    }
  });
  return *propagator_;
}

LITETRACE_COLD ProviderCore::~ProviderCore() {
  shutdown(std::chrono::seconds(5));
  {
    std::lock_guard<std::mutex> lock(g_cores_mutex);
    if (prev_live_ != nullptr) {
      prev_live_->next_live_ = next_live_;
    } else if (g_live_cores == this) {  // else start() never ran
      g_live_cores = next_live_;
    }
    if (next_live_ != nullptr) next_live_->prev_live_ = prev_live_;
  }
  for (ThreadState* ts : threads_) delete ts;
}

LITETRACE_COLD void ProviderCore::start() {
  // Once per process, by pthread_once (IdGenerator::reseed says why).
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, [] { pthread_atfork(fork_prepare, fork_parent, fork_child); });
  {
    std::lock_guard<std::mutex> lock(g_cores_mutex);
    next_live_ = g_live_cores;
    if (next_live_ != nullptr) next_live_->prev_live_ = this;
    g_live_cores = this;
  }
  if (options_.disabled) {
    // No batcher, no socket: nothing is ever recorded. The configuration's problems are
    // still said, here, since no batcher thread will say them.
    DiagnosticReporter reporter(options_.on_diagnostic);
    for (const std::string& e : options_.configuration_errors) reporter.report(DiagnosticCode::kInvalidOption, e);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  batcher_ = std::make_unique<Batcher>(this, options_, dropped_total_locked());
  batcher_running_ = true;
  batcher_->start();
}

LITETRACE_COLD void ProviderCore::lock_for_fork() {
  mutex_.lock();
  if (batcher_) batcher_->lock_for_fork();
}

LITETRACE_COLD void ProviderCore::unlock_after_fork(bool child) {
  if (child && batcher_running_) {
    // The child is single-threaded here, and the parent's batcher is not in it: whatever
    // the rings hold is the parent's to send, and the counts so far are the parent's.
    // Memory operations only (no lock, no allocation), as befits an atfork child handler.
    ThreadCounters inherited = retired_counters_;
    for (ThreadState* ts : threads_) {
      discard_all(ts->ring);
      inherited = sum(inherited, ts->counters());
    }
    fork_baseline_ = inherited;
    forked_ = true;
  }
  if (batcher_) batcher_->unlock_after_fork();
  mutex_.unlock();
}

LITETRACE_COLD void ProviderCore::restart_after_fork() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!forked_) return;
  forked_ = false;
  // The parent's batcher: its thread does not exist here, so it can be neither joined nor
  // stopped; it is left as it is, a small leak per fork.
  (void)batcher_.release();
  batcher_ = std::make_unique<Batcher>(this, options_, dropped_total_locked());
  batcher_->start();
}

LITETRACE_COLD const TracerScope* ProviderCore::scope(std::string_view name, std::string_view version) {
  restart_after_fork();
  return intern_scope(name, version);
}

LITETRACE_COLD const TracerScope* intern_scope(std::string_view name, std::string_view version) {
  // Never destroyed: records point into the scopes, and tracers are made in static
  // destructors too.
  // A list from the newest (scopes are few and interned once per tracer made).
  static std::mutex* mutex = nullptr;
  static pthread_once_t once = PTHREAD_ONCE_INIT;  // IdGenerator::reseed says why
  pthread_once(&once, [] { mutex = new std::mutex; });
  static const TracerScope* newest = nullptr;
  std::lock_guard<std::mutex> lock(*mutex);
  for (const TracerScope* s = newest; s != nullptr; s = s->previous) {
    if (s->name == name && s->version == version) return s;
  }
  // Copied in (copy_text), not constructed from the views.
  std::unique_ptr<TracerScope> scope(new TracerScope{{}, {}, newest});
  copy_text(scope->name, name);
  copy_text(scope->version, version);
  newest = scope.release();
  return newest;
}

namespace {

// The installed global provider. Never destroyed, so global tracers work in static
// destructors; at exit the provider is shut down (flushed) by an atexit handler, and spans
// ended after that are dropped and counted, as after any shutdown. The handler is
// registered when the global machinery is first touched (the first global_tracer() or
// set_global_provider()), so that it runs after the destructors of every static object
// constructed later: a library's static tracer comes early, the application's objects
// after it.
struct GlobalProvider {
  std::mutex mutex;
  std::shared_ptr<TracerProvider> provider;
  CoreHold core;
  bool exit_handler = false;
};
LITETRACE_COLD GlobalProvider& global_provider_state() {
  static GlobalProvider* state = nullptr;
  static pthread_once_t once = PTHREAD_ONCE_INIT;  // IdGenerator::reseed says why
  pthread_once(&once, [] { state = new GlobalProvider; });
  return *state;
}

LITETRACE_COLD void shut_down_global_at_exit() {
  std::shared_ptr<TracerProvider> provider;
  {
    GlobalProvider& g = global_provider_state();
    std::lock_guard<std::mutex> lock(g.mutex);
    provider = g.provider;
  }
  if (provider) provider->shutdown();
}

}  // namespace

LITETRACE_COLD ProviderCore* global_core_slow() {
  GlobalProvider& g = global_provider_state();
  CoreHold previous;  // let go of after the lock: a core's destructor takes others
  std::lock_guard<std::mutex> lock(g.mutex);
  // The generation is read under the lock that orders it with the core: the pair is one
  // installation's.
  const uint64_t generation = GlobalCache::generation.load(std::memory_order_relaxed);
  CoreHold& held = calling_thread_registrations().global_core;
  previous = std::move(held);
  held = g.core;
  GlobalCache::core = held.get();
  GlobalCache::seen = generation;
  return GlobalCache::core;
}

LITETRACE_COLD void register_global_exit_handler() {
  GlobalProvider& g = global_provider_state();
  std::lock_guard<std::mutex> lock(g.mutex);
  if (!g.exit_handler) g.exit_handler = std::atexit(shut_down_global_at_exit) == 0;
}

LITETRACE_COLD std::shared_ptr<TracerProvider> install_global(std::shared_ptr<TracerProvider> provider, CoreHold core) {
  register_global_exit_handler();
  GlobalProvider& g = global_provider_state();
  std::lock_guard<std::mutex> lock(g.mutex);
  std::swap(g.provider, provider);
  g.core = std::move(core);
  GlobalCache::generation.fetch_add(1, std::memory_order_release);
  return provider;  // the one replaced; the caller lets go of it outside the lock
}

std::shared_ptr<TracerProvider> installed_global() {
  GlobalProvider& g = global_provider_state();
  std::lock_guard<std::mutex> lock(g.mutex);
  return g.provider;
}

LITETRACE_COLD ThreadState* ProviderCore::register_thread() {
  if (ThreadRegistrations* registrations = t_registrations) {
    for (const ThreadRegistration& r : registrations->list) {
      if (r.core == this) {
        t_context.cache_core = this;
        t_context.cache_state = r.state;
        return r.state;
      }
    }
  }
  // A provider that will never send again gets no ring; the caller counts the span here.
  if (!accepting()) return nullptr;
  release_finished_cores();
  auto* ts = new (kNoThrow) ThreadState(options_.ring_bytes_per_thread);
  if (ts == nullptr) {
    note_allocation_failure(sizeof(ThreadState));
    return nullptr;  // this span is counted on the core; the next one tries again
  }
  // A ring that could not be allocated has no room: the thread's spans are dropped and
  // counted like those that find a full ring.
  if (!ts->ring.allocated()) note_allocation_failure(SpanRing::rounded_capacity(options_.ring_bytes_per_thread));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.push_back(ts);
    // Span::end()'s common case reads the counter and leaves shut-down cores to submit():
    // a ring that must not be reserved in quickly says both (try_submit_quickly).
    if (!ticks_are_counter() || !accepting()) ts->ring.refuse_quick_reservations();
  }
  // The caller holds the core too (a tracer, or the thread's global hold).
  calling_thread_registrations().list.push_back({this, ts});
  hold_core(this);
  t_context.cache_core = this;
  t_context.cache_state = ts;
  return ts;
}

LITETRACE_COLD void ProviderCore::count_unregistered_start(bool sampled) {
  // Counted as started, ended and dropped at once: the span records nothing.
  (sampled ? unregistered_dropped_ : unregistered_not_sampled_).fetch_add(1, std::memory_order_relaxed);
}

LITETRACE_COLD void ProviderCore::end_unregistered(SpanBuffer* b) {
  delete b;
  // Release: the last this thread touches of the core, for open_spans() on another thread.
  unregistered_ended_.fetch_add(1, std::memory_order_release);
}

LITETRACE_COLD uint64_t ProviderCore::open_spans() const {
  std::lock_guard<std::mutex> lock(mutex_);
  ThreadCounters total = retired_counters_;
  for (const ThreadState* ts : threads_) total = sum(total, ts->counters());
  const uint64_t ended = total.ended + unregistered_ended_.load(std::memory_order_acquire);
  return total.started > ended ? total.started - ended : 0;
}

LITETRACE_COLD void ProviderCore::retire(ThreadState* ts) {
  if (t_context.cache_state == ts) {
    t_context.cache_core = nullptr;
    t_context.cache_state = nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (batcher_running_) {
      // Release pairs with the acquire in Batcher::drain(): every span this thread
      // committed is visible to the batcher when it sees the flag.
      ts->retired.store(true, std::memory_order_release);
      return;
    }
  }
  reap(ts);
}

void ProviderCore::registered(PlainVector<ThreadState*>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  out.assign(threads_.begin(), threads_.end());
}

LITETRACE_COLD void ProviderCore::reap(ThreadState* ts) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Its place goes to the last: the batcher drains rings in no particular order.
    for (ThreadState*& t : threads_) {
      if (t == ts) {
        t = threads_.back();
        threads_.pop_back();
        break;
      }
    }
    // Whatever is still in the ring will never be sent: the batcher has stopped.
    const uint64_t left = discard_all(ts->ring);
    const ThreadCounters c = ts->counters();
    retired_counters_.started += c.started;
    retired_counters_.not_sampled += c.not_sampled;
    retired_counters_.ended += c.ended;
    retired_counters_.dropped += c.dropped + left;
  }
  delete ts;
}

LITETRACE_COLD void ProviderCore::note_allocation_failure(size_t bytes) {
  allocation_failures_.fetch_add(1, std::memory_order_relaxed);
  failed_allocation_bytes_.store(bytes, std::memory_order_relaxed);
}

uint64_t ProviderCore::allocation_failures(size_t* last_bytes) const {
  *last_bytes = failed_allocation_bytes_.load(std::memory_order_relaxed);
  return allocation_failures_.load(std::memory_order_relaxed);
}

LITETRACE_COLD SpanBuffer* ProviderCore::new_buffer() {
  auto* b = new (kNoThrow) SpanBuffer;
  if (b == nullptr) {
    note_allocation_failure(sizeof(SpanBuffer));
    return nullptr;
  }
  b->core = this;
  b->max_attributes = options_.max_attributes;
  b->max_attribute_length = options_.max_attribute_length;
  b->max_quick_value = options_.max_attribute_length != 0 ? options_.max_attribute_length : UINT32_MAX;
  b->max_items_bytes = max_items_bytes_;
  return b;
}

LITETRACE_COLD bool ProviderCore::force_flush(std::chrono::milliseconds timeout) {
  restart_after_fork();
  // Serialized with shutdown(), which frees the batcher.
  std::lock_guard<std::mutex> serial(lifecycle_mutex_);
  std::unique_lock<std::mutex> lock(mutex_);
  if (options_.disabled) return true;  // nothing to send
  if (!batcher_running_) return false;
  Batcher* b = batcher_.get();
  lock.unlock();
  return b->flush(timeout);
}

LITETRACE_COLD bool ProviderCore::shutdown(std::chrono::milliseconds timeout) {
  restart_after_fork();
  std::lock_guard<std::mutex> serial(lifecycle_mutex_);
  Batcher* b;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!batcher_running_) return true;
    b = batcher_.get();
  }
  shut_down_.store(true, std::memory_order_relaxed);
  {
    // A thread registering meanwhile sees shut_down_ under the mutex (register_thread).
    std::lock_guard<std::mutex> lock(mutex_);
    for (ThreadState* ts : threads_) ts->ring.refuse_quick_reservations();
  }
  const bool ok = b->stop(timeout);
  PlainVector<ThreadState*> retired;
  std::unique_ptr<Batcher> stopped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batcher_running_ = false;
    for (ThreadState* ts : threads_) {
      if (ts->retired.load(std::memory_order_acquire)) retired.push_back(ts);
    }
    // The batcher's thread has ended; its socket goes now, not when the last thread lets
    // go of this core.
    final_sink_stats_ = b->sink_stats();
    final_peer_ = b->peer();
    stopped = std::move(batcher_);
  }
  for (ThreadState* ts : retired) reap(ts);
  return ok;
}

void ProviderCore::sweep_stopped_rings() {
  if (batcher_running_) return;
  // No batcher: the caller, holding mutex_, is the rings' only consumer.
  for (ThreadState* ts : threads_) unsent_after_stop_ += discard_all(ts->ring);
}

TracerStats ProviderCore::stats() {
  TracerStats s;
  SinkStats e;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sweep_stopped_rings();
    ThreadCounters total = retired_counters_;
    total.dropped += unsent_after_stop_;
    for (const ThreadState* ts : threads_) {
      const ThreadCounters c = ts->counters();
      total.started += c.started;
      total.not_sampled += c.not_sampled;
      total.ended += c.ended;
      total.dropped += c.dropped;
    }
    // In a fork() child, only what happened since the fork.
    s.spans_started = total.started - fork_baseline_.started;
    s.spans_not_sampled = total.not_sampled - fork_baseline_.not_sampled;
    s.spans_ended = total.ended - fork_baseline_.ended;
    s.spans_dropped_queue = total.dropped - fork_baseline_.dropped;
    e = batcher_ ? batcher_->sink_stats() : final_sink_stats_;
    const uint64_t unregistered = unregistered_dropped_.load(std::memory_order_relaxed);
    const uint64_t unregistered_ended = unregistered_ended_.load(std::memory_order_relaxed);
    s.spans_started += unregistered;
    s.spans_not_sampled += unregistered_not_sampled_.load(std::memory_order_relaxed);
    s.spans_ended += unregistered + unregistered_ended;
    s.spans_dropped_queue += unregistered + unregistered_ended;
  }
  s.spans_exported = e.spans_exported;
  s.spans_dropped_too_large = e.spans_too_large;
  s.spans_failed = e.spans_failed;
  s.spans_rejected = e.spans_rejected;
  s.spans_dropped_export_queue = e.spans_dropped_queue;
  s.spans_discarded = e.spans_discarded;
  s.packets_sent = e.packets_sent;
  s.packets_failed = e.packets_failed;
  s.requests_sent = e.requests_sent;
  s.requests_retried = e.requests_retried;
  s.requests_failed = e.requests_failed;
  s.bytes_sent = e.bytes_sent;
  const uint64_t accounted = s.spans_exported + s.spans_dropped_too_large + s.spans_failed + s.spans_rejected +
                             s.spans_dropped_export_queue + s.spans_discarded + s.spans_dropped_queue;
  s.spans_pending = s.spans_ended > accounted ? s.spans_ended - accounted : 0;
  return s;
}

uint64_t ProviderCore::dropped_total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_total_locked();
}

LITETRACE_COLD uint64_t ProviderCore::dropped_total_locked() const {
  uint64_t total = retired_counters_.dropped + unsent_after_stop_ - fork_baseline_.dropped +
                   unregistered_dropped_.load(std::memory_order_relaxed) +
                   unregistered_ended_.load(std::memory_order_relaxed);
  for (const ThreadState* ts : threads_) total += ts->dropped.load(std::memory_order_relaxed);
  return total;
}

LITETRACE_COLD std::string ProviderCore::agent_address() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batcher_ ? batcher_->peer() : final_peer_;
}

}  // namespace litetrace::detail
