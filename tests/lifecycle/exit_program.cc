// Spans recorded while the process exits, for tests/lifecycle_test.cc. Each mode sends to
// the agent port given as its second argument and must exit with status 0.
//
//   exit_program global-provider PORT   a global provider flushes at exit what main, the
//                                       main thread's thread_local destructors and static
//                                       destructors that run before its own recorded
//   exit_program installed-global PORT  the same through set_global_provider() and a tracer
//                                       from global_tracer() fetched at static initialization:
//                                       flushed at exit, after the destructors of the static
//                                       objects constructed after that tracer
//   exit_program provider-gone PORT     the provider is destroyed at the end of main; spans
//                                       ended or started by static destructors are dropped
//   exit_program thread-local-attributes PORT
//                                       a thread_local destructor sets more attributes on a
//                                       span than it has room and limits for, after the
//                                       thread's other thread_locals are destroyed (the
//                                       memory check runs this mode under valgrind)
//   exit_program out-of-memory PORT     under an address-space limit no 1 GiB ring fits in:
//                                       spans are dropped and counted, kOutOfMemory is said,
//                                       nothing aborts; prints the counts and the diagnostic
//   exit_program no-batcher-thread PORT under an address-space limit no thread's stack fits
//                                       in: the provider is made, kOutOfMemory says its
//                                       batcher did not start, spans stay pending, then
//                                       count as dropped at shutdown, which says false;
//                                       prints all of that
//   exit_program no-threads-otlp PORT   the same with the OTLP exporter, whose sender thread
//                                       cannot start either: both are said
//   exit_program no-sender-thread PORT  the OTLP exporter's sender thread cannot start, the
//                                       batcher's then can: spans count as failed

#include <pthread.h>
#include <sys/resource.h>

#include <cstdio>
#include <thread>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
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

// A library's tracer, fetched during static initialization, before any provider exists;
// g_global_after is constructed before it (destroyed after the exit handler), and
// g_global_before after it (destroyed before the handler).
LateUser g_global_after;
const Tracer g_library_tracer = litetrace::global_tracer("exit.library", "1.0");
LateUser g_global_before;

// Past the default limit of 128 attributes, and past the items' room, so that recording
// them makes the span's items keep the limits (trace.cc: append_after_making_room).
constexpr int kManyAttributes = 300;
void set_many_attributes(Span& span) {
  for (int i = 0; i < kManyAttributes; ++i) {
    span.set_attribute("key" + std::to_string(i), "a value long enough to fill the items " + std::to_string(i));
  }
}

