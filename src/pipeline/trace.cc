// The application-thread side of litetrace: Span, Scope, Tracer and TracerProvider.
// Everything a span records goes into its SpanBuffer as items (span_record.h); nothing
// here locks, blocks or makes a system call but the clock read, and a warm thread
// allocates nothing.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/compiler.h"
#include "core/id_generator.h"
#include "core/record_normalizer.h"
#include "core/span_record.h"
#include "core/text.h"
#include "core/tick_clock.h"
#include "jaeger/record_encoder.h"
#include "jaeger/record_rewriter.h"
#include "litetrace/sampler.h"
#include "litetrace/trace.h"
#include "pipeline/batcher.h"
#include "pipeline/provider_core.h"

// The hot path's entry points each start on a cache line of their own, so their speed does
// not hang on where the linker happens to place them (a ±5 ns swing in litetrace_bench
// otherwise); "hot" also groups them in one section.
#if defined(__GNUC__)
#define LITETRACE_HOT_PATH __attribute__((hot, aligned(64)))
#else
#define LITETRACE_HOT_PATH
#endif

namespace litetrace {

using detail::ItemKind;
using detail::SpanBuffer;
using detail::ValueType;

namespace {

// A Span holds its buffer by the base the setters' inline common case uses.
SpanBuffer* buffer_of(detail::SpanItems* items) { return static_cast<SpanBuffer*>(items); }

uint64_t unix_ns(SystemTime t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return ns > 0 ? static_cast<uint64_t>(ns) : 0;
}

// A limit of 0 means none.
std::string_view truncate_utf8(std::string_view s, size_t limit) { return limit == 0 ? s : detail::utf8_prefix(s, limit); }

// Bytes are cut anywhere; a limit of 0 means none.
std::string_view truncate_bytes(std::string_view s, size_t limit) { return limit == 0 ? s : s.substr(0, limit); }

size_t clamp16(size_t n) { return n < 0xFFFF ? n : 0xFFFF; }

using detail::kEventDroppedOffset;
using detail::kEventHeadSize;
using detail::kLinkDroppedOffset;
using detail::kLinkItemSize;


// An attribute's value as the item stream holds it: a string or bytes, or 8 bytes of a
// scalar, or an array's elements (written from the caller's storage by put_value()).
struct ItemValue {
  ValueType type;
  uint64_t scalar = 0;
  std::string_view bytes;
  const AttributeValue* array = nullptr;
  size_t array_bytes = 0;  // the elements' size in the item
  size_t max_length = 0;   // of each string element
  size_t value_size() const { return array != nullptr ? array_bytes : bytes.size(); }
};

// Calls f(string_view) for each element of a string array, however the caller holds them.
template <typename F>
void for_each_string(const AttributeValue& v, F f) {
  const size_t n = v.array_size();
  switch (v.elements()) {
    case AttributeValue::Elements::kStringViews:
      for (size_t i = 0; i < n; ++i) f(static_cast<const std::string_view*>(v.array_data())[i]);
      return;
    case AttributeValue::Elements::kStrings:
      for (size_t i = 0; i < n; ++i) f(std::string_view(static_cast<const std::string*>(v.array_data())[i]));
      return;
    case AttributeValue::Elements::kCStrings:
      for (size_t i = 0; i < n; ++i) {
        const char* s = static_cast<const char* const*>(v.array_data())[i];
        f(s != nullptr ? std::string_view(s) : std::string_view());
      }
      return;
    default: return;
  }
}

// The size of an array's elements in the item: strings cut to `max_length` (0: none) at a
// UTF-8 boundary, each after its u32 length.
size_t array_bytes(const AttributeValue& v, size_t max_length) {
  switch (v.type()) {
    case AttributeValue::Type::kBoolArray: return v.array_size();
    case AttributeValue::Type::kInt64Array:
    case AttributeValue::Type::kDoubleArray: return 8 * v.array_size();
    default: break;
  }
  size_t n = 0;
  for_each_string(v, [&](std::string_view s) { n += 4 + truncate_utf8(s, max_length).size(); });
  return n;
}

// Writes an array's elements as array_bytes() sized them.
uint8_t* put_array(uint8_t* p, const AttributeValue& v, size_t max_length) {
  detail::RecordRewriter::use_array_rewrites();  // Jaeger tags an array as its JSON
  const size_t n = v.array_size();
  switch (v.elements()) {
    case AttributeValue::Elements::kBools:
      for (size_t i = 0; i < n; ++i) *p++ = static_cast<const bool*>(v.array_data())[i] ? 1 : 0;
      return p;
    case AttributeValue::Elements::kByteBools:
      for (size_t i = 0; i < n; ++i) *p++ = static_cast<const uint8_t*>(v.array_data())[i] != 0 ? 1 : 0;
      return p;
    case AttributeValue::Elements::kInts:
      for (size_t i = 0; i < n; ++i) p = detail::put(p, int64_t{static_cast<const int*>(v.array_data())[i]});
      return p;
    case AttributeValue::Elements::kInt64s:
    case AttributeValue::Elements::kDoubles:
      if (n != 0) std::memcpy(p, v.array_data(), 8 * n);  // int64_t and double: 8 bytes each
      return p + 8 * n;
    default: break;
  }
  for_each_string(v, [&](std::string_view s) {
    s = truncate_utf8(s, max_length);
    p = detail::put(p, static_cast<uint32_t>(s.size()));
    p = detail::put_bytes(p, s);
  });
  return p;
}

ItemValue item_value(const AttributeValue& v, size_t max_length) {
  if (v.is_array()) {
    ItemValue item{static_cast<ValueType>(v.type()), 0, {}};
    item.array = &v;
    item.max_length = max_length;
    item.array_bytes = array_bytes(v, max_length);
    return item;
  }
  switch (v.type()) {
    case AttributeValue::Type::kString: return {ValueType::kString, 0, truncate_utf8(v.string_value(), max_length)};
    case AttributeValue::Type::kBytes:
      return {ValueType::kBytes, 0, truncate_bytes(v.string_value(), max_length)};
    case AttributeValue::Type::kBool: return {ValueType::kBool, v.bool_value() ? 1u : 0u, {}};
    case AttributeValue::Type::kInt64: return {ValueType::kInt64, static_cast<uint64_t>(v.int64_value()), {}};
    case AttributeValue::Type::kDouble: {
      const double d = v.double_value();
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof d);
      return {ValueType::kDouble, bits, {}};
    }
    default: break;  // arrays, above
  }
  return {ValueType::kInt64, 0, {}};
}

size_t item_size(const uint8_t* p) { return detail::record_item_size(p); }

// Moves the live items together, dropping the dead ones; their order is kept.
LITETRACE_COLD void compact(SpanBuffer& b) {
  uint8_t* out = b.items;
  for (uint8_t* p = b.items; p < b.items + b.used;) {
    const size_t n = item_size(p);
    if (!detail::is_dead(static_cast<ItemKind>(*p))) {
      if (out != p) std::memmove(out, p, n);
      out += n;
    }
    p += n;
  }
  b.used = static_cast<size_t>(out - b.items);
  b.dead_bytes = 0;
}

// Marks the item at `p` dead; reclaims the dead ones once they are half the items, so
// reclaiming costs O(1) per replaced byte. Invalidates pointers into the items.
void kill_item(SpanBuffer& b, uint8_t* p, ItemKind dead_kind) {
  b.dead_bytes += item_size(p);
  *p = static_cast<uint8_t>(dead_kind);
  if (2 * b.dead_bytes > b.used) compact(b);
}

// The items are full: the dead ones go, and the span attributes are made to keep the rules
// (record_normalizer.h: replaced values and those over the limit go); then the buffer grows
// if that did not make room. So a span holds what is live, however often it changes it.
// Allocates only as the buffer or the thread's normalizer first reach a size.
LITETRACE_COLD uint8_t* append_after_making_room(SpanBuffer& b, size_t n) {
  detail::RecordNormalizer& normalizer = detail::calling_thread_normalizer();
  if (b.dead_bytes != 0) compact(b);
  normalizer.set_limits(b.max_attributes, b.max_attribute_length);
  b.used = normalizer.normalize_items(b.header, b.items, b.used);
  return b.append(n, b.max_items_bytes);
}

// Room for `n` more item bytes.
inline uint8_t* append_item(SpanBuffer& b, size_t n) {
  if (b.used + n > b.capacity) return append_after_making_room(b, n);
  uint8_t* p = b.items + b.used;
  b.used += n;
  return p;
}

// An attribute item's head, its 8 value bytes when it is a scalar, and its key; returns
// where a string's, bytes' or array's value bytes go.
LITETRACE_ALWAYS_INLINE uint8_t* put_attribute_head(uint8_t* p, const detail::AttributeItemHead& head, uint64_t scalar,
                                                    std::string_view key) {
  p = detail::put(p, head);
  if (detail::is_scalar(static_cast<ValueType>(head.type))) p = detail::put(p, scalar);
  return detail::put_bytes(p, key);
}

// Inlined into each typed setter, where `v.type` is a constant and the branches on it fold.
// Returns the item's size, 0 when there was no room.
inline size_t append_attribute(SpanBuffer& b, ItemKind kind, std::string_view key, const ItemValue& v) {
  key = key.substr(0, clamp16(key.size()));
  const bool scalar = detail::is_scalar(v.type);
  if (v.value_size() > UINT32_MAX) return 0;  // no item can say its length
  const detail::AttributeItemHead head{static_cast<uint8_t>(kind), static_cast<uint8_t>(v.type),
                                       static_cast<uint16_t>(key.size()), static_cast<uint32_t>(v.value_size())};
  const size_t size = detail::attribute_item_size(head);
  uint8_t* p = append_item(b, size);
  if (p == nullptr) return 0;
  p = put_attribute_head(p, head, v.scalar, key);
  if (!scalar) {
    // A string setter (array: a constant nullptr) inlines the copy alone.
    if (v.array != nullptr) {
      put_array(p, *v.array, v.max_length);
    } else {
      detail::put_bytes(p, v.bytes);
    }
  }
  return size;
}


// Appends, and nothing else: a key set again, the count limit and the rest are applied off
// this thread (record_normalizer.h). Inlined into each typed setter.
inline void set_span_attribute(SpanBuffer& b, std::string_view key, const ItemValue& v) {
  if (append_attribute(b, ItemKind::kAttribute, key, v) == 0) ++b.header.dropped_attributes;
}

// The setters' common case, inline in each, and the general one out of line: a key and a
// string, bytes or scalar value that need no cut and fit the room left
// (detail::append_attribute_item, which the literal-key setters in trace.h inline too). The
// setter then keeps nothing across a call, so it saves no registers; the items are the ones
// append_attribute() writes. Returns the item's size, or 0, having done nothing, otherwise.
LITETRACE_ALWAYS_INLINE size_t append_attribute_quickly(SpanBuffer& b, std::string_view key, ValueType type,
                                                        uint64_t scalar, std::string_view bytes,
                                                        ItemKind kind = ItemKind::kAttribute) {
  return detail::append_attribute_item(b, static_cast<uint8_t>(kind), static_cast<uint8_t>(type), key, scalar, bytes,
                                       [](uint8_t* p, std::string_view text) { return detail::put_bytes(p, text); });
}

// An event's or a link's attribute as an item of `kind`: a string or an integer the quick
// way, as their setters take them; the other types, and the values that need a cut or
// more room, as append_attribute() takes them. Returns the item's size, 0 when there was
// no room.
LITETRACE_ALWAYS_INLINE size_t append_owned_attribute(SpanBuffer& b, ItemKind kind, const Attribute& a) {
  size_t n = 0;
  if (a.value.type() == AttributeValue::Type::kString) {
    n = append_attribute_quickly(b, a.key, ValueType::kString, 0, a.value.string_value(), kind);
  } else if (a.value.type() == AttributeValue::Type::kInt64) {
    n = append_attribute_quickly(b, a.key, ValueType::kInt64, static_cast<uint64_t>(a.value.int64_value()), {}, kind);
  }
  return n != 0 ? n : append_attribute(b, kind, a.key, item_value(a.value, b.max_attribute_length));
}

LITETRACE_NOINLINE void set_string_attribute(SpanBuffer& b, std::string_view key, ValueType type,
                                             std::string_view value) {
  set_span_attribute(b, key,
                     {type, 0,
                      type == ValueType::kString ? truncate_utf8(value, b.max_attribute_length)
                                                 : truncate_bytes(value, b.max_attribute_length)});
}

LITETRACE_NOINLINE void set_scalar_attribute(SpanBuffer& b, std::string_view key, ValueType type, uint64_t value) {
  set_span_attribute(b, key, {type, value, {}});
}

bool append_text(SpanBuffer& b, ItemKind kind, std::string_view text) {
  uint8_t* p = append_item(b, 3 + text.size());
  if (p == nullptr) return false;
  p = detail::put(p, static_cast<uint8_t>(kind));
  p = detail::put(p, static_cast<uint16_t>(text.size()));
  detail::put_bytes(p, text);
  return true;
}

// A text that found no room, cut at a UTF-8 boundary to the room the span has left once its
// dead items are reclaimed (the failed append_item did that). Out of line: inlined where a
// long name starts a span, it moved start_span's registers (+1 to +3 instructions on the
// unsampled, no-provider, global-tracer and C API spans).
LITETRACE_COLD LITETRACE_NOINLINE void append_text_cut_to_room(SpanBuffer& b, ItemKind kind, std::string_view text) {
  const size_t room = b.max_items_bytes > b.used + 3 ? b.max_items_bytes - b.used - 3 : 0;
  const std::string_view cut = detail::utf8_prefix(text, room);
  if (!cut.empty() && cut.size() < text.size()) append_text(b, kind, cut);
}

// The span's name or status description, cut at a UTF-8 boundary to what an item can say,
// and to the room the span has: it arrives as its beginning, not as nothing.
void append_text_cut_to_fit(SpanBuffer& b, ItemKind kind, std::string_view text) {
  text = detail::utf8_prefix(text, 0xFFFF);
  if (!append_text(b, kind, text)) append_text_cut_to_room(b, kind, text);
}

// The span's name, or its status description, set again: replaced in place when of the
// same length, else the old item dies and the new one is appended. An empty description
// removes it.
void set_text(SpanBuffer& b, ItemKind kind, std::string_view text) {
  text = detail::utf8_prefix(text, 0xFFFF);
  for (uint8_t* p = b.items; p < b.items + b.used; p += item_size(p)) {
    if (static_cast<ItemKind>(*p) != kind) continue;
    const uint8_t* q = p + 1;
    if (detail::get<uint16_t>(q) == text.size() && (kind == ItemKind::kName || !text.empty())) {
      detail::put_bytes(p + 3, text);
      return;
    }
    kill_item(b, p, ItemKind::kDeadText);
    break;
  }
  if (kind == ItemKind::kName || !text.empty()) append_text_cut_to_fit(b, kind, text);
}
// The attributes of the event or link just appended, as items of `kind`, at most `limit`
// of them; what is over the limit (or finds no room) is counted in the u16 at
// `dropped_offset` of that item. Keys are unique within an event or link, the last value
// winning: an attribute whose key comes again later in the list is skipped. A key filter
// finds the repeats in one pass unless two keys share a filter bit.
void append_owned_attributes(SpanBuffer& b, ItemKind kind, ArrayView<Attribute> attributes, size_t limit,
                             size_t owner_size, size_t dropped_offset) {
  uint64_t seen = 0;
  uint64_t repeated = 0;  // stays 0 for one attribute, the most common list
  if (attributes.size() > 1) {
    for (const Attribute& a : attributes) {
      const uint64_t bit = detail::attribute_key_bit(a.key.substr(0, clamp16(a.key.size())));
      repeated |= seen & bit;
      seen |= bit;
    }
  }
  const auto comes_again = [&](const Attribute* a) {
    if (repeated == 0) return false;
    if ((repeated & detail::attribute_key_bit(a->key.substr(0, clamp16(a->key.size())))) == 0) return false;
    for (const Attribute* later = a + 1; later != attributes.end(); ++later) {
      if (later->key.substr(0, clamp16(later->key.size())) == a->key.substr(0, clamp16(a->key.size()))) return true;
    }
    return false;
  };
  size_t count = 0;
  uint16_t dropped = 0;
  size_t attribute_bytes = 0;
  for (const Attribute& a : attributes) {
    if (comes_again(&a)) continue;
    const size_t n = count < limit ? append_owned_attribute(b, kind, a) : 0;
    if (n == 0) {
      if (dropped != UINT16_MAX) ++dropped;
      continue;
    }
    attribute_bytes += n;
    ++count;
  }
  // The owner and its attributes are the last items (a compaction keeps their order), so
  // it is found from the end.
  if (dropped != 0) std::memcpy(b.items + b.used - attribute_bytes - owner_size + dropped_offset, &dropped, 2);
}

void append_link(SpanBuffer& b, const SpanContext& link, ArrayView<Attribute> attributes) {
  if (!link.valid()) return;
  detail::use_jaeger_logs();
  uint8_t* p = b.header.link_count < b.core->options().max_links ? append_item(b, kLinkItemSize) : nullptr;
  if (p == nullptr) {
    ++b.header.dropped_links;
    return;
  }
  p = detail::put(p, static_cast<uint8_t>(ItemKind::kLink));
  p = detail::put(p, link.flags);
  p = detail::put(p, static_cast<uint8_t>(link.remote ? 1 : 0));
  p = detail::put(p, link.trace_id.high);
  p = detail::put(p, link.trace_id.low);
  p = detail::put(p, link.span_id);
  detail::put(p, uint16_t{0});  // the attributes this link drops, set below
  ++b.header.link_count;
  if (attributes.size() != 0) {
    append_owned_attributes(b, ItemKind::kLinkAttribute, attributes, b.core->options().max_attributes_per_link,
                            kLinkItemSize, kLinkDroppedOffset);
  }
}

// A name that, as the first item, fits the inline bytes: written with no room check.
bool fits_inline(std::string_view name) { return 3 + name.size() <= SpanBuffer::kInlineBytes; }

// What a recording span's start writes: every header field start decides, in layout order
// (the buffer is reused; end() sets the rest), and the name as the first item (fits_inline).
LITETRACE_ALWAYS_INLINE void start_record(SpanBuffer& b, const detail::TracerScope* scope, const SpanContext& ctx,
                                          uint64_t parent_span_id, bool parent_remote, SpanKind kind,
                                          const SamplingResult& decision, uint64_t start, std::string_view name) {
  detail::SpanRecordHeader& h = b.header;
  h.scope = scope;
  h.trace_id_high = ctx.trace_id.high;
  h.trace_id_low = ctx.trace_id.low;
  h.span_id = ctx.span_id;
  h.parent_span_id = parent_span_id;
  h.start = start;
  h.sampler_param = decision.param;
  h.dropped_attributes = 0;
  h.dropped_events = 0;
  h.dropped_links = 0;
  h.attribute_count = 0;
  h.event_count = 0;
  // The last eight bytes (link_count, status, time_flags, then the four decided here) in
  // one store: field by field, four stores and a register to set (-1 on every recording span).
  constexpr size_t kTailAt = offsetof(detail::SpanRecordHeader, link_count);
  static_assert(offsetof(detail::SpanRecordHeader, parent_remote) - kTailAt == 7, "the eight bytes are contiguous");
#if defined(__clang__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // Made as a number for clang 14, which stores an array's bytes one by one (-2 a span).
  // GCC 12 makes one store of either; from the number its registers fall out worse (+3
  // on a span a sampler drops).
  const uint64_t tail = uint64_t{ctx.flags} << 32 | uint64_t{static_cast<uint8_t>(kind)} << 40 |
                        uint64_t{static_cast<uint8_t>(decision.type)} << 48 | uint64_t{parent_remote ? 1u : 0u} << 56;
#else
  const uint8_t tail[8] = {0, 0, 0, 0, ctx.flags, static_cast<uint8_t>(kind), static_cast<uint8_t>(decision.type),
                           static_cast<uint8_t>(parent_remote ? 1 : 0)};
#endif
  std::memcpy(reinterpret_cast<uint8_t*>(&h) + kTailAt, &tail, sizeof tail);
  uint8_t* p = detail::put(b.items, static_cast<uint8_t>(ItemKind::kName));
  p = detail::put(p, static_cast<uint16_t>(name.size()));
  detail::put_bytes(p, name);
  b.used = 3 + name.size();
  b.dead_bytes = 0;
}

// What Span::end() does beyond its common case.
LITETRACE_NOINLINE void end_generally(SpanBuffer* b) noexcept {
  b->header.end = detail::read_ticks();
  b->core->submit(b);
}

// The ids of a span that starts now: its parent's trace, or a new one.
LITETRACE_ALWAYS_INLINE void draw_ids(detail::IdGenerator& ids, const SpanContext& parent, bool has_parent,
                                      SpanContext& ctx) {
  if (has_parent) {
    ctx.trace_id = parent.trace_id;
    ctx.span_id = ids.next_unchecked();
    ctx.flags = parent.flags;
  } else {
    const detail::IdGenerator::TraceIdHalves halves = ids.next_trace_unchecked();
    ctx.trace_id = TraceId{halves.high, halves.low};
    ctx.span_id = halves.low;
    ctx.flags = 0;
  }
}

// Whether the span records, by the core's sampler; its context's flags say so after.
LITETRACE_ALWAYS_INLINE SamplingResult decide(const detail::ProviderCore* core, const SpanContext& parent,
                                              bool has_parent, std::string_view name, SpanKind kind,
                                              SpanContext& ctx) {
  SamplingResult decision;
  if (Sampler* sampler = core->sampler()) {
    // A copy of the trace id is what escapes into the call: the span's ids stay in registers.
    const TraceId trace_id = ctx.trace_id;
    decision = sampler->should_sample({parent, trace_id, name, kind});
    if (has_parent) decision.type = SamplerType::kNone;  // Jaeger tags the root only
  } else {
    // The default: the parent's decision, else sampled. It tags nothing: "const, true" would
    // add some 40 bytes to every root span and tells Jaeger nothing (its adaptive sampling
    // reads the tags of probabilistic decisions only).
    decision = {!has_parent || parent.sampled(), SamplerType::kNone, 0};
  }
  ctx.flags = decision.sampled ? static_cast<uint8_t>(ctx.flags | kTraceFlagSampled)
                               : static_cast<uint8_t>(ctx.flags & ~(kTraceFlagSampled | kTraceFlagDebug));
  return decision;
}

// A name longer than the inline bytes, as the first item, appended with a room check.
LITETRACE_COLD void set_long_name(SpanBuffer& b, std::string_view name) {
  b.used = 0;
  append_text_cut_to_fit(b, ItemKind::kName, name);
}

// A sampled span on a thread with state `ts`: counted, and its buffer, with its header and
// name. nullptr when no buffer can be had.
LITETRACE_ALWAYS_INLINE SpanBuffer* start_recording(detail::ThreadState* ts, detail::ProviderCore* core,
                                                    const detail::TracerScope* scope, const SpanContext& parent,
                                                    bool has_parent, std::string_view name, SpanKind kind,
                                                    const SamplingResult& decision, const SpanContext& ctx) {
  detail::ThreadState::bump(ts->started);
  SpanBuffer* b = core->acquire_buffer(ts);
  if (b == nullptr) {  // out of memory: counted as ended and dropped at once
    detail::ThreadState::bump(ts->ended);
    detail::ThreadState::bump(ts->dropped);
    return nullptr;
  }
  const uint64_t parent_span_id = has_parent ? parent.span_id : 0;
  const bool parent_remote = has_parent && parent.remote;
  const uint64_t start = detail::read_ticks();
  if (!fits_inline(name)) {
    start_record(*b, scope, ctx, parent_span_id, parent_remote, kind, decision, start, {});
    set_long_name(*b, name);
    return b;
  }
  start_record(*b, scope, ctx, parent_span_id, parent_remote, kind, decision, start, name);
  return b;
}

}  // namespace

