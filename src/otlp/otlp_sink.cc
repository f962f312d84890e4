#include "otlp/otlp_sink.h"

#include <pthread.h>

#include <algorithm>
#include <charconv>

#include "core/json_reader.h"
#include "litetrace/version.h"
#include "otlp/otlp_encoder.h"
#include "otlp/otlp_json.h"
#include "otlp/proto_reader.h"

namespace litetrace::detail::otlp {
namespace {

constexpr size_t kMaxResponseBody = 64 * 1024;

bool retryable_status(int status) { return status == 429 || status == 502 || status == 503 || status == 504; }

// Retry-After as delay-seconds (RFC 9110 section 10.2.3); an HTTP-date is not read (the
// backoff applies then).
bool retry_after_seconds(std::string_view v, uint64_t* seconds) {
  if (v.empty() || v.size() > 9) return false;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *seconds);
  return ec == std::errc() && end == v.data() + v.size();
}

// What a server says in a response body: google.rpc.Status.message (protobuf field 2, or
// "message" in JSON), else the body's start as text.
std::string server_message(const HttpResponse& r, bool json) {
  if (!json) {
    ProtoReader reader(r.body);
    ProtoField f;
    while (reader.next(f)) {
      if (f.number == 2 && f.type == WireType::kLengthDelimited) return std::string(f.bytes);
    }
  } else {
    JsonValue doc;
    if (parse_json(r.body, doc)) {
      if (const JsonValue* m = doc.find("message"); m != nullptr && m->is(JsonValue::Type::kString)) return m->string();
    }
  }
  std::string text = r.body.substr(0, 200);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

// ExportTraceServiceResponse.partial_success {rejected_spans = 1, error_message = 2}.
void partial_success(const HttpResponse& r, bool json, uint64_t* rejected, std::string* message) {
  *rejected = 0;
  if (!json) {
    ProtoReader response(r.body);
    ProtoField f;
    while (response.next(f)) {
      if (f.number != 1 || f.type != WireType::kLengthDelimited) continue;
      ProtoReader partial(f.bytes);
      ProtoField p;
      while (partial.next(p)) {
        if (p.number == 1 && p.type == WireType::kVarint) *rejected = p.value;
        if (p.number == 2 && p.type == WireType::kLengthDelimited) *message = std::string(p.bytes);
      }
    }
    return;
  }
  JsonValue doc;
  if (!parse_json(r.body, doc)) return;
  const JsonValue* partial = doc.find("partialSuccess");
  if (partial == nullptr) return;
  if (const JsonValue* n = partial->find("rejectedSpans")) {
    if (n->is(JsonValue::Type::kNumber) && n->number() >= 0) *rejected = static_cast<uint64_t>(n->number());
    if (n->is(JsonValue::Type::kString)) {
      std::from_chars(n->string().data(), n->string().data() + n->string().size(), *rejected);
    }
  }
  if (const JsonValue* m = partial->find("errorMessage"); m != nullptr && m->is(JsonValue::Type::kString)) {
    *message = m->string();
  }
}

}  // namespace

HttpSink::HttpSink(SinkOptions options, const TickConverter* clock, const DiagnosticCallback& callback)
    : options_(std::move(options)),
      builder_(clock, options_.json),
      batcher_reporter_(callback),
      sender_reporter_(callback),
      jitter_state_(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1) {
  // The Resource: service.name, the application's attributes, what this SDK is.
  resource_strings_.reserve(2 * (options_.resource_attributes.size() + 4));
  const auto add = [&](std::string key, std::string value) {
    for (const KeyValue& kv : resource_) {
      if (kv.key == key) return;  // the application's value wins
    }
    resource_strings_.push_back(std::move(key));
    const std::string_view k = resource_strings_.back();
    resource_strings_.push_back(std::move(value));
    resource_.push_back({k, AnyValue::string(resource_strings_.back())});
  };
  resource_.reserve(options_.resource_attributes.size() + 4);
  add("service.name", options_.service_name);
  for (const auto& [k, v] : options_.resource_attributes) add(k, v);
  add("telemetry.sdk.name", "litetrace");
  add("telemetry.sdk.language", "cpp");
  add("telemetry.sdk.version", LITETRACE_VERSION_STRING);

  headers_.push_back({"Content-Type", options_.json ? "application/json" : "application/x-protobuf"});
  for (const auto& [k, v] : options_.headers) headers_.push_back({k, v});

  sender_ = std::thread([this] {
#if defined(__linux__)
    pthread_setname_np(pthread_self(), "litetrace-otlp");
#endif
    run();
  });
}

HttpSink::~HttpSink() { close(); }

void HttpSink::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_.store(true);
  work_.notify_all();
  if (sender_.joinable()) sender_.join();
}

