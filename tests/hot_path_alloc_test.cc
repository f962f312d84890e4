// The hot path allocates nothing once a thread has started its first span: a counting
// global operator new watches start_span, set_attribute (arrays too), set_attributes,
// add_event, add_link (with attributes), record_exception, set_status and end on a warm
// thread, and the same calls through the C API.
//
// Its own executable, because replacing operator new is program-wide.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "litetrace/litetrace.h"
#include "litetrace/trace.h"
#include "support/udp_receiver.h"

namespace {
thread_local bool t_counting = false;
thread_local uint64_t t_allocations = 0;
}  // namespace

void* operator new(size_t n) {
  if (t_counting) ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  std::abort();
}
void* operator new[](size_t n) { return operator new(n); }
// litetrace allocates with nothrow new (rings, span buffers): counted the same.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  if (t_counting) ++t_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](size_t n, const std::nothrow_t& nt) noexcept { return operator new(n, nt); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace litetrace {
namespace {

void record_typical_spans(Tracer& tracer, const SpanContext& link, int n) {
  for (int i = 0; i < n; ++i) {
    StartSpanOptions so;
    so.kind = SpanKind::kServer;
    Span parent = tracer.start_span("GET /users/{id}", {{"http.method", "GET"}, {"http.status_code", 200}}, {{link, {{"link.kind", "cause"}}}}, so);
    Scope scope(parent);
    parent.set_attribute("user.id", static_cast<int64_t>(i));
    parent.set_attribute("cache.hit", i % 2 == 0);
    parent.set_attribute("load", 0.5);
    parent.add_event("retry", {{"attempt", 2}});
    parent.set_attribute("http.request.header.accept", {"text/html", "application/json"});
    parent.set_attribute("ports", {80, 443});
    parent.set_attributes({{"a", 1}, {"b", {true, false}}});
    parent.add_link(link, {{"reason", "batch"}});
    parent.record_exception("timeout_error", "no answer in 5 s");
    {
      Span child = tracer.start_span("SELECT users");
      child.set_attribute("db.system", "postgresql");
      child.set_status(StatusCode::kOk);
    }
    parent.set_status(StatusCode::kError, "timeout");
    parent.update_name("GET /users/42");
  }
}

TEST(HotPath, AllocatesNothingOnAWarmThread) {
  test::UdpReceiver receiver;
  TracerProviderOptions o;
  o.agent_host = "127.0.0.1";
  o.agent_port = receiver.port();
  o.ring_bytes_per_thread = 4 << 20;  // the burst below must not overflow the ring
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("alloc-test", "1");
  const SpanContext link = tracer.start_span("link target").context();

  record_typical_spans(tracer, link, 10);  // warm up: the thread's ring and span buffers
  t_allocations = 0;
  t_counting = true;
  record_typical_spans(tracer, link, 1000);
  t_counting = false;
  EXPECT_EQ(t_allocations, 0u);

  // The counter is live: the same thread does count an allocation.
  t_counting = true;
  ::operator delete(::operator new(sizeof(int)));  // a direct call cannot be elided
  ::operator delete(::operator new(sizeof(int), std::nothrow));
  t_counting = false;
  EXPECT_EQ(t_allocations, 2u);

  EXPECT_TRUE(provider.force_flush());
  EXPECT_EQ(provider.stats().spans_exported, 2u * 1010 + 1);
}

// The same through the C API: the span lives in the caller's litetrace_span, the attribute
// lists are converted on the stack.
void record_c_spans(const litetrace_tracer* tracer, const litetrace_span_context* link, int n) {
  const char* const accepts[] = {"text/html", "application/json"};
  const int64_t ports[] = {80, 443};
  for (int i = 0; i < n; ++i) {
    litetrace_start_options so = LITETRACE_START_OPTIONS_INIT;
    so.kind = LITETRACE_SPAN_KIND_SERVER;
    litetrace_span parent;
    litetrace_span_start(tracer, &parent, "GET /users/{id}", &so);
    const litetrace_span_context ctx = litetrace_span_get_context(&parent);
    litetrace_scope scope;
    litetrace_scope_enter(&scope, &ctx);
    litetrace_span_set_string(&parent, "http.method", "GET");
    litetrace_span_set_int64(&parent, "user.id", i);
    litetrace_span_set_string_array(&parent, "accept", accepts, 2);
    litetrace_span_set_int64_array(&parent, "ports", ports, 2);
    const litetrace_attribute attempt[] = {litetrace_attribute_int64("attempt", 2)};
    litetrace_span_add_event(&parent, "retry", attempt, 1);
    const litetrace_attribute reason[] = {litetrace_attribute_string("reason", "batch")};
    litetrace_span_add_link(&parent, link, reason, 1);
    litetrace_span child;
    litetrace_span_start(tracer, &child, "SELECT users", nullptr);
    litetrace_span_set_status(&child, LITETRACE_STATUS_OK, nullptr);
    litetrace_span_end(&child);
    litetrace_scope_exit(&scope);
    litetrace_span_set_status(&parent, LITETRACE_STATUS_ERROR, "timeout");
    litetrace_span_end(&parent);
  }
}

TEST(HotPath, AllocatesNothingOnAWarmThreadThroughTheCApi) {
  test::UdpReceiver receiver;
  litetrace_options* o = litetrace_options_new();
  litetrace_options_set_agent(o, "127.0.0.1", receiver.port());
  litetrace_options_set_variable(o, "OTEL_BSP_MAX_QUEUE_SIZE", "32768");  // the burst fits the ring
  litetrace_provider* provider = litetrace_provider_new(o);
  litetrace_options_free(o);
  litetrace_tracer* tracer = litetrace_provider_tracer(provider, "alloc-test", "1");
  litetrace_span target;
  litetrace_span_start(tracer, &target, "link target", nullptr);
  const litetrace_span_context link = litetrace_span_get_context(&target);
  litetrace_span_end(&target);

  record_c_spans(tracer, &link, 10);  // warm up
  t_allocations = 0;
  t_counting = true;
  record_c_spans(tracer, &link, 1000);
  t_counting = false;
  EXPECT_EQ(t_allocations, 0u);

  EXPECT_EQ(litetrace_provider_force_flush(provider, 5000), 1);
  EXPECT_EQ(litetrace_provider_stat(provider, LITETRACE_STAT_SPANS_EXPORTED), 2u * 1010 + 1);
  litetrace_tracer_free(tracer);
  litetrace_provider_free(provider);
}

// Replacing values never grows a span: replaced items are reclaimed, so a span changed a
// hundred thousand times needs no more memory than its live values.
TEST(HotPath, ReplacingValuesNeverGrowsASpan) {
  test::UdpReceiver receiver;
  TracerProviderOptions o;
  o.agent_host = "127.0.0.1";
  o.agent_port = receiver.port();
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("alloc-test", "1");
  const std::string long_value(200, 'v');
  auto churn = [&](int n) {
    Span s = tracer.start_span("churn");
    for (int i = 0; i < n; ++i) {
      s.set_attribute("progress", i);
      s.set_attribute("phase", std::string_view(long_value).substr(0, static_cast<size_t>(i % 200)));
      s.update_name(std::string_view(long_value).substr(0, static_cast<size_t>(i % 50)));
      s.set_status(StatusCode::kError, std::string_view(long_value).substr(0, static_cast<size_t>(i % 70)));
    }
  };
  churn(200);  // warm up: every length has been seen, so the buffer holds what is live
  t_allocations = 0;
  t_counting = true;
  churn(100000);
  t_counting = false;
  EXPECT_EQ(t_allocations, 0u);
  EXPECT_TRUE(provider.force_flush());
  EXPECT_EQ(provider.stats().spans_exported, 2u);
  EXPECT_EQ(provider.stats().spans_dropped_too_large, 0u);
}

}  // namespace
}  // namespace litetrace
