// The tracing API end to end: spans recorded on application threads arrive over UDP with
// the OpenTelemetry -> Jaeger mapping of DESIGN.md section 3.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <set>
#include <thread>

#include "litetrace/sampler.h"
#include "litetrace/trace.h"
#include "litetrace/version.h"
#include "core/tick_clock.h"
#include "pipeline/batcher.h"
#include "pipeline/provider_core.h"
#include "support/refusing_port.h"
#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"

namespace litetrace {
namespace {

using test::Arrived;
using test::find_tag;
using test::options_for;
using test::UdpReceiver;

TEST(Tracer, SpanFieldsAndTheJaegerMapping) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.resource_attributes = {{"deployment.environment", "test"}};
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("my.library", "1.2.3");

  SpanContext parent_ctx;
  SpanContext link_ctx;
  {
    Span linked = tracer.start_span("linked", {}, {}, StartSpanOptions{SpanKind::kInternal, {}, true, {}, {}});
    link_ctx = linked.context();
  }
  {
    StartSpanOptions so;
    so.kind = SpanKind::kServer;
    Span parent = tracer.start_span("parent", {{"http.method", "GET"}, {"retries", 3}}, {link_ctx}, so);
    parent_ctx = parent.context();
    Scope scope(parent);
    std::string key = "temporary key";  // dies before the span ends: the span must copy it
    parent.set_attribute(key, std::string("temporary value"));
    key.assign(key.size(), 'X');
    parent.set_attribute("retries", 4);  // same key: replaces
    parent.set_attribute("ratio", 0.25);
    parent.set_attribute("cached", false);
    const unsigned char raw[] = {0, 1, 254, 255};
    parent.set_attribute("raw", Bytes{raw, sizeof raw});
    parent.add_event("cache miss", {{"key", "user:42"}, {"size", 512}});
    parent.set_status(StatusCode::kError, "upstream timed out");
    parent.update_name("GET /users");
    {
      StartSpanOptions child_options;
      child_options.kind = SpanKind::kClient;
      Span child = tracer.start_span("child", child_options);  // parent from the Scope
      EXPECT_EQ(child.context().trace_id, parent.context().trace_id);
      child.set_status(StatusCode::kOk);
      child.set_status(StatusCode::kError, "ignored: Ok is final");
    }
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  ASSERT_EQ(got.spans.size(), 3u);

  const detail::DecodedBatch& batch = got.batches.front();
  EXPECT_EQ(batch.process.service_name, "tracer-test");
  std::map<std::string, std::string> ptags;
  for (const detail::Tag& t : batch.process.tags) ptags[std::string(t.key)] = std::string(t.str);
  EXPECT_EQ(ptags["deployment.environment"], "test");
  EXPECT_EQ(ptags["jaeger.version"].rfind("litetrace-cpp-", 0), 0u);
  EXPECT_EQ(ptags["telemetry.sdk.name"], "litetrace");
  EXPECT_EQ(ptags["telemetry.sdk.language"], "cpp");
  EXPECT_EQ(ptags["telemetry.sdk.version"], LITETRACE_VERSION_STRING);
  EXPECT_FALSE(ptags["hostname"].empty());
  EXPECT_FALSE(ptags["ip"].empty());

  const detail::Span* p = got.by_name("GET /users");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->trace_id_high, parent_ctx.trace_id.high);
  EXPECT_EQ(p->trace_id_low, parent_ctx.trace_id.low);
  EXPECT_NE(p->trace_id_high, 0u);  // 128-bit trace ids
  EXPECT_EQ(p->span_id, parent_ctx.span_id);
  EXPECT_EQ(p->parent_span_id, 0u);
  EXPECT_EQ(p->flags, detail::kFlagSampled);
  EXPECT_EQ(std::string(find_tag(*p, "http.method")->str), "GET");
  EXPECT_EQ(find_tag(*p, "retries")->vlong, 4);
  EXPECT_EQ(find_tag(*p, "ratio")->vdouble, 0.25);
  EXPECT_EQ(find_tag(*p, "cached")->type, detail::TagType::kBool);
  EXPECT_FALSE(find_tag(*p, "cached")->vbool);
  EXPECT_EQ(find_tag(*p, "raw")->type, detail::TagType::kBinary);
  EXPECT_EQ(find_tag(*p, "raw")->str, std::string_view("\x00\x01\xfe\xff", 4));
  EXPECT_EQ(std::string(find_tag(*p, "temporary key")->str), "temporary value");
  EXPECT_EQ(std::string(find_tag(*p, "span.kind")->str), "server");
  EXPECT_EQ(std::string(find_tag(*p, "otel.status_code")->str), "ERROR");
  EXPECT_EQ(std::string(find_tag(*p, "otel.status_description")->str), "upstream timed out");
  ASSERT_NE(find_tag(*p, "error"), nullptr);
  EXPECT_EQ(find_tag(*p, "error")->type, detail::TagType::kBool);  // a string "true" is ignored by Jaeger
  EXPECT_TRUE(find_tag(*p, "error")->vbool);
  EXPECT_EQ(std::string(find_tag(*p, "otel.scope.name")->str), "my.library");
  EXPECT_EQ(std::string(find_tag(*p, "otel.scope.version")->str), "1.2.3");
  EXPECT_EQ(std::string(find_tag(*p, "otel.library.name")->str), "my.library");
  // No sampler configured: every trace is sampled and no sampler tags are sent.
  EXPECT_EQ(find_tag(*p, "sampler.type"), nullptr);
  EXPECT_EQ(find_tag(*p, "sampler.param"), nullptr);
  int retries_tags = 0;
  for (const detail::Tag& t : p->tags) retries_tags += t.key == "retries";
  EXPECT_EQ(retries_tags, 1);
  ASSERT_EQ(p->logs.size, 1u);
  EXPECT_EQ(std::string(p->logs[0].fields[0].key), "event");
  EXPECT_EQ(std::string(p->logs[0].fields[0].str), "cache miss");
  EXPECT_EQ(std::string(p->logs[0].fields[1].str), "user:42");
  EXPECT_EQ(p->logs[0].fields[2].vlong, 512);
  EXPECT_GE(p->logs[0].timestamp_us, p->start_time_us);
  ASSERT_EQ(p->references.size, 1u);  // a root with a link: no CHILD_OF
  EXPECT_EQ(p->references[0].type, detail::RefType::kFollowsFrom);
  EXPECT_EQ(p->references[0].span_id, link_ctx.span_id);
  EXPECT_EQ(p->references[0].trace_id_low, link_ctx.trace_id.low);

