#pragma once

// litetrace's tracing API, in the vocabulary of OpenTelemetry C++:
//
//   litetrace::TracerProviderOptions options;
//   options.service_name = "demo-app";
//   litetrace::TracerProvider provider(options);          // starts the batcher thread
//   litetrace::Tracer tracer = provider.tracer("my-lib", "1.0");
//   {
//     litetrace::Span span = tracer.start_span("demo-operation");
//     litetrace::Scope scope(span);                        // children parent themselves
//     span.set_attribute("http.status_code", 200);
//   }                                                      // ends on destruction
//   provider.shutdown();                                   // flushes
//
// Span operations take no lock, make no system call but a clock read, never block and,
// once a thread has started its first span, allocate nothing. Spans wait in a per-thread
// ring for the batcher thread, which sends them to Jaeger; a full ring drops the span and
// counts it. Nothing here throws.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "litetrace/diagnostic.h"

namespace litetrace {

namespace detail {
class ProviderCore;
struct SpanBuffer;
struct ThreadContext;
struct TracerScope;

// The part of a span's buffer that the setters' inline common case uses: SpanBuffer's base
// (src/core/span_record.h), where its items are appended.
struct SpanItems {
  uint8_t* items = nullptr;
  size_t used = 0;
  size_t capacity = 0;
  // The longest string value the setters' common case takes: max_attribute_length, or with
  // none, the most an item can say.
  size_t max_quick_value = 0;
};

// An attribute item's head, then [an 8-byte scalar value], the key, [the value's bytes]
// (src/core/span_record.h: ItemKind::kAttribute).
struct AttributeItemHead {
  uint8_t kind;  // ItemKind::kAttribute, kDeadAttribute, kEventAttribute or kLinkAttribute
  uint8_t type;  // ValueType
  uint16_t key_length;
  uint32_t value_length;  // string and bytes values; 0 for scalars
};
constexpr uint8_t kAttributeItem = 2;  // ItemKind::kAttribute
constexpr uint8_t kStringValue = 0;    // ValueType::kString, kBool, kInt64, kDouble
constexpr uint8_t kBoolValue = 1;
constexpr uint8_t kInt64Value = 2;
constexpr uint8_t kDoubleValue = 3;

// The value types a literal key's setter writes inline: string literals (char arrays),
// integers, floating point and bool.
template <typename V>
constexpr bool kInlineValue =
    std::is_arithmetic_v<V> || (std::is_array_v<V> && std::is_same_v<std::remove_extent_t<V>, char>);

// The setters' common case (span_record.h's item layout): an attribute item of `kind`
// appended when it needs no cut (a key within 0xFFFF bytes, a string value within
// max_quick_value) and fits the room left. Returns its size, or 0, having done nothing.
// `copy(to, text)` copies a text and returns where it ends: std::memcpy for the literal-key
// setters below, where the lengths are constants and the copies a few stores; a copy
// without a library call for the setters out of line (src/pipeline/trace.cc).
template <typename Copy>
inline size_t append_attribute_item(SpanItems& b, uint8_t kind, uint8_t type, std::string_view key, uint64_t scalar,
                                    std::string_view text, Copy copy) noexcept {
  const bool is_scalar = ((0b1110u >> type) & 1u) != 0;  // kBool, kInt64, kDouble
  if (key.size() > 0xFFFF || (!is_scalar && text.size() > b.max_quick_value)) return 0;
  const AttributeItemHead head{kind, type, static_cast<uint16_t>(key.size()),
                               static_cast<uint32_t>(is_scalar ? 0 : text.size())};
  const size_t size = sizeof head + (is_scalar ? 8 : head.value_length) + key.size();
  if (b.used + size > b.capacity) return 0;
  uint8_t* p = b.items + b.used;
  b.used += size;
  std::memcpy(p, &head, sizeof head);
  p += sizeof head;
  if (is_scalar) {
    std::memcpy(p, &scalar, 8);
    p += 8;
  }
  p = copy(p, key);
  if (!is_scalar) copy(p, text);
  return size;
}

// The literal-key setters' copy: a memcpy, of a constant length where they are inlined.
inline uint8_t* copy_inline_text(uint8_t* to, std::string_view text) noexcept {
  std::memcpy(to, text.data(), text.size());
  return to + text.size();
}

// A counted hold on a provider's core: the provider's, each tracer's, and each thread's
// that records for it (src/pipeline/provider_core.cc). The last hold to go destroys the
// core. A count in the core rather than a shared_ptr, whose control block, weak count and
// enable_shared_from_this every program linked.
void hold_core(ProviderCore* core) noexcept;
void let_go_of_core(ProviderCore* core) noexcept;
class CoreHold {
 public:
  CoreHold() noexcept = default;
  explicit CoreHold(ProviderCore* core) noexcept : core_(core) {  // a new hold (none for nullptr)
    if (core_ != nullptr) hold_core(core_);
  }
  CoreHold(const CoreHold& other) noexcept : CoreHold(other.core_) {}
  CoreHold(CoreHold&& other) noexcept : core_(other.core_) { other.core_ = nullptr; }
  CoreHold& operator=(CoreHold other) noexcept {
    ProviderCore* const previous = core_;
    core_ = other.core_;
    other.core_ = previous;  // let go of by `other`
    return *this;
  }
  ~CoreHold() {
    if (core_ != nullptr) let_go_of_core(core_);
  }
  ProviderCore* get() const noexcept { return core_; }
  ProviderCore* operator->() const noexcept { return core_; }

