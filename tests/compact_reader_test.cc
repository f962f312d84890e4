// The reader undoes the writer, and malformed input is an error, never a crash.

#include "jaeger/compact_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "jaeger/compact_writer.h"
#include "support/bytes.h"

namespace litetrace::detail {
namespace {

using test::Bytes;
using test::encode_bytes;
using test::hex;

TEST(CompactReader, RoundTripsRandomValues) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t u = rng() >> (rng() % 64);
    const int64_t s = static_cast<int64_t>(rng());
    const int32_t s32 = static_cast<int32_t>(rng());
    const double d = static_cast<double>(s) / 3.0;
    const std::string str(static_cast<size_t>(rng() % 300), static_cast<char>('a' + rng() % 26));
    const Bytes b = encode_bytes([&](CompactWriter& w) {
      w.write_varint(u);
      w.write_i64(s);
      w.write_i32(s32);
      w.write_double(d);
      w.write_binary(str);
    });
    CompactReader r(b.data(), b.size());
    EXPECT_EQ(r.read_varint(), u);
    EXPECT_EQ(r.read_i64(), s);
    EXPECT_EQ(r.read_i32(), s32);
    EXPECT_EQ(r.read_double(), d);
    EXPECT_EQ(r.read_binary(), str);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(CompactReader, ReadsFieldHeadersInBothForms) {
  const Bytes b = hex("55 02 05 06 02 05 d8 04 02 15 02 11 00");
  CompactReader r(b.data(), b.size());
  r.struct_begin();
  const int16_t ids[] = {5, 3, 300, 301};
  for (int16_t id : ids) {
    const FieldHeader f = r.read_field_header();
    ASSERT_FALSE(f.stop);
    EXPECT_EQ(f.id, id);
    EXPECT_EQ(f.type, CType::kI32);
    EXPECT_EQ(r.read_i32(), 1);
  }
  const FieldHeader b302 = r.read_field_header();
  EXPECT_EQ(b302.id, 302);
  EXPECT_TRUE(b302.bool_value);
  EXPECT_TRUE(r.read_field_header().stop);
  EXPECT_TRUE(r.ok());
}

TEST(CompactReader, SkipsEveryType) {
  // A struct holding one field of each type, including a map and a nested list of structs.
  const Bytes b = encode_bytes([](CompactWriter& w) {
    w.struct_begin();
    w.field_bool(1, true);
    w.field_header(2, CType::kI8);
    w.write_byte(7);
    w.field_header(3, CType::kI16);
    w.write_i16(-5);
    w.field_i32(4, 1 << 20);
    w.field_i64(5, INT64_MIN);
    w.field_double(6, 2.5);
    w.field_binary(7, "skip me");
    w.field_list_begin(8, CType::kStruct, 2);
    w.struct_begin();
    w.field_i32(1, 1);
    w.struct_end();
    w.struct_begin();
    w.struct_end();
    w.field_header(9, CType::kMap);
    w.write_varint(2);
    w.write_byte(0x85);  // binary -> i32
    w.write_binary("a");
    w.write_i32(1);
    w.write_binary("b");
    w.write_i32(2);
    w.field_header(10, CType::kMap);
    w.write_varint(0);  // an empty map has no type byte
    w.field_header(11, CType::kSet);
    w.list_header(CType::kBoolTrue, 2);
    w.write_byte(1);
    w.write_byte(2);
    w.struct_end();
    w.write_byte(0x42);  // a marker after the struct
  });
  CompactReader r(b.data(), b.size());
  r.skip(CType::kStruct);
  EXPECT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r.read_byte(), 0x42);
  EXPECT_EQ(r.remaining(), 0u);
}

struct Malformed {
  const char* name;
  const char* bytes;
  ReadError error;
};

class CompactReaderMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(CompactReaderMalformed, IsAnErrorNotACrash) {
  const Bytes b = hex(GetParam().bytes);
  CompactReader r(b.data(), b.size());
  r.skip(CType::kStruct);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), GetParam().error) << to_string(r.error());
  // Sticky: further reads return zero values and keep the first error.
  EXPECT_EQ(r.read_varint(), 0u);
  EXPECT_EQ(r.error(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, CompactReaderMalformed,
    ::testing::Values(
        Malformed{"Empty", "", ReadError::kTruncated},
        Malformed{"NoStop", "15 02", ReadError::kTruncated},
        Malformed{"VarintRunsOff", "16 ff ff", ReadError::kTruncated},
        Malformed{"VarintTooLong", "16 ff ff ff ff ff ff ff ff ff 7f 00", ReadError::kBadVarint},
        Malformed{"I32TooWide", "15 ff ff ff ff 1f 00", ReadError::kBadVarint},
        Malformed{"StringPastTheEnd", "18 05 'ab'", ReadError::kTruncated},
        Malformed{"UnknownType", "1d 00", ReadError::kBadType},
        Malformed{"ListCountLies", "19 fc ff ff 03 00", ReadError::kBadLength},
        Malformed{"MapCountLies", "1b ff ff 03 85 00", ReadError::kBadLength},
        Malformed{"DoubleTruncated", "17 00 00 00", ReadError::kTruncated},
        Malformed{"NestingBomb",
                  "1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c "
                  "1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 00",
                  ReadError::kNestingTooDeep}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(CompactReader, MessageHeader) {
  const Bytes ok = hex("82 81 00 09 'emitBatch'");
  CompactReader r(ok.data(), ok.size());
  const MessageHeader h = r.read_message_begin();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(h.type, MessageType::kOneway);
  EXPECT_EQ(h.seqid, 0);
  EXPECT_EQ(h.name, "emitBatch");

  for (const char* bad : {"80 01 00 00", "82 82 00 00", "82 01 00 00", "82 e1 00 00"}) {
    const Bytes b = hex(bad);
    CompactReader br(b.data(), b.size());
    br.read_message_begin();
    EXPECT_EQ(br.error(), ReadError::kBadHeader) << bad;
  }
}

}  // namespace
}  // namespace litetrace::detail