  const detail::Span* c = got.by_name("child");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->parent_span_id, parent_ctx.span_id);
  EXPECT_EQ(c->trace_id_low, parent_ctx.trace_id.low);
  EXPECT_EQ(std::string(find_tag(*c, "span.kind")->str), "client");
  EXPECT_EQ(std::string(find_tag(*c, "otel.status_code")->str), "OK");
  EXPECT_EQ(find_tag(*c, "error"), nullptr);
  EXPECT_EQ(find_tag(*c, "sampler.type"), nullptr);  // only the root says how it was sampled
  EXPECT_GE(c->start_time_us, p->start_time_us);
  EXPECT_LE(c->start_time_us + c->duration_us, p->start_time_us + p->duration_us + 1);

  const detail::Span* l = got.by_name("linked");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(find_tag(*l, "span.kind"), nullptr);  // internal: no tag
  EXPECT_NE(l->trace_id_low, p->trace_id_low);    // root: a trace of its own
}

// Scopes are interned once per name and version for the whole process: records and the
// encoders' tag cache hold them by address, and a tracer made again must not add one.
TEST(Tracer, ScopesAreInternedOncePerNameAndVersion) {
  using detail::intern_scope;
  const detail::TracerScope* a = intern_scope("interning.test", "1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "interning.test");
  EXPECT_EQ(a->version, "1");
  const detail::TracerScope* b = intern_scope("interning.test", "2");
  const detail::TracerScope* c = intern_scope("interning.test.other", "1");
  EXPECT_NE(b, a);
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  EXPECT_EQ(intern_scope("interning.test", "1"), a);
  EXPECT_EQ(intern_scope(std::string("interning.") + "test", "2"), b);  // by value
  EXPECT_EQ(intern_scope("interning.test.other", "1"), c);
  EXPECT_EQ(b->version, "2");
}

TEST(Tracer, TimesAreWallClockMicroseconds) {
  UdpReceiver receiver;
  TracerProvider provider(options_for(receiver));
  Tracer tracer = provider.tracer("t");
  const auto before = std::chrono::system_clock::now();
  {
    Span s = tracer.start_span("measured");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto after = std::chrono::system_clock::now();
  const SystemTime explicit_start = std::chrono::system_clock::from_time_t(1700000000);
  {
    StartSpanOptions so;
    so.start_time = explicit_start;
    Span s = tracer.start_span("explicit", so);
    s.add_event("at a given time", explicit_start + std::chrono::milliseconds(3));
    s.end(explicit_start + std::chrono::seconds(2));
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  const auto us = [](SystemTime t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  };
  const detail::Span* m = got.by_name("measured");
  ASSERT_NE(m, nullptr);
  EXPECT_GE(m->start_time_us, us(before) - 2000);
  EXPECT_LE(m->start_time_us + m->duration_us, us(after) + 2000);
  EXPECT_GE(m->duration_us, 45000);
  EXPECT_LE(m->duration_us, us(after) - us(before) + 2000);
  const detail::Span* e = got.by_name("explicit");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->start_time_us, 1700000000000000);
  EXPECT_EQ(e->duration_us, 2000000);
  EXPECT_EQ(e->logs[0].timestamp_us, 1700000000003000);
}

TEST(Tracer, LimitsDropAndCount) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.max_attributes = 3;
  o.max_events = 2;
  o.max_links = 1;
  o.max_attribute_length = 5;
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");  // no scope tags: only the attributes count
  {
    Span s = tracer.start_span("limited");
    for (int i = 0; i < 10; ++i) s.set_attribute("k" + std::to_string(i), i);
    s.set_attribute("k0", "a long value \xE2\x9C\x93");  // replacing an existing key is allowed
    for (int i = 0; i < 5; ++i) s.add_event("e");
    const SpanContext other = tracer.start_span("other").context();
    s.add_link(other);
    s.add_link(other);
    s.add_link(other);
    s.add_link(SpanContext{});  // invalid: ignored, not counted
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  const detail::Span* s = got.by_name("limited");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->tags.size, 3u);
  EXPECT_EQ(s->dropped_tags, 7u);
  EXPECT_EQ(std::string(find_tag(*s, "k0")->str), "a lon");  // truncated to 5 bytes
  EXPECT_EQ(s->logs.size, 2u);
  EXPECT_EQ(s->dropped_logs, 3u);
  EXPECT_EQ(s->references.size, 1u);
  EXPECT_EQ(s->dropped_references, 2u);
}

// A name longer than a span's buffer may hold (half the ring, less the header) is cut to
// the room there is, and the span arrives with that beginning of its name beside its
// neighbours, which keep theirs, across the ring's wraps. (That a record with no items has
// room for the chunk end() copies is checked directly:
// MoveChunks.ARecordHoldsTheChunksItsItemsAreCopiedIn.)
TEST(Tracer, ANameTooLongForItsSpansBufferArrivesCutWithTheOthers) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.ring_bytes_per_thread = 4096;  // a span holds under 2 KiB of items
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  std::string too_long;
  for (int i = 0; too_long.size() < 3000; ++i) too_long += std::to_string(i) + ' ';
  for (int i = 0; i < 40; ++i) {
    tracer.start_span("before").end();
    tracer.start_span(too_long).end();
    tracer.start_span("after").end();
    ASSERT_TRUE(provider.force_flush());  // the ring never fills: nothing is dropped
  }
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  ASSERT_EQ(got.spans.size(), 120u);
  size_t before = 0, cut = 0, after = 0;
  for (const detail::Span* s : got.spans) {
    const std::string name(s->operation_name);
    if (name == "before") ++before;
    if (name == "after") ++after;
    // Most of the 2 KiB, and exactly the name's beginning.
    if (name.size() > 1800 && name.size() < 2048 && too_long.compare(0, name.size(), name) == 0) ++cut;
  }
  EXPECT_EQ(before, 40u);
  EXPECT_EQ(cut, 40u);
  EXPECT_EQ(after, 40u);
  EXPECT_EQ(provider.stats().spans_dropped_queue, 0u);
}

