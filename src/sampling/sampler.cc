// The built-in samplers (sampler.h).

#include "litetrace/sampler.h"

#include <cstdio>

#include "sampling/rate_limiter.h"

namespace litetrace {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

double clamp01(double v) { return v > 0 ? (v < 1 ? v : 1) : 0; }  // NaN -> 0

}  // namespace

// ---- TraceIdRatioSampler ----

uint64_t TraceIdRatioSampler::boundary(double ratio) noexcept {
  constexpr uint64_t kMaxRandom = 0x7fffffffffffffffu;  // 2^63 - 1
  ratio = clamp01(ratio);
  // 2^63 - 1 is not a double; at ratio 1 every id must pass, so pin it.
  if (ratio >= 1) return kMaxRandom;
  return static_cast<uint64_t>(static_cast<double>(kMaxRandom) * ratio);
}

TraceIdRatioSampler::TraceIdRatioSampler(double ratio) noexcept : ratio_(clamp01(ratio)), boundary_(boundary(ratio)) {}

SamplingResult TraceIdRatioSampler::should_sample(const SamplingParameters& p) noexcept {
  return {sampled(p.trace_id, boundary_), SamplerType::kProbabilistic, ratio_};
}

std::string TraceIdRatioSampler::description() const { return "TraceIdRatio{" + number(ratio_) + "}"; }

// ---- RateLimitingSampler ----

RateLimitingSampler::RateLimitingSampler(double traces_per_second) noexcept
    : rate_(traces_per_second > 0 ? traces_per_second : 0) {
  const detail::RateLimit limit = detail::RateLimit::per_second(rate_);
  interval_ns_ = limit.interval_ns;
  burst_ns_ = limit.burst_ns;
}

SamplingResult RateLimitingSampler::should_sample(const SamplingParameters&) noexcept {
  const bool sampled = detail::take_credit(next_ns_, {interval_ns_, burst_ns_}, detail::steady_now_ns());
  return {sampled, SamplerType::kRateLimiting, rate_};
}

std::string RateLimitingSampler::description() const { return "RateLimiting{" + number(rate_) + "}"; }

// ---- ParentBasedSampler ----

ParentBasedSampler::ParentBasedSampler(std::shared_ptr<Sampler> root, std::shared_ptr<Sampler> remote_parent_sampled,
                                       std::shared_ptr<Sampler> remote_parent_not_sampled,
                                       std::shared_ptr<Sampler> local_parent_sampled,
                                       std::shared_ptr<Sampler> local_parent_not_sampled)
    : root_(root ? std::move(root) : std::make_shared<AlwaysOnSampler>()),
      remote_sampled_(std::move(remote_parent_sampled)),
      remote_not_sampled_(std::move(remote_parent_not_sampled)),
      local_sampled_(std::move(local_parent_sampled)),
      local_not_sampled_(std::move(local_parent_not_sampled)) {}

SamplingResult ParentBasedSampler::should_sample(const SamplingParameters& p) noexcept {
  if (!p.parent.valid()) return root_->should_sample(p);
  const bool parent_sampled = p.parent.sampled();
  Sampler* delegate = p.parent.remote ? (parent_sampled ? remote_sampled_ : remote_not_sampled_).get()
                                      : (parent_sampled ? local_sampled_ : local_not_sampled_).get();
  if (delegate != nullptr) return delegate->should_sample(p);
  return {parent_sampled, SamplerType::kNone, 0};
}

std::string ParentBasedSampler::description() const {
  std::string d = "ParentBased{root=" + root_->description();
  if (remote_sampled_) d += ",remoteParentSampled=" + remote_sampled_->description();
  if (remote_not_sampled_) d += ",remoteParentNotSampled=" + remote_not_sampled_->description();
  if (local_sampled_) d += ",localParentSampled=" + local_sampled_->description();
  if (local_not_sampled_) d += ",localParentNotSampled=" + local_not_sampled_->description();
  return d + "}";
}

void ParentBasedSampler::attach(const std::string& service_name, const DiagnosticCallback& on_diagnostic) {
  for (Sampler* s : {root_.get(), remote_sampled_.get(), remote_not_sampled_.get(), local_sampled_.get(),
                     local_not_sampled_.get()}) {
    if (s != nullptr) s->attach(service_name, on_diagnostic);
  }
}

}  // namespace litetrace
