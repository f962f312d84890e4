#pragma once

// What an application thread writes for one span, and the batcher reads back.
//
// While a span is open its data lives in a SpanBuffer (pooled per thread, reused, so a
// warm thread allocates nothing): a fixed header and a byte stream of items - the name,
// attributes, events with their attributes, links, the status description. end() copies
// header and items into the thread's SpanRing as one record. The batcher's sinks interpret
// records (kind and status tags, time conversion, scope tags: record_encoder.h,
// span_mapper.h, the OTLP and Zipkin formats), off the application thread.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/byte_copy.h"
#include "core/compiler.h"
#include "core/raw_array.h"
#include "litetrace/trace.h"

namespace litetrace::detail {

class ProviderCore;

// An instrumentation scope: one per name and version in the process, never freed
// (intern_scope).
struct TracerScope {
  std::string name;
  std::string version;
  const TracerScope* previous = nullptr;  // interned before it (intern_scope's list)
};

enum class ItemKind : uint8_t {
  kName = 1,           // u16 length, bytes (the last one wins: update_name)
  kAttribute,          // AttributeItemHead, [8-byte scalar value], key bytes, [value bytes]
  kDeadAttribute,      // an attribute replaced by a later one with the same key
  kEvent,              // u8 explicit time, u64 time, u16 dropped attributes, u16 name length, name;
                      // then its kEventAttributes
  kEventAttribute,     // as kAttribute, belonging to the event before it
  kLink,               // u8 trace flags, u8 remote, u64 trace id high, u64 low, u64 span id,
                      // u16 dropped attributes; then its kLinkAttributes
  kStatusDescription,  // u16 length, bytes
  kDeadText,           // a replaced kName or kStatusDescription, as they are laid out
  kTraceState,         // u16 length, bytes: the parent's W3C tracestate, when it has one
  kLinkAttribute,      // as kAttribute, belonging to the link before it
};

// Replaced items stay in place, marked dead, until they make up half the items; then the
// live ones are moved together (SpanBuffer::dead_bytes), so a span's items are bounded by
// what it holds, never by how often it was changed.
inline bool is_dead(ItemKind k) { return k == ItemKind::kDeadAttribute || k == ItemKind::kDeadText; }

// Attribute value types in items; the same numbering as AttributeValue::Type. An array's
// value bytes are its elements back to back: a byte (0 or 1) per bool, 8 bytes per int64 or
// double (as in memory), and per string a u32 length and the bytes.
enum class ValueType : uint8_t { kString, kBool, kInt64, kDouble, kBytes, kStringArray, kBoolArray, kInt64Array,
                                 kDoubleArray };
inline bool is_array(ValueType t) { return t >= ValueType::kStringArray; }

enum TimeFlags : uint8_t { kStartIsUnixNs = 1, kEndIsUnixNs = 2 };

// The fixed start of an attribute item (one 8-byte store on the hot path), AttributeItemHead,
// is in litetrace/trace.h, whose setters for literal keys write attribute items inline.
static_assert(sizeof(AttributeItemHead) == 8, "packed by layout");
static_assert(kAttributeItem == static_cast<uint8_t>(ItemKind::kAttribute), "the inline setters' item kind");
static_assert(kStringValue == static_cast<uint8_t>(ValueType::kString) &&
                  kBoolValue == static_cast<uint8_t>(ValueType::kBool) &&
                  kInt64Value == static_cast<uint8_t>(ValueType::kInt64) &&
                  kDoubleValue == static_cast<uint8_t>(ValueType::kDouble),
              "the inline setters' value types");

inline bool is_scalar(ValueType t) {  // kBool, kInt64 or kDouble
  return ((0b1110u >> static_cast<unsigned>(t)) & 1u) != 0;
}

// A bit per hash of an attribute key, for a 64-bit filter of the keys met: a clear bit is a
// key not met yet (trace.cc for an event's or a link's attributes, record_normalizer.cc for
// a span's).
inline uint64_t attribute_key_bit(std::string_view key) {
  const size_t h = key.size() * 0x9E37u + (key.empty() ? 0u : static_cast<unsigned char>(key.back()));
  return uint64_t{1} << (h & 63);
}

inline size_t attribute_item_size(const AttributeItemHead& h) {
  return sizeof h + (is_scalar(static_cast<ValueType>(h.type)) ? 8 : 0) + h.key_length + h.value_length;
}

// kind, flags, remote, trace id, span id, dropped attributes.
constexpr size_t kLinkItemSize = 1 + 1 + 1 + 16 + 8 + 2;
constexpr size_t kLinkDroppedOffset = kLinkItemSize - 2;
// kind, explicit time, time, dropped attributes, name length; then the name.
constexpr size_t kEventHeadSize = 1 + 1 + 8 + 2 + 2;
constexpr size_t kEventDroppedOffset = 1 + 1 + 8;

// The size of the item at `p`, inline: for the OTLP encoder's loops over every item.
inline size_t record_item_size_inline(const uint8_t* p) {
  uint16_t n;
  switch (static_cast<ItemKind>(*p)) {
    case ItemKind::kName:
    case ItemKind::kStatusDescription:
    case ItemKind::kTraceState:
    case ItemKind::kDeadText: std::memcpy(&n, p + 1, 2); return 3 + n;
    case ItemKind::kAttribute:
    case ItemKind::kDeadAttribute:
    case ItemKind::kEventAttribute:
    case ItemKind::kLinkAttribute: {
      AttributeItemHead head;
      std::memcpy(&head, p, sizeof head);
      return attribute_item_size(head);
    }
    case ItemKind::kEvent: std::memcpy(&n, p + kEventHeadSize - 2, 2); return kEventHeadSize + n;
    case ItemKind::kLink: return kLinkItemSize;
  }
  return 1;
}

// The same out of line, one copy for every other caller: a program linked lean had one
// already, and the record encoder's call (RecordReader::next_span_attribute) adds none.
LITETRACE_NOINLINE inline size_t record_item_size(const uint8_t* p) { return record_item_size_inline(p); }

struct SpanRecordHeader {
  uint32_t size = 0;        // the whole record, this header included (ring framing); set by end()
  uint32_t items_size = 0;  // set by end()
  const TracerScope* scope = nullptr;
  uint64_t trace_id_high = 0;
  uint64_t trace_id_low = 0;
  uint64_t span_id = 0;
  uint64_t parent_span_id = 0;
  uint64_t start = 0;  // ticks (tick_clock.h), or Unix ns with kStartIsUnixNs
  uint64_t end = 0;    // set by end()
  double sampler_param = 0;
  // What the span's calls count: all zero at its start, where they are cleared together.
  uint32_t dropped_attributes = 0;
  uint32_t dropped_events = 0;
  uint32_t dropped_links = 0;
  uint16_t attribute_count = 0;  // live span attributes
  uint16_t event_count = 0;
  uint16_t link_count = 0;
  uint8_t status = 0;  // StatusCode
  uint8_t time_flags = 0;
  // Decided at start.
  uint8_t trace_flags = 0;
  uint8_t kind = 0;          // SpanKind
  uint8_t sampler_type = 0;  // SamplerType; root spans only
  uint8_t parent_remote = 0;  // 1: the parent came from another process
};
static_assert(sizeof(SpanRecordHeader) % 8 == 0, "records stay 8-byte aligned in the ring");

// The text of the last live item of `kind` (kName, kStatusDescription, kTraceState) among
// a record's items; empty when it has none. For the few spans that need it (a name that
// update_name() gave another length, an error's description, a diagnostic's span name):
// cold and out of line, one copy for every caller, stepping over items by their sizes
// alone rather than with a RecordReader, whose out-of-line copy is several times larger.
LITETRACE_COLD LITETRACE_NOINLINE inline std::string_view last_text(const uint8_t* record, ItemKind kind) {
  SpanRecordHeader h;
  std::memcpy(&h, record, sizeof h);
  std::string_view text;
  const uint8_t* const end = record + sizeof h + h.items_size;
  for (const uint8_t* p = record + sizeof h; p < end; p += record_item_size(p)) {
    if (static_cast<ItemKind>(*p) != kind) continue;
    uint16_t n;
    std::memcpy(&n, p + 1, sizeof n);
    text = std::string_view(reinterpret_cast<const char*>(p + 3), n);
  }
  return text;
}

// Per-span scratch. Thread: whichever thread holds the Span.
// Its items (items, used, capacity) and the setters' limit for a string value are its base,
// SpanItems, which the setters' inline common case uses (litetrace/trace.h).
struct SpanBuffer : SpanItems {
  static constexpr size_t kInlineBytes = 640;
  static_assert(kInlineBytes % kItemChunk == 0);

