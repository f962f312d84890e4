#pragma once

// Jaeger's collector over HTTP as an HttpRequestFormat (transport/http_export_sink.h):
// span records -> Jaeger spans -> one bare Batch struct per request in the Thrift binary
// protocol, the body of POST /api/traces with Content-Type
// application/vnd.apache.thrift.binary. The collector answers 202 Accepted; any 2xx is
// success, connection failures, 429 and every 5xx (500 when it cannot take a batch) are
// worth another attempt, and any other status is permanent, reported with the body's text.
//
// A request's body stays within max_request_bytes: a span that would take it over goes to
// the next request, and a span that no request could hold is too large (dropped and
// counted). The Batch carries no seqNo or stats: the collector answers for the batch itself.
//
// Spans are written by the record encoder (record_encoder.h), with no Jaeger view: a record
// that keeps the span attribute rules and is plain, as most are, as the ring holds it; the
// others after the rules, their arrays rewritten as strings (record_rewriter.h). The bytes
// are those of the mapping (span_mapper.h) and the view's encoder.
//
// Thread: as HttpRequestFormat.

#include <string>

#include "core/byte_buffer.h"
#include "core/tick_clock.h"
#include "jaeger/jaeger_encoder.h"
#include "jaeger/jaeger_model.h"
#include "jaeger/record_encoder.h"
#include "jaeger/record_rewriter.h"
#include "transport/http_export_sink.h"

namespace litetrace::detail {

class JaegerHttpFormat final : public HttpRequestFormat {
 public:
  // The Process is encoded once, here; `clock` must outlive the format.
  JaegerHttpFormat(const Process& process, const TickConverter* clock, size_t max_request_bytes);

  Added add(const uint8_t* record) override;
  Added add_ring_record(const uint8_t* record, RecordNormalizer& rules) override;
  size_t spans() const override { return spans_; }
  bool build(ByteBuffer& body) override;
  void clear() override {
    request_.clear();
    spans_ = 0;
  }

  std::string_view content_type() const override { return "application/vnd.apache.thrift.binary"; }
  bool retryable(int status) const override { return status == 429 || status >= 500; }
  uint64_t rejected(const HttpResponse&, std::string*) const override { return 0; }
  std::string server_message(const HttpResponse& response) const override { return body_text(response); }

 private:
  // Takes the `n` bytes of a span written into request_.room() when the request holds them.
  Added take(size_t n);

  RecordEncoder encoder_;
  TagRunCache scope_tags_;  // binary Thrift's, for encoder_
  RecordRewriter rewriter_;  // for records with arrays
  size_t max_request_bytes_;
  HandedBuffer request_;  // the body: the Batch's head, then the spans back to back
  size_t count_at_ = 0;   // where in the head the list's count is
  size_t spans_ = 0;
};

}  // namespace litetrace::detail
