#pragma once

// Arrays of plain elements (trivially copyable and destructible: bytes, words, views,
// samples) from operator new rather than new[]. With no new[] anywhere, a program that
// links litetrace imports neither new[] nor delete[] (each also in a sized or nothrow form)
// from the C++ runtime, nor the two throws of new[]'s length check. The elements are left
// uninitialized, as new T[n] leaves elements of such a type; each caller writes one before
// it reads it.

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>

namespace litetrace::detail {

// The tag of new's nothrow forms, made here: the C++ runtime's std::nothrow is an object, and
// naming it imports it (a symbol and a copy relocation in every program).
inline constexpr std::nothrow_t kNoThrow{};

struct FreeRawArray {
  void operator()(void* p) const noexcept { ::operator delete(p); }
};

template <typename T>
using RawArray = std::unique_ptr<T[], FreeRawArray>;

// `n` elements; throws std::bad_alloc when memory is short, as new T[n] does. Every caller's
// n is bounded far below an overflow of n * sizeof(T) (new[] would check it).
template <typename T>
RawArray<T> make_raw_array(size_t n) {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>, "plain elements only");
  return RawArray<T>(static_cast<T*>(::operator new(n * sizeof(T))));
}

// The same, nullptr when memory is short.
template <typename T>
RawArray<T> make_raw_array(size_t n, const std::nothrow_t&) noexcept {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>, "plain elements only");
  return RawArray<T>(static_cast<T*>(::operator new(n * sizeof(T), kNoThrow)));
}

}  // namespace litetrace::detail