 private:
  ProviderCore* core_ = nullptr;
};
}  // namespace detail

class Sampler;
class Propagator;

// ---- identity ----

struct TraceId {
  uint64_t high = 0;  // the first 8 bytes, big-endian
  uint64_t low = 0;
  bool valid() const { return high != 0 || low != 0; }
  bool operator==(const TraceId& o) const { return high == o.high && low == o.low; }
  bool operator!=(const TraceId& o) const { return !(*this == o); }
};

enum TraceFlags : uint8_t { kTraceFlagSampled = 0x01, kTraceFlagDebug = 0x02 };

// Where a span sits: its trace, its id, and whether it is sampled.
struct SpanContext {
  TraceId trace_id;
  uint64_t span_id = 0;
  uint8_t flags = 0;
  bool remote = false;  // came from another process (propagation)

  bool valid() const { return trace_id.valid() && span_id != 0; }
  // Debug implies sampled, as in B3 and Jaeger: a context with the debug flag is sampled
  // whatever its sampled bit says, and every format injects it so.
  bool sampled() const { return (flags & (kTraceFlagSampled | kTraceFlagDebug)) != 0; }

  // Lowercase hex: 32 digits for the trace id, 16 for the span id.
  std::string trace_id_hex() const;
  std::string span_id_hex() const;
};

// ---- attributes ----

// Bytes for a binary attribute (Jaeger BINARY tag).
struct Bytes {
  const void* data = nullptr;
  size_t size = 0;
};

// A read-only view of an array: a pointer and a count (C++17 has no std::span). Made from
// a pointer and a count, a C array or a std::vector; it points into the caller's storage,
// which must last as long as the call that takes the view.
template <typename T>
class ArrayView {
 public:
  constexpr ArrayView() = default;
  constexpr ArrayView(const T* data, size_t size) : data_(data), size_(size) {}
  template <size_t N>
  constexpr ArrayView(const T (&array)[N]) : data_(array), size_(N) {}
  template <typename Allocator>
  ArrayView(const std::vector<T, Allocator>& v) : data_(v.data()), size_(v.size()) {}

  constexpr const T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr const T* begin() const { return data_; }
  constexpr const T* end() const { return data_ + size_; }

 private:
  const T* data_ = nullptr;
  size_t size_ = 0;
};

// An attribute value: string, bool, integer, double or bytes, or an array of strings,
// bools, integers or doubles. Strings are copied when the value is recorded, so the
// caller's storage may go away right after the call. A braced list is an array of what it
// holds: {1, 2} of integers, {"a", "b"} of strings, {true} of bools, {0.5} of doubles.
class AttributeValue {
 public:
  enum class Type : uint8_t { kString, kBool, kInt64, kDouble, kBytes, kStringArray, kBoolArray, kInt64Array,
                              kDoubleArray };
  // How an array's elements are held in the caller's storage.
  enum class Elements : uint8_t { kNone, kStringViews, kStrings, kCStrings, kBools, kByteBools, kInts, kInt64s,
                                  kDoubles };
  struct ByteBools {};  // bools held one per byte, 0 false, any other true (from C)

