#pragma once

// A bounded single-producer/single-consumer ring of variable-size records: the producer is
// the application thread that owns it, the consumer is the batcher. Records are written in
// place and published with one release store; no lock, no system call, no allocation.
//
// Framing: every record starts with its total size (a uint32, the record is 8-byte aligned
// and a multiple of 8). A record never wraps: when it does not fit before the end of the
// buffer, a padding record fills the rest and the record starts at the beginning.
//
// Positions are byte counters that only grow (64 bits do not wrap in practice); producer
// and consumer state sit on separate cache lines, and each side caches the other's
// position so it touches the shared line only when its cached view says "full"/"empty"
// (the rigtorp SPSCQueue / quill BoundedSPSCQueue pattern).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include "core/raw_array.h"

namespace litetrace::detail {

class SpanRing {
 public:
  static constexpr uint32_t kPadding = 0x80000000u;
  static constexpr size_t kAlign = 8;

  // `capacity` is rounded up to a power of two, at least 4 KiB (rounded_capacity()). The
  // memory is allocated without throwing; when that fails the ring has no capacity and
  // every try_reserve() fails (allocated() says so).
  explicit SpanRing(size_t capacity);

  // The power of two, 4 KiB to 2^40 bytes (2^31 on 32-bit targets), that a ring asked for
  // `capacity` gets.
  static constexpr size_t kMaxCapacity =
      sizeof(size_t) >= 8 ? static_cast<size_t>(uint64_t{1} << 40) : size_t{1} << 31;
  static constexpr size_t rounded_capacity(size_t capacity) {
    size_t c = 4096;
    while (c < capacity && c < kMaxCapacity) c <<= 1;
    return c;
  }

  bool allocated() const { return buf_ != nullptr; }
  size_t capacity() const { return capacity_; }
  // The largest record try_reserve() can ever accept.
  size_t max_record() const { return capacity_ / 2; }

  // ---- producer (the owning thread) ----

  // Where a reserved record goes, and the write position that publishes it.
  struct Room {
    uint8_t* at;
    uint64_t next;
  };

  // Room for a record of `size` bytes (a multiple of kAlign), or false when the ring is
  // full. The caller writes the record, its size in the first 4 bytes, then publish().
  // The room is handed back rather than kept in the ring: kept there, its stores and the
  // record's might alias, and publish() would read them back.
  bool try_reserve(size_t size, Room& room) noexcept {
    return try_reserve_quickly(size, room) || try_reserve_slowly(write_.load(std::memory_order_relaxed), size, room);
  }
  // The common case alone: the record fits before the buffer's end and within the room the
  // consumer was last seen to leave, so it needs neither padding nor a look at read_. False
  // (nothing done) otherwise, where try_reserve() would look further.
  bool try_reserve_quickly(size_t size, Room& room) noexcept {
    const uint64_t w = write_.load(std::memory_order_relaxed);
    if (w + size > fast_end_.load(std::memory_order_relaxed)) return false;
    room.at = buf_.get() + (static_cast<size_t>(w) & mask_);
    room.next = w + size;
    return true;
  }

  // From now on try_reserve_quickly() fails, and try_reserve() checks every record fully.
  // Thread: any (its owner's provider shutting down, or registering the ring). A
  // reservation the producer is making meanwhile cannot undo it (set_fast_end).
  void refuse_quick_reservations() noexcept {
    quick_.store(false, std::memory_order_seq_cst);
    fast_end_.store(0, std::memory_order_seq_cst);
  }

  void publish(const Room& room) noexcept {
    // Release pairs with the acquire in peek(): the record's bytes are visible first.
    write_.store(room.next, std::memory_order_release);
  }

  // ---- consumer (the batcher) ----
  //
  // The consumer reads ahead of what it has released: advance() moves its own cursor,
  // release() publishes it. Publishing once per batch instead of once per record keeps the
  // shared cache line from bouncing between the two threads when the ring runs full.

  // The next record (its size is in its first 4 bytes), or nullptr when there is none.
  const uint8_t* peek() noexcept {
    for (;;) {
      if (consumed_ == cached_write_) {
        // Acquire pairs with the release in publish().
        cached_write_ = write_.load(std::memory_order_acquire);
        if (consumed_ == cached_write_) return nullptr;
      }
      const uint8_t* p = buf_.get() + (static_cast<size_t>(consumed_) & mask_);
      uint32_t size;
      std::memcpy(&size, p, sizeof size);
      if ((size & kPadding) == 0) return p;
      consumed_ += size & ~kPadding;
    }
  }

