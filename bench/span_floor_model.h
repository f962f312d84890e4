#pragma once

// A model of the least a span can cost on its thread, for bench/instructions.py's
// floor-model workload: not litetrace, and not linked into it (span_floor_model.cc). It
// uses litetrace's own pieces where a litetrace span does: the id generator, the clock,
// the short copy.
//
// The model keeps what every litetrace span must do - find the thread's state for the
// tracer's provider, take the current span as the parent, draw random ids, ask whether a
// sampler is set, read the tick counter at start and end, copy the name, count the span,
// return a Span that carries its context - and drops the rest of litetrace's design: a
// span is two records in its thread's ring, written once each (Tracy's model of a zone). Its
// start writes the start record (ids, parent, start time, name) at the ring's tail and
// publishes it at once; its end writes an end record that names the start record. There is
// no per-span buffer, so there is nothing to set attributes into: a consumer would pair
// the records (by the start record's position) and attributes would be records of their
// own. Whatever is off the common case (no provider state, a sampler, a full ring, a long
// name, an end that cannot read the CPU's counter) is not modelled: those calls go to one
// out-of-line function that records nothing, so the common case keeps the tests that lead
// away from it.
//
// Thread: a model Span is started and ended on one thread.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace litetrace::floor_model {

struct TraceId {
  uint64_t high = 0;
  uint64_t low = 0;
};

struct SpanContext {
  TraceId trace_id;
  uint64_t span_id = 0;
  uint8_t flags = 0;  // bit 0: sampled
  bool remote = false;
  bool valid() const { return (trace_id.high | trace_id.low) != 0 && span_id != 0; }
};

class Sampler;

// A provider, as far as the common case reads it.
struct Core {
  Sampler* sampler = nullptr;  // nullptr: the default sampler, decided inline
};

// One thread's ring, as litetrace's SpanRing: records reserved at the tail up to the room
// last seen free, published by a release store of the new tail.
struct Ring {
  uint64_t write = 0;
  // The tail may reach this without a look at the consumer; 0 where ends cannot read the
  // CPU's counter (they would go the uncommon way), as litetrace's SpanRing once refused.
  uint64_t fast_end = 0;
  uint64_t mask = 0;
  uint8_t* buffer = nullptr;
  std::atomic<uint64_t> published{0};
};

struct ThreadState {
  Ring ring;
  uint64_t started = 0;
  uint64_t ended = 0;
  uint64_t not_sampled = 0;
  uint64_t not_modelled = 0;  // spans off the common case
};

class Span {
 public:
  Span() = default;
  Span(uint64_t start_record, const SpanContext& context) : start_record_(start_record), context_(context) {}
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() {
    if (start_record_ != 0) end();
  }
  void end();
  const SpanContext& context() const { return context_; }

 private:
  uint64_t start_record_ = 0;  // the start record's ring position + 1; 0: not recording
  SpanContext context_;
};

class Tracer {
 public:
  Tracer(Core* core, const void* scope) : core_(core), scope_(scope) {}
  Span start_span(std::string_view name) const;

 private:
  Core* core_;
  const void* scope_;
};

// Makes `core` the calling thread's provider, with a ring of `ring_bytes` (a power of two),
// as a thread's first span does in litetrace.
ThreadState* register_thread(Core* core, size_t ring_bytes);
// Frees the ring up to its tail, as a consumer that has read every record would. The ring
// must be consumed before a lap's worth of records is written.
void consume_all(ThreadState* ts);
void unregister_thread(ThreadState* ts);

}  // namespace litetrace::floor_model
