/*
 * litetrace for C (C99 and later, and C++): the tracing API of <litetrace/trace.h> behind
 * opaque handles and plain functions, for services that cannot call C++.
 *
 *   litetrace_options* options = litetrace_options_from_environment();
 *   litetrace_options_set_service_name(options, "demo-app");
 *   litetrace_provider* provider = litetrace_provider_new(options);
 *   litetrace_options_free(options);
 *   litetrace_tracer* tracer = litetrace_provider_tracer(provider, "my.module", "1.0");
 *
 *   litetrace_span span;
 *   litetrace_span_start(tracer, &span, "handle request", NULL);
 *   litetrace_span_set_int64(&span, "request.size", 512);
 *   litetrace_span_end(&span);
 *
 *   litetrace_tracer_free(tracer);
 *   litetrace_provider_free(provider);  (flushes and stops, as shutdown does)
 *
 * The rules:
 * - Every function accepts NULL for any handle and then does nothing (a getter returns 0,
 *   a span or context it fills is left invalid). Nothing crosses this API as an exception.
 * - Strings are NUL-terminated and copied when a call records them: the caller's storage
 *   may go right after the call. The span calls are inline wrappers over *_n functions
 *   that take each string with its length (a literal's is known where it is compiled);
 *   call those directly for text that is not NUL-terminated.
 * - A span lives in storage the caller provides (litetrace_span, a fixed-size struct, on
 *   the stack or in the caller's object): starting, attributes and ending allocate nothing
 *   once the thread has started its first span, take no lock and never wait, as in C++.
 * - The ABI stays stable as litetrace grows: options are set through functions on an
 *   opaque handle, statistics are read one by one, and structs that may grow carry their
 *   size in their first member (use the *_INIT macros).
 *
 * Threads: a provider, a tracer and the options functions may be used from any thread; a
 * span by one thread at a time (it may be ended on another).
 */
#ifndef LITETRACE_LITETRACE_H
#define LITETRACE_LITETRACE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- handles ---- */

typedef struct litetrace_options litetrace_options;
typedef struct litetrace_provider litetrace_provider;
typedef struct litetrace_tracer litetrace_tracer;

/* A span's storage: opaque, of a fixed size, zeroed by litetrace_span_start() when there is
 * no span to record. Move it only with memcpy (it holds no pointer into itself). */
typedef struct litetrace_span {
  uint64_t opaque[8];
} litetrace_span;

/* The saved current span of a litetrace_scope_enter(); opaque. */
typedef struct litetrace_scope {
  uint64_t opaque[6];
} litetrace_scope;

/* Where a span sits: its trace (128 bits), its id, its W3C trace flags (bit 0: sampled),
 * and whether it came from another process. Invalid when the ids are zero. */
typedef struct litetrace_span_context {
  uint64_t trace_id_high;
  uint64_t trace_id_low;
  uint64_t span_id;
  uint8_t flags;
  uint8_t remote;
} litetrace_span_context;

/* ---- enumerations (the values of <litetrace/trace.h>) ---- */

enum {
  LITETRACE_SPAN_KIND_INTERNAL = 0,
  LITETRACE_SPAN_KIND_SERVER = 1,
  LITETRACE_SPAN_KIND_CLIENT = 2,
  LITETRACE_SPAN_KIND_PRODUCER = 3,
  LITETRACE_SPAN_KIND_CONSUMER = 4
};

enum { LITETRACE_STATUS_UNSET = 0, LITETRACE_STATUS_OK = 1, LITETRACE_STATUS_ERROR = 2 };

enum {
  LITETRACE_EXPORTER_JAEGER = 0,  /* Jaeger's agent over UDP (the default) */
  LITETRACE_EXPORTER_OTLP = 1,    /* OTLP over HTTP */
  LITETRACE_EXPORTER_NONE = 2,    /* recorded, then discarded and counted */
  LITETRACE_EXPORTER_CONSOLE = 3, /* each batch as a span tree on stderr */
  LITETRACE_EXPORTER_ZIPKIN = 4   /* Zipkin's v2 JSON over HTTP */
};

/* ---- options ---- */

/* The defaults, or the defaults with the OpenTelemetry environment variables applied
 * (<litetrace/environment.h> lists them). Free with litetrace_options_free(). NULL only
 * when out of memory. */
litetrace_options* litetrace_options_new(void);
litetrace_options* litetrace_options_from_environment(void);
void litetrace_options_free(litetrace_options* options);

