#include "pipeline/provider_core.h"

#include <pthread.h>

#include <algorithm>

#include "litetrace/propagation.h"
#include "litetrace/sampler.h"
#include "pipeline/batcher.h"

namespace litetrace::detail {
namespace {

struct ThreadRegistration {
  std::shared_ptr<ProviderCore> core;
  ThreadState* state;
};

// The thread's ThreadStates, one per provider it recorded spans for; handed back to their
// providers when the thread exits.
struct ThreadRegistrations {
  std::vector<ThreadRegistration> list;
  ~ThreadRegistrations();
};

thread_local ThreadRegistrations t_registrations;

// The live cores, for the fork handlers.
std::mutex g_cores_mutex;
std::vector<ProviderCore*>& live_cores() {
  static auto* cores = new std::vector<ProviderCore*>;  // never destroyed: used at exit
  return *cores;
}

void fork_prepare() {
  g_cores_mutex.lock();
  for (ProviderCore* c : live_cores()) c->lock_for_fork();
}
void fork_parent() {
  for (ProviderCore* c : live_cores()) c->unlock_after_fork(false);
  g_cores_mutex.unlock();
}
void fork_child() {
  for (ProviderCore* c : live_cores()) c->unlock_after_fork(true);
  g_cores_mutex.unlock();
}

// Consumes every record in `ring` unread (the caller must be its only consumer); returns
// how many there were.
uint64_t discard_all(SpanRing& ring) {
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

ThreadRegistrations::~ThreadRegistrations() {
  for (ThreadRegistration& r : list) r.core->retire(r.state);
}

bool SpanBuffer::grow(size_t needed, size_t limit) {
  if (needed > limit) return false;
  size_t c = capacity * 2;
  while (c < needed) c *= 2;
  c = std::min(c, limit);
  std::unique_ptr<uint8_t[]> bigger(new uint8_t[c]);
  std::memcpy(bigger.get(), items, used);
  heap = std::move(bigger);
  items = heap.get();
  capacity = c;
  return true;
}

ThreadState::~ThreadState() {
  while (free_buffers != nullptr) {
    SpanBuffer* next = free_buffers->next_free;
    delete free_buffers;
    free_buffers = next;
  }
}

ThreadCounters ThreadState::counters() const {
  return {started.load(std::memory_order_relaxed), not_sampled.load(std::memory_order_relaxed),
          ended.load(std::memory_order_relaxed), dropped.load(std::memory_order_relaxed)};
}

ProviderCore::ProviderCore(TracerProviderOptions options)
    : options_(std::move(options)),
      sampler_(options_.sampler.get()),
      propagator_(options_.propagator ? options_.propagator : make_propagator("tracecontext,baggage")) {
  options_.ring_bytes_per_thread = std::max<size_t>(options_.ring_bytes_per_thread, 4096);
  // A span's record must fit in half its ring (SpanRing::max_record()).
  const SpanRing probe_size(options_.ring_bytes_per_thread);
  max_items_bytes_ = probe_size.max_record() - sizeof(SpanRecordHeader) - SpanRing::kAlign;
  if (sampler_ != nullptr && !options_.disabled) sampler_->attach(options_.service_name, options_.on_diagnostic);
}

ProviderCore::~ProviderCore() {
  shutdown(std::chrono::seconds(5));
  {
    std::lock_guard<std::mutex> lock(g_cores_mutex);
    auto& cores = live_cores();
    cores.erase(std::remove(cores.begin(), cores.end(), this), cores.end());
  }
  for (ThreadState* ts : threads_) delete ts;
}

void ProviderCore::start() {
  static std::once_flag atfork_once;
  std::call_once(atfork_once, [] { pthread_atfork(fork_prepare, fork_parent, fork_child); });
  {
    std::lock_guard<std::mutex> lock(g_cores_mutex);
    live_cores().push_back(this);
  }
  if (options_.disabled) return;  // no batcher, no socket: nothing is ever recorded
  std::lock_guard<std::mutex> lock(mutex_);
  batcher_ = std::make_unique<Batcher>(this, options_);
  batcher_running_ = true;
  batcher_->start();
}

void ProviderCore::lock_for_fork() {
  mutex_.lock();
  if (batcher_) batcher_->lock_for_fork();
}

void ProviderCore::unlock_after_fork(bool child) {
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

void ProviderCore::restart_after_fork() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!forked_) return;
  forked_ = false;
  // The parent's batcher: its thread does not exist here, so it can be neither joined nor
  // destroyed (a joinable std::thread); it is left as it is, a small leak per fork.
  (void)batcher_.release();
  batcher_ = std::make_unique<Batcher>(this, options_);
  batcher_->start();
}

const TracerScope* ProviderCore::scope(std::string_view name, std::string_view version) {
  restart_after_fork();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const TracerScope& s : scopes_) {
    if (s.name == name && s.version == version) return &s;
  }
  scopes_.push_back({std::string(name), std::string(version)});
  return &scopes_.back();
}

ThreadState* ProviderCore::register_thread() {
  for (const ThreadRegistration& r : t_registrations.list) {
    if (r.core.get() == this) {
      t_cache_core = this;
      t_cache_state = r.state;
      return r.state;
    }
  }
  auto* ts = new ThreadState(options_.ring_bytes_per_thread);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.push_back(ts);
  }
  t_registrations.list.push_back({shared_from_this(), ts});
  t_cache_core = this;
  t_cache_state = ts;
  return ts;
}

