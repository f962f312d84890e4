#pragma once

// What litetrace does with a span too large for any packet: it keeps as much as fits and
// says what it dropped. Logs go first (from the last one back), then tags (from the last
// one back), each counted in the span's dropped_logs / dropped_tags, which the encoder
// writes as otel.dropped_events_count / otel.dropped_attributes_count. A span too large
// even with no logs and no tags has its operation name cut (at a UTF-8 boundary), keeping
// as many tags as fit beside an empty name. Only a span too large with an empty name, no
// logs and no tags (thousands of references) is dropped by the caller and counted in
// ClientStats.tooLargeDroppedSpans.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "jaeger/jaeger_encoder.h"  // ThriftProtocol
#include "jaeger/jaeger_model.h"

namespace litetrace::detail {

// A dropped count and what trimming adds to it, at most UINT32_MAX: a count at its most
// stays there rather than wrapping to a count that says nothing was dropped.
inline uint32_t saturated_add(uint32_t count, size_t more) {
  return static_cast<uint32_t>(std::min<uint64_t>(uint64_t{count} + more, UINT32_MAX));
}

// The largest n in [0, max] with fits(n), given fits(0) and that fits is monotone
// (keeping fewer elements never makes a span larger). O(log max) calls of fits.
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

// On success *out is `span` with trailing logs, then trailing tags, then the name's tail
// removed, and the fewest removed for its encoding in `protocol` to take at most `limit`
// bytes. Allocates nothing.
bool trim_to_fit(const Span& span, size_t limit, Span* out, const ThriftProtocol& protocol = kCompactThrift);

}  // namespace litetrace::detail
