#pragma once

// Whether the machine's clocks kept their relations while a test ran. On a virtual machine
// the host may move them against each other (a snapshot restored, the guest's clock set
// again): CLOCK_REALTIME against CLOCK_MONOTONIC, or the counter spans are timed with
// against CLOCK_MONOTONIC. litetrace takes such a step up from its next clock sample (the
// README: "a step or a resume from suspend is taken up from the first sample after it"), so
// a span timed across one says nothing of the rules for clocks that keep their relations:
// a test that holds span times to microseconds of the clocks it reads runs the case again
// when it saw one (span_time_test.cc).

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/tick_clock.h"

namespace litetrace::test {

class ClockWatch {
 public:
  // Reads the three clocks together: the tightest of seven tries (a try preempted between
  // its reads has a wide window, and loses).
  void note() {
    Point best{};
    int64_t best_window = INT64_MAX;
    for (int i = 0; i < 7; ++i) {
      const auto m0 = static_cast<int64_t>(detail::monotonic_ns());
      const uint64_t ticks = detail::read_ticks();
      const auto real = static_cast<int64_t>(detail::realtime_ns());
      const auto m1 = static_cast<int64_t>(detail::monotonic_ns());
      if (m1 - m0 < best_window) {
        best_window = m1 - m0;
        const int64_t mid = m0 + (m1 - m0) / 2;
        best = {ticks, mid, real - mid, m1 - m0};
      }
    }
    points_.push_back(best);
  }

  // Empty when, at every note, the wall clock's offset from the monotonic clock was within
  // kSlackNs of the first note's, and the counter within kSlackNs of the line through the
  // first and the last note (the notes' windows added to the slack); else what moved, and
  // by how much.
  std::string disturbance() const {
    if (points_.size() < 2) return {};
    const Point& a = points_.front();
    const Point& b = points_.back();
    const double ns_per_tick = b.ticks == a.ticks ? 0.0
                                                  : static_cast<double>(b.mono_ns - a.mono_ns) /
                                                        static_cast<double>(b.ticks - a.ticks);
    for (const Point& p : points_) {
      const int64_t slack = kSlackNs + a.window_ns + b.window_ns + p.window_ns;
      const int64_t wall_moved = p.real_minus_mono_ns - a.real_minus_mono_ns;
      if (std::llabs(wall_moved) > slack) {
        return "the wall clock moved " + std::to_string(wall_moved) + " ns against the monotonic clock";
      }
      const double on_line =
          static_cast<double>(a.mono_ns) + static_cast<double>(static_cast<int64_t>(p.ticks - a.ticks)) * ns_per_tick;
      const double counter_moved = on_line - static_cast<double>(p.mono_ns);
      if (std::fabs(counter_moved) > static_cast<double>(slack)) {
        return "the counter moved " + std::to_string(static_cast<int64_t>(counter_moved)) +
               " ns against the monotonic clock";
      }
    }
    return {};
  }

 private:
  static constexpr int64_t kSlackNs = 20000;
  struct Point {
    uint64_t ticks;
    int64_t mono_ns;
    int64_t real_minus_mono_ns;
    int64_t window_ns;
  };
  std::vector<Point> points_;
};

}  // namespace litetrace::test
