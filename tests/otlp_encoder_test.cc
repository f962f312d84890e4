// Golden bytes for the OTLP protobuf encoding: every AnyValue type (arrays too), events,
// links, status, the flags, and a whole ExportTraceServiceRequest worked out by hand from
// the protos.

#include "otlp/otlp_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "support/bytes.h"

namespace litetrace::detail::otlp {
namespace {

using test::encode_bytes;
using test::hex;
using test::to_hex;

test::Bytes bytes_of(const std::string& s) { return test::Bytes(s.begin(), s.end()); }

test::Bytes key_value(const KeyValue& kv) {
  const test::Bytes b = encode_bytes<ProtoWriter>([&](ProtoWriter& w) { encode_body(w, kv); });
  EXPECT_EQ(b.size(), body_size(kv));
  return b;
}

TEST(OtlpEncoder, EveryValueType) {
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::string("v")}), "0a 01 'k' 12 03 0a 01 'v'");
  // A oneof member is written even at its default: which member is set is information.
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::string("")}), "0a 01 'k' 12 02 0a 00");
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::of(false)}), "0a 01 'k' 12 02 10 00");
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::of(true)}), "0a 01 'k' 12 02 10 01");
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::of(int64_t{0})}), "0a 01 'k' 12 02 18 00");
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::of(int64_t{-1})}),
                         "0a 01 'k' 12 0b 18 ff ff ff ff ff ff ff ff ff 01");
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::of(0.5)}), "0a 01 'k' 12 09 21 00 00 00 00 00 00 e0 3f");
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::binary(std::string_view("\x00\xff", 2))}),
                         "0a 01 'k' 12 04 3a 02 00 ff");
  // An empty key is proto3's default, so it is left out.
  LITETRACE_EXPECT_BYTES(key_value({"", AnyValue::of(true)}), "12 02 10 01");
  // array_value (5): ArrayValue.values (1), each an AnyValue; an empty array is an empty
  // ArrayValue, still present.
  const AnyValue elements[] = {AnyValue::string("a"), AnyValue::of(int64_t{1})};
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::array({elements, 2})}),
                         "0a 01 'k' 12 0b 2a 09 0a 03 0a 01 'a' 0a 02 18 01");
  LITETRACE_EXPECT_BYTES(key_value({"k", AnyValue::array({nullptr, 0})}), "0a 01 'k' 12 02 2a 00");
}

TEST(OtlpEncoder, ASpanWithEverything) {
  const KeyValue attrs[] = {{"a", AnyValue::of(int64_t{1})}};
  const KeyValue event_attrs[] = {{"e", AnyValue::of(true)}};
  const Event events[] = {{0x0807060504030201, "ev", {event_attrs, 1}, 2}};
  const Link links[] = {{{1, 2}, 3, "k=v", {}, 4, kFlagsContextHasIsRemote | kFlagsContextIsRemote | 1}};
  Span s;
  s.trace_id = {0x0102030405060708, 0x090a0b0c0d0e0f10};
  s.span_id = 0x1112131415161718;
  s.trace_state = "t=1";
  s.parent_span_id = 0x2122232425262728;
  s.flags = kFlagsContextHasIsRemote | 1;
  s.name = "op";
  s.kind = SpanKind::kClient;
  s.start_time_unix_nano = 1;
  s.end_time_unix_nano = 2;
  s.attributes = slice_of(attrs);
  s.dropped_attributes_count = 5;
  s.events = slice_of(events);
  s.dropped_events_count = 6;
  s.links = slice_of(links);
  s.dropped_links_count = 7;
  s.status_code = StatusCode::kError;
  s.status_message = "bad";
  const test::Bytes b = encode_bytes<ProtoWriter>([&](ProtoWriter& w) { encode_body(w, s); });
  EXPECT_EQ(b.size(), body_size(s));
  LITETRACE_EXPECT_BYTES(b,
                         "0a 10 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10"  // trace_id, big-endian
                         " 12 08 11 12 13 14 15 16 17 18"                          // span_id
                         " 1a 03 't=1'"                                            // trace_state
                         " 22 08 21 22 23 24 25 26 27 28"                          // parent_span_id
                         " 2a 02 'op'"                                             // name
                         " 30 03"                                                  // kind: client
                         " 39 01 00 00 00 00 00 00 00"                             // start, fixed64
                         " 41 02 00 00 00 00 00 00 00"                             // end
                         " 4a 07 0a 01 'a' 12 02 18 01"                            // attributes
                         " 50 05"                                                  // dropped attributes
                         " 5a 18 09 01 02 03 04 05 06 07 08 12 02 'ev'"            // event: time, name,
                         " 1a 07 0a 01 'e' 12 02 10 01 20 02"                      //   attributes, dropped
                         " 60 06"                                                  // dropped events
                         " 6a 28 0a 10 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02"  // link: trace_id,
                         " 12 08 00 00 00 00 00 00 00 03 1a 03 'k=v' 28 04"        //   span_id, state, dropped,
                         " 35 01 03 00 00"                                         //   flags (remote, sampled)
                         " 70 07"                                                  // dropped links
                         " 7a 07 12 03 'bad' 18 02"                                // status: message, error
                         " 85 01 01 01 00 00");                                    // flags: local parent, sampled
}

