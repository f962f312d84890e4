#pragma once

// Samplers decide, when a span starts, whether it is recorded and sent. An unsampled span
// costs a few nanoseconds, never reaches the ring, and still has a context that propagates
// (with the sampled flag clear, so the services downstream do not record it either).
//
//   options.sampler = std::make_shared<litetrace::ParentBasedSampler>(
//       std::make_shared<litetrace::TraceIdRatioSampler>(0.01));
//
// Without a sampler a span follows its parent's decision and every new trace is sampled
// (ParentBasedSampler(AlwaysOnSampler)'s decisions, without its tags). Root spans decided
// by a configured sampler carry it as the Jaeger tags sampler.type and sampler.param, as
// Jaeger's own clients do (Jaeger's adaptive sampling reads them).
//
// Thread: should_sample() runs on application threads, concurrently, on the span hot path:
// an implementation must not block, lock or make a system call (reading a clock is fine).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "litetrace/diagnostic.h"
#include "litetrace/trace.h"

namespace litetrace {

// What Jaeger shows as sampler.type (sampler.param is SamplingResult::param).
enum class SamplerType : uint8_t { kNone, kConst, kProbabilistic, kRateLimiting, kLowerBound };
// "const", "probabilistic", "ratelimiting", "lowerbound" ("" for kNone).
const char* to_string(SamplerType type) noexcept;

struct SamplingResult {
  bool sampled = false;
  SamplerType type = SamplerType::kNone;  // kNone: no sampler tags
  double param = 0;                       // const: 1 or 0 (written as a BOOL tag)
};

struct SamplingParameters {
  const SpanContext& parent;  // invalid for a new trace
  const TraceId& trace_id;    // the span's trace id (the parent's, or a new one)
  std::string_view name;
  SpanKind kind;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual SamplingResult should_sample(const SamplingParameters& p) noexcept = 0;
  // For people: e.g. "ParentBased{root=TraceIdRatio{0.01}}".
  virtual std::string description() const = 0;
  // A TracerProvider given this sampler calls this once, before its first span, with its
  // service name and diagnostic callback, for samplers that were left to take them from
  // their provider (JaegerRemoteSampler). Samplers that wrap others pass it on.
  virtual void attach(const std::string& /*service_name*/, const DiagnosticCallback& /*on_diagnostic*/) {}
};

class AlwaysOnSampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) noexcept override {
    return {true, SamplerType::kConst, 1};
  }
  std::string description() const override { return "AlwaysOn"; }
};

class AlwaysOffSampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) noexcept override {
    return {false, SamplerType::kConst, 0};
  }
  std::string description() const override { return "AlwaysOff"; }
};

// Samples `ratio` of traces by the Jaeger probabilistic rule, so every Jaeger client
// decides the same for the same trace id:
//   sampled  <=>  (trace id low 64 bits & 0x7fff'ffff'ffff'ffff) <= ratio * (2^63 - 1)
// A ratio outside [0, 1] is clamped.
class TraceIdRatioSampler final : public Sampler {
 public:
  explicit TraceIdRatioSampler(double ratio) noexcept;
  SamplingResult should_sample(const SamplingParameters& p) noexcept override;
  std::string description() const override;

  double ratio() const noexcept { return ratio_; }
  // The rule itself, for samplers that apply it with a ratio that changes.
  static uint64_t boundary(double ratio) noexcept;
  static bool sampled(const TraceId& id, uint64_t boundary) noexcept {
    return (id.low & 0x7fffffffffffffffu) <= boundary;
  }

 private:
  double ratio_;
  uint64_t boundary_;
};

// At most `traces_per_second` new traces a second, with bursts of up to
// max(traces_per_second, 1) (Jaeger's leaky bucket). Lock-free: one compare-and-swap.
class RateLimitingSampler final : public Sampler {
 public:
  explicit RateLimitingSampler(double traces_per_second) noexcept;
  SamplingResult should_sample(const SamplingParameters& p) noexcept override;
  std::string description() const override;

 private:
  double rate_;
  uint64_t interval_ns_;  // between credits; 0 = never
  uint64_t burst_ns_;
  std::atomic<uint64_t> next_ns_{0};
};