// The cut falls between UTF-8 sequences, and a name set again or a status description too
// long for the room the span's attributes leave is cut to that room, not lost.
TEST(Tracer, ANameOrDescriptionCutToItsSpansRoomKeepsWholeCharactersAndTheAttributes) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.ring_bytes_per_thread = 4096;  // a span holds under 2 KiB of items
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  std::string accents;  // 3,000 bytes of two-byte and three-byte sequences
  while (accents.size() < 3000) accents += "\xC3\xA9\xE2\x82\xAC";  // U+00E9, U+20AC
  {
    Span s = tracer.start_span("first name");
    s.set_attribute("ballast", std::string(1000, 'b'));
    s.update_name(accents);
  }
  ASSERT_TRUE(provider.force_flush());  // a span takes up to half the ring: one at a time
  {
    Span s = tracer.start_span("described");
    s.set_attribute("ballast", std::string(1000, 'b'));
    s.set_status(StatusCode::kError, std::string(3000, 'd'));
  }
  ASSERT_TRUE(provider.force_flush());
  tracer.start_span(accents).end();
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  ASSERT_EQ(got.spans.size(), 3u);  // one thread's spans arrive in the order they ended
  const auto whole_characters = [](const std::string& s) {
    return s.size() % 5 == 0 || s.size() % 5 == 2;  // ends after U+00E9 or after U+20AC
  };
  const detail::Span& renamed = *got.spans[0];
  const std::string name(renamed.operation_name);
  EXPECT_GT(name.size(), 700u);  // the room the ballast leaves
  EXPECT_TRUE(whole_characters(name)) << name.size();
  EXPECT_EQ(accents.compare(0, name.size(), name), 0);
  ASSERT_NE(find_tag(renamed, "ballast"), nullptr);
  EXPECT_EQ(find_tag(renamed, "ballast")->str.size(), 1000u);

  const detail::Span& described = *got.spans[1];
  EXPECT_EQ(std::string(described.operation_name), "described");
  ASSERT_NE(find_tag(described, "otel.status_description"), nullptr);
  const std::string_view cut = find_tag(described, "otel.status_description")->str;
  EXPECT_GT(cut.size(), 700u);
  EXPECT_EQ(cut.find_first_not_of('d'), std::string_view::npos);
  EXPECT_EQ(std::string(find_tag(described, "otel.status_code")->str), "ERROR");
  ASSERT_NE(find_tag(described, "ballast"), nullptr);

  const std::string first(got.spans[2]->operation_name);
  EXPECT_GT(first.size(), 1800u);
  EXPECT_TRUE(whole_characters(first)) << first.size();
  EXPECT_EQ(accents.compare(0, first.size(), first), 0);
}

// An event over its attribute limit counts what it dropped on itself, as the
// specification asks (the count belongs to the entity that dropped), not on the span.
TEST(Tracer, AnEventCountsTheAttributesItDropsOnItself) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.max_attributes_per_event = 2;
  o.ring_bytes_per_thread = 4096;  // a span holds under 2 KiB of items
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  {
    Span s = tracer.start_span("events");
    s.set_attribute("own", 1);
    s.add_event("crowded", {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"otel.dropped_attributes_count", 99}});
    s.add_event("fits", {{"a", 1}, {"a", 2}});  // a repeated key is not a drop
    // A value replaced by a longer one leaves a dead item (too small to reclaim at once
    // next to the ballast), so the span is full when the next event's first attribute
    // comes and compacts under it; the event's count must still find the event.
    s.set_attribute("ballast", std::string(900, 'b'));
    s.set_attribute("pad", std::string(300, 'p'));
    s.set_attribute("pad", std::string(301, 'p'));
    s.add_event("after padding", {{"x", std::string(300, 'y')}, {"y", 1}, {"z", 2}});
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  const detail::Span* s = got.by_name("events");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->dropped_tags, 0u);
  ASSERT_EQ(s->logs.size, 3u);
  const auto fields = [](const detail::Log& log) {
    std::vector<std::string> out;
    for (const detail::Tag& t : log.fields) {
      out.push_back(std::string(t.key) + "=" + (t.type == detail::TagType::kString ? std::string(t.str).substr(0, 3)
                                                                                   : std::to_string(t.vlong)));
    }
    return out;
  };
  EXPECT_EQ(fields(s->logs.data[0]),
            (std::vector<std::string>{"event=cro", "otel.dropped_attributes_count=3", "a=1", "b=2"}));
  EXPECT_EQ(fields(s->logs.data[1]), (std::vector<std::string>{"event=fit", "a=2"}));
  EXPECT_EQ(fields(s->logs.data[2]),
            (std::vector<std::string>{"event=aft", "otel.dropped_attributes_count=1", "x=yyy", "y=1"}));
}

// A key set again keeps the place it was first set at and takes the last value (the
// rules are applied on the batcher: record_normalizer.h); past the limit, every value set
// for a key that did not make it is dropped and counted, a kept key's new value is not.
TEST(Tracer, AKeySetAgainKeepsItsPlaceAndTakesTheLastValue) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.max_attributes = 3;
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  {
    Span s = tracer.start_span("ordered");
    s.set_attribute("a", 1);
    s.set_attribute("b", "short");
    s.set_attribute("a", "a longer value than before");
    s.set_attribute("c", true);
    s.set_attribute("d", 4);   // the fourth key: dropped
    s.set_attribute("b", 2.5);
    s.set_attribute("d", 5);   // dropped again
    s.set_attribute("e", 6);   // dropped
    s.set_attribute("c", false);
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  const detail::Span* s = got.by_name("ordered");
  ASSERT_NE(s, nullptr);
  std::vector<std::string> keys;
  for (const detail::Tag& t : s->tags) {
    if (t.key.substr(0, 5) != "otel.") keys.emplace_back(t.key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(std::string(find_tag(*s, "a")->str), "a longer value than before");
  EXPECT_EQ(find_tag(*s, "b")->vdouble, 2.5);
  EXPECT_EQ(find_tag(*s, "c")->vbool, false);
  EXPECT_EQ(s->dropped_tags, 3u);  // d, d, e
}

// An attribute, the name and the status description set over and over: the last value
// is what arrives, nothing is counted dropped, and other attributes are untouched.
TEST(Tracer, TheLastValueWinsHoweverOftenItIsReplaced) {
  UdpReceiver receiver;
  TracerProvider provider(options_for(receiver));
  Tracer tracer = provider.tracer("");
  {
    Span s = tracer.start_span("first name");
    s.set_attribute("before", "kept");
    for (int i = 0; i < 20000; ++i) {
      s.set_attribute("progress", i);                                 // same size: in place
      s.set_attribute("phase", std::string(static_cast<size_t>(i % 37), 'x'));  // sizes vary
      s.set_attribute("even", i % 2 == 0);
      const uint8_t blob[3] = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8), 0};
      s.set_attribute("blob", Bytes{blob, static_cast<size_t>(1 + i % 3)});
      if (i % 3 == 0) s.update_name("name " + std::to_string(i));
      if (i % 5 == 0) s.set_status(StatusCode::kError, "failure " + std::to_string(i));
    }
    s.set_attribute("progress", 0.5);  // another type, the same size
    s.set_attribute("after", "kept");
  }
  {
    Span s = tracer.start_span("cleared");
    s.set_status(StatusCode::kError, "described");
    s.set_status(StatusCode::kError, "");  // an error with no description has none
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  const detail::Span* s = got.by_name("name 19998");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->dropped_tags, 0u);
  ASSERT_NE(find_tag(*s, "progress"), nullptr);
  EXPECT_EQ(find_tag(*s, "progress")->type, detail::TagType::kDouble);
  EXPECT_EQ(find_tag(*s, "progress")->vdouble, 0.5);
  ASSERT_NE(find_tag(*s, "phase"), nullptr);
  EXPECT_EQ(std::string(find_tag(*s, "phase")->str), std::string(19999 % 37, 'x'));
  ASSERT_NE(find_tag(*s, "even"), nullptr);
  EXPECT_FALSE(find_tag(*s, "even")->vbool);  // 19999
  ASSERT_NE(find_tag(*s, "blob"), nullptr);
  EXPECT_EQ(find_tag(*s, "blob")->type, detail::TagType::kBinary);
  EXPECT_EQ(std::string(find_tag(*s, "blob")->str), std::string("\x1f\x4e", 2));  // 19999 = 0x4e1f, 2 bytes
  ASSERT_NE(find_tag(*s, "otel.status_description"), nullptr);
  EXPECT_EQ(std::string(find_tag(*s, "otel.status_description")->str), "failure 19995");
  EXPECT_EQ(std::string(find_tag(*s, "before")->str), "kept");
  EXPECT_EQ(std::string(find_tag(*s, "after")->str), "kept");
  size_t progress_tags = 0;
  for (const detail::Tag& t : s->tags) progress_tags += t.key == "progress";
  EXPECT_EQ(progress_tags, 1u);

  const detail::Span* cleared = got.by_name("cleared");
  ASSERT_NE(cleared, nullptr);
  EXPECT_EQ(find_tag(*cleared, "otel.status_description"), nullptr);
  ASSERT_NE(find_tag(*cleared, "error"), nullptr);
}

