#include "jaeger/span_trimmer.h"

#include "core/compiler.h"
#include "core/text.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {
namespace {

LITETRACE_COLD Span keep(const Span& span, size_t tags, size_t logs) {
  Span s = span;
  s.tags = span.tags.first(tags);
  s.logs = span.logs.first(logs);
  s.dropped_tags = saturated_add(span.dropped_tags, span.tags.size - s.tags.size);
  s.dropped_logs = saturated_add(span.dropped_logs, span.logs.size - s.logs.size);
  return s;
}

// `span` with its name cut to the longest prefix, at a UTF-8 boundary, with which it fits.
// False when even an empty name does not fit.
LITETRACE_COLD bool cut_name_to_fit(Span& span, size_t limit, const ThriftProtocol& protocol) {
  const std::string_view name = span.operation_name;
  const auto fits = [&](size_t n) {
    span.operation_name = name.substr(0, n);
    return view_span_size(protocol, span) <= limit;
  };
  if (!fits(0)) return false;
  span.operation_name = utf8_prefix(name, largest_fitting(name.size(), fits));
  return true;
}

}  // namespace

LITETRACE_COLD bool trim_to_fit(const Span& span, size_t limit, Span* out, const ThriftProtocol& protocol) {
  const auto fits = [&](size_t tags, size_t logs) {
    return view_span_size(protocol, keep(span, tags, logs)) <= limit;
  };
  if (fits(span.tags.size, span.logs.size)) {
    *out = span;
    return true;
  }
  if (fits(span.tags.size, 0)) {
    *out = keep(span, span.tags.size,
                largest_fitting(span.logs.size, [&](size_t n) { return fits(span.tags.size, n); }));
    return true;
  }
  if (fits(0, 0)) {
    *out = keep(span, largest_fitting(span.tags.size, [&](size_t n) { return fits(n, 0); }), 0);
    return true;
  }
  // Too large even bare: the name is what is left to cut, keeping as many tags as fit
  // with an empty name (a span with no room even for its references is dropped).
  const auto fits_nameless = [&](size_t tags) {
    Span s = keep(span, tags, 0);
    s.operation_name = std::string_view();
    return view_span_size(protocol, s) <= limit;
  };
  if (!fits_nameless(0)) return false;
  Span cut = keep(span, largest_fitting(span.tags.size, fits_nameless), 0);
  if (!cut_name_to_fit(cut, limit, protocol)) return false;
  *out = cut;
  return true;
}

}  // namespace litetrace::detail
