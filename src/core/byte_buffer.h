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
#include <string_view>
#include <utility>

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

 private:
  RawArray<uint8_t> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace litetrace::detail
