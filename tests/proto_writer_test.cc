// Golden bytes for the protobuf wire format writer (the examples of the protobuf encoding
// guide among them), its size functions and its errors.

#include "otlp/proto_writer.h"
#include "otlp/proto_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "support/bytes.h"

namespace litetrace::detail {
namespace {

using test::encode_bytes;
using test::hex;
using test::to_hex;

TEST(ProtoWriter, TheEncodingGuidesExamples) {
  // message Test1 { int32 a = 1; }, a = 150
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) { w.varint_field(1, 150); }), "08 96 01");
  // message Test2 { string b = 2; }, b = "testing"
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) { w.bytes_field(2, "testing"); }),
                         "12 07 'testing'");
  // message Test3 { Test1 c = 3; }, c.a = 150
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) {
                           w.message_begin(3, varint_field_size(1, 150));
                           w.varint_field(1, 150);
                           w.message_end();
                         }),
                         "1a 03 08 96 01");
}

TEST(ProtoWriter, VarintsAndTags) {
  const auto field = [](uint32_t id, uint64_t v) {
    return encode_bytes<ProtoWriter>([&](ProtoWriter& w) { w.varint_field(id, v); });
  };
  LITETRACE_EXPECT_BYTES(field(1, 0), "08 00");
  LITETRACE_EXPECT_BYTES(field(1, 127), "08 7f");
  LITETRACE_EXPECT_BYTES(field(1, 128), "08 80 01");
  LITETRACE_EXPECT_BYTES(field(1, UINT64_MAX), "08 ff ff ff ff ff ff ff ff ff 01");
  LITETRACE_EXPECT_BYTES(field(15, 1), "78 01");     // the last one-byte tag
  LITETRACE_EXPECT_BYTES(field(16, 1), "80 01 01");  // the first two-byte tag
  LITETRACE_EXPECT_BYTES(field(536870911, 1), "f8 ff ff ff 0f 01");  // the largest field number
  // int64 has no zigzag: -1 is ten bytes.
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) { w.int64_field(2, -1); }),
                         "10 ff ff ff ff ff ff ff ff ff 01");
  for (int bits = 0; bits < 64; ++bits) {
    for (uint64_t v : {uint64_t{1} << bits, (uint64_t{1} << bits) - 1}) {
      EXPECT_EQ(varint_field_size(9, v), field(9, v).size()) << v;
      EXPECT_EQ(int64_field_size(9, static_cast<int64_t>(v)), field(9, v).size()) << v;
    }
  }
}

TEST(ProtoWriter, FixedWidthIsLittleEndian) {
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) { w.fixed64_field(7, 0x0102030405060708); }),
                         "39 08 07 06 05 04 03 02 01");
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) { w.fixed32_field(10, 0x01020304); }),
                         "55 04 03 02 01");
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) { w.double_field(4, 1.0); }),
                         "21 00 00 00 00 00 00 f0 3f");
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) { w.double_field(4, -0.0); }),
                         "21 00 00 00 00 00 00 00 80");
  EXPECT_EQ(fixed64_field_size(7), 9u);
  EXPECT_EQ(fixed32_field_size(10), 5u);
}

TEST(ProtoWriter, EmptyAndLongBytes) {
  LITETRACE_EXPECT_BYTES(encode_bytes<ProtoWriter>([](ProtoWriter& w) { w.bytes_field(1, ""); }), "0a 00");
  const std::string long_value(300, 'x');
  const test::Bytes b = encode_bytes<ProtoWriter>([&](ProtoWriter& w) { w.bytes_field(1, long_value); });
  ASSERT_EQ(b.size(), 303u);
  EXPECT_EQ(to_hex(test::Bytes(b.begin(), b.begin() + 3)), "0a ac 02");
  EXPECT_EQ(length_delimited_field_size(1, 300), 303u);
}

