// JaegerRemoteSampler (sampler.h): the decision side reads atomics only; the poller thread
// fetches the strategy over HTTP and writes them.
//
// The per-operation samplers sit in an insert-only open-addressing table of atomic
// pointers: an application thread that meets a new operation name allocates its sampler
// and publishes it with one compare-and-swap; nothing is ever removed until the sampler is
// destroyed, so readers need no lock and no reclamation scheme. A strategy update rewrites
// each operation's atomics in place.

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "core/compiler.h"
#include "core/diagnostic_reporter.h"
#include "core/option_rule.h"
#include "core/text.h"
#include "litetrace/sampler.h"
#include "sampling/rate_limiter.h"
#include "sampling/sampling_strategy.h"
#include "transport/http_client.h"

namespace litetrace {
namespace {

using detail::RateLimit;
using detail::SamplingStrategy;

// A probability and a lower bound (Jaeger's GuaranteedThroughputProbabilisticSampler).
// Each field is an atomic of its own: written by the poller, read by application threads;
// a reader that sees one field of an update and not yet the other decides one span by a
// mix of the two strategies, which is harmless.
struct OperationSampler {
  std::atomic<uint64_t> boundary{0};
  std::atomic<double> probability{0};
  std::atomic<uint64_t> lower_interval_ns{0};
  std::atomic<uint64_t> lower_burst_ns{0};
  std::atomic<uint64_t> lower_next_ns{0};