// ---- Span ----

Span::Span(Span&& other) noexcept : buffer_(other.buffer_), context_(other.context_) { other.buffer_ = nullptr; }

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    end();
    buffer_ = other.buffer_;
    context_ = other.context_;
    other.buffer_ = nullptr;
  }
  return *this;
}

LITETRACE_HOT_PATH void Span::set_attribute(std::string_view key, const AttributeValue& value) noexcept {
  if (SpanBuffer* b = buffer_of(buffer_)) set_span_attribute(*b, key, item_value(value, b->max_attribute_length));
}

LITETRACE_HOT_PATH void Span::set_attribute(std::string_view key, std::string_view value) noexcept {
  SpanBuffer* b = buffer_of(buffer_);
  if (b != nullptr && !append_attribute_quickly(*b, key, ValueType::kString, 0, value)) {
    set_string_attribute(*b, key, ValueType::kString, value);
  }
}

LITETRACE_HOT_PATH void Span::set_attribute(std::string_view key, bool value) noexcept {
  SpanBuffer* b = buffer_of(buffer_);
  if (b != nullptr && !append_attribute_quickly(*b, key, ValueType::kBool, value ? 1u : 0u, {})) {
    set_scalar_attribute(*b, key, ValueType::kBool, value ? 1u : 0u);
  }
}

