#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace litetrace::detail {

// Short copies without a call into libc: a span copies short keys and values and one
// ~150-byte record. In a stripped-down loop of two TSC reads and a 136-byte copy, libc's
// memcpy took twice as long as these plain moves; inside litetrace_bench the difference is
// within the noise, so this is a small hedge, not a measured win. The empty asm keeps
// compilers from turning the loop back into a memcpy call.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// Inlined where a caller's n is a small constant, GCC 12 (32-bit ARM) still looks into the
// branches for larger n, which are not taken, and warns of their bounds.
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
inline void move_bytes(uint8_t* dst, const void* src_void, size_t n) {
  const auto* src = static_cast<const uint8_t*>(src_void);
  if (n >= 16) {
    struct Chunk {
      uint64_t a, b;
    };
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      Chunk c;
      std::memcpy(&c, src + i, 16);
      std::memcpy(dst + i, &c, 16);
      asm volatile("");
    }
    if (i < n) {  // the tail, as one overlapping 16-byte move
      Chunk c;
      std::memcpy(&c, src + n - 16, 16);
      std::memcpy(dst + n - 16, &c, 16);
    }
  } else if (n >= 8) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a;
    uint32_t b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n != 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// A span's items into its ring record: `n` bytes rounded up to whole 16-byte chunks, and at
// least one chunk, so that no chunk needs a tail move and the first needs no test. The first
// four come one by one, each after a test (a bare span's name is one, a name and two
// attributes usually four), the rest two a turn. Both sides must hold what is copied: a
// record has room for it (ProviderCore::record_size), and a span buffer's storage is whole
// chunks, at least 640 bytes (SpanBuffer). The bytes past `n` are copied as they are and
// never read.
constexpr size_t kItemChunk = 16;
inline void move_chunks(uint8_t* dst, const uint8_t* src, size_t n) {
  struct Chunk {  // 16 bytes: a 32-byte one goes through the stack
    unsigned char bytes[16];
  };
  static_assert(sizeof(Chunk) == kItemChunk);
  const auto move16 = [](uint8_t* to, const uint8_t* from) {
    Chunk c;
    std::memcpy(&c, from, 16);
    std::memcpy(to, &c, 16);
  };
  move16(dst, src);
  if (n <= 16) return;
  move16(dst + 16, src + 16);
  if (n <= 32) return;
  move16(dst + 32, src + 32);
  if (n <= 48) return;
  move16(dst + 48, src + 48);
  if (n <= 64) return;
  size_t i = 64;
  for (; i + 16 < n; i += 32) {  // the second chunk of a turn holds some of the n
    move16(dst + i, src + i);
    move16(dst + i + 16, src + i + 16);
    asm volatile("");
  }
  if (i < n) move16(dst + i, src + i);
}

}  // namespace litetrace::detail
