#include "transport/http_export_sink.h"

#include <pthread.h>

#include <algorithm>
#include <charconv>

#include "core/compiler.h"

namespace litetrace::detail {
namespace {

constexpr size_t kMaxResponseBody = 64 * 1024;

// Retry-After as delay-seconds (RFC 9110 section 10.2.3); an HTTP-date is not read (the
// backoff applies then).
bool retry_after_seconds(std::string_view v, uint64_t* seconds) {
  if (v.empty() || v.size() > 9) return false;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *seconds);
  return ec == std::errc() && end == v.data() + v.size();
}

}  // namespace

std::string body_text(const HttpResponse& response, size_t max) {
  std::string text = response.body.substr(0, max);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

LITETRACE_COLD HttpExportSink::HttpExportSink(HttpExportOptions options, std::unique_ptr<HttpRequestFormat> format,
                                              const DiagnosticCallback& callback)
    : options_(std::move(options)),
      format_(std::move(format)),
      batcher_reporter_(callback),
      sender_reporter_(callback),
      jitter_state_(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1) {
  headers_.push_back({"Content-Type", format_->content_type()});
  for (const auto& [k, v] : options_.headers) headers_.push_back({k, v});

  const int rc = pthread_create(&sender_, nullptr, &HttpExportSink::sender_main, this);
  sender_running_ = rc == 0;
  if (!sender_running_) {
    batcher_reporter_.report(DiagnosticCode::kOutOfMemory, "cannot start the thread that sends to " +
                                                               options_.endpoint + ": " + errno_text(rc) +
                                                               "; every request will count as failed");
  }
}

LITETRACE_COLD void* HttpExportSink::sender_main(void* sink) noexcept {
  auto* self = static_cast<HttpExportSink*>(sink);
#if defined(__linux__)
  pthread_setname_np(pthread_self(), self->options_.thread_name);
#endif
  self->run();
  return nullptr;
}

LITETRACE_COLD HttpExportSink::~HttpExportSink() { close(); }

LITETRACE_COLD void HttpExportSink::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_.store(true);
  work_.notify_all();
  if (sender_running_) pthread_join(sender_, nullptr);
  sender_running_ = false;
}

bool HttpExportSink::queue_full() {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size() >= options_.max_queued_requests;
}

void HttpExportSink::add(const uint8_t* ring_record, RecordNormalizer& rules) {
  bump(spans_pending_, 1);
  // A request that would find the queue full is not built at all: under overload the
  // batcher's time goes to draining the rings, not to encoding what will be dropped.
  if (format_->spans() == 0 && skipped_ == 0 && queue_full()) skipping_ = true;
  if (skipping_) {
    if (++skipped_ >= options_.max_batch_spans) drop_skipped();
    return;
  }
  const auto add = [&] {
    return format_->checks_rules() ? format_->add_ring_record(ring_record, rules)
                                   : format_->add(rules.normalize(ring_record));
  };
  HttpRequestFormat::Added added = add();
  if (added == HttpRequestFormat::Added::kFull) {
    enqueue();
    added = add();
  }
  switch (added) {
    case HttpRequestFormat::Added::kAdded: break;
    case HttpRequestFormat::Added::kFull:  // not even into an empty request
    case HttpRequestFormat::Added::kTooLarge:
      spans_pending_.fetch_sub(1, std::memory_order_relaxed);
      bump(spans_too_large_, 1);
      batcher_reporter_.report(DiagnosticCode::kSpanTooLarge,
                               "a span is larger than a request to " + options_.endpoint + " may be; dropped");
      return;
    case HttpRequestFormat::Added::kFailed:
      spans_pending_.fetch_sub(1, std::memory_order_relaxed);
      bump(spans_failed_, 1);
      batcher_reporter_.report(DiagnosticCode::kExportFailed, "a span could not be encoded (a litetrace bug)");
      return;
  }
  if (format_->spans() >= options_.max_batch_spans) enqueue();
}

void HttpExportSink::flush() {
  if (skipping_) drop_skipped();
  if (format_->spans() != 0) enqueue();
}

LITETRACE_COLD void HttpExportSink::drop(uint64_t spans) {
  spans_pending_.fetch_sub(spans, std::memory_order_relaxed);
  bump(spans_dropped_queue_, spans);
  batcher_reporter_.report(DiagnosticCode::kExportFailed,
                           std::to_string(spans) + " spans dropped: " + std::to_string(options_.max_queued_requests) +
                               " requests already wait for " + options_.endpoint);
}

void HttpExportSink::drop_skipped() {
  drop(skipped_);
  skipped_ = 0;
  skipping_ = false;
}

void HttpExportSink::enqueue() {
  Request r;
  r.spans = format_->spans();
  if (!sender_running_) {  // no thread to send it (the constructor reported why)
    format_->clear();
    spans_pending_.fetch_sub(r.spans, std::memory_order_relaxed);
    bump(spans_failed_, r.spans);
    bump(requests_failed_, 1);
    return;
  }
  const bool built = format_->build(r.body);
  format_->clear();
  if (!built) {
    spans_pending_.fetch_sub(r.spans, std::memory_order_relaxed);
    bump(spans_failed_, r.spans);
    batcher_reporter_.report(DiagnosticCode::kExportFailed, "a request could not be encoded (a litetrace bug)");
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() < options_.max_queued_requests) {
      r.sequence = ++queued_sequence_;
      queue_.push_back(std::move(r));
      work_.notify_one();
      return;
    }
  }
  drop(r.spans);
}

