// PlainVector (core/plain_vector.h), the batcher's and the core's growable arrays: every
// operation checked against std::vector doing the same, through many growths, so that a
// growth that loses, shifts or fails to zero an element shows as a difference.

#include "core/plain_vector.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace litetrace::detail {
namespace {

template <typename T>
void expect_same(const PlainVector<T>& got, const std::vector<T>& want) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(got.empty(), want.empty());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "at " << i;
  EXPECT_EQ(static_cast<size_t>(got.end() - got.begin()), want.size());
}

TEST(PlainVector, PushBackThroughManyGrowthsKeepsEveryElement) {
  PlainVector<uint32_t> v;
  std::vector<uint32_t> want;
  expect_same(v, want);
  for (uint32_t i = 0; i < 5000; ++i) {
    v.push_back(i * 2654435761u);
    want.push_back(i * 2654435761u);
  }
  expect_same(v, want);
  v.pop_back();
  want.pop_back();
  EXPECT_EQ(v.back(), want.back());
  expect_same(v, want);
}

TEST(PlainVector, ResizeZeroesOnlyTheNewElements) {
  PlainVector<uint8_t> v;
  std::vector<uint8_t> want;
  for (size_t round = 0; round < 50; ++round) {
    const size_t grown = want.size() + round * 37 + 1;
    v.resize(grown);
    want.resize(grown);
    for (size_t i = grown - round - 1; i < grown; ++i) {
      v[i] = static_cast<uint8_t>(i + round);
      want[i] = static_cast<uint8_t>(i + round);
    }
    expect_same(v, want);
    // Shrinking keeps the front; growing again zeroes what comes back.
    v.resize(grown / 2);
    want.resize(grown / 2);
    expect_same(v, want);
  }
  v.clear();
  EXPECT_TRUE(v.empty());
  v.resize(3);
  EXPECT_EQ(v[0] + v[1] + v[2], 0);
}

TEST(PlainVector, AppendAndAssignCopyRanges) {
  PlainVector<uint8_t> v;
  std::vector<uint8_t> want;
  std::vector<uint8_t> source(300);
  for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<uint8_t>(i * 7);
  for (size_t n = 0; n <= source.size(); n += 13) {
    v.append(source.data(), n);
    want.insert(want.end(), source.begin(), source.begin() + static_cast<std::ptrdiff_t>(n));
    expect_same(v, want);
  }
  v.append(nullptr, 0);  // nothing, even before any storage
  expect_same(v, want);

  PlainVector<const void*> pointers;
  std::vector<const void*> from(100);
  for (size_t i = 0; i < from.size(); ++i) from[i] = &source[i];
  pointers.assign(from.data(), from.data() + from.size());
  expect_same(pointers, from);
  pointers.assign(from.data() + 10, from.data() + 20);
  expect_same(pointers, std::vector<const void*>(from.begin() + 10, from.begin() + 20));
}

TEST(PlainVector, StorageIsAlignedForARecordHeader) {
  PlainVector<uint8_t> v;
  for (size_t n = 1; n < 4096; n = n * 3 + 1) {
    v.resize(n);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % alignof(std::max_align_t), 0u) << n;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % 8, 0u) << n;
  }
}

// The exporter's re-pack queue is taken by a swap: each side keeps the other's elements and
// room, and growing either afterwards keeps them.
TEST(PlainVector, SwapExchangesElementsAndStorage) {
  PlainVector<uint64_t> a;
  PlainVector<uint64_t> b;
  std::vector<uint64_t> want_a;
  std::vector<uint64_t> want_b;
  for (uint64_t i = 0; i < 1000; ++i) {
    a.push_back(i);
    want_a.push_back(i);
  }
  b.push_back(7);
  want_b.push_back(7);
  const uint64_t* a_storage = a.data();
  a.swap(b);
  std::swap(want_a, want_b);
  expect_same(a, want_a);
  expect_same(b, want_b);
  EXPECT_EQ(b.data(), a_storage);
  for (uint64_t i = 0; i < 100; ++i) {
    a.push_back(i + 5000);
    want_a.push_back(i + 5000);
    b.push_back(i + 9000);
    want_b.push_back(i + 9000);
  }
  expect_same(a, want_a);
  expect_same(b, want_b);
  PlainVector<uint64_t> empty;
  empty.swap(b);
  expect_same(empty, want_b);
  EXPECT_TRUE(b.empty());
  b.push_back(1);
  EXPECT_EQ(b[0], 1u);
}

}  // namespace
}  // namespace litetrace::detail