  void set(double p, double lower_bound_per_second) {
    const RateLimit limit = RateLimit::per_second(lower_bound_per_second);
    boundary.store(TraceIdRatioSampler::boundary(p), std::memory_order_relaxed);
    probability.store(p, std::memory_order_relaxed);
    lower_interval_ns.store(limit.interval_ns, std::memory_order_relaxed);
    lower_burst_ns.store(limit.burst_ns, std::memory_order_relaxed);
  }
  void copy_from(const OperationSampler& o) {
    boundary.store(o.boundary.load(std::memory_order_relaxed), std::memory_order_relaxed);
    probability.store(o.probability.load(std::memory_order_relaxed), std::memory_order_relaxed);
    lower_interval_ns.store(o.lower_interval_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
    lower_burst_ns.store(o.lower_burst_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }

  SamplingResult probabilistic(const TraceId& id) const {
    return {TraceIdRatioSampler::sampled(id, boundary.load(std::memory_order_relaxed)), SamplerType::kProbabilistic,
            probability.load(std::memory_order_relaxed)};
  }

  // As Jaeger's clients: the probabilistic decision first; the lower bound spends a credit
  // either way, and samples what the probability did not.
  SamplingResult with_lower_bound(const TraceId& id) {
    const SamplingResult p = probabilistic(id);
    const RateLimit limit{lower_interval_ns.load(std::memory_order_relaxed),
                          lower_burst_ns.load(std::memory_order_relaxed)};
    const bool lower = detail::take_credit(lower_next_ns, limit, detail::steady_now_ns());
    if (p.sampled) return p;
    return {lower, SamplerType::kLowerBound, p.param};
  }
};

struct NamedOperation {
  explicit NamedOperation(std::string_view n) : name(n) {}
  const std::string name;
  OperationSampler sampler;
};

enum class Mode : uint8_t { kProbabilistic, kRateLimiting, kPerOperation };

// How long destroying the sampler waits for its poller to stop.
constexpr std::chrono::seconds kStopWait{2};

uint64_t hash_name(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325u;  // FNV-1a
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
  return h;
}

// The first bytes of a body, printable, for a diagnostic.
std::string excerpt(std::string_view body) {
  std::string out;
  for (const char c : body.substr(0, 120)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  if (body.size() > 120) out += "...";
  return out;
}

// The one rule for an option out of range (core/option_rule.h), for every numeric field.
LITETRACE_COLD JaegerRemoteSamplerOptions checked(JaegerRemoteSamplerOptions o, std::vector<std::string>& e) {
  using std::chrono::milliseconds;
  const JaegerRemoteSamplerOptions d;
  o.polling_interval = detail::in_range_or_default("polling_interval", o.polling_interval, detail::kMinPollingInterval,
                                                   detail::kMaxPollingInterval, d.polling_interval, e);
  o.initial_sampling_rate = detail::in_range_or_default("initial_sampling_rate", o.initial_sampling_rate, 0.0, 1.0,
                                                        d.initial_sampling_rate, e);
  o.max_operations = detail::in_range_or_default<size_t>("max_operations", o.max_operations, 1,
                                                         detail::kMaxOperationsLimit, d.max_operations, e);
  o.connect_timeout = detail::in_range_or_default("connect_timeout", o.connect_timeout, milliseconds(1),
                                                  detail::kMaxHttpTimeout, d.connect_timeout, e);
  o.read_timeout = detail::in_range_or_default("read_timeout", o.read_timeout, milliseconds(1),
                                               detail::kMaxHttpTimeout, d.read_timeout, e);
  return o;
}

}  // namespace

struct JaegerRemoteSampler::State {
  explicit State(JaegerRemoteSamplerOptions o, std::vector<std::string> errors)
      : options(std::move(o)),
        capacity(table_capacity(options.max_operations)),
        table(new std::atomic<NamedOperation*>[capacity]),
        reporter(options.on_diagnostic),
        option_errors(std::move(errors)) {
    for (size_t i = 0; i < capacity; ++i) table[i].store(nullptr, std::memory_order_relaxed);
    has_service = !options.service_name.empty();
    if (has_service) set_url();
    current.type = SamplingStrategy::Type::kProbabilistic;
    current.probability = options.initial_sampling_rate;
    apply(current);
    description = current.describe();
  }

  ~State() {
    for (size_t i = 0; i < capacity; ++i) delete table[i].load(std::memory_order_relaxed);
  }

  // From the endpoint and the service name. Before the poller's first poll.
  void set_url() {
    url_text = options.endpoint + (options.endpoint.find('?') == std::string::npos ? "?" : "&") +
               "service=" + detail::percent_encode(options.service_name, detail::is_unreserved);
    url_ok = detail::parse_http_url(url_text, url, &url_error);
  }

  // The provider's service name (and callback) for a sampler that was left without one.
  void attach(const std::string& service_name, const DiagnosticCallback& on_diagnostic) {
    std::lock_guard<std::mutex> lock(mutex);
    if (has_service) return;
    options.service_name = service_name.empty() ? "unknown_service" : service_name;
    if (!options.on_diagnostic) reporter = detail::DiagnosticReporter(on_diagnostic);
    set_url();
    has_service = true;  // under the mutex: the poller reads all of the above after it
    wake.notify_all();
  }

  static size_t table_capacity(size_t max_operations) {
    size_t c = 8;
    while (c < 2 * max_operations) c <<= 1;
    return c;
  }

  // ---- decisions (any thread) ----

  SamplingResult decide(const SamplingParameters& p) {
    // Acquire pairs with the release in apply(): the mode's parameters are in place.
    switch (mode.load(std::memory_order_acquire)) {
      case Mode::kProbabilistic: return probabilistic.probabilistic(p.trace_id);
      case Mode::kRateLimiting: {
        const RateLimit limit{rate_interval_ns.load(std::memory_order_relaxed),
                              rate_burst_ns.load(std::memory_order_relaxed)};
        return {detail::take_credit(rate_next_ns, limit, detail::steady_now_ns()), SamplerType::kRateLimiting,
                rate.load(std::memory_order_relaxed)};
      }
      case Mode::kPerOperation: {
        NamedOperation* op = find(p.name, true);
        return (op != nullptr ? op->sampler : defaults).with_lower_bound(p.trace_id);
      }
    }
    return {};
  }

  // The sampler of operation `name`, made when `insert` and there is room; nullptr otherwise.
  NamedOperation* find(std::string_view name, bool insert) {
    const uint64_t h = hash_name(name);
    for (size_t i = 0; i < capacity; ++i) {
      std::atomic<NamedOperation*>& slot = table[static_cast<size_t>(h + i) & (capacity - 1)];
      // Acquire pairs with the release of the compare-and-swap that published the entry.
      NamedOperation* op = slot.load(std::memory_order_acquire);
      if (op == nullptr) {
        if (!insert) return nullptr;
        if (operations.fetch_add(1, std::memory_order_relaxed) >= options.max_operations) {
          operations.fetch_sub(1, std::memory_order_relaxed);
          return nullptr;
        }
        auto* fresh = new NamedOperation(name);
        fresh->sampler.copy_from(defaults);
        if (slot.compare_exchange_strong(op, fresh, std::memory_order_release, std::memory_order_acquire)) {
          return fresh;
        }
        delete fresh;  // another thread filled the slot first; `op` is its entry
        operations.fetch_sub(1, std::memory_order_relaxed);
      }
      if (op->name == name) return op;
    }
    return nullptr;
  }

  // ---- updates (the poller thread, or the constructor) ----

  // Returns how many of the strategy's operations found no room.
  size_t apply(const SamplingStrategy& s) {
    size_t ignored = 0;
    switch (s.type) {
      case SamplingStrategy::Type::kProbabilistic:
        probabilistic.set(s.probability, 0);
        mode.store(Mode::kProbabilistic, std::memory_order_release);
        break;
      case SamplingStrategy::Type::kRateLimiting: {
        const RateLimit limit = RateLimit::per_second(s.max_traces_per_second);
        rate.store(s.max_traces_per_second, std::memory_order_relaxed);
        rate_interval_ns.store(limit.interval_ns, std::memory_order_relaxed);
        rate_burst_ns.store(limit.burst_ns, std::memory_order_relaxed);
        mode.store(Mode::kRateLimiting, std::memory_order_release);
        break;
      }
      case SamplingStrategy::Type::kPerOperation: {
        defaults.set(s.default_probability, s.default_lower_bound);
        std::unordered_set<std::string_view> named;
        for (const detail::OperationStrategy& o : s.operations) {
          NamedOperation* op = find(o.operation, true);
          if (op == nullptr) {
            ++ignored;
            continue;
          }
          op->sampler.set(o.probability, s.default_lower_bound);
          named.insert(op->name);
        }
        // Operations the strategy does not name fall back to its defaults.
        for (size_t i = 0; i < capacity; ++i) {
          NamedOperation* op = table[i].load(std::memory_order_acquire);
          if (op != nullptr && named.count(op->name) == 0) op->sampler.set(s.default_probability, s.default_lower_bound);
        }
        mode.store(Mode::kPerOperation, std::memory_order_release);
        break;
      }
    }
    return ignored;
  }

  void fail(const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++stats.failures;
    }
    if (cancel.load()) return;  // shutting down: not worth a report
    reporter.report(DiagnosticCode::kSamplingStrategyFailed, why + "; keeping " + current.describe());
  }

  bool poll_once() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++stats.polls;
    }
    if (!url_ok) {
      fail("sampling endpoint unusable: " + url_error);
      return false;
    }
    detail::HttpOptions http;
    http.connect_timeout = options.connect_timeout;
    http.read_timeout = options.read_timeout;
    http.cancel = &cancel;
    detail::HttpResponse response;
    std::string error;
    if (!detail::http_get(url, http, response, &error)) {
      fail("could not fetch the sampling strategy from " + url_text + ": " + error);
      return false;
    }
    if (response.status != 200) {
      fail(url_text + " answered HTTP " + std::to_string(response.status) + ": " + excerpt(response.body));
      return false;
    }
    SamplingStrategy s;
    if (!detail::parse_sampling_strategy(response.body, s, &error)) {
      fail("malformed sampling strategy from " + url_text + ": " + error);
      return false;
    }
    if (s == current) return true;
    const size_t ignored = apply(s);
    current = std::move(s);
    std::string text = current.describe();
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++stats.changes;
      description = text;
    }
    if (ignored > 0) {
      text += "; " + std::to_string(ignored) + " operations over the limit of " +
              std::to_string(options.max_operations) + " use the defaults";
    }
    if (cancel.load()) return true;  // shutting down: the callback may be gone
    reporter.report(DiagnosticCode::kSamplingStrategyChanged,
                    "sampling strategy for service " + options.service_name + ": " + text);
    return true;
  }