  // Where the records from peek()'s on stop being in one piece of the buffer: at the write
  // position peek() saw, or at the buffer's end, the nearer. (The last of them may be a
  // padding record.) Only after peek() returned a record.
  const uint8_t* run_end() const noexcept {
    const uint64_t lap_end = (consumed_ | static_cast<uint64_t>(mask_)) + 1;
    const uint64_t end = cached_write_ < lap_end ? cached_write_ : lap_end;
    return buf_.get() + (static_cast<size_t>(consumed_) & mask_) + static_cast<size_t>(end - consumed_);
  }

  // Done with the record peek() returned.
  void advance(size_t size) noexcept { consumed_ += size; }

  // Gives everything advanced over back to the producer.
  void release() noexcept {
    // Release pairs with the acquire in try_reserve(): we are done reading these bytes.
    read_.store(consumed_, std::memory_order_release);
  }

 private:
  // The write position up to which a record needs no check but its own end: the end of the
  // buffer's lap that `w` is in, or the room the consumer left as last seen, the nearer.
  uint64_t fast_end_for(uint64_t w) const {
    const uint64_t lap_end = (w & ~static_cast<uint64_t>(mask_)) + capacity_;
    const uint64_t room_end = cached_read_ + capacity_;
    return lap_end < room_end ? lap_end : room_end;
  }

  // The producer's new fast end, unless quick reservations are refused. Should
  // refuse_quick_reservations() run meanwhile, either this thread's second look at quick_
  // sees it and stores 0 again, or (all four accesses being in one total order) its 0 is
  // stored after this thread's bound.
  void set_fast_end(uint64_t end) noexcept {
    if (!quick_.load(std::memory_order_relaxed)) return;
    fast_end_.store(end, std::memory_order_seq_cst);
    if (!quick_.load(std::memory_order_seq_cst)) fast_end_.store(0, std::memory_order_relaxed);
  }

  // A record that wraps (a padding record fills the buffer's end first), or that needs a
  // fresh look at what the consumer has released.
  bool try_reserve_slowly(uint64_t w, size_t size, Room& room) noexcept {
    const size_t offset = static_cast<size_t>(w) & mask_;
    const size_t to_end = capacity_ - offset;
    const size_t needed = to_end < size ? to_end + size : size;
    if (w + needed - cached_read_ > capacity_) {
      // Acquire pairs with the release in release(): the batcher is done with those bytes.
      cached_read_ = read_.load(std::memory_order_acquire);
      if (w + needed - cached_read_ > capacity_) {
        set_fast_end(fast_end_for(w));
        return false;
      }
    }
    room.next = w + needed;
    if (to_end < size) {
      const uint32_t pad = static_cast<uint32_t>(to_end) | kPadding;
      std::memcpy(buf_.get() + offset, &pad, sizeof pad);
      room.at = buf_.get();
    } else {
      room.at = buf_.get() + offset;
    }
    set_fast_end(fast_end_for(room.next));
    return true;
  }

  size_t capacity_;
  size_t mask_;
  RawArray<uint8_t> buf_;

  alignas(64) std::atomic<uint64_t> write_{0};
  uint64_t cached_read_ = 0;
  // fast_end_for(write_) as of the last slow reservation, or 0 once quick reservations are
  // refused. Written by other threads only to refuse them.
  std::atomic<uint64_t> fast_end_{0};
  std::atomic<bool> quick_{true};

  alignas(64) std::atomic<uint64_t> read_{0};
  uint64_t consumed_ = 0;  // consumer only: read_ runs behind it until release()
  uint64_t cached_write_ = 0;
};

inline SpanRing::SpanRing(size_t capacity) {
  const size_t c = rounded_capacity(capacity);
  buf_ = make_raw_array<uint8_t>(c, kNoThrow);
  capacity_ = buf_ ? c : 0;  // with no capacity, try_reserve() fails before it writes
  mask_ = buf_ ? c - 1 : 0;
  fast_end_.store(capacity_, std::memory_order_relaxed);
}

}  // namespace litetrace::detail
