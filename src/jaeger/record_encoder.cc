#include "jaeger/record_encoder.h"

#include <atomic>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "core/compiler.h"
#include "core/record_reader.h"
#include "jaeger/binary_writer.h"
#include "jaeger/span_mapper.h"
#include "jaeger/tag_writer.h"

#if defined(LITETRACE_BIT_DEPOSIT)
#include <cpuid.h>
#endif

namespace litetrace::detail {
namespace {

// The encoder writes either protocol, its writer `W` a CompactRawWriter or a
// BinaryRawWriter: the same fields and calls, in field order (Thrift's binary protocol
// keeps no last field id, and its list counts have a fixed width).
template <class W>
constexpr bool kBinary = std::is_same_v<W, BinaryRawWriter>;

// One Tag struct at `at`; returns its size. Out of line, once, for the tags the encoder
// need not inline: a log's fields, the span tags few spans have (a kind, a status, a
// sampler's, a dropped count), and attributes of the rarer types. The caller's writer takes
// the bytes with advance(), so that its address never escapes. Local to this file, its calls
// from here cost less than from another (the Jaeger batcher with an event, jaeger-event2:
// 1,612 instructions a span against 1,636): encode_tag_at(), below, is the others' way in.
template <class W>
LITETRACE_NOINLINE size_t put_tag(uint8_t* at, const Tag& tag) {
  W w(at);
  write_tag_fields(w, tag);
  return w.size();
}

}  // namespace

size_t encode_tag_at(uint8_t* at, const Tag& tag) { return put_tag<CompactRawWriter>(at, tag); }

namespace {

// What write_logs() returns for a record it leaves to the mapper.
constexpr size_t kNotPlain = SIZE_MAX;

// A Jaeger SpanRef.
template <class W>
void write_reference(W& w, RefType type, uint64_t trace_id_low, uint64_t trace_id_high,
                     uint64_t span_id) {
  w.struct_begin();
  w.field_i32(/*SpanRef.refType*/ 1, static_cast<int32_t>(type));
  w.field_i64(/*SpanRef.traceIdLow*/ 2, static_cast<int64_t>(trace_id_low));
  w.field_i64(/*SpanRef.traceIdHigh*/ 3, static_cast<int64_t>(trace_id_high));
  w.field_i64(/*SpanRef.spanId*/ 4, static_cast<int64_t>(span_id));
  w.struct_end();
}

// Span.references (6) at `at`, after the name (5), as SpanMapper makes them: the parent
// first as CHILD_OF, then each link as FOLLOWS_FROM; nothing when there are no links.
// Returns the bytes written. Out of line, as write_logs(): spans with links or events are
// the fewer, and the encoder's own writer stays in registers.
template <class W>
LITETRACE_NOINLINE size_t write_references(uint8_t* at, const uint8_t* record) {
  RecordReader reader(record);
  const RecordHeaderView h(record);
  RecordItem item;
  const size_t links = h.link_count();  // each kLink item's (the rewriter keeps every link)
  if (links == 0) return 0;
  W w(at);
  w.set_last_field_id(/*Span.operationName*/ 5);
  w.field_list_begin(/*Span.references*/ 6, CType::kStruct, links + (h.parent_span_id() != 0 ? 1 : 0));
  if (h.parent_span_id() != 0) {
    write_reference(w, RefType::kChildOf, h.trace_id_low(), h.trace_id_high(), h.parent_span_id());
  }
  while (reader.next(item)) {
    if (item.kind == ItemKind::kLink) {
      write_reference(w, RefType::kFollowsFrom, item.trace_id_low, item.trace_id_high, item.span_id);
    }
  }
  return w.size();
}

// Tags written out of line (below): their bytes, and how many.
struct Written {
  size_t bytes = 0;
  size_t count = 0;
};

// The tags few spans have, out of line and called only for a span that has some, so that
// the encoder's hot path keeps its registers (a call per tag, inlined there, spilled them:
// +15 instructions a span on spans that have none). `which` says which of the three kinds:
// one function rather than three, whose code and unwind entries cost the lean program a
// page (bench/footprint.py).
enum class RareTags { kLead, kSampler, kDroppedCounts };
template <class W>
LITETRACE_NOINLINE LITETRACE_FLATTEN Written put_rare_tags(uint8_t* at, RareTags which, const uint8_t* record,
                                                           std::string_view status_description) {
  const RecordHeaderView h(record);
  Written r;
  const auto put = [&](const Tag& tag) {
    r.bytes += put_tag<W>(at + r.bytes, tag);
    ++r.count;
  };
  switch (which) {
    case RareTags::kLead: lead_tags(h.kind(), h.status(), status_description, put); break;
    case RareTags::kSampler: sampler_tags(h.sampler_type(), h.sampler_param(), put); break;
    case RareTags::kDroppedCounts:
      dropped_count_tags(h.dropped_attributes(), h.dropped_events(), h.dropped_links(), put);
      break;
  }
  return r;
}

// The scope's tags encoded and cached: once per scope, out of line.
template <class W>
LITETRACE_COLD LITETRACE_NOINLINE TagRun cache_scope_tags(TagRunCache& cache, const TracerScope* scope) {
  Tag tags[4];
  size_t n = 0;
  scope_tags(scope, [&](const Tag& tag) { tags[n++] = tag; });
  return cache.add(scope, {tags, n}, &put_tag<W>);
}

// `v` as lower-case hex, zero-padded to 16 digits, at `out`.
void put_hex16(char* out, uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kDigits[v & 0xF];
}

// Span.logs (11) at `at`, after field `last_field`, as SpanMapper makes them: each event at
// its time with an "event" field, its dropped count and its attributes (one of the count's
// name gives way to it); each link that has attributes or a dropped count at the span's
// start with "event" = "link", its ids in hex, its dropped count and attributes. Returns the
// bytes written (0: no logs), or kNotPlain when an attribute is an array (the mapper's).
template <class W>
LITETRACE_NOINLINE size_t write_logs(uint8_t* at, int16_t last_field, const uint8_t* record,
                                     const TickConverter& clock, int64_t start_us, bool deposit) {
  RecordReader reader(record);
  RecordItem item;
  RecordAttribute a;
  // A log for each event the header counts (the rewriter keeps the count when it cuts
  // events), and for each link with attributes or a dropped count: those only a pass over
  // the items finds, so a span without links is not read for them.
  const RecordHeaderView h(record);
  size_t count = h.event_count();
  if (h.link_count() != 0) {
    count = 0;
    for (RecordReader scan = reader; scan.next(item);) {
      count += item.kind == ItemKind::kEvent ||
               (item.kind == ItemKind::kLink && (scan.next_is(ItemKind::kLinkAttribute) || item.dropped != 0));
    }
  }
  if (count == 0) return 0;
  W w(at);
  w.set_last_field_id(last_field);
  w.field_list_begin(/*Span.logs*/ 11, CType::kStruct, count);
  const auto write = [&](const Tag& tag) { w.advance(put_tag<W>(at + w.size(), tag)); };
  while (reader.next_inline(item)) {
    ItemKind attribute_kind;
    if (item.kind == ItemKind::kEvent) {
      attribute_kind = ItemKind::kEventAttribute;
    } else if (item.kind == ItemKind::kLink &&
               (reader.next_is(ItemKind::kLinkAttribute) || item.dropped != 0)) {
      attribute_kind = ItemKind::kLinkAttribute;
    } else {
      continue;
    }
    const bool event = attribute_kind == ItemKind::kEventAttribute;
    const uint16_t dropped = item.dropped;
    const auto given_way = [&] { return dropped != 0 && a.key == kDroppedTagsKey; };
    size_t fields = (event ? 1 : 3) + (dropped != 0 ? 1 : 0);
    const uint8_t* const attributes = reader.mark();
    while (reader.next_attribute(attribute_kind, a)) {
      if (is_array(a.type)) return kNotPlain;
      if (!given_way()) ++fields;
    }
    reader.rewind(attributes);
    w.struct_begin();
    w.field_wide_i64(/*Log.timestamp*/ 1, event ? to_us(event_unix_ns(item, clock)) : start_us, deposit);
    w.field_list_begin(/*Log.fields*/ 2, CType::kStruct, fields);
    if (event) {
      write_tag_fields(w, Tag::string("event", item.text));  // inline: every event has it
    } else {
      char trace_id[32];
      char span_id[16];
      put_hex16(trace_id, item.trace_id_high);
      put_hex16(trace_id + 16, item.trace_id_low);
      put_hex16(span_id, item.span_id);
      write(Tag::string("event", "link"));
      write(Tag::string("trace_id", std::string_view(trace_id, sizeof trace_id)));
      write(Tag::string("span_id", std::string_view(span_id, sizeof span_id)));
    }
    if (dropped != 0) write(Tag::int64(kDroppedTagsKey, dropped));
    while (reader.next_attribute(attribute_kind, a)) {
      if (given_way()) continue;
      // As the encoder's span attributes: strings and integers inline, the rest by put_tag().
      if (a.type == ValueType::kString) {
        write_tag_fields(w, Tag::string(a.key, a.bytes));
      } else if (a.type == ValueType::kInt64) {
        write_tag_fields(w, Tag::int64(a.key, a.integer));
      } else {
        write(scalar_tag(a));
      }
    }
    w.struct_end();
  }
  return w.size();
}

}  // namespace

// The writers link_jaeger_logs() links in.
struct LogWriters {
  size_t (*references)(uint8_t* at, const uint8_t* record);
  size_t (*logs)(uint8_t* at, int16_t last_field, const uint8_t* record, const TickConverter& clock, int64_t start_us,
                 bool deposit);
};
std::atomic<const LogWriters*> g_log_writers{nullptr};

LITETRACE_COLD void link_jaeger_logs() {
  static constexpr LogWriters kLogWriters{&write_references<CompactRawWriter>, &write_logs<CompactRawWriter>};
  g_log_writers.store(&kLogWriters, std::memory_order_relaxed);
}

// Here, not in span_mapper.cc: the encoder is in every program, the mapper only in those
// that link a view sink (jaeger_sink.h).
namespace {

// The mapping's tag keys, each with what makes the span carry that tag (mapping_takes()).
enum MappedWhen : uint8_t {
  kWhenKind,
  kWhenSampler,
  kWhenError,
  kWhenStatus,
  kWhenErrorDescription,
  kWhenNamedScope,
  kWhenScopeVersion,
  kWhenDroppedAttributes,
  kWhenDroppedEvents,
  kWhenDroppedLinks,
  kWhenCount
};
struct MappedName {
  std::string_view key;
  MappedWhen when;
};
// Read only while compiling (into kMappedKeys): its views are never in the program.
constexpr MappedName kMappedNames[] = {
    {"span.kind", kWhenKind},
    {"sampler.type", kWhenSampler},
    {"sampler.param", kWhenSampler},
    {"error", kWhenError},
    {"otel.status_code", kWhenStatus},
    {"otel.status_description", kWhenErrorDescription},
    {"otel.scope.name", kWhenNamedScope},
    {"otel.library.name", kWhenNamedScope},
    {"otel.scope.version", kWhenScopeVersion},
    {"otel.library.version", kWhenScopeVersion},
    {kDroppedTagsKey, kWhenDroppedAttributes},
    {kDroppedLogsKey, kWhenDroppedEvents},
    {kDroppedReferencesKey, kWhenDroppedLinks},
};
constexpr size_t kMappedCount = sizeof kMappedNames / sizeof kMappedNames[0];
constexpr size_t mapped_text_size() {
  size_t n = 0;
  for (const MappedName& m : kMappedNames) n += m.key.size();
  return n;
}
// The keys end to end in one array, each found by its offset and size: a table of views
// would cost a relocation each in a position-independent program, and fixed-size arrays
// were 416 bytes.
struct MappedKey {
  uint8_t at;
  uint8_t size;
  MappedWhen when;
};
struct MappedKeys {
  char text[mapped_text_size()];
  MappedKey keys[kMappedCount];
  constexpr std::string_view key(const MappedKey& m) const { return {text + m.at, m.size}; }
};
constexpr MappedKeys make_mapped_keys() {
  MappedKeys t{};
  size_t at = 0;
  for (size_t i = 0; i < kMappedCount; ++i) {
    const std::string_view key = kMappedNames[i].key;
    t.keys[i] = {static_cast<uint8_t>(at), static_cast<uint8_t>(key.size()), kMappedNames[i].when};
    for (const char c : key) t.text[at++] = c;
  }
  return t;
}
constexpr MappedKeys kMappedKeys = make_mapped_keys();
static_assert(mapped_text_size() <= 255, "offsets are bytes");
// Every key begins with a letter taken_by_mapping() looks for.
constexpr bool begins_as_taken_by_mapping_expects() {
  for (const MappedName& m : kMappedNames) {
    if (m.key[0] != 'o' && m.key[0] != 's' && m.key[0] != 'e') return false;
  }
  return true;
}
static_assert(begins_as_taken_by_mapping_expects());

}  // namespace

// A table, not a chain of comparisons: the same answers in a quarter of the code.
LITETRACE_NOINLINE bool mapping_takes(std::string_view key, const uint8_t* record, bool has_status_description) {
  const RecordHeaderView h(record);
  const bool error = h.status() == static_cast<uint8_t>(StatusCode::kError);
  const TracerScope* const scope = h.scope();
  const bool named_scope = scope != nullptr && !scope->name.empty();
  bool when[kWhenCount];
  when[kWhenKind] = h.kind() != static_cast<uint8_t>(SpanKind::kInternal);
  when[kWhenSampler] = h.sampler_type() != static_cast<uint8_t>(SamplerType::kNone);
  when[kWhenError] = error;
  when[kWhenStatus] = h.status() != static_cast<uint8_t>(StatusCode::kUnset);
  when[kWhenErrorDescription] = error && has_status_description;
  when[kWhenNamedScope] = named_scope;
  when[kWhenScopeVersion] = named_scope && !scope->version.empty();
  when[kWhenDroppedAttributes] = h.dropped_attributes() != 0;
  when[kWhenDroppedEvents] = h.dropped_events() != 0;
  when[kWhenDroppedLinks] = h.dropped_links() != 0;
  for (const MappedKey& m : kMappedKeys.keys) {
    if (when[m.when] && kMappedKeys.key(m) == key) return true;
  }
  return false;
}

// Asked once per encoder: no static to guard, as the answer is the same every time.
LITETRACE_COLD bool has_fast_bit_deposit() {
#if defined(LITETRACE_BIT_DEPOSIT)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0 || (b & (1u << 8)) == 0) return false;  // BMI2
  unsigned vendor_b = 0, vendor_c = 0, vendor_d = 0;
  __get_cpuid(0, &a, &vendor_b, &vendor_c, &vendor_d);
  // "AuthenticAMD" and "HygonGenuine" begin "Auth" and "Hygo" (EBX, little-endian).
  const bool amd_or_hygon = vendor_b == 0x68747541u || vendor_b == 0x6F677948u;
  __get_cpuid(1, &a, &b, &c, &d);
  const unsigned family = ((a >> 8) & 0xF) == 0xF ? 0xF + ((a >> 20) & 0xFF) : (a >> 8) & 0xF;
  return !(amd_or_hygon && family < 0x19);  // Zen 3 is family 19h
#else
  return false;
#endif
}

// Out of line, once, for the five wide fields of every span the encoder writes: inlined at
// each, this way was 0.8 KB of a lean program. It serves only a CPU without a fast pdep, at
// 37 instructions a span more there (bench/instructions.py, with the check forced off).
LITETRACE_NOINLINE size_t put_wide_varint(uint8_t* at, uint64_t v) {
  CompactRawWriter w(at);
  w.write_wide_varint(v);
  return w.size();
}

RecordEncoder::RecordEncoder(const TickConverter* clock) : RecordEncoder(clock, has_fast_bit_deposit()) {}

namespace {

// The bytes of Span.tags' field and list headers, after field 9, for `count` tags.
template <class W>
constexpr size_t tags_head_size(size_t count) {
  if constexpr (kBinary<W>) {
    return 3 + 5;  // a type and an i16 id; an element type and an i32 count
  } else {
    return field_header_size(/*Span.duration*/ 9, /*Span.tags*/ 10) + list_header_size(count);
  }
}

}  // namespace

LITETRACE_FLATTEN size_t RecordEncoder::encode(const uint8_t* record, uint8_t* out, TagRunCache& cache,
                                                 const AttributeLimits& limits) const {
  return encode_as<CompactRawWriter>(record, out, cache, limits);
}

// Linked only by the binary protocol's users: Jaeger over HTTP (jaeger_http_format.cc) and
// the binary UDP sink (jaeger_sink.h, and kBinaryThrift's encode_record).
LITETRACE_FLATTEN size_t RecordEncoder::encode_binary(const uint8_t* record, uint8_t* out, TagRunCache& cache,
                                                        const AttributeLimits& limits) const {
  return encode_as<BinaryRawWriter>(record, out, cache, limits);
}

template <class W>
LITETRACE_ALWAYS_INLINE size_t RecordEncoder::encode_as(const uint8_t* record, uint8_t* out, TagRunCache& cache,
                                                        const AttributeLimits& limits) const {
  RecordReader reader(record);
  AttributeCheck check(limits, record + sizeof(SpanRecordHeader));
  const RecordHeaderView h(record);
  // The name is the first item, unless update_name() gave it another length (then it is the
  // one live kName further on).
  std::string_view name;
  if (reader.next_is(ItemKind::kName)) {
    name = reader.next_text();
  } else {
    name = last_text(record, ItemKind::kName);
  }
  // An error's description, wherever it is among the items: its tag comes first.
  std::string_view status_description;
  if (h.status() == static_cast<uint8_t>(StatusCode::kError)) {
    status_description = last_text(record, ItemKind::kStatusDescription);
  }
  const bool has_description = !status_description.empty();
  const JaegerTimes times = jaeger_times(record_times(h.time_flags(), h.start(), h.end(), *clock_));

  // Local writers whose addresses never escape stay in registers (jaeger_encoder.cc).
  W w(out);
  w.struct_begin();
  // Random ids, and Unix microseconds, take eight to ten bytes.
  const bool deposit = deposit_;
  w.field_wide_i64(/*Span.traceIdLow*/ 1, static_cast<int64_t>(h.trace_id_low()), deposit);
  w.field_wide_i64(/*Span.traceIdHigh*/ 2, static_cast<int64_t>(h.trace_id_high()), deposit);
  w.field_wide_i64(/*Span.spanId*/ 3, static_cast<int64_t>(h.span_id()), deposit);
  w.field_wide_i64(/*Span.parentSpanId*/ 4, static_cast<int64_t>(h.parent_span_id()), deposit);
  w.field_binary(/*Span.operationName*/ 5, name);
  // The writers, read where they are called (held across the encoder, they cost it a
  // register). Relaxed: the ring's acquire of the record orders it after the store
  // (use_jaeger_logs).
  if (h.link_count() != 0) {
    size_t n;
    if constexpr (kBinary<W>) {
      n = write_references<W>(out + w.size(), record);  // no program linked lean has it
    } else {
      const LogWriters* const log_writers = g_log_writers.load(std::memory_order_relaxed);
      if (log_writers == nullptr) return 0;
      n = log_writers->references(out + w.size(), record);
    }
    if (n != 0) w.advance(n, /*Span.references*/ 6);
  }
  w.field_i32(/*Span.flags*/ 7, h.trace_flags() & (kFlagSampled | kFlagDebug));
  w.field_wide_i64(/*Span.startTime*/ 8, times.start_us, deposit);
  w.field_i64(/*Span.duration*/ 9, times.duration_us);

  // The tags, in one pass over the items: written after room for the list's field header
  // and a one-byte count, and moved up in the rare case that the count needs more (compact
  // Thrift's; binary's count has a fixed width).
  constexpr int16_t kLastField = 9;
  constexpr size_t kShortHead = tags_head_size<W>(0);
  const size_t tags_at = w.size() + kShortHead;
  W t(out + tags_at);
  size_t count = 0;
  const auto write = [&](const Tag& tag) LITETRACE_INLINE_LAMBDA {
    write_tag_fields(t, tag);
    ++count;
  };
  const auto take = [&](Written written) LITETRACE_INLINE_LAMBDA {
    t.advance(written.bytes);
    count += written.count;
  };
  if (h.kind() != static_cast<uint8_t>(SpanKind::kInternal) || h.status() != static_cast<uint8_t>(StatusCode::kUnset)) {
    take(put_rare_tags<W>(out + tags_at, RareTags::kLead, record, status_description));
  }
  if (h.scope() != nullptr) {
    TagRun run = cache.find(h.scope());
    if (run.bytes.data() == nullptr) run = cache_scope_tags<W>(cache, h.scope());
    t.write_raw(run.bytes.data(), run.bytes.size());
    count += run.count;
  }
  if (h.sampler_type() != static_cast<uint8_t>(SamplerType::kNone)) {
    take(put_rare_tags<W>(out + tags_at + t.size(), RareTags::kSampler, record, {}));
  }
  // The span's attributes. The other items are the name (when it was not the first),
  // the status description (among the lead tags), the trace state (Jaeger has no place for
  // it), and the events and links (written as logs and references).
  RecordAttribute a;
  while (reader.next_span_attribute(a)) {
    if (is_array(a.type)) return 0;
    if (!check.admit(a.key, a.type, a.bytes)) return 0;
    // One tag per key: an attribute named as one of the mapping's tags gives way to it (the
    // rules still count it, as above).
    if (taken_by_mapping(a.key, record, has_description)) continue;
    // Strings and integers inline; bytes, bools and doubles through put_tag() (inlined, each
    // type was a copy of the tag writer: 0.9 KB). Without the hint that an integer is likely
    // the encoder's registers fall out differently: +9 instructions a span.
    if (a.type == ValueType::kString) {
      write(Tag::string(a.key, a.bytes));
    } else if (LITETRACE_LIKELY(a.type == ValueType::kInt64)) {
      write(Tag::int64(a.key, a.integer));
    } else {
      // From a copy: clang 14 calls scalar_tag() here, and the item whose address it took
      // stayed on the stack through the loop, zero-filled on every span (its Jaeger batcher
      // -1, with an event -18; GCC 12's -2).
      const RecordAttribute copy = a;
      t.advance(put_tag<W>(out + tags_at + t.size(), scalar_tag(copy)));
      ++count;
    }
  }
  if ((h.dropped_attributes() | h.dropped_events() | h.dropped_links()) != 0) {
    take(put_rare_tags<W>(out + tags_at + t.size(), RareTags::kDroppedCounts, record, {}));
  }
  // After the tags (when there are any): the logs, then the Span's stop byte.
  uint8_t* rest_at = out + w.size();
  int16_t last_field = kLastField;
  if (count != 0) {
    const size_t head_size = tags_head_size<W>(count);
    uint8_t* const head = out + tags_at - kShortHead;
    if (head_size != kShortHead) std::memmove(head + head_size, out + tags_at, t.size());
    W list(head);
    list.set_last_field_id(kLastField);
    list.field_list_begin(/*Span.tags*/ 10, CType::kStruct, count);
    rest_at = head + head_size + t.size();
    last_field = 10;
  }
  if ((h.event_count() | h.link_count()) != 0) {
    size_t n;
    if constexpr (kBinary<W>) {
      n = write_logs<W>(rest_at, last_field, record, *clock_, times.start_us, deposit);
    } else {
      const LogWriters* const log_writers = g_log_writers.load(std::memory_order_relaxed);
      if (log_writers == nullptr) return 0;
      n = log_writers->logs(rest_at, last_field, record, *clock_, times.start_us, deposit);
    }
    if (n == kNotPlain) return 0;
    rest_at += n;
  }
  *rest_at = kStop;
  return static_cast<size_t>(rest_at + 1 - out);
}

}  // namespace litetrace::detail
