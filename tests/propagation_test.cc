// The propagation formats, rule by rule: what each specification accepts is extracted
// exactly, what it rejects leaves no context at all, and inject writes what the
// specification (and the other clients) read.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "litetrace/propagation.h"
#include "litetrace/trace.h"
#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"

namespace litetrace {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr uint8_t kNotSampled = 0;
constexpr uint8_t kSampled = kTraceFlagSampled;
constexpr uint8_t kDebug = kTraceFlagSampled | kTraceFlagDebug;

// One table row: headers in, and either no context or exactly this one.
struct Case {
  const char* why;
  Headers headers;
  bool valid;
  TraceId trace_id = {};
  uint64_t span_id = 0;
  uint8_t flags = 0;
};

void check_cases(const Propagator& propagator, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    const PropagationContext got = extract_from(propagator, c.headers);
    if (!c.valid) {
      EXPECT_FALSE(got.span_context.valid());
      EXPECT_EQ(got.span_context.trace_id, TraceId{});
      EXPECT_EQ(got.span_context.span_id, 0u);
      EXPECT_EQ(got.span_context.flags, 0u);
      EXPECT_TRUE(got.trace_state.empty());
      continue;
    }
    EXPECT_TRUE(got.span_context.valid());
    EXPECT_TRUE(got.span_context.remote);
    EXPECT_EQ(got.span_context.trace_id.high, c.trace_id.high);
    EXPECT_EQ(got.span_context.trace_id.low, c.trace_id.low);
    EXPECT_EQ(got.span_context.span_id, c.span_id);
    EXPECT_EQ(got.span_context.flags, c.flags);
  }
}

const TraceId kW3cTrace{0x0af7651916cd43ddu, 0x8448eb211c80319cu};
constexpr uint64_t kW3cSpan = 0xb7ad6b7169203331u;
const std::string kW3cIds = "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331";

Headers traceparent(const std::string& v) { return {{"traceparent", v}}; }