// One tag per key: user attributes named like the mapping's tags do not make a second
// tag (the mapping's value wins; where the mapping writes none, the attribute stays), keys
// are unique within an event (the last value wins), and when a span is trimmed the user's
// attributes go before the tags that carry meaning.
TEST(Tracer, TheMappingsTagsAreUniqueAndSurviveTrimming) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.max_packet_size = 2048;
  o.on_diagnostic = [](const Diagnostic&) {};  // trimming is said; not the point here
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("scope", "1.0");
  StartSpanOptions server;
  server.kind = SpanKind::kServer;
  {
    Span s = tracer.start_span("clash", server);
    s.set_attribute("error", false);
    s.set_attribute("span.kind", "client");
    s.set_attribute("otel.status_code", "OK");
    s.set_attribute("otel.scope.name", "mine");
    s.set_attribute("kept", 1);
    s.add_event("e", {{"k", 1}, {"other", 2}, {"k", 3}});
    s.set_status(StatusCode::kError, "broken");
  }
  {
    Span s = tracer.start_span("internal");  // no span.kind tag of the mapping's own
    s.set_attribute("span.kind", "custom");
  }
  {
    Span s = tracer.start_span("trimmed", server);
    for (int i = 0; i < 200; ++i) s.set_attribute("attribute." + std::to_string(i), std::string(40, 'v'));
    s.set_status(StatusCode::kError, "too big");
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  const auto count = [](const detail::Span& s, std::string_view key) {
    size_t n = 0;
    for (const detail::Tag& t : s.tags) n += t.key == key;
    return n;
  };
  const detail::Span* clash = got.by_name("clash");
  ASSERT_NE(clash, nullptr);
  for (const char* key : {"error", "span.kind", "otel.status_code", "otel.scope.name", "kept"}) {
    EXPECT_EQ(count(*clash, key), 1u) << key;
  }
  EXPECT_TRUE(find_tag(*clash, "error")->vbool);
  EXPECT_EQ(std::string(find_tag(*clash, "span.kind")->str), "server");
  EXPECT_EQ(std::string(find_tag(*clash, "otel.status_code")->str), "ERROR");
  EXPECT_EQ(std::string(find_tag(*clash, "otel.scope.name")->str), "scope");
  ASSERT_EQ(clash->logs.size, 1u);
  std::vector<std::pair<std::string, int64_t>> fields;
  for (const detail::Tag& f : clash->logs[0].fields) {
    if (f.key != "event") fields.emplace_back(std::string(f.key), f.vlong);
  }
  EXPECT_EQ(fields, (std::vector<std::pair<std::string, int64_t>>{{"other", 2}, {"k", 3}}));

  const detail::Span* internal = got.by_name("internal");
  ASSERT_NE(internal, nullptr);
  EXPECT_EQ(std::string(find_tag(*internal, "span.kind")->str), "custom");

  const detail::Span* trimmed = got.by_name("trimmed");
  ASSERT_NE(trimmed, nullptr);
  EXPECT_GT(trimmed->dropped_tags, 100u);  // decoded from otel.dropped_attributes_count
  for (const char* key : {"error", "span.kind", "otel.status_code", "otel.status_description", "otel.scope.name",
                          "otel.scope.version", "otel.library.name", "otel.library.version"}) {
    EXPECT_EQ(count(*trimmed, key), 1u) << key;
  }
}

// Each set_attribute overload records its value with the right Jaeger type.
TEST(Tracer, EverySetAttributeOverload) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.max_attribute_length = 4;
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  {
    Span s = tracer.start_span("typed");
    const std::string owned = "owned string";
    const unsigned char raw[] = {1, 2, 3, 4, 5, 6};
    s.set_attribute("string_view", std::string_view("view value"));
    s.set_attribute("c_string", "literal");
    s.set_attribute("std_string", owned);
    s.set_attribute("bool", true);
    s.set_attribute("int", -7);
    s.set_attribute("uint64", uint64_t{1} << 40);
    s.set_attribute("char", 'A');
    s.set_attribute("double", 0.5);
    s.set_attribute("float", 0.25f);
    s.set_attribute("bytes", Bytes{raw, sizeof raw});
    s.set_attribute("value", AttributeValue(int64_t{42}));
    s.set_attribute("value_string", AttributeValue("abcdef"));
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  const detail::Span* s = got.by_name("typed");
  ASSERT_NE(s, nullptr);
  const auto str = [&](const char* key) { return std::string(find_tag(*s, key)->str); };
  EXPECT_EQ(str("string_view"), "view");  // max_attribute_length = 4
  EXPECT_EQ(str("c_string"), "lite");
  EXPECT_EQ(str("std_string"), "owne");
  EXPECT_EQ(find_tag(*s, "bool")->type, detail::TagType::kBool);
  EXPECT_TRUE(find_tag(*s, "bool")->vbool);
  EXPECT_EQ(find_tag(*s, "int")->vlong, -7);
  EXPECT_EQ(find_tag(*s, "uint64")->vlong, int64_t{1} << 40);
  EXPECT_EQ(find_tag(*s, "char")->vlong, 'A');
  EXPECT_EQ(find_tag(*s, "double")->vdouble, 0.5);
  EXPECT_EQ(find_tag(*s, "float")->vdouble, 0.25);
  EXPECT_EQ(find_tag(*s, "bytes")->type, detail::TagType::kBinary);
  EXPECT_EQ(find_tag(*s, "bytes")->str, std::string_view("\x01\x02\x03\x04", 4));
  EXPECT_EQ(find_tag(*s, "value")->vlong, 42);
  EXPECT_EQ(str("value_string"), "abcd");
}

