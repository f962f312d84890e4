// Records the spans of a cross-check scenario (crosscheck_scenario.json) through
// litetrace's public API and exports them; jaeger_crosscheck.py and otlp_crosscheck.py
// compare them with what the OpenTelemetry JS SDK sends for the same scenario.
//
//   crosscheck_emitter SCENARIO.json PORT          Jaeger, compact Thrift to 127.0.0.1:PORT
//   crosscheck_emitter SCENARIO.json --otlp URL    OTLP/HTTP, protobuf
//   crosscheck_emitter SCENARIO.json --otlp-json URL  OTLP/HTTP, JSON
//   crosscheck_emitter SCENARIO.json --console     the console exporter, on stderr
//   crosscheck_emitter SCENARIO.json --jaeger-http URL  Jaeger's collector API, binary Thrift
//   crosscheck_emitter SCENARIO.json --binary PORT  Jaeger, binary Thrift to 127.0.0.1:PORT
//   crosscheck_emitter SCENARIO.json --zipkin URL  Zipkin's v2 JSON

#include <litetrace/sampler.h>
#include <litetrace/trace.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/json_reader.h"

namespace {

using litetrace::detail::JsonValue;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "crosscheck_emitter: %s\n", why.c_str());
  std::exit(2);
}

const JsonValue& member(const JsonValue& object, const char* key) {
  const JsonValue* v = object.find(key);
  if (v == nullptr) fail(std::string("scenario: no \"") + key + "\"");
  return *v;
}

litetrace::SystemTime unix_ns(const JsonValue& v) {
  const auto ns = std::chrono::nanoseconds(std::stoll(v.string()));
  return litetrace::SystemTime(std::chrono::duration_cast<litetrace::SystemTime::duration>(ns));
}

// What array attributes point into, for the program's whole run.
struct ArrayStore {
  std::deque<std::vector<std::string_view>> strings;
  std::deque<std::vector<int64_t>> ints;
  std::deque<std::vector<double>> doubles;
  std::deque<std::unique_ptr<bool[]>> bools;
};
ArrayStore g_arrays;

// An attribute list of the scenario: [key, type, value] triples; a type ending in [] is
// an array of that type, its value a list.
std::vector<litetrace::Attribute> attributes(const JsonValue* list) {
  std::vector<litetrace::Attribute> out;
  if (list == nullptr) return out;
  for (const JsonValue& a : list->items()) {
    const std::string& key = a.items().at(0).string();
    const std::string& type = a.items().at(1).string();
    const JsonValue& value = a.items().at(2);
    if (type == "string") {
      out.push_back({key, litetrace::AttributeValue(std::string_view(value.string()))});
    } else if (type == "int") {
      out.push_back({key, litetrace::AttributeValue(int64_t{std::stoll(value.string())})});
    } else if (type == "bool") {
      out.push_back({key, litetrace::AttributeValue(value.boolean())});
    } else if (type == "double") {
      out.push_back({key, litetrace::AttributeValue(value.number())});
    } else if (type == "string[]") {
      auto& v = g_arrays.strings.emplace_back();
      for (const JsonValue& e : value.items()) v.emplace_back(e.string());
      out.push_back({key, litetrace::AttributeValue(v)});
    } else if (type == "int[]") {
      auto& v = g_arrays.ints.emplace_back();
      for (const JsonValue& e : value.items()) v.push_back(std::stoll(e.string()));
      out.push_back({key, litetrace::AttributeValue(v)});
    } else if (type == "double[]") {
      auto& v = g_arrays.doubles.emplace_back();
      for (const JsonValue& e : value.items()) v.push_back(e.number());
      out.push_back({key, litetrace::AttributeValue(v)});
    } else if (type == "bool[]") {
      auto& v = g_arrays.bools.emplace_back(new bool[value.items().size()]);
      for (size_t i = 0; i < value.items().size(); ++i) v[i] = value.items()[i].boolean();
      out.push_back({key, litetrace::AttributeValue(litetrace::ArrayView<bool>(v.get(), value.items().size()))});
    } else {
      fail("scenario: attribute type " + type);
    }
  }
  return out;
}

// The API takes an event's attributes as a braced list; the scenario has up to three.
void add_event(litetrace::Span& span, const std::string& name, litetrace::SystemTime time,
               const std::vector<litetrace::Attribute>& a) {
  switch (a.size()) {
    case 0: span.add_event(name, time); break;
    case 1: span.add_event(name, time, {a[0]}); break;
    case 2: span.add_event(name, time, {a[0], a[1]}); break;
    case 3: span.add_event(name, time, {a[0], a[1], a[2]}); break;
    default: fail("scenario: more than 3 event attributes");
  }
}

litetrace::SpanKind kind(const std::string& k) {
  if (k == "server") return litetrace::SpanKind::kServer;
  if (k == "client") return litetrace::SpanKind::kClient;
  if (k == "producer") return litetrace::SpanKind::kProducer;
  if (k == "consumer") return litetrace::SpanKind::kConsumer;
  return litetrace::SpanKind::kInternal;
}

