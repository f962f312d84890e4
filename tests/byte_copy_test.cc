// The hot path's copies (core/byte_copy.h): move_bytes() copies exactly its n bytes, and
// move_chunks(), a span's items into its record, copies n rounded up to whole 16-byte chunks
// (at least one) and nothing past them, for every length up to several turns of its loop;
// and a record has room for what it copies.

#include "core/byte_copy.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "pipeline/provider_core.h"

namespace litetrace::detail {
namespace {

constexpr uint8_t kUntouched = 0xEE;

// Source bytes that differ from their neighbours and from kUntouched.
std::vector<uint8_t> numbered(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i % 200);
  return v;
}

TEST(MoveBytes, CopiesExactlyItsBytesForEveryShortAndLongLength) {
  for (size_t n = 0; n <= 100; ++n) {
    const std::vector<uint8_t> src = numbered(n + 32);
    std::vector<uint8_t> dst(n + 32, kUntouched);
    move_bytes(dst.data() + 8, src.data(), n);
    for (size_t i = 0; i < dst.size(); ++i) {
      const uint8_t expected = i >= 8 && i < 8 + n ? src[i - 8] : kUntouched;
      ASSERT_EQ(dst[i], expected) << "n=" << n << " i=" << i;
    }
  }
}

// The chunks a record's items are copied in: n rounded up to whole chunks, at least one.
size_t chunked(size_t n) { return n == 0 ? kItemChunk : (n + kItemChunk - 1) / kItemChunk * kItemChunk; }

TEST(MoveChunks, CopiesWholeChunksCoveringTheBytesAndNothingBeyondThem) {
  for (size_t n = 0; n <= 200; ++n) {
    const size_t rounded = chunked(n);
    const std::vector<uint8_t> src = numbered(rounded);
    std::vector<uint8_t> dst(rounded + 48, kUntouched);
    move_chunks(dst.data() + 16, src.data(), n);
    for (size_t i = 0; i < dst.size(); ++i) {
      const uint8_t expected = i >= 16 && i < 16 + rounded ? src[i - 16] : kUntouched;
      ASSERT_EQ(dst[i], expected) << "n=" << n << " i=" << i;
    }
  }
}

// What move_chunks() writes fits the record it writes into, for every length of items, none
// included (a span whose buffer could not be grown for its long name has none).
TEST(MoveChunks, ARecordHoldsTheChunksItsItemsAreCopiedIn) {
  for (size_t n = 0; n <= 200; ++n) {
    const size_t size = ProviderCore::record_size(n);
    EXPECT_GE(size - sizeof(SpanRecordHeader), chunked(n)) << "n=" << n;
    EXPECT_EQ(size % SpanRing::kAlign, 0u) << "n=" << n;
  }
}

}  // namespace
}  // namespace litetrace::detail