// A literal key's setter writes its item inline (trace.h); the same attributes given as
// string_views go to the setters out of line. Both must record the same, in the common case
// and on each way out of it: a value over max_attribute_length, a span whose inline room is
// used up, a char array longer than its text (a key too long for an item:
// otlp_exporter_test.cc, as no datagram holds it).
TEST(Tracer, ALiteralKeysSetterRecordsWhatTheGeneralOneRecords) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.max_attribute_length = 8;
  o.max_attributes = 1000;
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  char short_key[32] = "short";  // its text, not its array
  char short_value[32] = "text";
  {
    Span s = tracer.start_span("literal");
    s.set_attribute("s", "GET");
    s.set_attribute("cut", "longer than eight");
    s.set_attribute("", "empty key");
    s.set_attribute("empty", "");
    s.set_attribute("yes", true);
    s.set_attribute("no", false);
    s.set_attribute("int", -7);
    s.set_attribute("uint64", UINT64_MAX);
    s.set_attribute("char", 'A');
    s.set_attribute("double", -0.5);
    s.set_attribute("float", 0.25f);
    s.set_attribute(short_key, 1);
    s.set_attribute("array value", short_value);
    // 40 items of 29 bytes: past the 640 inline bytes, so the buffer grows out of line.
    for (int i = 0; i < 40; ++i) s.set_attribute("repeated key", i);
    s.set_attribute("s", "last");
  }
  {
    using V = std::string_view;
    Span s = tracer.start_span("general");
    s.set_attribute(V("s"), V("GET"));
    s.set_attribute(V("cut"), V("longer than eight"));
    s.set_attribute(V(""), V("empty key"));
    s.set_attribute(V("empty"), V(""));
    s.set_attribute(V("yes"), true);
    s.set_attribute(V("no"), false);
    s.set_attribute(V("int"), int64_t{-7});
    s.set_attribute(V("uint64"), UINT64_MAX);
    s.set_attribute(V("char"), 'A');
    s.set_attribute(V("double"), -0.5);
    s.set_attribute(V("float"), 0.25);
    s.set_attribute(V(short_key), 1);
    s.set_attribute(V("array value"), V(short_value));
    for (int i = 0; i < 40; ++i) s.set_attribute(V("repeated key"), i);
    s.set_attribute(V("s"), V("last"));
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  const auto expect_same_tags = [&](const char* literal_name, const char* general_name) {
    const detail::Span* literal = got.by_name(literal_name);
    const detail::Span* general = got.by_name(general_name);
    ASSERT_NE(literal, nullptr);
    ASSERT_NE(general, nullptr);
    ASSERT_EQ(literal->tags.size, general->tags.size);
    for (size_t i = 0; i < literal->tags.size; ++i) {
      const detail::Tag& a = literal->tags[i];
      const detail::Tag& b = general->tags[i];
      EXPECT_EQ(a.key, b.key) << i;
      EXPECT_EQ(a.type, b.type) << a.key;
      EXPECT_EQ(a.str, b.str) << a.key;
      EXPECT_EQ(a.vlong, b.vlong) << a.key;
      EXPECT_EQ(a.vbool, b.vbool) << a.key;
      EXPECT_EQ(std::memcmp(&a.vdouble, &b.vdouble, sizeof a.vdouble), 0) << a.key;
    }
  };
  expect_same_tags("literal", "general");
  const detail::Span* literal = got.by_name("literal");
  ASSERT_NE(literal, nullptr);
  // What both recorded, so that both cannot be wrong alike.
  EXPECT_EQ(find_tag(*literal, "s")->str, "last");
  EXPECT_EQ(find_tag(*literal, "cut")->str, "longer t");
  EXPECT_EQ(find_tag(*literal, "")->str, "empty ke");
  EXPECT_EQ(find_tag(*literal, "empty")->str, "");
  EXPECT_TRUE(find_tag(*literal, "yes")->vbool);
  EXPECT_EQ(find_tag(*literal, "no")->type, detail::TagType::kBool);
  EXPECT_FALSE(find_tag(*literal, "no")->vbool);
  EXPECT_EQ(find_tag(*literal, "int")->vlong, -7);
  EXPECT_EQ(find_tag(*literal, "uint64")->vlong, -1);
  EXPECT_EQ(find_tag(*literal, "char")->vlong, 'A');
  EXPECT_EQ(find_tag(*literal, "double")->vdouble, -0.5);
  EXPECT_EQ(find_tag(*literal, "float")->vdouble, 0.25);
  EXPECT_EQ(find_tag(*literal, "short")->vlong, 1);
  EXPECT_EQ(find_tag(*literal, "array value")->str, "text");
  EXPECT_EQ(find_tag(*literal, "repeated key")->vlong, 39);
}

TEST(Tracer, Utf8TruncationNeverSplitsACharacter) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.max_attribute_length = 4;
  TracerProvider provider(o);
  {
    Span s = provider.tracer("t").start_span("utf8");
    s.set_attribute("v", "a\xE2\x9C\x93z");  // 'a' + 3-byte check mark + 'z': 5 bytes
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  EXPECT_EQ(std::string(find_tag(*got.by_name("utf8"), "v")->str), "a\xE2\x9C\x93");
}

