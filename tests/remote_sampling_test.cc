// Jaeger remote sampling: the JSON reader, the strategy format, the HTTP client, and the
// sampler polling a local server that serves good, changed, slow, truncated and malformed
// responses.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "litetrace/sampler.h"
#include "core/json_reader.h"
#include "sampling/sampling_strategy.h"
#include "support/http_server.h"
#include "support/refusing_port.h"
#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"
#include "litetrace/version.h"
#include "transport/http_client.h"

namespace litetrace {
namespace {

using detail::JsonValue;
using detail::SamplingStrategy;
using test::TestHttpServer;
using namespace std::chrono_literals;

// ---- JSON ----

TEST(JsonReader, ReadsEveryKindOfValue) {
  JsonValue v;
  std::string error;
  ASSERT_TRUE(detail::parse_json(
      R"( {"a": [1, -2.5e2, 0, true, false, null], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "o": {}, "e": []} )", v,
      &error))
      << error;
  ASSERT_TRUE(v.is(JsonValue::Type::kObject));
  const JsonValue* a = v.find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items().size(), 6u);
  EXPECT_EQ(a->items()[0].number(), 1);
  EXPECT_EQ(a->items()[1].number(), -250);
  EXPECT_TRUE(a->items()[3].boolean());
  EXPECT_TRUE(a->items()[5].is(JsonValue::Type::kNull));
  EXPECT_EQ(v.find("s")->string(), "x\"\\/\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_TRUE(v.find("o")->is(JsonValue::Type::kObject));
  EXPECT_EQ(v.find("missing"), nullptr);
  ASSERT_TRUE(detail::parse_json(R"({"k": 1, "k": 2})", v));
  EXPECT_EQ(v.find("k")->number(), 2) << "the last of a repeated key";
  ASSERT_TRUE(detail::parse_json("\"caf\xC3\xA9\"", v));
  EXPECT_EQ(v.string(), "caf\xC3\xA9");
}

TEST(JsonReader, RefusesWhatRfc8259Refuses) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "unexpected end of input"},
      {"{", "expected a string as object key"},
      {"{\"a\" 1}", "expected ':' after an object key"},
      {"{\"a\":1,}", "expected a string as object key"},
      {"[1,]", "invalid value"},
      {"[1 2]", "expected ',' or ']' in an array"},
      {"01", "leading zero in a number"},
      {"1.", "expected a digit after '.'"},
      {"1e", "expected a digit in the exponent"},
      {"+1", "invalid value"},
      {".5", "invalid value"},
      {"1e999", "number out of range"},
      {"tru", "invalid literal"},
      {"NaN", "invalid value"},
      {"\"a", "unterminated string"},
      {"\"\t\"", "control character in a string"},
      {"\"\\x\"", "invalid escape in a string"},
      {"\"\\u12zz\"", "invalid \\u escape"},
      {"\"\\u12", "truncated \\u escape"},
      {"\"\\ud83d\"", "unpaired surrogate in a \\u escape"},
      {"\"\\ude00\"", "unpaired surrogate in a \\u escape"},
      {"\"\xC3\"", "invalid UTF-8 in a string"},
      {"\"\xC0\xAF\"", "invalid UTF-8 in a string"},
      {"\"\xED\xA0\x80\"", "invalid UTF-8 in a string"},
      {"{} {}", "unexpected data after the JSON value"},
      {"// comment\n{}", "invalid value"},
      {std::string(100, '[') + std::string(100, ']'), "nested too deeply"},
  };
  for (const auto& [text, why] : bad) {
    JsonValue v;
    std::string error;
    EXPECT_FALSE(detail::parse_json(text, v, &error)) << text;
    EXPECT_NE(error.find(why), std::string::npos) << text << " -> " << error;
  }
  std::string error;
  JsonValue v;
  EXPECT_FALSE(detail::parse_json("[1, x]", v, &error));
  EXPECT_EQ(error, "at byte 4: invalid value");
}

// ---- the strategy format ----

SamplingStrategy strategy(const std::string& json) {
  SamplingStrategy s;
  std::string error;
  EXPECT_TRUE(detail::parse_sampling_strategy(json, s, &error)) << json << ": " << error;
  return s;
}

std::string strategy_error(const std::string& json) {
  SamplingStrategy s;
  std::string error;
  EXPECT_FALSE(detail::parse_sampling_strategy(json, s, &error)) << json;
  return error;
}

