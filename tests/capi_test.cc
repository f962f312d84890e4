// The C API (include/litetrace/litetrace.h), called as a C program calls it: every function
// with NULL handles, options from setters and from variables, spans with every attribute
// type, events and links with attribute lists (the heap path past 128 too), status,
// exceptions, scopes, propagation through callbacks, statistics one by one, the global
// provider, and a start-options struct from an older, shorter header. What arrives is
// decoded from the Jaeger datagrams.

#include "litetrace/litetrace.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"

namespace litetrace {
namespace {

using test::Arrived;
using test::find_tag;
using test::UdpReceiver;

litetrace_provider* provider_for(const UdpReceiver& receiver, litetrace_options* o = nullptr) {
  litetrace_options* options = o != nullptr ? o : litetrace_options_new();
  litetrace_options_set_service_name(options, "c-api-test");
  litetrace_options_set_agent(options, "127.0.0.1", receiver.port());
  litetrace_provider* p = litetrace_provider_new(options);
  litetrace_options_free(options);
  return p;
}

Arrived arrived(litetrace_provider* provider, UdpReceiver& receiver) {
  EXPECT_EQ(litetrace_provider_force_flush(provider, 5000), 1);
  Arrived got;
  got.decode(receiver.receive_all(static_cast<size_t>(litetrace_provider_stat(provider, LITETRACE_STAT_PACKETS_SENT))));
  return got;
}

const detail::Tag* field(const detail::Log& log, std::string_view key) {
  for (const detail::Tag& t : log.fields) {
    if (t.key == key) return &t;
  }
  return nullptr;
}

TEST(CApi, EveryFunctionTakesNullHandles) {
  litetrace_options_free(nullptr);
  EXPECT_EQ(litetrace_options_set_service_name(nullptr, "x"), -1);
  EXPECT_EQ(litetrace_options_add_resource_attribute(nullptr, "k", "v"), -1);
  EXPECT_EQ(litetrace_options_set_exporter(nullptr, LITETRACE_EXPORTER_OTLP), -1);
  EXPECT_EQ(litetrace_options_set_agent(nullptr, "h", 1), -1);
  EXPECT_EQ(litetrace_options_set_otlp_endpoint(nullptr, "http://x"), -1);
  EXPECT_EQ(litetrace_options_set_zipkin_endpoint(nullptr, "http://x"), -1);
  EXPECT_EQ(litetrace_options_set_jaeger_endpoint(nullptr, "http://x"), -1);
  EXPECT_EQ(litetrace_options_set_variable(nullptr, "OTEL_SERVICE_NAME", "x"), -1);
  EXPECT_EQ(litetrace_options_set_diagnostic_handler(nullptr, [](void*, int, const char*) {}, nullptr), -1);
  litetrace_options* o = litetrace_options_new();
  EXPECT_EQ(litetrace_options_set_service_name(o, nullptr), -1);
  EXPECT_EQ(litetrace_options_set_exporter(o, 99), -1);
  EXPECT_EQ(litetrace_options_set_variable(o, "PATH", "/bin"), -1) << "not an OpenTelemetry variable";
  litetrace_options_free(o);

  litetrace_provider_free(nullptr);
  EXPECT_EQ(litetrace_provider_force_flush(nullptr, 10), 0);
  EXPECT_EQ(litetrace_provider_shutdown(nullptr, 10), 0);
  EXPECT_EQ(litetrace_provider_tracer(nullptr, "t", nullptr), nullptr);
  EXPECT_EQ(litetrace_provider_stat(nullptr, LITETRACE_STAT_SPANS_STARTED), 0u);
  litetrace_tracer_free(nullptr);

  // A NULL tracer starts a span that records nothing; NULL spans are ignored everywhere.
  litetrace_span span;
  litetrace_span_start(nullptr, &span, "nothing", nullptr);
  EXPECT_EQ(litetrace_span_is_recording(&span), 0);
  litetrace_span_start(nullptr, nullptr, "nothing", nullptr);
  litetrace_span_set_string(nullptr, "k", "v");
  litetrace_span_set_bool(nullptr, "k", 1);
  litetrace_span_set_int64(nullptr, "k", 1);
  litetrace_span_set_double(nullptr, "k", 1);
  litetrace_span_set_bytes(nullptr, "k", "v", 1);
  litetrace_span_set_string_array(nullptr, "k", nullptr, 0);
  litetrace_span_set_bool_array(nullptr, "k", nullptr, 0);
  litetrace_span_set_int64_array(nullptr, "k", nullptr, 0);
  litetrace_span_set_double_array(nullptr, "k", nullptr, 0);
  litetrace_span_set_attributes(nullptr, nullptr, 3);
  litetrace_span_add_event(nullptr, "e", nullptr, 0);
  litetrace_span_add_event_at(nullptr, "e", 1, nullptr, 0);
  litetrace_span_add_link(nullptr, nullptr, nullptr, 0);
  litetrace_span_set_status(nullptr, LITETRACE_STATUS_ERROR, "x");
  litetrace_span_record_exception(nullptr, "t", "m", nullptr);
  litetrace_span_update_name(nullptr, "n");
  litetrace_span_end(nullptr);
  litetrace_span_end_at(nullptr, 1);
  EXPECT_EQ(litetrace_span_is_recording(nullptr), 0);
  EXPECT_EQ(litetrace_span_get_context(nullptr).span_id, 0u);
  litetrace_span_end(&span);
  litetrace_scope_enter(nullptr, nullptr);
  litetrace_scope_exit(nullptr);
  litetrace_inject(nullptr, nullptr, nullptr, nullptr);
  litetrace_span_context ctx;
  ctx.span_id = 7;
  EXPECT_EQ(litetrace_extract(nullptr, nullptr, nullptr, &ctx), 0);
  EXPECT_EQ(ctx.span_id, 0u) << "left invalid";
  EXPECT_EQ(litetrace_extract(nullptr, nullptr, nullptr, nullptr), 0);
  EXPECT_STRNE(litetrace_version_string(), "");
}

TEST(CApi, SpansWithEveryKindOfValue) {
  UdpReceiver receiver;
  litetrace_options* o = litetrace_options_new();
  litetrace_options_add_resource_attribute(o, "deployment.environment", "c");
  litetrace_options_set_variable(o, "OTEL_SPAN_LINK_COUNT_LIMIT", "1");  // as the environment would say it
  litetrace_provider* provider = provider_for(receiver, o);
  litetrace_tracer* tracer = litetrace_provider_tracer(provider, "c.module", "3.0");

  litetrace_span parent;
  litetrace_start_options so = LITETRACE_START_OPTIONS_INIT;
  so.kind = LITETRACE_SPAN_KIND_SERVER;
  so.start_time_unix_ns = 1700000000000000000u;
  litetrace_span_start(tracer, &parent, "c parent", &so);
  ASSERT_EQ(litetrace_span_is_recording(&parent), 1);
  const litetrace_span_context parent_ctx = litetrace_span_get_context(&parent);
  litetrace_span_set_string(&parent, "s", "text");
  litetrace_span_set_bool(&parent, "b", 2);
  litetrace_span_set_int64(&parent, "i", -5);
  litetrace_span_set_double(&parent, "d", 0.25);
  litetrace_span_set_bytes(&parent, "raw", "\x01\x02", 2);
  const char* const names[] = {"a", "b"};
  litetrace_span_set_string_array(&parent, "names", names, 2);
  const uint8_t flags[] = {0, 7};
  litetrace_span_set_bool_array(&parent, "flags", flags, 2);
  const int64_t ints[] = {1, 2};
  litetrace_span_set_int64_array(&parent, "ints", ints, 2);
  const double doubles[] = {0.5};
  litetrace_span_set_double_array(&parent, "doubles", doubles, 1);
  const litetrace_attribute several[] = {litetrace_attribute_string("x", "1"), litetrace_attribute_int64("y", 2)};
  litetrace_span_set_attributes(&parent, several, 2);
  const litetrace_attribute event_attributes[] = {litetrace_attribute_bool("ok", 1),
                                                  litetrace_attribute_double("ratio", 1.5),
                                                  litetrace_attribute_bytes("blob", "\xff", 1)};
  litetrace_span_add_event_at(&parent, "checkpoint", 1700000000000500000u, event_attributes, 3);
  litetrace_span_record_exception(&parent, "io_error", "disk full", nullptr);
  litetrace_span_set_status(&parent, LITETRACE_STATUS_ERROR, "bad");
  litetrace_span_update_name(&parent, "c parent renamed");

  // A child from the thread's current span, with links (the second over the limit).
  litetrace_scope scope;
  litetrace_scope_enter(&scope, &parent_ctx);
  EXPECT_EQ(litetrace_current_context().span_id, parent_ctx.span_id);
  litetrace_span child;
  litetrace_span_start(tracer, &child, "c child", nullptr);
  const litetrace_attribute link_attributes[] = {litetrace_attribute_string("reason", "retry")};
  litetrace_span_add_link(&child, &parent_ctx, link_attributes, 1);
  litetrace_span_add_link(&child, &parent_ctx, nullptr, 0);
  litetrace_span_end(&child);
  litetrace_scope_exit(&scope);
  EXPECT_EQ(litetrace_current_context().span_id, 0u);
  litetrace_span_end_at(&parent, 1700000001000000000u);
  litetrace_span_end(&parent);  // a second end does nothing

  Arrived got = arrived(provider, receiver);
  ASSERT_EQ(got.spans.size(), 2u);
  const detail::Span* p = got.by_name("c parent renamed");
  const detail::Span* c = got.by_name("c child");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(p->span_id, parent_ctx.span_id);
  EXPECT_EQ(p->start_time_us, 1700000000000000);
  EXPECT_EQ(p->duration_us, 1000000);
  EXPECT_EQ(find_tag(*p, "span.kind")->str, "server");
  EXPECT_EQ(find_tag(*p, "s")->str, "text");
  EXPECT_TRUE(find_tag(*p, "b")->vbool);
  EXPECT_EQ(find_tag(*p, "i")->vlong, -5);
  EXPECT_EQ(find_tag(*p, "d")->vdouble, 0.25);
  EXPECT_EQ(find_tag(*p, "raw")->str, "\x01\x02");
  EXPECT_EQ(find_tag(*p, "names")->str, R"(["a","b"])");
  EXPECT_EQ(find_tag(*p, "flags")->str, "[false,true]");
  EXPECT_EQ(find_tag(*p, "ints")->str, "[1,2]");
  EXPECT_EQ(find_tag(*p, "doubles")->str, "[0.5]");
  EXPECT_EQ(find_tag(*p, "x")->str, "1");
  EXPECT_EQ(find_tag(*p, "y")->vlong, 2);
  EXPECT_EQ(find_tag(*p, "otel.status_description")->str, "bad");
  EXPECT_EQ(find_tag(*p, "otel.scope.name")->str, "c.module");
  ASSERT_EQ(p->logs.size, 2u);
  EXPECT_EQ(p->logs[0].timestamp_us, 1700000000000500);
  EXPECT_TRUE(field(p->logs[0], "ok")->vbool);
  EXPECT_EQ(field(p->logs[0], "ratio")->vdouble, 1.5);
  EXPECT_EQ(field(p->logs[0], "blob")->str, "\xff");
  EXPECT_EQ(field(p->logs[1], "exception.message")->str, "disk full");
  EXPECT_EQ(c->parent_span_id, parent_ctx.span_id);
  EXPECT_EQ(c->references.size, 2u);  // the parent's CHILD_OF and one link
  EXPECT_EQ(c->dropped_references, 1u);
  ASSERT_EQ(c->logs.size, 1u);
  EXPECT_EQ(field(c->logs[0], "reason")->str, "retry");
  EXPECT_EQ(got.batches[0].process.service_name, "c-api-test");

  EXPECT_EQ(litetrace_provider_stat(provider, LITETRACE_STAT_SPANS_STARTED), 2u);
  EXPECT_EQ(litetrace_provider_stat(provider, LITETRACE_STAT_SPANS_ENDED), 2u);
  EXPECT_EQ(litetrace_provider_stat(provider, LITETRACE_STAT_SPANS_EXPORTED), 2u);
  EXPECT_GT(litetrace_provider_stat(provider, LITETRACE_STAT_BYTES_SENT), 0u);
  EXPECT_EQ(litetrace_provider_stat(provider, 12345), 0u) << "a statistic this version does not know";
  litetrace_tracer_free(tracer);
  litetrace_provider_free(provider);
}

// Past 128 attributes an event's list goes through a heap copy; every attribute arrives
// (the provider's limit raised to let them).
TEST(CApi, LongAttributeListsArriveWhole) {
  UdpReceiver receiver;
  litetrace_options* o = litetrace_options_new();
  litetrace_options_set_variable(o, "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "300");
  litetrace_provider* provider = provider_for(receiver, o);
  litetrace_tracer* tracer = litetrace_provider_tracer(provider, "t", nullptr);
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("k" + std::to_string(i));
  std::vector<litetrace_attribute> list;
  for (int i = 0; i < 200; ++i) list.push_back(litetrace_attribute_int64(keys[static_cast<size_t>(i)].c_str(), i));
  litetrace_span span;
  litetrace_span_start(tracer, &span, "long", nullptr);
  litetrace_span_add_event(&span, "many", list.data(), list.size());
  litetrace_span_end(&span);
  Arrived got = arrived(provider, receiver);
  ASSERT_EQ(got.spans.size(), 1u);
  ASSERT_EQ(got.spans[0]->logs.size, 1u);
  EXPECT_EQ(got.spans[0]->logs[0].fields.size, 201u);  // event and the 200
  EXPECT_EQ(field(got.spans[0]->logs[0], "k199")->vlong, 199);
  litetrace_tracer_free(tracer);
  litetrace_provider_free(provider);
}

// A program built against an older header passes a shorter start-options struct: only
// the fields it has are read.
TEST(CApi, AShorterStartOptionsStructIsReadOnlyAsFarAsItGoes) {
  UdpReceiver receiver;
  litetrace_provider* provider = provider_for(receiver);
  litetrace_tracer* tracer = litetrace_provider_tracer(provider, "t", nullptr);
  litetrace_span_context parent{};
  parent.trace_id_low = 42;
  parent.span_id = 43;
  parent.flags = 1;
  litetrace_start_options so = LITETRACE_START_OPTIONS_INIT;
  so.kind = LITETRACE_SPAN_KIND_CLIENT;
  so.parent = &parent;
  so.size = offsetof(litetrace_start_options, parent);  // as if the struct ended before `parent`
  litetrace_span span;
  litetrace_span_start(tracer, &span, "old caller", &so);
  const litetrace_span_context ctx = litetrace_span_get_context(&span);
  litetrace_span_end(&span);
  EXPECT_NE(ctx.trace_id_low, 42u) << "the parent lies past the struct's size: not read";
  Arrived got = arrived(provider, receiver);
  ASSERT_EQ(got.spans.size(), 1u);
  EXPECT_EQ(find_tag(*got.spans[0], "span.kind")->str, "client") << "the kind is within it";
  litetrace_tracer_free(tracer);
  litetrace_provider_free(provider);
}

TEST(CApi, PropagationThroughCallbacks) {
  litetrace_options* o = litetrace_options_new();
  litetrace_options_set_variable(o, "OTEL_PROPAGATORS", "tracecontext");
  litetrace_options_set_exporter(o, LITETRACE_EXPORTER_NONE);
  litetrace_provider* provider = litetrace_provider_new(o);
  litetrace_options_free(o);
  litetrace_span_context ctx{};
  ctx.trace_id_high = 0x0af7651916cd43ddu;
  ctx.trace_id_low = 0x8448eb211c80319cu;
  ctx.span_id = 0xb7ad6b7169203331u;
  ctx.flags = 1;
  std::map<std::string, std::string> headers;
  litetrace_inject(provider, &ctx,
                   [](void* carrier, const char* name, const char* value) {
                     (*static_cast<std::map<std::string, std::string>*>(carrier))[name] = value;
                   },
                   &headers);
  EXPECT_EQ(headers["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  litetrace_span_context back{};
  EXPECT_EQ(litetrace_extract(provider,
                              [](void* carrier, const char* name) -> const char* {
                                auto& h = *static_cast<std::map<std::string, std::string>*>(carrier);
                                auto it = h.find(name);
                                return it == h.end() ? nullptr : it->second.c_str();
                              },
                              &headers, &back),
            1);
  EXPECT_EQ(back.trace_id_high, ctx.trace_id_high);
  EXPECT_EQ(back.trace_id_low, ctx.trace_id_low);
  EXPECT_EQ(back.span_id, ctx.span_id);
  EXPECT_EQ(back.remote, 1);
  headers.clear();
  EXPECT_EQ(litetrace_extract(provider, [](void*, const char*) -> const char* { return nullptr; }, &headers, &back), 0);
  EXPECT_EQ(back.span_id, 0u);
  litetrace_provider_free(provider);
}

TEST(CApi, DiagnosticsReachTheHandler) {
  std::vector<std::string> said;
  litetrace_options* o = litetrace_options_new();
  litetrace_options_set_variable(o, "OTEL_BSP_SCHEDULE_DELAY", "-5");  // out of range: reported, default kept
  litetrace_options_set_exporter(o, LITETRACE_EXPORTER_NONE);
  litetrace_options_set_diagnostic_handler(
      o, [](void* user, int, const char* message) { static_cast<std::vector<std::string>*>(user)->push_back(message); },
      &said);
  litetrace_provider* provider = litetrace_provider_new(o);
  litetrace_options_free(o);  // the provider keeps what it needs
  litetrace_provider_free(provider);
  bool found = false;
  for (const std::string& m : said) found = found || m.find("OTEL_BSP_SCHEDULE_DELAY") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(CApi, TheGlobalProviderFromC) {
  UdpReceiver receiver;
  litetrace_tracer* library = litetrace_global_tracer("c.library", "1");
  litetrace_span before;
  litetrace_span_start(library, &before, "before", nullptr);
  EXPECT_EQ(litetrace_span_is_recording(&before), 0);
  litetrace_span_end(&before);
  litetrace_provider* provider = provider_for(receiver);
  litetrace_set_global_provider(provider);
  litetrace_span after;
  litetrace_span_start(library, &after, "after", nullptr);
  EXPECT_EQ(litetrace_span_is_recording(&after), 1);
  litetrace_span_end(&after);
  Arrived got = arrived(provider, receiver);
  ASSERT_EQ(got.spans.size(), 1u);
  EXPECT_EQ(find_tag(*got.spans[0], "otel.scope.name")->str, "c.library");
  litetrace_set_global_provider(nullptr);
  litetrace_tracer_free(library);
  litetrace_provider_free(provider);
}

}  // namespace
}  // namespace litetrace
