// Records randomized spans through litetrace's public API and exports them with the
// Zipkin exporter to ENDPOINT; zipkin_judge.py receives them, checks every field against
// the OpenTelemetry Zipkin mapping and the v2 schema, and compares them with what this
// program says it recorded.
//
//   zipkin_emitter ENDPOINT --spans N --seed S --expect FILE
//
// FILE gets one JSON object per span (its context, kind, times, name, attributes, events,
// links, status, scope) and a first line with the provider's settings. Strings are hex, so
// the judge sees every byte (invalid UTF-8 too); doubles are the hex of their bits.

#include <litetrace/trace.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support/json_hex.h"

namespace {

using litetrace::test::json_hex;

constexpr size_t kMaxAttributes = 8;
constexpr size_t kMaxEvents = 3;
constexpr size_t kMaxLinks = 1;
constexpr size_t kMaxAttributesPerEvent = 3;

litetrace::SystemTime at_ns(int64_t ns) {
  return litetrace::SystemTime(std::chrono::duration_cast<litetrace::SystemTime::duration>(std::chrono::nanoseconds(ns)));
}

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  uint64_t below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  size_t index(size_t n) { return static_cast<size_t>(below(n)); }  // below n, as a size
  bool chance(uint64_t one_in) { return below(one_in) == 0; }
  template <typename T, size_t N>
  const T& pick(const T (&list)[N]) { return list[below(N)]; }
  uint64_t bits() { return rng_(); }

  // Text that reaches for the edges: empty, quotes and backslashes, control characters,
  // multi-byte UTF-8, invalid UTF-8 (lone continuation bytes, truncated sequences,
  // surrogates, overlong forms).
  std::string text(size_t max) {
    static const char* const kPieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                          "\xc3\xbc", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\x80", "\xe6\x97",
                                          "\xed\xa0\x80", "\xc0\xaf", "\xff", "{", "}", ":", ","};
    std::string out;
    const size_t n = index(max + 1);
    for (size_t i = 0; i < n; ++i) out += chance(3) ? pick(kPieces) : std::string(1, static_cast<char>('a' + below(26)));
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

// One attribute as recorded, and as the expectation writes it.
struct Value {
  litetrace::AttributeValue value{int64_t{0}};
  std::string storage;  // what a string or bytes value points into
  std::vector<std::string> strings;  // or an array's elements
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  bool bools[4] = {};
  std::string json;
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : r_(seed) {}

  std::string key() {
    static const char* const kKeys[] = {"peer.service", "server.address", "net.peer.name", "network.peer.address",
                                        "network.peer.port", "server.socket.domain", "server.socket.address",
                                        "server.socket.port", "net.sock.peer.name", "net.sock.peer.addr",
                                        "net.sock.peer.port", "peer.hostname", "peer.address", "db.name", "error",
                                        "otel.status_code", "otel.scope.name", "otel.library.version",
                                        "otel.dropped_attributes_count", "otel.dropped_events_count",
                                        "deployment.environment", "span.kind"};
    return r_.chance(3) ? std::string(r_.pick(kKeys)) : r_.text(12);
  }

