#pragma once

// Reading a span record back (span_record.h). Every mapping from records to a wire format
// (Jaeger, OTLP) reads them through this, so the item layout is known in two places only:
// Span, which writes it (trace.cc), and here.
//
// Thread: the batcher. Views point into the record.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/compiler.h"
#include "core/span_record.h"
#include "core/tick_clock.h"

namespace litetrace::detail {

struct RecordAttribute {
  std::string_view key;
  ValueType type = ValueType::kString;
  // Only the field of `type` is set.
  std::string_view bytes;  // kString and kBytes; an array's elements (for_each_element)
  int64_t integer = 0;     // kInt64, and kBool as 0 or 1
  double number = 0;       // kDouble
};

// An array attribute's element count.
inline size_t element_count(const RecordAttribute& a) {
  switch (a.type) {
    case ValueType::kBoolArray: return a.bytes.size();
    case ValueType::kInt64Array:
    case ValueType::kDoubleArray: return a.bytes.size() / 8;
    case ValueType::kStringArray: {
      size_t n = 0;
      for (size_t at = 0; at + 4 <= a.bytes.size(); ++n) {
        uint32_t length;
        std::memcpy(&length, a.bytes.data() + at, 4);
        at += 4 + length;
      }
      return n;
    }
    default: return 0;
  }
}

// Calls f(element) for each element of an array attribute, in order; each element is a
// RecordAttribute of the scalar type (kString, kBool, kInt64, kDouble) without a key.
template <typename F>
void for_each_element(const RecordAttribute& a, F f) {
  RecordAttribute e;
  const char* p = a.bytes.data();
  const char* const end = p + a.bytes.size();
  switch (a.type) {
    case ValueType::kBoolArray:
      e.type = ValueType::kBool;
      for (; p < end; ++p) {
        e.integer = *p != 0 ? 1 : 0;
        f(e);
      }
      return;
    case ValueType::kInt64Array:
      e.type = ValueType::kInt64;
      for (; p + 8 <= end; p += 8) {
        std::memcpy(&e.integer, p, 8);
        f(e);
      }
      return;
    case ValueType::kDoubleArray:
      e.type = ValueType::kDouble;
      for (; p + 8 <= end; p += 8) {
        std::memcpy(&e.number, p, 8);
        f(e);
      }
      return;
    case ValueType::kStringArray:
      e.type = ValueType::kString;
      while (p + 4 <= end) {
        uint32_t length;
        std::memcpy(&length, p, 4);
        e.bytes = std::string_view(p + 4, length);
        p += 4 + length;
        f(e);
      }
      return;
    default: return;
  }
}

// One live item; which fields mean something depends on `kind`.
struct RecordItem {
  ItemKind kind = ItemKind::kName;
  std::string_view text;       // kName, kStatusDescription, kTraceState, and a kEvent's name
  RecordAttribute attribute;   // kAttribute, kEventAttribute, kLinkAttribute (of the kEvent or kLink before it)
  bool time_is_unix_ns = false;  // kEvent: `time` is Unix ns, else counter ticks
  uint64_t time = 0;             // kEvent
  uint16_t dropped = 0;          // kEvent, kLink: attributes it dropped
  uint8_t trace_flags = 0;       // kLink: the linked context's W3C flags
  bool remote = false;           // kLink: the linked context came from another process
  uint64_t trace_id_high = 0;    // kLink
  uint64_t trace_id_low = 0;     // kLink
  uint64_t span_id = 0;          // kLink
};

// A record's header where the ring holds it, each field read where it is used: the record
// encoder's and the OTLP mapper's way. A copy of the whole header (96 bytes, which GCC keeps
// whole on the stack) cost the Jaeger batcher 12 instructions a span.
class RecordHeaderView {
 public:
  explicit RecordHeaderView(const uint8_t* record) : record_(record) {}

#define LITETRACE_HEADER_FIELD(field)                                                  \
  decltype(SpanRecordHeader::field) field() const {                                     \
    return load<decltype(SpanRecordHeader::field)>(offsetof(SpanRecordHeader, field)); \
  }
  LITETRACE_HEADER_FIELD(scope)
  LITETRACE_HEADER_FIELD(trace_id_high)
  LITETRACE_HEADER_FIELD(trace_id_low)
  LITETRACE_HEADER_FIELD(span_id)
  LITETRACE_HEADER_FIELD(parent_span_id)
  LITETRACE_HEADER_FIELD(start)
  LITETRACE_HEADER_FIELD(end)
  LITETRACE_HEADER_FIELD(sampler_param)
  LITETRACE_HEADER_FIELD(dropped_attributes)
  LITETRACE_HEADER_FIELD(dropped_events)
  LITETRACE_HEADER_FIELD(dropped_links)
  LITETRACE_HEADER_FIELD(event_count)
  LITETRACE_HEADER_FIELD(link_count)
  LITETRACE_HEADER_FIELD(status)
  LITETRACE_HEADER_FIELD(time_flags)
  LITETRACE_HEADER_FIELD(trace_flags)
  LITETRACE_HEADER_FIELD(kind)
  LITETRACE_HEADER_FIELD(sampler_type)
  LITETRACE_HEADER_FIELD(parent_remote)
#undef LITETRACE_HEADER_FIELD

