#include "otlp/otlp_json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/compiler.h"
#include "core/json_text.h"
#include "core/text.h"

namespace litetrace::detail::otlp {
namespace {

// Writes one JSON object at a time: the comma before every member but the first. Each
// token is written by pointer into room the buffer has past its end (room()), which it does
// not zero-fill; the writer keeps its place and end in registers and tells the buffer what
// it took only when it needs more room, copies a run in (raw()) or finishes. A buffer that
// cannot grow fails the writer: what it writes then is dropped, and finish() says so.
class JsonOut {
 public:
  // Writes on at the buffer's end, into the room it has spare.
  explicit JsonOut(ByteBuffer& out)
      : out_(out), at_(reinterpret_cast<char*>(out.data()) + out.size()), end_(at_ + out.spare()) {}
  ~JsonOut() { take(); }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  // What was written, taken by the buffer; false if some of it could not be.
  bool finish() {
    take();
    return ok_;
  }

  void begin_object() {
    put('{');
    first_ = true;
  }
  void end_object() {
    put('}');
    first_ = false;
  }
  void begin_array(std::string_view key) {
    char* p = member(key, 1);
    if (p == nullptr) return;
    *p++ = '[';
    commit(p);
    first_ = true;
  }
  void end_array() {
    put(']');
    first_ = false;
  }
  // An object as an array element or a member's value.
  void element_object() {
    char* p = room(2);
    if (p == nullptr) return;
    if (!first_) *p++ = ',';
    *p++ = '{';
    commit(p);
    first_ = true;
  }
  // Array elements written elsewhere (span objects separated by commas), copied as they are.
  void raw(std::string_view elements) {
    take();
    ok_ = ok_ && out_.append(elements);
    first_ = false;
  }
  void object_member(std::string_view key) {
    char* p = member(key, 1);
    if (p == nullptr) return;
    *p++ = '{';
    commit(p);
    first_ = true;
  }

