// Encodes randomized spans as an OTLP ExportTraceServiceRequest and writes, next to the
// body, what it encoded as JSON, for otlp_judge.py to compare with what the official
// protos decode.
//
//   otlp_emitter --spans N --seed S --body FILE --json FILE --expect FILE
//
// The body is protobuf; --json writes the same request as OTLP/JSON.
//
// Strings and bytes are written as hex and doubles as the hex of their bits, so the
// comparison is exact for every byte and every NaN, -0.0 and infinity. String fields hold
// valid UTF-8 only (protobuf requires it of `string`); bytes fields hold anything.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "otlp/otlp_encoder.h"
#include "otlp/otlp_json.h"
#include "support/json_hex.h"
#include "support/span_factory.h"

namespace otlp = litetrace::detail::otlp;
using litetrace::detail::Slice;

namespace {

using litetrace::test::json_hex;

std::string u64(uint64_t v) { return std::to_string(v); }

// Owns what the views point into, at fixed addresses.
struct Store {
  std::deque<std::string> strings;
  std::deque<std::vector<otlp::KeyValue>> attributes;
  std::deque<std::vector<otlp::Event>> events;
  std::deque<std::vector<otlp::Link>> links;
  std::deque<std::vector<otlp::Span>> spans;
  std::deque<std::vector<otlp::ScopeSpans>> scopes;

  std::string_view keep(std::string s) {
    strings.push_back(std::move(s));
    return strings.back();
  }
  template <typename T>
  Slice<T> keep(std::deque<std::vector<T>>& lists, std::vector<T> v) {
    lists.push_back(std::move(v));
    return {lists.back().data(), lists.back().size()};
  }
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed), factory_(seed ^ 0x9e3779b97f4a7c15ULL) {}

  otlp::ResourceSpans request(size_t span_count) {
    otlp::ResourceSpans r;
    r.resource_attributes = attributes(1 + below(4));
    std::vector<otlp::ScopeSpans> scopes;
    size_t left = span_count;
    while (left > 0) {
      const size_t n = std::min<size_t>(left, static_cast<size_t>(1 + below(300)));
      otlp::ScopeSpans ss;
      ss.scope = {utf8(40), chance(2) ? utf8(10) : std::string_view()};
      std::vector<otlp::Span> spans;
      for (size_t i = 0; i < n; ++i) spans.push_back(span());
      ss.spans = store_.keep(store_.spans, std::move(spans));
      scopes.push_back(ss);
      left -= n;
    }
    r.scope_spans = store_.keep(store_.scopes, std::move(scopes));
    return r;
  }

 private:
  uint64_t below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  bool chance(uint64_t one_in) { return below(one_in) == 0; }
  std::string_view utf8(size_t max) { return store_.keep(factory_.random_utf8(below(max + 1))); }
  uint64_t id() { return chance(20) ? below(3) : factory_.random_id(); }  // 0 now and then
  uint64_t time() {
    switch (below(4)) {
      case 0: return chance(2) ? 0 : UINT64_MAX;
      case 1: return below(1000);
      default: return 1700000000000000000ULL + below(1000000000000ULL);
    }
  }
  uint32_t count() { return chance(2) ? 0 : static_cast<uint32_t>(chance(3) ? UINT32_MAX : below(70000)); }

  otlp::AnyValue value() {
    switch (below(5)) {
      case 0: return otlp::AnyValue::string(utf8(chance(10) ? 400 : 30));
      case 1: return otlp::AnyValue::of(chance(2));
      case 2: return otlp::AnyValue::of(factory_.random_i64());
      case 3: return otlp::AnyValue::of(factory_.random_double());
      default: return otlp::AnyValue::binary(store_.keep(factory_.random_bytes(40)));
    }
  }
  Slice<otlp::KeyValue> attributes(size_t n) {
    std::vector<otlp::KeyValue> v;
    for (size_t i = 0; i < n; ++i) v.push_back({utf8(20), value()});
    return store_.keep(store_.attributes, std::move(v));
  }
  uint32_t flags() {
    return static_cast<uint32_t>(below(256)) | (chance(2) ? otlp::kFlagsContextHasIsRemote : 0) |
           (chance(2) ? otlp::kFlagsContextIsRemote : 0);
  }

  otlp::Span span() {
    otlp::Span s;
    s.trace_id = {id(), factory_.random_id()};
    s.span_id = factory_.random_id();
    s.trace_state = chance(3) ? store_.keep("vendor=v" + std::to_string(below(100)) + ",other=x") : std::string_view();
    s.parent_span_id = chance(3) ? 0 : id();
    s.flags = chance(10) ? 0 : flags();
    s.name = utf8(chance(20) ? 300 : 40);
    s.kind = static_cast<otlp::SpanKind>(below(6));
    s.start_time_unix_nano = time();
    s.end_time_unix_nano = time();
    s.attributes = attributes(below(chance(10) ? 60 : 8));
    s.dropped_attributes_count = count();
    std::vector<otlp::Event> events;
    for (size_t i = below(4); i > 0; --i) events.push_back({time(), utf8(20), attributes(below(4)), count()});
    s.events = store_.keep(store_.events, std::move(events));
    s.dropped_events_count = count();
    std::vector<otlp::Link> links;
    for (size_t i = below(3); i > 0; --i) {
      otlp::Link l;
      l.trace_id = {id(), factory_.random_id()};
      l.span_id = id();
      l.trace_state = chance(2) ? store_.keep("k=" + std::to_string(below(1000))) : std::string_view();
      l.attributes = attributes(below(3));
      l.dropped_attributes_count = count();
      l.flags = chance(5) ? 0 : flags();
      links.push_back(l);
    }
    s.links = store_.keep(store_.links, std::move(links));
    s.dropped_links_count = count();
    s.status_code = static_cast<otlp::StatusCode>(below(3));
    s.status_message = chance(2) ? utf8(30) : std::string_view();
    return s;
  }

