#include "acme_library.h"

namespace acme {
namespace {

// Fetched during static initialization, before any application code runs.
const litetrace::Tracer kTracer = litetrace::global_tracer("acme.library", "1.2.0");

}  // namespace

litetrace::SpanContext handle_request(const litetrace::SpanContext& incoming, int id) {
  litetrace::StartSpanOptions server;
  server.kind = litetrace::SpanKind::kServer;
  server.parent = incoming;
  litetrace::Span span = kTracer.start_span("acme.handle", {{"acme.request", id}}, {}, server);
  const litetrace::Scope scope(span);
  litetrace::StartSpanOptions client;
  client.kind = litetrace::SpanKind::kClient;
  litetrace::Span call = kTracer.start_span("acme.call", client);
  return call.context();
}

litetrace::Span start_long_operation() { return kTracer.start_span("acme.long"); }

}  // namespace acme
