// What the HTTP exporters share (transport/http_export_sink.h), through the public API,
// for each of them (OTLP, Jaeger's collector, Zipkin) against a scripted server: a slow answer is
// waited for, a stuck server holds the sender and never the batcher, a truncated answer is
// retried, connections closed after each answer are made again, nothing listening fails
// within the timeout, and shutdown does not wait past its own; each retries the statuses
// its protocol says to, and reports any other with the server's message as its protocol
// words it. Every span ends up exported or counted. Each format's own rules (what is
// posted, partial success, the byte bound) are in otlp_exporter_test.cc,
// jaeger_http_test.cc and zipkin_exporter_test.cc.

#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "litetrace/trace.h"
#include "support/export_helpers.h"
#include "support/http_server.h"
#include "support/refusing_port.h"

namespace litetrace {
namespace {

using namespace std::chrono_literals;
using test::body_of;
using test::reply;
using test::Said;
using test::TestHttpServer;

struct HttpExporter {
  const char* name;
  const char* ok;  // the server's status line for success
  // Points the options at `base` (http://host:port) with this timeout for one export.
  void (*configure)(TracerProviderOptions& o, const std::string& base, std::chrono::milliseconds timeout);
  std::vector<const char*> retried;  // status lines the exporter tries again
  // A 400 as this exporter's server words it, and the message the exporter reads in it.
  TestHttpServer::Reply (*bad_request)();
  const char* message;
};

const HttpExporter kOtlp{"Otlp", "200 OK",
                         [](TracerProviderOptions& o, const std::string& base, auto timeout) {
                           o.exporter = TracesExporter::kOtlp;
                           o.otlp_endpoint = base + "/v1/traces";
                           o.otlp_timeout = timeout;
                         },
                         // OTLP/HTTP's retryable statuses; a 500 is permanent.
                         {"429 Too Many Requests", "502 Bad Gateway", "503 Service Unavailable", "504 Gateway Timeout"},
                         [] {
                           // google.rpc.Status {code = 3, message = "bad span"}
                           return reply("400 Bad Request", std::string("\x08\x03\x12\x08" "bad span", 12),
                                        "Content-Type: application/x-protobuf\r\n");
                         },
                         "bad span"};
const HttpExporter kJaeger{"Jaeger", "202 Accepted",
                           [](TracerProviderOptions& o, const std::string& base, auto timeout) {
                             o.jaeger_protocol = JaegerProtocol::kHttpThriftBinary;
                             o.jaeger_endpoint = base + "/api/traces";
                             o.jaeger_timeout = timeout;
                           },
                           // The collector answers 500 when it cannot take a batch.
                           {"500 Internal Server Error", "503 Service Unavailable", "429 Too Many Requests"},
                           [] { return reply("400 Bad Request", "cannot parse\nthe batch"); },
                           "cannot parse the batch"};
const HttpExporter kZipkin{"Zipkin", "202 Accepted",
                           [](TracerProviderOptions& o, const std::string& base, auto timeout) {
                             o.exporter = TracesExporter::kZipkin;
                             o.zipkin_endpoint = base + "/api/v2/spans";
                             o.zipkin_timeout = timeout;
                           },
                           {"500 Internal Server Error", "503 Service Unavailable", "429 Too Many Requests"},
                           [] { return reply("400 Bad Request", "Expected a JSON_V2 encoded list"); },
                           "Expected a JSON_V2 encoded list"};

void PrintTo(const HttpExporter& exporter, std::ostream* out) { *out << exporter.name; }

class HttpExport : public ::testing::TestWithParam<HttpExporter> {
 protected:
  // Requests go out on force_flush only: one each.
  TracerProviderOptions options(uint16_t port, std::chrono::milliseconds timeout = 10s) {
    TracerProviderOptions o;
    o.service_name = "http-export-test";
    GetParam().configure(o, "http://127.0.0.1:" + std::to_string(port), timeout);
    o.on_diagnostic = said.callback();
    o.flush_interval = std::chrono::hours(1);
    return o;
  }
  TestHttpServer::Reply ok() const { return reply(GetParam().ok); }

  Said said;
};

void record(TracerProvider& provider, int n) {
  Tracer tracer = provider.tracer("http.scope");
  for (int i = 0; i < n; ++i) tracer.start_span("span " + std::to_string(i)).end();
}

// Each status the exporter's protocol calls worth another attempt is tried again, the same
// request each time, until the server takes it.
TEST_P(HttpExport, RetryableStatusesAreRetried) {
  TestHttpServer server;
  std::vector<TestHttpServer::Reply> script;
  for (const char* status : GetParam().retried) script.push_back(reply(status, "", "Retry-After: 0\r\n"));
  script.push_back(ok());
  server.script(script);
  TracerProvider provider(options(server.port()));
  record(provider, 4);
  ASSERT_TRUE(provider.force_flush());
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported, 4u);
  EXPECT_EQ(s.requests_retried, GetParam().retried.size());
  EXPECT_EQ(s.requests_sent, 1u);
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), script.size());
  for (const std::string& r : requests) EXPECT_EQ(body_of(r), body_of(requests[0])) << "the same request, sent again";
}