/* Setters, applied in the order they are called, after the environment. Each returns 0,
 * or -1 for a NULL handle or an argument it cannot take (a NULL string, an unknown
 * exporter). A value out of range is not rejected here: as from C++, the provider keeps
 * the default and says so through the diagnostic handler. */
int litetrace_options_set_service_name(litetrace_options* options, const char* name);
int litetrace_options_add_resource_attribute(litetrace_options* options, const char* key, const char* value);
int litetrace_options_set_exporter(litetrace_options* options, int exporter);
int litetrace_options_set_agent(litetrace_options* options, const char* host, uint16_t port);
int litetrace_options_set_otlp_endpoint(litetrace_options* options, const char* url);
int litetrace_options_set_zipkin_endpoint(litetrace_options* options, const char* url);
/* Jaeger's collector over HTTP (binary Thrift), instead of the agent over UDP. */
int litetrace_options_set_jaeger_endpoint(litetrace_options* options, const char* url);
/* An OpenTelemetry variable, by name, as if it were in the environment (e.g.
 * "OTEL_BSP_SCHEDULE_DELAY", "200"); it wins over the environment, and later calls over
 * earlier ones. -1 for a name that is not an OTEL_ or JAEGER_ variable. */
int litetrace_options_set_variable(litetrace_options* options, const char* name, const char* value);
/* Problems (agent missing, span too large, an option out of range, ...) go to `handler`,
 * on litetrace's threads, at most once a second per kind; `message` is valid during the
 * call only. Without a handler they are printed on stderr. */
typedef void (*litetrace_diagnostic_handler)(void* user, int code, const char* message);
int litetrace_options_set_diagnostic_handler(litetrace_options* options, litetrace_diagnostic_handler handler,
                                             void* user);

/* ---- provider and tracers ---- */

/* Starts the batcher thread. NULL options: the defaults. NULL only when out of memory. A
 * thread that cannot start is said to the handler (code 10, out of memory), not fatal:
 * its spans are counted, as dropped or failed. */
litetrace_provider* litetrace_provider_new(const litetrace_options* options);
/* Flushes and stops (as litetrace_provider_shutdown with 5 s), then frees. Tracers and
 * spans of the provider stay safe to use: their spans are dropped and counted. */
void litetrace_provider_free(litetrace_provider* provider);
/* 1 when every span ended before the call was delivered within `timeout_ms`, else 0. */
int litetrace_provider_force_flush(litetrace_provider* provider, uint32_t timeout_ms);
int litetrace_provider_shutdown(litetrace_provider* provider, uint32_t timeout_ms);

/* A tracer for one instrumentation scope (a library's name and version; version may be
 * NULL). Free with litetrace_tracer_free(); it keeps what its spans need alive. */
litetrace_tracer* litetrace_provider_tracer(litetrace_provider* provider, const char* name, const char* version);
void litetrace_tracer_free(litetrace_tracer* tracer);

/* The global provider, for libraries: a tracer from litetrace_global_tracer() records to
 * whichever provider is installed (none: its spans are no-ops that carry the parent's
 * context on). NULL removes it. The provider handle may be freed afterwards: the global
 * keeps what it needs. */
void litetrace_set_global_provider(litetrace_provider* provider);
litetrace_tracer* litetrace_global_tracer(const char* name, const char* version);

/* ---- statistics, one by one ---- */

enum {
  LITETRACE_STAT_SPANS_STARTED = 0,
  LITETRACE_STAT_SPANS_NOT_SAMPLED = 1,
  LITETRACE_STAT_SPANS_ENDED = 2,
  LITETRACE_STAT_SPANS_EXPORTED = 3,
  LITETRACE_STAT_SPANS_DROPPED_QUEUE = 4,
  LITETRACE_STAT_SPANS_DROPPED_TOO_LARGE = 5,
  LITETRACE_STAT_SPANS_FAILED = 6,
  LITETRACE_STAT_SPANS_REJECTED = 7,
  LITETRACE_STAT_SPANS_DROPPED_EXPORT_QUEUE = 8,
  LITETRACE_STAT_SPANS_DISCARDED = 9,
  LITETRACE_STAT_SPANS_PENDING = 10,
  LITETRACE_STAT_PACKETS_SENT = 11,
  LITETRACE_STAT_PACKETS_FAILED = 12,
  LITETRACE_STAT_REQUESTS_SENT = 13,
  LITETRACE_STAT_REQUESTS_RETRIED = 14,
  LITETRACE_STAT_REQUESTS_FAILED = 15,
  LITETRACE_STAT_BYTES_SENT = 16
};
/* The statistic `which` (0 for one this version does not know). */
uint64_t litetrace_provider_stat(const litetrace_provider* provider, int which);