  AttributeValue(std::string_view v) : type_(Type::kString), str_(v) {}
  AttributeValue(const char* v) : type_(Type::kString), str_(v) {}
  AttributeValue(const std::string& v) : type_(Type::kString), str_(v) {}
  AttributeValue(bool v) : type_(Type::kBool), i_(v ? 1 : 0) {}
  template <typename I, typename std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  AttributeValue(I v) : type_(Type::kInt64), i_(static_cast<int64_t>(v)) {}
  AttributeValue(double v) : type_(Type::kDouble), d_(v) {}
  AttributeValue(float v) : type_(Type::kDouble), d_(static_cast<double>(v)) {}
  AttributeValue(Bytes v) : type_(Type::kBytes), str_(static_cast<const char*>(v.data), v.size) {}

  AttributeValue(ArrayView<std::string_view> v) : AttributeValue(Type::kStringArray, Elements::kStringViews, v) {}
  AttributeValue(ArrayView<std::string> v) : AttributeValue(Type::kStringArray, Elements::kStrings, v) {}
  AttributeValue(ArrayView<bool> v) : AttributeValue(Type::kBoolArray, Elements::kBools, v) {}
  AttributeValue(ArrayView<int64_t> v) : AttributeValue(Type::kInt64Array, Elements::kInt64s, v) {}
  AttributeValue(ArrayView<double> v) : AttributeValue(Type::kDoubleArray, Elements::kDoubles, v) {}
  AttributeValue(ArrayView<const char*> v) : AttributeValue(Type::kStringArray, Elements::kCStrings, v) {}
  AttributeValue(ArrayView<uint8_t> v, ByteBools) : AttributeValue(Type::kBoolArray, Elements::kByteBools, v) {}
  template <typename A>
  AttributeValue(const std::vector<std::string_view, A>& v)
      : AttributeValue(ArrayView<std::string_view>(v.data(), v.size())) {}
  template <typename A>
  AttributeValue(const std::vector<std::string, A>& v)
      : AttributeValue(ArrayView<std::string>(v.data(), v.size())) {}
  template <typename A>
  AttributeValue(const std::vector<int64_t, A>& v)
      : AttributeValue(ArrayView<int64_t>(v.data(), v.size())) {}
  template <typename A>
  AttributeValue(const std::vector<double, A>& v)
      : AttributeValue(ArrayView<double>(v.data(), v.size())) {}
  // Braced lists, each element type its own, so that each list is the array it looks like.
  AttributeValue(std::initializer_list<std::string_view> v)
      : AttributeValue(Type::kStringArray, Elements::kStringViews, ArrayView<std::string_view>(v.begin(), v.size())) {}
  AttributeValue(std::initializer_list<const char*> v)
      : AttributeValue(Type::kStringArray, Elements::kCStrings, ArrayView<const char*>(v.begin(), v.size())) {}
  AttributeValue(std::initializer_list<bool> v)
      : AttributeValue(Type::kBoolArray, Elements::kBools, ArrayView<bool>(v.begin(), v.size())) {}
  AttributeValue(std::initializer_list<int> v)
      : AttributeValue(Type::kInt64Array, Elements::kInts, ArrayView<int>(v.begin(), v.size())) {}
  AttributeValue(std::initializer_list<int64_t> v)
      : AttributeValue(Type::kInt64Array, Elements::kInt64s, ArrayView<int64_t>(v.begin(), v.size())) {}
  AttributeValue(std::initializer_list<double> v)
      : AttributeValue(Type::kDoubleArray, Elements::kDoubles, ArrayView<double>(v.begin(), v.size())) {}

  Type type() const { return type_; }
  std::string_view string_value() const { return str_; }  // kString and kBytes
  bool bool_value() const { return i_ != 0; }
  int64_t int64_value() const { return i_; }
  double double_value() const { return d_; }
  bool is_array() const { return elements_ != Elements::kNone; }
  // An array's elements: how they are held, where, and how many.
  Elements elements() const { return elements_; }
  const void* array_data() const { return array_; }
  size_t array_size() const { return static_cast<size_t>(i_); }

 private:
  template <typename T>
  AttributeValue(Type type, Elements elements, ArrayView<T> v)
      : type_(type), elements_(elements), array_(v.data()), i_(static_cast<int64_t>(v.size())) {}

