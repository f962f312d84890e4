#pragma once

// A library instrumented the way the README tells library authors to: through
// litetrace::global_tracer() alone. It knows nothing of providers; the application that
// links it decides where (and whether) its spans go.

#include <litetrace/trace.h>

namespace acme {

// Handles one request that came with `incoming` (invalid: none): a server span, and a
// client span under it for the call it makes. Returns the context it would send
// downstream (the client span's).
litetrace::SpanContext handle_request(const litetrace::SpanContext& incoming, int id);

// Starts a long operation and hands its span to the caller, who ends it.
litetrace::Span start_long_operation();

}  // namespace acme
