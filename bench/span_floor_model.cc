// The floor model of a span (span_floor_model.h): its start and end out of line, as
// litetrace's are, so that bench/instructions.py counts the same kind of call.

#include "span_floor_model.h"

#include <cstdlib>

#include "core/byte_copy.h"
#include "core/id_generator.h"
#include "core/span_record.h"  // put()
#include "core/tick_clock.h"

namespace litetrace::floor_model {
namespace {

struct ThreadContext {
  SpanContext current;  // the current span, as litetrace's Scope sets it
  detail::IdGenerator ids;  // litetrace's (its fork check is left out, as litetrace's hot path does)
  Core* cache_core = nullptr;
  ThreadState* cache_state = nullptr;
};
thread_local ThreadContext t_context;

// As litetrace's this_thread_context(): the address computed once.
ThreadContext& this_thread_context() {
  ThreadContext* tc = &t_context;
#if defined(__GNUC__)
  __asm__("" : "+r"(tc));
#endif
  return *tc;
}

// Every span off the common case: not modelled (span_floor_model.h).
__attribute__((noinline)) Span start_not_modelled(const SpanContext& parent) {
  if (ThreadState* ts = this_thread_context().cache_state) ++ts->not_modelled;
  return Span(0, parent);
}
__attribute__((noinline)) void end_not_modelled() {
  if (ThreadState* ts = this_thread_context().cache_state) ++ts->not_modelled;
}

constexpr size_t kAlign = 8;
constexpr size_t kLongestName = 255;
// A start record: size, type, flags, scope, trace id, span id, parent's id, start; then the
// name's length and bytes. An end record: size, type, the start record's position, end.
constexpr size_t kStartHead = 8 + 8 + 16 + 8 + 8 + 8;
constexpr size_t kEndRecord = 8 + 8 + 8;
constexpr uint8_t kStartType = 1;
constexpr uint8_t kEndType = 2;

}  // namespace

Span Tracer::start_span(std::string_view name) const {
  ThreadContext& tc = this_thread_context();
  const SpanContext& parent = tc.current;
  Core* core = core_;
  if (core == nullptr) return Span(0, parent);
  if (core != tc.cache_core || core->sampler != nullptr || name.size() > kLongestName) {
    return start_not_modelled(parent);
  }
  ThreadState* ts = tc.cache_state;
  SpanContext ctx;
  uint64_t parent_id = 0;
  if (parent.valid()) {
    ctx.trace_id = parent.trace_id;
    ctx.span_id = tc.ids.next_unchecked();
    ctx.flags = parent.flags;
    parent_id = parent.span_id;
  } else {
    // As litetrace's root: two draws, its own id the trace id's low half.
    const detail::IdGenerator::TraceIdHalves halves = tc.ids.next_trace_unchecked();
    ctx.trace_id = {halves.high, halves.low};
    ctx.span_id = halves.low;
    ctx.flags = 1;  // the default sampler: the parent's decision, else sampled
  }
  if ((ctx.flags & 1) == 0) {
    ++ts->not_sampled;
    return Span(0, ctx);
  }
  Ring& ring = ts->ring;
  const uint64_t w = ring.write;
  const uint64_t size = (kStartHead + 2 + name.size() + kAlign - 1) & ~(kAlign - 1);
  if (w + size > ring.fast_end) return start_not_modelled(parent);
  uint8_t* p = ring.buffer + (w & ring.mask);
  const uint64_t start = detail::read_ticks();
  detail::put(p, static_cast<uint64_t>(size) | uint64_t{kStartType} << 32 | uint64_t{ctx.flags} << 40);
  detail::put(p + 8, scope_);
  detail::put(p + 16, ctx.trace_id.high);
  detail::put(p + 24, ctx.trace_id.low);
  detail::put(p + 32, ctx.span_id);
  detail::put(p + 40, parent_id);
  detail::put(p + 48, start);
  detail::put(p + kStartHead, static_cast<uint16_t>(name.size()));
  detail::move_bytes(p + kStartHead + 2, name.data(), name.size());  // litetrace's short copy
  ring.write = w + size;
  // Release pairs with a consumer's acquire load of the tail: the record is written first.
  ring.published.store(w + size, std::memory_order_release);
  ++ts->started;
  return Span(w + 1, ctx);
}

void Span::end() {
  const uint64_t start_record = start_record_;
  if (start_record == 0) return;
  start_record_ = 0;
  ThreadContext& tc = this_thread_context();
  Core* core = tc.cache_core;
  ThreadState* ts = tc.cache_state;
  if (core == nullptr) return end_not_modelled();
  Ring& ring = ts->ring;
  const uint64_t w = ring.write;
  // As in litetrace, the bound is 0 where the ticks are not the counter's (register_thread).
  if (w + kEndRecord > ring.fast_end) return end_not_modelled();
  uint8_t* p = ring.buffer + (w & ring.mask);
  detail::put(p, static_cast<uint64_t>(kEndRecord) | uint64_t{kEndType} << 32);
  detail::put(p + 8, start_record - 1);
  detail::put(p + 16, detail::read_counter());  // a fast end: the counter is the tick source
  ring.write = w + kEndRecord;
  ring.published.store(w + kEndRecord, std::memory_order_release);  // as in start_span()
  ++ts->ended;
}

ThreadState* register_thread(Core* core, size_t ring_bytes) {
  detail::decide_tick_source();  // litetrace's read_ticks(): the CPU's counter where it can
  auto* ts = new ThreadState;
  ts->ring.buffer = static_cast<uint8_t*>(std::calloc(1, ring_bytes));
  ts->ring.mask = ring_bytes - 1;
  ts->ring.fast_end = detail::ticks_are_counter() ? ring_bytes : 0;
  ThreadContext& tc = this_thread_context();
  tc.cache_core = core;
  tc.cache_state = ts;
  return ts;
}

void consume_all(ThreadState* ts) {
  // Everything published has been read: the next record starts the buffer's next lap, so
  // that none is written across the buffer's end (which the fast path does not test for).
  Ring& ring = ts->ring;
  const uint64_t lap = ring.mask + 1;
  ring.write = (ring.published.load(std::memory_order_acquire) + lap - 1) & ~ring.mask;
  ring.fast_end = detail::ticks_are_counter() ? ring.write + lap : 0;  // as register_thread()
}

void unregister_thread(ThreadState* ts) {
  ThreadContext& tc = this_thread_context();
  tc.cache_core = nullptr;
  tc.cache_state = nullptr;
  std::free(ts->ring.buffer);
  delete ts;
}

}  // namespace litetrace::floor_model
