// Golden bytes for every compact protocol primitive and its edges.

#include "jaeger/compact_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "support/bytes.h"

namespace litetrace::detail {
namespace {

using test::Bytes;
using test::encode_bytes;
using test::hex;
using test::to_hex;

TEST(CompactWriter, VarintEdges) {
  const auto varint = [](uint64_t v) { return encode_bytes([&](CompactWriter& w) { w.write_varint(v); }); };
  LITETRACE_EXPECT_BYTES(varint(0), "00");
  LITETRACE_EXPECT_BYTES(varint(1), "01");
  LITETRACE_EXPECT_BYTES(varint(127), "7f");
  LITETRACE_EXPECT_BYTES(varint(128), "80 01");
  LITETRACE_EXPECT_BYTES(varint(300), "ac 02");
  LITETRACE_EXPECT_BYTES(varint(16383), "ff 7f");
  LITETRACE_EXPECT_BYTES(varint(16384), "80 80 01");
  LITETRACE_EXPECT_BYTES(varint(UINT32_MAX), "ff ff ff ff 0f");
  LITETRACE_EXPECT_BYTES(varint(UINT64_MAX), "ff ff ff ff ff ff ff ff ff 01");
}

TEST(CompactWriter, VarintSizeMatchesEncoding) {
  for (int bits = 0; bits < 64; ++bits) {
    for (uint64_t v : {uint64_t{1} << bits, (uint64_t{1} << bits) - 1}) {
      EXPECT_EQ(varint_size(v), encode_bytes([&](CompactWriter& w) { w.write_varint(v); }).size()) << v;
    }
  }
}

// The unchecked writer's paths for wide values (unrolled, and with pdep where this CPU runs
// it fast) write the same bytes as the loop, at every width, on either side of the 2^49
// where they take over, and for random values; nothing past the ten bytes a varint can take.
TEST(CompactWriter, WideVarintsAreTheSameBytes) {
  std::vector<uint64_t> values;
  for (int bits = 0; bits <= 64; ++bits) {
    const uint64_t top = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits);
    values.insert(values.end(), {top, top - 1, top | 0x5555555555555555u >> (64 - (bits == 0 ? 1 : bits))});
  }
  std::mt19937_64 rng(49);
  for (int i = 0; i < 2000; ++i) values.push_back(rng() >> (rng() % 64));
  if (!has_fast_bit_deposit()) std::printf("this CPU has no fast pdep: its path is not tested\n");
  for (const uint64_t v : values) {
    const Bytes expected = encode_bytes([&](CompactWriter& c) { c.write_varint(v); });
    // The unrolled loop; the way a CPU without a fast pdep takes (a one-byte value inline,
    // a longer one by put_wide_varint()); pdep.
    for (const char* way : {"loop", "no pdep", "pdep"}) {
      const std::string_view name = way;
      if (name == "pdep" && !has_fast_bit_deposit()) continue;
      uint8_t wide[16];
      std::memset(wide, 0xAA, sizeof wide);
      CompactRawWriter w(wide);
      if (name == "loop") {
        w.write_wide_varint(v);
      } else {
        w.write_wide_varint(v, name == "pdep");
      }
      EXPECT_EQ(to_hex(Bytes(wide, wide + w.size())), to_hex(expected)) << v << " (" << way << ")";
      for (size_t j = 10; j < sizeof wide; ++j) EXPECT_EQ(wide[j], 0xAA) << v << " (" << way << ")";
    }
  }
}

TEST(CompactWriter, ZigzagI64) {
  const auto i64 = [](int64_t v) { return encode_bytes([&](CompactWriter& w) { w.write_i64(v); }); };
  LITETRACE_EXPECT_BYTES(i64(0), "00");
  LITETRACE_EXPECT_BYTES(i64(-1), "01");
  LITETRACE_EXPECT_BYTES(i64(1), "02");
  LITETRACE_EXPECT_BYTES(i64(-2), "03");
  LITETRACE_EXPECT_BYTES(i64(-64), "7f");
  LITETRACE_EXPECT_BYTES(i64(64), "80 01");
  LITETRACE_EXPECT_BYTES(i64(INT64_MAX), "fe ff ff ff ff ff ff ff ff 01");
  LITETRACE_EXPECT_BYTES(i64(INT64_MIN), "ff ff ff ff ff ff ff ff ff 01");
}

TEST(CompactWriter, ZigzagI32AndI16) {
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) { w.write_i32(INT32_MIN); }), "ff ff ff ff 0f");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) { w.write_i32(INT32_MAX); }), "fe ff ff ff 0f");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) { w.write_i32(-3); }), "05");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) { w.write_i16(INT16_MIN); }), "ff ff 03");
}