// Any other status is permanent: the spans count as failed, and the diagnostic says what
// the server said, as its protocol words it.
TEST_P(HttpExport, AnyOtherStatusIsPermanentAndReportedWithTheServersMessage) {
  TestHttpServer server;
  server.set_reply(GetParam().bad_request());
  TracerProvider provider(options(server.port()));
  record(provider, 5);
  EXPECT_FALSE(provider.force_flush());
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_failed, 5u);
  EXPECT_EQ(s.requests_failed, 1u);
  EXPECT_EQ(s.requests_retried, 0u);
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string path = requests[0].substr(5, requests[0].find(' ', 5) - 5);  // "POST /path HTTP/1.1"
  const std::vector<std::string> failed = said.of(DiagnosticCode::kExportFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0], "5 spans to " + server.url(path) + " failed: HTTP 400: " + GetParam().message);
}

TEST_P(HttpExport, ASlowServerIsWaitedForNotRetried) {
  TestHttpServer server;
  TestHttpServer::Reply slow = ok();
  slow.delay = 300ms;
  server.set_reply(slow);
  TracerProvider provider(options(server.port()));
  record(provider, 2);
  ASSERT_TRUE(provider.force_flush(30s));
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported, 2u);
  EXPECT_EQ(s.requests_retried, 0u);
  EXPECT_EQ(server.requests().size(), 1u);
}

// A server that takes a request and never answers holds the sender, never the batcher: the
// batcher goes on mapping and queueing; past the queue's 16 requests, spans are dropped and
// counted at once, and shutdown counts the rest.
TEST_P(HttpExport, AStuckServerHoldsTheSenderNotTheBatcher) {
  TestHttpServer server;
  TestHttpServer::Reply never = ok();
  never.delay = 1h;
  server.set_reply(never);
  TracerProviderOptions o = options(server.port(), 1h);
  o.max_export_batch_size = 1;  // one request per span
  TracerProvider provider(o);
  record(provider, 1);
  EXPECT_FALSE(provider.force_flush(100ms));  // its request is out, unanswered
  const auto eventually = [](auto done) {
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (!done() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(1ms);
    return done();
  };
  ASSERT_TRUE(eventually([&] { return server.requests().size() == 1; }));

  record(provider, 40);  // 16 fill the queue, 24 find it full
  ASSERT_TRUE(eventually([&] { return provider.stats().spans_dropped_export_queue == 24; }))
      << provider.stats().spans_dropped_export_queue;
  EXPECT_FALSE(said.of(DiagnosticCode::kExportFailed).empty());

  EXPECT_FALSE(provider.shutdown(100ms));
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_ended, 41u);
  EXPECT_EQ(s.spans_failed, 17u);  // the one in flight and the 16 queued
  EXPECT_EQ(s.spans_dropped_export_queue, 24u);
  EXPECT_EQ(s.spans_exported, 0u);
}

TEST_P(HttpExport, ATruncatedAnswerIsRetried) {
  TestHttpServer server;
  const TestHttpServer::Reply truncated{"HTTP/1.1 " + std::string(GetParam().ok) +
                                        "\r\nContent-Length: 10\r\n\r\nabc"};  // then closes
  server.script({truncated, ok()});
  TracerProvider provider(options(server.port()));
  record(provider, 2);
  ASSERT_TRUE(provider.force_flush(30s));
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported, 2u);
  EXPECT_EQ(s.requests_retried, 1u);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_P(HttpExport, AServerThatClosesEveryConnectionIsReachedAgain) {
  TestHttpServer server;
  // Closes after each answer, unannounced.
  server.set_reply({"HTTP/1.1 " + std::string(GetParam().ok) + "\r\nContent-Length: 0\r\n\r\n"});
  TracerProvider provider(options(server.port()));
  for (int i = 0; i < 3; ++i) {
    record(provider, 1);
    ASSERT_TRUE(provider.force_flush()) << i;
  }
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported, 3u);
  EXPECT_EQ(s.requests_sent, 3u);
  EXPECT_EQ(s.requests_retried, 0u) << "a kept connection found closed is not a failed attempt";
  EXPECT_EQ(server.connections(), 3u);
}

TEST_P(HttpExport, NothingListeningFailsWithinTheTimeout) {
  const test::RefusingPort refusing(test::RefusingPort::Protocol::kTcp);  // bound, never listening
  ASSERT_TRUE(refusing.ok());
  const uint16_t closed_port = refusing.port();
  TracerProvider provider(options(closed_port, 300ms));
  record(provider, 2);
  EXPECT_FALSE(provider.force_flush(30s));
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_failed, 2u);
  EXPECT_EQ(s.requests_failed, 1u);
  EXPECT_EQ(s.spans_pending, 0u);
  const std::vector<std::string> failed = said.of(DiagnosticCode::kExportFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].find("failed: gave up after "), std::string::npos) << failed[0];
  EXPECT_NE(failed[0].find("Connection refused"), std::string::npos) << failed[0];
}

TEST_P(HttpExport, ShutdownDoesNotWaitPastItsTimeoutForASilentServer) {
  TestHttpServer server;
  TestHttpServer::Reply silent = ok();
  silent.delay = 1h;  // never answers while the test runs
  server.set_reply(silent);
  TracerProvider provider(options(server.port()));
  record(provider, 3);
  EXPECT_FALSE(provider.shutdown(200ms));  // returns: the request in flight is cancelled
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_failed, 3u);
  EXPECT_EQ(s.spans_ended, s.spans_failed);
}

INSTANTIATE_TEST_SUITE_P(, HttpExport, ::testing::Values(kOtlp, kJaeger, kZipkin),
                         [](const ::testing::TestParamInfo<HttpExporter>& exporter) { return exporter.param.name; });

}  // namespace
}  // namespace litetrace