  Type type_;
  Elements elements_ = Elements::kNone;
  std::string_view str_;
  const void* array_ = nullptr;
  int64_t i_ = 0;  // the value of kBool and kInt64; an array's size
  double d_ = 0;
};

struct Attribute {
  std::string_view key;
  AttributeValue value;
};

// Passed by value in a call, so a braced list lives exactly as long as the call needs it.
using Attributes = std::initializer_list<Attribute>;

// ---- spans ----

enum class SpanKind : uint8_t { kInternal, kServer, kClient, kProducer, kConsumer };
enum class StatusCode : uint8_t { kUnset, kOk, kError };

using SystemTime = std::chrono::system_clock::time_point;

struct StartSpanOptions {
  SpanKind kind = SpanKind::kInternal;
  // The parent: an explicit context (local or extracted from a request), else the
  // thread's current span (see Scope), else none: a new trace.
  SpanContext parent;
  bool root = false;  // ignore the current span: start a new trace
  SystemTime start_time{};  // default: now
  // The parent's W3C tracestate (PropagationContext::trace_state), copied into the span
  // when it has a parent: OTLP carries it, Jaeger has no place for it.
  std::string_view trace_state;
};

// A link to another span: its context and, optionally, attributes of the link itself
// (kept on OTLP; see the README for Jaeger and Zipkin). A SpanContext alone is a Link.
struct Link {
  Link(const SpanContext& c, Attributes a = {}) : context(c), attributes(a) {}  // NOLINT: implicit by design
  SpanContext context;
  Attributes attributes;
};

using Links = std::initializer_list<Link>;

// A span being recorded. Ends when end() is called or when it is destroyed. Movable,
// not copyable. A default-constructed or non-recording Span accepts every call and does
// nothing (an unsampled span still has a context, so it propagates).
//
// Thread: a Span is used by one thread at a time; it may be moved to and ended on another.
// Lifetime: end a span before its TracerProvider, its Tracers and the thread that started it
// are all gone (any one of them keeps what the span needs alive).
class Span {
 public:
  Span() noexcept = default;
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() {
    if (buffer_ != nullptr) end();
  }

