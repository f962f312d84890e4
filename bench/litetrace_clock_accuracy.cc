// How accurate span times are: spans of random lengths (0 to 1 s) recorded through the
// public API on fresh providers (a new one every few seconds, so first spans are counted),
// received on loopback, and compared with the clocks this thread read around each span:
//
//   ./build/bench/litetrace_clock_accuracy --seconds 60
//
// For each span: duration - the CLOCK_MONOTONIC interval read just inside it (never below
// 0), duration - the interval read just outside it (at most 1 us + 20 ppm), and the start
// against CLOCK_REALTIME read around start_span (within 50 us). Prints the medians, p99s
// and worst cases, how many spans broke a rule, and one JSON line with the same.

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/tick_clock.h"
#include "jaeger/jaeger_decoder.h"
#include "litetrace/trace.h"
#include "support/udp_receiver.h"

namespace {

int64_t mono() { return static_cast<int64_t>(litetrace::detail::monotonic_ns()); }
int64_t real() { return static_cast<int64_t>(litetrace::detail::realtime_ns()); }

struct Measured {
  int64_t real_before, real_after;  // around start_span
  int64_t inside, outside;          // monotonic intervals, ns
};

// Start (us) and duration (us) of every span that arrives until 2 s of quiet, by name.
void collect(litetrace::test::UdpReceiver& receiver, std::map<std::string, std::pair<int64_t, int64_t>>& out) {
  for (std::string d = receiver.receive(std::chrono::seconds(2)); !d.empty(); d = receiver.receive(std::chrono::seconds(2))) {
    litetrace::detail::DecodedBatch batch;
    std::string error;
    if (!litetrace::detail::decode_emit_batch(reinterpret_cast<const uint8_t*>(d.data()), d.size(), batch, &error)) {
      std::fprintf(stderr, "undecodable datagram: %s\n", error.c_str());
      continue;
    }
    for (const auto& s : batch.spans) out[std::string(s.operation_name)] = {s.start_time_us, s.duration_us};
  }
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 60;
  double provider_seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--provider-seconds") == 0) provider_seconds = std::atof(argv[i + 1]);
  }
  litetrace::test::UdpReceiver receiver;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> below_inside_us, over_outside_us, over_outside_ppm, start_error_us;
  size_t spans = 0, broken = 0, providers = 0;
  const int64_t end_at = mono() + static_cast<int64_t>(seconds * 1e9);
  litetrace::ClockSource source = litetrace::ClockSource::kMonotonicClock;
  while (mono() < end_at) {
    litetrace::TracerProviderOptions o;
    o.service_name = "clock-accuracy";
    o.agent_host = "127.0.0.1";
    o.agent_port = receiver.port();
    std::map<std::string, Measured> measured;
    {
      litetrace::TracerProvider provider(o);
      source = provider.clock_source();
      ++providers;
      litetrace::Tracer tracer = provider.tracer("clock");
      const int64_t provider_end = std::min(end_at, mono() + static_cast<int64_t>(provider_seconds * 1e9));
      while (mono() < provider_end) {
        // Mostly short spans, some long: 0-2 ms 70 %, 2-50 ms 25 %, 0.2-1 s 5 %.
        const double pick = unit(rng);
        const auto length = std::chrono::microseconds(static_cast<int64_t>(
            pick < 0.7 ? unit(rng) * 2000 : pick < 0.95 ? 2000 + unit(rng) * 48000 : 200000 + unit(rng) * 800000));
        const std::string name = "s" + std::to_string(spans++);
        Measured m;
        m.real_before = real();
        const int64_t outside_start = mono();
        litetrace::Span span = tracer.start_span(name);
        const int64_t inside_start = mono();
        m.real_after = real();
        if (length.count() >= 50) std::this_thread::sleep_for(length);
        const int64_t inside_end = mono();
        span.end();
        const int64_t outside_end = mono();
        m.inside = inside_end - inside_start;
        m.outside = outside_end - outside_start;
        measured[name] = m;
      }
    }  // the destructor flushes
    std::map<std::string, std::pair<int64_t, int64_t>> got;
    collect(receiver, got);
    for (const auto& [name, m] : measured) {
      const auto it = got.find(name);
      if (it == got.end()) {
        ++broken;
        std::fprintf(stderr, "%s did not arrive\n", name.c_str());
        continue;
      }
      const auto start_ns = it->second.first * 1000;
      const auto duration_ns = it->second.second * 1000;
      below_inside_us.push_back(static_cast<double>(m.inside - duration_ns) / 1000);
      over_outside_us.push_back(static_cast<double>(duration_ns - m.outside) / 1000);
      // The rule's 20 ppm term: what exceeds the outside interval beyond the 1 us that
      // rounding to whole microseconds may add.
      over_outside_ppm.push_back(std::max<double>(0, static_cast<double>(duration_ns - m.outside - 1000)) /
                                 static_cast<double>(m.outside) * 1e6);
      // How far the start lies outside the CLOCK_REALTIME window read around start_span.
      start_error_us.push_back(static_cast<double>(std::max<int64_t>({m.real_before - start_ns, start_ns - m.real_after, 0})) / 1000);
      const bool ok = duration_ns >= m.inside &&
                      static_cast<double>(duration_ns) <= static_cast<double>(m.outside) * (1 + 20e-6) + 1000 &&
                      start_ns >= m.real_before - 50000 && start_ns <= m.real_after + 50000;
      if (!ok) ++broken;
    }
  }
  const auto abs_max = [](const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
  };
  std::printf("clock source: %s\n", litetrace::to_string(source));
  std::printf("%zu spans on %zu fresh providers over %.0f s; rules broken by %zu\n", spans, providers, seconds, broken);
  std::printf("duration - monotonic inside  (us, must be >= 0):  min %.3f  median %.3f\n",
              -*std::max_element(below_inside_us.begin(), below_inside_us.end()), -quantile(below_inside_us, 0.5));
  std::printf("duration - monotonic outside (us, <= 1 + 20 ppm): median %.3f  p99 %.3f  max %.3f\n",
              quantile(over_outside_us, 0.5), quantile(over_outside_us, 0.99),
              *std::max_element(over_outside_us.begin(), over_outside_us.end()));
  std::printf("  beyond the 1 us of rounding, in ppm (<= 20):     median %.3f  p99 %.3f  max %.3f\n",
              quantile(over_outside_ppm, 0.5), quantile(over_outside_ppm, 0.99), abs_max(over_outside_ppm));
  std::printf("start outside CLOCK_REALTIME read around start_span (us, <= 50; 1 of it is rounding): "
              "median %.3f  p99 %.3f  max %.3f\n",
              quantile(start_error_us, 0.5), quantile(start_error_us, 0.99), abs_max(start_error_us));
  std::printf("{\"spans\":%zu,\"providers\":%zu,\"broken\":%zu,\"min_over_inside_us\":%.3f,"
              "\"max_over_outside_us\":%.3f,\"max_over_outside_ppm\":%.3f,\"max_start_error_us\":%.3f}\n",
              spans, providers, broken, -*std::max_element(below_inside_us.begin(), below_inside_us.end()),
              *std::max_element(over_outside_us.begin(), over_outside_us.end()),
              abs_max(over_outside_ppm), abs_max(start_error_us));
  return broken == 0 ? 0 : 1;
}
