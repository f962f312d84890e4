#pragma once

// A Jaeger span in compact Thrift straight from its span record, without the Jaeger view
// that SpanMapper builds (vectors of tags, logs and references), for the spans most are:
// a name, attributes, events and links of scalars, strings or bytes, whatever the kind,
// status, scope, sampler and dropped counts; no arrays, and no attribute giving way to the
// mapping's tags. Those are "plain"; the others go through SpanMapper and encode_span(). The bytes are the same either way (record_encoder_test.cc holds them
// equal). It checks the span attribute rules as it goes (record_normalizer.h), so a span
// that keeps them, as most do, is not read a second time.
//
// Thread: the batcher's.

#include <cstddef>
#include <cstdint>

#include "core/record_normalizer.h"
#include "core/tick_clock.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {

class RecordEncoder {
 public:
  // `deposit`: write wide varints with BMI2's pdep (has_fast_bit_deposit(), the default).
  explicit RecordEncoder(const TickConverter* clock);
  RecordEncoder(const TickConverter* clock, bool deposit) : clock_(clock), deposit_(deposit) {}

  // At least the bytes encode() writes for `record`, from its header alone.
  static size_t plain_bound(const uint8_t* record);
  // Writes the span at `out`, which has plain_bound() bytes of room, its scope's tags from
  // `cache`; returns the bytes written, or 0 when the record is not plain after all, or
  // when its span attributes break the rules within `limits` (what was written then means
  // nothing).
  size_t encode(const uint8_t* record, uint8_t* out, TagRunCache& cache, AttributeLimits limits) const;

 private:
  const TickConverter* clock_;
  bool deposit_;
};

}  // namespace litetrace::detail