TEST(CompactWriter, FieldHeaderShortAndLongForm) {
  // delta 1 and delta 15 fit the short form; 16 and any non-increasing id take the long form.
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.struct_begin();
                           w.field_i32(1, 0);
                           w.struct_end();
                         }),
                         "15 00 00");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.struct_begin();
                           w.field_i32(15, 0);
                           w.struct_end();
                         }),
                         "f5 00 00");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.struct_begin();
                           w.field_i32(16, 0);
                           w.struct_end();
                         }),
                         "05 20 00 00");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.struct_begin();
                           w.field_i32(5, 1);
                           w.field_i32(3, 1);    // going back: long form
                           w.field_i32(300, 1);  // far ahead: long form, id 300 zigzag = 600
                           w.field_i32(301, 1);  // then short again relative to 300
                           w.struct_end();
                         }),
                         "55 02 05 06 02 05 d8 04 02 15 02 00");
  EXPECT_EQ(field_header_size(0, 1), 1u);
  EXPECT_EQ(field_header_size(0, 15), 1u);
  EXPECT_EQ(field_header_size(0, 16), 2u);
  EXPECT_EQ(field_header_size(5, 3), 2u);
  EXPECT_EQ(field_header_size(0, 300), 3u);
}

TEST(CompactWriter, BoolFieldsLiveInTheTypeNibble) {
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.struct_begin();
                           w.field_bool(1, true);
                           w.field_bool(2, false);
                           w.field_bool(20, true);
                           w.struct_end();
                         }),
                         "11 12 01 28 00");
}

TEST(CompactWriter, ListHeaders) {
  const auto list = [](size_t n) {
    return encode_bytes([&](CompactWriter& w) { w.list_header(CType::kStruct, n); });
  };
  LITETRACE_EXPECT_BYTES(list(0), "0c");
  LITETRACE_EXPECT_BYTES(list(1), "1c");
  LITETRACE_EXPECT_BYTES(list(14), "ec");
  LITETRACE_EXPECT_BYTES(list(15), "fc 0f");
  LITETRACE_EXPECT_BYTES(list(127), "fc 7f");
  LITETRACE_EXPECT_BYTES(list(128), "fc 80 01");
  LITETRACE_EXPECT_BYTES(list(100000), "fc a0 8d 06");
  for (size_t n : {0u, 14u, 15u, 127u, 128u, 16383u, 16384u}) EXPECT_EQ(list_header_size(n), list(n).size());
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.struct_begin();
                           w.field_list_begin(2, CType::kI64, 3);
                           w.write_i64(1);
                           w.write_i64(-1);
                           w.write_i64(0);
                           w.struct_end();
                         }),
                         "29 36 02 01 00 00");
}

TEST(CompactWriter, DoublesAreLittleEndian) {
  const auto dbl = [](double d) { return encode_bytes([&](CompactWriter& w) { w.write_double(d); }); };
  LITETRACE_EXPECT_BYTES(dbl(0.0), "00 00 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(dbl(-0.0), "00 00 00 00 00 00 00 80");
  LITETRACE_EXPECT_BYTES(dbl(1.5), "00 00 00 00 00 00 f8 3f");
  LITETRACE_EXPECT_BYTES(dbl(std::numeric_limits<double>::quiet_NaN()), "00 00 00 00 00 00 f8 7f");
  LITETRACE_EXPECT_BYTES(dbl(std::numeric_limits<double>::infinity()), "00 00 00 00 00 00 f0 7f");
  LITETRACE_EXPECT_BYTES(dbl(-std::numeric_limits<double>::infinity()), "00 00 00 00 00 00 f0 ff");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.struct_begin();
                           w.field_double(4, -2.0);
                           w.struct_end();
                         }),
                         "47 00 00 00 00 00 00 00 c0 00");
}

TEST(CompactWriter, Strings) {
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) { w.write_binary(""); }), "00");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) { w.write_binary("abc"); }), "03 'abc'");
  // UTF-8 goes through as its bytes; the length counts bytes, not characters.
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) { w.write_binary("h\xC3\xA9\xF0\x9F\x99\x82"); }),
                         "07 68 c3 a9 f0 9f 99 82");
  const std::string long_string(200, 'q');
  const test::Bytes b = encode_bytes([&](CompactWriter& w) { w.write_binary(long_string); });
  ASSERT_EQ(b.size(), 202u);
  EXPECT_EQ(b[0], 0xc8);  // 200 = 0b1'1001000 -> c8 01
  EXPECT_EQ(b[1], 0x01);
  EXPECT_EQ(std::string(b.begin() + 2, b.end()), long_string);
  const std::string with_nul("a\0b", 3);
  LITETRACE_EXPECT_BYTES(encode_bytes([&](CompactWriter& w) { w.write_binary(with_nul); }), "03 61 00 62");
}

TEST(CompactWriter, NestedStructsRestoreTheOuterFieldId) {
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.struct_begin();
                           w.field_i32(1, 1);
                           w.field_struct_begin(2);
                           w.field_i32(1, 2);
                           w.field_struct_begin(7);
                           w.struct_end();
                           w.struct_end();
                           w.field_i32(3, 3);  // delta 1 from the outer struct's field 2
                           w.struct_end();
                         }),
                         "15 02 1c 15 04 6c 00 00 15 06 00");
}

