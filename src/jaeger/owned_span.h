#pragma once

// A deep copy of a Jaeger Span (its arrays and strings) in one buffer of its own, for the
// exporter to send a span again after EMSGSIZE, when the record it was mapped from is gone.
// assign() reuses the buffer, so a warm OwnedSpan allocates nothing for spans no larger than
// those it held before.

#include <cstdint>
#include <vector>

#include "jaeger/jaeger_model.h"

namespace litetrace::detail {

class OwnedSpan {
 public:
  OwnedSpan() = default;
  OwnedSpan(const OwnedSpan&) = delete;
  OwnedSpan& operator=(const OwnedSpan&) = delete;
  // Moving keeps the buffer where it is, so the views stay valid.
  OwnedSpan(OwnedSpan&&) noexcept = default;
  OwnedSpan& operator=(OwnedSpan&&) noexcept = default;

  void assign(const Span& span);
  const Span& span() const { return span_; }

 private:
  std::vector<uint64_t> buffer_;  // the Tag, Log and SpanRef arrays, then the strings (8-byte aligned)
  Span span_;
};

}  // namespace litetrace::detail