 private:
  template <typename T>
  T load(size_t offset) const {
    T v;
    std::memcpy(&v, record_ + offset, sizeof v);
    return v;
  }
  const uint8_t* record_;
};

// Whether mapping the record reads counter ticks (its start, its end, or an event time).
inline bool has_tick_times(const RecordHeaderView& h) {
  return (h.time_flags() & (kStartIsUnixNs | kEndIsUnixNs)) != (kStartIsUnixNs | kEndIsUnixNs) ||
         h.event_count() != 0;
}

class RecordReader {
 public:
  explicit RecordReader(const uint8_t* record) : record_(record) {
    uint32_t items_size;
    std::memcpy(&items_size, record + offsetof(SpanRecordHeader, items_size), sizeof items_size);
    p_ = record + sizeof(SpanRecordHeader);
    end_ = p_ + items_size;
  }

  // A copy of the header; RecordHeaderView reads one field at a time.
  SpanRecordHeader header() const {
    SpanRecordHeader h;
    std::memcpy(&h, record_, sizeof h);
    return h;
  }

  // Whether the next item is of `kind`: the attributes of an event or a link follow it
  // directly (they are never replaced, so no dead item comes between).
  bool next_is(ItemKind kind) const { return p_ < end_ && static_cast<ItemKind>(*p_) == kind; }

  // The next item's attribute when the next item is of `kind` (the attributes of an event
  // or a link), else false: for a loop over them that needs no whole RecordItem.
  bool next_attribute(ItemKind kind, RecordAttribute& a) {
    if (!next_is(kind)) return false;
    read_attribute(a);
    return true;
  }

  // The next item's text, when next_is() said it is a text item (kName, kStatusDescription
  // or kTraceState): read without the switch over every kind of item.
  std::string_view next_text() {
    ++p_;
    return get_bytes(p_, get<uint16_t>(p_));
  }

  // Where the reader is, to come back to with rewind() after reading ahead.
  const uint8_t* mark() const { return p_; }
  void rewind(const uint8_t* mark) { p_ = mark; }

