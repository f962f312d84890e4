#pragma once

// What litetrace does with a span too large for any packet: it keeps as much as fits and
// says what it dropped. Logs go first (from the last one back), then tags (from the last
// one back), each counted in the span's dropped_logs / dropped_tags, which the encoder
// writes as otel.dropped_events_count / otel.dropped_attributes_count. A span too large
// even with no logs and no tags has its operation name cut (at a UTF-8 boundary), keeping
// as many tags as fit beside an empty name. Only a span too large with an empty name, no
// logs and no tags (thousands of references) is dropped by the caller and counted in
// ClientStats.tooLargeDroppedSpans.

#include <cstddef>

#include "jaeger/jaeger_encoder.h"  // ThriftProtocol
#include "jaeger/jaeger_model.h"

namespace litetrace::detail {

// On success *out is `span` with trailing logs, then trailing tags, then the name's tail
// removed, and the fewest removed for its encoding in `protocol` to take at most `limit`
// bytes. Allocates nothing.
bool trim_to_fit(const Span& span, size_t limit, Span* out, const ThriftProtocol& protocol = kCompactThrift);

}  // namespace litetrace::detail
