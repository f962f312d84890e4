// Records a small, known set of spans through the public API and sends them to a UDP port;
// judge_tracer.py decodes them with Apache Thrift and checks the OpenTelemetry -> Jaeger
// mapping as Jaeger would see it.
//
//   tracer_emitter --port P       compact Thrift to the agent on 127.0.0.1:P
//   tracer_emitter --http URL     binary Thrift to a Jaeger collector's POST URL

#include <litetrace/trace.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  int port = 0;
  const char* http = nullptr;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--http") == 0) http = argv[i + 1];
  }
  if (port <= 0 && http == nullptr) {
    std::fprintf(stderr, "usage: %s --port P | --http URL\n", argv[0]);
    return 2;
  }
  litetrace::TracerProviderOptions o;
  o.service_name = "tracer-conformance";
  o.resource_attributes = {{"deployment.environment", "ci"}};
  o.agent_host = "127.0.0.1";
  o.agent_port = static_cast<uint16_t>(port);
  if (http != nullptr) {
    o.jaeger_protocol = litetrace::JaegerProtocol::kHttpThriftBinary;
    o.jaeger_endpoint = http;
  }
  o.max_attributes = 4;
  litetrace::TracerProvider provider(o);
  litetrace::Tracer tracer = provider.tracer("conformance.scope", "2.0");

  litetrace::SpanContext link;
  {
    litetrace::Span linked = tracer.start_span("linked");
    link = linked.context();
  }
  {
    litetrace::StartSpanOptions so;
    so.kind = litetrace::SpanKind::kServer;
    litetrace::Span root = tracer.start_span("root", {{"http.method", "POST"}}, {link}, so);
    litetrace::Scope scope(root);
    const unsigned char raw[] = {0xde, 0xad};
    root.set_attribute("retries", 2);
    root.set_attribute("ratio", 0.5);
    root.set_attribute("raw", litetrace::Bytes{raw, sizeof raw});
    root.set_attribute("over the limit", true);  // the fifth attribute: dropped, counted
    root.add_event("checkpoint", {{"stage", "parse"}});
    root.set_status(litetrace::StatusCode::kError, "bad input");
    {
      litetrace::StartSpanOptions child_options;
      child_options.kind = litetrace::SpanKind::kClient;
      litetrace::Span child = tracer.start_span("child", child_options);
      child.set_attribute("ok", true);
      child.set_attribute("ports", {80, 443});
      child.set_attribute("names", {"a", "b\"c"});
      child.add_link(link, {{"reason", "retry"}});
      child.record_exception("io_error", "disk full");
      child.set_status(litetrace::StatusCode::kOk);
    }
  }
  const bool ok = provider.shutdown();
  std::printf("{\"link_span_id\":%llu}\n", static_cast<unsigned long long>(link.span_id));
  return ok ? 0 : 1;
}