// Unsampled spans are not recorded, but propagate: a child of an unsampled parent keeps its
// trace id and gets a span id of its own. Once its thread has recorded for the provider it
// is decided on a shorter path (in Tracer::begin(), trace.cc), before that on the general
// one. Both must decide alike, and neither may pass over a sampler of the application's or
// a disabled provider.
TEST(Tracer, ChildrenOfAnUnsampledParentAreDecidedAlikeOnEveryPath) {
  SpanContext parent;
  parent.trace_id = TraceId{7, 8};
  parent.span_id = 9;
  parent.flags = 0;  // not sampled upstream
  parent.remote = true;
  StartSpanOptions child_of_parent;
  child_of_parent.parent = parent;
  std::set<uint64_t> span_ids{parent.span_id};
  auto expect_unsampled_child = [&](const Span& s) {
    EXPECT_FALSE(s.is_recording());
    EXPECT_EQ(s.context().trace_id, parent.trace_id);
    EXPECT_EQ(s.context().flags, parent.flags);
    EXPECT_FALSE(s.context().remote) << "started here";
    EXPECT_NE(s.context().span_id, 0u);
    EXPECT_TRUE(span_ids.insert(s.context().span_id).second) << "each child has a span id of its own";
  };

  UdpReceiver receiver;
  TracerProvider provider(options_for(receiver));
  Tracer tracer = provider.tracer("t");
  // On a thread that has not recorded for this provider yet: begin() decides, and registers it.
  std::thread([&] { expect_unsampled_child(tracer.start_span("first", child_of_parent)); }).join();
  // On this thread, after a recorded span: the shorter path, through both start_span overloads.
  tracer.start_span("recorded").end();
  for (int i = 0; i < 3; ++i) expect_unsampled_child(tracer.start_span("by option", child_of_parent));
  {
    Scope scope(parent);
    for (int i = 0; i < 3; ++i) {
      Span s = tracer.start_span("in scope");
      expect_unsampled_child(s);
      s.set_attribute("ignored", 1);
    }
  }
  ASSERT_TRUE(provider.force_flush());
  TracerStats stats = provider.stats();
  EXPECT_EQ(stats.spans_not_sampled, 7u);
  EXPECT_EQ(stats.spans_started, 1u);
  ASSERT_EQ(receiver.drain().size(), 1u) << "the recorded span alone";

  // A sampler of the application's decides for every child, whatever its parent says.
  TracerProviderOptions always_on = options_for(receiver);
  always_on.sampler = std::make_shared<AlwaysOnSampler>();
  TracerProvider sampling(always_on);
  Tracer sampling_tracer = sampling.tracer("t");
  sampling_tracer.start_span("registers").end();
  {
    Scope scope(parent);
    Span s = sampling_tracer.start_span("sampled child");
    EXPECT_TRUE(s.is_recording());
    EXPECT_TRUE(s.context().sampled());
    EXPECT_EQ(s.context().trace_id, parent.trace_id);
    EXPECT_FALSE(s.context().remote) << "started here";
    EXPECT_TRUE(span_ids.insert(s.context().span_id).second);
  }
  EXPECT_EQ(sampling.stats().spans_not_sampled, 0u);
  EXPECT_EQ(sampling.stats().spans_started, 2u);

  // A disabled provider counts nothing, and never registers the thread that the shorter
  // path needs; contexts still propagate.
  TracerProviderOptions off = options_for(receiver);
  off.disabled = true;
  TracerProvider disabled(off);
  Tracer disabled_tracer = disabled.tracer("t");
  disabled_tracer.start_span("root").end();
  {
    Scope scope(parent);
    expect_unsampled_child(disabled_tracer.start_span("child"));
  }
  EXPECT_EQ(disabled.stats().spans_not_sampled, 0u);
  EXPECT_EQ(disabled.stats().spans_started, 0u);
}

// Where the ticks are not the CPU counter's (armhf, x86 without an invariant TSC), every
// end reads the same clock as its start: the thread's ring refuses the quick ends that read
// the counter (SpanRing::refuse_quick_reservations). Were it to take them, an end in counter
// ticks against a start in nanoseconds would give durations of minutes or less than zero.
// The tick source is forced here, before this process makes its first provider (ctest runs
// each test in a process of its own), and restored after.
TEST(Tracer, EndsReadTheStartsClockWhereTheTicksAreNotTheCounters) {
  struct Restore {  // also when an assertion returns early
    detail::TickSource saved = detail::g_tick_source;
    ~Restore() { detail::g_tick_source = saved; }
  } restore;
  detail::g_tick_source = detail::TickSource::kMonotonicNs;
  {
    UdpReceiver receiver;
    TracerProvider provider(options_for(receiver));
    Tracer tracer = provider.tracer("t");
    const SystemTime before = std::chrono::system_clock::now();
    for (int i = 0; i < 50; ++i) tracer.start_span("monotonic").end();
    const SystemTime after = std::chrono::system_clock::now();
    ASSERT_TRUE(provider.shutdown());
    Arrived got;
    got.decode(test::sent_by(provider, receiver));
    ASSERT_EQ(got.spans.size(), 50u);
    const auto us = [](SystemTime t) {
      return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    };
    for (const detail::Span* s : got.spans) {
      EXPECT_GE(s->duration_us, 0);
      EXPECT_LE(s->duration_us, us(after) - us(before) + 2000);
      EXPECT_GE(s->start_time_us, us(before) - 2000);
      EXPECT_LE(s->start_time_us + s->duration_us, us(after) + 2000);
    }
  }
}

TEST(Tracer, ShutdownFlushesIsIdempotentAndCountsLateSpans) {
  UdpReceiver receiver;
  auto provider = std::make_unique<TracerProvider>(options_for(receiver));
  Tracer tracer = provider->tracer("t");
  Span late = tracer.start_span("ends after shutdown");
  for (int i = 0; i < 100; ++i) tracer.start_span("before shutdown").end();
  EXPECT_TRUE(provider->shutdown());
  EXPECT_TRUE(provider->shutdown());
  late.end();
  tracer.start_span("started after shutdown").end();
  const TracerStats s = provider->stats();
  EXPECT_EQ(s.spans_exported, 100u);
  EXPECT_EQ(s.spans_dropped_queue, 2u);
  EXPECT_EQ(s.spans_ended, 102u);
  EXPECT_EQ(s.spans_pending, 0u);
  EXPECT_FALSE(provider->force_flush(std::chrono::milliseconds(10)));
  Arrived got;
  got.decode(test::sent_by(*provider, receiver));
  EXPECT_EQ(got.spans.size(), 100u);
  provider.reset();  // the destructor after shutdown is harmless
}

