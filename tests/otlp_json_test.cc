// OTLP/JSON: the OTLP rules on top of the protobuf JSON mapping, on a request small enough
// to read whole.

#include "otlp/otlp_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace litetrace::detail::otlp {
namespace {

TEST(OtlpJson, ARequestWithEveryKindOfField) {
  const KeyValue resource[] = {{"service.name", AnyValue::string("svc")}};
  const KeyValue attrs[] = {
      {"s", AnyValue::string("q\"\\\n\x01\xC3\xBC")},  // escapes; UTF-8 passes through
      {"b", AnyValue::of(true)},
      {"i", AnyValue::of(int64_t{-9007199254740993})},  // a string: exact beyond 2^53
      {"d", AnyValue::of(0.1)},
      {"z", AnyValue::of(-0.0)},
      {"n", AnyValue::of(std::numeric_limits<double>::quiet_NaN())},
      {"inf", AnyValue::of(-std::numeric_limits<double>::infinity())},
      {"x", AnyValue::binary(std::string_view("\x00\xff\x10", 3))},
  };
  const Event events[] = {{1700000000000000001u, "ev", {}, 3}};
  const Link links[] = {{{0, 1}, 2, "k=v", {}, 0, kFlagsContextHasIsRemote | 1}};
  Span span;
  span.trace_id = {0x0102030405060708, 0x090a0b0c0d0e0f10};
  span.span_id = 0x1112131415161718;
  span.parent_span_id = 0xa1b2c3d4e5f60718;
  span.flags = kFlagsContextHasIsRemote | kFlagsContextIsRemote | 1;
  span.name = "op";
  span.kind = SpanKind::kServer;
  span.start_time_unix_nano = 1700000000000000000u;
  span.end_time_unix_nano = UINT64_MAX;
  span.attributes = slice_of(attrs);
  span.events = slice_of(events);
  span.links = slice_of(links);
  span.dropped_links_count = 4;
  span.status_code = StatusCode::kError;
  span.status_message = "bad";
  Span bare;  // defaults left out
  bare.trace_id = {0, 1};
  bare.span_id = 2;
  bare.kind = SpanKind::kUnspecified;
  const Span spans[] = {span, bare};
  const ScopeSpans scopes[] = {{{"lib", "1.0"}, slice_of(spans)}, {{"", ""}, {}}};
  std::string out = "prefix:";
  encode_request_json({slice_of(resource), slice_of(scopes)}, out);
  EXPECT_EQ(out,
            "prefix:"
            R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},)"
            R"("scopeSpans":[{"scope":{"name":"lib","version":"1.0"},"spans":[)"
            R"({"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718",)"
            R"("parentSpanId":"a1b2c3d4e5f60718","flags":769,"name":"op","kind":2,)"
            R"("startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"18446744073709551615",)"
            R"("attributes":[{"key":"s","value":{"stringValue":"q\"\\\n\u0001)"
            "\xC3\xBC"
            R"("}},{"key":"b","value":{"boolValue":true}},)"
            R"({"key":"i","value":{"intValue":"-9007199254740993"}},{"key":"d","value":{"doubleValue":0.1}},)"
            R"({"key":"z","value":{"doubleValue":-0.0}},)"
            R"({"key":"n","value":{"doubleValue":"NaN"}},{"key":"inf","value":{"doubleValue":"-Infinity"}},)"
            R"({"key":"x","value":{"bytesValue":"AP8Q"}}],)"
            R"("events":[{"timeUnixNano":"1700000000000000001","name":"ev","droppedAttributesCount":3}],)"
            R"("links":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000002",)"
            R"("traceState":"k=v","flags":257}],"droppedLinksCount":4,"status":{"message":"bad","code":2}},)"
            R"({"traceId":"00000000000000000000000000000001","spanId":"0000000000000002"}]},)"
            R"({"scope":{}}]}]})");
}

// A request appended to a body that already holds bytes keeps them, and is the request
// written alone, whatever its scopes: spans in several, a scope with none, or no scope.
TEST(OtlpJson, ARequestAppendedToABodyKeepsWhatTheBodyHeld) {
  const KeyValue resource[] = {{"service.name", AnyValue::string("svc")}, {"n", AnyValue::of(int64_t{7})}};
  ByteBuffer first_spans;
  ByteBuffer third_spans;
  Span span;
  span.trace_id = {1, 2};
  span.span_id = 3;
  span.name = "a";
  ASSERT_TRUE(append_span_json(first_spans, span));
  ASSERT_TRUE(first_spans.append(","));
  span.name = std::string_view("b\"\n", 3);
  ASSERT_TRUE(append_span_json(first_spans, span));
  span.name = "c";
  ASSERT_TRUE(append_span_json(third_spans, span));
  EXPECT_EQ(third_spans.view(),
            R"({"traceId":"00000000000000010000000000000002","spanId":"0000000000000003","name":"c","kind":1})");
  const EncodedScope scopes[] = {
      {{"lib", "1.0"}, first_spans.view()}, {{"empty", ""}, {}}, {{"", ""}, third_spans.view()}};
  for (size_t n = 0; n <= 3; ++n) {
    ByteBuffer alone;
    ASSERT_TRUE(append_request_json(alone, slice_of(resource), {scopes, n}));
    ByteBuffer body;
    ASSERT_TRUE(body.append("before:"));
    ASSERT_TRUE(append_request_json(body, slice_of(resource), {scopes, n}));
    EXPECT_EQ(body.view(), "before:" + std::string(alone.view())) << n << " scopes";
    EXPECT_NE(alone.view().find(R"({"resourceSpans":[{"resource":{"attributes":[)"), std::string_view::npos);
    EXPECT_EQ(alone.view().find(first_spans.view()) != std::string_view::npos, n >= 1) << n << " scopes";
    EXPECT_EQ(alone.view().find(third_spans.view()) != std::string_view::npos, n >= 3) << n << " scopes";
  }
}

// A buffer that cannot grow fails the writer: the span is reported as not written, and what
// came before its failed token is all the buffer holds (RequestBuilder takes it out again).
TEST(OtlpJson, ASpanTheBufferCannotHoldIsReportedNotWritten) {
  Span span;
  span.trace_id = {1, 2};
  span.span_id = 3;
  span.name = "fits";
  ByteBuffer out;
  ASSERT_TRUE(append_span_json(out, span));
  const std::string first(out.view());
  // A name whose room no buffer can have (its text is never read: the room is asked first).
  span.name = std::string_view(first.data(), SIZE_MAX / 8);
  EXPECT_FALSE(append_span_json(out, span));
  EXPECT_EQ(out.view().substr(0, first.size()), first);
  EXPECT_EQ(out.view().substr(first.size()),
            R"({"traceId":"00000000000000010000000000000002","spanId":"0000000000000003")");
}

}  // namespace
}  // namespace litetrace::detail::otlp
