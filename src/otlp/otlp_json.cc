#include "otlp/otlp_json.h"

#include <charconv>
#include <cmath>
#include <vector>

#include "core/json_text.h"
#include "core/text.h"

namespace litetrace::detail::otlp {
namespace {

// Writes one JSON object at a time: the comma before every member but the first.
class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}

  void begin_object() {
    out_ += '{';
    first_ = true;
  }
  void end_object() {
    out_ += '}';
    first_ = false;
  }
  void begin_array(const char* key) {
    member(key);
    out_ += '[';
    first_ = true;
  }
  void end_array() {
    out_ += ']';
    first_ = false;
  }
  // An object as an array element or a member's value.
  void element_object() {
    comma();
    begin_object();
  }
  // Array elements written elsewhere (span objects separated by commas).
  void raw(std::string_view elements) {
    out_ += elements;
    first_ = false;
  }
  void object_member(const char* key) {
    member(key);
    begin_object();
  }

  void string(const char* key, std::string_view v) {
    member(key);
    quoted(v);
  }
  void number(const char* key, uint64_t v) {
    member(key);
    out_ += std::to_string(v);
  }
  // int64 and fixed64: decimal strings, as the protobuf JSON mapping has them.
  void long_string(const char* key, int64_t v) {
    member(key);
    out_ += '"';
    out_ += std::to_string(v);
    out_ += '"';
  }
  void ulong_string(const char* key, uint64_t v) {
    member(key);
    out_ += '"';
    out_ += std::to_string(v);
    out_ += '"';
  }
  void boolean(const char* key, bool v) {
    member(key);
    out_ += v ? "true" : "false";
  }
  void real(const char* key, double v) {
    member(key);
    if (std::isnan(v)) {
      out_ += "\"NaN\"";
    } else if (std::isinf(v)) {
      out_ += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else if (v == 0 && std::signbit(v)) {
      out_ += "-0.0";  // "-0" reads back as the integer 0 in some parsers (Python's json)
    } else {
      // The shortest form that reads back as the same double, whatever the C locale says.
      char buf[32];
      const auto result = std::to_chars(buf, buf + sizeof buf, v);
      out_.append(buf, result.ptr);
    }
  }
  void hex(const char* key, const uint64_t* words, size_t n) {
    static const char digits[] = "0123456789abcdef";
    member(key);
    out_ += '"';
    for (size_t w = 0; w < n; ++w) {
      for (int shift = 60; shift >= 0; shift -= 4) out_ += digits[(words[w] >> shift) & 15];
    }
    out_ += '"';
  }
  void base64(const char* key, std::string_view bytes) {
    member(key);
    out_ += '"';
    append_base64(out_, bytes);
    out_ += '"';
  }

 private:
  void comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void member(const char* key) {
    comma();
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }
  // RFC 8259, as core/json_text.h escapes it (the mapping has made the text valid UTF-8).
  void quoted(std::string_view v) { append_json_string(out_, v); }

  std::string& out_;
  bool first_ = true;
};

void trace_id(JsonOut& j, const char* key, const TraceId& id) {
  const uint64_t words[] = {id.high, id.low};
  j.hex(key, words, 2);
}
void span_id(JsonOut& j, const char* key, uint64_t id) { j.hex(key, &id, 1); }

// An AnyValue's member, inside its object.
void any_value(JsonOut& j, const AnyValue& v) {
  switch (v.type) {
    case ValueType::kString: j.string("stringValue", v.bytes); break;
    case ValueType::kBool: j.boolean("boolValue", v.boolean); break;
    case ValueType::kInt: j.long_string("intValue", v.integer); break;
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

void attributes(JsonOut& j, const char* key, Slice<KeyValue> list) {
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

void optional_string(JsonOut& j, const char* key, std::string_view v) {
  if (!v.empty()) j.string(key, v);
}
void optional_number(JsonOut& j, const char* key, uint64_t v) {
  if (v != 0) j.number(key, v);
}
void optional_time(JsonOut& j, const char* key, uint64_t v) {
  if (v != 0) j.ulong_string(key, v);
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

void append_span_json(std::string& out, const Span& s) {
  JsonOut j(out);
  span(j, s);
}

void append_request_json(std::string& out, Slice<KeyValue> resource, Slice<EncodedScope> scopes) {
  JsonOut j(out);
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

void encode_request_json(const ResourceSpans& r, std::string& out) {
  std::vector<std::string> chunks(r.scope_spans.size);
  std::vector<EncodedScope> scopes;
  for (size_t i = 0; i < r.scope_spans.size; ++i) {
    for (const Span& s : r.scope_spans[i].spans) {
      if (!chunks[i].empty()) chunks[i] += ',';
      append_span_json(chunks[i], s);
    }
    scopes.push_back({r.scope_spans[i].scope, chunks[i]});
  }
  append_request_json(out, r.resource_attributes, {scopes.data(), scopes.size()});
}

}  // namespace litetrace::detail::otlp