TEST(Tracer, AMissingAgentShowsInTheStats) {
  const test::RefusingPort dead(test::RefusingPort::Protocol::kUdp);  // refuses what it is sent
  ASSERT_TRUE(dead.ok());
  const uint16_t dead_port = dead.port();
  TracerProviderOptions o;
  o.agent_host = "127.0.0.1";
  o.agent_port = dead_port;
  std::vector<std::string> reported;
  o.on_diagnostic = [&](const Diagnostic& d) { reported.emplace_back(d.message); };
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("t");
  // The first datagram leaves before the refusal is known; when the refusal comes back is
  // the kernel's affair (on a loaded machine, later), so rounds go on until one failed.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  uint64_t rounds = 0;
  do {
    tracer.start_span("to nowhere").end();
    provider.force_flush();
    ++rounds;
  } while (provider.stats().packets_failed == 0 && std::chrono::steady_clock::now() < give_up);
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_exported + s.spans_failed, rounds);
  EXPECT_GT(s.packets_failed, 0u);
  EXPECT_EQ(s.packets_failed, s.spans_failed);
  provider.shutdown();  // the callback runs on the batcher: read what it got once it stopped
  EXPECT_FALSE(reported.empty());
}

TEST(Tracer, DestructorFlushes) {
  UdpReceiver receiver;
  {
    TracerProvider provider(options_for(receiver));
    provider.tracer("t").start_span("flushed by the destructor").end();
  }
  Arrived got;
  got.decode(receiver.receive_all(1));
  ASSERT_EQ(got.spans.size(), 1u);
}

TEST(Tracer, ExitedThreadsLeaveTheirSpansBehind) {
  UdpReceiver receiver;
  TracerProvider provider(options_for(receiver));
  Tracer tracer = provider.tracer("t");
  for (int t = 0; t < 20; ++t) {
    std::thread([&] {
      for (int i = 0; i < 50; ++i) tracer.start_span("from a short-lived thread").end();
    }).join();
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  EXPECT_EQ(got.spans.size(), 1000u);
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_ended, 1000u);
  EXPECT_EQ(s.spans_exported, 1000u);
}

TEST(Tracer, AFullRingDropsAndCountsNeverBlocks) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.ring_bytes_per_thread = 4096;  // a few dozen spans
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("t");
  // Faster than any batcher drains (it would need tens of millions of spans a second).
  constexpr uint64_t kSpans = 200000;
  for (uint64_t i = 0; i < kSpans; ++i) tracer.start_span("burst").end();
  const bool flushed = provider.force_flush();
  const TracerStats s = provider.stats();
  ASSERT_GT(s.spans_dropped_queue, 0u);
  EXPECT_FALSE(flushed);  // something was lost, and force_flush says so
  EXPECT_EQ(s.spans_ended, kSpans);
  EXPECT_EQ(s.spans_exported + s.spans_dropped_queue, kSpans);
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  EXPECT_EQ(got.spans.size(), s.spans_exported);
  // The agent hears about it too.
  EXPECT_EQ(static_cast<uint64_t>(got.batches.back().stats.full_queue_dropped_spans), s.spans_dropped_queue);
  // And the next flush with nothing lost since is clean again.
  tracer.start_span("after").end();
  EXPECT_TRUE(provider.force_flush());
}

// Spans dropped before the batcher's thread first runs count as lost for the first flush:
// the batcher's first diagnostic (the clock source, said to a callback always) is held here
// until a burst has overflowed the ring, so its thread starts its work as late as a loaded
// machine may start it.
TEST(Tracer, AFlushReportsSpansLostBeforeTheBatcherThreadRan) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  o.ring_bytes_per_thread = 4096;  // a few dozen spans
  std::promise<void> burst_done;
  const std::shared_future<void> go = burst_done.get_future().share();
  std::atomic<bool> first{true};
  o.on_diagnostic = [go, &first](const Diagnostic&) {
    if (first.exchange(false)) go.wait();
  };
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("t");
  for (int i = 0; i < 1000; ++i) tracer.start_span("burst").end();
  ASSERT_GT(provider.stats().spans_dropped_queue, 0u);
  burst_done.set_value();
  EXPECT_FALSE(provider.force_flush());  // something was lost, and force_flush says so
  tracer.start_span("after").end();
  EXPECT_TRUE(provider.force_flush());
}

TEST(Tracer, MovedSpansEndOnce) {
  UdpReceiver receiver;
  TracerProvider provider(options_for(receiver));
  Tracer tracer = provider.tracer("t");
  {
    Span a = tracer.start_span("moved");
    Span b = std::move(a);
    Span c;
    c = std::move(b);
    EXPECT_FALSE(a.is_recording());
    EXPECT_TRUE(c.is_recording());
    std::thread([s = std::move(c)]() mutable { s.end(); }).join();  // ended on another thread
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  EXPECT_EQ(got.spans.size(), 1u);
}

// A root span's id is its trace id's low half, as Jaeger's and Zipkin's own clients make
// it (one random draw fewer on every root span); each root is a trace of its own, and its
// children share the trace and draw ids of their own. Both ways of starting a span, and
// what arrives says the same.
TEST(Tracer, ARootSpansIdIsItsTraceIdsLowHalf) {
  UdpReceiver receiver;
  TracerProvider provider(options_for(receiver));
  Tracer tracer = provider.tracer("t");
  std::set<std::pair<uint64_t, uint64_t>> traces;
  std::set<uint64_t> span_ids;
  for (int i = 0; i < 20; ++i) {
    Span root = i % 2 == 0 ? tracer.start_span("root") : tracer.start_span("root", StartSpanOptions{});
    const SpanContext r = root.context();
    EXPECT_EQ(r.span_id, r.trace_id.low) << i;
    EXPECT_NE(r.span_id, 0u) << i;
    EXPECT_TRUE(traces.insert({r.trace_id.high, r.trace_id.low}).second) << "a root repeated a trace id";
    EXPECT_TRUE(span_ids.insert(r.span_id).second) << i;
    Scope scope(root);
    Span child = i % 2 == 0 ? tracer.start_span("child") : tracer.start_span("child", StartSpanOptions{});
    EXPECT_EQ(child.context().trace_id, r.trace_id) << i;
    EXPECT_TRUE(span_ids.insert(child.context().span_id).second) << "a child repeated an id";
  }
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  int roots = 0;
  int children = 0;
  for (const detail::Span* sp : got.spans) {
    if (sp->operation_name == "root") {
      ++roots;
      EXPECT_EQ(sp->span_id, sp->trace_id_low);
      EXPECT_EQ(sp->parent_span_id, 0u);
    } else {
      ++children;
      EXPECT_NE(sp->span_id, sp->trace_id_low);
      EXPECT_EQ(sp->parent_span_id, sp->trace_id_low) << "its root's id";
    }
  }
  EXPECT_EQ(roots, 20);
  EXPECT_EQ(children, 20);
}

TEST(Tracer, IdsDoNotRepeatAcrossThreadsOrFork) {
  UdpReceiver receiver;
  TracerProvider provider(options_for(receiver));
  Tracer tracer = provider.tracer("t");
  tracer.start_span("warm").end();  // the parent's generator is seeded before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    uint64_t ids[100];
    // Both ways of starting a span, the common one first.
    for (size_t i = 0; i < 100; ++i) {
      ids[i] = i % 2 == 0 ? tracer.start_span("child process").context().span_id
                          : tracer.start_span("child process", StartSpanOptions{}).context().span_id;
    }
    const ssize_t n = write(fds[1], ids, sizeof ids);
    _exit(n == sizeof ids ? 0 : 1);
  }
  std::set<uint64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(tracer.start_span("parent process").context().span_id);
  uint64_t child_ids[100];
  ASSERT_EQ(read(fds[0], child_ids, sizeof child_ids), static_cast<ssize_t>(sizeof child_ids));
  int status = 0;
  waitpid(pid, &status, 0);
  for (uint64_t id : child_ids) EXPECT_TRUE(seen.insert(id).second) << "the child repeated the parent's id";
  close(fds[0]);
  close(fds[1]);
}

