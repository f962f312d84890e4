#include "jaeger/span_trimmer.h"

#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {
namespace {

Span keep(const Span& span, size_t tags, size_t logs) {
  Span s = span;
  s.tags = span.tags.first(tags);
  s.logs = span.logs.first(logs);
  s.dropped_tags = span.dropped_tags + static_cast<uint32_t>(span.tags.size - s.tags.size);
  s.dropped_logs = span.dropped_logs + static_cast<uint32_t>(span.logs.size - s.logs.size);
  return s;
}

// The largest n in [0, max] with fits(n), given fits(0) and that fits is monotone
// (keeping fewer elements never makes a span larger). O(log max) encodings in sizing mode.
template <typename Fits>
size_t largest_fitting(size_t max, Fits fits) {
  size_t lo = 0;
  size_t hi = max;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

}  // namespace

bool trim_to_fit(const Span& span, size_t limit, Span* out) {
  const auto fits = [&](size_t tags, size_t logs) {
    return encoded_size(keep(span, tags, logs)) <= limit;
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
  return false;
}

}  // namespace litetrace::detail