  // The next live item, in the order the span recorded them (dead items are skipped);
  // false at the end.
  bool next(RecordItem& item) { return next_inline(item); }
  // The same, inlined wherever it is called: for the record encoder and its log writer.
  // Clang's flatten does not reach into the functions it inlines, so clang 14 called next()
  // there (~50 instructions a span on the batcher). Elsewhere the compiler decides.
  LITETRACE_ALWAYS_INLINE bool next_inline(RecordItem& item) {
    while (p_ < end_) {
      const auto kind = static_cast<ItemKind>(*p_);
      item.kind = kind;
      switch (kind) {
        case ItemKind::kAttribute:
        case ItemKind::kEventAttribute:
        case ItemKind::kLinkAttribute:
          read_attribute(item.attribute);
          return true;
        case ItemKind::kDeadAttribute:
          read_attribute(item.attribute);
          continue;
        case ItemKind::kName:
        case ItemKind::kStatusDescription:
        case ItemKind::kTraceState:
          ++p_;
          item.text = get_bytes(p_, get<uint16_t>(p_));
          return true;
        case ItemKind::kDeadText:
          ++p_;
          get_bytes(p_, get<uint16_t>(p_));
          continue;
        case ItemKind::kEvent: {
          ++p_;
          item.time_is_unix_ns = get<uint8_t>(p_) != 0;
          item.time = get<uint64_t>(p_);
          item.dropped = get<uint16_t>(p_);
          item.text = get_bytes(p_, get<uint16_t>(p_));  // its kEventAttribute items follow
          return true;
        }
        case ItemKind::kLink:
          ++p_;
          item.trace_flags = get<uint8_t>(p_);
          item.remote = get<uint8_t>(p_) != 0;
          item.trace_id_high = get<uint64_t>(p_);
          item.trace_id_low = get<uint64_t>(p_);
          item.span_id = get<uint64_t>(p_);
          item.dropped = get<uint16_t>(p_);
          return true;
      }
      p_ = end_;  // cannot happen: only Span writes records
    }
    return false;
  }

  // The next span attribute (a kAttribute item), the items before it passed over: for the
  // record encoder, which writes the others elsewhere or not at all. One test per
  // attribute, where next_inline() takes a jump table.
  LITETRACE_ALWAYS_INLINE bool next_span_attribute(RecordAttribute& a) {
    while (p_ < end_) {
      if (LITETRACE_LIKELY(static_cast<ItemKind>(*p_) == ItemKind::kAttribute)) {
        read_attribute(a);
        return true;
      }
      p_ += record_item_size(p_);
    }
    return false;
  }

 private:
  void read_attribute(RecordAttribute& a) {
    const auto head = get<AttributeItemHead>(p_);
    a.type = static_cast<ValueType>(head.type);  // only the fields of this type are set
    switch (a.type) {
      case ValueType::kBool:
      case ValueType::kInt64: a.integer = get<int64_t>(p_); break;
      case ValueType::kDouble: a.number = get<double>(p_); break;
      default:  // strings, bytes and arrays
        a.key = get_bytes(p_, head.key_length);
        a.bytes = get_bytes(p_, head.value_length);
        return;
    }
    a.key = get_bytes(p_, head.key_length);
  }

  const uint8_t* record_;
  const uint8_t* p_;
  const uint8_t* end_;
};

// A span's start in Unix ns and its duration. Counter times become both together
// (TickConverter::span_times): the duration from the monotonic clock, never shorter than
// the time the span was open. Given times are taken as they are; a duration is never
// negative. Always inlined, as span_times() is: clang called both out of line from the
// record encoder.
LITETRACE_ALWAYS_INLINE SpanTimes record_times(uint8_t time_flags, uint64_t start, uint64_t end,
                                               const TickConverter& clock) {
  SpanTimes times;
  const bool start_ticks = (time_flags & kStartIsUnixNs) == 0;
  const bool end_ticks = (time_flags & kEndIsUnixNs) == 0;
  if (start_ticks && end_ticks) return clock.span_times(start, end);
  times.start_unix_ns = start_ticks ? clock.to_unix_ns(start) : static_cast<int64_t>(start);
  const int64_t end_ns = end_ticks ? clock.to_unix_ns(end) : static_cast<int64_t>(end);
  times.duration_ns = std::max<int64_t>(end_ns - times.start_unix_ns, 0);
  return times;
}
LITETRACE_ALWAYS_INLINE SpanTimes record_times(const SpanRecordHeader& h, const TickConverter& clock) {
  return record_times(h.time_flags, h.start, h.end, clock);
}

// An event's time in Unix ns.
inline int64_t event_unix_ns(const RecordItem& event, const TickConverter& clock) {
  return event.time_is_unix_ns ? static_cast<int64_t>(event.time) : clock.to_unix_ns(event.time);
}

}  // namespace litetrace::detail
