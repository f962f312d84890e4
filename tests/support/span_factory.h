#pragma once

// Spans for tests: owning storage behind the Jaeger views, and a seeded generator of
// spans that reach for the edges (every tag type, empty/long/UTF-8/binary strings, many
// tags, logs, references, 128-bit ids, extreme timestamps and doubles).

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "jaeger/jaeger_model.h"

namespace litetrace::test {

using detail::Log;
using detail::Slice;
using detail::Span;
using detail::SpanRef;
using detail::Tag;

// Keeps what views point into alive and at a fixed address.
class SpanStore {
 public:
  std::string_view keep(std::string s) {
    strings_.push_back(std::move(s));
    return strings_.back();
  }
  template <typename T>
  Slice<T> keep(std::vector<T> v) {
    auto& list = lists<T>();
    list.push_back(std::move(v));
    return {list.back().data(), list.back().size()};
  }

 private:
  template <typename T>
  std::deque<std::vector<T>>& lists();

  std::deque<std::string> strings_;
  std::deque<std::vector<Tag>> tags_;
  std::deque<std::vector<Log>> logs_;
  std::deque<std::vector<SpanRef>> refs_;
  std::deque<std::vector<Span>> spans_;
};

template <>
inline std::deque<std::vector<Tag>>& SpanStore::lists<Tag>() { return tags_; }
template <>
inline std::deque<std::vector<Log>>& SpanStore::lists<Log>() { return logs_; }
template <>
inline std::deque<std::vector<SpanRef>>& SpanStore::lists<SpanRef>() { return refs_; }
template <>
inline std::deque<std::vector<Span>>& SpanStore::lists<Span>() { return spans_; }

struct RandomSpanLimits {
  size_t max_tags = 40;
  size_t max_logs = 6;
  size_t max_log_fields = 5;
  size_t max_references = 4;
  size_t max_string = 600;  // bytes of the longest tag value
};

class SpanFactory {
 public:
  explicit SpanFactory(uint64_t seed, RandomSpanLimits limits = {}) : rng_(seed), limits_(limits) {}

  Span random_span();
  Tag random_tag();
  std::string random_string(size_t max_len);
  std::string random_utf8(size_t max_bytes);
  std::string random_bytes(size_t max_len);
  double random_double();
  int64_t random_i64();
  uint64_t random_id();

  // A span of about `bytes` encoded bytes: string tags of fixed size, nothing else random.
  Span sized_span(size_t tag_count, size_t tag_value_size);

  SpanStore& store() { return store_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }
  bool chance(unsigned percent) { return rng_() % 100 < percent; }

  std::mt19937_64 rng_;
  RandomSpanLimits limits_;
  SpanStore store_;
  uint64_t next_span_id_ = 1;
};

}  // namespace litetrace::test