LITETRACE_HOT_PATH void Span::set_int64_attribute(std::string_view key, int64_t value) noexcept {
  SpanBuffer* b = buffer_of(buffer_);
  const auto bits = static_cast<uint64_t>(value);
  if (b != nullptr && !append_attribute_quickly(*b, key, ValueType::kInt64, bits, {})) {
    set_scalar_attribute(*b, key, ValueType::kInt64, bits);
  }
}

LITETRACE_HOT_PATH void Span::set_attribute(std::string_view key, double value) noexcept {
  SpanBuffer* b = buffer_of(buffer_);
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof value);
  if (b != nullptr && !append_attribute_quickly(*b, key, ValueType::kDouble, bits, {})) {
    set_scalar_attribute(*b, key, ValueType::kDouble, bits);
  }
}

void Span::set_attribute(std::string_view key, Bytes value) noexcept {
  if (buffer_ == nullptr) return;
  set_string_attribute(*buffer_of(buffer_), key, ValueType::kBytes,
                       std::string_view(static_cast<const char*>(value.data), value.size));
}

void Span::add_event(std::string_view name, SystemTime time, ArrayView<Attribute> attributes) noexcept {
  if (buffer_ == nullptr) return;
  detail::use_jaeger_logs();
  SpanBuffer& b = *buffer_of(buffer_);
  const TracerProviderOptions& o = b.core->options();
  name = name.substr(0, clamp16(name.size()));
  const size_t event_size = kEventHeadSize + name.size();
  uint8_t* p = b.header.event_count < o.max_events ? append_item(b, event_size) : nullptr;
  if (p == nullptr) {
    ++b.header.dropped_events;
    return;
  }
  const bool explicit_time = time != SystemTime{};
  p = detail::put(p, static_cast<uint8_t>(ItemKind::kEvent));
  p = detail::put(p, static_cast<uint8_t>(explicit_time ? 1 : 0));
  p = detail::put(p, explicit_time ? unix_ns(time) : detail::read_ticks());
  p = detail::put(p, uint16_t{0});  // the attributes this event drops, set below
  p = detail::put(p, static_cast<uint16_t>(name.size()));
  detail::put_bytes(p, name);
  ++b.header.event_count;
  // What an event drops is counted on the event, not on the span.
  append_owned_attributes(b, ItemKind::kEventAttribute, attributes, o.max_attributes_per_event, event_size,
                          kEventDroppedOffset);
}