bool HttpSink::queue_full() {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size() >= options_.max_queued_requests;
}

void HttpSink::add(const uint8_t* record) {
  bump(spans_pending_, 1);
  // A request that would find the queue full is not built at all: under overload the
  // batcher's time goes to draining the rings, not to encoding what will be dropped.
  if (builder_.spans() == 0 && skipped_ == 0 && queue_full()) skipping_ = true;
  if (skipping_) {
    if (++skipped_ >= options_.max_batch_spans) drop_skipped();
    return;
  }
  if (!builder_.add(record)) {
    spans_pending_.fetch_sub(1, std::memory_order_relaxed);
    bump(spans_failed_, 1);
    batcher_reporter_.report(DiagnosticCode::kExportFailed, "a span could not be encoded (a litetrace bug)");
    return;
  }
  if (builder_.spans() >= options_.max_batch_spans) enqueue();
}

void HttpSink::flush() {
  if (skipping_) drop_skipped();
  if (builder_.spans() != 0) enqueue();
}

void HttpSink::drop(uint64_t spans) {
  spans_pending_.fetch_sub(spans, std::memory_order_relaxed);
  bump(spans_dropped_queue_, spans);
  batcher_reporter_.report(DiagnosticCode::kExportFailed,
                           std::to_string(spans) + " spans dropped: " + std::to_string(options_.max_queued_requests) +
                               " requests already wait for " + options_.endpoint);
}

void HttpSink::drop_skipped() {
  drop(skipped_);
  skipped_ = 0;
  skipping_ = false;
}

void HttpSink::enqueue() {
  Request r;
  r.spans = builder_.spans();
  const bool built = builder_.build({resource_.data(), resource_.size()}, r.body);
  builder_.clear();
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

bool HttpSink::wait_delivered(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t target = queued_sequence_;
  return delivered_.wait_until(lock, deadline, [&] { return delivered_sequence_ >= target; });
}

void HttpSink::run() {
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

HttpSink::Outcome HttpSink::answer(const HttpResponse& response, const Request& request, std::string* why) {
  if (response.status >= 200 && response.status < 300) {
    uint64_t rejected = 0;
    std::string message;
    partial_success(response, options_.json, &rejected, &message);
    rejected = std::min<uint64_t>(rejected, request.spans);
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
  const std::string message = server_message(response, options_.json);
  if (!message.empty()) *why += ": " + message;
  return retryable_status(response.status) ? Outcome::kRetry : Outcome::kFailed;
}

std::chrono::milliseconds HttpSink::delay_before(int attempt, const HttpResponse* response) {
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

SinkStats HttpSink::stats() const {
  SinkStats s;
  s.spans_exported = spans_exported_.load(std::memory_order_relaxed);
  s.spans_failed = spans_failed_.load(std::memory_order_relaxed);
  s.spans_rejected = spans_rejected_.load(std::memory_order_relaxed);
  s.spans_dropped_queue = spans_dropped_queue_.load(std::memory_order_relaxed);
  s.spans_pending = spans_pending_.load(std::memory_order_relaxed);
  s.requests_sent = requests_sent_.load(std::memory_order_relaxed);
  s.requests_retried = requests_retried_.load(std::memory_order_relaxed);
  s.requests_failed = requests_failed_.load(std::memory_order_relaxed);
  s.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace litetrace::detail::otlp
