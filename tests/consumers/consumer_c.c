/* A C program that uses litetrace the way a C service does: <litetrace/litetrace.h> only,
 * built with a C compiler and linked against the static library through pkg-config. */
#include <litetrace/litetrace.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  litetrace_options* options = litetrace_options_new();
  litetrace_options_set_service_name(options, "c-consumer");
  litetrace_options_set_exporter(options, LITETRACE_EXPORTER_NONE);
  litetrace_provider* provider = litetrace_provider_new(options);
  litetrace_options_free(options);
  litetrace_tracer* tracer = litetrace_provider_tracer(provider, "consumer", NULL);
  litetrace_span span;
  litetrace_span_start(tracer, &span, "vendored", NULL);
  litetrace_span_set_bool(&span, "ok", 1);
  litetrace_span_end(&span);
  const int flushed = litetrace_provider_force_flush(provider, 5000);
  const uint64_t ended = litetrace_provider_stat(provider, LITETRACE_STAT_SPANS_ENDED);
  litetrace_tracer_free(tracer);
  litetrace_provider_free(provider);
  if (!flushed || ended != 1 || strlen(litetrace_version_string()) == 0) {
    fprintf(stderr, "flushed %d, ended %llu\n", flushed, (unsigned long long)ended);
    return 1;
  }
  printf("c consumer ok\n");
  return 0;
}
