// Spans recorded while the process exits, for tests/lifecycle_test.cc. Each mode sends to
// the agent port given as its second argument and must exit with status 0.
//
//   exit_program global-provider PORT   a global provider flushes at exit what main, the
//                                       main thread's thread_local destructors and static
//                                       destructors that run before its own recorded
//   exit_program provider-gone PORT     the provider is destroyed at the end of main; spans
//                                       ended or started by static destructors are dropped

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "litetrace/trace.h"

namespace {

using litetrace::Span;
using litetrace::Tracer;
using litetrace::TracerProvider;

// Ends its span, then starts and ends one more, when destroyed.
struct LateUser {
  std::optional<Tracer> tracer;
  Span span;
  const char* started_name = nullptr;
  ~LateUser() {
    span.end();
    if (tracer && started_name != nullptr) tracer->start_span(started_name).end();
  }
};

// Static objects are destroyed in the reverse order of their construction, which here is
// the order of declaration: g_after_provider goes last, g_before_provider first.
LateUser g_after_provider;
std::optional<TracerProvider> g_provider;
LateUser g_before_provider;

thread_local LateUser t_main_thread_local;

litetrace::TracerProviderOptions options(const char* port) {
  litetrace::TracerProviderOptions o;
  o.service_name = "exit-program";
  o.agent_port = static_cast<uint16_t>(std::atoi(port));
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const std::string mode = argv[1];
  if (mode == "global-provider") {
    g_provider.emplace(options(argv[2]));  // never shut down explicitly
    Tracer tracer = g_provider->tracer("exit");
    g_after_provider.tracer = tracer;
    g_after_provider.span = tracer.start_span("dropped: ended after the provider");
    g_after_provider.started_name = "dropped: started after the provider";
    g_before_provider.tracer = tracer;
    g_before_provider.span = tracer.start_span("global span");
    g_before_provider.started_name = "static destructor";
    t_main_thread_local.span = tracer.start_span("main thread_local");
    tracer.start_span("main").end();
    return 0;
  }
  if (mode == "provider-gone") {
    TracerProvider provider(options(argv[2]));
    Tracer tracer = provider.tracer("exit");
    g_before_provider.tracer = tracer;
    g_before_provider.span = tracer.start_span("dropped: ended by a static destructor");
    g_before_provider.started_name = "dropped: started by a static destructor";
    tracer.start_span("main").end();
    return 0;  // the provider goes here, before any static destructor
  }
  return 2;
}
