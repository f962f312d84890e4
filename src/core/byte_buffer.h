#pragma once

// A growable byte buffer that does not initialize what it grows by: an encoder sizes a run
// of bytes exactly, extends the buffer by that much and writes every byte itself, so the
// zero-filling of std::string::resize would be a second pass over the data for nothing.
// Growth doubles; a failed allocation is reported (extend() returns nullptr and the
// buffer is unchanged), never thrown: the library builds with -fno-exceptions.
//
// Thread: one at a time.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "core/compiler.h"
#include "core/raw_array.h"

namespace litetrace::detail {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&& other) noexcept { *this = std::move(other); }
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.size_ = other.capacity_ = 0;
    return *this;
  }

  // Room for `n` more bytes at the end, uninitialized, or nullptr.
  uint8_t* extend(size_t n) {
    uint8_t* p = room(n);
    if (p != nullptr) size_ += n;
    return p;
  }
  // At least `n` writable bytes past the end, without taking them (commit() does): for an
  // encoder that learns its size by writing. nullptr if they cannot be had.
  uint8_t* room(size_t n) {
    if (n > capacity_ - size_) {
      if (n > SIZE_MAX / 2 - size_) return nullptr;
      size_t capacity = capacity_ < 4096 ? 4096 : capacity_;
      while (capacity < size_ + n) capacity *= 2;
      RawArray<uint8_t> bigger = make_raw_array<uint8_t>(capacity, kNoThrow);
      if (bigger == nullptr) return nullptr;
      if (size_ != 0) std::memcpy(bigger.get(), data_.get(), size_);
      data_ = std::move(bigger);
      capacity_ = capacity;
    }
    return data_.get() + size_;
  }
  // Takes `n` bytes written into room().
  void commit(size_t n) { size_ += n <= capacity_ - size_ ? n : 0; }
  size_t spare() const { return capacity_ - size_; }
  bool append(std::string_view bytes) {
    uint8_t* p = extend(bytes.size());
    if (p == nullptr) return false;
    if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
    return true;
  }
  // Drops the bytes from `size` on (a run that was not completed).
  void truncate(size_t size) {
    if (size < size_) size_ = size;
  }
  void clear() { size_ = 0; }  // keeps the memory for the next request

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_.get()), size_}; }
  uint8_t* data() { return data_.get(); }

 private:
  RawArray<uint8_t> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// A request body built where it is sent from: a fixed head (written before the first bytes
// asked for), what the format appends, and a tail, then handed over whole, with no copy.
// Its memory goes with it, so the next body starts with room for as many bytes as the last
// one took; until then clear() keeps the memory.
class HandedBuffer {
 public:
  void set_head(std::string_view head) { head_.assign(head.data(), head.size()); }
  // Room for `n` bytes after the head and what was committed, or nullptr.
  uint8_t* room(size_t n) { return bytes_.empty() ? first_room(n) : bytes_.room(n); }
  void commit(size_t n) { bytes_.commit(n); }
  // The bytes so far, the head included whether or not it is written yet.
  size_t size() const { return bytes_.empty() ? head_.size() : bytes_.size(); }
  // The byte at `offset`, once room() wrote the head: for a count in it, known at the end.
  uint8_t* at(size_t offset) { return bytes_.data() + offset; }
  // Appends `tail` and moves the whole into `body`, which must be empty; false when the
  // tail cannot be had (nothing moves).
  bool hand_over(std::string_view tail, ByteBuffer& body) {
    if (room(tail.size()) == nullptr || !bytes_.append(tail)) return false;
    last_size_ = bytes_.size();
    body = std::move(bytes_);
    return true;
  }
  void clear() { bytes_.clear(); }

 private:
  // The head written, in room for as many bytes as the last body took, then room(n).
  LITETRACE_NOINLINE uint8_t* first_room(size_t n) {
    const size_t first = head_.size() + n > last_size_ ? head_.size() + n : last_size_;
    if (bytes_.room(first) == nullptr || !bytes_.append(head_)) return nullptr;
    return bytes_.room(n);
  }

  ByteBuffer bytes_;
  std::string head_;
  size_t last_size_ = 0;
};

}  // namespace litetrace::detail
