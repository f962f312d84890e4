#pragma once

// A read-only array view (C++17 has no std::span), for the wire models (Jaeger, OTLP).

#include <cstddef>

namespace litetrace::detail {

template <typename T>
struct Slice {
  const T* data = nullptr;
  size_t size = 0;

  const T* begin() const { return data; }
  const T* end() const { return data + size; }
  const T& operator[](size_t i) const { return data[i]; }
  bool empty() const { return size == 0; }
  Slice first(size_t n) const { return {data, n < size ? n : size}; }
};

template <typename T, size_t N>
Slice<T> slice_of(const T (&array)[N]) {
  return {array, N};
}

}  // namespace litetrace::detail