TEST(PropagationW3C, TraceparentRules) {
  const std::string zeros32(32, '0');
  const std::string zeros16(16, '0');
  check_cases(W3CTraceContextPropagator(), {
      {"sampled", traceparent("00-" + kW3cIds + "-01"), true, kW3cTrace, kW3cSpan, kSampled},
      {"not sampled", traceparent("00-" + kW3cIds + "-00"), true, kW3cTrace, kW3cSpan, kNotSampled},
      {"unknown flag bits are ignored", traceparent("00-" + kW3cIds + "-09"), true, kW3cTrace, kW3cSpan, kSampled},
      {"the random flag is not sampled", traceparent("00-" + kW3cIds + "-02"), true, kW3cTrace, kW3cSpan, kNotSampled},
      {"header name in any case", {{"TraceParent", "00-" + kW3cIds + "-01"}}, true, kW3cTrace, kW3cSpan, kSampled},
      {"a later version, exact size", traceparent("cc-" + kW3cIds + "-01"), true, kW3cTrace, kW3cSpan, kSampled},
      {"a later version with more fields", traceparent("01-" + kW3cIds + "-01-what-ever"), true, kW3cTrace,
       kW3cSpan, kSampled},
      {"version ff is invalid", traceparent("ff-" + kW3cIds + "-01"), false},
      {"version 00 has nothing after the flags", traceparent("00-" + kW3cIds + "-01-extra"), false},
      {"a later version needs '-' after the flags", traceparent("01-" + kW3cIds + "-01x"), false},
      {"upper-case version", traceparent("0A-" + kW3cIds + "-01"), false},
      {"upper-case trace id", traceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"), false},
      {"upper-case span id", traceparent("00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01"), false},
      {"upper-case flags", traceparent("00-" + kW3cIds + "-0A"), false},
      {"non-hex flags", traceparent("00-" + kW3cIds + "-0g"), false},
      {"all-zero trace id", traceparent("00-" + zeros32 + "-b7ad6b7169203331-01"), false},
      {"all-zero span id", traceparent("00-0af7651916cd43dd8448eb211c80319c-" + zeros16 + "-01"), false},
      {"trace id one digit short", traceparent("00-af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), false},
      {"span id one digit long", traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033310-01"), false},
      {"wrong separator", traceparent("00_" + kW3cIds + "-01"), false},
      {"a space inside", traceparent("00- " + kW3cIds.substr(1) + "-01"), false},
      {"one-digit flags", traceparent("00-" + kW3cIds + "-1"), false},
      {"empty", traceparent(""), false},
      {"absent", {{"other", "00-" + kW3cIds + "-01"}}, false},
  });
}

std::string extracted_tracestate(const std::string& tracestate) {
  const Headers headers = {{"traceparent", "00-" + kW3cIds + "-01"}, {"tracestate", tracestate}};
  const PropagationContext got = extract_from(W3CTraceContextPropagator(), headers);
  EXPECT_TRUE(got.valid()) << "a bad tracestate never costs the traceparent";
  return got.trace_state;
}

std::string members(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  return s;
}

TEST(PropagationW3C, TracestateRules) {
  EXPECT_EQ(extracted_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(extracted_tracestate(" rojo=1 ,\t, congo=2 "), "rojo=1,congo=2") << "space and empty members go";
  EXPECT_EQ(extracted_tracestate("a=b c"), "a=b c") << "a space inside a value is fine";
  EXPECT_EQ(extracted_tracestate(members(32)), members(32));
  EXPECT_EQ(extracted_tracestate(members(33)), "") << "at most 32 members";
  EXPECT_EQ(extracted_tracestate("a=1,b=2,a=3"), "") << "keys are unique";
  EXPECT_EQ(extracted_tracestate("Rojo=1"), "") << "keys are lower case";
  EXPECT_EQ(extracted_tracestate("1a=1"), "") << "a simple key starts with a letter";
  EXPECT_EQ(extracted_tracestate("1a@vendor=1"), "1a@vendor=1") << "a tenant id may start with a digit";
  EXPECT_EQ(extracted_tracestate("a@1vendor=1"), "") << "a system id starts with a letter";
  EXPECT_EQ(extracted_tracestate("a@" + std::string(14, 'v') + "=1"), "a@" + std::string(14, 'v') + "=1");
  EXPECT_EQ(extracted_tracestate("a@" + std::string(15, 'v') + "=1"), "") << "system id: at most 14";
  EXPECT_EQ(extracted_tracestate(std::string(241, 't') + "@v=1"), std::string(241, 't') + "@v=1");
  EXPECT_EQ(extracted_tracestate(std::string(242, 't') + "@v=1"), "") << "tenant id: at most 241";
  EXPECT_EQ(extracted_tracestate(std::string(256, 'k') + "=1"), std::string(256, 'k') + "=1");
  EXPECT_EQ(extracted_tracestate(std::string(257, 'k') + "=1"), "") << "key: at most 256";
  EXPECT_EQ(extracted_tracestate("k=" + std::string(256, 'v')), "k=" + std::string(256, 'v'));
  EXPECT_EQ(extracted_tracestate("k=" + std::string(257, 'v')), "") << "value: at most 256";
  EXPECT_EQ(extracted_tracestate("k=a=b"), "") << "no '=' in a value";
  EXPECT_EQ(extracted_tracestate("k="), "") << "no empty value";
  EXPECT_EQ(extracted_tracestate("k"), "") << "no member without '='";
  EXPECT_EQ(extracted_tracestate("k=caf\xc3\xa9"), "") << "printable ASCII only";
  EXPECT_EQ(extracted_tracestate("k=v,bad key=1"), "") << "one bad member drops the header";

  // A tracestate without a valid traceparent is not used.
  const Headers orphan = {{"traceparent", "00-" + kW3cIds + "-zz"}, {"tracestate", "rojo=1"}};
  EXPECT_EQ(extract_from(W3CTraceContextPropagator(), orphan).trace_state, "");
}

SpanContext sample_context(uint8_t flags) {
  SpanContext sc;
  sc.trace_id = kW3cTrace;
  sc.span_id = kW3cSpan;
  sc.flags = flags;
  return sc;
}

TEST(PropagationW3C, InjectWritesVersion00AndTheTraceState) {
  PropagationContext ctx(sample_context(kSampled));
  ctx.trace_state = "rojo=1, congo=2";
  std::map<std::string, std::string> headers;
  inject_into(W3CTraceContextPropagator(), ctx, headers);
  EXPECT_EQ(headers["traceparent"], "00-" + kW3cIds + "-01");
  EXPECT_EQ(headers["tracestate"], "rojo=1,congo=2");

  ctx.span_context.flags = kDebug;  // no debug bit in W3C: sampled
  inject_into(W3CTraceContextPropagator(), ctx, headers);
  EXPECT_EQ(headers["traceparent"], "00-" + kW3cIds + "-01");

  ctx.span_context.flags = kNotSampled;
  ctx.trace_state = "Bad Key=1";  // never sent on
  headers.clear();
  inject_into(W3CTraceContextPropagator(), ctx, headers);
  EXPECT_EQ(headers["traceparent"], "00-" + kW3cIds + "-00");
  EXPECT_EQ(headers.count("tracestate"), 0u);

  headers.clear();
  inject_into(W3CTraceContextPropagator(), PropagationContext(), headers);
  EXPECT_TRUE(headers.empty()) << "an invalid context injects nothing";
}

Headers uber(const std::string& v) { return {{"uber-trace-id", v}}; }

TEST(PropagationJaeger, UberTraceIdRules) {
  check_cases(JaegerPropagator(), {
      {"short ids are padded on the left", uber("abc:def:0:1"), true, TraceId{0, 0xabc}, 0xdef, kSampled},
      {"128-bit trace id", uber("0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:1"), true, kW3cTrace, kW3cSpan,
       kSampled},
      {"17 digits: the first is the high part", uber("18448eb211c80319c:1:0:1"), true, TraceId{1, 0x8448eb211c80319cu},
       1, kSampled},
      {"upper-case hex is base 16 too", uber("ABC:DEF:0:1"), true, TraceId{0, 0xabc}, 0xdef, kSampled},
      {"URL-encoded", uber("abc%3Adef%3A0%3A1"), true, TraceId{0, 0xabc}, 0xdef, kSampled},
      {"parent id is read and ignored", uber("abc:def:123:1"), true, TraceId{0, 0xabc}, 0xdef, kSampled},
      {"not sampled", uber("abc:def:0:0"), true, TraceId{0, 0xabc}, 0xdef, kNotSampled},
      {"sampled + debug", uber("abc:def:0:3"), true, TraceId{0, 0xabc}, 0xdef, kDebug},
      {"two-digit flags", uber("abc:def:0:03"), true, TraceId{0, 0xabc}, 0xdef, kDebug},
      {"firehose bit is not kept", uber("abc:def:0:9"), true, TraceId{0, 0xabc}, 0xdef, kSampled},
      {"zero trace id", uber("0:def:0:1"), false},
      {"zero span id", uber("abc:0:0:1"), false},
      {"33-digit trace id", uber(std::string(33, '1') + ":def:0:1"), false},
      {"17-digit span id", uber("abc:" + std::string(17, '1') + ":0:1"), false},
      {"three fields", uber("abc:def:1"), false},
      {"five fields", uber("abc:def:0:1:0"), false},
      {"an empty field", uber("abc::0:1"), false},
      {"empty flags", uber("abc:def:0:"), false},
      {"three-digit flags", uber("abc:def:0:001"), false},
      {"non-hex", uber("xyz:def:0:1"), false},
      {"a sign", uber("-abc:def:0:1"), false},
      {"broken percent-encoding", uber("abc%3def:0:1"), false},
      {"empty", uber(""), false},
  });
}

TEST(PropagationJaeger, BaggageTravelsInUberctxHeaders) {
  const Headers headers = {{"uber-trace-id", "abc:def:0:1"},
                           {"uberctx-user-id", "alice%20b"},
                           {"UberCtx-Plan", "gold+plus"},
                           {"uberctx-broken", "%zz"},
                           {"uberctx-", "no key"},
                           {"other", "x"}};
  const PropagationContext got = extract_from(JaegerPropagator(), headers);
  ASSERT_TRUE(got.valid());
  EXPECT_EQ(got.baggage, (Baggage{{"user-id", "alice b"}, {"plan", "gold plus"}}));

  // Without uber-trace-id the baggage still comes through; with a malformed one nothing does.
  EXPECT_EQ(extract_from(JaegerPropagator(), Headers{{"uberctx-k", "v"}}).baggage, (Baggage{{"k", "v"}}));
  const PropagationContext bad = extract_from(JaegerPropagator(), Headers{{"uber-trace-id", "0:1:0:1"}, {"uberctx-k", "v"}});
  EXPECT_FALSE(bad.valid());
  EXPECT_TRUE(bad.baggage.empty());

  PropagationContext ctx(sample_context(kSampled));
  ctx.set_baggage("user-id", "alice b/é");
  Headers out;
  inject_into(JaegerPropagator(), ctx, out);
  EXPECT_EQ(out, (Headers{{"uber-trace-id", "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:1"},
                          {"uberctx-user-id", "alice%20b%2F%C3%A9"}}));
  EXPECT_EQ(extract_from(JaegerPropagator(), out).baggage, ctx.baggage);
}

TEST(PropagationJaeger, InjectUsesSixteenDigitsForA64BitTraceId) {
  SpanContext sc;
  sc.trace_id = TraceId{0, 0xabc};
  sc.span_id = 0xdef;
  sc.flags = kDebug;
  Headers out;
  inject_into(JaegerPropagator(), PropagationContext(sc), out);
  EXPECT_EQ(out, (Headers{{"uber-trace-id", "0000000000000abc:0000000000000def:0:3"}}));
}

Headers b3(const std::string& v) { return {{"b3", v}}; }
const TraceId kB3Trace{0x80f198ee56343ba8u, 0x64fe8b2a57d3eff7u};
constexpr uint64_t kB3Span = 0xe457b5a2e4d86bd1u;
const std::string kB3Ids = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1";

TEST(PropagationB3, SingleHeaderRules) {
  check_cases(B3Propagator(), {
      {"all four fields", b3(kB3Ids + "-1-05e3ac9a4f6e3b90"), true, kB3Trace, kB3Span, kSampled},
      {"sampled", b3(kB3Ids + "-1"), true, kB3Trace, kB3Span, kSampled},
      {"not sampled", b3(kB3Ids + "-0"), true, kB3Trace, kB3Span, kNotSampled},
      {"debug", b3(kB3Ids + "-d"), true, kB3Trace, kB3Span, kDebug},
      {"deferred decision: not sampled here", b3(kB3Ids), true, kB3Trace, kB3Span, kNotSampled},
      {"64-bit trace id", b3("64fe8b2a57d3eff7-e457b5a2e4d86bd1-1"), true, TraceId{0, 0x64fe8b2a57d3eff7u}, kB3Span,
       kSampled},
      {"a sampling state alone is no context", b3("1"), false},
      {"deny alone is no context", b3("0"), false},
      {"upper-case", b3("80F198EE56343BA864FE8B2A57D3EFF7-e457b5a2e4d86bd1-1"), false},
      {"24-digit trace id", b3("80f198ee56343ba864fe8b2a-e457b5a2e4d86bd1-1"), false},
      {"15-digit span id", b3("80f198ee56343ba864fe8b2a57d3eff7-457b5a2e4d86bd1-1"), false},
      {"unknown sampling state", b3(kB3Ids + "-2"), false},
      {"'true' is not a single-header state", b3(kB3Ids + "-true"), false},
      {"short parent id", b3(kB3Ids + "-1-5e3ac9a4f6e3b90"), false},
      {"five fields", b3(kB3Ids + "-1-05e3ac9a4f6e3b90-1"), false},
      {"zero trace id", b3(std::string(32, '0') + "-e457b5a2e4d86bd1-1"), false},
      {"zero span id", b3("80f198ee56343ba864fe8b2a57d3eff7-" + std::string(16, '0') + "-1"), false},
  });
}

TEST(PropagationB3, MultiHeaderRules) {
  const std::string trace = "80f198ee56343ba864fe8b2a57d3eff7";
  const std::string span = "e457b5a2e4d86bd1";
  check_cases(B3Propagator(), {
      {"sampled", {{"X-B3-TraceId", trace}, {"X-B3-SpanId", span}, {"X-B3-Sampled", "1"}}, true, kB3Trace, kB3Span,
       kSampled},
      {"legacy 'true'", {{"x-b3-traceid", trace}, {"x-b3-spanid", span}, {"x-b3-sampled", "true"}}, true, kB3Trace,
       kB3Span, kSampled},
      {"with a parent", {{"x-b3-traceid", trace}, {"x-b3-spanid", span}, {"x-b3-parentspanid", "0000000000000000"},
        {"x-b3-sampled", "0"}}, true, kB3Trace, kB3Span, kNotSampled},
      {"debug flag", {{"x-b3-traceid", trace}, {"x-b3-spanid", span}, {"x-b3-flags", "1"}}, true, kB3Trace, kB3Span,
       kDebug},
      {"deferred", {{"x-b3-traceid", trace}, {"x-b3-spanid", span}}, true, kB3Trace, kB3Span, kNotSampled},
      {"a bad single header falls back to the multi headers",
       {{"b3", "garbage"}, {"x-b3-traceid", trace}, {"x-b3-spanid", span}, {"x-b3-sampled", "1"}}, true, kB3Trace,
       kB3Span, kSampled},
      {"no span id", {{"x-b3-traceid", trace}, {"x-b3-sampled", "1"}}, false},
      {"unknown sampled value", {{"x-b3-traceid", trace}, {"x-b3-spanid", span}, {"x-b3-sampled", "2"}}, false},
      {"unknown flags value", {{"x-b3-traceid", trace}, {"x-b3-spanid", span}, {"x-b3-flags", "2"}}, false},
      {"bad parent", {{"x-b3-traceid", trace}, {"x-b3-spanid", span}, {"x-b3-parentspanid", "xyz"}}, false},
  });
}

TEST(PropagationB3, InjectBothEncodings) {
  SpanContext sc;
  sc.trace_id = kB3Trace;
  sc.span_id = kB3Span;
  sc.flags = kSampled;
  Headers single;
  inject_into(B3Propagator(B3Propagator::Encoding::kSingleHeader), PropagationContext(sc), single);
  EXPECT_EQ(single, (Headers{{"b3", kB3Ids + "-1"}}));
  Headers multi;
  inject_into(B3Propagator(B3Propagator::Encoding::kMultiHeader), PropagationContext(sc), multi);
  EXPECT_EQ(multi, (Headers{{"x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"},
                            {"x-b3-spanid", "e457b5a2e4d86bd1"},
                            {"x-b3-sampled", "1"}}));
  sc.flags = kDebug;
  single.clear();
  multi.clear();
  inject_into(B3Propagator(), PropagationContext(sc), single);
  inject_into(B3Propagator(B3Propagator::Encoding::kMultiHeader), PropagationContext(sc), multi);
  EXPECT_EQ(single, (Headers{{"b3", kB3Ids + "-d"}}));
  EXPECT_EQ(multi, (Headers{{"x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"},
                            {"x-b3-spanid", "e457b5a2e4d86bd1"},
                            {"x-b3-flags", "1"}}));
}

TEST(PropagationBaggage, W3CBaggageRules) {
  auto parse = [](const std::string& v) { return extract_from(W3CBaggagePropagator(), Headers{{"baggage", v}}).baggage; };
  EXPECT_EQ(parse("userId=alice,serverNode=DF%2028,isProduction=false"),
            (Baggage{{"userId", "alice"}, {"serverNode", "DF 28"}, {"isProduction", "false"}}));
  EXPECT_EQ(parse(" k1 = v1 ; prop ; p2=x , k2=v2"), (Baggage{{"k1", "v1"}, {"k2", "v2"}})) << "properties are read, not kept";
  EXPECT_EQ(parse("k=v,k=w"), (Baggage{{"k", "w"}})) << "the last value of a key wins";
  EXPECT_EQ(parse("k="), (Baggage{{"k", ""}})) << "an empty value is a value";
  EXPECT_TRUE(parse("k=v,").empty()) << "no empty member";
  EXPECT_TRUE(parse("k v=1").empty()) << "keys are tokens";
  EXPECT_TRUE(parse("k=\"v\"").empty()) << "no quotes in a value";
  EXPECT_TRUE(parse("k=%zz").empty()) << "bad percent-encoding";
  EXPECT_TRUE(parse("k").empty()) << "a member needs '='";
  std::string many;
  for (int i = 0; i < 181; ++i) many += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_TRUE(parse(many).empty()) << "at most 180 members";
  EXPECT_TRUE(parse("k=" + std::string(8200, 'v')).empty()) << "at most 8192 bytes";

  PropagationContext ctx;
  ctx.set_baggage("user", "alice b");
  ctx.set_baggage("bad key", "dropped");
  ctx.set_baggage("plan", "a,b;c");
  Headers out;
  inject_into(W3CBaggagePropagator(), ctx, out);
  EXPECT_EQ(out, (Headers{{"baggage", "user=alice%20b,plan=a%2Cb%3Bc"}}));
  EXPECT_EQ(extract_from(W3CBaggagePropagator(), out).baggage, (Baggage{{"user", "alice b"}, {"plan", "a,b;c"}}));
}

// Debug implies sampled, as in B3 and Jaeger: a context with the debug flag and the
// sampled bit clear is injected as sampled by every format, and extracted so.
TEST(PropagationComposite, DebugImpliesSampledInEveryFormat) {
  std::string error;
  const auto all = make_propagator("tracecontext,b3,jaeger", &error);
  ASSERT_NE(all, nullptr) << error;
  const PropagationContext ctx(sample_context(kTraceFlagDebug));  // sampled bit clear
  EXPECT_TRUE(ctx.span_context.sampled());
  std::map<std::string, std::string> out;
  inject_into(*all, ctx, out);
  EXPECT_EQ(out, (std::map<std::string, std::string>{
                     {"b3", kW3cIds + "-d"},
                     {"traceparent", "00-" + kW3cIds + "-01"},
                     {"uber-trace-id", "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:3"}}));
  std::map<std::string, std::string> b3multi;
  inject_into(*make_propagator("b3multi"), ctx, b3multi);
  EXPECT_EQ(b3multi.at("x-b3-flags"), "1");
  // Jaeger's flags 2 (debug alone) read as debug and sampled.
  const PropagationContext got =
      extract_from(*make_propagator("jaeger"), Headers{{"uber-trace-id", "abc:def:0:2"}});
  EXPECT_EQ(got.span_context.flags, kDebug);
}

TEST(PropagationComposite, InjectsAllAndTheLastValidExtractWins) {
  std::string error;
  const auto all = make_propagator("tracecontext, baggage,b3multi,jaeger", &error);
  ASSERT_NE(all, nullptr) << error;
  PropagationContext ctx(sample_context(kSampled));
  ctx.set_baggage("k", "v");
  std::map<std::string, std::string> out;
  inject_into(*all, ctx, out);
  EXPECT_EQ(out, (std::map<std::string, std::string>{
                     {"baggage", "k=v"},
                     {"traceparent", "00-" + kW3cIds + "-01"},
                     {"uber-trace-id", "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:1"},
                     {"uberctx-k", "v"},
                     {"x-b3-sampled", "1"},
                     {"x-b3-spanid", "b7ad6b7169203331"},
                     {"x-b3-traceid", "0af7651916cd43dd8448eb211c80319c"}}));

  // Each format alone is enough.
  for (const char* only : {"traceparent", "uber-trace-id"}) {
    std::unordered_map<std::string, std::string> one{{only, out[only]}};
    const PropagationContext got = extract_from(*all, one);
    EXPECT_EQ(got.span_context.trace_id, ctx.span_context.trace_id) << only;
    EXPECT_EQ(got.span_context.span_id, ctx.span_context.span_id) << only;
  }
  // Two formats disagree: the later one in the list wins.
  const Headers both = {{"traceparent", "00-" + kW3cIds + "-01"}, {"uber-trace-id", "abc:def:0:1"}};
  EXPECT_EQ(extract_from(*all, both).span_context.span_id, 0xdefu);
  EXPECT_EQ(extract_from(*make_propagator("jaeger,tracecontext"), both).span_context.span_id, kW3cSpan);

  EXPECT_EQ(make_propagator("tracecontext,xray", &error), nullptr);
  EXPECT_EQ(error, "unknown propagator 'xray' (known: tracecontext, baggage, b3, b3multi, jaeger, none)");
  EXPECT_EQ(make_propagator("", &error), nullptr);
  const auto none = make_propagator("none");
  ASSERT_NE(none, nullptr);
  Headers nothing;
  inject_into(*none, ctx, nothing);
  EXPECT_TRUE(nothing.empty());
}

TEST(PropagationRoundTrip, EveryFormatGivesBackWhatItInjected) {
  const std::vector<std::pair<const char*, std::shared_ptr<const Propagator>>> formats = {
      {"w3c", std::make_shared<W3CTraceContextPropagator>()},
      {"jaeger", std::make_shared<JaegerPropagator>()},
      {"b3", std::make_shared<B3Propagator>()},
      {"b3multi", std::make_shared<B3Propagator>(B3Propagator::Encoding::kMultiHeader)}};
  for (const auto& [name, propagator] : formats) {
    for (const uint8_t flags : {kNotSampled, kSampled, kDebug}) {
      for (const TraceId id : {TraceId{0, 1}, TraceId{~0ull, ~0ull}, kW3cTrace}) {
        SpanContext sc;
        sc.trace_id = id;
        sc.span_id = ~0ull - flags;
        sc.flags = flags;
        Headers h;
        inject_into(*propagator, PropagationContext(sc), h);
        const SpanContext got = extract_from(*propagator, h).span_context;
        SCOPED_TRACE(std::string(name) + " " + h.front().second);
        EXPECT_EQ(got.trace_id, sc.trace_id);
        EXPECT_EQ(got.span_id, sc.span_id);
        EXPECT_TRUE(got.remote);
        // W3C has no debug bit: debug arrives as sampled.
        EXPECT_EQ(got.flags, std::string(name) == "w3c" && flags == kDebug ? kSampled : flags);
      }
    }
  }
}

TEST(PropagationTracer, AnExtractedContextParentsTheNextSpan) {
  test::UdpReceiver receiver;
  TracerProvider provider(test::options_for(receiver));
  Tracer tracer = provider.tracer("propagation");
  const PropagationContext incoming =
      extract_from(W3CTraceContextPropagator(), traceparent("00-" + kW3cIds + "-01"));
  ASSERT_TRUE(incoming.valid());
  SpanContext server_context;
  PropagationContext outgoing;
  {
    StartSpanOptions options;
    options.kind = SpanKind::kServer;
    options.parent = incoming.span_context;
    Span server = tracer.start_span("server", options);
    server_context = server.context();
    Scope scope(server);
    Span client = tracer.start_span("client");  // the current span's child
    outgoing = incoming.with_span(client.context());
    // And a remote parent through the current-span scope.
    Scope remote_scope(extract_from(JaegerPropagator(), uber("abc:def:0:1")).span_context);
    Span via_scope = tracer.start_span("via-scope");
  }
  Headers out;
  inject_into(W3CTraceContextPropagator(), outgoing, out);
  EXPECT_EQ(out.front().second.substr(0, 36), "00-0af7651916cd43dd8448eb211c80319c-");

  ASSERT_TRUE(provider.force_flush());
  test::Arrived arrived;
  arrived.decode(test::sent_by(provider, receiver));
  const detail::Span* server = arrived.by_name("server");
  const detail::Span* client = arrived.by_name("client");
  const detail::Span* via_scope = arrived.by_name("via-scope");
  ASSERT_TRUE(server && client && via_scope);
  EXPECT_EQ(server->trace_id_high, kW3cTrace.high);
  EXPECT_EQ(server->trace_id_low, kW3cTrace.low);
  EXPECT_EQ(server->parent_span_id, kW3cSpan);
  EXPECT_EQ(server->span_id, server_context.span_id);
  EXPECT_EQ(client->trace_id_low, kW3cTrace.low);
  EXPECT_EQ(client->parent_span_id, server->span_id);
  EXPECT_EQ(via_scope->trace_id_high, 0u);
  EXPECT_EQ(via_scope->trace_id_low, 0xabcu);
  EXPECT_EQ(via_scope->parent_span_id, 0xdefu);
}

}  // namespace
}  // namespace litetrace
