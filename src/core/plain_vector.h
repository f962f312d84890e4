#pragma once

// A growable array of plain elements (trivially copyable and destructible: bytes, words,
// pointers), for the batcher's scratch buffers and the core's thread list. Its growth is
// one function for every element type (grow_plain_array), where each std::vector<T> links
// a growth of its own, built for speed, and its unwind tables: some 0.4 KB per element
// type, in every program, for code that runs a few times in a provider's life. Memory as
// make_raw_array (raw_array.h): operator new; growth throws std::bad_alloc when memory is
// short, as std::vector's does. New elements from resize() are zeros; the storage is
// aligned as operator new aligns (16 bytes on 64-bit targets, 8 on 32-bit ARM), so a
// record's header may be read from a byte buffer.

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "core/compiler.h"

namespace litetrace::detail {

// A block of at least `needed` bytes (twice `*capacity` when that is more) holding the
// first `used` bytes of `data`, which it frees; `*capacity` becomes its size.
void* grow_plain_array(void* data, size_t used, size_t needed, size_t* capacity);

template <typename T>
class PlainVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>, "plain elements only");

 public:
  PlainVector() = default;
  ~PlainVector() { ::operator delete(data_); }
  PlainVector(const PlainVector&) = delete;
  PlainVector& operator=(const PlainVector&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }

  void clear() { size_ = 0; }
  void pop_back() { --size_; }
  void push_back(T value) {
    if (!LITETRACE_LIKELY(size_ < capacity_)) reserve(size_ + 1);
    data_[size_++] = value;
  }
  // The new elements are zeros.
  void resize(size_t n) {
    if (n > capacity_) reserve(n);
    if (n > size_) std::memset(static_cast<void*>(data_ + size_), 0, (n - size_) * sizeof(T));
    size_ = n;
  }
  void append(const T* first, size_t n) {
    if (size_ + n > capacity_) reserve(size_ + n);
    if (n != 0) std::memcpy(static_cast<void*>(data_ + size_), first, n * sizeof(T));
    size_ += n;
  }
  void assign(const T* first, const T* last) {
    clear();
    append(first, static_cast<size_t>(last - first));
  }
  void swap(PlainVector& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }
  void reserve(size_t n) {
    if (n <= capacity_) return;
    size_t bytes = capacity_ * sizeof(T);
    data_ = static_cast<T*>(grow_plain_array(data_, size_ * sizeof(T), n * sizeof(T), &bytes));
    capacity_ = bytes / sizeof(T);
  }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace litetrace::detail
