// SpanRing on its own: records in order, the padding record at the wrap, a full ring that
// refuses and keeps what it holds, quick reservations refused for good, the runs the
// batcher hands a sink in one call, and one producer with one consumer on two threads.
#include "core/span_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "core/span_sink.h"

namespace litetrace::detail {
namespace {

// A record of `size` bytes (a multiple of 8): its size, then `fill` in every other byte.
bool put_record(SpanRing& ring, size_t size, uint8_t fill) {
  SpanRing::Room room{nullptr, 0};
  if (!ring.try_reserve(size, room)) return false;
  const auto framed = static_cast<uint32_t>(size);
  std::memcpy(room.at, &framed, sizeof framed);
  std::memset(room.at + sizeof framed, fill, size - sizeof framed);
  ring.publish(room);
  return true;
}

// The next record's size and fill; `intact` says whether every byte after the size is the fill.
bool take_record(SpanRing& ring, size_t* size, uint8_t* fill, bool* intact) {
  const uint8_t* p = ring.peek();
  if (p == nullptr) return false;
  uint32_t framed = 0;
  std::memcpy(&framed, p, sizeof framed);
  *size = framed;
  *fill = p[sizeof framed];
  *intact = true;
  for (size_t i = sizeof framed; i < framed; ++i) *intact = *intact && p[i] == *fill;
  ring.advance(framed);
  return true;
}

bool take_record(SpanRing& ring, size_t* size, uint8_t* fill) {
  bool intact = false;
  if (!take_record(ring, size, fill, &intact)) return false;
  EXPECT_TRUE(intact) << "a record of " << *size << " bytes filled with " << int{*fill};
  return true;
}

TEST(SpanRing, RecordsComeOutInOrderAcrossTheWrap) {
  SpanRing ring(4096);
  ASSERT_EQ(ring.capacity(), 4096u);
  // 1,000-byte records: the fifth does not fit the 96 bytes left before the end, so a
  // padding record fills them and it starts at the beginning, where the first three
  // were (released below).
  for (uint8_t i = 1; i <= 4; ++i) ASSERT_TRUE(put_record(ring, 1000, i));
  size_t size = 0;
  uint8_t fill = 0;
  for (uint8_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(take_record(ring, &size, &fill));
    EXPECT_EQ(size, 1000u);
    EXPECT_EQ(fill, i);
  }
  ring.release();
  ASSERT_TRUE(put_record(ring, 1000, 5));
  ASSERT_TRUE(put_record(ring, 1000, 6));
  for (uint8_t i = 4; i <= 6; ++i) {
    ASSERT_TRUE(take_record(ring, &size, &fill));  // the padding is stepped over
    EXPECT_EQ(size, 1000u);
    EXPECT_EQ(fill, i);
  }
  EXPECT_FALSE(take_record(ring, &size, &fill));
}

TEST(SpanRing, AFullRingRefusesAndKeepsWhatItHolds) {
  SpanRing ring(4096);
  for (uint8_t i = 1; i <= 4; ++i) ASSERT_TRUE(put_record(ring, 1024, i));
  EXPECT_FALSE(put_record(ring, 8, 9));  // not a byte left
  size_t size = 0;
  uint8_t fill = 0;
  ASSERT_TRUE(take_record(ring, &size, &fill));
  EXPECT_EQ(fill, 1);
  // Read but not released: the producer still sees the ring full.
  EXPECT_FALSE(put_record(ring, 8, 9));
  ring.release();
  ASSERT_TRUE(put_record(ring, 1024, 5));
  for (uint8_t i = 2; i <= 5; ++i) {
    ASSERT_TRUE(take_record(ring, &size, &fill));
    EXPECT_EQ(size, 1024u);
    EXPECT_EQ(fill, i);
  }
  EXPECT_FALSE(take_record(ring, &size, &fill));
}

// What Span::end()'s common case relies on to leave a shut-down provider, or ticks that are
// not the CPU counter's, to the checked path: once refused, try_reserve_quickly() fails for
// good, the slow reservations (a wrap, a full ring) do not give the fast bound back, and
// try_reserve() still serves every record in order.
TEST(SpanRing, RefusedQuickReservationsStayRefusedAndCheckedOnesStillWork) {
  SpanRing ring(4096);
  SpanRing::Room room{nullptr, 0};
  ASSERT_TRUE(ring.try_reserve_quickly(64, room));  // not published: nothing written
  ring.refuse_quick_reservations();
  EXPECT_FALSE(ring.try_reserve_quickly(64, room));
  size_t size = 0;
  uint8_t fill = 0;
  for (int i = 0; i < 40; ++i) {  // ten laps of 1,000-byte records, a wrap in each
    const auto f = static_cast<uint8_t>(i + 1);
    ASSERT_TRUE(put_record(ring, 1000, f));
    EXPECT_FALSE(ring.try_reserve_quickly(8, room)) << "after record " << i;
    ASSERT_TRUE(take_record(ring, &size, &fill));
    EXPECT_EQ(size, 1000u);
    EXPECT_EQ(fill, f);
    ring.release();
  }
  for (uint8_t i = 1; i <= 4; ++i) ASSERT_TRUE(put_record(ring, 1000, i));
  EXPECT_FALSE(put_record(ring, 1000, 5));  // full: the slow path's look at the consumer
  EXPECT_FALSE(ring.try_reserve_quickly(8, room));
}

// Refused from another thread while the producer reserves (the provider's shutdown beside an
// application thread's spans; under TSan in CI): whatever the interleaving, the refusal
// holds once both are done.
TEST(SpanRing, AQuickReservationRefusalFromAnotherThreadHolds) {
  for (int round = 0; round < 20; ++round) {
    SpanRing ring(4096);
    std::atomic<bool> go{false};
    std::thread refuser([&] {
      while (!go.load(std::memory_order_acquire)) {
      }
      ring.refuse_quick_reservations();
    });
    size_t size = 0;
    uint8_t fill = 0;
    for (int i = 0; i < 200; ++i) {
      if (i == 20) go.store(true, std::memory_order_release);
      ASSERT_TRUE(put_record(ring, 504, static_cast<uint8_t>(i)));
      ASSERT_TRUE(take_record(ring, &size, &fill));
      ring.release();
    }
    refuser.join();
    SpanRing::Room room{nullptr, 0};
    EXPECT_FALSE(ring.try_reserve_quickly(8, room)) << "round " << round;
    EXPECT_TRUE(put_record(ring, 504, 1));
  }
}

TEST(SpanRing, AWrappingRecordNeedsRoomForItsPaddingToo) {
  SpanRing ring(4096);
  size_t size = 0;
  uint8_t fill = 0;
  ASSERT_TRUE(put_record(ring, 3000, 1));
  ASSERT_TRUE(take_record(ring, &size, &fill));
  ring.release();
  ASSERT_TRUE(put_record(ring, 1000, 2));  // 3,000 to 4,000: 96 bytes left before the end
  // 3,096 bytes are free, but a record that wraps takes the 96 of padding too: 3,008 bytes
  // would need 3,104 (and would overwrite the record not yet read), 3,000 need 3,096.
  EXPECT_FALSE(put_record(ring, 3008, 9));
  ASSERT_TRUE(put_record(ring, 3000, 3));
  ASSERT_TRUE(take_record(ring, &size, &fill));
  EXPECT_EQ(size, 1000u);
  EXPECT_EQ(fill, 2);
  ASSERT_TRUE(take_record(ring, &size, &fill));
  EXPECT_EQ(size, 3000u);
  EXPECT_EQ(fill, 3);
  EXPECT_FALSE(take_record(ring, &size, &fill));
}

// A sink as add_each() calls one: each record's fill, in the order handed over.
struct CollectFills {
  std::vector<int> fills;
  void add(const uint8_t* record, RecordNormalizer&) { fills.push_back(record[sizeof(uint32_t)]); }
};

// What the batcher does with a run (Batcher::drain): the records from peek() to run_end(),
// at most `max` of them, handed to the sink by add_each(); the bytes it took are advanced
// over. Returns how many it took.
size_t take_run(SpanRing& ring, CollectFills& sink, size_t max, size_t* run_bytes) {
  const uint8_t* const first = ring.peek();
  if (first == nullptr) return 0;
  const uint8_t* const end = ring.run_end();
  *run_bytes = static_cast<size_t>(end - first);
  const uint8_t* at = first;
  RecordNormalizer rules(128, 0);
  const size_t n = add_each(sink, at, end, max, rules);
  ring.advance(static_cast<size_t>(at - first));
  return n;
}

TEST(SpanRing, ARunEndsAtTheWritePositionTheBuffersEndOrAPaddingRecord) {
  SpanRing ring(4096);
  CollectFills sink;
  size_t run_bytes = 0;
  for (uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(put_record(ring, 1000, i));
  // Up to the write position: three records, taken two and then one when at most two are.
  EXPECT_EQ(take_run(ring, sink, 2, &run_bytes), 2u);
  EXPECT_EQ(run_bytes, 3000u);
  EXPECT_EQ(take_run(ring, sink, 2, &run_bytes), 1u);
  EXPECT_EQ(run_bytes, 1000u);
  EXPECT_EQ(take_run(ring, sink, 2, &run_bytes), 0u);  // nothing more to read
  ring.release();
  // The fifth record wraps: a padding record fills 4,000 to 4,096 and it starts at 0. The
  // run from the fourth ends at the buffer's end, and the sink stops at the padding.
  ASSERT_TRUE(put_record(ring, 1000, 4));
  ASSERT_TRUE(put_record(ring, 1000, 5));
  EXPECT_EQ(take_run(ring, sink, 64, &run_bytes), 1u);
  EXPECT_EQ(run_bytes, 1096u);
  // The next run starts after the padding, at the buffer's start.
  EXPECT_EQ(take_run(ring, sink, 64, &run_bytes), 1u);
  EXPECT_EQ(run_bytes, 1000u);
  EXPECT_EQ(sink.fills, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(ring.peek(), nullptr);
}

TEST(SpanRing, OneProducerAndOneConsumerOnTwoThreads) {
  SpanRing ring(4096);
  constexpr size_t kRecords = 20000;
  std::thread producer([&] {
    for (size_t i = 0; i < kRecords; ++i) {
      const size_t size = 8 * (1 + i % 60);  // 8 to 480 bytes: many wraps
      while (!put_record(ring, size, static_cast<uint8_t>(i))) std::this_thread::yield();
    }
  });
  // Every record is taken, whatever is found: the producer must finish to be joined.
  size_t taken = 0;
  int wrong = 0;
  while (taken < kRecords) {
    size_t size = 0;
    uint8_t fill = 0;
    bool intact = false;
    if (!take_record(ring, &size, &fill, &intact)) {
      ring.release();
      std::this_thread::yield();
      continue;
    }
    if (!intact || size != 8 * (1 + taken % 60) || fill != static_cast<uint8_t>(taken)) ++wrong;
    ++taken;
    if (taken % 7 == 0) ring.release();
  }
  producer.join();
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace litetrace::detail