void Span::record_exception(std::string_view type, std::string_view message, std::string_view stacktrace) noexcept {
  if (buffer_ == nullptr) return;
  // The semantic conventions' attributes, those given; an empty list is a plain event.
  Attribute all[] = {{"exception.type", type}, {"exception.message", message}, {"exception.stacktrace", stacktrace}};
  Attribute given[3] = {all[0], all[1], all[2]};
  size_t n = 0;
  for (const Attribute& a : all) {
    if (!a.value.string_value().empty()) given[n++] = a;
  }
  switch (n) {
    case 0: add_event("exception"); return;
    case 1: add_event("exception", {given[0]}); return;
    case 2: add_event("exception", {given[0], given[1]}); return;
    default: add_event("exception", {given[0], given[1], given[2]}); return;
  }
}

void Span::set_attributes(ArrayView<Attribute> attributes) noexcept {
  if (buffer_ == nullptr) return;
  for (const Attribute& a : attributes) set_attribute(a.key, a.value);
}

void Span::add_link(const SpanContext& context, ArrayView<Attribute> attributes) noexcept {
  if (buffer_ != nullptr) append_link(*buffer_of(buffer_), context, attributes);
}

void Span::set_status(StatusCode code, std::string_view description) noexcept {
  if (buffer_ == nullptr || code == StatusCode::kUnset) return;
  SpanBuffer& b = *buffer_of(buffer_);
  if (b.header.status == static_cast<uint8_t>(StatusCode::kOk)) return;  // Ok is final
  b.header.status = static_cast<uint8_t>(code);
  // A description belongs to an error only, and to the latest one.
  set_text(b, ItemKind::kStatusDescription, code == StatusCode::kError ? description : std::string_view());
}

