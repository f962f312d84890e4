#pragma once

// Context propagation: carrying a span's context (and baggage) across a process boundary
// in request headers, in the formats other tracers speak.
//
//   // client: put the current span's context into the outgoing request
//   litetrace::W3CTraceContextPropagator w3c;
//   litetrace::inject_into(w3c, litetrace::PropagationContext{span.context()}, headers);
//
//   // server: the incoming request's context becomes the parent of the handler's span
//   litetrace::PropagationContext incoming = litetrace::extract_from(w3c, request_headers);
//   litetrace::StartSpanOptions options;
//   options.kind = litetrace::SpanKind::kServer;
//   options.parent = incoming.span_context;     // invalid when absent: a new trace
//   litetrace::Span span = tracer.start_span("handle", options);
//
// Formats: W3C Trace Context (traceparent, tracestate), W3C Baggage (baggage), Jaeger
// (uber-trace-id, uberctx-*), B3 single header (b3) and B3 multi header (x-b3-*), and a
// composite of several. Parsing is strict; a header that breaks its specification is
// ignored as a whole (no partial context), so a malformed request starts a new trace.
//
// Headers are read and written through callables, so any header map works; inject_into()
// and extract_from() adapt the usual containers. Header names are passed in lower case;
// a getter over HTTP/1 headers should compare names without regard to case.
//
// Thread: propagators are immutable; any thread may use one at any time. None of this is
// on the span hot path: extracting and injecting may allocate.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "litetrace/trace.h"

namespace litetrace {

// A non-owning reference to a callable: cheap to pass, valid while the callable lives
// (the duration of the call it is passed to). May be empty.
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  FunctionRef() noexcept = default;
  template <typename F,
            typename std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                          std::is_invocable_r_v<R, F&, Args...>,
                                      int> = 0>
  FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor): a callable converts
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {
    // A getter that returns a std::string by value would hand back a view of a temporary.
    static_assert(!std::is_same_v<std::decay_t<std::invoke_result_t<F&, Args...>>, std::string> ||
                      std::is_same_v<R, std::string> || std::is_void_v<R>,
                  "return a std::string_view (or const std::string&) of storage that outlives the call");
  }

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }
  explicit operator bool() const noexcept { return call_ != nullptr; }

 private:
  void* object_ = nullptr;
  R (*call_)(void*, Args...) = nullptr;
};

// The value of header `name` (lower case), or an empty view when there is none.
using HeaderGetter = FunctionRef<std::string_view(std::string_view name)>;
// Calls `visit` with the name of every header; needed to find prefixed baggage headers
// (uberctx-*). May be empty: then such baggage is not extracted.
using HeaderLister = FunctionRef<void(FunctionRef<void(std::string_view name)> visit)>;
// Adds or replaces header `name` (lower case).
using HeaderSetter = FunctionRef<void(std::string_view name, std::string_view value)>;

using Baggage = std::vector<std::pair<std::string, std::string>>;

// What crosses the process boundary.
struct PropagationContext {
  PropagationContext() = default;
  explicit PropagationContext(const SpanContext& span) : span_context(span) {}

  SpanContext span_context;  // remote = true when extracted
  std::string trace_state;   // W3C tracestate, as received (validated)
  Baggage baggage;           // in order; keys unique

  bool valid() const { return span_context.valid(); }
  // The same trace state and baggage around another span: what a server passes on to the
  // calls its span makes.
  PropagationContext with_span(const SpanContext& span) const;
  // Adds a baggage entry, or replaces the value of an entry with the same key.
  void set_baggage(std::string_view key, std::string_view value);
  // The value for `key`, or empty.
  std::string_view baggage_value(std::string_view key) const;
};

class Propagator {
 public:
  virtual ~Propagator() = default;

  virtual void inject(const PropagationContext& context, HeaderSetter set) const = 0;
  // Updates `context` from the headers this format owns; a format whose headers are
  // absent or malformed leaves `context` as it was.
  virtual void extract(HeaderGetter get, HeaderLister list, PropagationContext& context) const = 0;

  PropagationContext extract(HeaderGetter get, HeaderLister list = {}) const {
    PropagationContext context;
    extract(get, list, context);
    return context;
  }
};