  // The same key again replaces the earlier value, in the place the key was first set at.
  // One overload per type, so the hot path needs no type switch; AttributeValue takes any.
  void set_attribute(std::string_view key, std::string_view value) noexcept;
  void set_attribute(std::string_view key, const char* value) noexcept { set_attribute(key, std::string_view(value)); }
  void set_attribute(std::string_view key, const std::string& value) noexcept {
    set_attribute(key, std::string_view(value));
  }
  void set_attribute(std::string_view key, bool value) noexcept;
  template <typename I, typename std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  void set_attribute(std::string_view key, I value) noexcept {
    set_int64_attribute(key, static_cast<int64_t>(value));
  }
  void set_attribute(std::string_view key, double value) noexcept;
  void set_attribute(std::string_view key, float value) noexcept { set_attribute(key, static_cast<double>(value)); }
  void set_attribute(std::string_view key, Bytes value) noexcept;
  void set_attribute(std::string_view key, const AttributeValue& value) noexcept;
  // A key that is a literal (or a char array: its length is strlen's) with a string
  // literal, an integer, a floating-point or a bool value: as above, with the common case
  // inline, where the lengths are constants and the copies a few stores.
  template <size_t K, typename V, typename std::enable_if_t<detail::kInlineValue<V>, int> = 0>
  void set_attribute(const char (&key)[K], const V& value) noexcept {
    if (buffer_ == nullptr) return;
    const std::string_view k(key);
    const auto append = [&](uint8_t type, uint64_t scalar, std::string_view text) {
      return detail::append_attribute_item(*buffer_, detail::kAttributeItem, type, k, scalar, text,
                                           [](uint8_t* p, std::string_view t) { return detail::copy_inline_text(p, t); });
    };
    if constexpr (std::is_array_v<V>) {
      const std::string_view v(value);
      if (append(detail::kStringValue, 0, v) == 0) set_attribute(k, v);
    } else if constexpr (std::is_same_v<V, bool>) {
      if (append(detail::kBoolValue, value ? 1 : 0, {}) == 0) set_attribute(k, value);
    } else if constexpr (std::is_floating_point_v<V>) {
      const double d = static_cast<double>(value);
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      if (append(detail::kDoubleValue, bits, {}) == 0) set_attribute(k, d);
    } else {
      if (append(detail::kInt64Value, static_cast<uint64_t>(static_cast<int64_t>(value)), {}) == 0) {
        set_int64_attribute(k, static_cast<int64_t>(value));
      }
    }
  }
  // Arrays from braced lists: {1, 2} is an array of integers, {"a", "b"} of strings (a
  // std::string parameter would otherwise take {"a", "b"} as two iterators). Vectors and
  // ArrayViews go through AttributeValue.
  void set_attribute(std::string_view key, std::initializer_list<std::string_view> values) noexcept {
    set_attribute(key, AttributeValue(values));
  }
  void set_attribute(std::string_view key, std::initializer_list<const char*> values) noexcept {
    set_attribute(key, AttributeValue(values));
  }
  void set_attribute(std::string_view key, std::initializer_list<bool> values) noexcept {
    set_attribute(key, AttributeValue(values));
  }
  void set_attribute(std::string_view key, std::initializer_list<int> values) noexcept {
    set_attribute(key, AttributeValue(values));
  }
  void set_attribute(std::string_view key, std::initializer_list<int64_t> values) noexcept {
    set_attribute(key, AttributeValue(values));
  }
  void set_attribute(std::string_view key, std::initializer_list<double> values) noexcept {
    set_attribute(key, AttributeValue(values));
  }
  // Each attribute of the list, in order, as set_attribute() would.
  void set_attributes(Attributes attributes) noexcept {
    set_attributes(ArrayView<Attribute>(attributes.begin(), attributes.size()));
  }
  void set_attributes(ArrayView<Attribute> attributes) noexcept;
  void add_event(std::string_view name, Attributes attributes = {}) noexcept {
    add_event(name, SystemTime{}, ArrayView<Attribute>(attributes.begin(), attributes.size()));
  }
  void add_event(std::string_view name, SystemTime time, Attributes attributes = {}) noexcept {
    add_event(name, time, ArrayView<Attribute>(attributes.begin(), attributes.size()));
  }
  // The same with attributes in an array or a vector (SystemTime{}: now).
  void add_event(std::string_view name, SystemTime time, ArrayView<Attribute> attributes) noexcept;
  // An event named "exception" with exception.type, exception.message and
  // exception.stacktrace (those given), as the semantic conventions say. The span's
  // status is left as it is.
  void record_exception(std::string_view type, std::string_view message, std::string_view stacktrace = {}) noexcept;
  void add_link(const SpanContext& context, Attributes attributes = {}) noexcept {
    add_link(context, ArrayView<Attribute>(attributes.begin(), attributes.size()));
  }
  void add_link(const SpanContext& context, ArrayView<Attribute> attributes) noexcept;
  // Unset < Error < Ok, as in OpenTelemetry: Ok is final, Unset never overrides.
  void set_status(StatusCode code, std::string_view description = {}) noexcept;
  void update_name(std::string_view name) noexcept;
  void end() noexcept;
  void end(SystemTime end_time) noexcept;

  const SpanContext& context() const noexcept { return context_; }
  bool is_recording() const noexcept { return buffer_ != nullptr; }

 private:
  friend class Tracer;
  Span(detail::SpanItems* buffer, const SpanContext& context) noexcept : buffer_(buffer), context_(context) {}
  // A started span's: its context is never remote. Field by field, as a copy of a whole
  // SpanContext copies its padding too (clang 14: four more instructions a span).
  Span(detail::SpanItems* buffer, TraceId trace_id, uint64_t span_id, uint8_t flags) noexcept
      : buffer_(buffer), context_{trace_id, span_id, flags, false} {}
  void set_int64_attribute(std::string_view key, int64_t value) noexcept;

  detail::SpanItems* buffer_ = nullptr;  // a detail::SpanBuffer
  SpanContext context_;
};

// Makes a span the thread's current span until the Scope is destroyed; spans started
// meanwhile on this thread become its children. Scopes nest and must be destroyed in
// reverse order of creation, on the thread that created them.
class Scope {
 public:
  explicit Scope(const Span& span) noexcept : Scope(span.context()) {}
  explicit Scope(const SpanContext& context) noexcept;
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  // The current span's context on this thread (invalid when there is none).
  static SpanContext current() noexcept;

