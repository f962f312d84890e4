// The Zipkin exporter (exporter = kZipkin) through the public API against a scripted
// server: the exact JSON posted for spans that reach every rule of the OpenTelemetry
// Zipkin mapping (zipkin/zipkin_format.h), the remote endpoint's ranking, the worst-case
// escaping, and the byte bound of a request; what every HTTP exporter shares (its retried
// statuses, permanent ones with the server's text, slow, stuck, truncated, closed, absent
// servers) is in http_export_test.cc. zipkin_judge.py checks the fields of
// randomized spans against the specification, and zipkin_crosscheck.py against the
// OpenTelemetry JS SDK.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/json_reader.h"
#include "litetrace/trace.h"
#include "support/export_helpers.h"
#include "support/http_server.h"

namespace litetrace {
namespace {

using namespace std::chrono_literals;
using detail::JsonValue;
using test::body_of;
using test::reply;
using test::Said;
using test::TestHttpServer;

SystemTime at_ns(int64_t ns) {
  return SystemTime(std::chrono::duration_cast<SystemTime::duration>(std::chrono::nanoseconds(ns)));
}

TracerProviderOptions zipkin_options(const TestHttpServer& server, Said& said) {
  TracerProviderOptions o;
  o.service_name = "zipkin-test";
  o.exporter = TracesExporter::kZipkin;
  o.zipkin_endpoint = server.url("/api/v2/spans");
  o.on_diagnostic = said.callback();
  o.flush_interval = std::chrono::hours(1);  // requests go out on force_flush only
  return o;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Every span of every request, parsed.
std::vector<JsonValue> spans_posted(const TestHttpServer& server) {
  std::vector<JsonValue> out;
  for (const std::string& r : server.requests()) {
    JsonValue array;
    std::string error;
    EXPECT_TRUE(detail::parse_json(body_of(r), array, &error)) << error << "\n" << body_of(r);
    EXPECT_TRUE(array.is(JsonValue::Type::kArray));
    for (const JsonValue& span : array.items()) out.push_back(span);
  }
  return out;
}

TEST(ZipkinExporter, PostsTheSpecificationsMappingExactly) {
  TestHttpServer server;
  server.set_reply(reply("202 Accepted"));
  Said said;
  TracerProviderOptions o = zipkin_options(server, said);
  // service.name is the endpoint's serviceName (service_name wins), never a tag.
  o.resource_attributes = {
      {"deployment.environment", "ci"}, {"service.name", "not a tag"}, {"shadowed", "by the span"}};
  o.max_attributes = 9;
  o.max_attributes_per_event = 2;
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("zipkin.scope", "1.0");

  SpanContext root_context;
  SpanContext child_context;
  SpanContext quiet_context;
  {
    StartSpanOptions so;
    so.kind = SpanKind::kServer;
    so.start_time = at_ns(1700000000123456789);
    Span root = tracer.start_span("root", {{"http.method", "POST"}}, {}, so);
    root_context = root.context();
    root.set_status(StatusCode::kOk);
    root.end(at_ns(1700000001123455999));  // the truncated end minus the truncated start: 999999 us
  }
  {
    StartSpanOptions so;
    so.kind = SpanKind::kClient;
    so.parent = root_context;
    so.start_time = at_ns(1700000000200000000);
    const unsigned char raw[] = {0xde, 0xad, 0x00};
    Span child = tracer.start_span("GET /users \"x\"", {{"peer.service", "users-db"}, {"server.address", "db.local"}},
                                   {root_context}, so);
    child_context = child.context();
    child.set_attribute("retries", int64_t{-3});
    child.set_attribute("ratio", 2.0);
    child.set_attribute("nan", std::numeric_limits<double>::quiet_NaN());
    child.set_attribute("cached", false);
    child.set_attribute("raw", Bytes{raw, sizeof raw});
    child.set_attribute("shadowed", "mine");
    child.set_attribute("otel.status_code", "forged");  // the mapping's key: the mapping wins
    child.set_attribute("over", "the limit");           // the tenth: dropped, counted
    child.add_event("retry", at_ns(1700000000250000999), {{"attempt", 2}, {"why", "time\nout"}});
    child.add_event("crowded", at_ns(1700000000260000000), {{"a", 1.5}, {"b", true}, {"c", 3}});  // c: dropped
    child.add_event("bare", at_ns(1700000000270000000));
    child.set_status(StatusCode::kError, "connection reset");
    child.end(at_ns(1700000000200000000));  // no time at all: one microsecond
  }
  {
    StartSpanOptions so;
    so.parent = child_context;
    so.start_time = at_ns(1700000000300000000);
    Span quiet = tracer.start_span("quiet failure", {{"error", false}}, {}, so);
    quiet_context = quiet.context();
    quiet.set_status(StatusCode::kError);
    quiet.end(at_ns(1700000000300500000));
  }
  ASSERT_TRUE(provider.force_flush());
  EXPECT_EQ(provider.stats().spans_exported, 3u);

  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& r = requests[0];
  EXPECT_EQ(r.rfind("POST /api/v2/spans HTTP/1.1\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << r;

  const std::string trace = hex(root_context.trace_id.high) + hex(root_context.trace_id.low);
  const std::string scope_tags =
      R"("otel.scope.name":"zipkin.scope","otel.library.name":"zipkin.scope",)"
      R"("otel.scope.version":"1.0","otel.library.version":"1.0")";
  const std::string expected =
      "[" R"({"traceId":")" + trace + R"(","id":")" + hex(root_context.span_id) +
      R"(","kind":"SERVER","name":"root","timestamp":1700000000123456,"duration":999999,)"
      R"("localEndpoint":{"serviceName":"zipkin-test"},)"
      R"("tags":{"otel.status_code":"OK",)" + scope_tags +
      R"(,"http.method":"POST","deployment.environment":"ci","shadowed":"by the span"}},)"

      R"({"traceId":")" + trace + R"(","parentId":")" + hex(root_context.span_id) + R"(","id":")" +
      hex(child_context.span_id) +
      R"(","kind":"CLIENT","name":"GET /users \"x\"","timestamp":1700000000200000,"duration":1,)"
      R"("localEndpoint":{"serviceName":"zipkin-test"},"remoteEndpoint":{"serviceName":"users-db"},)"
      R"("annotations":[{"timestamp":1700000000250000,"value":"\"retry\":{\"attempt\":2,\"why\":\"time\\nout\"}"},)"
      R"({"timestamp":1700000000260000,"value":"\"crowded\":{\"a\":1.5,\"b\":true,\"otel.dropped_attributes_count\":1}"},)"
      R"({"timestamp":1700000000270000,"value":"\"bare\":{}"}],)"
      R"("tags":{"otel.status_code":"ERROR","error":"connection reset",)" + scope_tags +
      R"(,"otel.dropped_attributes_count":"1","peer.service":"users-db","server.address":"db.local",)"
      R"("retries":"-3","ratio":"2.0","nan":"NaN","cached":"false","raw":"3q0A","shadowed":"mine",)"
      R"("deployment.environment":"ci"}},)"

      R"({"traceId":")" + trace + R"(","parentId":")" + hex(child_context.span_id) + R"(","id":")" +
      hex(quiet_context.span_id) + R"(","name":"quiet failure","timestamp":1700000000300000,"duration":500,)"
      R"("localEndpoint":{"serviceName":"zipkin-test"},)"
      R"("tags":{"otel.status_code":"ERROR","error":"",)" + scope_tags +
      R"(,"deployment.environment":"ci","shadowed":"by the span"}}])";
  EXPECT_EQ(body_of(r), expected);
  EXPECT_TRUE(said.of(DiagnosticCode::kExportFailed).empty());
}