/* ---- spans ---- */

/* How a span starts; fill with LITETRACE_START_OPTIONS_INIT, then set what differs. */
typedef struct litetrace_start_options {
  size_t size;                          /* sizeof(litetrace_start_options): set by the macro */
  int kind;                             /* LITETRACE_SPAN_KIND_* */
  const litetrace_span_context* parent; /* NULL: the thread's current span, if any */
  int root;                             /* non-zero: a new trace, whatever is current */
  uint64_t start_time_unix_ns;          /* 0: now */
} litetrace_start_options;
#define LITETRACE_START_OPTIONS_INIT {sizeof(litetrace_start_options), LITETRACE_SPAN_KIND_INTERNAL, NULL, 0, 0}

/* Starts a span into `span` (options may be NULL). Every span started must be ended. */
void litetrace_span_start_n(const litetrace_tracer* tracer, litetrace_span* span, const char* name, size_t name_length,
                            const litetrace_start_options* options);
static inline size_t litetrace_length_(const char* s) { return s != NULL ? strlen(s) : 0; }
static inline void litetrace_span_start(const litetrace_tracer* tracer, litetrace_span* span, const char* name,
                                        const litetrace_start_options* options) {
  litetrace_span_start_n(tracer, span, name, litetrace_length_(name), options);
}
void litetrace_span_end(litetrace_span* span);
void litetrace_span_end_at(litetrace_span* span, uint64_t end_time_unix_ns);
/* Non-zero when the span records (sampled, with a provider). */
int litetrace_span_is_recording(const litetrace_span* span);
/* The span's context, for children, links and propagation. */
litetrace_span_context litetrace_span_get_context(const litetrace_span* span);

/* Attributes; the same key again replaces the earlier value. */
void litetrace_span_set_string_n(litetrace_span* span, const char* key, size_t key_length, const char* value,
                                 size_t value_length);
void litetrace_span_set_bool_n(litetrace_span* span, const char* key, size_t key_length, int value);
void litetrace_span_set_int64_n(litetrace_span* span, const char* key, size_t key_length, int64_t value);
void litetrace_span_set_double_n(litetrace_span* span, const char* key, size_t key_length, double value);
void litetrace_span_set_bytes_n(litetrace_span* span, const char* key, size_t key_length, const void* data,
                                size_t size);
static inline void litetrace_span_set_string(litetrace_span* span, const char* key, const char* value) {
  litetrace_span_set_string_n(span, key, litetrace_length_(key), value, litetrace_length_(value));
}
static inline void litetrace_span_set_bool(litetrace_span* span, const char* key, int value) {
  litetrace_span_set_bool_n(span, key, litetrace_length_(key), value);
}
static inline void litetrace_span_set_int64(litetrace_span* span, const char* key, int64_t value) {
  litetrace_span_set_int64_n(span, key, litetrace_length_(key), value);
}
static inline void litetrace_span_set_double(litetrace_span* span, const char* key, double value) {
  litetrace_span_set_double_n(span, key, litetrace_length_(key), value);
}
static inline void litetrace_span_set_bytes(litetrace_span* span, const char* key, const void* data, size_t size) {
  litetrace_span_set_bytes_n(span, key, litetrace_length_(key), data, size);
}
void litetrace_span_set_string_array(litetrace_span* span, const char* key, const char* const* values, size_t count);
/* values[i] non-zero is true. */
void litetrace_span_set_bool_array(litetrace_span* span, const char* key, const uint8_t* values, size_t count);
void litetrace_span_set_int64_array(litetrace_span* span, const char* key, const int64_t* values, size_t count);
void litetrace_span_set_double_array(litetrace_span* span, const char* key, const double* values, size_t count);

/* An attribute for the list calls below (events, links, several at once). Make one with
 * the litetrace_attribute_* functions; its pointers must last as long as the call. */