TEST(ProtoWriter, NestedMessagesMustBeAsLongAsAnnounced) {
  uint8_t buf[64];
  ProtoWriter shorter(buf, sizeof buf);
  shorter.message_begin(1, 3);
  shorter.varint_field(1, 1);  // two bytes, three announced
  shorter.message_end();
  EXPECT_EQ(shorter.error(), ProtoError::kLengthMismatch);
  EXPECT_FALSE(shorter.ok());

  ProtoWriter longer(buf, sizeof buf);
  longer.message_begin(1, 1);
  longer.varint_field(1, 1);
  longer.message_end();
  EXPECT_EQ(longer.error(), ProtoError::kLengthMismatch);

  ProtoWriter unopened(buf, sizeof buf);
  unopened.message_end();
  EXPECT_EQ(unopened.error(), ProtoError::kLengthMismatch);

  ProtoWriter unclosed(buf, sizeof buf);
  unclosed.message_begin(1, 0);
  EXPECT_FALSE(unclosed.ok());  // still open
  unclosed.message_end();
  EXPECT_TRUE(unclosed.ok());

  ProtoWriter deep;
  for (int i = 0; i <= ProtoWriter::kMaxDepth; ++i) deep.message_begin(1, 0);
  EXPECT_EQ(deep.error(), ProtoError::kNestingTooDeep);
}

TEST(ProtoWriter, OverflowIsStickyAndWritesNothingPastTheEnd) {
  uint8_t buf[8] = {0, 0, 0, 0, 0, 0, 0, 0xEE};
  ProtoWriter w(buf, 7);
  w.bytes_field(1, "abcd");  // 6 bytes
  EXPECT_TRUE(w.ok());
  w.varint_field(2, 300);  // 3 more: its tag fits, its value does not
  EXPECT_EQ(w.error(), ProtoError::kOverflow);
  EXPECT_EQ(w.size(), 7u);
  w.bytes_field(3, "");  // 2 bytes: nothing is written after the first error
  EXPECT_EQ(w.size(), 7u);
  EXPECT_EQ(w.error(), ProtoError::kOverflow);
  EXPECT_EQ(buf[7], 0xEE);
}

TEST(ProtoReader, ReadsWhatTheWriterWrites) {
  const test::Bytes b = encode_bytes<ProtoWriter>([](ProtoWriter& w) {
    w.varint_field(1, 300);
    w.int64_field(2, -5);
    w.fixed64_field(3, 0x0102030405060708);
    w.fixed32_field(4, 7);
    w.message_begin(5, varint_field_size(1, 2) + length_delimited_field_size(2, 2));
    w.varint_field(1, 2);
    w.bytes_field(2, "hi");
    w.message_end();
  });
  ProtoReader r(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  ProtoField f;
  ASSERT_TRUE(r.next(f));
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.value, 300u);
  ASSERT_TRUE(r.next(f));
  EXPECT_EQ(static_cast<int64_t>(f.value), -5);
  ASSERT_TRUE(r.next(f));
  EXPECT_EQ(f.type, WireType::kFixed64);
  EXPECT_EQ(f.value, 0x0102030405060708u);
  ASSERT_TRUE(r.next(f));
  EXPECT_EQ(f.type, WireType::kFixed32);
  EXPECT_EQ(f.value, 7u);
  ASSERT_TRUE(r.next(f));
  EXPECT_EQ(f.number, 5u);
  ProtoReader inner(f.bytes);
  ASSERT_TRUE(inner.next(f));
  EXPECT_EQ(f.value, 2u);
  ASSERT_TRUE(inner.next(f));
  EXPECT_EQ(f.bytes, "hi");
  EXPECT_FALSE(inner.next(f));
  EXPECT_TRUE(inner.ok());
  EXPECT_FALSE(r.next(f));
  EXPECT_TRUE(r.ok());
}

TEST(ProtoReader, MalformedInputIsAnErrorNeverAnOverread) {
  using namespace std::string_literals;
  for (const std::string& bad : {"\x0a\x05"s "abc"s,        // a length past the end
                                 "\x08\x80"s,              // a varint cut short
                                 "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s,  // an 11-byte varint
                                 "\x09\x01\x02"s,          // a fixed64 cut short
                                 "\x0b"s,                  // a group (wire type 3)
                                 std::string("\x00\x01", 2)}) {  // field number 0
    ProtoReader r(bad);
    ProtoField f;
    while (r.next(f)) {
    }
    EXPECT_FALSE(r.ok()) << to_hex(test::Bytes(bad.begin(), bad.end()));
  }
}

}  // namespace
}  // namespace litetrace::detail
