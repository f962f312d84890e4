// Golden bytes for the Thrift binary protocol: every primitive litetrace writes, the strict
// message header, a whole Span and a bare Batch, worked out by hand from the binary
// protocol spec (judge_binary.py has Apache Thrift decode randomized ones).

#include "jaeger/binary_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "jaeger/jaeger_encoder.h"
#include "support/bytes.h"

namespace litetrace::detail {
namespace {

using test::encode_bytes;
using test::hex;
using test::to_hex;

template <typename Encode>
test::Bytes binary(Encode encode) {
  return encode_bytes<BinaryWriter>(encode);
}

TEST(BinaryWriter, FieldsAreTypeIdAndBigEndianValues) {
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_i32(2, -1); }), "08 00 02 ff ff ff ff");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_i32(300, 0x01020304); }), "08 01 2c 01 02 03 04");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_i64(1, 0x0102030405060708); }),
                         "0a 00 01 01 02 03 04 05 06 07 08");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_i64(6, INT64_MIN); }),
                         "0a 00 06 80 00 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_double(4, 1.0); }),
                         "04 00 04 3f f0 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_double(4, -0.0); }),
                         "04 00 04 80 00 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_double(4, std::numeric_limits<double>::infinity()); }),
                         "04 00 04 7f f0 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_bool(5, true); }), "02 00 05 01");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_bool(5, false); }), "02 00 05 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_binary(1, "ab"); }), "0b 00 01 00 00 00 02 'ab'");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_binary(7, ""); }), "0b 00 07 00 00 00 00");
}

TEST(BinaryWriter, ListsStructsAndTheStrictMessageHeader) {
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) {
                           w.struct_begin();
                           w.field_list_begin(10, CType::kStruct, 3);
                           w.struct_end();
                         }),
                         "0f 00 0a 0c 00 00 00 03 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) {
                           w.struct_begin();
                           w.field_struct_begin(1);
                           w.struct_end();
                           w.struct_end();
                         }),
                         "0c 00 01 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.message_begin("emitBatch", MessageType::kOneway, 7); }),
                         "80 01 00 04 00 00 00 09 'emitBatch' 00 00 00 07");
}

TEST(BinaryWriter, OverflowIsStickyAndUnbalancedStructsFail) {
  uint8_t buf[5] = {};
  BinaryWriter w(buf, sizeof buf);
  w.field_i32(1, 1);  // the 3-byte header fits, the 4-byte value does not
  EXPECT_EQ(w.error(), WriteError::kOverflow);
  EXPECT_EQ(w.size(), 3u);
  w.write_byte(1);  // would fit, but the first error stops everything
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 3u);
  BinaryWriter sizing;
  sizing.struct_end();
  EXPECT_EQ(sizing.error(), WriteError::kUnbalanced);
}

TEST(BinaryWriter, ASpanAndABareBatch) {
  Span s;
  s.trace_id_low = 1;
  s.trace_id_high = 2;
  s.span_id = 3;
  s.operation_name = "op";
  s.flags = 1;
  s.start_time_us = 5;
  s.duration_us = 6;
  s.dropped_logs = 2;  // one otel.dropped_events_count tag
  const char* const span =
      "0a 00 01 00 00 00 00 00 00 00 01"  // traceIdLow
      " 0a 00 02 00 00 00 00 00 00 00 02"  // traceIdHigh
      " 0a 00 03 00 00 00 00 00 00 00 03"  // spanId
      " 0a 00 04 00 00 00 00 00 00 00 00"  // parentSpanId
      " 0b 00 05 00 00 00 02 'op'"        // operationName
      " 08 00 07 00 00 00 01"              // flags
      " 0a 00 08 00 00 00 00 00 00 00 05"  // startTime
      " 0a 00 09 00 00 00 00 00 00 00 06"  // duration
      " 0f 00 0a 0c 00 00 00 01"           // tags: one struct
      " 0b 00 01 00 00 00 19 'otel.dropped_events_count' 08 00 02 00 00 00 03 0a 00 06 00 00 00 00 00 00 00 02 00"
      " 00";
  LITETRACE_EXPECT_BYTES(binary([&](BinaryWriter& w) { encode_span(w, s); }), span);

  const Tag tags[] = {Tag::boolean("b", true)};
  const Process process{"svc", slice_of(tags)};
  const std::string batch = encode_batch(process, {&s, 1});
  LITETRACE_EXPECT_BYTES(test::Bytes(batch.begin(), batch.end()),
                         std::string("0c 00 01"                                          // Batch.process
                                     " 0b 00 01 00 00 00 03 'svc'"                      // serviceName
                                     " 0f 00 02 0c 00 00 00 01"                         // tags
                                     " 0b 00 01 00 00 00 01 'b' 08 00 02 00 00 00 02 02 00 05 01 00"
                                     " 00"                                              // end of Process
                                     " 0f 00 02 0c 00 00 00 01 ") +                     // Batch.spans
                             span + " 00");                                             // end of Batch
}

}  // namespace
}  // namespace litetrace::detail
