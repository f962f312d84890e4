#include "zipkin_request.h"

#include <cmath>
#include <cstdint>

#include "core/json_reader.h"
#include "core/text.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::tools {
namespace {

using detail::JsonValue;
using Type = JsonValue::Type;

const char* type_name(Type t) {
  switch (t) {
    case Type::kNull: return "null";
    case Type::kBool: return "a boolean";
    case Type::kNumber: return "a number";
    case Type::kString: return "a string";
    case Type::kArray: return "an array";
    case Type::kObject: return "an object";
  }
  return "?";
}

class Decoder {
 public:
  explicit Decoder(ReceivedRequest& out) : out_(out) {}

  bool request(const JsonValue& root) {
    if (!root.is(Type::kArray)) return fail("the body", "is " + std::string(type_name(root.type())) + ", not an array of spans");
    for (size_t i = 0; i < root.items().size(); ++i) {
      if (!span(root.items()[i], "[" + std::to_string(i) + "]")) return false;
    }
    return true;
  }

  std::string error;

 private:
  bool fail(const std::string& where, const std::string& what) {
    error = where + " " + what;
    return false;
  }

  // A member of the expected type, or nullptr when it is absent (or null, as Zipkin reads it).
  bool member(const JsonValue& o, const char* key, Type type, const std::string& where, const JsonValue*& v) {
    v = o.find(key);
    if (v != nullptr && v->is(Type::kNull)) v = nullptr;
    if (v == nullptr || v->is(type)) return true;
    return fail(where + "." + key, "is " + std::string(type_name(v->type())) + ", not " + type_name(type));
  }

  bool hex_id(const JsonValue& o, const char* key, bool wide_allowed, bool required, const std::string& where,
              uint64_t& high, uint64_t& low) {
    const JsonValue* v;
    if (!member(o, key, Type::kString, where, v)) return false;
    high = low = 0;
    if (v == nullptr) return required ? fail(where, std::string("has no ") + key) : true;
    const std::string& s = v->string();
    if (s.size() != 16 && !(wide_allowed && s.size() == 32)) {
      return fail(where + "." + key, "\"" + s + "\" is not " + (wide_allowed ? "16 or 32" : "16") + " hex digits");
    }
    for (size_t i = 0; i < s.size(); ++i) {
      const int d = detail::hex_value(s[i]);
      if (d < 0) return fail(where + "." + key, "\"" + s + "\" is not hex");
      uint64_t& word = s.size() == 32 && i < 16 ? high : low;
      word = word << 4 | static_cast<uint64_t>(d);
    }
    if (high == 0 && low == 0) return fail(where + "." + key, "is all zeros");
    return true;
  }

  bool micros(const JsonValue& o, const char* key, const std::string& where, int64_t& out) {
    const JsonValue* v;
    if (!member(o, key, Type::kNumber, where, v)) return false;
    out = 0;
    if (v == nullptr) return true;
    const double d = v->number();
    if (d < 0 || d != std::floor(d) || d > 9007199254740992.0) {
      return fail(where + "." + key, "is not a whole, non-negative number of microseconds");
    }
    out = static_cast<int64_t>(d);
    return true;
  }

  std::string_view keep(std::string s) { return out_.strings.emplace_back(std::move(s)); }

  detail::DecodedBatch& batch_of(const std::string& service) {
    for (size_t i = 0; i < services_.size(); ++i) {
      if (services_[i] == service) return out_.batches[i];
    }
    services_.push_back(service);
    detail::DecodedBatch& b = out_.batches.emplace_back();
    b.process.service_name = keep(service);
    return b;
  }

  // An endpoint, its members checked; nullptr when there is none.
  bool endpoint(const JsonValue& o, const char* key, const std::string& where, const JsonValue*& e) {
    if (!member(o, key, Type::kObject, where, e)) return false;
    if (e == nullptr) return true;
    const std::string at = where + "." + key;
    const JsonValue* v;
    for (const char* text : {"serviceName", "ipv4", "ipv6"}) {
      if (!member(*e, text, Type::kString, at, v)) return false;
    }
    if (!member(*e, "port", Type::kNumber, at, v)) return false;
    if (v != nullptr && (v->number() < 0 || v->number() > 65535 || v->number() != std::floor(v->number()))) {
      return fail(at + ".port", "is not a port");
    }
    return true;
  }

