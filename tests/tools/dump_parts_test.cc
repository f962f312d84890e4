// litetrace-dump's HTTP side, piece by piece: the HTTP request parser (every place a
// request can be cut between two reads, every way it can be malformed), the OTLP request
// decoder (protobuf and JSON agree; what each front end must accept and refuse) and the
// Zipkin v2 decoder (what Jaeger's Zipkin receiver makes of each field).

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "jaeger/span_printer.h"
#include "http_request.h"
#include "otlp/otlp_encoder.h"
#include "otlp/otlp_json.h"
#include "otlp_request.h"
#include "zipkin_request.h"

namespace litetrace::tools {
namespace {

HttpParse parse(std::string_view input, HttpRequest& r, size_t& consumed, int& status, std::string& error,
                HttpParseLimits limits = {}) {
  return parse_http_request(input, limits, r, consumed, status, error);
}

const std::string kChunked =
    "POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    "5;name=value\r\nhello\r\n"
    "A\r\n, chunked!\r\n"
    "0\r\nTrailer-One: 1\r\n\r\n";

TEST(HttpRequestParser, AChunkedRequestCutAnywhereIsIncompleteUntilItsLastByte) {
  for (size_t cut = 0; cut <= kChunked.size(); ++cut) {
    HttpRequest r;
    size_t consumed = 0;
    int status = 0;
    std::string error;
    const HttpParse p = parse(std::string_view(kChunked).substr(0, cut), r, consumed, status, error);
    const size_t head = kChunked.find("\r\n\r\n") + 4;
    if (cut == kChunked.size()) {
      ASSERT_EQ(p, HttpParse::kComplete) << error;
      EXPECT_EQ(r.body, "hello, chunked!");
      EXPECT_EQ(consumed, kChunked.size());
      EXPECT_EQ(r.method, "POST");
      EXPECT_EQ(r.target, "/v1/traces");
      EXPECT_TRUE(r.keep_alive);
      EXPECT_TRUE(r.expects_continue);
      EXPECT_EQ(r.header("host"), "x");
    } else {
      ASSERT_EQ(p, cut < head ? HttpParse::kIncomplete : HttpParse::kHeadComplete) << "cut at " << cut << ": " << error;
    }
  }
}

TEST(HttpRequestParser, PipelinedRequestsAreTakenOneAtATime) {
  const std::string two = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + kChunked;
  HttpRequest r;
  size_t consumed = 0;
  int status = 0;
  std::string error;
  ASSERT_EQ(parse(two, r, consumed, status, error), HttpParse::kComplete);
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(r.target, "/a");
  ASSERT_EQ(parse(std::string_view(two).substr(consumed), r, consumed, status, error), HttpParse::kComplete);
  EXPECT_EQ(r.body, "hello, chunked!");
}

TEST(HttpRequestParser, ConnectionPersistenceFollowsTheVersionAndTheHeader) {
  const struct {
    const char* head;
    bool keep_alive;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
  };
  for (const auto& c : cases) {
    HttpRequest r;
    size_t consumed = 0;
    int status = 0;
    std::string error;
    ASSERT_EQ(parse(c.head, r, consumed, status, error), HttpParse::kComplete) << c.head;
    EXPECT_EQ(r.keep_alive, c.keep_alive) << c.head;
    EXPECT_TRUE(r.body.empty());
  }
}

TEST(HttpRequestParser, MalformedRequestsGetTheStatusThatSaysWhy) {
  HttpParseLimits small;
  small.max_head = 100;
  small.max_body = 10;
  const struct {
    std::string request;
    int status;
    const char* says;
  } cases[] = {
      {"POST /v1/traces\r\n\r\n", 400, "bad request line"},
      {"POST  /v1/traces HTTP/1.1\r\n\r\n", 400, "bad request line"},
      {"POST /v1/traces HTTP/2.0\r\n\r\n", 505, "not supported"},
      {"POST / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "bad header line"},
      {"POST / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", 400, "folding"},
      {"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "bad Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "bad Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "both"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "not supported"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad chunk size"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400, "longer than its size"},
      {"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413, "larger than 10"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n", 413, "larger than 10"},
      {"POST / HTTP/1.1\r\nX: " + std::string(200, 'x'), 431, "larger than 100"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(2000, '1'), 400, "longer than 1 KiB"},
  };
  for (const auto& c : cases) {
    HttpRequest r;
    size_t consumed = 0;
    int status = 0;
    std::string error;
    ASSERT_EQ(parse(c.request, r, consumed, status, error, small), HttpParse::kError) << c.request;
    EXPECT_EQ(status, c.status) << c.request;
    EXPECT_NE(error.find(c.says), std::string::npos) << error;
  }
}

// ---- the OTLP request decoder ----

namespace otlp = detail::otlp;

struct Sample {
  otlp::KeyValue resource[3] = {{"service.name", otlp::AnyValue::string("svc")},
                                {"host.name", otlp::AnyValue::string("h")},
                                {"pid", otlp::AnyValue::of(int64_t{42})}};
  otlp::KeyValue attributes[6] = {{"s", otlp::AnyValue::string("text")},
                                  {"b", otlp::AnyValue::of(true)},
                                  {"i", otlp::AnyValue::of(int64_t{-9007199254740993})},
                                  {"d", otlp::AnyValue::of(-0.0)},
                                  {"x", otlp::AnyValue::binary(std::string_view("\x00\xff", 2))},
                                  {"otel.dropped_attributes_count", otlp::AnyValue::of(int64_t{7})}};
  otlp::KeyValue event_attributes[1] = {{"why", otlp::AnyValue::string("timeout")}};
  otlp::Event events[1] = {{1700000000000001999u, "retry", {event_attributes, 1}, 2}};
  otlp::Link links[1] = {{{0xAA, 0xBB}, 0xCC, "", {}, 0, 1}};
  otlp::Span spans[1];
  otlp::ScopeSpans scopes[1];
  otlp::ResourceSpans request;

  Sample() {
    otlp::Span& s = spans[0];
    s.trace_id = {0x0102030405060708, 0x090a0b0c0d0e0f10};
    s.span_id = 0x1112131415161718;
    s.parent_span_id = 0x2122232425262728;
    s.trace_state = "vendor=1";
    s.flags = otlp::kFlagsContextHasIsRemote | 1;
    s.name = "op";
    s.kind = otlp::SpanKind::kClient;
    s.start_time_unix_nano = 1700000000000000500u;
    s.end_time_unix_nano = 1700000000000002501u;  // 2.001 us: 3 us, rounded up
    s.attributes = {attributes, 6};
    s.dropped_attributes_count = 4;
    s.events = {events, 1};
    s.links = {links, 1};
    s.dropped_links_count = 1;
    s.status_code = otlp::StatusCode::kError;
    s.status_message = "boom";
    scopes[0] = {{"lib", "1.0"}, {spans, 1}};
    request = {{resource, 3}, {scopes, 1}};
  }
};

TEST(OtlpRequestDecoder, ProtobufAndJsonOfOneRequestPrintTheSame) {
  const Sample sample;
  ReceivedRequest from_protobuf;
  ReceivedRequest from_json;
  std::string error;
  ASSERT_TRUE(decode_otlp_protobuf(otlp::encode_request(sample.request), from_protobuf, &error)) << error;
  std::string json;
  otlp::encode_request_json(sample.request, json);
  ASSERT_TRUE(decode_otlp_json(json, from_json, &error)) << error;
  ASSERT_EQ(from_protobuf.batches.size(), 1u);
  ASSERT_EQ(from_json.batches.size(), 1u);
  const std::string printed = detail::format_json(from_protobuf.batches[0], "src");
  EXPECT_EQ(printed, detail::format_json(from_json.batches[0], "src"));

  // What Jaeger would show, field by field.
  EXPECT_EQ(printed,
            "{\"source\":\"src\",\"seqNo\":null,\"stats\":null,"
            "\"process\":{\"serviceName\":\"svc\",\"tags\":[{\"key\":\"host.name\",\"type\":\"string\",\"value\":\"h\"},"
            "{\"key\":\"pid\",\"type\":\"long\",\"value\":42}]},"
            "\"spans\":[{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"1112131415161718\","
            "\"parentSpanId\":\"2122232425262728\",\"operationName\":\"op\",\"flags\":1,"
            "\"startTime\":1700000000000000,\"duration\":3,"
            "\"references\":[{\"refType\":\"CHILD_OF\",\"traceId\":\"0102030405060708090a0b0c0d0e0f10\","
            "\"spanId\":\"2122232425262728\"},{\"refType\":\"FOLLOWS_FROM\",\"traceId\":"
            "\"00000000000000aa00000000000000bb\",\"spanId\":\"00000000000000cc\"}],"
            "\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"client\"},"
            "{\"key\":\"otel.status_code\",\"type\":\"string\",\"value\":\"ERROR\"},"
            "{\"key\":\"otel.status_description\",\"type\":\"string\",\"value\":\"boom\"},"
            "{\"key\":\"error\",\"type\":\"bool\",\"value\":true},"
            "{\"key\":\"otel.scope.name\",\"type\":\"string\",\"value\":\"lib\"},"
            "{\"key\":\"otel.library.name\",\"type\":\"string\",\"value\":\"lib\"},"
            "{\"key\":\"otel.scope.version\",\"type\":\"string\",\"value\":\"1.0\"},"
            "{\"key\":\"otel.library.version\",\"type\":\"string\",\"value\":\"1.0\"},"
            "{\"key\":\"w3c.tracestate\",\"type\":\"string\",\"value\":\"vendor=1\"},"
            "{\"key\":\"s\",\"type\":\"string\",\"value\":\"text\"},"
            "{\"key\":\"b\",\"type\":\"bool\",\"value\":true},"
            "{\"key\":\"i\",\"type\":\"long\",\"value\":-9007199254740993},"
            "{\"key\":\"d\",\"type\":\"double\",\"value\":-0.0},"
            "{\"key\":\"x\",\"type\":\"binary\",\"value\":\"AP8=\"},"
            "{\"key\":\"otel.dropped_attributes_count\",\"type\":\"long\",\"value\":4},"
            "{\"key\":\"otel.dropped_links_count\",\"type\":\"long\",\"value\":1}],"
            "\"logs\":[{\"timestamp\":1700000000000001,\"fields\":[{\"key\":\"event\",\"type\":\"string\",\"value\":"
            "\"retry\"},{\"key\":\"otel.dropped_attributes_count\",\"type\":\"long\",\"value\":2},"
            "{\"key\":\"why\",\"type\":\"string\",\"value\":\"timeout\"}]}]}]}");
}

TEST(OtlpRequestDecoder, JsonTakesProtoNamesEnumNamesNumbersAndNestedValues) {
  const std::string body = R"({"resource_spans":[{"scope_spans":[{"spans":[{
    "trace_id":"0102030405060708090A0B0C0D0E0F10","span_id":"1112131415161718","name":"n",
    "kind":"SPAN_KIND_PRODUCER","start_time_unix_nano":1000,"endTimeUnixNano":"5000",
    "status":{"code":"STATUS_CODE_OK"},
    "attributes":[
      {"key":"i","value":{"intValue":12}},
      {"key":"nan","value":{"doubleValue":"NaN"}},
      {"key":"bytes","value":{"bytesValue":"_-8"}},
      {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{"boolValue":false},
        {"arrayValue":{"values":[{"doubleValue":1.5}]}}]}}},
      {"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},
      {"key":"empty","value":{}}]}]}]}]})";
  ReceivedRequest r;
  std::string error;
  ASSERT_TRUE(decode_otlp_json(body, r, &error)) << error;
  ASSERT_EQ(r.spans, 1u);
  const detail::Span& s = r.batches[0].spans[0];
  EXPECT_EQ(s.trace_id_high, 0x0102030405060708u);
  EXPECT_EQ(s.duration_us, 4);
  ASSERT_EQ(s.tags.size, 8u);
  EXPECT_EQ(s.tags[0].str, "producer");
  EXPECT_EQ(s.tags[1].str, "OK");
  EXPECT_EQ(s.tags[2].vlong, 12);
  EXPECT_TRUE(std::isnan(s.tags[3].vdouble));
  EXPECT_EQ(s.tags[4].str, std::string_view("\xff\xef", 2));  // URL-safe base64
  EXPECT_EQ(s.tags[5].str, R"(["a",1,false,[1.5]])");
  EXPECT_EQ(s.tags[6].str, R"({"k":"v"})");
  EXPECT_EQ(s.tags[7].str, "");
}