TEST(SamplingStrategy, BothFormsOfStrategyType) {
  SamplingStrategy s = strategy(R"({"strategyType": 0, "probabilisticSampling": {"samplingRate": 0.25}})");
  EXPECT_EQ(s.type, SamplingStrategy::Type::kProbabilistic);
  EXPECT_EQ(s.probability, 0.25);
  s = strategy(R"({"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 1}})");
  EXPECT_EQ(s.probability, 1);
  s = strategy(R"({"strategyType": 1, "rateLimitingSampling": {"maxTracesPerSecond": 5}})");
  EXPECT_EQ(s.type, SamplingStrategy::Type::kRateLimiting);
  EXPECT_EQ(s.max_traces_per_second, 5);
  s = strategy(R"({"strategyType": "RATE_LIMITING", "rateLimitingSampling": {"maxTracesPerSecond": 2.5}})");
  EXPECT_EQ(s.max_traces_per_second, 2.5);
  // No strategyType: the object present says it. proto3 JSON leaves zero values out.
  s = strategy(R"({"rateLimitingSampling": {"maxTracesPerSecond": 3}})");
  EXPECT_EQ(s.type, SamplingStrategy::Type::kRateLimiting);
  s = strategy(R"({"strategyType": "PROBABILISTIC", "probabilisticSampling": {}})");
  EXPECT_EQ(s.probability, 0);
  EXPECT_EQ(s.describe(), "probabilistic 0");
}

TEST(SamplingStrategy, PerOperationTakesPrecedence) {
  const SamplingStrategy s = strategy(R"({
    "strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 0.5},
    "operationSampling": {
      "defaultSamplingProbability": 0.1, "defaultLowerBoundTracesPerSecond": 0.5,
      "defaultUpperBoundTracesPerSecond": 10,
      "perOperationStrategies": [
        {"operation": "GET /a", "probabilisticSampling": {"samplingRate": 1}},
        {"operation": "GET /b", "probabilisticSampling": {}},
        {"operation": "GET /c"}]}})");
  EXPECT_EQ(s.type, SamplingStrategy::Type::kPerOperation);
  EXPECT_EQ(s.default_probability, 0.1);
  EXPECT_EQ(s.default_lower_bound, 0.5);
  ASSERT_EQ(s.operations.size(), 3u);
  EXPECT_EQ(s.operations[0].operation, "GET /a");
  EXPECT_EQ(s.operations[0].probability, 1);
  EXPECT_EQ(s.operations[1].probability, 0);
  EXPECT_EQ(s.operations[2].probability, 0.1) << "no probabilistic object: the default";
  EXPECT_EQ(s.describe(), "per-operation (3 operations, default 0.1, lower bound 0.5/s)");
}

TEST(SamplingStrategy, RefusesWhatItCannotUse) {
  EXPECT_EQ(strategy_error("[]"), "not a JSON object");
  EXPECT_EQ(strategy_error("{\"strategyType\": 0"), "not JSON: at byte 18: unterminated object");
  EXPECT_EQ(strategy_error("{}"), "no strategyType and no strategy object");
  EXPECT_EQ(strategy_error(R"({"strategyType": 2, "probabilisticSampling": {"samplingRate": 1}})"), "unknown strategyType");
  EXPECT_EQ(strategy_error(R"({"strategyType": "ADAPTIVE"})"), "unknown strategyType");
  EXPECT_EQ(strategy_error(R"({"strategyType": 0})"), "strategyType PROBABILISTIC without probabilisticSampling");
  EXPECT_EQ(strategy_error(R"({"strategyType": 1})"), "strategyType RATE_LIMITING without rateLimitingSampling");
  EXPECT_EQ(strategy_error(R"({"probabilisticSampling": {"samplingRate": 1.5}})"), "samplingRate 1.5 is not in [0, 1]");
  EXPECT_EQ(strategy_error(R"({"probabilisticSampling": {"samplingRate": "0.5"}})"), "samplingRate is not a number");
  EXPECT_EQ(strategy_error(R"({"rateLimitingSampling": {"maxTracesPerSecond": -1}})"), "maxTracesPerSecond -1 is negative");
  EXPECT_EQ(strategy_error(R"({"probabilisticSampling": 1})"), "probabilisticSampling is not an object");
  EXPECT_EQ(strategy_error(R"({"operationSampling": {"perOperationStrategies": [{"operation": ""}]}})"),
            "a per-operation strategy has no operation name");
  EXPECT_EQ(strategy_error(R"({"operationSampling": {"perOperationStrategies": {}}})"),
            "perOperationStrategies is not an array");
}

// ---- HTTP ----

TEST(HttpClient, ParsesUrls) {
  detail::HttpUrl u;
  std::string error;
  ASSERT_TRUE(detail::parse_http_url("http://agent:5778/sampling?service=a", u, &error));
  EXPECT_EQ(u.host, "agent");
  EXPECT_EQ(u.port, 5778);
  EXPECT_EQ(u.target, "/sampling?service=a");
  ASSERT_TRUE(detail::parse_http_url("http://agent", u, &error));
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  ASSERT_TRUE(detail::parse_http_url("http://[::1]:9/x", u, &error));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9);
  ASSERT_TRUE(detail::parse_http_url("http://h?q=1", u, &error));
  EXPECT_EQ(u.target, "/?q=1");
  for (const char* bad : {"https://agent/", "agent:5778", "http://", "http://:80/", "http://h:0/", "http://h:65536/",
                          "http://h:/", "http://h:x/", "http://[::1/", "http://[::1]x/"}) {
    EXPECT_FALSE(detail::parse_http_url(bad, u, &error)) << bad;
  }
}