TEST(OtlpEncoder, DefaultsAreLeftOut) {
  Span s;  // a root span, nothing recorded: only the ids, the kind and nothing else
  s.trace_id = {0, 1};
  s.span_id = 2;
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([&](ProtoWriter& w) { encode_body(w, s); }),
                         "0a 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
                         " 12 08 00 00 00 00 00 00 00 02 30 01");
  s.kind = SpanKind::kUnspecified;
  s.status_code = StatusCode::kOk;  // a status with a code and no message
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([&](ProtoWriter& w) { encode_body(w, s); }),
                         "0a 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
                         " 12 08 00 00 00 00 00 00 00 02 7a 02 18 01");
}

TEST(OtlpEncoder, AWholeRequestWorkedOutByHand) {
  const KeyValue resource[] = {{"service.name", AnyValue::string("svc")}};
  Span span;
  span.trace_id = {0x0102030405060708, 0x090a0b0c0d0e0f10};
  span.span_id = 0x1112131415161718;
  span.name = "op";
  span.kind = SpanKind::kServer;
  span.start_time_unix_nano = 1;
  span.end_time_unix_nano = 2;
  span.flags = kFlagsContextHasIsRemote | 1;
  const ScopeSpans scopes[] = {{{"s", ""}, {&span, 1}}};
  const ResourceSpans request{slice_of(resource), slice_of(scopes)};
  const std::string body = encode_request(request);
  EXPECT_EQ(body.size(), request_size(request));
  LITETRACE_EXPECT_BYTES(bytes_of(body),
                         "0a 5c"                                    // resource_spans, 92 bytes
                         " 0a 17 0a 15 0a 0c 'service.name' 12 05 0a 03 'svc'"  // resource
                         " 12 41"                                   // scope_spans, 65 bytes
                         " 0a 03 0a 01 's'"                         // scope
                         " 12 3a"                                   // span, 58 bytes
                         " 0a 10 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10"
                         " 12 08 11 12 13 14 15 16 17 18 2a 02 'op' 30 02"
                         " 39 01 00 00 00 00 00 00 00 41 02 00 00 00 00 00 00 00 85 01 01 01 00 00");
}

TEST(OtlpEncoder, ABufferTooSmallIsAnErrorNotAnOverrun) {
  const KeyValue attributes[] = {{"k", AnyValue::string("value")}};
  Span span;
  span.trace_id = {1, 2};
  span.span_id = 3;
  span.name = "op";
  span.attributes = slice_of(attributes);
  std::string out(body_size(span) + 1, '\x55');
  ProtoWriter w(reinterpret_cast<uint8_t*>(out.data()), out.size() - 2);
  encode_body(w, span);
  EXPECT_EQ(w.error(), ProtoError::kOverflow);
  EXPECT_EQ(out.substr(out.size() - 2), "\x55\x55");  // nothing written past the end
}

