// A program that uses litetrace the way a vendoring project does: public headers only.

#include <litetrace/environment.h>
#include <litetrace/propagation.h>
#include <litetrace/sampler.h>
#include <litetrace/trace.h>
#include <litetrace/version.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

int main() {
  if (std::strcmp(litetrace::version(), LITETRACE_VERSION_STRING) != 0) {
    std::fprintf(stderr, "library %s, headers %s\n", litetrace::version(), LITETRACE_VERSION_STRING);
    return 1;
  }
  litetrace::TracerProviderOptions options = litetrace::options_from_environment();
  options.service_name = "consumer";
  options.sampler = std::make_shared<litetrace::ParentBasedSampler>(std::make_shared<litetrace::AlwaysOnSampler>());
  options.agent_host = "127.0.0.1";
  options.agent_port = 9;  // discard: nobody needs to listen for this check
  options.on_diagnostic = [](const litetrace::Diagnostic&) {};
  litetrace::TracerProvider provider(options);
  {
    litetrace::Span span = provider.tracer("consumer").start_span("vendored");
    span.set_attribute("ok", true);
    std::map<std::string, std::string> headers;
    litetrace::inject_into(provider.propagator(), litetrace::PropagationContext(span.context()), headers);
    if (litetrace::extract_from(provider.propagator(), headers).span_context.span_id != span.context().span_id) {
      std::fprintf(stderr, "propagation round trip failed\n");
      return 1;
    }
  }
  provider.shutdown();
  const litetrace::TracerStats stats = provider.stats();
  std::printf("litetrace %s: %llu span ended, %llu sent\n", litetrace::version(),
              static_cast<unsigned long long>(stats.spans_ended),
              static_cast<unsigned long long>(stats.spans_exported));
  return stats.spans_ended == 1 ? 0 : 1;
}