TEST(OtlpRequestDecoder, ASpanWithBadIdsIsRejectedAloneAndTheOthersKept) {
  const std::string body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[
    {"traceId":"0102","spanId":"1112131415161718","name":"short trace id"},
    {"traceId":"00000000000000000000000000000000","spanId":"1112131415161718","name":"zero trace id"},
    {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"zz12131415161718","name":"not hex"},
    {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","name":"kept"}]}]}]})";
  ReceivedRequest r;
  std::string error;
  ASSERT_TRUE(decode_otlp_json(body, r, &error)) << error;
  EXPECT_EQ(r.spans, 1u);
  EXPECT_EQ(r.rejected_spans, 3u);
  EXPECT_EQ(r.rejected_reason, "span \"short trace id\": trace_id is 2 bytes, not 16");
  EXPECT_EQ(r.batches[0].spans[0].operation_name, "kept");
}

TEST(OtlpRequestDecoder, MalformedBodiesSayWhatAndWhere) {
  ReceivedRequest r;
  std::string error;
  // Span.name (field 5) as a varint.
  const std::string span = std::string("\x28\x01", 2);
  const std::string scope = "\x12" + std::string(1, static_cast<char>(span.size())) + span;
  const std::string resource = "\x12" + std::string(1, static_cast<char>(scope.size())) + scope;
  const std::string body = "\x0a" + std::string(1, static_cast<char>(resource.size())) + resource;
  EXPECT_FALSE(decode_otlp_protobuf(body, r, &error));
  EXPECT_EQ(error, "resource_spans[0].scope_spans[0].spans[0].name (field 5) has wire type varint, not length-delimited");
  EXPECT_FALSE(decode_otlp_protobuf(body.substr(0, body.size() - 1), r, &error));
  EXPECT_NE(error.find("malformed ExportTraceServiceRequest"), std::string::npos) << error;
  EXPECT_FALSE(decode_otlp_json(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"12x"}]}]}]})", r,
                                &error));
  EXPECT_EQ(error, "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano \"12x\" is not an integer");
  EXPECT_FALSE(decode_otlp_json("[]", r, &error));
  EXPECT_FALSE(decode_otlp_json("{\"resourceSpans\":", r, &error));
  EXPECT_NE(error.find("not JSON"), std::string::npos) << error;
  // Unknown fields are skipped, as protobuf and OTLP/JSON require.
  EXPECT_TRUE(decode_otlp_protobuf(std::string("\xf8\x01\x05", 3), r, &error)) << error;
  EXPECT_TRUE(decode_otlp_json(R"({"resourceSpans":[],"future":{"x":1}})", r, &error)) << error;
}