void Span::update_name(std::string_view name) noexcept {
  if (buffer_ != nullptr) set_text(*buffer_of(buffer_), ItemKind::kName, name);
}

// The common case makes no call: the span ends on a thread that records for its core, timed
// by the CPU's counter, into room its ring is known to have.
LITETRACE_HOT_PATH void Span::end() noexcept {
  SpanBuffer* b = buffer_of(buffer_);
  if (b == nullptr) return;
  buffer_ = nullptr;
  detail::ThreadContext& tc = detail::this_thread_context();
  detail::ProviderCore* core = b->core;
  if (core != tc.cache_core || !core->try_submit_quickly(tc.cache_state, b)) {
    end_generally(b);
  }
}

void Span::end(SystemTime end_time) noexcept {
  SpanBuffer* b = buffer_of(buffer_);
  if (b == nullptr) return;
  buffer_ = nullptr;
  b->header.end = unix_ns(end_time);
  b->header.time_flags |= detail::kEndIsUnixNs;
  b->core->submit(b);
}

// ---- Scope ----

Scope::Scope(const SpanContext& context) noexcept : previous_(detail::t_context.current) {
  detail::t_context.current = context;
}
Scope::~Scope() { detail::t_context.current = previous_; }
SpanContext Scope::current() noexcept { return detail::t_context.current; }

