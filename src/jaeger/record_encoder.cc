#include "jaeger/record_encoder.h"

#include <cstddef>
#include <cstring>

#include "core/compiler.h"
#include "core/record_reader.h"
#include "jaeger/span_mapper.h"
#include "jaeger/tag_writer.h"

namespace litetrace::detail {
namespace {

// What a plain span writes beyond its items and its scope's tags, at most: the struct's
// fields (four ids of 11 bytes, flags 6, two times of 11), the tags' list header (7), the
// lead tags (span.kind=consumer 30, otel.status_code=ERROR 34, error=true 13, the status
// description's key and framing 37: its text is an item), the sampler's (sampler.type 38,
// sampler.param 27), the dropped counts' (3 x 45) and the stop byte: 411.
constexpr size_t kPlainFixedBytes = 512;
// Of a scope tag (key < 21 bytes), but for its value: key header, key length (1) and key,
// vType (2), value header, value length (5), stop byte.
constexpr size_t kScopeTagFrame = 1 + 1 + 20 + 2 + 1 + 5 + 1;

}  // namespace

size_t RecordEncoder::plain_bound(const uint8_t* record) {
  // The fields it needs, not the whole header.
  uint16_t events;
  uint16_t links;
  uint32_t items_size;
  const TracerScope* scope;
  std::memcpy(&events, record + offsetof(SpanRecordHeader, event_count), sizeof events);
  std::memcpy(&links, record + offsetof(SpanRecordHeader, link_count), sizeof links);
  if ((events | links) != 0) return 0;
  std::memcpy(&items_size, record + offsetof(SpanRecordHeader, items_size), sizeof items_size);
  std::memcpy(&scope, record + offsetof(SpanRecordHeader, scope), sizeof scope);
  // Each item encodes to at most twice its size: an attribute item is its 8-byte head, the
  // key, the value (and 8 bytes for a scalar); its tag adds at most 5 bytes of framing to
  // the key and value bytes (13 for a string, less the 8 of the head). The name's field
  // adds one byte to its item.
  size_t n = kPlainFixedBytes + 2 * size_t{items_size};
  if (scope != nullptr) n += 4 * kScopeTagFrame + 2 * (scope->name.size() + scope->version.size());
  return n;
}

LITETRACE_FLATTEN size_t RecordEncoder::encode(const uint8_t* record, uint8_t* out, TagRunCache& cache,
                                                 AttributeLimits limits) const {
  RecordReader reader(record);
  AttributeCheck check(limits);
  const SpanRecordHeader& h = reader.header();
  RecordItem item;
  // The name is the first item, unless update_name() gave it another length (then it is the
  // one live kName further on).
  std::string_view name;
  if (reader.next_is(ItemKind::kName)) {
    reader.next(item);
    name = item.text;
  } else {
    for (RecordReader scan = reader; scan.next(item);) {
      if (item.kind == ItemKind::kName) name = item.text;
    }
  }
  // An error's description, wherever it is among the items: its tag comes first.
  std::string_view status_description;
  if (h.status == static_cast<uint8_t>(StatusCode::kError)) {
    for (RecordReader scan = reader; scan.next(item);) {
      if (item.kind == ItemKind::kStatusDescription) status_description = item.text;
    }
  }
  const bool has_description = !status_description.empty();
  const JaegerTimes times = jaeger_times(h, *clock_);

  // Local writers whose addresses never escape stay in registers (jaeger_encoder.cc).
  CompactRawWriter w(out);
  w.struct_begin();
  // Random ids, and Unix microseconds, take eight to ten bytes.
  w.field_wide_i64(/*Span.traceIdLow*/ 1, static_cast<int64_t>(h.trace_id_low));
  w.field_wide_i64(/*Span.traceIdHigh*/ 2, static_cast<int64_t>(h.trace_id_high));
  w.field_wide_i64(/*Span.spanId*/ 3, static_cast<int64_t>(h.span_id));
  w.field_wide_i64(/*Span.parentSpanId*/ 4, static_cast<int64_t>(h.parent_span_id));
  w.field_binary(/*Span.operationName*/ 5, name);
  w.field_i32(/*Span.flags*/ 7, h.trace_flags & (kFlagSampled | kFlagDebug));
  w.field_wide_i64(/*Span.startTime*/ 8, times.start_us);
  w.field_i64(/*Span.duration*/ 9, times.duration_us);

  // The tags, in one pass over the items: written after room for the list's field header
  // and a one-byte count, and moved up in the rare case that the count needs more.
  constexpr int16_t kLastField = 9;
  constexpr size_t kShortHead = field_header_size(kLastField, /*Span.tags*/ 10) + list_header_size(0);
  const size_t tags_at = w.size() + kShortHead;
  CompactRawWriter t(out + tags_at);
  size_t count = 0;
  const auto write = [&](const Tag& tag) LITETRACE_INLINE_LAMBDA {
    write_tag_fields(t, tag);
    ++count;
  };
  lead_tags(h, status_description, write);
  size_t scope_count = 0;
  scope_tags(h.scope, [&](const Tag&) { ++scope_count; });
  if (scope_count != 0) {
    std::string_view run = cache.find(h.scope);
    if (run.data() == nullptr) {
      Tag tags[4];
      size_t n = 0;
      scope_tags(h.scope, [&](const Tag& tag) { tags[n++] = tag; });
      run = cache.bytes(h.scope, {tags, n});
    }
    t.write_raw(run.data(), run.size());
    count += scope_count;
  }
  sampler_tags(h, write);
  while (reader.next(item)) {
    switch (item.kind) {
      case ItemKind::kAttribute:
        if (is_array(item.attribute.type) || taken_by_mapping(item.attribute.key, h, has_description)) return 0;
        if (!check.admit(item.attribute.key, item.attribute.type, item.attribute.bytes)) return 0;
        with_scalar_tag(item.attribute, write);
        break;
      case ItemKind::kName:               // the name, when it was not the first item
      case ItemKind::kTraceState:         // Jaeger has no place for it
      case ItemKind::kStatusDescription:  // its tag is among the lead tags
        break;
      default: return 0;  // events and links
    }
  }
  dropped_count_tags(h.dropped_attributes, h.dropped_events, h.dropped_links, write);
  if (count == 0) {  // no tags field
    w.struct_end();
    return w.size();
  }
  const size_t head_size = field_header_size(kLastField, 10) + list_header_size(count);
  uint8_t* const head = out + tags_at - kShortHead;
  if (head_size != kShortHead) std::memmove(head + head_size, out + tags_at, t.size());
  CompactRawWriter list(head);
  list.set_last_field_id(kLastField);
  list.field_list_begin(/*Span.tags*/ 10, CType::kStruct, count);
  CompactRawWriter stop(head + head_size + t.size());
  stop.write_byte(kStop);
  return static_cast<size_t>(head - out) + head_size + t.size() + stop.size();
}

}  // namespace litetrace::detail
