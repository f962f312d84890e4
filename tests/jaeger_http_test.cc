// Jaeger's collector over HTTP (jaeger_protocol = kHttpThriftBinary) through the public
// API against a scripted collector: what is posted (a bare binary-Thrift Batch, with basic
// authentication) and the byte bound of a request; what every HTTP exporter shares (its
// retried statuses, permanent ones with the server's text, slow, stuck, truncated, closed,
// absent servers) is in http_export_test.cc. Every span ends up exported or counted. judge_tracer.py --http has Apache Thrift decode the bodies.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "litetrace/trace.h"
#include "support/export_helpers.h"
#include "support/http_server.h"

namespace litetrace {
namespace {

using namespace std::chrono_literals;
using test::body_of;
using test::reply;
using test::Said;
using test::TestHttpServer;

TracerProviderOptions jaeger_http_options(const TestHttpServer& server, Said& said) {
  TracerProviderOptions o;
  o.service_name = "jaeger-http-test";
  o.jaeger_protocol = JaegerProtocol::kHttpThriftBinary;
  o.jaeger_endpoint = server.url("/api/traces");
  o.on_diagnostic = said.callback();
  o.flush_interval = std::chrono::hours(1);  // requests go out on force_flush only
  return o;
}

void record(TracerProvider& provider, int n, const std::string& payload = {}) {
  Tracer tracer = provider.tracer("jaeger.scope", "1.0");
  for (int i = 0; i < n; ++i) {
    Span span = tracer.start_span("span " + std::to_string(i));
    if (!payload.empty()) span.set_attribute("payload", payload);
  }
}

// A binary-protocol reader just good enough to step over values: the Batch's spans are
// counted after stepping over its Process.
struct BinaryReader {
  const std::string& in;
  size_t at = 0;
  bool ok = true;
  uint64_t take(size_t n) {
    if (at + n > in.size()) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(in[at + i]);
    at += n;
    return v;
  }
  void skip(uint8_t type) {
    switch (type) {
      case 2: case 3: take(1); break;    // bool, byte
      case 4: case 10: take(8); break;   // double, i64
      case 6: take(2); break;            // i16
      case 8: take(4); break;            // i32
      case 11: take(static_cast<size_t>(take(4))); break;     // string
      case 12:                           // struct
        for (uint8_t t = static_cast<uint8_t>(take(1)); ok && t != 0; t = static_cast<uint8_t>(take(1))) {
          take(2);
          skip(t);
        }
        break;
      case 15: {                         // list
        const auto element = static_cast<uint8_t>(take(1));
        for (uint64_t n = take(4); ok && n > 0; --n) skip(element);
        break;
      }
      default: ok = false;
    }
  }
};

// The element count of Batch.spans, after Batch.process; -1 if the body is not that.
int span_count(const std::string& body) {
  BinaryReader r{body};
  if (r.take(3) != 0x0c0001) return -1;  // Batch.process: struct, field 1
  r.skip(12);
  if (r.take(4) != 0x0f00020c) return -1;  // Batch.spans: list, field 2, of structs
  const auto n = static_cast<int>(r.take(4));
  for (int i = 0; i < n; ++i) r.skip(12);
  return r.ok && r.take(1) == 0 && r.at == body.size() ? n : -1;
}

TEST(JaegerHttp, PostsABareBinaryBatchWithBasicAuthentication) {
  TestHttpServer server;
  server.set_reply(reply("202 Accepted"));
  Said said;
  TracerProviderOptions o = jaeger_http_options(server, said);
  o.jaeger_user = "user";
  o.jaeger_password = "pa:ss";
  TracerProvider provider(o);
  record(provider, 3);
  ASSERT_TRUE(provider.force_flush());
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported, 3u);
  EXPECT_EQ(s.requests_sent, 1u);
  EXPECT_EQ(s.packets_sent, 0u);

  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& r = requests[0];
  EXPECT_EQ(r.rfind("POST /api/traces HTTP/1.1\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("\r\nContent-Type: application/vnd.apache.thrift.binary\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\r\nAuthorization: Basic dXNlcjpwYTpzcw==\r\n"), std::string::npos) << r;  // user:pa:ss
  const std::string body = body_of(r);
  EXPECT_EQ(body.substr(0, 3), std::string("\x0c\x00\x01", 3)) << "Batch.process first, no message header";
  EXPECT_NE(body.find("jaeger-http-test"), std::string::npos);
  EXPECT_EQ(span_count(body), 3);
  for (const char* name : {"span 0", "span 1", "span 2"}) EXPECT_NE(body.find(name), std::string::npos) << name;
  EXPECT_EQ(body.back(), '\0') << "the Batch's stop byte";
  EXPECT_TRUE(said.of(DiagnosticCode::kExportFailed).empty());
}

TEST(JaegerHttp, RequestsStayWithinTheirByteBoundAndALargerSpanIsCounted) {
  TestHttpServer server;
  server.set_reply(reply("202 Accepted"));
  Said said;
  TracerProviderOptions o = jaeger_http_options(server, said);
  o.jaeger_max_request_bytes = 4096;
  TracerProvider provider(o);
  record(provider, 40, std::string(300, 'x'));
  record(provider, 1, std::string(5000, 'y'));  // more than a whole request may hold
  EXPECT_FALSE(provider.force_flush());         // the large one is lost, and said so
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_ended, 41u);
  EXPECT_EQ(s.spans_exported, 40u);
  EXPECT_EQ(s.spans_dropped_too_large, 1u);
  EXPECT_FALSE(said.of(DiagnosticCode::kSpanTooLarge).empty());
  const std::vector<std::string> requests = server.requests();
  ASSERT_GE(requests.size(), 4u);  // 40 spans of ~400 bytes, at most 4 KiB a request
  int spans = 0;
  for (const std::string& r : requests) {
    EXPECT_LE(body_of(r).size(), 4096u);
    spans += span_count(body_of(r));
  }
  EXPECT_EQ(spans, 40);
}

}  // namespace
}  // namespace litetrace
