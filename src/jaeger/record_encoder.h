#pragma once

// A Jaeger span in compact Thrift, or in binary Thrift (encode_binary()), straight from its
// span record, without the Jaeger view that SpanMapper builds (vectors of tags, logs and
// references), for the spans most are: a name, attributes, events and links of scalars,
// strings or bytes, whatever the kind, status, scope, sampler and dropped counts (an
// attribute named as one of the mapping's tags giving way to it); no arrays. Those are
// "plain"; the others are made plain first (record_rewriter.h: arrays as the JSON strings the
// mapping makes of them), or go through SpanMapper. The bytes are the same either way
// (record_encoder_test.cc holds them equal). It checks the span attribute rules as it goes (record_normalizer.h), so a span
// that keeps them, as most do, is not read a second time.
//
// Thread: the batcher's.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/record_normalizer.h"
#include "core/tick_clock.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {

// Span.references and Span.logs, which a span's links and events become, are written out of
// the encoder and linked into a program only when it records links or events: the calls that
// add them (trace.cc) call use_jaeger_logs() first, so the batcher, which takes the record
// after it is published, finds the writers. Until then encode() takes no record with links
// or events (it returns 0), which no record of the program has.
struct LogWriters;
extern std::atomic<const LogWriters*> g_log_writers;
void link_jaeger_logs();
// Inline, and a load first: threads that add events find it set and write nothing, so its
// cache line does not bounce between them.
inline void use_jaeger_logs() {
  if (g_log_writers.load(std::memory_order_relaxed) == nullptr) link_jaeger_logs();
}

class RecordEncoder {
 public:
  // `deposit`: write wide varints with BMI2's pdep (has_fast_bit_deposit(), the default).
  explicit RecordEncoder(const TickConverter* clock);
  RecordEncoder(const TickConverter* clock, bool deposit) : clock_(clock), deposit_(deposit) {}

  // At least the bytes encode() writes for `record`, from its header alone.
  static size_t plain_bound(const uint8_t* record);
  // Writes the span at `out`, which has plain_bound() bytes of room, its scope's tags from
  // `cache`; returns the bytes written, or 0 when the record is not plain after all, or
  // when its span attributes break the rules within `limits` (what was written then means
  // nothing).
  size_t encode(const uint8_t* record, uint8_t* out, TagRunCache& cache, const AttributeLimits& limits) const;

  // The same span in Thrift's binary protocol (the collector's POST /api/traces), at `out`,
  // which has binary_plain_bound() bytes of room; `cache` holds binary tags (a cache of its
  // own). The deposit is not used.
  size_t encode_binary(const uint8_t* record, uint8_t* out, TagRunCache& cache, const AttributeLimits& limits) const;
  // Twice plain_bound(): beside its items' bytes, a span's fixed fields and tags take at most
  // 509 bytes in this protocol, a scope's tags 159 beside their text, an event's log 74
  // beside its dropped count's key (up to 119 within twice kEventExtra), a link's reference
  // and log 225 beside that key, the lists' headers and the parent's reference 57; and an
  // item, at least its 8-byte head, its key and value, becomes a tag of at most 22 bytes
  // beside those (or 26 and an 8-byte scalar), within four times its bytes.
  static size_t binary_plain_bound(const uint8_t* record) { return 2 * plain_bound(record); }

 private:
  // What a plain span writes beyond its items and its scope's tags, at most: the struct's
  // fields (four ids of 11 bytes, flags 6, two times of 11), the tags' list header (7), the
  // lead tags (span.kind=consumer 30, otel.status_code=ERROR 34, error=true 13, the status
  // description's key and framing 37: its text is an item), the sampler's (sampler.type 38,
  // sampler.param 27), the dropped counts' (3 x 45) and the stop byte: 411.
  static constexpr size_t kPlainFixedBytes = 512;
  // Of a scope tag (key < 21 bytes), but for its value: key header, key length (1) and key,
  // vType (2), value header, value length (5), stop byte.
  static constexpr size_t kScopeTagFrame = 1 + 1 + 20 + 2 + 1 + 5 + 1;
  // Beyond twice its item's bytes, at most: an event's log (its time 11, the fields' list
  // header 6, the "event" tag's framing 18, its dropped count's tag 46, the stop byte); a
  // link's reference (36) and log (its time, the list header, the "event", "trace_id" and
  // "span_id" tags with their hex 93, the dropped count's tag, the stop byte); and once, the
  // lists' headers (6 each) and the parent's reference.
  static constexpr size_t kEventExtra = 96;
  static constexpr size_t kLinkExtra = 224;
  static constexpr size_t kListsExtra = 64;

  // encode()'s body, by a CompactRawWriter or a BinaryRawWriter (record_encoder.cc).
  template <class W>
  size_t encode_as(const uint8_t* record, uint8_t* out, TagRunCache& cache, const AttributeLimits& limits) const;

  const TickConverter* clock_;
  bool deposit_;
};

// Inline: read per span, before each encode().
inline size_t RecordEncoder::plain_bound(const uint8_t* record) {
  // The fields it needs, not the whole header.
  uint16_t events;
  uint16_t links;
  uint32_t items_size;
  const TracerScope* scope;
  std::memcpy(&events, record + offsetof(SpanRecordHeader, event_count), sizeof events);
  std::memcpy(&links, record + offsetof(SpanRecordHeader, link_count), sizeof links);
  std::memcpy(&items_size, record + offsetof(SpanRecordHeader, items_size), sizeof items_size);
  std::memcpy(&scope, record + offsetof(SpanRecordHeader, scope), sizeof scope);
  // Each item encodes to at most twice its size: an attribute item is its 8-byte head, the
  // key, the value (and 8 bytes for a scalar); its tag adds at most 5 bytes of framing to
  // the key and value bytes (13 for a string, less the 8 of the head). The name's field
  // adds one byte to its item.
  size_t n = kPlainFixedBytes + 2 * size_t{items_size};
  if (scope != nullptr) n += 4 * kScopeTagFrame + 2 * (scope->name.size() + scope->version.size());
  if ((events | links) != 0) n += kListsExtra + events * kEventExtra + links * kLinkExtra;
  return n;
}

}  // namespace litetrace::detail
