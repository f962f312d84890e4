// OTLP over HTTP through the public API against a scripted collector: what is posted, and
// what a partial success counts. What every HTTP exporter shares (OTLP's retryable
// statuses, a permanent one with its google.rpc.Status message, slow, stuck, truncated,
// closed, absent servers) is in http_export_test.cc. Every span ends up exported or counted.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/json_reader.h"
#include "litetrace/trace.h"
#include "otlp/proto_reader.h"
#include "support/export_helpers.h"
#include "support/http_server.h"

namespace litetrace {
namespace {

using namespace std::chrono_literals;
using test::TestHttpServer;

using test::body_of;
using test::reply;
using test::Said;

TracerProviderOptions otlp_options(const TestHttpServer& server, Said& said) {
  TracerProviderOptions o;
  o.service_name = "otlp-test";
  o.exporter = TracesExporter::kOtlp;
  o.otlp_endpoint = server.url("/v1/traces");
  o.on_diagnostic = said.callback();
  o.flush_interval = std::chrono::hours(1);  // requests go out on force_flush only: one each
  return o;
}

// The same over OTLP/JSON, answered with an empty JSON object.
TracerProviderOptions otlp_json_options(TestHttpServer& server, Said& said) {
  server.set_reply(reply("200 OK", "{}", "Content-Type: application/json\r\n"));
  TracerProviderOptions o = otlp_options(server, said);
  o.otlp_protocol = OtlpProtocol::kHttpJson;
  return o;
}

void record(TracerProvider& provider, int n) {
  Tracer tracer = provider.tracer("otlp.scope", "1.0");
  for (int i = 0; i < n; ++i) {
    Span span = tracer.start_span("span " + std::to_string(i));
    span.set_attribute("i", i);
  }
}

// The span names in an ExportTraceServiceRequest, and its resource's attribute keys.
struct Decoded {
  std::vector<std::string> names;
  std::vector<std::string> resource_keys;
  bool ok = true;
};
Decoded decode(std::string_view body) {
  using detail::ProtoField;
  using detail::ProtoReader;
  Decoded out;
  const auto each = [](std::string_view message, uint32_t number, auto&& f) {
    ProtoReader r(message);
    ProtoField field;
    while (r.next(field)) {
      if (field.number == number) f(field.bytes);
    }
    return r.ok();
  };
  out.ok = each(body, 1, [&](std::string_view resource_spans) {
    each(resource_spans, 1, [&](std::string_view resource) {
      each(resource, 1, [&](std::string_view kv) { each(kv, 1, [&](std::string_view key) { out.resource_keys.emplace_back(key); }); });
    });
    each(resource_spans, 2, [&](std::string_view scope_spans) {
      each(scope_spans, 2, [&](std::string_view span) {
        each(span, 5, [&](std::string_view name) { out.names.emplace_back(name); });
      });
    });
  });
  return out;
}

TEST(OtlpExporter, PostsProtobufAndWaitsForTheServersAnswer) {
  TestHttpServer server;
  server.set_reply(reply("200 OK"));
  Said said;
  TracerProviderOptions o = otlp_options(server, said);
  o.otlp_headers = {{"api-key", "secret"}};
  TracerProvider provider(o);
  record(provider, 3);
  ASSERT_TRUE(provider.force_flush());
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported, 3u);
  EXPECT_EQ(s.requests_sent, 1u);
  EXPECT_EQ(s.spans_pending, 0u);

  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& r = requests[0];
  EXPECT_EQ(r.rfind("POST /v1/traces HTTP/1.1\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("\r\nContent-Type: application/x-protobuf\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\napi-key: secret\r\n"), std::string::npos);
  const Decoded d = decode(body_of(r));
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.names, (std::vector<std::string>{"span 0", "span 1", "span 2"}));
  EXPECT_EQ(d.resource_keys, (std::vector<std::string>{"service.name", "telemetry.sdk.name", "telemetry.sdk.language",
                                                       "telemetry.sdk.version"}));
  EXPECT_TRUE(said.of(DiagnosticCode::kExportFailed).empty());
}

TEST(OtlpExporter, PostsJsonWhenAskedTo) {
  TestHttpServer server;
  Said said;
  TracerProvider provider(otlp_json_options(server, said));
  record(provider, 2);
  ASSERT_TRUE(provider.force_flush());
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  detail::JsonValue doc;
  std::string error;
  ASSERT_TRUE(detail::parse_json(body_of(requests[0]), doc, &error)) << error;
  const detail::JsonValue& spans =
      *doc.find("resourceSpans")->items()[0].find("scopeSpans")->items()[0].find("spans");
  ASSERT_EQ(spans.items().size(), 2u);
  EXPECT_EQ(spans.items()[1].find("name")->string(), "span 1");
  EXPECT_EQ(spans.items()[1].find("traceId")->string().size(), 32u);
  EXPECT_EQ(provider.stats().spans_exported, 2u);
}

TEST(OtlpExporter, PartialSuccessCountsTheRejectedSpans) {
  TestHttpServer server;
  // ExportTraceServiceResponse {partial_success {rejected_spans = 2, error_message = "too old"}}
  const std::string body("\x0a\x0b\x08\x02\x12\x07" "too old", 13);
  server.set_reply(reply("200 OK", body));
  Said said;
  TracerProvider provider(otlp_options(server, said));
  record(provider, 3);
  EXPECT_FALSE(provider.force_flush()) << "spans were lost";
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported, 1u);
  EXPECT_EQ(s.spans_rejected, 2u);
  EXPECT_EQ(s.spans_ended, s.spans_exported + s.spans_rejected);
  const std::vector<std::string> rejected = said.of(DiagnosticCode::kExportRejected);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0], server.url("/v1/traces") + " rejected 2 of 3 spans: too old");
}