  // RFC 8259, as core/json_text.h escapes it (the mapping has made the text valid UTF-8).
  void string(std::string_view key, std::string_view v) {
    char* p = member(key, json_string_bound(v.size()));
    if (p == nullptr) return;
    commit(write_json_string(p, v));
  }
  void number(std::string_view key, uint64_t v) {
    char* p = member(key, kDigits);
    if (p == nullptr) return;
    commit(std::to_chars(p, p + kDigits, v).ptr);
  }
  // int64 and fixed64: decimal strings, as the protobuf JSON mapping has them.
  template <typename Integer>
  void quoted_integer(std::string_view key, Integer v) {
    char* p = member(key, kDigits + 2);
    if (p == nullptr) return;
    *p++ = '"';
    p = std::to_chars(p, p + kDigits, v).ptr;
    *p++ = '"';
    commit(p);
  }
  void boolean(std::string_view key, bool v) {
    const std::string_view text = v ? "true" : "false";
    char* p = member(key, text.size());
    if (p == nullptr) return;
    std::memcpy(p, text.data(), text.size());
    commit(p + text.size());
  }
  void real(std::string_view key, double v) {
    char* p = member(key, kDoubleTextBound);
    if (p == nullptr) return;
    std::string_view text;
    if (std::isnan(v)) {
      text = "\"NaN\"";
    } else if (std::isinf(v)) {
      text = v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else if (v == 0 && std::signbit(v)) {
      text = "-0.0";  // "-0" reads back as the integer 0 in some parsers (Python's json)
    } else {
      // The shortest form that reads back as the same double, whatever the C locale says.
      commit(std::to_chars(p, p + kDoubleTextBound, v).ptr);
      return;
    }
    std::memcpy(p, text.data(), text.size());
    commit(p + text.size());
  }
  void hex(std::string_view key, const uint64_t* words, size_t n) {
    char* p = member(key, 16 * n + 2);
    if (p == nullptr) return;
    *p++ = '"';
    for (size_t w = 0; w < n; ++w) p = write_hex64(p, words[w]);
    *p++ = '"';
    commit(p);
  }
  void base64(std::string_view key, std::string_view bytes) {
    char* p = member(key, base64_size(bytes.size()) + 2);
    if (p == nullptr) return;
    *p++ = '"';
    p = write_base64(p, bytes);
    *p++ = '"';
    commit(p);
  }

 private:
  static constexpr size_t kDigits = 20;  // the most digits of a 64-bit integer, its sign too

  // A comma, the quoted key and the colon, in room for `n` bytes more written after them
  // (returned); nullptr once the buffer has failed.
  char* member(std::string_view key, size_t n) {
    char* p = room(key.size() + 4 + n);
    if (p == nullptr) return nullptr;
    if (!first_) *p++ = ',';
    first_ = false;
    *p++ = '"';
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    *p++ = '"';
    *p++ = ':';
    return p;
  }
  void put(char c) {
    char* p = room(1);
    if (p == nullptr) return;
    *p = c;
    commit(p + 1);
  }
  // At least `n` bytes to write at the returned place, or nullptr once the buffer has failed.
  char* room(size_t n) {
    if (LITETRACE_LIKELY(n <= static_cast<size_t>(end_ - at_))) return at_;
    return grow(n);
  }
  // More room than `n`, so that most tokens find theirs already there.
  LITETRACE_NOINLINE char* grow(size_t n) {
    take();
    uint8_t* p = ok_ ? out_.room(n + kSlack) : nullptr;
    if (p == nullptr) {
      ok_ = false;
      return nullptr;
    }
    at_ = reinterpret_cast<char*>(p);
    end_ = at_ + out_.spare();
    return at_;
  }
  void commit(char* end) { at_ = end; }
  // Tells the buffer what was written since room() was last asked of it.
  void take() {
    if (at_ != nullptr) out_.commit(static_cast<size_t>(reinterpret_cast<uint8_t*>(at_) - out_.data()) - out_.size());
    at_ = end_ = nullptr;
  }

  static constexpr size_t kSlack = 512;
  ByteBuffer& out_;
  char* at_;   // where the next token goes, in room the buffer has not taken yet (or nullptr)
  char* end_;  // the end of that room
  bool ok_ = true;
  bool first_ = true;
};

void trace_id(JsonOut& j, std::string_view key, const TraceId& id) {
  const uint64_t words[] = {id.high, id.low};
  j.hex(key, words, 2);
}
void span_id(JsonOut& j, std::string_view key, uint64_t id) { j.hex(key, &id, 1); }

// An AnyValue's member, inside its object.
void any_value(JsonOut& j, const AnyValue& v) {
  switch (v.type) {
    case ValueType::kString: j.string("stringValue", v.bytes); break;
    case ValueType::kBool: j.boolean("boolValue", v.boolean); break;
    case ValueType::kInt: j.quoted_integer("intValue", v.integer); break;
    case ValueType::kDouble: j.real("doubleValue", v.number); break;
    case ValueType::kBytes: j.base64("bytesValue", v.bytes); break;
    case ValueType::kArray:
      j.object_member("arrayValue");
      if (!v.values.empty()) {
        j.begin_array("values");
        for (const AnyValue& element : v.values) {
          j.element_object();
          any_value(j, element);
          j.end_object();
        }
        j.end_array();
      }
      j.end_object();
      break;
  }
}

void attributes(JsonOut& j, std::string_view key, Slice<KeyValue> list) {
  if (list.empty()) return;
  j.begin_array(key);
  for (const KeyValue& kv : list) {
    j.element_object();
    if (!kv.key.empty()) j.string("key", kv.key);
    j.object_member("value");
    any_value(j, kv.value);
    j.end_object();
    j.end_object();
  }
  j.end_array();
}

void optional_string(JsonOut& j, std::string_view key, std::string_view v) {
  if (!v.empty()) j.string(key, v);
}
void optional_number(JsonOut& j, std::string_view key, uint64_t v) {
  if (v != 0) j.number(key, v);
}
void optional_time(JsonOut& j, std::string_view key, uint64_t v) {
  if (v != 0) j.quoted_integer(key, v);
}

void span(JsonOut& j, const Span& s) {
  j.element_object();
  trace_id(j, "traceId", s.trace_id);
  span_id(j, "spanId", s.span_id);
  optional_string(j, "traceState", s.trace_state);
  if (s.parent_span_id != 0) span_id(j, "parentSpanId", s.parent_span_id);
  optional_number(j, "flags", s.flags);
  optional_string(j, "name", s.name);
  optional_number(j, "kind", static_cast<uint64_t>(s.kind));
  optional_time(j, "startTimeUnixNano", s.start_time_unix_nano);
  optional_time(j, "endTimeUnixNano", s.end_time_unix_nano);
  attributes(j, "attributes", s.attributes);
  optional_number(j, "droppedAttributesCount", s.dropped_attributes_count);
  if (!s.events.empty()) {
    j.begin_array("events");
    for (const Event& e : s.events) {
      j.element_object();
      optional_time(j, "timeUnixNano", e.time_unix_nano);
      optional_string(j, "name", e.name);
      attributes(j, "attributes", e.attributes);
      optional_number(j, "droppedAttributesCount", e.dropped_attributes_count);
      j.end_object();
    }
    j.end_array();
  }
  optional_number(j, "droppedEventsCount", s.dropped_events_count);
  if (!s.links.empty()) {
    j.begin_array("links");
    for (const Link& l : s.links) {
      j.element_object();
      trace_id(j, "traceId", l.trace_id);
      span_id(j, "spanId", l.span_id);
      optional_string(j, "traceState", l.trace_state);
      attributes(j, "attributes", l.attributes);
      optional_number(j, "droppedAttributesCount", l.dropped_attributes_count);
      optional_number(j, "flags", l.flags);
      j.end_object();
    }
    j.end_array();
  }
  optional_number(j, "droppedLinksCount", s.dropped_links_count);
  if (s.status_code != StatusCode::kUnset || !s.status_message.empty()) {
    j.object_member("status");
    optional_string(j, "message", s.status_message);
    optional_number(j, "code", static_cast<uint64_t>(s.status_code));
    j.end_object();
  }
  j.end_object();
}

}  // namespace

bool append_span_json(ByteBuffer& out, const Span& s) {
  JsonOut j(out);
  span(j, s);
  return j.finish();
}

namespace {

void request_json(JsonOut& j, Slice<KeyValue> resource, Slice<EncodedScope> scopes) {
  j.begin_object();
  j.begin_array("resourceSpans");
  j.element_object();
  j.object_member("resource");
  attributes(j, "attributes", resource);
  j.end_object();
  j.begin_array("scopeSpans");
  for (const EncodedScope& ss : scopes) {
    j.element_object();
    j.object_member("scope");
    optional_string(j, "name", ss.scope.name);
    optional_string(j, "version", ss.scope.version);
    j.end_object();
    if (!ss.spans.empty()) {
      j.begin_array("spans");
      j.raw(ss.spans);
      j.end_array();
    }
    j.end_object();
  }
  j.end_array();
  j.end_object();
  j.end_array();
  j.end_object();
}

}  // namespace

bool append_request_json(ByteBuffer& body, Slice<KeyValue> resource, Slice<EncodedScope> scopes) {
  JsonOut j(body);
  request_json(j, resource, scopes);
  return j.finish();
}

void encode_request_json(const ResourceSpans& r, std::string& out) {
  std::vector<ByteBuffer> chunks(r.scope_spans.size);
  std::vector<EncodedScope> scopes;
  for (size_t i = 0; i < r.scope_spans.size; ++i) {
    for (const Span& s : r.scope_spans[i].spans) {
      if (!chunks[i].empty()) chunks[i].append(",");
      append_span_json(chunks[i], s);
    }
    scopes.push_back({r.scope_spans[i].scope, chunks[i].view()});
  }
  ByteBuffer body;
  append_request_json(body, r.resource_attributes, {scopes.data(), scopes.size()});
  out.append(body.view());
}

}  // namespace litetrace::detail::otlp