  // An annotation's value as the OpenTelemetry mapping writes an event, "name":{...}: the
  // log's fields; false when it is not that.
  bool event_fields(const std::string& value, std::vector<detail::Tag>& fields) {
    JsonValue doc;
    if (!detail::parse_json("{" + value + "}", doc) || doc.keys().size() != 1 || !doc.items()[0].is(Type::kObject)) {
      return false;
    }
    const JsonValue& attributes = doc.items()[0];
    fields.push_back(detail::Tag::string("event", keep(doc.keys()[0])));
    const size_t first = fields.size();
    for (size_t i = 0; i < attributes.keys().size(); ++i) {
      const JsonValue& v = attributes.items()[i];
      const std::string_view key = keep(attributes.keys()[i]);
      switch (v.type()) {
        case Type::kString: fields.push_back(detail::Tag::string(key, keep(v.string()))); break;
        case Type::kBool: fields.push_back(detail::Tag::boolean(key, v.boolean())); break;
        case Type::kNumber:
          if (v.number() == std::floor(v.number()) && std::fabs(v.number()) <= 9007199254740992.0) {
            fields.push_back(detail::Tag::int64(key, static_cast<int64_t>(v.number())));
          } else {
            fields.push_back(detail::Tag::float64(key, v.number()));
          }
          break;
        default: return false;  // not what the mapping writes
      }
      // The event's dropped count goes first, where the Jaeger mapping puts it.
      if (key == detail::kDroppedTagsKey && fields.back().type == detail::TagType::kLong) {
        const detail::Tag count = fields.back();
        fields.pop_back();
        fields.insert(fields.begin() + static_cast<std::ptrdiff_t>(first), count);
      }
    }
    return true;
  }