// ---- Tracer ----

inline detail::ProviderCore* Tracer::recording_core() const noexcept {
  detail::ProviderCore* core = core_.get();
  if (core == nullptr && global_) core = detail::global_core();
  return core;
}

// The common case: a thread that has recorded for `core` finds its state cached. Its ids
// need no fork() check: a fork() child's thread finds no core cached (provider_core.cc:
// fork_child), so its first span goes through cache_thread_state(), which reseeds them. (A
// disabled core never has a thread: cache_thread_state() refuses it.)
LITETRACE_ALWAYS_INLINE SpanBuffer* Tracer::begin(detail::ThreadContext& tc, detail::ProviderCore* core,
                                                  const SpanContext& parent, bool has_parent, std::string_view name,
                                                  SpanKind kind, SpanContext& ctx) const noexcept {
  detail::ThreadState* ts = tc.cache_state;
  draw_ids(tc.ids, parent, has_parent, ctx);
  const SamplingResult decision = decide(core, parent, has_parent, name, kind, ctx);
  if (!ctx.sampled()) {
    detail::ThreadState::bump(ts->not_sampled);
    return nullptr;
  }
  return start_recording(ts, core, scope_, parent, has_parent, name, kind, decision, ctx);
}

namespace {

// A thread's first span for `core`, or a fork() child's first span: registers the thread
// (or finds it registered) and caches its state, after which begin() serves the span. False
// for a disabled core, and for a shut-down one this thread never recorded for (or when its
// state could not be allocated): begin_without_state() serves those.
LITETRACE_COLD LITETRACE_NOINLINE bool cache_thread_state(detail::ThreadContext& tc,
                                                           detail::ProviderCore* core) noexcept {
  tc.ids.check_fork();
  if (core->disabled()) return false;
  return core->thread_state(tc) != nullptr;
}

}  // namespace