// Records a span with many attributes when destroyed.
struct SetsAttributesAtExit {
  std::optional<Tracer> tracer;
  ~SetsAttributesAtExit() {
    Span span = tracer->start_span("set by a thread_local destructor");
    set_many_attributes(span);
    span.end();
  }
};

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
  if (mode == "installed-global") {
    t_main_thread_local.span = g_library_tracer.start_span("dropped: no provider yet");
    if (t_main_thread_local.span.is_recording()) return 4;
    litetrace::set_global_provider(std::make_shared<TracerProvider>(options(argv[2])));  // never shut down explicitly
    g_global_after.tracer = g_library_tracer;
    g_global_after.span = g_library_tracer.start_span("dropped: ended after the exit handler");
    g_global_after.started_name = "dropped: started after the exit handler";
    g_global_before.tracer = g_library_tracer;
    g_global_before.span = g_library_tracer.start_span("global: ended by a static destructor");
    g_global_before.started_name = "global: started by a static destructor";
    t_main_thread_local.span = g_library_tracer.start_span("global: main thread_local");
    g_library_tracer.start_span("global: main").end();
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
  if (mode == "thread-local-attributes") {
    TracerProvider provider(options(argv[2]));
    Tracer tracer = provider.tracer("exit");
    std::thread([&] {
      // Constructed before the thread's first span: destroyed after what that span and its
      // attributes set up for the thread as thread_locals.
      thread_local SetsAttributesAtExit at_exit;
      at_exit.tracer = tracer;
      Span span = tracer.start_span("set by the thread");
      set_many_attributes(span);
      span.end();
    }).join();
    // Time enough under valgrind on a loaded machine.
    return provider.shutdown(std::chrono::seconds(60)) && provider.stats().spans_exported == 2 ? 0 : 5;
  }
  if (mode == "out-of-memory") {
    rlimit limit{};
    getrlimit(RLIMIT_AS, &limit);
    limit.rlim_cur = 512ull << 20;  // room for the process and a thread, not for the ring
    if (setrlimit(RLIMIT_AS, &limit) != 0) return 3;
    litetrace::TracerProviderOptions o = options(argv[2]);
    o.ring_bytes_per_thread = 1u << 30;  // in range, and more than the limit allows
    std::mutex mutex;
    std::string said;
    o.on_diagnostic = [&](const litetrace::Diagnostic& d) {
      std::lock_guard<std::mutex> lock(mutex);
      if (d.code == litetrace::DiagnosticCode::kOutOfMemory) said = std::string(d.message);
    };
    TracerProvider provider(o);
    Tracer tracer = provider.tracer("oom");
    for (int i = 0; i < 3; ++i) tracer.start_span("no ring for it").end();
    provider.shutdown();
    const litetrace::TracerStats s = provider.stats();
    std::lock_guard<std::mutex> lock(mutex);
    std::printf("started=%llu ended=%llu dropped=%llu exported=%llu\n%s\n", (unsigned long long)s.spans_started,
                (unsigned long long)s.spans_ended, (unsigned long long)s.spans_dropped_queue,
                (unsigned long long)s.spans_exported, said.c_str());
    return 0;
  }
  if (mode == "no-batcher-thread" || mode == "no-threads-otlp" || mode == "no-sender-thread") {
    // Threads made without attributes (the batcher's) ask for a 256 MiB stack; the address
    // space has 64 MiB more than is mapped now: room for the provider, not for its thread.
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, 256u << 20) != 0 ||
        pthread_setattr_default_np(&attr) != 0) {
      return 3;
    }
    pthread_attr_destroy(&attr);
    unsigned long long mapped_kb = 0;
    if (FILE* status = std::fopen("/proc/self/status", "r")) {
      char line[256];
      while (std::fgets(line, sizeof line, status) != nullptr) {
        if (std::sscanf(line, "VmSize: %llu kB", &mapped_kb) == 1) break;
      }
      std::fclose(status);
    }
    if (mapped_kb == 0) return 3;
    rlimit original{};
    getrlimit(RLIMIT_AS, &original);
    rlimit limit = original;
    limit.rlim_cur = static_cast<rlim_t>((mapped_kb << 10) + (64ull << 20));  // rlim_t is 32-bit on armhf
    if (setrlimit(RLIMIT_AS, &limit) != 0) return 3;
    litetrace::TracerProviderOptions o = options(argv[2]);
    if (mode != "no-batcher-thread") {  // the sender thread, made first, cannot start either
      o.exporter = litetrace::TracesExporter::kOtlp;
      o.otlp_endpoint = "http://127.0.0.1:9/v1/traces";
    }
    std::mutex mutex;
    std::string said;
    o.on_diagnostic = [&](const litetrace::Diagnostic& d) {
      std::lock_guard<std::mutex> lock(mutex);
      if (d.code != litetrace::DiagnosticCode::kOutOfMemory) return;
      said += std::string(d.message) + "\n";
      // Said on the thread making the provider, before the batcher's thread is made: that
      // one, with room again, starts.
      if (mode == "no-sender-thread") setrlimit(RLIMIT_AS, &original);
    };
    TracerProvider provider(o);
    Tracer tracer = provider.tracer("no batcher");
    for (int i = 0; i < 3; ++i) tracer.start_span("never exported").end();
    // Where the batcher runs (no-sender-thread) both return when its pass is done: the
    // timeouts only bound a machine too loaded to schedule it.
    const bool flushed = provider.force_flush(std::chrono::seconds(60));
    const litetrace::TracerStats before = provider.stats();
    const bool shut_down = provider.shutdown(std::chrono::seconds(60));
    const litetrace::TracerStats after = provider.stats();
    std::lock_guard<std::mutex> lock(mutex);
    std::printf("flush=%d started=%llu ended=%llu pending=%llu failed=%llu\n", flushed,
                (unsigned long long)before.spans_started, (unsigned long long)before.spans_ended,
                (unsigned long long)before.spans_pending, (unsigned long long)before.spans_failed);
    std::printf("shutdown=%d pending=%llu dropped=%llu failed=%llu exported=%llu\n%s", shut_down,
                (unsigned long long)after.spans_pending, (unsigned long long)after.spans_dropped_queue,
                (unsigned long long)after.spans_failed, (unsigned long long)after.spans_exported, said.c_str());
    return 0;
  }
  return 2;
}