bool HttpExportSink::wait_delivered(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t target = queued_sequence_;
  return delivered_.wait_until(lock, deadline, [&] { return delivered_sequence_ >= target; });
}

// The sender thread: per request, never per span, so cold (with the answer's handling and
// the HTTP exchange), the compiler's size over speed.
LITETRACE_COLD void HttpExportSink::run() {
  HttpOptions http;
  http.connect_timeout = options_.timeout;
  http.read_timeout = options_.timeout;
  http.max_body = kMaxResponseBody;
  http.cancel = &cancel_;
  http.resolver = options_.resolver;
  HttpConnection connection(options_.url, http);
  for (;;) {
    Request request;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    std::string why;
    for (int attempt = 0;; ++attempt) {
      HttpResponse response;
      const bool answered =
          connection.request("POST", {headers_.data(), headers_.size()}, request.body.view(), response, &why);
      Outcome outcome = answered ? answer(response, request, &why) : Outcome::kRetry;
      if (outcome == Outcome::kRetry) {
        const auto delay = delay_before(attempt, answered ? &response : nullptr);
        if (cancel_.load() || std::chrono::steady_clock::now() + delay >= deadline) {
          why = "gave up after " + std::to_string(attempt + 1) + " attempt(s) within " +
                std::to_string(options_.timeout.count()) + " ms: " + why;
          outcome = Outcome::kFailed;
        } else {
          bump(requests_retried_, 1);
          std::unique_lock<std::mutex> lock(mutex_);
          work_.wait_for(lock, delay, [&] { return stopping_; });
          continue;
        }
      }
      spans_pending_.fetch_sub(request.spans, std::memory_order_relaxed);
      if (outcome == Outcome::kFailed) {
        bump(spans_failed_, request.spans);
        bump(requests_failed_, 1);
        sender_reporter_.report(DiagnosticCode::kExportFailed, std::to_string(request.spans) + " spans to " +
                                                                   options_.endpoint + " failed: " + why);
      }
      break;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    delivered_sequence_ = request.sequence;
    delivered_.notify_all();
  }
}

LITETRACE_COLD HttpExportSink::Outcome HttpExportSink::answer(const HttpResponse& response, const Request& request,
                                                              std::string* why) {
  if (response.status >= 200 && response.status < 300) {
    std::string message;
    const uint64_t rejected = std::min<uint64_t>(format_->rejected(response, &message), request.spans);
    bump(requests_sent_, 1);
    bump(bytes_sent_, request.body.size());
    bump(spans_exported_, request.spans - rejected);
    bump(spans_rejected_, rejected);
    if (rejected != 0 || !message.empty()) {
      sender_reporter_.report(DiagnosticCode::kExportRejected,
                              options_.endpoint + " rejected " + std::to_string(rejected) + " of " +
                                  std::to_string(request.spans) + " spans" +
                                  (message.empty() ? std::string() : ": " + message));
    }
    return Outcome::kDelivered;
  }
  *why = "HTTP " + std::to_string(response.status);
  const std::string message = format_->server_message(response);
  if (!message.empty()) *why += ": " + message;
  return format_->retryable(response.status) ? Outcome::kRetry : Outcome::kFailed;
}

std::chrono::milliseconds HttpExportSink::delay_before(int attempt, const HttpResponse* response) {
  uint64_t seconds = 0;
  if (response != nullptr && retry_after_seconds(response->retry_after, &seconds)) {
    return std::chrono::milliseconds(std::min<uint64_t>(seconds, 3600) * 1000);
  }
  const int64_t cap = options_.max_backoff.count();
  int64_t base = options_.initial_backoff.count();
  for (int i = 0; i < attempt && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  // xorshift64: jitter of up to half the backoff, so clients that failed together do not
  // come back together.
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 7;
  jitter_state_ ^= jitter_state_ << 17;
  const int64_t jitter = base > 1 ? static_cast<int64_t>(jitter_state_ % static_cast<uint64_t>(base / 2 + 1)) : 0;
  return std::chrono::milliseconds(base - jitter);
}

SinkStats HttpExportSink::stats() const {
  SinkStats s;
  s.spans_exported = spans_exported_.load(std::memory_order_relaxed);
  s.spans_failed = spans_failed_.load(std::memory_order_relaxed);
  s.spans_too_large = spans_too_large_.load(std::memory_order_relaxed);
  s.spans_rejected = spans_rejected_.load(std::memory_order_relaxed);
  s.spans_dropped_queue = spans_dropped_queue_.load(std::memory_order_relaxed);
  s.spans_pending = spans_pending_.load(std::memory_order_relaxed);
  s.requests_sent = requests_sent_.load(std::memory_order_relaxed);
  s.requests_retried = requests_retried_.load(std::memory_order_relaxed);
  s.requests_failed = requests_failed_.load(std::memory_order_relaxed);
  s.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace litetrace::detail
