#pragma once

// An export request that litetrace-dump received over HTTP (OTLP, Zipkin), as Jaeger
// batches the printer shows: what otlp_request.h and zipkin_request.h decode into.

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "jaeger/jaeger_decoder.h"

namespace litetrace::tools {

struct ReceivedRequest {
  std::deque<detail::DecodedBatch> batches;  // one per service (OTLP: per ResourceSpans)
  size_t spans = 0;                          // kept, over all batches
  size_t rejected_spans = 0;                 // OTLP: partial_success
  std::string rejected_reason;               // why the first was rejected

  // What the batches' views point into; deques, so that adding never moves them.
  std::deque<std::string> strings;
  std::deque<std::vector<detail::Tag>> tags;
  std::deque<std::vector<detail::Log>> logs;
  std::deque<std::vector<detail::SpanRef>> refs;
};

}  // namespace litetrace::tools