struct Fetch {
  bool ok;
  detail::HttpResponse response;
  std::string error;
};

// 100 kB of trailer lines, more than any response should carry.
std::string endless_trailers() {
  std::string t;
  while (t.size() < 100000) t += "X-Trailer: " + std::string(40, 't') + "\r\n";
  return t;
}

Fetch fetch(const TestHttpServer& server, detail::HttpOptions options = {}) {
  detail::HttpUrl url;
  std::string error;
  EXPECT_TRUE(detail::parse_http_url(server.url("/sampling?service=svc"), url, &error));
  Fetch f;
  f.ok = detail::http_get(url, options, f.response, &f.error);
  return f;
}

TEST(HttpClient, BodiesByLengthChunkedAndClose) {
  TestHttpServer server;
  server.set_reply(TestHttpServer::ok_json("{\"a\":1}"));
  Fetch f = fetch(server);
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.response.status, 200);
  EXPECT_EQ(f.response.body, "{\"a\":1}");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].rfind("GET /sampling?service=svc HTTP/1.1\r\n", 0), 0u) << requests[0];
  EXPECT_NE(requests[0].find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos);
  EXPECT_NE(requests[0].find("\r\nConnection: close\r\n"), std::string::npos);

  server.set_reply({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n3\r\nefg\r\n0\r\nX-T: 1\r\n\r\n"});
  f = fetch(server);
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.response.body, "abcdefg");

  server.set_reply({"HTTP/1.0 200 OK\r\n\r\nuntil the end"});
  f = fetch(server);
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.response.body, "until the end");

  // A complete Content-Length body is enough; the client does not wait for the close.
  server.set_reply({"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", 0ms, 30s});
  detail::HttpOptions patient;
  patient.read_timeout = 10s;
  f = fetch(server, patient);
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.response.body, "ok");

  server.set_reply({"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"});
  f = fetch(server);
  ASSERT_TRUE(f.ok) << "a complete response with any status";
  EXPECT_EQ(f.response.status, 404);
}

