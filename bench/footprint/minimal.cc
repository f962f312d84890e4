// The smallest program that traces: one provider (the defaults: Jaeger's agent over UDP),
// one span, shutdown. No environment, no propagation. bench/footprint.py measures what
// litetrace adds to it against baseline.cc.
#include "litetrace/trace.h"

int main() {
  litetrace::TracerProviderOptions options;
  options.service_name = "demo-app";
  litetrace::TracerProvider provider(options);
  const litetrace::Tracer tracer = provider.tracer("demo");
  tracer.start_span("demo-operation").end();
  provider.shutdown();
  return 0;
}
