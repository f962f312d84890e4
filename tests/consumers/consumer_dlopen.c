/* A C program that loads litetrace's shared library with dlopen(), as a plugin host does,
 * and records a span through the C API's functions looked up by name. Built shared,
 * litetrace keeps its thread-local state in the static TLS space (-ftls-model=initial-
 * exec); glibc keeps some of that spare for libraries loaded this way. */
#include <litetrace/litetrace.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* dlsym() returns an object pointer; ISO C converts none to a function pointer, so its
 * bytes are copied into one (as POSIX guarantees they may be). */
#define LOOK_UP(name)                                  \
  __typeof__(name)* p_##name = NULL;                   \
  {                                                    \
    void* const symbol = dlsym(library, #name);        \
    if (symbol == NULL) {                              \
      fprintf(stderr, "%s: %s\n", #name, dlerror());   \
      return 1;                                        \
    }                                                  \
    memcpy(&p_##name, &symbol, sizeof symbol);         \
  }

int main(void) {
  void* const library = dlopen(LITETRACE_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  LOOK_UP(litetrace_options_new)
  LOOK_UP(litetrace_options_set_service_name)
  LOOK_UP(litetrace_options_set_exporter)
  LOOK_UP(litetrace_options_free)
  LOOK_UP(litetrace_provider_new)
  LOOK_UP(litetrace_provider_tracer)
  LOOK_UP(litetrace_span_start_n)
  LOOK_UP(litetrace_span_set_bool_n)
  LOOK_UP(litetrace_span_is_recording)
  LOOK_UP(litetrace_span_end)
  LOOK_UP(litetrace_provider_force_flush)
  LOOK_UP(litetrace_provider_stat)
  LOOK_UP(litetrace_tracer_free)
  LOOK_UP(litetrace_provider_free)

  litetrace_options* options = p_litetrace_options_new();
  p_litetrace_options_set_service_name(options, "dlopen-consumer");
  p_litetrace_options_set_exporter(options, LITETRACE_EXPORTER_NONE);
  litetrace_provider* provider = p_litetrace_provider_new(options);
  p_litetrace_options_free(options);
  litetrace_tracer* tracer = p_litetrace_provider_tracer(provider, "consumer", NULL);
  int recording = 1;
  for (int i = 0; i < 3; ++i) {
    litetrace_span span;
    p_litetrace_span_start_n(tracer, &span, "loaded", strlen("loaded"), NULL);
    p_litetrace_span_set_bool_n(&span, "ok", 2, 1);
    recording &= p_litetrace_span_is_recording(&span);
    p_litetrace_span_end(&span);
  }
  const int flushed = p_litetrace_provider_force_flush(provider, 5000);
  const uint64_t ended = p_litetrace_provider_stat(provider, LITETRACE_STAT_SPANS_ENDED);
  p_litetrace_tracer_free(tracer);
  p_litetrace_provider_free(provider);
  if (!recording || !flushed || ended != 3) {
    fprintf(stderr, "recording %d, flushed %d, ended %llu\n", recording, flushed, (unsigned long long)ended);
    return 1;
  }
  printf("dlopen consumer ok\n");
  return 0;
}
