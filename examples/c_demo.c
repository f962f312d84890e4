/*
 * The single-span walk-through in C: service "demo-app", one span "demo-operation" that
 * lasts a second, and a shutdown that flushes it, through <litetrace/litetrace.h>.
 * Configured by the same OpenTelemetry environment variables as the C++ demo
 * (OTEL_EXPORTER_JAEGER_AGENT_HOST, _PORT, OTEL_TRACES_EXPORTER, ...).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, in strict C99 */

#include <litetrace/litetrace.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
  litetrace_options* options = litetrace_options_from_environment();
  /* The walk-through's service name, unless the environment names one. */
  const char* service = getenv("OTEL_SERVICE_NAME");
  litetrace_options_set_service_name(options, service != NULL && service[0] != '\0' ? service : "demo-app");
  litetrace_provider* provider = litetrace_provider_new(options);
  litetrace_options_free(options);
  litetrace_tracer* tracer = litetrace_provider_tracer(provider, "c_demo", litetrace_version_string());

  litetrace_span span;
  litetrace_span_start(tracer, &span, "demo-operation", NULL);
  const litetrace_span_context context = litetrace_span_get_context(&span);
  printf("Performing some operation...\n");
  fflush(stdout);
  struct timespec second = {1, 0};
  nanosleep(&second, NULL);
  litetrace_span_end(&span);

  const int flushed = litetrace_provider_shutdown(provider, 5000);
  printf("Trace id:  %016llx%016llx\n", (unsigned long long)context.trace_id_high,
         (unsigned long long)context.trace_id_low);
  printf("Sent:      %llu span(s), %llu bytes%s\n",
         (unsigned long long)litetrace_provider_stat(provider, LITETRACE_STAT_SPANS_EXPORTED),
         (unsigned long long)litetrace_provider_stat(provider, LITETRACE_STAT_BYTES_SENT),
         flushed ? "" : " - NOT everything was sent");
  litetrace_tracer_free(tracer);
  litetrace_provider_free(provider);
  return flushed ? 0 : 1;
}