// traceparent: 00-{32 hex trace id}-{16 hex span id}-{2 hex flags}; tracestate.
class W3CTraceContextPropagator final : public Propagator {
 public:
  void inject(const PropagationContext& context, HeaderSetter set) const override;
  void extract(HeaderGetter get, HeaderLister list, PropagationContext& context) const override;
  using Propagator::extract;
};

// baggage: key=value,... (W3C Baggage); carries baggage only, no span context.
class W3CBaggagePropagator final : public Propagator {
 public:
  void inject(const PropagationContext& context, HeaderSetter set) const override;
  void extract(HeaderGetter get, HeaderLister list, PropagationContext& context) const override;
  using Propagator::extract;
};

// uber-trace-id: {trace id}:{span id}:{parent span id}:{flags}, baggage in uberctx-{key}.
class JaegerPropagator final : public Propagator {
 public:
  void inject(const PropagationContext& context, HeaderSetter set) const override;
  void extract(HeaderGetter get, HeaderLister list, PropagationContext& context) const override;
  using Propagator::extract;
};

// B3: one b3 header, or x-b3-traceid / x-b3-spanid / x-b3-sampled / x-b3-flags. Extract
// reads both encodings (the single header first); inject writes the chosen one.
class B3Propagator final : public Propagator {
 public:
  enum class Encoding : uint8_t { kSingleHeader, kMultiHeader };
  explicit B3Propagator(Encoding encoding = Encoding::kSingleHeader) : encoding_(encoding) {}
  void inject(const PropagationContext& context, HeaderSetter set) const override;
  void extract(HeaderGetter get, HeaderLister list, PropagationContext& context) const override;
  using Propagator::extract;

 private:
  Encoding encoding_;
};

// Injects with every member; extracts with each in order, so a later format's valid
// context wins, as in OpenTelemetry's composite propagator. Baggage is merged.
class CompositePropagator final : public Propagator {
 public:
  explicit CompositePropagator(std::vector<std::shared_ptr<const Propagator>> members)
      : members_(std::move(members)) {}
  void inject(const PropagationContext& context, HeaderSetter set) const override;
  void extract(HeaderGetter get, HeaderLister list, PropagationContext& context) const override;
  using Propagator::extract;
  size_t size() const { return members_.size(); }

 private:
  std::vector<std::shared_ptr<const Propagator>> members_;
};

// A propagator from an OTEL_PROPAGATORS list: comma-separated names among tracecontext,
// baggage, b3, b3multi, jaeger and none. On an unknown or empty name returns nullptr and
// says why in `error` (when given).
std::shared_ptr<const Propagator> make_propagator(std::string_view names, std::string* error = nullptr);

// ---- adapters for header containers ----

namespace detail {
bool header_name_equal(std::string_view a, std::string_view b);  // ASCII, case-insensitive

template <typename T, typename = void>
struct HasInsertOrAssign : std::false_type {};
template <typename T>
struct HasInsertOrAssign<T, std::void_t<decltype(std::declval<T&>().insert_or_assign(std::declval<std::string>(),
                                                                                     std::declval<std::string>()))>>
    : std::true_type {};
}  // namespace detail

// Extracts from any iterable container of (name, value) pairs (std::map,
// std::unordered_map, std::multimap, std::vector<std::pair<...>>), comparing names without
// regard to case.
template <typename Headers>
PropagationContext extract_from(const Propagator& propagator, const Headers& headers) {
  auto get = [&headers](std::string_view name) -> std::string_view {
    for (const auto& header : headers) {
      if (detail::header_name_equal(header.first, name)) return header.second;
    }
    return {};
  };
  auto list = [&headers](FunctionRef<void(std::string_view)> visit) {
    for (const auto& header : headers) visit(header.first);
  };
  return propagator.extract(get, list);
}

// Injects into a map with std::string keys (insert_or_assign) or a sequence of pairs
// (replacing a header of the same name, else appending).
template <typename Headers>
void inject_into(const Propagator& propagator, const PropagationContext& context, Headers& headers) {
  auto set = [&headers](std::string_view name, std::string_view value) {
    if constexpr (detail::HasInsertOrAssign<Headers>::value) {
      headers.insert_or_assign(std::string(name), std::string(value));
    } else {
      for (auto& header : headers) {
        if (detail::header_name_equal(header.first, name)) {
          header.second = std::string(value);
          return;
        }
      }
      headers.emplace_back(std::string(name), std::string(value));
    }
  };
  propagator.inject(context, set);
}

}  // namespace litetrace
