// Records a small, known set of spans through the public API and sends them over OTLP/HTTP
// to ENDPOINT; otlp_judge_tracer.py receives them, decodes them with the official protos
// and checks the record -> OTLP mapping field by field.
//
//   otlp_tracer_emitter ENDPOINT protobuf|json
//
// Prints, as JSON, the ids the judge cannot know: the remote parent's and the links'.

#include <litetrace/sampler.h>
#include <litetrace/trace.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace {

litetrace::SystemTime at_ns(int64_t ns) {
  return litetrace::SystemTime(std::chrono::duration_cast<litetrace::SystemTime::duration>(std::chrono::nanoseconds(ns)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ENDPOINT protobuf|json\n", argv[0]);
    return 2;
  }
  litetrace::TracerProviderOptions o;
  o.service_name = "otlp-conformance";
  o.resource_attributes = {{"deployment.environment", "ci"}};
  o.exporter = litetrace::TracesExporter::kOtlp;
  o.otlp_endpoint = argv[1];
  o.otlp_protocol = std::strcmp(argv[2], "json") == 0 ? litetrace::OtlpProtocol::kHttpJson
                                                      : litetrace::OtlpProtocol::kHttpProtobuf;
  o.max_attributes = 5;
  o.max_attributes_per_event = 2;
  o.max_attributes_per_link = 2;
  o.on_diagnostic = [](const litetrace::Diagnostic& d) {
    std::fprintf(stderr, "litetrace: %s\n", std::string(d.message).c_str());
  };
  litetrace::TracerProvider provider(o);
  litetrace::Tracer tracer = provider.tracer("conformance.scope", "2.0");
  litetrace::Tracer second = provider.tracer("second.scope");

  // A parent from another process, with a tracestate, as an extracted context has them.
  litetrace::SpanContext remote;
  remote.trace_id = {0x0af7651916cd43ddu, 0x8448eb211c80319cu};
  remote.span_id = 0xb7ad6b7169203331u;
  remote.flags = litetrace::kTraceFlagSampled;
  remote.remote = true;

  litetrace::SpanContext root_context;
  {
    litetrace::StartSpanOptions so;
    so.kind = litetrace::SpanKind::kServer;
    so.root = true;
    so.start_time = at_ns(1700000000123456789);
    litetrace::Span root = tracer.start_span("root", {{"http.method", "POST"}}, {}, so);
    root_context = root.context();
    const unsigned char raw[] = {0xde, 0xad, 0x00};
    root.set_attribute("retries", 2);
    root.set_attribute("ratio", 0.5);
    root.set_attribute("raw", litetrace::Bytes{raw, sizeof raw});
    root.set_attribute("ok", false);
    root.set_attribute("over the limit", true);  // the sixth: dropped, counted
    root.add_event("checkpoint", at_ns(1700000000500000001), {{"stage", "parse"}});
    root.add_event("crowded", at_ns(1700000000600000000), {{"a", 1}, {"b", 2}, {"c", 3}});  // c: dropped
    root.set_status(litetrace::StatusCode::kError, "bad input");
    root.end(at_ns(1700000001123456789));
  }
  {
    litetrace::StartSpanOptions so;
    so.kind = litetrace::SpanKind::kClient;
    so.parent = remote;
    so.trace_state = "vendor=abc,other=1";
    so.start_time = at_ns(1700000002000000000);
    litetrace::Span child = tracer.start_span(
        "child of remote", {}, {root_context, {remote, {{"link.reason", "retry"}, {"n", 1}, {"over", true}}}}, so);
    child.set_attribute("ports", {80, 443});
    child.set_attribute("names", {"a", "b"});
    child.set_attribute("flags", {true, false});
    child.set_attribute("ratios", {0.5, 2.0});
    child.add_event("batch", at_ns(1700000002000000500), {{"sizes", {3, 4}}});
    child.set_status(litetrace::StatusCode::kOk);
    child.end(at_ns(1700000002000001000));
  }
  {
    litetrace::StartSpanOptions so;
    so.root = true;
    so.kind = litetrace::SpanKind::kConsumer;
    so.start_time = at_ns(1700000003000000000);
    litetrace::Span bad = second.start_span("bad \xff utf-8", {{"note", "caf\xc3"}}, {}, so);
    bad.end(at_ns(1700000003000000000));
  }
  {
    litetrace::StartSpanOptions so;
    litetrace::SpanContext unsampled = remote;
    unsampled.flags = 0;
    so.parent = unsampled;
    tracer.start_span("not sampled", so);
  }
  const bool ok = provider.shutdown(std::chrono::seconds(30));
  const litetrace::TracerStats s = provider.stats();
  std::printf("{\"root_trace_high\":%llu,\"root_trace_low\":%llu,\"root_span\":%llu,\"exported\":%llu}\n",
              static_cast<unsigned long long>(root_context.trace_id.high),
              static_cast<unsigned long long>(root_context.trace_id.low),
              static_cast<unsigned long long>(root_context.span_id),
              static_cast<unsigned long long>(s.spans_exported));
  return ok ? 0 : 1;
}