  void value(Value& v, const std::string& key) {
    static const char* const kAddresses[] = {"10.1.2.3", "::1", "2001:db8::7", "192.0.2.255", "db.local",
                                             "/run/db.sock", "", "1.2.3"};
    const bool address = key.find("address") != std::string::npos || key.find("addr") != std::string::npos;
    const bool port = key.find("port") != std::string::npos;
    const uint64_t type = address ? 0 : port ? (r_.chance(2) ? 2 : 0) : r_.below(7);
    switch (type) {
      case 0: {
        v.storage = address ? std::string(r_.pick(kAddresses))
                    : port  ? std::to_string(r_.below(70000))
                    : key == "error" && r_.chance(2) ? std::string(r_.chance(2) ? "false" : "true")
                                                     : r_.text(16);
        v.value = litetrace::AttributeValue(std::string_view(v.storage));
        v.json = "[\"string\"," + json_hex(v.storage) + "]";
        return;
      }
      case 1: {
        const bool b = r_.chance(2);
        v.value = litetrace::AttributeValue(b);
        v.json = std::string("[\"bool\",") + (b ? "true" : "false") + "]";
        return;
      }
      case 2: {
        static const int64_t kInts[] = {0, 1, -1, 443, 65535, 65536, std::numeric_limits<int64_t>::max(),
                                        std::numeric_limits<int64_t>::min(), 9007199254740993};
        const int64_t i = port || r_.chance(2) ? r_.pick(kInts) : static_cast<int64_t>(r_.bits());
        v.value = litetrace::AttributeValue(i);
        v.json = "[\"int\",\"" + std::to_string(i) + "\"]";
        return;
      }
      case 3:
      case 4: {
        static const double kDoubles[] = {0.0, -0.0, 2.0, 0.1, -1.5e-300, 1e300, 1e21, 123456789012345680.0,
                                          std::numeric_limits<double>::quiet_NaN(),
                                          std::numeric_limits<double>::infinity(),
                                          -std::numeric_limits<double>::infinity(),
                                          std::numeric_limits<double>::denorm_min()};
        double d = r_.pick(kDoubles);
        if (r_.chance(2)) {
          const uint64_t bits = r_.bits();
          std::memcpy(&d, &bits, sizeof d);
          if (std::isnan(d)) d = 0.25;  // NaN payloads are one NaN on this wire
        }
        v.value = litetrace::AttributeValue(d);
        v.json = "[\"double\"," + json_hex(d) + "]";
        return;
      }
      case 5: {
        v.storage = r_.text(8);
        v.value = litetrace::AttributeValue(litetrace::Bytes{v.storage.data(), v.storage.size()});
        v.json = "[\"bytes\"," + json_hex(v.storage) + "]";
        return;
      }
      default: {  // an array, of 0 to 4 elements of one type
        const size_t n = r_.index(5);
        std::string elements;
        const auto add = [&](const std::string& e) { elements += (elements.empty() ? "" : ",") + e; };
        switch (r_.below(4)) {
          case 0:
            for (size_t i = 0; i < n; ++i) v.strings.push_back(r_.text(8));
            for (const std::string& s : v.strings) add(json_hex(s));
            v.value = litetrace::AttributeValue(v.strings);
            v.json = "[\"string_array\",[" + elements + "]]";
            return;
          case 1:
            for (size_t i = 0; i < n; ++i) v.bools[i] = r_.chance(2);
            for (size_t i = 0; i < n; ++i) add(v.bools[i] ? "true" : "false");
            v.value = litetrace::AttributeValue(litetrace::ArrayView<bool>(v.bools, n));
            v.json = "[\"bool_array\",[" + elements + "]]";
            return;
          case 2:
            for (size_t i = 0; i < n; ++i) v.ints.push_back(static_cast<int64_t>(r_.bits()));
            for (const int64_t x : v.ints) add("\"" + std::to_string(x) + "\"");
            v.value = litetrace::AttributeValue(v.ints);
            v.json = "[\"int_array\",[" + elements + "]]";
            return;
          default: {
            static const double kDoubles[] = {-0.0, 2.0, 0.1, std::numeric_limits<double>::infinity(),
                                              std::numeric_limits<double>::quiet_NaN(), 1e300};
            for (size_t i = 0; i < n; ++i) v.doubles.push_back(r_.pick(kDoubles));
            for (const double d : v.doubles) add(json_hex(d));
            v.value = litetrace::AttributeValue(v.doubles);
            v.json = "[\"double_array\",[" + elements + "]]";
            return;
          }
        }
      }
    }
  }

