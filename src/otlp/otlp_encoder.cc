#include "otlp/otlp_encoder.h"

#include <cstring>
#include <vector>

#include "core/compiler.h"
#include "core/span_record.h"
#include "core/text.h"

namespace litetrace::detail::otlp {
namespace {

// Field numbers, by message.
namespace f {
constexpr uint32_t kRequestResourceSpans = 1;
constexpr uint32_t kResourceSpansResource = 1, kResourceSpansScopeSpans = 2;
constexpr uint32_t kResourceAttributes = 1;
constexpr uint32_t kScopeSpansScope = 1, kScopeSpansSpans = 2;
constexpr uint32_t kScopeName = 1, kScopeVersion = 2;
constexpr uint32_t kSpanTraceId = 1, kSpanSpanId = 2, kSpanTraceState = 3, kSpanParentSpanId = 4, kSpanName = 5,
                   kSpanKind = 6, kSpanStart = 7, kSpanEnd = 8, kSpanAttributes = 9, kSpanDroppedAttributes = 10,
                   kSpanEvents = 11, kSpanDroppedEvents = 12, kSpanLinks = 13, kSpanDroppedLinks = 14,
                   kSpanStatus = 15, kSpanFlags = 16;
constexpr uint32_t kEventTime = 1, kEventName = 2, kEventAttributes = 3, kEventDroppedAttributes = 4;
constexpr uint32_t kLinkTraceId = 1, kLinkSpanId = 2, kLinkTraceState = 3, kLinkAttributes = 4,
                   kLinkDroppedAttributes = 5, kLinkFlags = 6;
constexpr uint32_t kStatusMessage = 2, kStatusCode = 3;
constexpr uint32_t kKeyValueKey = 1, kKeyValueValue = 2;
constexpr uint32_t kAnyString = 1, kAnyBool = 2, kAnyInt = 3, kAnyDouble = 4, kAnyArray = 5, kAnyBytes = 7;
constexpr uint32_t kArrayValues = 1;
}  // namespace f

constexpr size_t kTraceIdBytes = 16;
constexpr size_t kSpanIdBytes = 8;

// Ids go on the wire big-endian, the byte order of their W3C hex form.
void put_big_endian(char* out, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
  v = __builtin_bswap64(v);
  std::memcpy(out, &v, 8);
#else
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
#endif
}
struct TraceIdBytes {
  char b[kTraceIdBytes];
  explicit TraceIdBytes(const TraceId& id) {
    put_big_endian(b, id.high);
    put_big_endian(b + 8, id.low);
  }
  std::string_view view() const { return {b, sizeof b}; }
};
struct SpanIdBytes {
  char b[kSpanIdBytes];
  explicit SpanIdBytes(uint64_t id) { put_big_endian(b, id); }
  std::string_view view() const { return {b, sizeof b}; }
};

// Implicit presence: a field at its default is not written.
size_t optional_bytes_size(uint32_t field, std::string_view v) {
  return v.empty() ? 0 : length_delimited_field_size(field, v.size());
}
size_t optional_varint_size(uint32_t field, uint64_t v) { return v == 0 ? 0 : varint_field_size(field, v); }
size_t optional_fixed64_size(uint32_t field, uint64_t v) { return v == 0 ? 0 : fixed64_field_size(field); }
size_t optional_fixed32_size(uint32_t field, uint32_t v) { return v == 0 ? 0 : fixed32_field_size(field); }

void optional_bytes(ProtoWriter& w, uint32_t field, std::string_view v) {
  if (!v.empty()) w.bytes_field(field, v);
}
void optional_varint(ProtoWriter& w, uint32_t field, uint64_t v) {
  if (v != 0) w.varint_field(field, v);
}

template <typename T>
size_t repeated_size(uint32_t field, Slice<T> items) {
  size_t n = 0;
  for (const T& item : items) n += length_delimited_field_size(field, body_size(item));
  return n;
}

bool has_status(const Span& s) { return s.status_code != StatusCode::kUnset || !s.status_message.empty(); }

size_t status_body_size(const Span& s) {
  return optional_bytes_size(f::kStatusMessage, s.status_message) +
         optional_varint_size(f::kStatusCode, static_cast<uint64_t>(s.status_code));
}

size_t scope_body_size(const InstrumentationScope& scope) {
  return optional_bytes_size(f::kScopeName, scope.name) + optional_bytes_size(f::kScopeVersion, scope.version);
}

size_t array_body_size(Slice<AnyValue> values) {
  size_t n = 0;
  for (const AnyValue& v : values) n += length_delimited_field_size(f::kArrayValues, body_size(v));
  return n;
}

// An AnyValue's body at `p`, in room claimed for it.
uint8_t* put_any_value_body(uint8_t* p, const AnyValue& v) {
  switch (v.type) {
    case ValueType::kString: return ProtoWriter::put_bytes_field(p, f::kAnyString, v.bytes);
    case ValueType::kBool:
      p = ProtoWriter::put_tag(p, f::kAnyBool, WireType::kVarint);
      return ProtoWriter::put_varint(p, v.boolean ? 1 : 0);
    case ValueType::kInt:
      p = ProtoWriter::put_tag(p, f::kAnyInt, WireType::kVarint);
      return ProtoWriter::put_varint(p, static_cast<uint64_t>(v.integer));
    case ValueType::kDouble: {
      uint64_t bits = 0;
      std::memcpy(&bits, &v.number, sizeof bits);
      p = ProtoWriter::put_tag(p, f::kAnyDouble, WireType::kFixed64);
      return ProtoWriter::put_fixed(p, bits, 8);
    }
    case ValueType::kBytes: return ProtoWriter::put_bytes_field(p, f::kAnyBytes, v.bytes);
    case ValueType::kArray: {
      p = ProtoWriter::put_tag(p, f::kAnyArray, WireType::kLengthDelimited);
      p = ProtoWriter::put_varint(p, array_body_size(v.values));
      for (const AnyValue& element : v.values) {
        p = ProtoWriter::put_tag(p, f::kArrayValues, WireType::kLengthDelimited);
        p = ProtoWriter::put_varint(p, body_size(element));
        p = put_any_value_body(p, element);
      }
      return p;
    }
  }
  return p;
}

// A KeyValue's body at `p`, in room claimed for exactly body_size(kv) bytes.
uint8_t* put_key_value_body(uint8_t* p, const KeyValue& kv, size_t value_body) {
  if (!kv.key.empty()) p = ProtoWriter::put_bytes_field(p, f::kKeyValueKey, kv.key);
  p = ProtoWriter::put_tag(p, f::kKeyValueValue, WireType::kLengthDelimited);
  p = ProtoWriter::put_varint(p, value_body);
  return put_any_value_body(p, kv.value);
}

// An attribute as one whole field: sized, then written with one bounds check (the hot part
// of a span: most of its fields are attributes).
void encode_key_value_field(ProtoWriter& w, uint32_t field, const KeyValue& kv) {
  const size_t value_body = body_size(kv.value);
  const size_t body = optional_bytes_size(f::kKeyValueKey, kv.key) +
                      length_delimited_field_size(f::kKeyValueValue, value_body);
  const size_t total = length_delimited_field_size(field, body);
  uint8_t* p = w.claim(total);
  if (p == nullptr) return;
  uint8_t* const end = p + total;
  p = ProtoWriter::put_tag(p, field, WireType::kLengthDelimited);
  p = ProtoWriter::put_varint(p, body);
  if (put_key_value_body(p, kv, value_body) != end) w.claimed_mismatch();
}

void encode_attributes(ProtoWriter& w, uint32_t field, Slice<KeyValue> attributes) {
  for (const KeyValue& kv : attributes) encode_key_value_field(w, field, kv);
}

uint8_t* put_optional_varint(uint8_t* p, uint32_t field, uint64_t v) {
  if (v == 0) return p;
  return ProtoWriter::put_varint(ProtoWriter::put_tag(p, field, WireType::kVarint), v);
}

// Each message's fields before its attributes and after them, sized and written as runs:
// by the model's encoders and by the plain records' (append_plain_span_field).
size_t head_size(const Event& e) {
  return optional_fixed64_size(f::kEventTime, e.time_unix_nano) + optional_bytes_size(f::kEventName, e.name);
}
uint8_t* put_head(uint8_t* p, const Event& e) {
  if (e.time_unix_nano != 0) {
    p = ProtoWriter::put_tag(p, f::kEventTime, WireType::kFixed64);
    p = ProtoWriter::put_fixed(p, e.time_unix_nano, 8);
  }
  if (!e.name.empty()) p = ProtoWriter::put_bytes_field(p, f::kEventName, e.name);
  return p;
}
size_t tail_size(const Event& e) {
  return optional_varint_size(f::kEventDroppedAttributes, e.dropped_attributes_count);
}
uint8_t* put_tail(uint8_t* p, const Event& e) {
  return put_optional_varint(p, f::kEventDroppedAttributes, e.dropped_attributes_count);
}

size_t head_size(const Link& l) {
  return length_delimited_field_size(f::kLinkTraceId, kTraceIdBytes) +
         length_delimited_field_size(f::kLinkSpanId, kSpanIdBytes) +
         optional_bytes_size(f::kLinkTraceState, l.trace_state);
}
uint8_t* put_head(uint8_t* p, const Link& l) {
  p = ProtoWriter::put_bytes_field(p, f::kLinkTraceId, TraceIdBytes(l.trace_id).view());
  p = ProtoWriter::put_bytes_field(p, f::kLinkSpanId, SpanIdBytes(l.span_id).view());
  if (!l.trace_state.empty()) p = ProtoWriter::put_bytes_field(p, f::kLinkTraceState, l.trace_state);
  return p;
}
size_t tail_size(const Link& l) {
  return optional_varint_size(f::kLinkDroppedAttributes, l.dropped_attributes_count) +
         optional_fixed32_size(f::kLinkFlags, l.flags);
}
uint8_t* put_tail(uint8_t* p, const Link& l) {
  p = put_optional_varint(p, f::kLinkDroppedAttributes, l.dropped_attributes_count);
  if (l.flags != 0) {
    p = ProtoWriter::put_tag(p, f::kLinkFlags, WireType::kFixed32);
    p = ProtoWriter::put_fixed(p, l.flags, 4);
  }
  return p;
}

// A run that put() writes in exactly `size` bytes claimed from the writer.
template <typename Put>
void encode_run(ProtoWriter& w, size_t size, Put put) {
  uint8_t* p = w.claim(size);
  if (p != nullptr && put(p) != p + size) w.claimed_mismatch();
}

void encode_body(ProtoWriter& w, const Event& e) {
  encode_run(w, head_size(e), [&](uint8_t* p) { return put_head(p, e); });
  encode_attributes(w, f::kEventAttributes, e.attributes);
  encode_run(w, tail_size(e), [&](uint8_t* p) { return put_tail(p, e); });
}

void encode_body(ProtoWriter& w, const Link& l) {
  encode_run(w, head_size(l), [&](uint8_t* p) { return put_head(p, l); });
  encode_attributes(w, f::kLinkAttributes, l.attributes);
  encode_run(w, tail_size(l), [&](uint8_t* p) { return put_tail(p, l); });
}

}  // namespace

size_t body_size(const AnyValue& v) {
  switch (v.type) {
    case ValueType::kString: return length_delimited_field_size(f::kAnyString, v.bytes.size());
    case ValueType::kBool: return varint_field_size(f::kAnyBool, v.boolean ? 1 : 0);
    case ValueType::kInt: return int64_field_size(f::kAnyInt, v.integer);
    case ValueType::kDouble: return fixed64_field_size(f::kAnyDouble);
    case ValueType::kBytes: return length_delimited_field_size(f::kAnyBytes, v.bytes.size());
    case ValueType::kArray: return length_delimited_field_size(f::kAnyArray, array_body_size(v.values));
  }
  return 0;
}

size_t body_size(const KeyValue& kv) {
  return optional_bytes_size(f::kKeyValueKey, kv.key) + length_delimited_field_size(f::kKeyValueValue, body_size(kv.value));
}

size_t body_size(const Event& e) {
  return head_size(e) + repeated_size(f::kEventAttributes, e.attributes) + tail_size(e);
}

size_t body_size(const Link& l) {
  return head_size(l) + repeated_size(f::kLinkAttributes, l.attributes) + tail_size(l);
}

void encode_body(ProtoWriter& w, const KeyValue& kv) {
  const size_t body = body_size(kv);
  uint8_t* p = w.claim(body);
  if (p != nullptr && put_key_value_body(p, kv, body_size(kv.value)) != p + body) w.claimed_mismatch();
}

namespace {

// A span's fields before its attributes, sized and written as one run.
size_t head_size(const Span& s) {
  return length_delimited_field_size(f::kSpanTraceId, kTraceIdBytes) +
         length_delimited_field_size(f::kSpanSpanId, kSpanIdBytes) +
         optional_bytes_size(f::kSpanTraceState, s.trace_state) +
         (s.parent_span_id != 0 ? length_delimited_field_size(f::kSpanParentSpanId, kSpanIdBytes) : 0) +
         optional_bytes_size(f::kSpanName, s.name) + optional_varint_size(f::kSpanKind, static_cast<uint64_t>(s.kind)) +
         optional_fixed64_size(f::kSpanStart, s.start_time_unix_nano) +
         optional_fixed64_size(f::kSpanEnd, s.end_time_unix_nano);
}
uint8_t* put_head(uint8_t* p, const Span& s) {
  p = ProtoWriter::put_bytes_field(p, f::kSpanTraceId, TraceIdBytes(s.trace_id).view());
  p = ProtoWriter::put_bytes_field(p, f::kSpanSpanId, SpanIdBytes(s.span_id).view());
  if (!s.trace_state.empty()) p = ProtoWriter::put_bytes_field(p, f::kSpanTraceState, s.trace_state);
  if (s.parent_span_id != 0) {
    p = ProtoWriter::put_bytes_field(p, f::kSpanParentSpanId, SpanIdBytes(s.parent_span_id).view());
  }
  if (!s.name.empty()) p = ProtoWriter::put_bytes_field(p, f::kSpanName, s.name);
  if (s.kind != SpanKind::kUnspecified) {
    p = ProtoWriter::put_tag(p, f::kSpanKind, WireType::kVarint);
    p = ProtoWriter::put_varint(p, static_cast<uint64_t>(s.kind));
  }
  if (s.start_time_unix_nano != 0) {
    p = ProtoWriter::put_tag(p, f::kSpanStart, WireType::kFixed64);
    p = ProtoWriter::put_fixed(p, s.start_time_unix_nano, 8);
  }
  if (s.end_time_unix_nano != 0) {
    p = ProtoWriter::put_tag(p, f::kSpanEnd, WireType::kFixed64);
    p = ProtoWriter::put_fixed(p, s.end_time_unix_nano, 8);
  }
  return p;
}
void encode_head(ProtoWriter& w, const Span& s) {
  encode_run(w, head_size(s), [&](uint8_t* p) { return put_head(p, s); });
}

// A span's last fields, status and flags, as one run.
size_t status_and_flags_size(const Span& s) {
  return (has_status(s) ? length_delimited_field_size(f::kSpanStatus, status_body_size(s)) : 0) +
         optional_fixed32_size(f::kSpanFlags, s.flags);
}
uint8_t* put_status_and_flags(uint8_t* p, const Span& s) {
  if (has_status(s)) {
    p = ProtoWriter::put_tag(p, f::kSpanStatus, WireType::kLengthDelimited);
    p = ProtoWriter::put_varint(p, status_body_size(s));
    if (!s.status_message.empty()) p = ProtoWriter::put_bytes_field(p, f::kStatusMessage, s.status_message);
    p = put_optional_varint(p, f::kStatusCode, static_cast<uint64_t>(s.status_code));
  }
  if (s.flags != 0) {
    p = ProtoWriter::put_tag(p, f::kSpanFlags, WireType::kFixed32);
    p = ProtoWriter::put_fixed(p, s.flags, 4);
  }
  return p;
}

// The fields after the attributes.
void encode_tail(ProtoWriter& w, const Span& s) {
  optional_varint(w, f::kSpanDroppedAttributes, s.dropped_attributes_count);
  for (const Event& e : s.events) {
    w.message_begin(f::kSpanEvents, body_size(e));
    encode_body(w, e);
    w.message_end();
  }
  optional_varint(w, f::kSpanDroppedEvents, s.dropped_events_count);
  for (const Link& l : s.links) {
    w.message_begin(f::kSpanLinks, body_size(l));
    encode_body(w, l);
    w.message_end();
  }
  optional_varint(w, f::kSpanDroppedLinks, s.dropped_links_count);
  encode_run(w, status_and_flags_size(s), [&](uint8_t* p) { return put_status_and_flags(p, s); });
}

}  // namespace

size_t body_size(const Span& s) {
  return head_size(s) + repeated_size(f::kSpanAttributes, s.attributes) +
         optional_varint_size(f::kSpanDroppedAttributes, s.dropped_attributes_count) +
         repeated_size(f::kSpanEvents, s.events) + optional_varint_size(f::kSpanDroppedEvents, s.dropped_events_count) +
         repeated_size(f::kSpanLinks, s.links) + optional_varint_size(f::kSpanDroppedLinks, s.dropped_links_count) +
         status_and_flags_size(s);
}

void encode_body(ProtoWriter& w, const Span& s) {
  encode_head(w, s);
  encode_attributes(w, f::kSpanAttributes, s.attributes);
  encode_tail(w, s);
}

namespace {

size_t scope_spans_body_size(const EncodedScope& s) {
  return length_delimited_field_size(f::kScopeSpansScope, scope_body_size(s.scope)) + s.spans.size();
}

size_t resource_spans_body_size(Slice<KeyValue> resource, Slice<EncodedScope> scopes) {
  size_t n = length_delimited_field_size(f::kResourceSpansResource, repeated_size(f::kResourceAttributes, resource));
  for (const EncodedScope& s : scopes) n += length_delimited_field_size(f::kResourceSpansScopeSpans, scope_spans_body_size(s));
  return n;
}

}  // namespace

namespace {

// Appends exactly `size` bytes that `write` writes; on any error (no memory, a length the
// writer did not expect) `out` is left as it was.
template <typename Write>
bool append_exactly(ByteBuffer& out, size_t size, Write write) {
  const size_t at = out.size();
  uint8_t* p = out.extend(size);
  if (p == nullptr) return false;
  ProtoWriter w(p, size);
  write(w);
  if (w.ok() && w.size() == size) return true;
  out.truncate(at);
  return false;
}

}  // namespace

// One pass in the common case: the body is written past room for its field's tag and a
// two-byte length, which a body of less than 2^14 bytes needs at most; then the tag and the
// length are put in front of it, and a body of less than 128 bytes (a one-byte length) is
// moved back by one. A larger span is sized first.
bool append_span_field(ByteBuffer& out, const Span& s) {
  constexpr size_t kHead = 3;
  constexpr size_t kMaxBody = (size_t{1} << 14) - 1;
  static_assert(proto_tag_size(f::kScopeSpansSpans) + proto_varint_size(kMaxBody) == kHead);
  if (uint8_t* const p = out.room(kHead + kMaxBody)) {
    ProtoWriter w(p + kHead, kMaxBody);
    encode_body(w, s);
    if (w.ok()) {
      const size_t body = w.size();
      uint8_t head[kHead];
      const auto n = static_cast<size_t>(
          ProtoWriter::put_varint(ProtoWriter::put_tag(head, f::kScopeSpansSpans, WireType::kLengthDelimited), body) -
          head);
      if (n != kHead) std::memmove(p + n, p + kHead, body);
      std::memcpy(p, head, n);
      out.commit(n + body);
      return true;
    }
  }
  const size_t body = body_size(s);
  return append_exactly(out, length_delimited_field_size(f::kScopeSpansSpans, body), [&](ProtoWriter& w) {
    w.message_begin(f::kScopeSpansSpans, body);
    encode_body(w, s);
    w.message_end();
  });
}

namespace {

// A plain record's span attribute item (a scalar, string or bytes value), with the sizes of
// what put_plain_attribute() writes for it: what map() makes of it and encode_body() writes.
struct PlainAttribute {
  detail::ValueType type;
  std::string_view key;
  std::string_view bytes;  // a string's or bytes' value
  uint64_t bits = 0;       // a scalar's value
  size_t value_body = 0;   // the AnyValue's body
  size_t body = 0;         // the KeyValue's body
  size_t item_size = 0;
};

LITETRACE_ALWAYS_INLINE PlainAttribute read_plain_attribute(const uint8_t* item) {
  AttributeItemHead head;
  std::memcpy(&head, item, sizeof head);
  PlainAttribute a;
  a.type = static_cast<detail::ValueType>(head.type);
  const uint8_t* p = item + sizeof head;
  switch (a.type) {
    case detail::ValueType::kString:
    case detail::ValueType::kBytes:
      a.value_body = length_delimited_field_size(f::kAnyString, head.value_length);  // kAnyBytes: the same size
      break;
    case detail::ValueType::kBool:
      std::memcpy(&a.bits, p, sizeof a.bits);
      p += sizeof a.bits;
      a.value_body = varint_field_size(f::kAnyBool, 1);
      break;
    case detail::ValueType::kInt64:
      std::memcpy(&a.bits, p, sizeof a.bits);
      p += sizeof a.bits;
      a.value_body = varint_field_size(f::kAnyInt, a.bits);
      break;
    case detail::ValueType::kDouble:
      std::memcpy(&a.bits, p, sizeof a.bits);
      p += sizeof a.bits;
      a.value_body = fixed64_field_size(f::kAnyDouble);
      break;
    default: return a;  // an array: value_body 0 says the record is not plain
  }
  a.key = {reinterpret_cast<const char*>(p), head.key_length};
  a.bytes = {reinterpret_cast<const char*>(p + head.key_length), head.value_length};
  a.body = optional_bytes_size(f::kKeyValueKey, a.key) + length_delimited_field_size(f::kKeyValueValue, a.value_body);
  a.item_size = static_cast<size_t>(p - item) + head.key_length + head.value_length;
  return a;
}

// As a whole field of `field` (Span.attributes, Event.attributes or Link.attributes).
LITETRACE_ALWAYS_INLINE uint8_t* put_plain_attribute(uint8_t* p, uint32_t field, const PlainAttribute& a) {
  p = ProtoWriter::put_tag(p, field, WireType::kLengthDelimited);
  p = ProtoWriter::put_varint(p, a.body);
  if (!a.key.empty()) p = ProtoWriter::put_bytes_field(p, f::kKeyValueKey, a.key);
  p = ProtoWriter::put_tag(p, f::kKeyValueValue, WireType::kLengthDelimited);
  p = ProtoWriter::put_varint(p, a.value_body);
  switch (a.type) {
    case detail::ValueType::kString: return ProtoWriter::put_bytes_field(p, f::kAnyString, a.bytes);
    case detail::ValueType::kBytes: return ProtoWriter::put_bytes_field(p, f::kAnyBytes, a.bytes);
    case detail::ValueType::kBool:
      p = ProtoWriter::put_tag(p, f::kAnyBool, WireType::kVarint);
      return ProtoWriter::put_varint(p, a.bits != 0 ? 1 : 0);
    case detail::ValueType::kInt64:
      p = ProtoWriter::put_tag(p, f::kAnyInt, WireType::kVarint);
      return ProtoWriter::put_varint(p, a.bits);
    default:
      p = ProtoWriter::put_tag(p, f::kAnyDouble, WireType::kFixed64);
      return ProtoWriter::put_fixed(p, a.bits, 8);
  }
}

// An event or a link item as the model's Event or Link, without its attributes.
Event read_event(const uint8_t* item, const TickConverter& clock) {
  const uint8_t* p = item + 1;
  const bool unix_ns = get<uint8_t>(p) != 0;
  const auto time = get<uint64_t>(p);
  Event e;
  e.time_unix_nano = unix_ns_or_zero(unix_ns ? static_cast<int64_t>(time) : clock.to_unix_ns(time));
  e.dropped_attributes_count = get<uint16_t>(p);
  const auto n = get<uint16_t>(p);
  e.name = {reinterpret_cast<const char*>(p), n};
  return e;
}
Link read_link(const uint8_t* item) {
  const uint8_t* p = item + 1;
  const auto trace_flags = get<uint8_t>(p);
  const bool remote = get<uint8_t>(p) != 0;
  Link l;
  l.trace_id.high = get<uint64_t>(p);
  l.trace_id.low = get<uint64_t>(p);
  l.span_id = get<uint64_t>(p);
  l.dropped_attributes_count = get<uint16_t>(p);
  l.flags = context_flags(trace_flags, remote);
  return l;
}

// The attribute items of an event or a link (`kind`), which follow its item directly,
// from `item` on: their fields' size (`field`: Event.attributes or Link.attributes), and
// where they end.
size_t element_attributes_size(const uint8_t*& item, const uint8_t* end, ItemKind kind, uint32_t field) {
  size_t n = 0;
  while (item < end && static_cast<ItemKind>(*item) == kind) {
    const PlainAttribute a = read_plain_attribute(item);
    n += length_delimited_field_size(field, a.body);
    item += a.item_size;
  }
  return n;
}
uint8_t* put_element_attributes(uint8_t* p, const uint8_t* item, const uint8_t* end, ItemKind kind, uint32_t field) {
  while (item < end && static_cast<ItemKind>(*item) == kind) {
    const PlainAttribute a = read_plain_attribute(item);
    p = put_plain_attribute(p, field, a);
    item += a.item_size;
  }
  return p;
}

// An event or a link (`e`, as the model has it without its attributes) as a whole field of
// `field`, with its attribute items (`attribute_kind`) from `item` on; `item` is left past
// them.
template <typename Element>
uint8_t* put_element(uint8_t* p, const Element& e, uint32_t field, const uint8_t*& item, const uint8_t* end,
                     ItemKind attribute_kind, uint32_t attribute_field) {
  const uint8_t* const attributes = item;
  const size_t body = head_size(e) + element_attributes_size(item, end, attribute_kind, attribute_field) + tail_size(e);
  p = ProtoWriter::put_tag(p, field, WireType::kLengthDelimited);
  p = ProtoWriter::put_varint(p, body);
  p = put_head(p, e);
  p = put_element_attributes(p, attributes, end, attribute_kind, attribute_field);
  return put_tail(p, e);
}

// The Span.events or Span.links fields of a plain record's events or links (`kind`).
uint8_t* put_elements(uint8_t* p, const uint8_t* items, const uint8_t* end, ItemKind kind, const TickConverter& clock) {
  for (const uint8_t* item = items; item < end;) {
    if (static_cast<ItemKind>(*item) != kind) {
      item += record_item_size_inline(item);
      continue;
    }
    const uint8_t* const element = item;
    item += record_item_size_inline(item);
    if (kind == ItemKind::kEvent) {
      p = put_element(p, read_event(element, clock), f::kSpanEvents, item, end, ItemKind::kEventAttribute,
                      f::kEventAttributes);
    } else {
      p = put_element(p, read_link(element), f::kSpanLinks, item, end, ItemKind::kLinkAttribute,
                      f::kLinkAttributes);
    }
  }
  return p;
}

}  // namespace

PlainSpan append_plain_span_field(ByteBuffer& out, const uint8_t* record, Span& s, const TickConverter& clock,
                                  const AttributeLimits& rules) {
  uint32_t items_size;
  std::memcpy(&items_size, record + offsetof(SpanRecordHeader, items_size), sizeof items_size);
  const uint8_t* const items = record + sizeof(SpanRecordHeader);
  const uint8_t* const end = items + items_size;
  // The first pass: the texts (the last of each kind wins, as in map()), checked; the span
  // attributes checked against the rules; and the fields sized. An event's or a link's
  // attributes follow its item directly.
  AttributeCheck check(rules, items);
  size_t attributes = 0;
  size_t elements = 0;  // the Span.events and Span.links fields
  bool has_events = false;
  bool has_links = false;
  ItemKind open = ItemKind::kName;  // kEvent or kLink while its attributes may follow
  size_t element = 0;               // the open event's or link's body
  for (const uint8_t* item = items; item < end;) {
    const auto kind = static_cast<ItemKind>(*item);
    if (kind == ItemKind::kAttribute || kind == ItemKind::kEventAttribute || kind == ItemKind::kLinkAttribute) {
      const PlainAttribute a = read_plain_attribute(item);
      if (a.value_body == 0 || !is_valid_utf8(a.key) ||
          (a.type == detail::ValueType::kString && !is_valid_utf8(a.bytes))) {
        return PlainSpan::kNotPlain;
      }
      if (kind == ItemKind::kAttribute) {
        if (!check.admit(a.key, a.type, a.bytes)) return PlainSpan::kNotPlain;
        attributes += length_delimited_field_size(f::kSpanAttributes, a.body);
      } else if (open == (kind == ItemKind::kEventAttribute ? ItemKind::kEvent : ItemKind::kLink)) {
        const uint32_t field = kind == ItemKind::kEventAttribute ? f::kEventAttributes : f::kLinkAttributes;
        element += length_delimited_field_size(field, a.body);
      } else {
        return PlainSpan::kNotPlain;  // not right after its event or link: the mapper's
      }
      item += a.item_size;
      continue;
    }
    if (open != ItemKind::kName) {  // the open event or link is complete
      elements += length_delimited_field_size(open == ItemKind::kEvent ? f::kSpanEvents : f::kSpanLinks, element);
      open = ItemKind::kName;
    }
    const size_t size = record_item_size_inline(item);
    if (kind == ItemKind::kName || kind == ItemKind::kTraceState || kind == ItemKind::kStatusDescription) {
      const std::string_view text(reinterpret_cast<const char*>(item + 3), size - 3);
      if (!is_valid_utf8(text)) return PlainSpan::kNotPlain;
      (kind == ItemKind::kName ? s.name : kind == ItemKind::kTraceState ? s.trace_state : s.status_message) = text;
    } else if (kind == ItemKind::kEvent) {
      const Event e = read_event(item, clock);
      if (!is_valid_utf8(e.name)) return PlainSpan::kNotPlain;
      element = head_size(e) + tail_size(e);
      open = kind;
      has_events = true;
    } else if (kind == ItemKind::kLink) {
      const Link l = read_link(item);
      element = head_size(l) + tail_size(l);
      open = kind;
      has_links = true;
    } else if (!is_dead(kind)) {
      return PlainSpan::kNotPlain;  // cannot happen: only Span writes records
    }
    item += size;
  }
  if (open != ItemKind::kName) {
    elements += length_delimited_field_size(open == ItemKind::kEvent ? f::kSpanEvents : f::kSpanLinks, element);
  }
  // The second: the span field, its attributes, events and links from their items, in the
  // order of the fields.
  const size_t body = head_size(s) + attributes +
                      optional_varint_size(f::kSpanDroppedAttributes, s.dropped_attributes_count) + elements +
                      optional_varint_size(f::kSpanDroppedEvents, s.dropped_events_count) +
                      optional_varint_size(f::kSpanDroppedLinks, s.dropped_links_count) + status_and_flags_size(s);
  const size_t total = length_delimited_field_size(f::kScopeSpansSpans, body);
  const size_t at = out.size();
  uint8_t* const start = out.extend(total);
  if (start == nullptr) return PlainSpan::kFailed;
  uint8_t* p = ProtoWriter::put_tag(start, f::kScopeSpansSpans, WireType::kLengthDelimited);
  p = ProtoWriter::put_varint(p, body);
  p = put_head(p, s);
  for (const uint8_t* item = items; item < end;) {
    if (static_cast<ItemKind>(*item) != ItemKind::kAttribute) {
      item += record_item_size_inline(item);
      continue;
    }
    const PlainAttribute a = read_plain_attribute(item);
    p = put_plain_attribute(p, f::kSpanAttributes, a);
    item += a.item_size;
  }
  p = put_optional_varint(p, f::kSpanDroppedAttributes, s.dropped_attributes_count);
  if (has_events) p = put_elements(p, items, end, ItemKind::kEvent, clock);
  p = put_optional_varint(p, f::kSpanDroppedEvents, s.dropped_events_count);
  if (has_links) p = put_elements(p, items, end, ItemKind::kLink, clock);
  p = put_optional_varint(p, f::kSpanDroppedLinks, s.dropped_links_count);
  p = put_status_and_flags(p, s);
  if (p != start + total) {  // a bug: sized and written differently
    out.truncate(at);
    return PlainSpan::kFailed;
  }
  return PlainSpan::kWritten;
}

LITETRACE_COLD bool append_request(ByteBuffer& out, Slice<KeyValue> resource, Slice<EncodedScope> scopes) {
  const size_t resource_spans = resource_spans_body_size(resource, scopes);
  const size_t size = length_delimited_field_size(f::kRequestResourceSpans, resource_spans);
  return append_exactly(out, size, [&](ProtoWriter& w) {
    w.message_begin(f::kRequestResourceSpans, resource_spans);
    w.message_begin(f::kResourceSpansResource, repeated_size(f::kResourceAttributes, resource));
    encode_attributes(w, f::kResourceAttributes, resource);
    w.message_end();
    for (const EncodedScope& s : scopes) {
      w.message_begin(f::kResourceSpansScopeSpans, scope_spans_body_size(s));
      w.message_begin(f::kScopeSpansScope, scope_body_size(s.scope));
      optional_bytes(w, f::kScopeName, s.scope.name);
      optional_bytes(w, f::kScopeVersion, s.scope.version);
      w.message_end();
      w.write_raw(s.spans.data(), s.spans.size());
      w.message_end();
    }
    w.message_end();
  });
}

size_t request_size(const ResourceSpans& r) {
  size_t resource_spans =
      length_delimited_field_size(f::kResourceSpansResource, repeated_size(f::kResourceAttributes, r.resource_attributes));
  for (const ScopeSpans& ss : r.scope_spans) {
    const size_t scope =
        length_delimited_field_size(f::kScopeSpansScope, scope_body_size(ss.scope)) + repeated_size(f::kScopeSpansSpans, ss.spans);
    resource_spans += length_delimited_field_size(f::kResourceSpansScopeSpans, scope);
  }
  return length_delimited_field_size(f::kRequestResourceSpans, resource_spans);
}

std::string encode_request(const ResourceSpans& r) {
  std::vector<ByteBuffer> chunks(r.scope_spans.size);
  std::vector<EncodedScope> scopes;
  for (size_t i = 0; i < r.scope_spans.size; ++i) {
    for (const Span& s : r.scope_spans[i].spans) {
      if (!append_span_field(chunks[i], s)) return {};
    }
    scopes.push_back({r.scope_spans[i].scope, chunks[i].view()});
  }
  ByteBuffer out;
  if (!append_request(out, r.resource_attributes, {scopes.data(), scopes.size()})) return {};
  return std::string(out.view());
}

}  // namespace litetrace::detail::otlp
