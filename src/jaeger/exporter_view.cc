// The exporter's view path (exporter.h): spans added as Jaeger views, encoded by the
// protocol's view encoder, trimmed by span_trimmer.h and kept as OwnedSpan copies for a
// re-pack. Its own file, so that a program that adds records only does not link it (nor
// the trimmer and OwnedSpan) even without --gc-sections.

#include "core/compiler.h"
#include "core/text.h"
#include "jaeger/exporter.h"
#include "jaeger/owned_span.h"
#include "jaeger/span_trimmer.h"

namespace litetrace::detail {

namespace {

struct OwnedView final : KeptView {
  OwnedView() { destroy = [](KeptView* self) noexcept { delete static_cast<OwnedView*>(self); }; }
  OwnedSpan span;
};

}  // namespace

void Exporter::add_view_again(Exporter& exporter, const Copy& copy) {
  exporter.add_span(static_cast<const OwnedView&>(*copy.view).span.span());
}

// Adds to the open packet, keeping a copy of a span too large to go out again as its bytes.
PacketBuilder::AddResult Exporter::add_to_current(const Span& span) {
  PacketBuilder& b = current();
  const PacketBuilder::AddResult r = b.add(span);
  if (r == PacketBuilder::AddResult::kAdded && b.span_bytes(b.span_count() - 1).size() > repack_as_bytes_) {
    Copy& copy = keep_last();
    if (copy.view == nullptr) copy.view = new OwnedView;
    static_cast<OwnedView&>(*copy.view).span.assign(span);
    copy.add_again = &Exporter::add_view_again;
  }
  return r;
}

void Exporter::add(const Span& span) {
  bump(spans_added_, 1);
  add_span(span);
}

void Exporter::add_span(const Span& span) {
  PacketBuilder::AddResult r = add_to_current(span);
  if (r == PacketBuilder::AddResult::kAdded) return;
  // A span that no packet can hold must not close a packet that still has room: trim it
  // first, then place what is left (sizing it costs one more pass, once per packet).
  if (r == PacketBuilder::AddResult::kTooLarge ||
      view_span_size(*protocol_, span) > current().max_span_size()) {
    add_trimmed(span);
    return;
  }
  // Sealing may send, and sending may re-pack spans into the next packet, so "full" can
  // come more than once; every round seals a non-empty packet, so this ends.
  do {
    seal_current();
  } while ((r = add_to_current(span)) == PacketBuilder::AddResult::kFull);
}

// For a span larger than any packet can hold.
LITETRACE_COLD void Exporter::add_trimmed(const Span& span) {
  const size_t limit = current().max_span_size();
  Span trimmed;
  if (!trim_to_fit(span, limit, &trimmed, *protocol_)) {
    report_too_large(span.operation_name);
    return;
  }
  report_trimmed(span.operation_name, view_span_size(*protocol_, span), limit,
                 span.logs.size - trimmed.logs.size, span.tags.size - trimmed.tags.size,
                 trimmed.operation_name.size());
  while (add_to_current(trimmed) == PacketBuilder::AddResult::kFull) seal_current();
}

}  // namespace litetrace::detail