TEST(HttpClient, BrokenResponsesAreErrors) {
  TestHttpServer server;
  const std::vector<std::pair<TestHttpServer::Reply, std::string>> cases = {
      {{"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this"}, "truncated response: 9 of 50 body bytes"},
      {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"}, "connection closed in a chunked body"},
      {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}, "malformed chunk size"},
      {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"}, "unsupported Transfer-Encoding: gzip"},
      {{"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"}, "malformed Content-Length"},
      {{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"}, "conflicting Content-Length headers"},
      {{"HTTP/1.1 200 OK\r\nbad header\r\n\r\n"}, "malformed header line"},
      {{"SMTP ready\r\n\r\n"}, "malformed status line"},
      {{"HTTP/1.1 2000 OK\r\n\r\n"}, "malformed status line"},
      {{"HTTP/1.1 200 OK\r\nContent-Le"}, "connection closed in the response header"},
      {{""}, "connection closed before a response"},
      {{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"}, "response body larger than 64 bytes"},
      {{"HTTP/1.1 200 OK\r\n\r\n" + std::string(100, 'x')}, "response body larger than 64 bytes"},
  };
  detail::HttpOptions small;
  small.max_body = 64;
  for (const auto& [reply, why] : cases) {
    server.set_reply(reply);
    const Fetch f = fetch(server, small);
    EXPECT_FALSE(f.ok) << reply.bytes;
    EXPECT_EQ(f.error, why) << reply.bytes;
  }
}

// A server that never stops sending one part of a response: the client stops at that
// part's cap with an error naming it, however long the server would go on (each reply is
// held open for an hour, so only the cap can end the read).
TEST(HttpClient, EveryPartOfAResponseIsCapped) {
  TestHttpServer server;
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string many_headers = "HTTP/1.1 200 OK\r\n";
  while (many_headers.size() < 100000) many_headers += "X-Padding: " + std::string(50, 'p') + "\r\n";
  const std::vector<std::pair<TestHttpServer::Reply, std::string>> cases = {
      {{chunked + "0\r\n" + endless_trailers(), 0ms, 1h}, "response trailers larger than 16384 bytes"},
      {{many_headers, 0ms, 1h}, "response header larger than 16384 bytes"},
      {{"HTTP/1.1 200 " + std::string(100000, 'r'), 0ms, 1h}, "response header larger than 16384 bytes"},
      {{chunked + "1;" + std::string(5000, 'e'), 0ms, 1h}, "malformed chunk size"},
      {{chunked + "1\r\nx" + std::string(5000, 'y'), 0ms, 1h}, "malformed chunk"},
      {{chunked + "40\r\n" + std::string(64, 'b') + "\r\n1\r\nb\r\n", 0ms, 1h},
       "response body larger than 64 bytes"},
      {{"HTTP/1.1 200 OK\r\n\r\n" + std::string(100000, 'c'), 0ms, 1h}, "response body larger than 64 bytes"},
  };
  detail::HttpOptions small;
  small.max_body = 64;
  small.read_timeout = 1h;
  for (const auto& [reply, why] : cases) {
    server.set_reply(reply);
    const Fetch f = fetch(server, small);
    EXPECT_FALSE(f.ok) << why;
    EXPECT_EQ(f.error, why);
  }
  // At the caps exactly, and with bare LF line endings (RFC 9112 lets a recipient accept
  // them): complete responses.
  std::string head_at_cap = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n";
  head_at_cap += "X-Pad: " + std::string(16384 - head_at_cap.size() - 9 - 2, 'p') + "\r\n\r\n";
  server.set_reply({head_at_cap + "ok"});
  Fetch f = fetch(server, small);
  EXPECT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.response.body, "ok");
  server.set_reply({"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"});
  f = fetch(server, small);
  EXPECT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.response.body, "ok");
  server.set_reply({chunked + "40\r\n" + std::string(64, 'b') + "\r\n0\r\nX-T: 1\r\n\r\n"});
  f = fetch(server, small);
  EXPECT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.response.body.size(), 64u);
}

TEST(HttpClient, TimeoutsCancellationAndRefusal) {
  TestHttpServer server;
  server.set_reply({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 5s});
  detail::HttpOptions quick;
  quick.read_timeout = 200ms;
  Fetch f = fetch(server, quick);
  EXPECT_FALSE(f.ok);
  EXPECT_EQ(f.error, "timed out waiting for the response");

  std::atomic<bool> cancel{true};
  detail::HttpOptions cancelled;
  cancelled.cancel = &cancel;
  f = fetch(server, cancelled);
  EXPECT_FALSE(f.ok);
  EXPECT_EQ(f.error, "cancelled");

  const test::RefusingPort refusing(test::RefusingPort::Protocol::kTcp);
  ASSERT_TRUE(refusing.ok());
  const uint16_t closed_port = refusing.port();
  detail::HttpUrl url;
  std::string error;
  ASSERT_TRUE(detail::parse_http_url("http://127.0.0.1:" + std::to_string(closed_port) + "/", url, &error));
  detail::HttpResponse response;
  EXPECT_FALSE(detail::http_get(url, {}, response, &error));
  EXPECT_EQ(error, "connect: Connection refused");
  ASSERT_TRUE(detail::parse_http_url("http://no-such-host.invalid/", url, &error));
  EXPECT_FALSE(detail::http_get(url, {}, response, &error));
  EXPECT_EQ(error.rfind("cannot resolve no-such-host.invalid: ", 0), 0u) << error;
}

// ---- POST and keep-alive, for the HTTP exporters ----

detail::HttpUrl url_of(const TestHttpServer& server, const std::string& path) {
  detail::HttpUrl url;
  std::string error;
  EXPECT_TRUE(detail::parse_http_url(server.url(path), url, &error)) << error;
  return url;
}

TEST(HttpClient, PostsABodyWithItsLengthAndHeaders) {
  TestHttpServer server;
  server.set_reply({"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 3\r\n\r\nabc"});
  detail::HttpConnection connection(url_of(server, "/v1/traces"), {});
  const detail::HttpHeader headers[] = {{"Content-Type", "application/x-protobuf"}, {"X-Key", "v 1"}};
  const std::string body("\x0a\x00\xff binary", 10);
  detail::HttpResponse response;
  std::string error;
  ASSERT_TRUE(connection.request("POST", detail::slice_of(headers), body, response, &error)) << error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "abc");
  EXPECT_EQ(response.content_type, "application/x-protobuf");
  const std::vector<std::string> got = server.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                        "\r\nUser-Agent: litetrace-cpp/" LITETRACE_VERSION_STRING
                        "\r\nContent-Length: 10\r\nContent-Type: application/x-protobuf\r\nX-Key: v 1\r\n\r\n" +
                        body);
  // An empty POST still says its length.
  ASSERT_TRUE(connection.request("POST", {}, {}, response, &error)) << error;
  EXPECT_NE(server.requests().back().find("\r\nContent-Length: 0\r\n"), std::string::npos);
}

TEST(HttpClient, KeepsTheConnectionWhileTheServerDoes) {
  TestHttpServer server;
  TestHttpServer::Reply reply{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
  reply.keep_alive = true;
  server.set_reply(reply);
  detail::HttpConnection connection(url_of(server, "/v1/traces"), {});
  detail::HttpResponse response;
  std::string error;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(connection.request("POST", {}, "x" + std::to_string(i), response, &error)) << error;
    EXPECT_EQ(response.body, "ok");
  }
  EXPECT_EQ(connection.connects(), 1u);
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_TRUE(connection.connected());

  // "Connection: close", and a body that ends with the connection, end it.
  reply.bytes = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
  server.set_reply(reply);
  ASSERT_TRUE(connection.request("POST", {}, "y", response, &error)) << error;
  EXPECT_FALSE(connection.connected());
  reply = {"HTTP/1.1 200 OK\r\n\r\nto the end"};
  server.set_reply(reply);
  ASSERT_TRUE(connection.request("POST", {}, "z", response, &error)) << error;
  EXPECT_EQ(response.body, "to the end");
  EXPECT_FALSE(connection.connected());
  EXPECT_EQ(connection.connects(), 2u);
}

