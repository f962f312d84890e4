#include "zipkin/zipkin_format.h"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/json_text.h"
#include "core/text.h"
#include "litetrace/trace.h"

namespace litetrace::detail::zipkin {
namespace {

// Floor division: whole microseconds at or before `ns`.
int64_t floor_us(int64_t ns) { return ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000); }

void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A tag's value: Zipkin's tags are strings.
void append_value_text(std::string& out, const RecordAttribute& a) {
  switch (a.type) {
    case ValueType::kString: append_json_string(out, a.bytes); return;
    case ValueType::kBool: out += a.integer != 0 ? "\"true\"" : "\"false\""; return;
    case ValueType::kInt64:
      out += '"';
      append_int(out, a.integer);
      out += '"';
      return;
    case ValueType::kDouble:
      out += '"';
      append_double_text(out, a.number);
      out += '"';
      return;
    case ValueType::kBytes:
      out += '"';
      append_base64(out, a.bytes);
      out += '"';
      return;
  }
}

// An event attribute's value inside an annotation's JSON: typed, as JSON has the types;
// what JSON cannot hold (NaN, infinities, bytes) as a string.
void append_value_json(std::string& out, const RecordAttribute& a) {
  switch (a.type) {
    case ValueType::kString: append_json_string(out, a.bytes); return;
    case ValueType::kBool: out += a.integer != 0 ? "true" : "false"; return;
    case ValueType::kInt64: append_int(out, a.integer); return;
    case ValueType::kDouble:
      if (!std::isfinite(a.number)) out += '"';
      append_double_text(out, a.number);
      if (!std::isfinite(a.number)) out += '"';
      return;
    case ValueType::kBytes:
      out += '"';
      append_base64(out, a.bytes);
      out += '"';
      return;
  }
}

void append_hex_id(std::string& out, const char* member, uint64_t high, uint64_t low, bool wide) {
  out += member;
  out += '"';
  if (wide) append_hex(out, high, 16);
  append_hex(out, low, 16);
  out += '"';
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
  local_endpoint_ = ",\"localEndpoint\":{\"serviceName\":";
  append_json_string(local_endpoint_, options_.service_name);
  local_endpoint_ += '}';
  // service.name is the endpoint's; the rest are tags.
  std::vector<std::pair<std::string, std::string>> resource;
  for (auto& kv : options_.resource_attributes) {
    if (kv.first != "service.name") resource.push_back(std::move(kv));
  }
  options_.resource_attributes = std::move(resource);
}

ZipkinFormat::Added ZipkinFormat::add(const uint8_t* record) {
  const size_t at = json_.size();
  if (spans_ != 0) json_ += ',';
  append_span(record, json_);
  if (json_.size() + 2 > options_.max_request_bytes) {  // "[" and "]" around the spans
    json_.resize(at);
    return spans_ == 0 ? Added::kTooLarge : Added::kFull;
  }
  ++spans_;
  return Added::kAdded;
}

bool ZipkinFormat::build(ByteBuffer& body) {
  const size_t at = body.size();
  if (body.append("[") && body.append(json_) && body.append("]")) return true;
  body.truncate(at);
  return false;
}

void ZipkinFormat::append_span(const uint8_t* record, std::string& out) {
  RecordReader reader(record);
  const SpanRecordHeader& h = reader.header();
  attributes_.clear();
  event_attributes_.clear();
  events_.clear();
  std::string_view name;
  std::string_view status_description;
  RecordItem item;
  while (reader.next(item)) {
    switch (item.kind) {
      case ItemKind::kName: name = item.text; break;
      case ItemKind::kAttribute: attributes_.push_back(item.attribute); break;
      case ItemKind::kEvent: events_.push_back({item, event_attributes_.size(), 0}); break;
      case ItemKind::kEventAttribute:
        event_attributes_.push_back(item.attribute);
        ++events_.back().attributes;
        break;
      case ItemKind::kStatusDescription: status_description = item.text; break;
      default: break;  // links and the trace state: Zipkin has no place for them
    }
  }

  append_hex_id(out, "{\"traceId\":", h.trace_id_high, h.trace_id_low, h.trace_id_high != 0);
  if (h.parent_span_id != 0) append_hex_id(out, ",\"parentId\":", 0, h.parent_span_id, false);
  append_hex_id(out, ",\"id\":", 0, h.span_id, false);
  const auto kind = static_cast<SpanKind>(h.kind);
  switch (kind) {
    case SpanKind::kServer: out += ",\"kind\":\"SERVER\""; break;
    case SpanKind::kClient: out += ",\"kind\":\"CLIENT\""; break;
    case SpanKind::kProducer: out += ",\"kind\":\"PRODUCER\""; break;
    case SpanKind::kConsumer: out += ",\"kind\":\"CONSUMER\""; break;
    case SpanKind::kInternal: break;
  }
  if (!name.empty()) {
    out += ",\"name\":";
    append_json_string(out, name);
  }
  const SpanTimes times = record_times(h, *clock_);
  const int64_t start_us = floor_us(times.start_unix_ns);
  const int64_t end_us = floor_us(times.start_unix_ns + times.duration_ns);
  out += ",\"timestamp\":";
  append_int(out, start_us);
  out += ",\"duration\":";
  append_int(out, end_us - start_us > 1 ? end_us - start_us : 1);
  out += local_endpoint_;
  if (kind == SpanKind::kClient || kind == SpanKind::kProducer) append_remote_endpoint(out);
  if (!events_.empty()) append_annotations(out);
  append_tags(out, h, status_description);
  out += '}';
}

void ZipkinFormat::append_remote_endpoint(std::string& out) {
  for (const Peer& peer : kPeers) {
    const RecordAttribute* a = find(attributes_, peer.key);
    if (a == nullptr || a->type != ValueType::kString || a->bytes.empty()) continue;
    if (peer.port_key.empty()) {
      out += ",\"remoteEndpoint\":{\"serviceName\":";
      append_json_string(out, a->bytes);
      out += '}';
      return;
    }
    // An address: only an IP address has a place in an endpoint.
    char text[INET6_ADDRSTRLEN];
    if (a->bytes.size() >= sizeof text) continue;
    std::memcpy(text, a->bytes.data(), a->bytes.size());
    text[a->bytes.size()] = '\0';
    unsigned char binary[16];
    const bool v4 = ::inet_pton(AF_INET, text, binary) == 1;
    if (!v4 && ::inet_pton(AF_INET6, text, binary) != 1) continue;
    out += v4 ? ",\"remoteEndpoint\":{\"ipv4\":" : ",\"remoteEndpoint\":{\"ipv6\":";
    append_json_string(out, a->bytes);
    if (const int64_t port = port_of(find(attributes_, peer.port_key)); port != 0) {
      out += ",\"port\":";
      append_int(out, port);
    }
    out += '}';
    return;
  }
}

void ZipkinFormat::append_annotations(std::string& out) {
  out += ",\"annotations\":[";
  for (size_t e = 0; e < events_.size(); ++e) {
    const Event& event = events_[e];
    if (e != 0) out += ',';
    out += "{\"timestamp\":";
    append_int(out, floor_us(event_unix_ns(event.item, *clock_)));
    // "name":{"key":value,...}, as one JSON string.
    inner_.clear();
    append_json_string(inner_, event.item.text);
    inner_ += ":{";
    bool first = true;
    for (size_t i = event.first_attribute; i < event.first_attribute + event.attributes; ++i) {
      const RecordAttribute& a = event_attributes_[i];
      if (event.item.dropped != 0 && a.key == "otel.dropped_attributes_count") continue;  // the count's
      if (!first) inner_ += ',';
      first = false;
      append_json_string(inner_, a.key);
      inner_ += ':';
      append_value_json(inner_, a);
    }
    if (event.item.dropped != 0) {
      inner_ += first ? "\"otel.dropped_attributes_count\":" : ",\"otel.dropped_attributes_count\":";
      append_int(inner_, event.item.dropped);
    }
    inner_ += '}';
    out += ",\"value\":";
    append_json_string(out, inner_);
    out += '}';
  }
  out += ']';
}

void ZipkinFormat::append_tags(std::string& out, const SpanRecordHeader& h, std::string_view status_description) {
  const size_t at = out.size();
  out += ",\"tags\":{";
  const size_t empty_size = out.size();
  const auto key = [&](std::string_view k) {
    if (out.size() != empty_size) out += ',';
    append_json_string(out, k);
    out += ':';
  };
  const auto text = [&](std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out, v);
  };
  const auto count = [&](std::string_view k, uint32_t n) {
    key(k);
    out += '"';
    append_int(out, n);
    out += '"';
  };
  const bool error = h.status == static_cast<uint8_t>(StatusCode::kError);
  if (h.status == static_cast<uint8_t>(StatusCode::kOk)) text("otel.status_code", "OK");
  if (error) {
    text("otel.status_code", "ERROR");
    text("error", status_description);
  }
  const bool scope = h.scope != nullptr && !h.scope->name.empty();
  const bool scope_version = scope && !h.scope->version.empty();
  if (scope) {
    text("otel.scope.name", h.scope->name);
    text("otel.library.name", h.scope->name);
  }
  if (scope_version) {
    text("otel.scope.version", h.scope->version);
    text("otel.library.version", h.scope->version);
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
    key(a.key);
    append_value_text(out, a);
  }
  for (const auto& [k, v] : options_.resource_attributes) {
    if (!taken(k) && find(attributes_, k) == nullptr) text(k, v);
  }
  if (out.size() == empty_size) {
    out.resize(at);  // no tags: the field is left out
  } else {
    out += '}';
  }
}

}  // namespace litetrace::detail::zipkin
