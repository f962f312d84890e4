// libFuzzer target for the Jaeger decoders (what litetrace-dump runs on every datagram and
// every collector body from the network: compact and binary emitBatch messages, bare binary
// Batches) and the printers behind them.
//
// Property checked beyond "no crash, no UB": whatever decodes re-encodes, in the same
// protocol, to bytes that decode to the same process and spans.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "jaeger/jaeger_decoder.h"
#include "jaeger/jaeger_encoder.h"
#include "jaeger/span_printer.h"

namespace lt = litetrace::detail;

namespace {

bool same_tag(const lt::Tag& a, const lt::Tag& b) {
  if (a.key != b.key || a.type != b.type) return false;
  switch (a.type) {
    case lt::TagType::kString:
    case lt::TagType::kBinary: return a.str == b.str;
    case lt::TagType::kDouble: return std::memcmp(&a.vdouble, &b.vdouble, sizeof a.vdouble) == 0;
    case lt::TagType::kBool: return a.vbool == b.vbool;
    case lt::TagType::kLong: return a.vlong == b.vlong;
  }
  return false;
}

bool same_tags(lt::Slice<lt::Tag> a, lt::Slice<lt::Tag> b) {
  if (a.size != b.size) return false;
  for (size_t i = 0; i < a.size; ++i) {
    if (!same_tag(a[i], b[i])) return false;
  }
  return true;
}

bool same_span(const lt::Span& a, const lt::Span& b) {
  if (a.trace_id_low != b.trace_id_low || a.trace_id_high != b.trace_id_high || a.span_id != b.span_id ||
      a.parent_span_id != b.parent_span_id || a.operation_name != b.operation_name || a.flags != b.flags ||
      a.start_time_us != b.start_time_us || a.duration_us != b.duration_us || a.dropped_tags != b.dropped_tags ||
      a.dropped_logs != b.dropped_logs || a.dropped_references != b.dropped_references ||
      a.references.size != b.references.size || a.logs.size != b.logs.size || !same_tags(a.tags, b.tags)) {
    return false;
  }
  for (size_t i = 0; i < a.references.size; ++i) {
    const lt::SpanRef& x = a.references[i];
    const lt::SpanRef& y = b.references[i];
    if (x.type != y.type || x.trace_id_low != y.trace_id_low || x.trace_id_high != y.trace_id_high ||
        x.span_id != y.span_id) {
      return false;
    }
  }
  for (size_t i = 0; i < a.logs.size; ++i) {
    if (a.logs[i].timestamp_us != b.logs[i].timestamp_us || !same_tags(a.logs[i].fields, b.logs[i].fields)) {
      return false;
    }
  }
  return true;
}

// Decoded `first` re-encoded with `encode` and decoded again with `decode` must be the same.
template <typename Writer, typename Encode, typename Decode>
void round_trip(const lt::DecodedBatch& first, Encode encode, Decode decode) {
  static lt::DecodedBatch second;
  std::string error;
  const lt::Slice<lt::Span> spans{first.spans.data(), first.spans.size()};
  Writer sizer;
  encode(sizer, spans);
  std::vector<uint8_t> again(sizer.size());
  Writer w(again.data(), again.size());
  encode(w, spans);
  if (!w.ok() || w.size() != again.size()) std::abort();
  if (!decode(again.data(), again.size(), second, &error)) std::abort();
  if (first.process.service_name != second.process.service_name ||
      !same_tags(first.process.tags, second.process.tags) || first.spans.size() != second.spans.size()) {
    std::abort();
  }
  for (size_t i = 0; i < first.spans.size(); ++i) {
    if (!same_span(first.spans[i], second.spans[i])) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lt::DecodedBatch first;
  std::string error;
  // The printers must cope with anything a decoder accepts.
  const auto print = [&] {
    (void)litetrace::detail::format_text(first, "fuzz");
    (void)litetrace::detail::format_json(first, "fuzz");
  };
  if (lt::decode_emit_batch(data, size, first, &error)) {
    print();
    round_trip<lt::CompactWriter>(
        first,
        [&](lt::CompactWriter& w, lt::Slice<lt::Span> spans) {
          lt::encode_emit_batch(w, first.process, spans, first.seq_no, first.stats);
        },
        lt::decode_emit_batch);
  }
  if (lt::decode_emit_batch_binary(data, size, first, &error)) {
    print();
    round_trip<lt::BinaryWriter>(
        first,
        [&](lt::BinaryWriter& w, lt::Slice<lt::Span> spans) {
          lt::encode_emit_batch(w, first.process, spans, first.seq_no, first.stats);
        },
        lt::decode_emit_batch_binary);
  }
  if (lt::decode_batch_binary(data, size, first, &error)) {
    print();
    round_trip<lt::BinaryWriter>(
        first, [&](lt::BinaryWriter& w, lt::Slice<lt::Span> spans) { lt::encode_batch(w, first.process, spans); },
        lt::decode_batch_binary);
  }
  return 0;
}