TEST(HttpClient, AConnectionTheServerClosedWhileIdleIsMadeAgain) {
  TestHttpServer server;
  // Says nothing of closing, then closes after each response, as an idle timeout would.
  server.set_reply({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"});
  detail::HttpConnection connection(url_of(server, "/v1/traces"), {});
  detail::HttpResponse response;
  std::string error;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(connection.request("POST", {}, "span batch", response, &error)) << i << ": " << error;
    EXPECT_EQ(response.status, 200);
  }
  EXPECT_EQ(connection.connects(), 3u);
  EXPECT_EQ(server.requests().size(), 3u) << "each request arrived once";
}

TEST(HttpClient, StatusesWithoutABodyInterimResponsesAndRetryAfter) {
  TestHttpServer server;
  TestHttpServer::Reply reply{"HTTP/1.1 204 No Content\r\n\r\n"};
  reply.keep_alive = true;
  reply.hold_open = std::chrono::hours(1);  // a 204 must not wait for the connection to end
  server.set_reply(reply);
  detail::HttpConnection connection(url_of(server, "/"), {});
  detail::HttpResponse response;
  std::string error;
  ASSERT_TRUE(connection.request("POST", {}, "a", response, &error)) << error;
  EXPECT_EQ(response.status, 204);
  EXPECT_TRUE(connection.connected());

  reply.bytes = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\n"
                "Content-Length: 4\r\n\r\nbusy";
  server.set_reply(reply);
  ASSERT_TRUE(connection.request("POST", {}, "b", response, &error)) << error;
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.retry_after, "7");
  EXPECT_EQ(response.body, "busy");
  EXPECT_EQ(connection.connects(), 1u);
}

TEST(HttpClient, AHangingNameLookupIsBoundedAndCancellable) {
  // A resolver that hangs until the test ends it; its state outlives the lookups it serves.
  struct Gate {
    std::atomic<bool> open{false};
    std::atomic<int> finished{0};
  };
  auto gate = std::make_shared<Gate>();
  detail::HttpOptions o;
  o.resolver = [gate](const std::string&, uint16_t, std::vector<detail::SocketAddress>*, std::string* error) {
    while (!gate->open) std::this_thread::sleep_for(1ms);
    *error = "fake: no such host";
    ++gate->finished;
    return false;
  };
  o.connect_timeout = 100ms;
  detail::HttpUrl url;
  std::string error;
  ASSERT_TRUE(detail::parse_http_url("http://sampling.example:5778/sampling", url, &error));
  detail::HttpResponse response;
  EXPECT_FALSE(detail::http_get(url, o, response, &error));  // returns although the lookup hangs
  EXPECT_EQ(error, "cannot resolve sampling.example: no answer within 100 ms");

  std::atomic<bool> cancel{true};
  o.connect_timeout = std::chrono::hours(1);
  o.cancel = &cancel;
  EXPECT_FALSE(detail::http_get(url, o, response, &error));
  EXPECT_EQ(error, "cancelled");

  EXPECT_EQ(gate->finished, 0);
  gate->open = true;  // both abandoned lookups end on their own
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (gate->finished < 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(gate->finished, 2);
}

// ---- the sampler ----

struct Diagnostics {
  std::mutex mutex;
  std::vector<std::pair<DiagnosticCode, std::string>> seen;

  DiagnosticCallback callback() {
    return [this](const Diagnostic& d) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.emplace_back(d.code, std::string(d.message));
    };
  }
  std::string last(DiagnosticCode code) {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
      if (it->first == code) return it->second;
    }
    return "";
  }
  size_t count(DiagnosticCode code) {
    std::lock_guard<std::mutex> lock(mutex);
    size_t n = 0;
    for (const auto& d : seen) n += d.first == code ? 1 : 0;
    return n;
  }
};

JaegerRemoteSamplerOptions sampler_options(const TestHttpServer& server, Diagnostics& diagnostics) {
  JaegerRemoteSamplerOptions o;
  o.service_name = "my service";
  o.endpoint = server.url();
  o.polling_interval = 1h;  // the tests poll with poll_now()
  // Far above what a loaded machine needs for a local answer; the one test of a silent
  // server pays it twice.
  o.read_timeout = 2s;
  o.on_diagnostic = diagnostics.callback();
  return o;
}

SamplingResult decide(Sampler& s, std::string_view name, uint64_t trace_low) {
  const SpanContext none;
  const TraceId id{0, trace_low};
  return s.should_sample({none, id, name, SpanKind::kServer});
}

constexpr uint64_t kLowId = 1;                     // sampled by any probability > 0
constexpr uint64_t kHighId = 0x7ffffffffffffff0u;  // sampled only near probability 1