litetrace::StatusCode status(const std::string& s) {
  if (s == "ok") return litetrace::StatusCode::kOk;
  if (s == "error") return litetrace::StatusCode::kError;
  return litetrace::StatusCode::kUnset;
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = argc == 4 && std::strcmp(argv[2], "--otlp-json") == 0;
  const bool otlp = json || (argc == 4 && std::strcmp(argv[2], "--otlp") == 0);
  const bool console = argc == 3 && std::strcmp(argv[2], "--console") == 0;
  const bool jaeger_http = argc == 4 && std::strcmp(argv[2], "--jaeger-http") == 0;
  const bool binary = argc == 4 && std::strcmp(argv[2], "--binary") == 0;
  const bool zipkin = argc == 4 && std::strcmp(argv[2], "--zipkin") == 0;
  if (argc != 3 && !otlp && !jaeger_http && !binary && !zipkin) {
    fail("usage: crosscheck_emitter SCENARIO.json PORT | --otlp[-json] URL | --console | --jaeger-http URL | "
         "--binary PORT | --zipkin URL");
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  JsonValue scenario;
  std::string error;
  if (!litetrace::detail::parse_json(text.str(), scenario, &error)) fail(std::string(argv[1]) + ": " + error);

  const JsonValue& limits = member(scenario, "limits");
  litetrace::TracerProviderOptions o;
  o.service_name = member(scenario, "service").string();
  const JsonValue& resource = member(scenario, "resource");
  for (size_t i = 0; i < resource.keys().size(); ++i) {
    o.resource_attributes.emplace_back(resource.keys()[i], resource.items()[i].string());
  }
  if (otlp) {
    o.exporter = litetrace::TracesExporter::kOtlp;
    o.otlp_endpoint = argv[3];
    if (json) o.otlp_protocol = litetrace::OtlpProtocol::kHttpJson;
  } else if (console) {
    o.exporter = litetrace::TracesExporter::kConsole;
  } else if (jaeger_http) {
    o.jaeger_protocol = litetrace::JaegerProtocol::kHttpThriftBinary;
    o.jaeger_endpoint = argv[3];
  } else if (zipkin) {
    o.exporter = litetrace::TracesExporter::kZipkin;
    o.zipkin_endpoint = argv[3];
  } else if (binary) {
    o.jaeger_protocol = litetrace::JaegerProtocol::kUdpThriftBinary;
    o.agent_host = "127.0.0.1";
    o.agent_port = static_cast<uint16_t>(std::atoi(argv[3]));
  } else {
    o.agent_host = "127.0.0.1";
    o.agent_port = static_cast<uint16_t>(std::atoi(argv[2]));
  }
  o.max_attributes = static_cast<size_t>(member(limits, "attributes").number());
  o.max_events = static_cast<size_t>(member(limits, "events").number());
  o.max_links = static_cast<size_t>(member(limits, "links").number());
  o.max_attributes_per_event = static_cast<size_t>(member(limits, "attributes_per_event").number());
  // Configured, as the JS peer configures its own (the same as both defaults), so that
  // root spans say which sampler decided.
  o.sampler = std::make_shared<litetrace::ParentBasedSampler>(std::make_shared<litetrace::AlwaysOnSampler>());
  o.on_diagnostic = [](const litetrace::Diagnostic& d) {
    std::fprintf(stderr, "litetrace: %s\n", std::string(d.message).c_str());
  };
  litetrace::TracerProvider provider(o);
  const JsonValue& scope = member(scenario, "scope");
  litetrace::Tracer tracer = provider.tracer(member(scope, "name").string(), member(scope, "version").string());

  std::map<std::string, litetrace::Span> started;
  std::vector<std::string> order;
  for (const JsonValue& s : member(scenario, "spans").items()) {
    const std::string& name = member(s, "name").string();
    litetrace::StartSpanOptions so;
    so.kind = kind(member(s, "kind").string());
    so.start_time = unix_ns(member(s, "start"));
    if (const JsonValue* parent = s.find("parent")) {
      so.parent = started.at(parent->string()).context();
    } else {
      so.root = true;
    }
    litetrace::Span span = tracer.start_span(name, so);
    for (const litetrace::Attribute& a : attributes(s.find("attributes"))) span.set_attribute(a.key, a.value);
    if (const JsonValue* links = s.find("links")) {
      for (const JsonValue& l : links->items()) span.add_link(started.at(l.string()).context());
    }
    if (const JsonValue* events = s.find("events")) {
      for (const JsonValue& e : events->items()) {
        add_event(span, member(e, "name").string(), unix_ns(member(e, "time")), attributes(e.find("attributes")));
      }
    }
    if (const JsonValue* st = s.find("status")) {
      span.set_status(status(st->items().at(0).string()), st->items().at(1).string());
    }
    started.emplace(name, std::move(span));
    order.push_back(name);
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const JsonValue* s = nullptr;
    for (const JsonValue& x : member(scenario, "spans").items()) {
      if (member(x, "name").string() == *it) s = &x;
    }
    started.at(*it).end(unix_ns(member(*s, "end")));
  }
  provider.shutdown();
  const litetrace::TracerStats stats = provider.stats();
  if (stats.spans_exported != order.size()) {
    fail("exported " + std::to_string(stats.spans_exported) + " of " + std::to_string(order.size()) + " spans");
  }
  return 0;
}