LITETRACE_COLD LITETRACE_NOINLINE void Tracer::begin_without_state(detail::ThreadContext& tc,
                                                                   detail::ProviderCore* core,
                                                                   const SpanContext& parent, bool has_parent,
                                                                   std::string_view name, SpanKind kind,
                                                                   SpanContext& ctx) const noexcept {
  draw_ids(tc.ids, parent, has_parent, ctx);
  if (core->disabled()) {
    ctx.flags = static_cast<uint8_t>(ctx.flags & ~(kTraceFlagSampled | kTraceFlagDebug));
    return;  // OTEL_SDK_DISABLED: not even counted
  }
  decide(core, parent, has_parent, name, kind, ctx);
  core->count_unregistered_start(ctx.sampled());
}

// The span's context is built in a local and the Span made from it at the end: built in the
// returned Span, whose memory the header's stores might alias, it was read back from memory.
LITETRACE_HOT_PATH Span Tracer::start_span(std::string_view name) const noexcept {
  detail::ThreadContext& tc = detail::this_thread_context();
  const SpanContext& parent = tc.current;
  detail::ProviderCore* core = recording_core();
  // No provider (yet): a no-op span that carries its parent's context on, so the trace
  // continues through this process (OpenTelemetry's non-recording span).
  if (core == nullptr) return Span(nullptr, parent);
  if (core != tc.cache_core && !cache_thread_state(tc, core)) return start_span_without_state(core, name);
  SpanContext ctx;
  // A root and a child each take their own copy of begin(), in which has_parent is a
  // constant: the header's parent fields and the sampling decision become plain stores.
  SpanBuffer* b = parent.valid() ? begin(tc, core, parent, true, name, SpanKind::kInternal, ctx)
                                 : begin(tc, core, parent, false, name, SpanKind::kInternal, ctx);
  return Span(b, ctx.trace_id, ctx.span_id, ctx.flags);
}