TEST(JaegerRemoteSampler, StartsWithTheInitialRateAndFollowsTheServer) {
  TestHttpServer server;
  Diagnostics diagnostics;
  server.set_reply({"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"});
  JaegerRemoteSampler sampler(sampler_options(server, diagnostics));
  EXPECT_FALSE(sampler.poll_now());
  SamplingResult r = decide(sampler, "op", kHighId);
  EXPECT_FALSE(r.sampled);
  EXPECT_EQ(r.type, SamplerType::kProbabilistic);
  EXPECT_EQ(r.param, 0.001) << "the initial rate";
  EXPECT_NE(diagnostics.last(DiagnosticCode::kSamplingStrategyFailed).find("answered HTTP 503: busy"),
            std::string::npos);
  const std::vector<std::string> requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().rfind("GET /sampling?service=my%20service HTTP/1.1", 0), 0u) << requests.back();

  server.set_reply(TestHttpServer::ok_json(R"({"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}})"));
  ASSERT_TRUE(sampler.poll_now());
  r = decide(sampler, "op", kHighId);
  EXPECT_TRUE(r.sampled);
  EXPECT_EQ(r.param, 1);
  EXPECT_EQ(diagnostics.last(DiagnosticCode::kSamplingStrategyChanged),
            "sampling strategy for service my service: probabilistic 1");
  EXPECT_NE(sampler.description().find("strategy=probabilistic 1"), std::string::npos) << sampler.description();

  // Changed: rate limiting, 2 a second (a bucket of 2).
  server.set_reply(TestHttpServer::ok_json(R"({"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":2}})"));
  ASSERT_TRUE(sampler.poll_now());
  int sampled = 0;
  for (int i = 0; i < 50; ++i) sampled += decide(sampler, "op", kLowId).sampled ? 1 : 0;
  EXPECT_GE(sampled, 2);
  EXPECT_LE(sampled, 4) << "2 in the bucket, and a slow machine may earn one or two more";
  r = decide(sampler, "op", kLowId);
  EXPECT_EQ(r.type, SamplerType::kRateLimiting);
  EXPECT_EQ(r.param, 2);

  // The same strategy again is no change.
  const uint64_t changes = sampler.stats().changes;
  ASSERT_TRUE(sampler.poll_now());
  EXPECT_EQ(sampler.stats().changes, changes);
}

TEST(JaegerRemoteSampler, WithoutAServiceNameItWaitsForTheProvidersName) {
  TestHttpServer server;
  Diagnostics own;
  Diagnostics providers;
  server.set_reply(TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":)"));
  JaegerRemoteSamplerOptions o = sampler_options(server, own);
  o.service_name.clear();
  o.on_diagnostic = nullptr;
  JaegerRemoteSampler sampler(o);
  EXPECT_FALSE(sampler.poll_now(1min)) << "no name yet: false at once, no request";
  EXPECT_TRUE(server.requests().empty());
  EXPECT_NE(sampler.description().find("service=(the provider's)"), std::string::npos) << sampler.description();
  EXPECT_EQ(decide(sampler, "op", kHighId).param, 0.001) << "the initial rate meanwhile";

  sampler.attach("late service", providers.callback());
  EXPECT_FALSE(sampler.poll_now()) << "malformed";
  std::vector<std::string> requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().rfind("GET /sampling?service=late%20service HTTP/1.1", 0), 0u) << requests.back();
  EXPECT_EQ(providers.count(DiagnosticCode::kSamplingStrategyFailed), 1u) << "reported to the provider's callback";

  sampler.attach("another provider", nullptr);  // the first one counts
  server.set_reply(TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":1}})"));
  ASSERT_TRUE(sampler.poll_now());
  requests = server.requests();
  EXPECT_EQ(requests.back().rfind("GET /sampling?service=late%20service HTTP/1.1", 0), 0u) << requests.back();
  EXPECT_EQ(providers.last(DiagnosticCode::kSamplingStrategyChanged),
            "sampling strategy for service late service: probabilistic 1");
}

// A sampler given a name keeps its own callback: the provider's name and callback do not
// replace them.
TEST(JaegerRemoteSampler, ANamedSamplerKeepsItsNameAndCallback) {
  TestHttpServer server;
  Diagnostics own;
  Diagnostics providers;
  server.set_reply(TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":1}})"));
  JaegerRemoteSampler sampler(sampler_options(server, own));
  sampler.attach("provider", providers.callback());
  ASSERT_TRUE(sampler.poll_now());
  EXPECT_EQ(server.requests().back().rfind("GET /sampling?service=my%20service HTTP/1.1", 0), 0u);
  EXPECT_EQ(own.count(DiagnosticCode::kSamplingStrategyChanged), 1u);
  EXPECT_EQ(providers.count(DiagnosticCode::kSamplingStrategyChanged), 0u);
}