// A literal key's setter writes its item inline (trace.h), a key of more than 0xFFFF bytes
// (a char array's) included when its buffer has room: it must cut it to the 0xFFFF bytes an
// item can say, as the setter out of line does. No datagram holds such a span; an OTLP
// request does. The buffer is grown first by a value of 90,000 bytes (doubled from 640 to
// 163,840 bytes), so the long key's item fits; a wrong length would garble what follows.
TEST(OtlpExporter, ALiteralKeyTooLongForAnItemIsCutAsAnyOther) {
  TestHttpServer server;
  Said said;
  TracerProviderOptions o = otlp_json_options(server, said);
  o.ring_bytes_per_thread = 1 << 20;  // a record may take half of it
  TracerProvider provider(o);
  static char long_key[70000];
  std::memset(long_key, 'k', sizeof long_key - 1);
  const std::string big(90000, 'v');
  for (const bool literal : {true, false}) {
    Span s = provider.tracer("t").start_span(literal ? "literal" : "general");
    if (literal) {
      s.set_attribute("before", 1);
      s.set_attribute("big", big);
      s.set_attribute(long_key, 2);
      s.set_attribute("after", 3);
    } else {
      s.set_attribute(std::string_view("before"), 1);
      s.set_attribute(std::string_view("big"), big);
      s.set_attribute(std::string_view(long_key), 2);
      s.set_attribute(std::string_view("after"), 3);
    }
  }
  ASSERT_TRUE(provider.force_flush());
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  detail::JsonValue doc;
  std::string error;
  ASSERT_TRUE(detail::parse_json(body_of(requests[0]), doc, &error)) << error;
  const detail::JsonValue& spans =
      *doc.find("resourceSpans")->items()[0].find("scopeSpans")->items()[0].find("spans");
  ASSERT_EQ(spans.items().size(), 2u);
  std::vector<std::vector<std::pair<std::string, std::string>>> attributes;
  for (const detail::JsonValue& span : spans.items()) {
    attributes.emplace_back();
    for (const detail::JsonValue& a : span.find("attributes")->items()) {
      const detail::JsonValue& value = a.find("value")->items()[0];
      attributes.back().emplace_back(a.find("key")->string(), value.string().size() > 16 ? "long" : value.string());
    }
  }
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"before", "1"}, {"big", "long"}, {std::string(0xFFFF, 'k'), "2"}, {"after", "3"}};
  EXPECT_EQ(attributes[0], expected);
  EXPECT_EQ(attributes[1], expected);
  EXPECT_EQ(provider.stats().spans_exported, 2u);
}

}  // namespace
}  // namespace litetrace
