#pragma once

// A deep copy of a Jaeger Span (its arrays and strings) in one buffer of its own, for the
// exporter to send a span again after EMSGSIZE, when the record it was mapped from is gone.
// assign() reuses the buffer, so a warm OwnedSpan allocates nothing for spans no larger than
// those it held before.

#include <cstdint>
#include <memory>

#include "core/raw_array.h"
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
  // The Tag, Log and SpanRef arrays, then the strings (8-byte aligned); an array, not a
  // vector: it is never grown in place, and no vector growth of words is linked for it.
  RawArray<uint64_t> buffer_;
  size_t buffer_words_ = 0;  // of buffer_, when it is not null (a move leaves it null, not 0)
  Span span_;
};

}  // namespace litetrace::detail
