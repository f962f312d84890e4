// libFuzzer target for what litetrace-dump reads from the network as an HTTP collector:
// the HTTP request parser, then the OTLP request decoder (protobuf or JSON), the Zipkin
// v2 JSON decoder, and the printer on whatever they accept.
//
// Properties beyond "no crash, no UB, no runaway recursion": a request the parser calls
// complete took no more bytes than it was given; an error always says why with a 4xx or
// 5xx status; a decoded request accounts for every span it kept.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jaeger/span_printer.h"
#include "http_request.h"
#include "otlp_request.h"
#include "zipkin_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  litetrace::tools::HttpParseLimits limits;
  limits.max_head = 2048;
  limits.max_body = 4096;
  litetrace::tools::HttpRequest request;
  size_t consumed = 0;
  int status = 0;
  std::string error;
  const auto parsed = litetrace::tools::parse_http_request(input, limits, request, consumed, status, error);
  if (parsed == litetrace::tools::HttpParse::kError && (status < 400 || status > 599 || error.empty())) std::abort();
  if (parsed == litetrace::tools::HttpParse::kComplete && consumed > size) std::abort();

  // The body of a complete request, or else the whole input, by every decoder.
  const std::string_view body = parsed == litetrace::tools::HttpParse::kComplete ? std::string_view(request.body) : input;
  litetrace::tools::ReceivedRequest otlp;
  for (const int decoder : {0, 1, 2}) {
    const bool ok = decoder == 0   ? litetrace::tools::decode_otlp_protobuf(body, otlp, &error)
                    : decoder == 1 ? litetrace::tools::decode_otlp_json(body, otlp, &error)
                                   : litetrace::tools::decode_zipkin_json(body, otlp, &error);
    if (!ok) {
      if (error.empty()) std::abort();
      continue;
    }
    size_t spans = 0;
    for (const auto& batch : otlp.batches) {
      spans += batch.spans.size();
      litetrace::detail::format_json(batch, "fuzz");
      litetrace::detail::format_text(batch, "fuzz");
    }
    if (spans != otlp.spans || (otlp.rejected_spans != 0) == otlp.rejected_reason.empty()) std::abort();
  }
  return 0;
}