  std::mt19937_64 rng_;
  litetrace::test::SpanFactory factory_;
  Store store_;
};

// ---- the expectation, as JSON ----

std::string value_json(const otlp::AnyValue& v) {
  switch (v.type) {
    case otlp::ValueType::kString: return "[\"string\"," + json_hex(v.bytes) + "]";
    case otlp::ValueType::kBool: return std::string("[\"bool\",") + (v.boolean ? "true" : "false") + "]";
    case otlp::ValueType::kInt: return "[\"int\"," + std::to_string(v.integer) + "]";
    case otlp::ValueType::kDouble: return "[\"double\"," + json_hex(v.number) + "]";
    case otlp::ValueType::kBytes: return "[\"bytes\"," + json_hex(v.bytes) + "]";
    case otlp::ValueType::kArray: break;  // the emitter makes no arrays (value(), above)
  }
  return "null";
}

std::string attributes_json(Slice<otlp::KeyValue> attributes) {
  std::string out = "[";
  for (size_t i = 0; i < attributes.size; ++i) {
    out += (i ? ",[" : "[") + json_hex(attributes[i].key) + "," + value_json(attributes[i].value) + "]";
  }
  return out + "]";
}

std::string trace_id_json(const otlp::TraceId& id) { return "[" + u64(id.high) + "," + u64(id.low) + "]"; }

std::string span_json(const otlp::Span& s) {
  std::string out = "{\"traceId\":" + trace_id_json(s.trace_id) + ",\"spanId\":" + u64(s.span_id) +
                    ",\"traceState\":" + json_hex(s.trace_state) + ",\"parentSpanId\":" + u64(s.parent_span_id) +
                    ",\"flags\":" + u64(s.flags) + ",\"name\":" + json_hex(s.name) +
                    ",\"kind\":" + std::to_string(static_cast<int>(s.kind)) +
                    ",\"start\":" + u64(s.start_time_unix_nano) + ",\"end\":" + u64(s.end_time_unix_nano) +
                    ",\"attributes\":" + attributes_json(s.attributes) +
                    ",\"droppedAttributes\":" + u64(s.dropped_attributes_count) + ",\"events\":[";
  for (size_t i = 0; i < s.events.size; ++i) {
    const otlp::Event& e = s.events[i];
    out += std::string(i ? "," : "") + "{\"time\":" + u64(e.time_unix_nano) + ",\"name\":" + json_hex(e.name) +
           ",\"attributes\":" + attributes_json(e.attributes) + ",\"dropped\":" + u64(e.dropped_attributes_count) +
           "}";
  }
  out += "],\"droppedEvents\":" + u64(s.dropped_events_count) + ",\"links\":[";
  for (size_t i = 0; i < s.links.size; ++i) {
    const otlp::Link& l = s.links[i];
    out += std::string(i ? "," : "") + "{\"traceId\":" + trace_id_json(l.trace_id) + ",\"spanId\":" + u64(l.span_id) +
           ",\"traceState\":" + json_hex(l.trace_state) + ",\"attributes\":" + attributes_json(l.attributes) +
           ",\"dropped\":" + u64(l.dropped_attributes_count) + ",\"flags\":" + u64(l.flags) + "}";
  }
  out += "],\"droppedLinks\":" + u64(s.dropped_links_count) +
         ",\"statusCode\":" + std::to_string(static_cast<int>(s.status_code)) +
         ",\"statusMessage\":" + json_hex(s.status_message) + "}";
  return out;
}

std::string request_json(const otlp::ResourceSpans& r) {
  std::string out = "{\"resource\":" + attributes_json(r.resource_attributes) + ",\"scopes\":[";
  for (size_t i = 0; i < r.scope_spans.size; ++i) {
    const otlp::ScopeSpans& ss = r.scope_spans[i];
    out += std::string(i ? "," : "") + "{\"name\":" + json_hex(ss.scope.name) + ",\"version\":" + json_hex(ss.scope.version) +
           ",\"spans\":[";
    for (size_t j = 0; j < ss.spans.size; ++j) out += (j ? ",\n" : "\n") + span_json(ss.spans[j]);
    out += "]}";
  }
  return out + "]}\n";
}

}  // namespace

int main(int argc, char** argv) {
  size_t spans = 0;
  uint64_t seed = 1;
  const char* body_path = nullptr;
  const char* expect_path = nullptr;
  const char* json_path = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--spans") == 0) spans = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--seed") == 0) seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--body") == 0) body_path = argv[i + 1];
    if (std::strcmp(argv[i], "--expect") == 0) expect_path = argv[i + 1];
    if (std::strcmp(argv[i], "--json") == 0) json_path = argv[i + 1];
  }
  if (spans == 0 || body_path == nullptr || expect_path == nullptr) {
    std::fprintf(stderr, "usage: %s --spans N --seed S --body FILE [--json FILE] --expect FILE\n", argv[0]);
    return 2;
  }
  Generator generator(seed);
  const otlp::ResourceSpans request = generator.request(spans);
  const std::string body = otlp::encode_request(request);
  if (body.empty()) {
    std::fprintf(stderr, "otlp_emitter: the request did not encode\n");
    return 1;
  }
  std::ofstream(body_path, std::ios::binary) << body;
  std::ofstream(expect_path, std::ios::binary) << request_json(request);
  if (json_path != nullptr) {
    std::string json;
    otlp::encode_request_json(request, json);
    std::ofstream(json_path, std::ios::binary) << json;
  }
  std::printf("%zu spans, %zu bytes\n", spans, body.size());
  return 0;
}