  // Returns true when the sampler was destroyed without waiting for this thread, which then
  // owns the state and deletes it.
  bool run() {
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait(lock, [this] { return stop || has_service; });
    // Said once the reporter is known: the sampler's own callback or its provider's.
    for (const std::string& e : option_errors) reporter.report(DiagnosticCode::kInvalidOption, e);
    while (!stop) {
      const uint64_t answering = requested;  // poll_now() calls up to here get this poll
      lock.unlock();
      const bool ok = poll_once();
      lock.lock();
      completed = answering;
      last_poll_ok = ok;
      polled.notify_all();
      wake.wait_for(lock, options.polling_interval, [this] { return stop || requested > completed; });
    }
    exited = true;
    polled.notify_all();
    return orphaned;
  }

  JaegerRemoteSamplerOptions options;
  std::string url_text;
  detail::HttpUrl url;
  bool url_ok = false;
  std::string url_error;

  // ---- read by application threads, written by the poller ----
  std::atomic<Mode> mode{Mode::kProbabilistic};
  OperationSampler probabilistic;  // kProbabilistic (its lower bound unused)
  std::atomic<double> rate{0};     // kRateLimiting
  std::atomic<uint64_t> rate_interval_ns{0};
  std::atomic<uint64_t> rate_burst_ns{0};
  std::atomic<uint64_t> rate_next_ns{0};
  OperationSampler defaults;  // kPerOperation: operations without a sampler of their own
  const size_t capacity;
  std::unique_ptr<std::atomic<NamedOperation*>[]> table;
  std::atomic<size_t> operations{0};