// The unchecked writer keeps the enclosing structs' field ids in one integer, and a leaf
// struct's in the caller's local (leaf_struct_begin): the same bytes as the checked writer
// at every level it allows, each outer field id restored after the struct inside it.
TEST(CompactWriter, TheUncheckedWriterNestsAsTheCheckedOne) {
  const auto nest = [](auto& w) {
    w.struct_begin();
    w.field_i32(1, 1);
    w.field_struct_begin(2);
    w.field_i32(3, 2);
    w.field_struct_begin(5);
    w.field_i32(1, 3);
    w.field_list_begin(4, CType::kStruct, 2);
    for (int i = 0; i < 2; ++i) {
      w.struct_begin();  // the fourth level
      w.field_i32(2, 4);
      const int16_t enclosing = w.leaf_struct_begin();  // a fifth, as a leaf
      w.field_i32(6, 5);
      w.leaf_struct_end(enclosing);
      w.field_i32(3, 6);  // delta 1 from this struct's field 2
      w.struct_end();
    }
    w.field_i32(9, 7);  // delta 5 from the list's field 4
    w.struct_end();
    w.field_i32(6, 8);  // delta 1 from field 5
    w.struct_end();
    w.field_i32(4, 9);  // delta 2 from field 2
    w.struct_end();
  };
  const char* const expected =
      "15 02 1c 35 04 2c 15 06 39 2c "                    // three levels, their first fields, the list
      "25 08 65 0a 00 15 0c 00 25 08 65 0a 00 15 0c 00 "  // its two structs, each with a leaf
      "55 0e 00 15 10 00 25 12 00";                       // each level's next field after its inner struct
  LITETRACE_EXPECT_BYTES(encode_bytes([&](CompactWriter& w) { nest(w); }), expected);
  uint8_t raw[64];
  CompactRawWriter w(raw);
  nest(w);
  EXPECT_TRUE(w.ok());
  LITETRACE_EXPECT_BYTES(Bytes(raw, raw + w.size()), expected);

  // A fifth level of the unchecked writer's stack is an error, as the checked one's 17th.
  CompactRawWriter deep(raw);
  for (int i = 0; i < 4; ++i) deep.struct_begin();
  EXPECT_TRUE(deep.ok());
  deep.struct_begin();
  EXPECT_EQ(deep.error(), WriteError::kNestingTooDeep);
}

TEST(CompactWriter, MessageHeader) {
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.message_begin("emitBatch", MessageType::kOneway, 0);
                         }),
                         "82 81 00 09 'emitBatch'");
  LITETRACE_EXPECT_BYTES(encode_bytes([](CompactWriter& w) {
                           w.message_begin("emitBatch", MessageType::kCall, 300);
                         }),
                         "82 21 ac 02 09 'emitBatch'");
  EXPECT_EQ(message_header_size("emitBatch", 0), 13u);
}

TEST(CompactWriter, OverflowIsStickyAndWritesNothingPastTheEnd) {
  uint8_t buf[4] = {0xAA, 0xAA, 0xAA, 0xAA};
  CompactWriter w(buf, 3);
  w.write_byte(1);
  w.write_binary("abc");  // the length prefix fits, the three bytes do not
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.error(), WriteError::kOverflow);
  EXPECT_EQ(w.size(), 2u);
  w.write_byte(2);  // ignored after the first error
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(buf[2], 0xAA);  // nothing of the failed write, nothing past the capacity
  EXPECT_EQ(buf[3], 0xAA);
}

TEST(CompactWriter, OverflowOnEveryPrimitive) {
  uint8_t buf[16];
  for (size_t cap = 0; cap < 9; ++cap) {
    CompactWriter w(buf, cap);
    w.write_double(1.0);
    EXPECT_EQ(w.ok(), cap >= 8) << cap;
    CompactWriter v(buf, cap);
    v.write_varint(UINT64_MAX);
    EXPECT_FALSE(v.ok()) << cap;  // 10 bytes never fit in 8
  }
}

TEST(CompactWriter, SizingModeNeverOverflows) {
  CompactWriter w;
  EXPECT_TRUE(w.sizing());
  const std::string big(1 << 20, 'x');
  w.write_binary(big);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w.size(), big.size() + 3);
}

TEST(CompactWriter, StructBalanceAndDepthAreChecked) {
  CompactWriter unbalanced;
  unbalanced.struct_end();
  EXPECT_EQ(unbalanced.error(), WriteError::kUnbalanced);

  CompactWriter deep;
  for (int i = 0; i <= CompactWriter::kMaxDepth; ++i) deep.struct_begin();
  EXPECT_EQ(deep.error(), WriteError::kNestingTooDeep);
}

}  // namespace
}  // namespace litetrace::detail