 private:
  SpanContext previous_;
};

// Starts spans for one instrumentation scope (a library name and version, which Jaeger
// shows as otel.scope.name / otel.scope.version). Cheap to copy; valid while its
// TracerProvider's core lives (spans started after shutdown are dropped and counted).
// A tracer from global_tracer() follows the global provider instead (below).
class Tracer {
 public:
  Tracer() = default;
  // As OpenTelemetry's StartSpan(name, attributes, links, options).
  Span start_span(std::string_view name, Attributes attributes, Links links = {},
                  const StartSpanOptions& options = {}) const noexcept;
  Span start_span(std::string_view name, const StartSpanOptions& options) const noexcept {
    return start_span(name, {}, {}, options);
  }
  // The common case (an internal span, child of the current one, starting now) on a path
  // of its own.
  Span start_span(std::string_view name) const noexcept;

 private:
  // Ids, sampling, counting, and the recording span's buffer with its header and name:
  // what both start_span paths share, for a thread that has recorded for `core` (its
  // ThreadContext caches it). nullptr when the span does not record.
  detail::SpanBuffer* begin(detail::ThreadContext& tc, detail::ProviderCore* core, const SpanContext& parent,
                            bool has_parent, std::string_view name, SpanKind kind, SpanContext& ctx) const noexcept;
  // For a thread that has no state for `core`, which cannot have one (trace.cc:
  // cache_thread_state): the span's ids and sampling decision, counted; it records nothing.
  void begin_without_state(detail::ThreadContext& tc, detail::ProviderCore* core, const SpanContext& parent,
                           bool has_parent, std::string_view name, SpanKind kind, SpanContext& ctx) const noexcept;
  // start_span(name) with begin_without_state(), for the core start_span(name) found.
  Span start_span_without_state(detail::ProviderCore* core, std::string_view name) const noexcept;
  // This tracer's provider's core, or for a global tracer the global one's; nullptr: none.
  detail::ProviderCore* recording_core() const noexcept;
  friend class TracerProvider;
  friend Tracer global_tracer(std::string_view scope_name, std::string_view scope_version);
  Tracer(detail::CoreHold core, const detail::TracerScope* scope, bool global = false)
      : core_(std::move(core)), scope_(scope), global_(global) {}
  detail::CoreHold core_;
  const detail::TracerScope* scope_ = nullptr;
  bool global_ = false;  // core_ is empty: spans go to the global provider of the moment
};

// ---- the provider ----

// Where spans go (OTEL_TRACES_EXPORTER). The OpenTelemetry default is OTLP; litetrace's is
// Jaeger's agent, compact Thrift over UDP (agent_host, agent_port).
enum class TracesExporter : uint8_t {
  kJaeger,  // "jaeger"
  kOtlp,    // "otlp": OTLP over HTTP (otlp_endpoint), on a sender thread of its own
  kNone,    // "none": spans are recorded, then discarded (TracerStats::spans_discarded)
  kConsole, // "console": each batch as a span tree on stderr, as litetrace-dump prints it
  kZipkin,  // "zipkin": Zipkin's v2 JSON over HTTP (zipkin_endpoint), on a sender thread of its own
};

// How spans reach Jaeger (exporter = kJaeger; OTEL_EXPORTER_JAEGER_PROTOCOL).
enum class JaegerProtocol : uint8_t {
  kUdpThriftCompact,  // "udp/thrift.compact": emitBatch datagrams to the agent (agent_host, agent_port)
  kUdpThriftBinary,   // "udp/thrift.binary": the same in binary Thrift, for the agent's port 6832
  kHttpThriftBinary,  // "http/thrift.binary": Batch bodies POSTed to the collector (jaeger_endpoint),
                      // on a sender thread of its own; no datagram size limit, every answer heard
};

// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" or "http/json".
enum class OtlpProtocol : uint8_t { kHttpProtobuf, kHttpJson };

// Every numeric field has a valid range, given beside it. A value outside its range is
// not used: the default is kept and a kInvalidOption diagnostic says which value and why
// (the same rule as for OTEL_* variables, environment.h).
struct TracerProviderOptions {
  // Out of line, optimized for size: a program that sets options once does not carry an
  // inline copy of every member's construction, copy and destruction.
  TracerProviderOptions();
  ~TracerProviderOptions();
  TracerProviderOptions(const TracerProviderOptions& other);
  TracerProviderOptions(TracerProviderOptions&& other) noexcept;
  TracerProviderOptions& operator=(const TracerProviderOptions& other);
  TracerProviderOptions& operator=(TracerProviderOptions&& other) noexcept;

  std::string service_name = "unknown_service";
  // More Process tags; jaeger.version, hostname and ip are added unless given here.
  std::vector<std::pair<std::string, std::string>> resource_attributes;