const detail::Tag* tag(const detail::Span& s, std::string_view key) {
  for (const detail::Tag& t : s.tags) {
    if (t.key == key) return &t;
  }
  return nullptr;
}

TEST(ZipkinRequestDecoder, SpansBecomeWhatJaegersZipkinReceiverMakesOfThem) {
  const std::string body = R"([
    {"traceId":"0af7651916cd43dd8448eb211c80319c","id":"b7ad6b7169203331","parentId":"00f067aa0ba902b7",
     "kind":"CLIENT","name":"get","timestamp":1700000000000001,"duration":25,
     "localEndpoint":{"serviceName":"front"},
     "remoteEndpoint":{"serviceName":"db","ipv4":"10.0.0.1","port":5432},
     "annotations":[{"timestamp":1700000000000002,"value":"\"retry\":{\"n\":2,\"ok\":true,\"r\":0.5,\"otel.dropped_attributes_count\":1}"},
                    {"timestamp":1700000000000003,"value":"cache miss"}],
     "tags":{"otel.status_code":"ERROR","error":"reset","span.kind":"user","otel.dropped_events_count":"3","n":"7"},
     "debug":true,"unknownMember":[1]},
    {"traceId":"8448eb211c80319c","id":"00f067aa0ba902b7","localEndpoint":{"serviceName":"back"}},
    {"traceId":"0af7651916cd43dd8448eb211c80319c","id":"1111111111111111","localEndpoint":{"serviceName":"front"},
     "tags":{"error":""}}])";
  ReceivedRequest r;
  std::string error;
  ASSERT_TRUE(decode_zipkin_json(body, r, &error)) << error;
  ASSERT_EQ(r.batches.size(), 2u);  // one per service, in the order they first appear
  EXPECT_EQ(r.spans, 3u);
  EXPECT_EQ(r.batches[0].process.service_name, "front");
  EXPECT_EQ(r.batches[1].process.service_name, "back");
  ASSERT_EQ(r.batches[0].spans.size(), 2u);

  const detail::Span& s = r.batches[0].spans[0];
  EXPECT_EQ(s.trace_id_high, 0x0af7651916cd43ddu);
  EXPECT_EQ(s.trace_id_low, 0x8448eb211c80319cu);
  EXPECT_EQ(s.span_id, 0xb7ad6b7169203331u);
  EXPECT_EQ(s.parent_span_id, 0x00f067aa0ba902b7u);
  EXPECT_EQ(s.operation_name, "get");
  EXPECT_EQ(s.start_time_us, 1700000000000001);
  EXPECT_EQ(s.duration_us, 25);
  EXPECT_EQ(s.flags, detail::kFlagSampled | detail::kFlagDebug);
  EXPECT_EQ(s.dropped_logs, 3u);
  std::vector<std::string> keys;
  for (const detail::Tag& t : s.tags) keys.emplace_back(t.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"span.kind", "otel.status_code", "otel.status_description", "error", "n",
                                            "peer.service", "peer.ipv4", "peer.port"}));
  EXPECT_EQ(tag(s, "span.kind")->str, "client");  // the kind's, not the tag's
  EXPECT_EQ(tag(s, "otel.status_description")->str, "reset");
  EXPECT_EQ(tag(s, "error")->type, detail::TagType::kBool);
  EXPECT_EQ(tag(s, "n")->str, "7");  // Zipkin's tags are strings
  EXPECT_EQ(tag(s, "peer.port")->vlong, 5432);
  ASSERT_EQ(s.logs.size, 2u);
  const detail::Log& retry = s.logs[0];
  EXPECT_EQ(retry.timestamp_us, 1700000000000002);
  ASSERT_EQ(retry.fields.size, 5u);
  EXPECT_EQ(retry.fields[0].str, "retry");
  EXPECT_EQ(retry.fields[1].key, "otel.dropped_attributes_count");  // where the Jaeger mapping puts it
  EXPECT_EQ(retry.fields[2].vlong, 2);
  EXPECT_TRUE(retry.fields[3].vbool);
  EXPECT_EQ(retry.fields[4].vdouble, 0.5);
  ASSERT_EQ(s.logs[1].fields.size, 1u);
  EXPECT_EQ(s.logs[1].fields[0].str, "cache miss");  // not the event form: the text as it is

  EXPECT_EQ(r.batches[1].spans[0].trace_id_high, 0u);  // 16 hex digits: a 64-bit trace id
  const detail::Span& quiet = r.batches[0].spans[1];
  ASSERT_EQ(quiet.tags.size, 1u);  // an empty error: a failure without a description
  EXPECT_EQ(quiet.tags[0].key, "error");
}