// Out of line, so that the common case's context never has its address taken. `core` is the
// one start_span() found: for a global tracer, asking again could find another provider
// installed meanwhile, or none.
LITETRACE_COLD LITETRACE_NOINLINE Span Tracer::start_span_without_state(detail::ProviderCore* core,
                                                                        std::string_view name) const noexcept {
  detail::ThreadContext& tc = detail::this_thread_context();
  const SpanContext& parent = tc.current;
  Span span;
  begin_without_state(tc, core, parent, parent.valid(), name, SpanKind::kInternal, span.context_);
  return span;
}

Span Tracer::start_span(std::string_view name, Attributes attributes, Links links,
                        const StartSpanOptions& options) const noexcept {
  Span span;
  // A reference, not a copy: the ternary over a temporary would copy the context to the
  // stack and read it back at once, a store-forwarding stall on every span.
  static const SpanContext kNone;
  detail::ThreadContext& tc = detail::this_thread_context();
  const SpanContext& parent = options.parent.valid() ? options.parent : options.root ? kNone : tc.current;
  detail::ProviderCore* core = recording_core();
  if (core == nullptr) {
    span.context_ = parent;  // as above
    return span;
  }
  if (core != tc.cache_core && !cache_thread_state(tc, core)) {
    begin_without_state(tc, core, parent, parent.valid(), name, options.kind, span.context_);
    return span;
  }
  SpanBuffer* b = begin(tc, core, parent, parent.valid(), name, options.kind, span.context_);
  span.buffer_ = b;
  if (b == nullptr) return span;
  if (options.start_time != SystemTime{}) {
    b->header.start = unix_ns(options.start_time);
    b->header.time_flags = detail::kStartIsUnixNs;
  }
  if (!options.trace_state.empty() && parent.valid()) {
    append_text(*b, ItemKind::kTraceState, options.trace_state.substr(0, clamp16(options.trace_state.size())));
  }
  for (const Attribute& a : attributes) set_span_attribute(*b, a.key, item_value(a.value, b->max_attribute_length));
  for (const Link& link : links) {
    append_link(*b, link.context, ArrayView<Attribute>(link.attributes.begin(), link.attributes.size()));
  }
  return span;
}

// ---- TracerProvider ----

LITETRACE_COLD TracerProvider::TracerProvider(const TracerProviderOptions& options)
    : core_(new detail::ProviderCore(options)) {
  core_->start();
}

LITETRACE_COLD TracerProvider::~TracerProvider() {
  shutdown();
  // This thread's hold on the core (and any other finished one) goes now, so the core is
  // freed with the provider unless a tracer, a thread or an open span still needs it.
  detail::release_finished_cores();
}

LITETRACE_COLD Tracer TracerProvider::tracer(std::string_view scope_name, std::string_view scope_version) {
  return Tracer(core_, core_->scope(scope_name, scope_version));
}

LITETRACE_COLD void set_global_provider(std::shared_ptr<TracerProvider> provider) noexcept {
  detail::CoreHold core = provider ? provider->core_ : detail::CoreHold();
  // The one replaced goes here, outside the global's lock (its destructor shuts it down).
  const std::shared_ptr<TracerProvider> replaced = detail::install_global(std::move(provider), std::move(core));
}

std::shared_ptr<TracerProvider> global_provider() noexcept { return detail::installed_global(); }

LITETRACE_COLD Tracer global_tracer(std::string_view scope_name, std::string_view scope_version) {
  detail::register_global_exit_handler();
  return Tracer(detail::CoreHold(), detail::intern_scope(scope_name, scope_version), /*global=*/true);
}

LITETRACE_COLD bool TracerProvider::force_flush(std::chrono::milliseconds timeout) { return core_->force_flush(timeout); }
LITETRACE_COLD bool TracerProvider::shutdown(std::chrono::milliseconds timeout) { return core_->shutdown(timeout); }
TracerStats TracerProvider::stats() const { return core_->stats(); }

ClockSource TracerProvider::clock_source() const noexcept { return detail::clock_source(); }

const char* to_string(ClockSource source) noexcept {
  switch (source) {
    case ClockSource::kTsc: return "the CPU's invariant TSC";
    case ClockSource::kArmCounter: return "the arm64 generic timer (CNTVCT_EL0)";
    case ClockSource::kMonotonicClock: return "clock_gettime(CLOCK_MONOTONIC)";
  }
  return "unknown";
}
LITETRACE_COLD std::string TracerProvider::agent_address() const { return core_->agent_address(); }
const Propagator& TracerProvider::propagator() const { return core_->propagator(); }

}  // namespace litetrace