  // ---- the poller ----
  SamplingStrategy current;  // poller thread only (and the constructor)
  detail::DiagnosticReporter reporter;
  std::atomic<bool> cancel{false};
  std::mutex mutex;  // guards the fields below
  std::condition_variable wake;
  std::condition_variable polled;
  bool stop = false;
  bool has_service = false;  // a service name to poll for, from the options or attach()
  uint64_t requested = 0;
  uint64_t completed = 0;
  bool last_poll_ok = false;
  bool exited = false;   // run() is returning
  bool orphaned = false;  // the sampler is gone; the poller thread deletes this state
  Stats stats;
  std::string description;
  std::vector<std::string> option_errors;  // reported by the poller thread as it starts
  std::unique_ptr<std::thread> thread;
  pid_t owner = ::getpid();
};

LITETRACE_COLD JaegerRemoteSampler::JaegerRemoteSampler(JaegerRemoteSamplerOptions options)
    : state_(nullptr) {
  std::vector<std::string> errors;
  JaegerRemoteSamplerOptions valid = checked(std::move(options), errors);
  state_ = std::make_unique<State>(std::move(valid), std::move(errors));
  State* s = state_.get();
  s->thread = std::make_unique<std::thread>([s] {
#if defined(__linux__)
    pthread_setname_np(pthread_self(), "litetrace-samp");
#endif
    if (s->run()) delete s;
  });
}

LITETRACE_COLD JaegerRemoteSampler::~JaegerRemoteSampler() {
  if (::getpid() != state_->owner) {
    // A fork() child: the poller thread is the parent's, and its lock may have been held
    // at the fork. Leave both alone (a small leak per fork); the state stays valid.
    (void)state_->thread.release();
    (void)state_.release();
    return;
  }
  state_->cancel.store(true);
  bool exited;
  {
    std::unique_lock<std::mutex> lock(state_->mutex);
    state_->stop = true;
    state_->wake.notify_all();
    // Every wait of the poller, name lookups included, sees `cancel` within 100 ms; a slow
    // diagnostic callback is the exception, and is not waited for.
    exited = state_->polled.wait_for(lock, kStopWait, [this] { return state_->exited; });
    if (!exited) {
      // Let the poller finish on its own: it reports nothing more (cancel is set) and
      // deletes the state when it is done.
      state_->orphaned = true;
      state_->thread->detach();
    }
  }
  if (exited) {
    state_->thread->join();
  } else {
    (void)state_.release();
  }
}

SamplingResult JaegerRemoteSampler::should_sample(const SamplingParameters& p) noexcept { return state_->decide(p); }

LITETRACE_COLD std::string JaegerRemoteSampler::description() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  const std::string service = state_->has_service ? state_->options.service_name : "(the provider's)";
  return "JaegerRemote{service=" + service + ", endpoint=" + state_->options.endpoint +
         ", strategy=" + state_->description + "}";
}

bool JaegerRemoteSampler::poll_now(std::chrono::milliseconds timeout) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  if (!s.has_service) return false;
  const uint64_t mine = ++s.requested;
  s.wake.notify_all();
  if (!s.polled.wait_for(lock, timeout, [&] { return s.completed >= mine || s.stop; })) return false;
  return s.completed >= mine && s.last_poll_ok;
}

LITETRACE_COLD void JaegerRemoteSampler::attach(const std::string& service_name, const DiagnosticCallback& on_diagnostic) {
  state_->attach(service_name, on_diagnostic);
}

JaegerRemoteSampler::Stats JaegerRemoteSampler::stats() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->stats;
}

}  // namespace litetrace
