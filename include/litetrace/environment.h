#pragma once

// TracerProviderOptions from the OpenTelemetry environment variables. Read the environment
// first, then set in code what the code decides, so code-given options win:
//
//   litetrace::TracerProviderOptions options = litetrace::options_from_environment();
//   options.on_diagnostic = my_logger;   // code wins over OTEL_*
//   litetrace::TracerProvider provider(options);
//
// Read (unset or empty variables leave the default):
//   OTEL_SDK_DISABLED                   true: no batcher thread, no socket, nothing recorded
//                                       (span contexts still propagate)
//   OTEL_SERVICE_NAME                   service_name (wins over service.name below)
//   OTEL_RESOURCE_ATTRIBUTES            key=value,... (values %-decoded) -> resource_attributes
//   OTEL_TRACES_SAMPLER, _ARG           always_on, always_off, traceidratio, parentbased_always_on,
//                                       parentbased_always_off, parentbased_traceidratio (ARG: the
//                                       ratio), jaeger_remote, parentbased_jaeger_remote (ARG:
//                                       endpoint=URL,pollingIntervalMs=N,initialSamplingRate=R;
//                                       it asks for the service name the provider ends up with)
//   OTEL_PROPAGATORS                    tracecontext, baggage, b3, b3multi, jaeger, none
//   OTEL_EXPORTER_JAEGER_AGENT_HOST, _PORT (or the older JAEGER_AGENT_HOST, _PORT)
//   OTEL_BSP_SCHEDULE_DELAY             flush_interval, milliseconds
//   OTEL_BSP_MAX_QUEUE_SIZE             spans a thread's ring holds (x 128 bytes)
//   OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, OTEL_ATTRIBUTE_COUNT_LIMIT, and their OTEL_SPAN_*
//   forms (which win), OTEL_SPAN_EVENT_COUNT_LIMIT, OTEL_SPAN_LINK_COUNT_LIMIT,
//   OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT
//
// An invalid value keeps the default; what was wrong is kept in
// options.configuration_errors, which the provider reports as kInvalidOption diagnostics.

#include <string_view>

#include "litetrace/propagation.h"
#include "litetrace/trace.h"

namespace litetrace {

TracerProviderOptions options_from_environment();
// The same, reading variables through `lookup` (nullptr: unset) instead of getenv().
TracerProviderOptions options_from_environment(FunctionRef<const char*(std::string_view name)> lookup);

}  // namespace litetrace