enum {
  LITETRACE_ATTRIBUTE_STRING = 0,
  LITETRACE_ATTRIBUTE_BOOL = 1,
  LITETRACE_ATTRIBUTE_INT64 = 2,
  LITETRACE_ATTRIBUTE_DOUBLE = 3,
  LITETRACE_ATTRIBUTE_BYTES = 4
};
typedef struct litetrace_attribute {
  const char* key;
  int type;            /* LITETRACE_ATTRIBUTE_* */
  const char* string;  /* STRING: NUL-terminated */
  const void* bytes;   /* BYTES: `size` bytes */
  size_t size;
  int64_t integer;     /* BOOL (0 or not), INT64 */
  double number;       /* DOUBLE */
} litetrace_attribute;

static inline litetrace_attribute litetrace_attribute_string(const char* key, const char* value) {
  litetrace_attribute a = {key, LITETRACE_ATTRIBUTE_STRING, value, NULL, 0, 0, 0.0};
  return a;
}
static inline litetrace_attribute litetrace_attribute_bool(const char* key, int value) {
  litetrace_attribute a = {key, LITETRACE_ATTRIBUTE_BOOL, NULL, NULL, 0, value != 0, 0.0};
  return a;
}
static inline litetrace_attribute litetrace_attribute_int64(const char* key, int64_t value) {
  litetrace_attribute a = {key, LITETRACE_ATTRIBUTE_INT64, NULL, NULL, 0, value, 0.0};
  return a;
}
static inline litetrace_attribute litetrace_attribute_double(const char* key, double value) {
  litetrace_attribute a = {key, LITETRACE_ATTRIBUTE_DOUBLE, NULL, NULL, 0, 0, value};
  return a;
}
static inline litetrace_attribute litetrace_attribute_bytes(const char* key, const void* data, size_t size) {
  litetrace_attribute a = {key, LITETRACE_ATTRIBUTE_BYTES, NULL, data, size, 0, 0.0};
  return a;
}

/* Each attribute of the list, in order, as the setters above would. */
void litetrace_span_set_attributes(litetrace_span* span, const litetrace_attribute* attributes, size_t count);
/* An event now, or at `time_unix_ns`, with its attributes (may be NULL). Up to 128
 * attributes are passed on without allocating; more are passed on through a heap copy. */
void litetrace_span_add_event(litetrace_span* span, const char* name, const litetrace_attribute* attributes,
                              size_t count);
void litetrace_span_add_event_at(litetrace_span* span, const char* name, uint64_t time_unix_ns,
                                 const litetrace_attribute* attributes, size_t count);
/* A link to another span, with attributes of the link itself (as for events). */
void litetrace_span_add_link(litetrace_span* span, const litetrace_span_context* context,
                             const litetrace_attribute* attributes, size_t count);
/* Unset < Error < Ok; description (may be NULL) goes with an error only. */
void litetrace_span_set_status(litetrace_span* span, int code, const char* description);
/* An "exception" event with exception.type, .message and .stacktrace (NULL or empty: left out). */
void litetrace_span_record_exception(litetrace_span* span, const char* type, const char* message,
                                     const char* stacktrace);
void litetrace_span_update_name(litetrace_span* span, const char* name);

/* Makes `context` the thread's current span (spans started meanwhile without a parent
 * become its children) until litetrace_scope_exit() with the same scope. Scopes nest and
 * exit in reverse order, on the thread that entered them. */
void litetrace_scope_enter(litetrace_scope* scope, const litetrace_span_context* context);
void litetrace_scope_exit(litetrace_scope* scope);
/* The thread's current span context (invalid when there is none). */
litetrace_span_context litetrace_current_context(void);

/* ---- propagation, through the provider's propagators (OTEL_PROPAGATORS) ---- */

/* Writes `context` into a carrier (HTTP headers, message properties) through `set`, one
 * header at a time; names are lower case. */
typedef void (*litetrace_header_setter)(void* carrier, const char* name, const char* value);
void litetrace_inject(const litetrace_provider* provider, const litetrace_span_context* context,
                      litetrace_header_setter set, void* carrier);
/* Reads a context from a carrier through `get`, which returns a header's value or NULL
 * (the name is asked in lower case). Returns 1 and fills *context (remote) when one was
 * found, else 0 and an invalid context. */
typedef const char* (*litetrace_header_getter)(void* carrier, const char* name);
int litetrace_extract(const litetrace_provider* provider, litetrace_header_getter get, void* carrier,
                      litetrace_span_context* context);

/* The library's version, e.g. "0.1.0". */
const char* litetrace_version_string(void);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* LITETRACE_LITETRACE_H */
