// HandedBuffer (core/byte_buffer.h), in which the HTTP formats build a request body where it
// is sent from: each body is the head, what was committed and the tail; it moves to the
// request without a copy (the bytes stay where room() gave them); and the next body starts
// with room for as many bytes as the last one took.

#include "core/byte_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace litetrace::detail {
namespace {

// Writes `text` into the buffer's room and commits it; returns where it went.
const uint8_t* put(HandedBuffer& b, std::string_view text) {
  uint8_t* p = b.room(text.size());
  EXPECT_NE(p, nullptr);
  if (p == nullptr) return nullptr;
  std::memcpy(p, text.data(), text.size());
  b.commit(text.size());
  return p;
}

TEST(HandedBuffer, EachBodyIsTheHeadWhatWasCommittedAndTheTailMovedNotCopied) {
  HandedBuffer b;
  b.set_head("[");
  EXPECT_EQ(b.size(), 1u);  // the head counts before it is written
  const uint8_t* first = put(b, "1");
  put(b, ",2");
  EXPECT_EQ(b.size(), 4u);
  ByteBuffer body;
  ASSERT_TRUE(b.hand_over("]", body));
  EXPECT_EQ(body.view(), "[1,2]");
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(body.view().data()) + 1, first);  // the same bytes
  EXPECT_EQ(b.size(), 1u);

  // The next body, its head written again into memory of its own.
  put(b, "3");
  ByteBuffer second;
  ASSERT_TRUE(b.hand_over("]", second));
  EXPECT_EQ(second.view(), "[3]");
  EXPECT_EQ(body.view(), "[1,2]");  // the first is untouched

  // Nothing committed: the head and the tail.
  ByteBuffer empty;
  ASSERT_TRUE(b.hand_over("]", empty));
  EXPECT_EQ(empty.view(), "[]");
}

TEST(HandedBuffer, TheNextBodyHasRoomForAsManyBytesAsTheLast) {
  HandedBuffer b;
  b.set_head("head:");
  const std::string chunk(1000, 'x');
  for (int i = 0; i < 100; ++i) put(b, chunk);  // 100,005 bytes, grown by doubling
  ByteBuffer body;
  ASSERT_TRUE(b.hand_over("", body));
  ASSERT_EQ(body.size(), 100005u);
  // As many bytes again go where the first room() put them: no growth moved them.
  const uint8_t* first = put(b, chunk);
  ASSERT_NE(first, nullptr);
  for (int i = 1; i < 100; ++i) ASSERT_EQ(put(b, chunk), first + 1000 * i) << "chunk " << i;
  ByteBuffer next;
  ASSERT_TRUE(b.hand_over("", next));
  EXPECT_EQ(next.view().substr(0, 5), "head:");
  EXPECT_EQ(next.size(), 100005u);
}

TEST(HandedBuffer, ClearDropsWhatWasCommittedAndKeepsTheMemory) {
  HandedBuffer b;
  b.set_head("H");
  const uint8_t* first = put(b, "dropped");
  b.clear();
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(put(b, "kept"), first);  // the same memory, after the head written again
  ByteBuffer body;
  ASSERT_TRUE(b.hand_over("T", body));
  EXPECT_EQ(body.view(), "HkeptT");
}

}  // namespace
}  // namespace litetrace::detail
