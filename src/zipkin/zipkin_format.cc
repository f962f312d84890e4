#include "zipkin/zipkin_format.h"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/array_json.h"
#include "core/compiler.h"
#include "core/json_text.h"
#include "core/text.h"
#include "litetrace/trace.h"

namespace litetrace::detail::zipkin {
namespace {

// Floor division: whole microseconds at or before `ns`.
int64_t floor_us(int64_t ns) { return ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000); }

// Text of a known size that needs no escaping (the mapping's own keys and values).
char* write_raw(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* write_int(char* p, int64_t v) { return write_decimal(p, v); }

char* write_quoted_int(char* p, int64_t v) {
  *p++ = '"';
  p = write_int(p, v);
  *p++ = '"';
  return p;
}

// A base64 string literal.
char* write_base64_string(char* p, std::string_view bytes) {
  *p++ = '"';
  p = write_base64(p, bytes);
  *p++ = '"';
  return p;
}

// A tag's value: Zipkin's tags are strings (an array's: its JSON list, written first into
// `scratch`).
char* write_value_text(char* p, const RecordAttribute& a, std::string& scratch) {
  if (is_array(a.type)) {
    scratch.clear();
    append_array_json(scratch, a);
    return write_json_string(p, scratch);
  }
  switch (a.type) {
    case ValueType::kString: return write_json_string(p, a.bytes);
    case ValueType::kBool: return write_raw(p, a.integer != 0 ? "\"true\"" : "\"false\"");
    case ValueType::kInt64: return write_quoted_int(p, a.integer);
    case ValueType::kDouble:
      *p++ = '"';
      p = write_double_text(p, a.number);
      *p++ = '"';
      return p;
    case ValueType::kBytes: return write_base64_string(p, a.bytes);
    default: return p;
  }
}

// An event attribute's value inside an annotation's JSON: typed, as JSON has the types
// (arrays as lists); what JSON cannot hold (NaN, infinities, bytes) as a string.
char* write_value_json(char* p, const RecordAttribute& a) {
  if (a.type == ValueType::kBytes) return write_base64_string(p, a.bytes);
  if (is_array(a.type)) return write_array_json(p, a);
  return write_element_json(p, a);
}

// `"member":"<hex>"`: 16 hex digits of `low`, after 16 of `high` when `wide`. Inline, so
// that each member's copy has its constant size (out of line, a call to memcpy).
LITETRACE_ALWAYS_INLINE char* write_hex_id(char* p, std::string_view member, uint64_t high, uint64_t low,
                                           bool wide) {
  p = write_raw(p, member);
  *p++ = '"';
  if (wide) p = write_hex64(p, high);
  p = write_hex64(p, low);
  *p++ = '"';
  return p;
}

// The remote endpoint's candidates, by the specification's rank. An address names the
// attribute with its port; a name has none.
struct Peer {
  std::string_view key;
  std::string_view port_key;  // an IP address, with this port; empty: a name
};
constexpr Peer kPeers[] = {
    {"peer.service", {}},
    {"server.address", {}},
    {"net.peer.name", {}},
    {"network.peer.address", "network.peer.port"},
    {"server.socket.domain", {}},
    {"server.socket.address", "server.socket.port"},
    {"net.sock.peer.name", {}},
    {"net.sock.peer.addr", "net.sock.peer.port"},
    {"peer.hostname", {}},
    {"peer.address", {}},
    {"db.name", {}},
};

const RecordAttribute* find(const std::vector<RecordAttribute>& list, std::string_view key) {
  for (const RecordAttribute& a : list) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

// A port attribute: an integer, or a string of digits, from 1 to 65535.
int64_t port_of(const RecordAttribute* a) {
  if (a == nullptr) return 0;
  int64_t port = 0;
  if (a->type == ValueType::kInt64) {
    port = a->integer;
  } else if (a->type == ValueType::kString) {
    const auto r = std::from_chars(a->bytes.data(), a->bytes.data() + a->bytes.size(), port);
    if (r.ec != std::errc() || r.ptr != a->bytes.data() + a->bytes.size()) return 0;
  }
  return port >= 1 && port <= 65535 ? port : 0;
}

}  // namespace

ZipkinFormat::ZipkinFormat(FormatOptions options, const TickConverter* clock)
    : options_(std::move(options)), clock_(clock) {
  json_.set_head("[");  // the body is built in place, and handed over with its "]"
  local_endpoint_ = ",\"localEndpoint\":{\"serviceName\":";
  append_json_string(local_endpoint_, options_.service_name);
  local_endpoint_ += '}';
  // service.name is the endpoint's; the rest are tags.
  std::vector<std::pair<std::string, std::string>> resource;
  for (auto& kv : options_.resource_attributes) {
    if (std::string_view(kv.first) == "service.name") continue;  // a view: no out-of-line compare linked
    resource_bound_ += json_string_bound(kv.first.size()) + json_string_bound(kv.second.size()) + 2;
    resource.push_back(std::move(kv));
  }
  options_.resource_attributes = std::move(resource);
}

void ZipkinFormat::read(const uint8_t* record, Read& span) {
  RecordReader reader(record);
  attributes_.clear();
  event_attributes_.clear();
  events_.clear();
  RecordItem item;
  while (reader.next(item)) {
    switch (item.kind) {
      case ItemKind::kName: span.name = item.text; break;
      case ItemKind::kAttribute: attributes_.push_back(item.attribute); break;
      case ItemKind::kEvent: events_.push_back({item, event_attributes_.size(), 0}); break;
      case ItemKind::kEventAttribute:
        event_attributes_.push_back(item.attribute);
        ++events_.back().attributes;
        break;
      case ItemKind::kStatusDescription: span.status_description = item.text; break;
      default: break;  // links and the trace state: Zipkin has no place for them
    }
  }
}

ZipkinFormat::Added ZipkinFormat::add(const uint8_t* record) {
  SpanRecordHeader header;
  std::memcpy(&header, record, sizeof header);
  Read span;
  span.header = &header;
  read(record, span);
  // The most this span can take. Each byte of the record's items gives at most 12 of
  // JSON (6 escaped, twice over inside an annotation's value), which also covers each
  // item's own framing (an item takes at least 10 bytes, its framing at most ~60 of JSON);
  // the rest is fixed.
  const size_t scope_bytes = header.scope == nullptr ? 0 : header.scope->name.size() + header.scope->version.size();
  const size_t bound = 12 * size_t{header.items_size} + 4 * json_string_bound(scope_bytes) + resource_bound_ +
                       local_endpoint_.size() + 1024;
  char* const start = reinterpret_cast<char*>(json_.room(bound));
  if (start == nullptr) return Added::kFailed;
  char* p = start;
  if (spans_ != 0) *p++ = ',';
  p = write_span(p, span);
  const auto size = static_cast<size_t>(p - start);
  if (size > bound) std::abort();  // the bound above is wrong: a litetrace bug, whatever the input
  if (json_.size() + size + 1 > options_.max_request_bytes) {  // the "]" after the spans
    return spans_ == 0 ? Added::kTooLarge : Added::kFull;      // written past the end, not taken
  }
  json_.commit(size);
  ++spans_;
  return Added::kAdded;
}

bool ZipkinFormat::build(ByteBuffer& body) { return json_.hand_over("]", body); }

char* ZipkinFormat::write_span(char* p, const Read& span) {
  const SpanRecordHeader& h = *span.header;
  p = write_hex_id(p, "{\"traceId\":", h.trace_id_high, h.trace_id_low, h.trace_id_high != 0);
  if (h.parent_span_id != 0) p = write_hex_id(p, ",\"parentId\":", 0, h.parent_span_id, false);
  p = write_hex_id(p, ",\"id\":", 0, h.span_id, false);
  const auto kind = static_cast<SpanKind>(h.kind);
  switch (kind) {
    case SpanKind::kServer: p = write_raw(p, ",\"kind\":\"SERVER\""); break;
    case SpanKind::kClient: p = write_raw(p, ",\"kind\":\"CLIENT\""); break;
    case SpanKind::kProducer: p = write_raw(p, ",\"kind\":\"PRODUCER\""); break;
    case SpanKind::kConsumer: p = write_raw(p, ",\"kind\":\"CONSUMER\""); break;
    case SpanKind::kInternal: break;
  }
  if (!span.name.empty()) {
    p = write_raw(p, ",\"name\":");
    p = write_json_string(p, span.name);
  }
  const SpanTimes times = record_times(h, *clock_);
  const int64_t start_us = floor_us(times.start_unix_ns);
  const int64_t end_us = floor_us(times.start_unix_ns + times.duration_ns);
  p = write_raw(p, ",\"timestamp\":");
  p = write_int(p, start_us);
  p = write_raw(p, ",\"duration\":");
  p = write_int(p, end_us - start_us > 1 ? end_us - start_us : 1);
  p = write_raw(p, local_endpoint_);
  if (kind == SpanKind::kClient || kind == SpanKind::kProducer) p = write_remote_endpoint(p);
  if (!events_.empty()) p = write_annotations(p);
  p = write_tags(p, span);
  *p++ = '}';
  return p;
}

char* ZipkinFormat::write_remote_endpoint(char* p) {
  for (const Peer& peer : kPeers) {
    const RecordAttribute* a = find(attributes_, peer.key);
    if (a == nullptr || a->type != ValueType::kString || a->bytes.empty()) continue;
    if (peer.port_key.empty()) {
      p = write_raw(p, ",\"remoteEndpoint\":{\"serviceName\":");
      p = write_json_string(p, a->bytes);
      *p++ = '}';
      return p;
    }
    // An address: only an IP address has a place in an endpoint.
    char text[INET6_ADDRSTRLEN];
    if (a->bytes.size() >= sizeof text) continue;
    std::memcpy(text, a->bytes.data(), a->bytes.size());
    text[a->bytes.size()] = '\0';
    unsigned char binary[16];
    const bool v4 = ::inet_pton(AF_INET, text, binary) == 1;
    if (!v4 && ::inet_pton(AF_INET6, text, binary) != 1) continue;
    p = write_raw(p, v4 ? ",\"remoteEndpoint\":{\"ipv4\":" : ",\"remoteEndpoint\":{\"ipv6\":");
    p = write_json_string(p, a->bytes);
    if (const int64_t port = port_of(find(attributes_, peer.port_key)); port != 0) {
      p = write_raw(p, ",\"port\":");
      p = write_int(p, port);
    }
    *p++ = '}';
    return p;
  }
  return p;
}

char* ZipkinFormat::write_annotations(char* p) {
  p = write_raw(p, ",\"annotations\":[");
  for (size_t e = 0; e < events_.size(); ++e) {
    const Event& event = events_[e];
    if (e != 0) *p++ = ',';
    p = write_raw(p, "{\"timestamp\":");
    p = write_int(p, floor_us(event_unix_ns(event.item, *clock_)));
    // "name":{"key":value,...}, as one JSON string: written here first, then quoted.
    size_t bound = json_string_bound(event.item.text.size()) + 64;
    for (size_t i = event.first_attribute; i < event.first_attribute + event.attributes; ++i) {
      bound += json_string_bound(event_attributes_[i].key.size()) + json_string_bound(event_attributes_[i].bytes.size()) +
               kDoubleTextBound + 4;
    }
    inner_.resize(bound);
    char* const begin = inner_.data();
    char* q = write_json_string(begin, event.item.text);
    q = write_raw(q, ":{");
    bool first = true;
    for (size_t i = event.first_attribute; i < event.first_attribute + event.attributes; ++i) {
      const RecordAttribute& a = event_attributes_[i];
      if (event.item.dropped != 0 && a.key == "otel.dropped_attributes_count") continue;  // the count's
      if (!first) *q++ = ',';
      first = false;
      q = write_json_string(q, a.key);
      *q++ = ':';
      q = write_value_json(q, a);
    }
    if (event.item.dropped != 0) {
      q = write_raw(q, first ? "\"otel.dropped_attributes_count\":" : ",\"otel.dropped_attributes_count\":");
      q = write_int(q, event.item.dropped);
    }
    *q++ = '}';
    p = write_raw(p, ",\"value\":");
    p = write_json_string(p, std::string_view(begin, static_cast<size_t>(q - begin)));
    *p++ = '}';
  }
  *p++ = ']';
  return p;
}

// otel.scope.name and otel.library.name, then otel.scope.version and otel.library.version
// when the scope has a version: `scope` is one with a name.
const std::string& ZipkinFormat::scope_tags(const TracerScope* scope) {
  if (scope == scope_) return scope_tags_;
  scope_tags_.clear();
  const auto tag = [&](std::string_view key, std::string_view value) {
    if (!scope_tags_.empty()) scope_tags_ += ',';
    scope_tags_ += '"';
    scope_tags_ += key;
    scope_tags_ += "\":";
    append_json_string(scope_tags_, value);
  };
  tag("otel.scope.name", scope->name);
  tag("otel.library.name", scope->name);
  if (!scope->version.empty()) {
    tag("otel.scope.version", scope->version);
    tag("otel.library.version", scope->version);
  }
  scope_ = scope;
  return scope_tags_;
}

char* ZipkinFormat::write_tags(char* p, const Read& span) {
  const SpanRecordHeader& h = *span.header;
  char* const at = p;
  p = write_raw(p, ",\"tags\":{");
  char* const empty = p;
  const auto separate = [&] {
    if (p != empty) *p++ = ',';
  };
  // The mapping's own keys need no escaping: written as they are.
  const auto text = [&](std::string_view key, std::string_view value) {
    separate();
    *p++ = '"';
    p = write_raw(p, key);
    p = write_raw(p, "\":");
    p = write_json_string(p, value);
  };
  const auto count = [&](std::string_view key, uint32_t n) {
    separate();
    *p++ = '"';
    p = write_raw(p, key);
    p = write_raw(p, "\":");
    p = write_quoted_int(p, n);
  };
  const bool error = h.status == static_cast<uint8_t>(StatusCode::kError);
  if (h.status == static_cast<uint8_t>(StatusCode::kOk)) text("otel.status_code", "OK");
  if (error) {
    text("otel.status_code", "ERROR");
    text("error", span.status_description);
  }
  const bool scope = h.scope != nullptr && !h.scope->name.empty();
  const bool scope_version = scope && !h.scope->version.empty();
  if (scope) {
    separate();
    p = write_raw(p, scope_tags(h.scope));
  }
  if (h.dropped_attributes != 0) count("otel.dropped_attributes_count", h.dropped_attributes);
  if (h.dropped_events != 0) count("otel.dropped_events_count", h.dropped_events);
  if (h.dropped_links != 0) count("otel.dropped_links_count", h.dropped_links);

  // One tag per key: the mapping's above win over the attributes.
  const auto taken = [&](std::string_view k) {
    if (k.size() < 5) return false;  // every mapping key is longer ("error" included)
    if (k == "error") return error;
    if (k.substr(0, 5) != "otel.") return false;
    return (k == "otel.status_code" && h.status != 0) ||
           (scope && (k == "otel.scope.name" || k == "otel.library.name")) ||
           (scope_version && (k == "otel.scope.version" || k == "otel.library.version")) ||
           (h.dropped_attributes != 0 && k == "otel.dropped_attributes_count") ||
           (h.dropped_events != 0 && k == "otel.dropped_events_count") ||
           (h.dropped_links != 0 && k == "otel.dropped_links_count");
  };
  for (const RecordAttribute& a : attributes_) {
    if (taken(a.key)) continue;
    // Zipkin takes any `error` tag for a failure: a false one on a span that is not an
    // error is left out (the specification's SHOULD).
    if (a.key == "error" && ((a.type == ValueType::kBool && a.integer == 0) ||
                             (a.type == ValueType::kString && a.bytes == "false"))) {
      continue;
    }
    separate();
    p = write_json_string(p, a.key);
    *p++ = ':';
    p = write_value_text(p, a, scratch_);
  }
  for (const auto& [k, v] : options_.resource_attributes) {
    if (taken(k) || find(attributes_, k) != nullptr) continue;
    separate();
    p = write_json_string(p, k);
    *p++ = ':';
    p = write_json_string(p, v);
  }
  if (p == empty) return at;  // no tags: the field is left out
  *p++ = '}';
  return p;
}

}  // namespace litetrace::detail::zipkin