  TracesExporter exporter = TracesExporter::kJaeger;

  JaegerProtocol jaeger_protocol = JaegerProtocol::kUdpThriftCompact;
  std::string agent_host = "localhost";
  uint16_t agent_port = 6831;        // 1 to 65535
  size_t max_packet_size = 65000;    // 512 to 65527 (the largest UDP payload over IPv6)
  // Jaeger's collector over HTTP (jaeger_protocol = kHttpThriftBinary): the whole URL,
  // http:// only; HTTP basic authentication when jaeger_user is not empty.
  std::string jaeger_endpoint = "http://localhost:14268/api/traces";
  std::chrono::milliseconds jaeger_timeout{10000};  // one export and its retries: 1 ms to 1 hour
  std::string jaeger_user;
  std::string jaeger_password;
  size_t jaeger_max_request_bytes = 4 << 20;  // a request's body: 4 KiB to 64 MiB

  // OTLP over HTTP (exporter = kOtlp). The endpoint is the whole URL, http:// only (TLS is
  // not built in: reach a local collector or agent over plain http).
  std::string otlp_endpoint = "http://localhost:4318/v1/traces";
  OtlpProtocol otlp_protocol = OtlpProtocol::kHttpProtobuf;
  std::vector<std::pair<std::string, std::string>> otlp_headers;  // sent with every request
  std::chrono::milliseconds otlp_timeout{10000};  // one export and its retries: 1 ms to 1 hour
  size_t max_export_batch_size = 512;             // spans per request: 1 to 65535

  // Zipkin's v2 API (exporter = kZipkin): JSON spans POSTed to the whole URL, http:// only.
  std::string zipkin_endpoint = "http://localhost:9411/api/v2/spans";
  std::chrono::milliseconds zipkin_timeout{10000};  // one export and its retries: 1 ms to 1 hour
  size_t zipkin_max_request_bytes = 4 << 20;        // a request's body: 4 KiB to 64 MiB

  // Bytes of ring per tracing thread, 4 KiB to 1 GiB (rounded up to a power of two); a span
  // that finds its thread's ring full is dropped and counted (fullQueueDroppedSpans).
  size_t ring_bytes_per_thread = 256 * 1024;
  std::chrono::milliseconds flush_interval{1000};  // 0 to 1 hour

  // Per-span limits; what is over them is dropped and counted on the span
  // (otel.dropped_attributes_count, otel.dropped_events_count, otel.dropped_links_count).
  size_t max_attributes = 128;            // 0 to 65535
  size_t max_events = 128;                // 0 to 65535
  size_t max_links = 128;                 // 0 to 65535
  size_t max_attributes_per_event = 128;  // 0 to 65535
  size_t max_attributes_per_link = 128;   // 0 to 65535; a link's own, never the span's count
  size_t max_attribute_length = 0;  // 0 = unlimited, up to 2^32 - 1; longer strings are truncated

  // Which spans are recorded (sampler.h). nullptr: the parent's decision, else sampled
  // (ParentBasedSampler(AlwaysOnSampler) without sampler tags on the wire).
  std::shared_ptr<Sampler> sampler;
  // What TracerProvider::propagator() hands out (propagation.h). nullptr: W3C Trace
  // Context and W3C Baggage.
  std::shared_ptr<const Propagator> propagator;

  // Record nothing: no batcher thread, no socket; spans are not recording (their
  // contexts still propagate). OTEL_SDK_DISABLED=true.
  bool disabled = false;

  // Problems options_from_environment() found (environment.h); the provider reports each
  // as a kInvalidOption diagnostic when it starts.
  std::vector<std::string> configuration_errors;