TEST(JaegerRemoteSampler, BadResponsesKeepTheLastGoodStrategy) {
  TestHttpServer server;
  const auto good = TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":1}})");
  const std::vector<std::pair<TestHttpServer::Reply, std::string>> bad = {
      {TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":)"),
       "malformed sampling strategy from"},
      {TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":7}})"),
       "samplingRate 7 is not in [0, 1]"},
      {{"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"strategyType\":0"}, "truncated response"},
      {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 1h}, "timed out waiting for the response"},
      {{"garbage\r\n\r\n"}, "malformed status line"},
      {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + endless_trailers(), 0ms, 1h},
       "response trailers larger than 16384 bytes"},
  };
  // A sampler per case: the same kind of diagnostic is reported at most once a second.
  for (const auto& [reply, why] : bad) {
    Diagnostics diagnostics;
    server.set_reply(good);
    JaegerRemoteSampler sampler(sampler_options(server, diagnostics));
    ASSERT_TRUE(sampler.poll_now());
    server.set_reply(reply);
    EXPECT_FALSE(sampler.poll_now()) << why;
    EXPECT_FALSE(sampler.poll_now()) << why;
    const std::string message = diagnostics.last(DiagnosticCode::kSamplingStrategyFailed);
    EXPECT_NE(message.find(why), std::string::npos) << message;
    EXPECT_NE(message.find("; keeping probabilistic 1"), std::string::npos) << message;
    const SamplingResult r = decide(sampler, "op", kHighId);
    EXPECT_TRUE(r.sampled) << why;
    EXPECT_EQ(r.param, 1) << why;
    const JaegerRemoteSampler::Stats stats = sampler.stats();
    EXPECT_EQ(stats.failures, 2u);
    EXPECT_EQ(stats.changes, 1u);

    server.set_reply(TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":0}})"));
    ASSERT_TRUE(sampler.poll_now()) << "good again";
    EXPECT_FALSE(decide(sampler, "op", kLowId).sampled);
  }
}

TEST(JaegerRemoteSampler, PerOperationWithLowerBoundAndTheOperationCap) {
  TestHttpServer server;
  Diagnostics diagnostics;
  server.set_reply(TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":0},
    "operationSampling":{"defaultSamplingProbability":0,"defaultLowerBoundTracesPerSecond":1,
      "perOperationStrategies":[
        {"operation":"always","probabilisticSampling":{"samplingRate":1}},
        {"operation":"half","probabilisticSampling":{"samplingRate":0.5}},
        {"operation":"over the cap","probabilisticSampling":{"samplingRate":1}}]}})"));
  JaegerRemoteSamplerOptions o = sampler_options(server, diagnostics);
  o.max_operations = 2;
  JaegerRemoteSampler sampler(o);
  ASSERT_TRUE(sampler.poll_now());
  EXPECT_NE(diagnostics.last(DiagnosticCode::kSamplingStrategyChanged)
                .find("per-operation (3 operations, default 0, lower bound 1/s); 1 operations over the limit of 2 use "
                      "the defaults"),
            std::string::npos)
      << diagnostics.last(DiagnosticCode::kSamplingStrategyChanged);

  SamplingResult r = decide(sampler, "always", kHighId);
  EXPECT_TRUE(r.sampled);
  EXPECT_EQ(r.type, SamplerType::kProbabilistic);
  EXPECT_EQ(r.param, 1);
  // Probability 0.5 says no to this id: the lower bound (1 a second) lets one through,
  // then says no.
  r = decide(sampler, "half", kHighId);
  EXPECT_TRUE(r.sampled);
  EXPECT_EQ(r.type, SamplerType::kLowerBound);
  EXPECT_EQ(r.param, 0.5);
  r = decide(sampler, "half", kHighId);
  EXPECT_FALSE(r.sampled);
  EXPECT_EQ(r.type, SamplerType::kLowerBound);
  // What the probability samples needs no credit.
  r = decide(sampler, "half", kLowId);
  EXPECT_TRUE(r.sampled);
  EXPECT_EQ(r.type, SamplerType::kProbabilistic);
  EXPECT_EQ(r.param, 0.5);

  // No room for more operations: the defaults (probability 0, a shared lower bound).
  r = decide(sampler, "over the cap", kHighId);
  EXPECT_EQ(r.param, 0);
  r = decide(sampler, "a new operation", kHighId);
  EXPECT_EQ(r.param, 0);
}