// Follows the parent when there is one, else asks `root`. The four parent cases can be
// given samplers of their own, as in OpenTelemetry.
class ParentBasedSampler final : public Sampler {
 public:
  explicit ParentBasedSampler(std::shared_ptr<Sampler> root,
                              std::shared_ptr<Sampler> remote_parent_sampled = nullptr,
                              std::shared_ptr<Sampler> remote_parent_not_sampled = nullptr,
                              std::shared_ptr<Sampler> local_parent_sampled = nullptr,
                              std::shared_ptr<Sampler> local_parent_not_sampled = nullptr);
  SamplingResult should_sample(const SamplingParameters& p) noexcept override;
  std::string description() const override;
  void attach(const std::string& service_name, const DiagnosticCallback& on_diagnostic) override;

 private:
  std::shared_ptr<Sampler> root_;
  // nullptr: the parent's decision.
  std::shared_ptr<Sampler> remote_sampled_;
  std::shared_ptr<Sampler> remote_not_sampled_;
  std::shared_ptr<Sampler> local_sampled_;
  std::shared_ptr<Sampler> local_not_sampled_;
};

// ---- Jaeger remote sampling ----

// As for TracerProviderOptions, a numeric value outside its range keeps the default, and a
// kInvalidOption diagnostic says so (on the poller thread, as it starts).
struct JaegerRemoteSamplerOptions {
  // The strategy is per service. Empty: the service name of the TracerProvider this
  // sampler is given to (Sampler::attach); it polls once it has one.
  std::string service_name;
  // Polled as <endpoint>?service=<service_name>; the agent serves it on port 5778.
  std::string endpoint = "http://localhost:5778/sampling";
  std::chrono::milliseconds polling_interval{60000};  // 1 ms to 24 hours
  // Used until the first strategy arrives, and kept while the server cannot be reached;
  // 0 to 1.
  double initial_sampling_rate = 0.001;
  // Operations that get a sampler of their own under a per-operation strategy; spans of
  // further operations use the strategy's defaults. 1 to 100000.
  size_t max_operations = 2000;
  std::chrono::milliseconds connect_timeout{2000};  // 1 ms to 1 hour
  std::chrono::milliseconds read_timeout{5000};     // 1 ms to 1 hour
  // Failures and changes of strategy, on the poller thread. Empty: the provider's callback
  // when service_name is left to the provider too, else a line on stderr, at most once a
  // second per kind.
  DiagnosticCallback on_diagnostic;
};

// Samples by the strategy a Jaeger agent or collector serves for the service: probabilistic,
// rate limiting, or per operation (a probability per operation name, with a lower bound of
// traces a second that every operation gets). A background thread polls the server; until
// it answers, and whenever it fails or sends something malformed, the last good strategy
// stays in force. should_sample() reads atomics only: a strategy update never blocks spans.
//
// The first span of an operation not seen before allocates that operation's sampler (at
// most max_operations times over the sampler's life).
class JaegerRemoteSampler final : public Sampler {
 public:
  explicit JaegerRemoteSampler(JaegerRemoteSamplerOptions options);  // starts polling at once
  ~JaegerRemoteSampler() override;                                   // stops the poller
  JaegerRemoteSampler(const JaegerRemoteSampler&) = delete;
  JaegerRemoteSampler& operator=(const JaegerRemoteSampler&) = delete;

  SamplingResult should_sample(const SamplingParameters& p) noexcept override;
  std::string description() const override;  // includes the strategy in force
  // Takes the provider's service name (and callback) when the options left it empty; the
  // first provider counts.
  void attach(const std::string& service_name, const DiagnosticCallback& on_diagnostic) override;

  // Polls now (on the poller thread) and waits for that poll to finish; true when it
  // brought a valid strategy. For tests and for applications that want a strategy before
  // their first span. false at once while the sampler waits for its service name.
  bool poll_now(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  struct Stats {
    uint64_t polls = 0;     // requests made
    uint64_t failures = 0;  // polls that did not bring a valid strategy
    uint64_t changes = 0;   // strategies that differed from the one in force
  };
  Stats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace litetrace