// append_span_field() writes a span's body before it knows its length: room for a two-byte
// length, moved back for a one-byte one, and a body too large for two bytes sized first.
// Every body length around those edges comes out as the field written from its size.
TEST(OtlpEncoder, ASpanFieldOnBothSidesOfEveryLengthsWidth) {
  std::vector<size_t> name_lengths;
  for (size_t n = 0; n < 300; ++n) name_lengths.push_back(n);
  for (size_t n = 16300; n < 16420; ++n) name_lengths.push_back(n);
  name_lengths.push_back(size_t{3} << 20);
  std::vector<size_t> bodies;
  for (const size_t n : name_lengths) {
    const std::string name(n, 'n');
    const KeyValue attributes[] = {{"k", AnyValue::string("v")}};
    Span span;
    span.trace_id = {1, 2};
    span.span_id = 3;
    span.name = name;
    span.attributes = slice_of(attributes);
    const size_t body = body_size(span);
    bodies.push_back(body);
    std::string expected(length_delimited_field_size(/*ScopeSpans.spans*/ 2, body), '\0');
    ProtoWriter w(reinterpret_cast<uint8_t*>(expected.data()), expected.size());
    w.message_begin(2, body);
    encode_body(w, span);
    w.message_end();
    ASSERT_TRUE(w.ok());
    ByteBuffer out;
    ASSERT_TRUE(out.append("kept"));
    ASSERT_TRUE(append_span_field(out, span)) << n;
    ASSERT_EQ(out.view(), "kept" + expected) << "a name of " << n << " bytes, a body of " << body;
  }
  // The edges were crossed: bodies of one-, two- and three-byte lengths, the largest of two.
  const auto has = [&](size_t body) { return std::find(bodies.begin(), bodies.end(), body) != bodies.end(); };
  EXPECT_TRUE(has(127) && has(16383));
  EXPECT_TRUE(std::any_of(bodies.begin(), bodies.end(), [](size_t b) { return b >= 128 && b < 16383; }));
  EXPECT_TRUE(std::any_of(bodies.begin(), bodies.end(), [](size_t b) { return b > 16383 && b < 20000; }));
  EXPECT_TRUE(std::any_of(bodies.begin(), bodies.end(), [](size_t b) { return b > (size_t{1} << 21); }));
}

TEST(OtlpEncoder, ARequestBuiltSpanBySpanIsTheRequestEncodedWhole) {
  const KeyValue resource[] = {{"service.name", AnyValue::string("svc")}};
  Span spans[3];
  for (uint64_t i = 0; i < 3; ++i) {
    spans[i].trace_id = {i + 1, i + 2};
    spans[i].span_id = i + 3;
    spans[i].name = i == 1 ? "second" : "op";
  }
  const ScopeSpans scopes[] = {{{"a", "1"}, {spans, 2}}, {{"b", ""}, {spans + 2, 1}}};
  const ResourceSpans request{slice_of(resource), slice_of(scopes)};
  ByteBuffer a, b;
  ASSERT_TRUE(append_span_field(a, spans[0]));
  ASSERT_TRUE(append_span_field(a, spans[1]));
  ASSERT_TRUE(append_span_field(b, spans[2]));
  const EncodedScope encoded[] = {{scopes[0].scope, a.view()}, {scopes[1].scope, b.view()}};
  ByteBuffer body;
  ASSERT_TRUE(body.append("kept"));
  ASSERT_TRUE(append_request(body, slice_of(resource), slice_of(encoded)));
  EXPECT_EQ(body.view(), "kept" + encode_request(request));
  EXPECT_EQ(body.size(), 4 + request_size(request));
}

}  // namespace
}  // namespace litetrace::detail::otlp
