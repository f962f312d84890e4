// The C API (include/litetrace/litetrace.h) over the C++ one: handles own C++ objects, a
// litetrace_span's storage holds a litetrace::Span (placement new: no allocation), and
// every entry point checks its handles for NULL. Nothing here throws: the library builds
// with -fno-exceptions, and the C++ calls it makes are noexcept or report through
// diagnostics.

#include "litetrace/litetrace.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "litetrace/environment.h"
#include "litetrace/propagation.h"
#include "litetrace/trace.h"
#include "litetrace/version.h"

#include "core/compiler.h"
#include "core/raw_array.h"  // kNoThrow

struct litetrace_options {
  bool from_environment = false;
  std::vector<std::pair<std::string, std::string>> variables;  // set_variable(), the last one wins
  std::vector<std::function<void(litetrace::TracerProviderOptions&)>> setters;  // in call order
};

struct litetrace_provider {
  std::shared_ptr<litetrace::TracerProvider> provider;
};

struct litetrace_tracer {
  litetrace::Tracer tracer;
};

namespace {

using litetrace::Span;

static_assert(sizeof(Span) <= sizeof(litetrace_span) && alignof(Span) <= alignof(litetrace_span),
              "litetrace_span holds a litetrace::Span");
static_assert(sizeof(litetrace::Scope) <= sizeof(litetrace_scope) && alignof(litetrace::Scope) <= alignof(litetrace_scope),
              "litetrace_scope holds a litetrace::Scope");

Span* span_of(litetrace_span* s) { return s == nullptr ? nullptr : std::launder(reinterpret_cast<Span*>(s->opaque)); }
const Span* span_of(const litetrace_span* s) {
  return s == nullptr ? nullptr : std::launder(reinterpret_cast<const Span*>(s->opaque));
}

std::string_view text(const char* s) { return s == nullptr ? std::string_view() : std::string_view(s); }
std::string_view text(const char* s, size_t length) { return s == nullptr ? std::string_view() : std::string_view(s, length); }

litetrace::SpanContext to_cpp(const litetrace_span_context& c) {
  litetrace::SpanContext out;
  out.trace_id = {c.trace_id_high, c.trace_id_low};
  out.span_id = c.span_id;
  out.flags = c.flags;
  out.remote = c.remote != 0;
  return out;
}

litetrace_span_context to_c(const litetrace::SpanContext& c) {
  litetrace_span_context out;
  out.trace_id_high = c.trace_id.high;
  out.trace_id_low = c.trace_id.low;
  out.span_id = c.span_id;
  out.flags = c.flags;
  out.remote = c.remote ? 1 : 0;
  return out;
}

litetrace::SystemTime unix_time(uint64_t ns) {
  return litetrace::SystemTime(
      std::chrono::duration_cast<litetrace::SystemTime::duration>(std::chrono::nanoseconds(ns)));
}

litetrace::AttributeValue value_of(const litetrace_attribute& a) {
  switch (a.type) {
    case LITETRACE_ATTRIBUTE_BOOL: return litetrace::AttributeValue(a.integer != 0);
    case LITETRACE_ATTRIBUTE_INT64: return litetrace::AttributeValue(a.integer);
    case LITETRACE_ATTRIBUTE_DOUBLE: return litetrace::AttributeValue(a.number);
    case LITETRACE_ATTRIBUTE_BYTES: return litetrace::AttributeValue(litetrace::Bytes{a.bytes, a.bytes ? a.size : 0});
    default: return litetrace::AttributeValue(text(a.string));
  }
}

// C attributes as C++ ones, for the length of one call: on the stack up to kOnStack, beyond
// that in a heap copy (more attributes than the default limits allow).
class AttributeList {
 public:
  AttributeList(const litetrace_attribute* attributes, size_t count) {
    if (attributes == nullptr) count = 0;
    litetrace::Attribute* out = stack_;
    if (count > kOnStack) {
      heap_.reserve(count);
      for (size_t i = 0; i < count; ++i) heap_.push_back({text(attributes[i].key), value_of(attributes[i])});
      view_ = litetrace::ArrayView<litetrace::Attribute>(heap_.data(), heap_.size());
      return;
    }
    for (size_t i = 0; i < count; ++i) new (&out[i]) litetrace::Attribute{text(attributes[i].key), value_of(attributes[i])};
    view_ = litetrace::ArrayView<litetrace::Attribute>(out, count);
  }
  litetrace::ArrayView<litetrace::Attribute> view() const { return view_; }