TEST(ZipkinRequestDecoder, MalformedBodiesSayWhatAndWhere) {
  const std::string ok = R"("traceId":"0af7651916cd43dd8448eb211c80319c","id":"b7ad6b7169203331")";
  const struct {
    std::string body;
    const char* error;
  } cases[] = {
      {"{}", "the body is an object, not an array of spans"},
      {"[1]", "[0] is a number, not a span object"},
      {R"([{"id":"b7ad6b7169203331"}])", "[0] has no traceId"},
      {R"([{"traceId":"0af7","id":"b7ad6b7169203331"}])", "[0].traceId \"0af7\" is not 16 or 32 hex digits"},
      {R"([{"traceId":"0000000000000000","id":"b7ad6b7169203331"}])", "[0].traceId is all zeros"},
      {"[{" + ok + R"(,"parentId":"xyz0000000000000"}])", "[0].parentId \"xyz0000000000000\" is not hex"},
      {"[{" + ok + R"(,"timestamp":-1}])", "[0].timestamp is not a whole, non-negative number of microseconds"},
      {"[{" + ok + R"(,"duration":1.5}])", "[0].duration is not a whole, non-negative number of microseconds"},
      {"[{" + ok + R"(,"kind":"LOCAL"}])", "[0].kind \"LOCAL\" is not CLIENT, SERVER, PRODUCER or CONSUMER"},
      {"[{" + ok + R"(,"tags":{"k":1}}])", "[0].tags.k is a number, not a string"},
      {"[{" + ok + R"(,"remoteEndpoint":{"port":70000}}])", "[0].remoteEndpoint.port is not a port"},
      {"[{" + ok + R"(,"annotations":[{"timestamp":1}]}])", "[0].annotations[0] has no value"},
      {"[{" + ok + R"(,"name":7}])", "[0].name is a number, not a string"},
  };
  for (const auto& c : cases) {
    ReceivedRequest r;
    std::string error;
    EXPECT_FALSE(decode_zipkin_json(c.body, r, &error)) << c.body;
    EXPECT_EQ(error, c.error) << c.body;
    EXPECT_TRUE(r.batches.empty());
  }
  ReceivedRequest r;
  std::string error;
  EXPECT_FALSE(decode_zipkin_json("[", r, &error));
  EXPECT_NE(error.find("not JSON"), std::string::npos) << error;
  EXPECT_TRUE(decode_zipkin_json("[]", r, &error)) << error;
  EXPECT_EQ(r.spans, 0u);
}

}  // namespace
}  // namespace litetrace::tools