TEST(Tracer, AForkChildSendsItsOwnSpansAndNotTheParents) {
  UdpReceiver receiver;
  TracerProvider provider(options_for(receiver));
  Tracer tracer = provider.tracer("t");
  ASSERT_TRUE(provider.force_flush());
  // Ended but most likely still in the ring when fork() copies it: the parent sends them,
  // the child must not send them again.
  for (int i = 0; i < 50; ++i) tracer.start_span("parent").end();
  const pid_t pid = fork();
  if (pid == 0) {
    tracer.start_span("child").end();
    // The parent's batcher thread does not exist here: shutdown() starts one, sends, stops.
    const bool ok = provider.shutdown();
    const TracerStats s = provider.stats();
    if (!(ok && s.spans_ended == 1 && s.spans_exported == 1)) {
      std::fprintf(stderr, "child: shutdown %d, ended %llu, exported %llu\n", ok,
                   static_cast<unsigned long long>(s.spans_ended), static_cast<unsigned long long>(s.spans_exported));
    }
    _exit(ok && s.spans_ended == 1 && s.spans_exported == 1 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's shutdown did not send exactly its one span";
  ASSERT_TRUE(provider.force_flush());
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  std::set<uint64_t> ids;
  int parent = 0;
  int child = 0;
  for (const detail::Span* sp : got.spans) {
    EXPECT_TRUE(ids.insert(sp->span_id).second) << "a span arrived twice";
    parent += sp->operation_name == "parent";
    child += sp->operation_name == "child";
  }
  EXPECT_EQ(parent, 50);
  EXPECT_EQ(child, 1);
}

// A thread's state comes from its own operator new, aligned for its ring's cache lines,
// and goes back whole (ASan, in CI, says so when delete frees anything but the block new
// took). Several at once, since one block's placement can be aligned by luck.
TEST(ThreadState, IsAlignedForItsRingAndFreedWhole) {
  static_assert(alignof(detail::ThreadState) == 64, "the ring's cache lines");
  std::vector<detail::ThreadState*> states;
  for (int i = 0; i < 16; ++i) {
    auto* ts = new (detail::kNoThrow) detail::ThreadState(4096);
    ASSERT_NE(ts, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ts) % alignof(detail::ThreadState), 0u) << i;
    EXPECT_TRUE(ts->ring.allocated());
    detail::ThreadState::bump(ts->started);
    EXPECT_EQ(ts->counters().started, 1u);
    states.push_back(ts);
  }
  for (detail::ThreadState* ts : states) delete ts;
}

// The batcher's wait before its next pass: none after a large haul, nor while rings have
// lately overflowed (a pass that caught up with a producer waiting for room finds few
// spans, and a sleep then would drop what the ring cannot hold meanwhile); 1 ms while
// spans trickle; doubling to 50 ms while there are none.
TEST(Batcher, PollsAtOnceAfterALargeHaulOrWhileRingsOverflow) {
  using std::chrono::milliseconds;
  EXPECT_EQ(detail::next_poll(milliseconds(1), 256, false), milliseconds(0));
  EXPECT_EQ(detail::next_poll(milliseconds(0), 5000, false), milliseconds(0));
  EXPECT_EQ(detail::next_poll(milliseconds(0), 10, false), milliseconds(1));
  EXPECT_EQ(detail::next_poll(milliseconds(0), 10, true), milliseconds(0));
  EXPECT_EQ(detail::next_poll(milliseconds(1), 1, true), milliseconds(0));
  // An empty pass backs off whatever came before: nothing is there to lose.
  EXPECT_EQ(detail::next_poll(milliseconds(0), 0, true), milliseconds(1));
  EXPECT_EQ(detail::next_poll(milliseconds(1), 0, false), milliseconds(2));
  EXPECT_EQ(detail::next_poll(milliseconds(32), 0, false), milliseconds(50));
  EXPECT_EQ(detail::next_poll(milliseconds(50), 0, false), milliseconds(50));
}

// The batcher counts as behind for a window after a ring overflowed, unless the sink's
// own queue overflowed within the window too (then its sender is the limit).
TEST(Batcher, IsBehindForAWhileAfterARingOverflowedUnlessTheSinksQueueDid) {
  using std::chrono::milliseconds;
  const detail::OverflowWatch::Clock::time_point t0{std::chrono::seconds(1000)};
  detail::OverflowWatch watch(t0, milliseconds(100), 7, 3);
  EXPECT_FALSE(watch.batcher_behind(t0 + milliseconds(1), 7, 3));   // nothing new
  EXPECT_TRUE(watch.batcher_behind(t0 + milliseconds(2), 9, 3));    // a ring overflowed
  EXPECT_TRUE(watch.batcher_behind(t0 + milliseconds(101), 9, 3));  // still within the window
  EXPECT_FALSE(watch.batcher_behind(t0 + milliseconds(102), 9, 3));  // the window is over
  EXPECT_TRUE(watch.batcher_behind(t0 + milliseconds(200), 10, 3));
  EXPECT_FALSE(watch.batcher_behind(t0 + milliseconds(201), 11, 4));  // the sink's queue too
  EXPECT_FALSE(watch.batcher_behind(t0 + milliseconds(300), 12, 4));  // its window is not over
  EXPECT_TRUE(watch.batcher_behind(t0 + milliseconds(301), 13, 4));
}

}  // namespace
}  // namespace litetrace