  // Problems litetrace meets (a missing agent, a span too large, ...), on the batcher
  // thread; a JaegerRemoteSampler that takes the provider's callback (Sampler::attach)
  // calls it on its poller thread too, possibly at the same time, for as long as that
  // sampler lives. Default: a line on stderr, at most once a second per kind.
  DiagnosticCallback on_diagnostic;
};

// Counters since the provider started; readable from any thread at any time.
struct TracerStats {
  uint64_t spans_started = 0;         // recording spans started
  uint64_t spans_not_sampled = 0;     // spans started but not recorded
  uint64_t spans_ended = 0;           // recording spans ended (each counted once below)
  // Reached the socket. UDP confirms nothing: when nothing listens on the agent's port, the
  // kernel learns so from an ICMP reply that fails the *next* send, so the first datagram
  // after the agent went away counts as exported and the ones after it as failed.
  // Over HTTP (OTLP, Jaeger's collector): the server answered 2xx. Console: written to stderr.
  uint64_t spans_exported = 0;
  uint64_t spans_dropped_queue = 0;   // ring full, or ended after shutdown
  uint64_t spans_dropped_too_large = 0;
  uint64_t spans_failed = 0;          // in a datagram that could not be sent, a request given up
  uint64_t spans_rejected = 0;        // OTLP: the server rejected them (partial_success)
  uint64_t spans_dropped_export_queue = 0;  // HTTP: too many requests waited for the server
  uint64_t spans_discarded = 0;       // the exporter is TracesExporter::kNone
  uint64_t spans_pending = 0;         // ended, waiting in a ring or a packet
  uint64_t packets_sent = 0;
  uint64_t packets_failed = 0;        // datagrams the socket refused (their spans: spans_failed)
  uint64_t requests_sent = 0;         // HTTP: requests the server answered 2xx
  uint64_t requests_retried = 0;      // HTTP: attempts made again (no connection, 429, ...)
  uint64_t requests_failed = 0;       // HTTP: requests given up (their spans: spans_failed)
  uint64_t bytes_sent = 0;
};

// What application threads read span times from. A CPU counter costs a few ns a read;
// the batcher converts its ticks against CLOCK_MONOTONIC (durations) and CLOCK_REALTIME
// (start times).
enum class ClockSource {
  kTsc,             // x86 invariant TSC
  kArmCounter,      // arm64 generic timer (CNTVCT_EL0)
  kMonotonicClock,  // no constant-rate counter: clock_gettime(CLOCK_MONOTONIC)
};
const char* to_string(ClockSource source) noexcept;

// Owns the batcher thread and everything it sends. Creating it starts the thread;
// shutdown() (or the destructor) flushes and stops it.
class TracerProvider {
 public:
  // The provider keeps a copy of `options`.
  explicit TracerProvider(const TracerProviderOptions& options = {});
  ~TracerProvider();
  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  // Thread-safe; tracers with the same name and version share their scope.
  Tracer tracer(std::string_view scope_name, std::string_view scope_version = {});

  // Sends every span that ended before the call; true when all of them were delivered
  // within `timeout`. Over UDP (Jaeger) that is when the socket took them: it waits for
  // the batcher, never for the network. Over HTTP (OTLP) it waits for the server's answer.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // force_flush, then stop the batcher. Idempotent. Spans ended afterwards are dropped and
  // counted.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  TracerStats stats() const;
  // What this process times spans with (also said as a kClockSource diagnostic at start).
  ClockSource clock_source() const noexcept;
  // Where spans go, e.g. "127.0.0.1:6831" (empty until the agent was resolved).
  std::string agent_address() const;
  // The configured propagator (options.propagator, by default W3C Trace Context + Baggage).
  const Propagator& propagator() const;

 private:
  friend void set_global_provider(std::shared_ptr<TracerProvider> provider) noexcept;
  detail::CoreHold core_;
};

// ---- the global provider ----
//
// For libraries, which should not make every application pass them a provider: a library
// fetches its tracer once with global_tracer("its.name", "its version"), any time (at
// static initialization too), and starts spans with it. Until the application installs a
// provider with set_global_provider(), those spans are no-ops that cost a few nanoseconds
// and carry the incoming context on unchanged (the parent's, so propagation still works);
// from then on the same Tracer records to that provider, with the library's scope name
// (OpenTelemetry's proxy tracer). Replacing or removing (nullptr) the provider is
// thread-safe; a span ends on the provider it started on. Recording through a global
// tracer takes no lock and no reference count per span: each thread holds the installed
// provider's core from its first global span after each change until it sees the next
// change or exits.
//
// The global provider is never destroyed, so global tracers work during static
// destruction. At exit it is shut down (flushed) once, by an atexit handler registered by
// the first global_tracer() or set_global_provider() call: static objects constructed
// after that call record to it from their destructors; spans ended after the handler ran
// are dropped and counted.
void set_global_provider(std::shared_ptr<TracerProvider> provider) noexcept;
// The installed provider, or nullptr.
std::shared_ptr<TracerProvider> global_provider() noexcept;
Tracer global_tracer(std::string_view scope_name, std::string_view scope_version = {});

}  // namespace litetrace