 private:
  static constexpr size_t kOnStack = 128;
  union {
    litetrace::Attribute stack_[kOnStack];  // trivially destructible: nothing to destroy
  };
  std::vector<litetrace::Attribute> heap_;
  litetrace::ArrayView<litetrace::Attribute> view_;
};

}  // namespace

extern "C" {

// ---- options ----

litetrace_options* litetrace_options_new(void) { return new (litetrace::detail::kNoThrow) litetrace_options; }

litetrace_options* litetrace_options_from_environment(void) {
  litetrace_options* o = litetrace_options_new();
  if (o != nullptr) o->from_environment = true;
  return o;
}

void litetrace_options_free(litetrace_options* options) { delete options; }

int litetrace_options_set_service_name(litetrace_options* options, const char* name) {
  if (options == nullptr || name == nullptr) return -1;
  options->setters.push_back([v = std::string(name)](litetrace::TracerProviderOptions& o) { o.service_name = v; });
  return 0;
}

int litetrace_options_add_resource_attribute(litetrace_options* options, const char* key, const char* value) {
  if (options == nullptr || key == nullptr || value == nullptr) return -1;
  options->setters.push_back([k = std::string(key), v = std::string(value)](litetrace::TracerProviderOptions& o) {
    o.resource_attributes.emplace_back(k, v);
  });
  return 0;
}

int litetrace_options_set_exporter(litetrace_options* options, int exporter) {
  if (options == nullptr || exporter < LITETRACE_EXPORTER_JAEGER || exporter > LITETRACE_EXPORTER_ZIPKIN) return -1;
  options->setters.push_back([exporter](litetrace::TracerProviderOptions& o) {
    o.exporter = static_cast<litetrace::TracesExporter>(exporter);
  });
  return 0;
}

int litetrace_options_set_agent(litetrace_options* options, const char* host, uint16_t port) {
  if (options == nullptr || host == nullptr) return -1;
  options->setters.push_back([h = std::string(host), port](litetrace::TracerProviderOptions& o) {
    o.agent_host = h;
    o.agent_port = port;
  });
  return 0;
}

int litetrace_options_set_otlp_endpoint(litetrace_options* options, const char* url) {
  if (options == nullptr || url == nullptr) return -1;
  options->setters.push_back([u = std::string(url)](litetrace::TracerProviderOptions& o) { o.otlp_endpoint = u; });
  return 0;
}

int litetrace_options_set_zipkin_endpoint(litetrace_options* options, const char* url) {
  if (options == nullptr || url == nullptr) return -1;
  options->setters.push_back([u = std::string(url)](litetrace::TracerProviderOptions& o) { o.zipkin_endpoint = u; });
  return 0;
}

int litetrace_options_set_jaeger_endpoint(litetrace_options* options, const char* url) {
  if (options == nullptr || url == nullptr) return -1;
  options->setters.push_back([u = std::string(url)](litetrace::TracerProviderOptions& o) {
    o.jaeger_endpoint = u;
    o.jaeger_protocol = litetrace::JaegerProtocol::kHttpThriftBinary;
  });
  return 0;
}

int litetrace_options_set_variable(litetrace_options* options, const char* name, const char* value) {
  if (options == nullptr || name == nullptr || value == nullptr) return -1;
  const std::string_view n(name);
  if (n.rfind("OTEL_", 0) != 0 && n.rfind("JAEGER_", 0) != 0) return -1;
  for (auto& [k, v] : options->variables) {
    if (k == n) {
      v = value;
      return 0;
    }
  }
  options->variables.emplace_back(name, value);
  return 0;
}

int litetrace_options_set_diagnostic_handler(litetrace_options* options, litetrace_diagnostic_handler handler,
                                             void* user) {
  if (options == nullptr || handler == nullptr) return -1;
  options->setters.push_back([handler, user](litetrace::TracerProviderOptions& o) {
    o.on_diagnostic = [handler, user](const litetrace::Diagnostic& d) {
      const std::string message(d.message);
      handler(user, static_cast<int>(d.code), message.c_str());
    };
  });
  return 0;
}

// ---- provider and tracers ----

litetrace_provider* litetrace_provider_new(const litetrace_options* options) {
  litetrace::TracerProviderOptions o;
  if (options != nullptr) {
    o = litetrace::options_from_environment([options](std::string_view name) -> const char* {
      for (const auto& [k, v] : options->variables) {
        if (k == name) return v.c_str();
      }
      return options->from_environment ? std::getenv(std::string(name).c_str()) : nullptr;
    });
    for (const auto& set : options->setters) set(o);
  }
  auto* p = new (litetrace::detail::kNoThrow) litetrace_provider;
  if (p == nullptr) return nullptr;
  p->provider = std::make_shared<litetrace::TracerProvider>(o);
  return p;
}

void litetrace_provider_free(litetrace_provider* provider) {
  if (provider == nullptr) return;
  provider->provider->shutdown();
  delete provider;
}

int litetrace_provider_force_flush(litetrace_provider* provider, uint32_t timeout_ms) {
  if (provider == nullptr) return 0;
  return provider->provider->force_flush(std::chrono::milliseconds(timeout_ms)) ? 1 : 0;
}

int litetrace_provider_shutdown(litetrace_provider* provider, uint32_t timeout_ms) {
  if (provider == nullptr) return 0;
  return provider->provider->shutdown(std::chrono::milliseconds(timeout_ms)) ? 1 : 0;
}

litetrace_tracer* litetrace_provider_tracer(litetrace_provider* provider, const char* name, const char* version) {
  if (provider == nullptr) return nullptr;
  return new (litetrace::detail::kNoThrow) litetrace_tracer{provider->provider->tracer(text(name), text(version))};
}

void litetrace_tracer_free(litetrace_tracer* tracer) { delete tracer; }

void litetrace_set_global_provider(litetrace_provider* provider) {
  litetrace::set_global_provider(provider == nullptr ? nullptr : provider->provider);
}

litetrace_tracer* litetrace_global_tracer(const char* name, const char* version) {
  return new (litetrace::detail::kNoThrow) litetrace_tracer{litetrace::global_tracer(text(name), text(version))};
}

uint64_t litetrace_provider_stat(const litetrace_provider* provider, int which) {
  if (provider == nullptr) return 0;
  const litetrace::TracerStats s = provider->provider->stats();
  switch (which) {
    case LITETRACE_STAT_SPANS_STARTED: return s.spans_started;
    case LITETRACE_STAT_SPANS_NOT_SAMPLED: return s.spans_not_sampled;
    case LITETRACE_STAT_SPANS_ENDED: return s.spans_ended;
    case LITETRACE_STAT_SPANS_EXPORTED: return s.spans_exported;
    case LITETRACE_STAT_SPANS_DROPPED_QUEUE: return s.spans_dropped_queue;
    case LITETRACE_STAT_SPANS_DROPPED_TOO_LARGE: return s.spans_dropped_too_large;
    case LITETRACE_STAT_SPANS_FAILED: return s.spans_failed;
    case LITETRACE_STAT_SPANS_REJECTED: return s.spans_rejected;
    case LITETRACE_STAT_SPANS_DROPPED_EXPORT_QUEUE: return s.spans_dropped_export_queue;
    case LITETRACE_STAT_SPANS_DISCARDED: return s.spans_discarded;
    case LITETRACE_STAT_SPANS_PENDING: return s.spans_pending;
    case LITETRACE_STAT_PACKETS_SENT: return s.packets_sent;
    case LITETRACE_STAT_PACKETS_FAILED: return s.packets_failed;
    case LITETRACE_STAT_REQUESTS_SENT: return s.requests_sent;
    case LITETRACE_STAT_REQUESTS_RETRIED: return s.requests_retried;
    case LITETRACE_STAT_REQUESTS_FAILED: return s.requests_failed;
    case LITETRACE_STAT_BYTES_SENT: return s.bytes_sent;
    default: return 0;
  }
}

// ---- spans ----

namespace {

// litetrace_span_start_n() with options, out of line: in one function with the common case,
// its stack frame (the StartSpanOptions) was set up for every span (2 instructions).
LITETRACE_NOINLINE void start_with_options(const litetrace_tracer* tracer, litetrace_span* span, const char* name,
                                           size_t name_length, const litetrace_start_options* options) {
  litetrace::StartSpanOptions so;
  {
    // Only the fields the caller's struct has: one built against an older header is shorter.
    const size_t size = options->size;
    const auto has = [size](size_t end) { return size >= end; };
    if (has(offsetof(litetrace_start_options, kind) + sizeof options->kind)) {
      so.kind = static_cast<litetrace::SpanKind>(options->kind >= 0 && options->kind <= 4 ? options->kind : 0);
    }
    if (has(offsetof(litetrace_start_options, parent) + sizeof options->parent) && options->parent != nullptr) {
      so.parent = to_cpp(*options->parent);
    }
    if (has(offsetof(litetrace_start_options, root) + sizeof options->root)) so.root = options->root != 0;
    if (has(offsetof(litetrace_start_options, start_time_unix_ns) + sizeof options->start_time_unix_ns) &&
        options->start_time_unix_ns != 0) {
      so.start_time = unix_time(options->start_time_unix_ns);
    }
  }
  new (span->opaque) Span(tracer->tracer.start_span(text(name, name_length), so));
}

}  // namespace

void litetrace_span_start_n(const litetrace_tracer* tracer, litetrace_span* span, const char* name, size_t name_length,
                            const litetrace_start_options* options) {
  if (span == nullptr) return;
  if (tracer == nullptr) {
    new (span->opaque) Span();
    return;
  }
  if (options != nullptr) return start_with_options(tracer, span, name, name_length, options);
  // The common case: the defaults, C++'s start_span(name).
  new (span->opaque) Span(tracer->tracer.start_span(text(name, name_length)));
}

void litetrace_span_end(litetrace_span* span) {
  if (Span* s = span_of(span)) s->end();
}

void litetrace_span_end_at(litetrace_span* span, uint64_t end_time_unix_ns) {
  if (Span* s = span_of(span)) s->end(unix_time(end_time_unix_ns));
}

int litetrace_span_is_recording(const litetrace_span* span) {
  const Span* s = span_of(span);
  return s != nullptr && s->is_recording() ? 1 : 0;
}

litetrace_span_context litetrace_span_get_context(const litetrace_span* span) {
  const Span* s = span_of(span);
  return to_c(s != nullptr ? s->context() : litetrace::SpanContext{});
}

void litetrace_span_set_string_n(litetrace_span* span, const char* key, size_t key_length, const char* value,
                                 size_t value_length) {
  if (Span* s = span_of(span)) s->set_attribute(text(key, key_length), text(value, value_length));
}
void litetrace_span_set_bool_n(litetrace_span* span, const char* key, size_t key_length, int value) {
  if (Span* s = span_of(span)) s->set_attribute(text(key, key_length), value != 0);
}
void litetrace_span_set_int64_n(litetrace_span* span, const char* key, size_t key_length, int64_t value) {
  if (Span* s = span_of(span)) s->set_attribute(text(key, key_length), value);
}
void litetrace_span_set_double_n(litetrace_span* span, const char* key, size_t key_length, double value) {
  if (Span* s = span_of(span)) s->set_attribute(text(key, key_length), value);
}
void litetrace_span_set_bytes_n(litetrace_span* span, const char* key, size_t key_length, const void* data,
                                size_t size) {
  if (Span* s = span_of(span)) {
    s->set_attribute(text(key, key_length), litetrace::Bytes{data, data != nullptr ? size : 0});
  }
}
void litetrace_span_set_string_array(litetrace_span* span, const char* key, const char* const* values, size_t count) {
  Span* s = span_of(span);
  if (s == nullptr || (values == nullptr && count != 0)) return;
  s->set_attribute(text(key), litetrace::AttributeValue(litetrace::ArrayView<const char*>(values, count)));
}
void litetrace_span_set_bool_array(litetrace_span* span, const char* key, const uint8_t* values, size_t count) {
  Span* s = span_of(span);
  if (s == nullptr || (values == nullptr && count != 0)) return;
  s->set_attribute(text(key), litetrace::AttributeValue(litetrace::ArrayView<uint8_t>(values, count),
                                                        litetrace::AttributeValue::ByteBools{}));
}
void litetrace_span_set_int64_array(litetrace_span* span, const char* key, const int64_t* values, size_t count) {
  Span* s = span_of(span);
  if (s == nullptr || (values == nullptr && count != 0)) return;
  s->set_attribute(text(key), litetrace::AttributeValue(litetrace::ArrayView<int64_t>(values, count)));
}
void litetrace_span_set_double_array(litetrace_span* span, const char* key, const double* values, size_t count) {
  Span* s = span_of(span);
  if (s == nullptr || (values == nullptr && count != 0)) return;
  s->set_attribute(text(key), litetrace::AttributeValue(litetrace::ArrayView<double>(values, count)));
}

void litetrace_span_set_attributes(litetrace_span* span, const litetrace_attribute* attributes, size_t count) {
  Span* s = span_of(span);
  if (s == nullptr || attributes == nullptr) return;
  for (size_t i = 0; i < count; ++i) s->set_attribute(text(attributes[i].key), value_of(attributes[i]));
}

void litetrace_span_add_event(litetrace_span* span, const char* name, const litetrace_attribute* attributes,
                              size_t count) {
  Span* s = span_of(span);
  if (s == nullptr || !s->is_recording()) return;
  const AttributeList list(attributes, count);
  s->add_event(text(name), litetrace::SystemTime{}, list.view());
}

void litetrace_span_add_event_at(litetrace_span* span, const char* name, uint64_t time_unix_ns,
                                 const litetrace_attribute* attributes, size_t count) {
  Span* s = span_of(span);
  if (s == nullptr || !s->is_recording()) return;
  const AttributeList list(attributes, count);
  s->add_event(text(name), unix_time(time_unix_ns), list.view());
}

void litetrace_span_add_link(litetrace_span* span, const litetrace_span_context* context,
                             const litetrace_attribute* attributes, size_t count) {
  Span* s = span_of(span);
  if (s == nullptr || context == nullptr || !s->is_recording()) return;
  const AttributeList list(attributes, count);
  s->add_link(to_cpp(*context), list.view());
}

void litetrace_span_set_status(litetrace_span* span, int code, const char* description) {
  Span* s = span_of(span);
  if (s == nullptr || code < LITETRACE_STATUS_UNSET || code > LITETRACE_STATUS_ERROR) return;
  s->set_status(static_cast<litetrace::StatusCode>(code), text(description));
}

void litetrace_span_record_exception(litetrace_span* span, const char* type, const char* message,
                                     const char* stacktrace) {
  if (Span* s = span_of(span)) s->record_exception(text(type), text(message), text(stacktrace));
}

void litetrace_span_update_name(litetrace_span* span, const char* name) {
  if (Span* s = span_of(span)) s->update_name(text(name));
}

void litetrace_scope_enter(litetrace_scope* scope, const litetrace_span_context* context) {
  if (scope == nullptr) return;
  new (scope->opaque) litetrace::Scope(context != nullptr ? to_cpp(*context) : litetrace::SpanContext{});
}

void litetrace_scope_exit(litetrace_scope* scope) {
  if (scope == nullptr) return;
  std::launder(reinterpret_cast<litetrace::Scope*>(scope->opaque))->~Scope();
}

litetrace_span_context litetrace_current_context(void) { return to_c(litetrace::Scope::current()); }

// ---- propagation ----

void litetrace_inject(const litetrace_provider* provider, const litetrace_span_context* context,
                      litetrace_header_setter set, void* carrier) {
  if (provider == nullptr || context == nullptr || set == nullptr) return;
  litetrace::PropagationContext pc;
  pc.span_context = to_cpp(*context);
  provider->provider->propagator().inject(pc, [&](std::string_view name, std::string_view value) {
    const std::string n(name);
    const std::string v(value);
    set(carrier, n.c_str(), v.c_str());
  });
}

int litetrace_extract(const litetrace_provider* provider, litetrace_header_getter get, void* carrier,
                      litetrace_span_context* context) {
  if (context != nullptr) *context = to_c(litetrace::SpanContext{});
  if (provider == nullptr || get == nullptr || context == nullptr) return 0;
  std::string name;
  const litetrace::PropagationContext pc = provider->provider->propagator().extract([&](std::string_view n) {
    name.assign(n);
    return text(get(carrier, name.c_str()));
  });
  if (!pc.span_context.valid()) return 0;
  *context = to_c(pc.span_context);
  return 1;
}

const char* litetrace_version_string(void) { return litetrace::version(); }

}  // extern "C"