// The remote endpoint of client and producer spans: the first peer attribute by the
// specification's rank; an address only when it is an IP, with its port.
TEST(ZipkinExporter, TheRemoteEndpointComesFromTheBestRankedPeerAttribute) {
  struct Case {
    SpanKind kind;
    std::vector<Attribute> attributes;
    const char* endpoint;  // the remoteEndpoint's JSON, or nullptr for none
  };
  const std::vector<Case> cases = {
      {SpanKind::kClient, {{"db.name", "orders"}, {"peer.service", "billing"}}, R"({"serviceName":"billing"})"},
      {SpanKind::kProducer, {{"db.name", "orders"}, {"net.peer.name", "mq.local"}}, R"({"serviceName":"mq.local"})"},
      {SpanKind::kClient, {{"network.peer.address", "10.1.2.3"}, {"network.peer.port", 5432}},
       R"({"ipv4":"10.1.2.3","port":5432})"},
      {SpanKind::kClient, {{"network.peer.address", "::1"}, {"network.peer.port", "8080"}},
       R"({"ipv6":"::1","port":8080})"},
      {SpanKind::kClient, {{"net.sock.peer.addr", "192.0.2.7"}, {"net.sock.peer.port", 70000}},
       R"({"ipv4":"192.0.2.7"})"},  // not a port
      {SpanKind::kClient, {{"network.peer.address", "/run/db.sock"}, {"peer.hostname", "db"}},
       R"({"serviceName":"db"})"},  // not an IP: the next rank
      {SpanKind::kClient, {{"db.name", "orders"}}, R"({"serviceName":"orders"})"},
      {SpanKind::kClient, {{"peer.service", 7}, {"peer.address", "cache"}}, R"({"serviceName":"cache"})"},
      {SpanKind::kClient, {{"http.method", "GET"}}, nullptr},
      {SpanKind::kServer, {{"peer.service", "billing"}}, nullptr},
      {SpanKind::kConsumer, {{"peer.service", "billing"}}, nullptr},
      {SpanKind::kInternal, {{"peer.service", "billing"}}, nullptr},
  };
  TestHttpServer server;
  server.set_reply(reply("202 Accepted"));
  Said said;
  TracerProvider provider(zipkin_options(server, said));
  Tracer tracer = provider.tracer("peers");
  for (size_t i = 0; i < cases.size(); ++i) {
    StartSpanOptions so;
    so.kind = cases[i].kind;
    Span span = tracer.start_span("case " + std::to_string(i), so);
    for (const Attribute& a : cases[i].attributes) span.set_attribute(a.key, a.value);
  }
  ASSERT_TRUE(provider.force_flush());
  ASSERT_EQ(server.requests().size(), 1u);
  const std::string body = body_of(server.requests()[0]);
  const std::vector<JsonValue> spans = spans_posted(server);
  ASSERT_EQ(spans.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string name = "\"name\":\"case " + std::to_string(i) + "\"";
    const size_t at = body.find(name);
    ASSERT_NE(at, std::string::npos) << name;
    const size_t end = body.find("\"name\":\"case ", at + 1);
    const std::string span = body.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (cases[i].endpoint == nullptr) {
      EXPECT_EQ(span.find("remoteEndpoint"), std::string::npos) << span;
    } else {
      EXPECT_NE(span.find(std::string("\"remoteEndpoint\":") + cases[i].endpoint + ","), std::string::npos)
          << "case " << i << ": " << span;
    }
  }
}