  // Distinct keys: a key set twice replaces its value, which the judge need not model.
  std::vector<std::pair<std::string, Value>> attributes(size_t max) {
    std::vector<std::pair<std::string, Value>> out;
    const size_t n = r_.index(max + 1);
    out.reserve(n);  // never moved: a value's view points into its own storage
    for (size_t i = 0; i < n; ++i) {
      std::string k = key();
      bool seen = false;
      for (const auto& a : out) seen = seen || a.first == k;
      if (seen) continue;
      out.emplace_back(k, Value{});
      value(out.back().second, out.back().first);
    }
    return out;
  }

  Random& random() { return r_; }

 private:
  Random r_;
};

std::string attributes_json(const std::vector<std::pair<std::string, Value>>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    out += (i ? "," : "") + std::string("[") + json_hex(list[i].first) + "," + list[i].second.json + "]";
  }
  return out + "]";
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  size_t spans = 0;
  uint64_t seed = 1;
  const char* expect = nullptr;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--spans") == 0) spans = static_cast<size_t>(std::strtoull(argv[i + 1], nullptr, 10));
    if (std::strcmp(argv[i], "--seed") == 0) seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--expect") == 0) expect = argv[i + 1];
  }
  if (argc != 8 || spans == 0 || expect == nullptr) {
    std::fprintf(stderr, "usage: %s ENDPOINT --spans N --seed S --expect FILE\n", argv[0]);
    return 2;
  }
  Generator g(seed);
  Random& r = g.random();

  litetrace::TracerProviderOptions o;
  o.service_name = "zipkin-judge \"svc\"";
  o.resource_attributes = {{"deployment.environment", "ci"}, {"host.arch", "x86_64"}};
  o.exporter = litetrace::TracesExporter::kZipkin;
  o.zipkin_endpoint = argv[1];
  o.max_attributes = kMaxAttributes;
  o.max_events = kMaxEvents;
  o.max_links = kMaxLinks;
  o.max_attributes_per_event = kMaxAttributesPerEvent;
  o.max_export_batch_size = 97;
  o.ring_bytes_per_thread = 64 << 20;  // every span fits: none is dropped for a full ring
  o.on_diagnostic = [](const litetrace::Diagnostic& d) {
    std::fprintf(stderr, "litetrace: %s\n", std::string(d.message).c_str());
  };

  std::ofstream out(expect);
  out << "{\"service\":" << json_hex(o.service_name) << ",\"resource\":[";
  for (size_t i = 0; i < o.resource_attributes.size(); ++i) {
    out << (i ? "," : "") << "[" << json_hex(o.resource_attributes[i].first) << ","
        << json_hex(o.resource_attributes[i].second) << "]";
  }
  out << "],\"limits\":{\"attributes\":" << kMaxAttributes << ",\"events\":" << kMaxEvents
      << ",\"links\":" << kMaxLinks << ",\"attributes_per_event\":" << kMaxAttributesPerEvent << "}}\n";

  litetrace::TracerProvider provider(o);
  struct ScopeChoice {
    const char* name;
    const char* version;
  };
  static const ScopeChoice kScopes[] = {{"zipkin.scope", "1.0"}, {"unversioned", ""}, {"", ""}, {"q\"uote", "v\n2"}};
  std::vector<litetrace::Tracer> tracers;
  for (const ScopeChoice& s : kScopes) tracers.push_back(provider.tracer(s.name, s.version));

  std::vector<litetrace::SpanContext> earlier;
  const int64_t base = 1700000000000000000;
  for (size_t n = 0; n < spans; ++n) {
    const size_t scope = r.index(4);
    litetrace::StartSpanOptions so;
    so.kind = static_cast<litetrace::SpanKind>(r.below(5));
    const uint64_t parent_choice = r.below(4);
    if (parent_choice == 0 && !earlier.empty()) {
      so.parent = earlier[r.index(earlier.size())];
    } else if (parent_choice == 1) {
      litetrace::SpanContext remote;
      remote.trace_id = {r.chance(2) ? 0 : r.bits() | 1, r.bits() | 1};  // 64-bit ids too
      remote.span_id = r.bits() | 1;
      remote.flags = litetrace::kTraceFlagSampled;
      remote.remote = true;
      so.parent = remote;
    } else {
      so.root = true;
    }
    const int64_t start = base + static_cast<int64_t>(r.below(1000000000000));
    const int64_t end = r.chance(10) ? start - static_cast<int64_t>(r.below(5000))  // before its start
                                     : start + static_cast<int64_t>(r.below(r.chance(2) ? 3000 : 5000000000));
    so.start_time = at_ns(start);
    const std::string name = r.text(20);

    const size_t link_count = earlier.size() < 2 ? 0 : r.index(3);
    litetrace::Span span = link_count == 0 ? tracers[scope].start_span(name, {}, {}, so)
                           : link_count == 1
                               ? tracers[scope].start_span(name, {}, {earlier[0]}, so)
                               : tracers[scope].start_span(name, {}, {earlier[0], earlier[1]}, so);
    const auto attributes = g.attributes(12);
    for (const auto& [k, v] : attributes) span.set_attribute(k, v.value);

    std::string events = "[";
    const size_t event_count = r.index(6);
    for (size_t e = 0; e < event_count; ++e) {
      const std::string event_name = r.text(10);
      const int64_t t = start + static_cast<int64_t>(r.below(10000000));
      auto ea = g.attributes(5);
      std::vector<litetrace::Attribute> list;
      for (const auto& [k, v] : ea) list.push_back({k, v.value});
      switch (list.size()) {
        case 0: span.add_event(event_name, at_ns(t)); break;
        case 1: span.add_event(event_name, at_ns(t), {list[0]}); break;
        case 2: span.add_event(event_name, at_ns(t), {list[0], list[1]}); break;
        case 3: span.add_event(event_name, at_ns(t), {list[0], list[1], list[2]}); break;
        case 4: span.add_event(event_name, at_ns(t), {list[0], list[1], list[2], list[3]}); break;
        default: span.add_event(event_name, at_ns(t), {list[0], list[1], list[2], list[3], list[4]}); break;
      }
      events += (e ? "," : "") + std::string("{\"name\":") + json_hex(event_name) + ",\"time\":\"" +
                std::to_string(t) + "\",\"attributes\":" + attributes_json(ea) + "}";
    }
    events += "]";

    const auto status = static_cast<litetrace::StatusCode>(r.below(3));
    const std::string description = r.chance(3) ? std::string() : r.text(12);
    if (status != litetrace::StatusCode::kUnset) span.set_status(status, description);

    const litetrace::SpanContext c = span.context();
    span.end(at_ns(end));
    earlier.push_back(c);

    out << "{\"trace_id\":\"" << hex64(c.trace_id.high) << hex64(c.trace_id.low) << "\",\"span_id\":\""
        << hex64(c.span_id) << "\",\"parent\":\""
        << (so.root ? std::string() : hex64(so.parent.span_id)) << "\",\"kind\":" << static_cast<int>(so.kind)
        << ",\"name\":" << json_hex(name) << ",\"start\":\"" << start << "\",\"end\":\"" << end
        << "\",\"attributes\":" << attributes_json(attributes) << ",\"events\":" << events
        << ",\"links\":" << link_count << ",\"status\":" << static_cast<int>(status)
        << ",\"description\":" << json_hex(status == litetrace::StatusCode::kError ? description : std::string())
        << ",\"scope\":[" << json_hex(kScopes[scope].name) << "," << json_hex(kScopes[scope].version) << "]}\n";
  }
  const bool flushed = provider.shutdown(std::chrono::seconds(60));
  const litetrace::TracerStats s = provider.stats();
  std::printf("{\"exported\":%llu,\"ended\":%llu}\n", static_cast<unsigned long long>(s.spans_exported),
              static_cast<unsigned long long>(s.spans_ended));
  return flushed ? 0 : 1;
}