// Application threads meeting new operations while the poller rewrites the strategy: the
// table and the atomics under ThreadSanitizer (CI runs this under TSan).
TEST(JaegerRemoteSampler, DecisionsRaceStrategyUpdatesSafely) {
  TestHttpServer server;
  Diagnostics diagnostics;
  const auto per_operation = [](double p) {
    return TestHttpServer::ok_json(
        R"({"operationSampling":{"defaultSamplingProbability":0,"defaultLowerBoundTracesPerSecond":0,
            "perOperationStrategies":[{"operation":"op1","probabilisticSampling":{"samplingRate":)" +
        std::to_string(p) + "}}]}}");
  };
  server.set_reply(per_operation(1));
  JaegerRemoteSamplerOptions o = sampler_options(server, diagnostics);
  o.max_operations = 50;
  JaegerRemoteSampler sampler(o);
  ASSERT_TRUE(sampler.poll_now());
  // Invariants, whatever the interleaving: op1 always gets one of the two rates the server
  // sent, every other operation the default; the deciders run until they have made decisions
  // across all the polls (waited for, not assumed).
  std::atomic<bool> done{false};
  std::atomic<uint64_t> decisions{0};
  std::atomic<uint64_t> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; !done.load(); ++i) {
        const std::string name = "op" + std::to_string((i * 7 + static_cast<uint64_t>(t)) % 80);
        const SamplingResult r = decide(sampler, name, kLowId);
        const bool ok = name == "op1" ? (r.param == 1 || r.param == 0.5) : r.param == 0;
        if (!ok) ++wrong;
        ++decisions;
      }
    });
  }
  const auto wait_for_decisions = [&](uint64_t more) {
    const uint64_t target = decisions.load() + more;
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (decisions.load() < target && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(1ms);
    EXPECT_GE(decisions.load(), target) << "the deciding threads did not run";
  };
  for (int i = 0; i < 20; ++i) {
    server.set_reply(per_operation(i % 2 == 0 ? 0.5 : 1));
    EXPECT_TRUE(sampler.poll_now());
    wait_for_decisions(100);
  }
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(decide(sampler, "op1", kLowId).param, 1);
  EXPECT_EQ(decide(sampler, "op1000", kLowId).param, 0) << "an operation the strategy does not name: the defaults";
}

// A fork() child has no poller thread: it keeps deciding by the strategy it inherited, and
// destroying the sampler there neither joins the parent's thread nor waits for its lock.
TEST(JaegerRemoteSampler, AForkChildKeepsTheStrategyAndExitsCleanly) {
  TestHttpServer server;
  Diagnostics diagnostics;
  server.set_reply(TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":1}})"));
  auto sampler = std::make_unique<JaegerRemoteSampler>(sampler_options(server, diagnostics));
  ASSERT_TRUE(sampler->poll_now());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const bool ok = decide(*sampler, "op", kHighId).sampled;
    sampler.reset();
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(sampler->poll_now()) << "the parent's poller goes on";
}

// Destroying the sampler does not wait long for a poller stuck outside its control (here a
// diagnostic callback that does not return; in life, a name lookup without a timeout).
TEST(JaegerRemoteSampler, DestructionDoesNotWaitForAStuckPoller) {
  TestHttpServer server;
  server.set_reply({"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"});
  // The callback holds the poller until the test lets it go (or a minute passes), so
  // "still stuck when the destructor returned" does not depend on how fast anything runs.
  auto entered = std::make_shared<std::atomic<bool>>(false);
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  JaegerRemoteSamplerOptions o;
  o.service_name = "svc";
  o.endpoint = server.url();
  o.polling_interval = 1h;
  o.on_diagnostic = [entered, release, finished](const Diagnostic&) {
    *entered = true;
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (!release->load() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
    *finished = true;
  };
  auto sampler = std::make_unique<JaegerRemoteSampler>(o);
  while (!entered->load()) std::this_thread::sleep_for(5ms);
  sampler.reset();
  EXPECT_FALSE(finished->load()) << "the destructor waited for the callback";
  *release = true;
  while (!finished->load()) std::this_thread::sleep_for(5ms);  // the callback owns nothing of ours
}

TEST(JaegerRemoteSampler, UnreachableServerIsReportedNeverFatal) {
  Diagnostics diagnostics;
  JaegerRemoteSamplerOptions o;
  o.service_name = "svc";
  o.endpoint = "ftp://agent/sampling";
  o.polling_interval = 1h;
  o.on_diagnostic = diagnostics.callback();
  JaegerRemoteSampler sampler(o);
  EXPECT_FALSE(sampler.poll_now());
  EXPECT_NE(diagnostics.last(DiagnosticCode::kSamplingStrategyFailed).find("only http:// URLs are supported"),
            std::string::npos);
  EXPECT_EQ(decide(sampler, "op", kLowId).param, 0.001);
}

TEST(JaegerRemoteSampler, RootSpansCarryTheServedStrategy) {
  TestHttpServer server;
  Diagnostics diagnostics;
  server.set_reply(TestHttpServer::ok_json(R"({"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}})"));
  auto sampler = std::make_shared<JaegerRemoteSampler>(sampler_options(server, diagnostics));
  ASSERT_TRUE(sampler->poll_now());
  test::UdpReceiver receiver;
  TracerProviderOptions po = test::options_for(receiver);
  po.sampler = std::make_shared<ParentBasedSampler>(sampler);
  TracerProvider provider(po);
  {
    Tracer tracer = provider.tracer("");
    Span root = tracer.start_span("root");
    EXPECT_TRUE(root.is_recording());
  }
  ASSERT_TRUE(provider.force_flush());
  test::Arrived got;
  got.decode(test::sent_by(provider, receiver));
  ASSERT_EQ(got.spans.size(), 1u);
  EXPECT_EQ(test::find_tag(*got.spans[0], "sampler.type")->str, "probabilistic");
  EXPECT_EQ(test::find_tag(*got.spans[0], "sampler.param")->vdouble, 1.0);
}

}  // namespace
}  // namespace litetrace