// A trace id whose high half is zero (a 64-bit id, as Jaeger and B3 propagate them) is
// written in 16 hex digits, as Zipkin writes it; a span with no kind and no name has
// neither field.
TEST(ZipkinExporter, SixtyFourBitTraceIdsAreSixteenHexDigits) {
  TestHttpServer server;
  server.set_reply(reply("202 Accepted"));
  Said said;
  TracerProvider provider(zipkin_options(server, said));
  SpanContext parent;
  parent.trace_id = {0, 0x00000000000000abu};
  parent.span_id = 0x1234;
  parent.flags = kTraceFlagSampled;
  parent.remote = true;
  StartSpanOptions so;
  so.parent = parent;
  provider.tracer("").start_span("", {}, {}, so).end();
  ASSERT_TRUE(provider.force_flush());
  const std::vector<JsonValue> spans = spans_posted(server);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].find("traceId")->string(), "00000000000000ab");
  EXPECT_EQ(spans[0].find("parentId")->string(), "0000000000001234");
  EXPECT_EQ(spans[0].find("kind"), nullptr);
  EXPECT_EQ(spans[0].find("name"), nullptr);
  EXPECT_EQ(spans[0].find("tags"), nullptr) << "no scope, no status, no attributes";
  EXPECT_GE(spans[0].find("duration")->number(), 1);
}