void ProviderCore::retire(ThreadState* ts) {
  if (t_cache_state == ts) {
    t_cache_core = nullptr;
    t_cache_state = nullptr;
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

void ProviderCore::registered(std::vector<ThreadState*>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  out.assign(threads_.begin(), threads_.end());
}

void ProviderCore::reap(ThreadState* ts) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.erase(std::remove(threads_.begin(), threads_.end(), ts), threads_.end());
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

SpanBuffer* ProviderCore::new_buffer() {
  auto* b = new SpanBuffer;
  b->core = this;
  b->max_attributes = options_.max_attributes;
  b->max_attribute_length = options_.max_attribute_length;
  b->max_items_bytes = max_items_bytes_;
  return b;
}

bool ProviderCore::force_flush(std::chrono::milliseconds timeout) {
  restart_after_fork();
  std::unique_lock<std::mutex> lock(mutex_);
  if (options_.disabled) return true;  // nothing to send
  if (!batcher_running_) return false;
  Batcher* b = batcher_.get();
  lock.unlock();
  return b->flush(timeout);
}

bool ProviderCore::shutdown(std::chrono::milliseconds timeout) {
  restart_after_fork();
  std::lock_guard<std::mutex> serial(shutdown_mutex_);
  Batcher* b;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!batcher_running_) return true;
    b = batcher_.get();
  }
  shut_down_.store(true, std::memory_order_relaxed);
  const bool ok = b->stop(timeout);
  std::vector<ThreadState*> retired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batcher_running_ = false;
    for (ThreadState* ts : threads_) {
      if (ts->retired.load(std::memory_order_acquire)) retired.push_back(ts);
    }
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
  ExporterStats e;
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
    if (batcher_) e = batcher_->exporter_stats();
  }
  s.spans_exported = e.spans_sent;
  s.spans_dropped_too_large = e.spans_too_large;
  s.spans_failed = e.spans_failed;
  s.packets_sent = e.packets_sent;
  s.packets_failed = e.packets_failed;
  s.bytes_sent = e.bytes_sent;
  const uint64_t accounted = s.spans_exported + s.spans_dropped_too_large + s.spans_failed + s.spans_dropped_queue;
  s.spans_pending = s.spans_ended > accounted ? s.spans_ended - accounted : 0;
  return s;
}

uint64_t ProviderCore::dropped_total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t total = retired_counters_.dropped + unsent_after_stop_ - fork_baseline_.dropped;
  for (const ThreadState* ts : threads_) total += ts->dropped.load(std::memory_order_relaxed);
  return total;
}

std::string ProviderCore::agent_address() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batcher_ ? batcher_->peer() : std::string();
}

}  // namespace litetrace::detail
