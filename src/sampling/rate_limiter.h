#pragma once

// Jaeger's leaky-bucket rate limiter (credits accrue at `rate` a second up to a balance of
// max(rate, 1); a decision spends one) as the equivalent single-word "virtual scheduling"
// form of the generic cell rate algorithm: the state is the time at which the bucket would
// be full again, so a decision is one compare-and-swap and threads never lock.
//
//   balance = max_balance - (next - now) / interval   when next > now, else max_balance
//   spend one credit  <=>  max(next, now) + interval - now <= max_balance * interval
//
// Thread: any, concurrently.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace litetrace::detail {

struct RateLimit {
  uint64_t interval_ns = 0;  // time per credit; 0 = no credit ever
  uint64_t burst_ns = 0;     // max_balance * interval_ns

  static RateLimit per_second(double rate) noexcept {
    if (!(rate > 0)) return {};
    const double interval = 1e9 / rate;
    const double max_balance = rate > 1 ? rate : 1;
    // Rates below one credit in ~584 years are "never"; the casts stay in range.
    if (interval >= 1.8e19 || interval * max_balance >= 1.8e19) return {};
    const auto i = static_cast<uint64_t>(interval) > 0 ? static_cast<uint64_t>(interval) : 1;
    return {i, static_cast<uint64_t>(interval * max_balance)};
  }
};

inline uint64_t steady_now_ns() noexcept {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// Spends a credit from the bucket whose state is `next_ns`; false when there is none.
inline bool take_credit(std::atomic<uint64_t>& next_ns, const RateLimit& limit, uint64_t now_ns) noexcept {
  if (limit.interval_ns == 0) return false;
  uint64_t next = next_ns.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t from = next > now_ns ? next : now_ns;
    const uint64_t want = from + limit.interval_ns;
    if (want - now_ns > limit.burst_ns) return false;
    // Relaxed: the word is the whole state; nothing else is published with it.
    if (next_ns.compare_exchange_weak(next, want, std::memory_order_relaxed)) return true;
  }
}

}  // namespace litetrace::detail