// Spans of three scopes interleaved in one request (the format keeps the last scope's tags
// and writes them again for its next span): each span carries its own scope's tags, the
// version's only where the scope has one, none for a scope without a name.
TEST(ZipkinExporter, EachSpanCarriesItsOwnScopesTags) {
  TestHttpServer server;
  server.set_reply(reply("202 Accepted"));
  Said said;
  TracerProvider provider(zipkin_options(server, said));
  const Tracer versioned = provider.tracer("scope.a", "2.1");
  const Tracer bare = provider.tracer("scope.b");
  const Tracer unnamed = provider.tracer("");
  const Tracer* order[] = {&versioned, &versioned, &bare, &unnamed, &versioned, &bare, &bare};
  for (size_t i = 0; i < std::size(order); ++i) order[i]->start_span("s" + std::to_string(i)).end();
  ASSERT_TRUE(provider.force_flush());
  const std::vector<JsonValue> spans = spans_posted(server);
  ASSERT_EQ(spans.size(), std::size(order));
  ASSERT_EQ(server.requests().size(), 1u);
  for (size_t i = 0; i < spans.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(spans[i].find("name")->string(), "s" + std::to_string(i));
    const JsonValue* tags = spans[i].find("tags");
    if (order[i] == &unnamed) {
      EXPECT_EQ(tags, nullptr);
      continue;
    }
    ASSERT_NE(tags, nullptr);
    const std::string name = order[i] == &versioned ? "scope.a" : "scope.b";
    EXPECT_EQ(tags->find("otel.scope.name")->string(), name);
    EXPECT_EQ(tags->find("otel.library.name")->string(), name);
    if (order[i] == &versioned) {
      EXPECT_EQ(tags->keys(), (std::vector<std::string>{"otel.scope.name", "otel.library.name", "otel.scope.version",
                                                        "otel.library.version"}));
      EXPECT_EQ(tags->find("otel.scope.version")->string(), "2.1");
      EXPECT_EQ(tags->find("otel.library.version")->string(), "2.1");
    } else {
      EXPECT_EQ(tags->keys(), (std::vector<std::string>{"otel.scope.name", "otel.library.name"}));
    }
  }
}

// Text that grows most as JSON (control characters: six bytes each, and twice over inside
// an annotation's value) everywhere a span has text; the span is written within the bound
// computed from its record (AddressSanitizer would see a byte past it) and reads back.
TEST(ZipkinExporter, TheWorstCaseEscapingStaysWithinItsBound) {
  TestHttpServer server;
  server.set_reply(reply("202 Accepted"));
  Said said;
  TracerProviderOptions o = zipkin_options(server, said);
  const std::string controls(300, '\x01');
  o.resource_attributes = {{controls, controls}};
  TracerProvider provider(o);
  Tracer tracer = provider.tracer(controls, controls);
  {
    Span span = tracer.start_span(controls);
    span.set_attribute(controls, controls);
    span.set_attribute("\x01", "\x01");
    span.add_event(controls, {{controls, controls}, {"\x01", "\x01"}});
    span.add_event("\x01");
    span.set_status(StatusCode::kError, controls);
  }
  ASSERT_TRUE(provider.force_flush());
  const std::vector<JsonValue> spans = spans_posted(server);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].find("name")->string(), controls);
  EXPECT_EQ(spans[0].find("tags")->find(controls)->string(), controls);
  EXPECT_EQ(spans[0].find("tags")->find("error")->string(), controls);
  EXPECT_EQ(spans[0].find("tags")->find("otel.scope.name")->string(), controls);
  const std::string value = spans[0].find("annotations")->items()[0].find("value")->string();
  JsonValue event;
  ASSERT_TRUE(detail::parse_json("{" + value + "}", event)) << value;
  EXPECT_EQ(event.find(controls)->find(controls)->string(), controls);
}

TEST(ZipkinExporter, RequestsStayWithinTheirByteBoundAndALargerSpanIsCounted) {
  TestHttpServer server;
  server.set_reply(reply("202 Accepted"));
  Said said;
  TracerProviderOptions o = zipkin_options(server, said);
  o.zipkin_max_request_bytes = 4096;
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("t");
  for (int i = 0; i < 40; ++i) tracer.start_span("span", {{"payload", std::string(300, 'x')}}).end();
  tracer.start_span("huge", {{"payload", std::string(5000, 'y')}}).end();
  EXPECT_FALSE(provider.force_flush());  // the large one is lost, and said so
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported, 40u);
  EXPECT_EQ(s.spans_dropped_too_large, 1u);
  EXPECT_FALSE(said.of(DiagnosticCode::kSpanTooLarge).empty());
  ASSERT_GE(server.requests().size(), 4u);
  for (const std::string& r : server.requests()) EXPECT_LE(body_of(r).size(), 4096u);
  EXPECT_EQ(spans_posted(server).size(), 40u);
}

}  // namespace
}  // namespace litetrace
