#include "otlp/otlp_format.h"

#include <charconv>

#include "core/compiler.h"
#include "core/json_reader.h"
#include "litetrace/version.h"
#include "otlp/proto_reader.h"

namespace litetrace::detail::otlp {

LITETRACE_COLD OtlpFormat::OtlpFormat(const FormatOptions& options, const TickConverter* clock)
    : json_(options.json), builder_(clock, options.json) {
  checks_rules_ = !json_;
  // The Resource: service.name, the application's attributes, what this SDK is.
  resource_strings_.reserve(2 * (options.resource_attributes.size() + 4));
  const auto add = [&](std::string key, std::string value) {
    for (const KeyValue& kv : resource_) {
      if (kv.key == key) return;  // the application's value wins
    }
    resource_strings_.push_back(std::move(key));
    const std::string_view k = resource_strings_.back();
    resource_strings_.push_back(std::move(value));
    resource_.push_back({k, AnyValue::string(resource_strings_.back())});
  };
  resource_.reserve(options.resource_attributes.size() + 4);
  add("service.name", options.service_name);
  for (const auto& [k, v] : options.resource_attributes) add(k, v);
  add("telemetry.sdk.name", "litetrace");
  add("telemetry.sdk.language", "cpp");
  add("telemetry.sdk.version", LITETRACE_VERSION_STRING);
}

// ExportTraceServiceResponse.partial_success {rejected_spans = 1, error_message = 2}.
uint64_t OtlpFormat::rejected(const HttpResponse& r, std::string* message) const {
  uint64_t rejected = 0;
  if (!json_) {
    ProtoReader response(r.body);
    ProtoField f;
    while (response.next(f)) {
      if (f.number != 1 || f.type != WireType::kLengthDelimited) continue;
      ProtoReader partial(f.bytes);
      ProtoField p;
      while (partial.next(p)) {
        if (p.number == 1 && p.type == WireType::kVarint) rejected = p.value;
        if (p.number == 2 && p.type == WireType::kLengthDelimited) *message = std::string(p.bytes);
      }
    }
    return rejected;
  }
  JsonValue doc;
  if (!parse_json(r.body, doc)) return 0;
  const JsonValue* partial = doc.find("partialSuccess");
  if (partial == nullptr) return 0;
  if (const JsonValue* n = partial->find("rejectedSpans")) {
    if (n->is(JsonValue::Type::kNumber) && n->number() >= 0) rejected = static_cast<uint64_t>(n->number());
    if (n->is(JsonValue::Type::kString)) {
      std::from_chars(n->string().data(), n->string().data() + n->string().size(), rejected);
    }
  }
  if (const JsonValue* m = partial->find("errorMessage"); m != nullptr && m->is(JsonValue::Type::kString)) {
    *message = m->string();
  }
  return rejected;
}

// google.rpc.Status.message (protobuf field 2, or "message" in JSON), else the body's
// start as text.
std::string OtlpFormat::server_message(const HttpResponse& r) const {
  if (!json_) {
    ProtoReader reader(r.body);
    ProtoField f;
    while (reader.next(f)) {
      if (f.number == 2 && f.type == WireType::kLengthDelimited) return std::string(f.bytes);
    }
  } else {
    JsonValue doc;
    if (parse_json(r.body, doc)) {
      if (const JsonValue* m = doc.find("message"); m != nullptr && m->is(JsonValue::Type::kString)) return m->string();
    }
  }
  return body_text(r);
}

}  // namespace litetrace::detail::otlp