  bool span(const JsonValue& o, const std::string& where) {
    if (!o.is(Type::kObject)) return fail(where, "is " + std::string(type_name(o.type())) + ", not a span object");
    detail::Span s;
    uint64_t unused = 0;
    if (!hex_id(o, "traceId", true, true, where, s.trace_id_high, s.trace_id_low) ||
        !hex_id(o, "id", false, true, where, unused, s.span_id) ||
        !hex_id(o, "parentId", false, false, where, unused, s.parent_span_id) ||
        !micros(o, "timestamp", where, s.start_time_us) || !micros(o, "duration", where, s.duration_us)) {
      return false;
    }
    const JsonValue* v;
    if (!member(o, "name", Type::kString, where, v)) return false;
    if (v != nullptr) s.operation_name = keep(v->string());
    if (!member(o, "shared", Type::kBool, where, v) || !member(o, "debug", Type::kBool, where, v)) return false;
    s.flags = detail::kFlagSampled | (v != nullptr && v->boolean() ? detail::kFlagDebug : 0);

    std::vector<detail::Tag>& tags = out_.tags.emplace_back();
    if (!member(o, "kind", Type::kString, where, v)) return false;
    if (v != nullptr) {
      static const char* const kKinds[][2] = {
          {"CLIENT", "client"}, {"SERVER", "server"}, {"PRODUCER", "producer"}, {"CONSUMER", "consumer"}};
      const char* kind = nullptr;
      for (const auto& k : kKinds) {
        if (v->string() == k[0]) kind = k[1];
      }
      if (kind == nullptr) return fail(where + ".kind", "\"" + v->string() + "\" is not CLIENT, SERVER, PRODUCER or CONSUMER");
      tags.push_back(detail::Tag::string("span.kind", kind));
    }

    const JsonValue* local;
    const JsonValue* remote;
    if (!endpoint(o, "localEndpoint", where, local) || !endpoint(o, "remoteEndpoint", where, remote)) return false;

    if (!member(o, "tags", Type::kObject, where, v)) return false;
    if (v != nullptr) {
      for (size_t i = 0; i < v->keys().size(); ++i) {
        const JsonValue& value = v->items()[i];
        const std::string& key = v->keys()[i];
        if (!value.is(Type::kString)) {
          return fail(where + ".tags." + key, "is " + std::string(type_name(value.type())) + ", not a string");
        }
        const std::string& text = value.string();
        uint32_t* dropped = key == detail::kDroppedTagsKey         ? &s.dropped_tags
                            : key == detail::kDroppedLogsKey       ? &s.dropped_logs
                            : key == detail::kDroppedReferencesKey ? &s.dropped_references
                                                                   : nullptr;
        if (dropped != nullptr && !text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
            text.size() <= 9) {
          *dropped = static_cast<uint32_t>(std::stoul(text));
        } else if (key == "error") {
          // Zipkin's failure mark: the description, then Jaeger's BOOL error.
          if (!text.empty()) tags.push_back(detail::Tag::string("otel.status_description", keep(text)));
          tags.push_back(detail::Tag::boolean("error", true));
        } else if (key != "span.kind" || tags.empty() || tags[0].key != "span.kind") {
          tags.push_back(detail::Tag::string(keep(key), keep(text)));
        }  // else: one tag per key, the kind's, as the Jaeger mapping has it
      }
    }
    if (remote != nullptr) {
      const JsonValue* field;
      if ((field = remote->find("serviceName")) != nullptr && field->is(Type::kString)) {
        tags.push_back(detail::Tag::string("peer.service", keep(field->string())));
      }
      if ((field = remote->find("ipv4")) != nullptr && field->is(Type::kString)) {
        tags.push_back(detail::Tag::string("peer.ipv4", keep(field->string())));
      }
      if ((field = remote->find("ipv6")) != nullptr && field->is(Type::kString)) {
        tags.push_back(detail::Tag::string("peer.ipv6", keep(field->string())));
      }
      if ((field = remote->find("port")) != nullptr && field->is(Type::kNumber)) {
        tags.push_back(detail::Tag::int64("peer.port", static_cast<int64_t>(field->number())));
      }
    }
    s.tags = {tags.data(), tags.size()};

    std::vector<detail::Log>& logs = out_.logs.emplace_back();
    if (!member(o, "annotations", Type::kArray, where, v)) return false;
    if (v != nullptr) {
      for (size_t i = 0; i < v->items().size(); ++i) {
        const JsonValue& a = v->items()[i];
        const std::string at = where + ".annotations[" + std::to_string(i) + "]";
        if (!a.is(Type::kObject)) return fail(at, "is " + std::string(type_name(a.type())) + ", not an annotation");
        detail::Log log;
        const JsonValue* value;
        if (!micros(a, "timestamp", at, log.timestamp_us) || !member(a, "value", Type::kString, at, value)) {
          return false;
        }
        if (value == nullptr) return fail(at, "has no value");
        std::vector<detail::Tag>& fields = out_.tags.emplace_back();
        if (!event_fields(value->string(), fields)) {
          fields.clear();
          fields.push_back(detail::Tag::string("event", keep(value->string())));
        }
        log.fields = {fields.data(), fields.size()};
        logs.push_back(log);
      }
    }
    s.logs = {logs.data(), logs.size()};

    std::string service;
    if (local != nullptr) {
      if (const JsonValue* name = local->find("serviceName"); name != nullptr && name->is(Type::kString)) {
        service = name->string();
      }
    }
    batch_of(service).spans.push_back(s);
    ++out_.spans;
    return true;
  }

  ReceivedRequest& out_;
  std::vector<std::string> services_;  // out_.batches' services, in order
};

}  // namespace

bool decode_zipkin_json(std::string_view body, ReceivedRequest& out, std::string* error) {
  out = ReceivedRequest{};
  JsonValue root;
  std::string why;
  if (!detail::parse_json(body, root, &why)) {
    if (error != nullptr) *error = "not JSON: " + why;
    return false;
  }
  Decoder decoder(out);
  if (!decoder.request(root)) {
    if (error != nullptr) *error = decoder.error;
    out = ReceivedRequest{};
    return false;
  }
  return true;
}

}  // namespace litetrace::tools