  SpanBuffer() noexcept {
    items = inline_items;
    capacity = kInlineBytes;
  }

  SpanBuffer* next_free = nullptr;
  ProviderCore* core = nullptr;
  // The core's limits, copied here so the hot path reads one cache line (constant).
  size_t max_attributes = 0;
  size_t max_attribute_length = 0;
  size_t max_items_bytes = 0;
  size_t dead_bytes = 0;  // items replaced and not yet reclaimed
  RawArray<uint8_t> heap;  // kept for reuse once a span needed more
  SpanRecordHeader header;
  uint8_t inline_items[kInlineBytes];

  // Room for `n` more bytes (growing once past the inline bytes, up to `limit`).
  uint8_t* append(size_t n, size_t limit) {
    if (used + n > capacity && !grow(used + n, limit)) return nullptr;
    uint8_t* p = items + used;
    used += n;
    return p;
  }

 private:
  bool grow(size_t needed, size_t limit);
};

// Little helpers for the item stream (unaligned, native byte order: it never leaves the
// process).
template <typename T>
inline uint8_t* put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
  return p + sizeof v;
}
inline uint8_t* put_bytes(uint8_t* p, std::string_view s) {
  move_bytes(p, s.data(), s.size());
  return p + s.size();
}
template <typename T>
inline T get(const uint8_t*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}
inline std::string_view get_bytes(const uint8_t*& p, size_t n) {
  const std::string_view s(reinterpret_cast<const char*>(p), n);
  p += n;
  return s;
}

}  // namespace litetrace::detail
