#pragma once

#include <functional>
#include <string_view>

namespace litetrace {

// What went wrong (or changed) inside litetrace. Nothing here is ever thrown: every problem
// of the exporter becomes a counted statistic and, where a person should hear about it, a
// Diagnostic passed to the callback the application installed.
enum class DiagnosticCode {
  kInvalidOption,        // an option was out of range; the message says what was used instead
  kAgentUnresolved,      // the agent host name did not resolve; the last good address is kept
  kAgentAddressChanged,  // re-resolution found the agent at a different address
  kSendFailed,           // a datagram could not be sent; its spans count as failedToEmitSpans
  kPacketSizeLowered,    // EMSGSIZE: the working packet size was lowered and spans re-split
  kSpanTrimmed,          // a span too large for one packet lost logs/tags to fit
  kSpanTooLarge,         // a span too large even when trimmed; counted as tooLargeDroppedSpans
  kSamplingStrategyFailed,   // the sampling server failed or sent garbage; the last strategy stays
  kSamplingStrategyChanged,  // the sampling server sent a new strategy, now in use
  kClockSource,  // at start: what span times are read from (TracerProvider::clock_source());
                 // on the default stderr output only when it is the clock_gettime fallback
  kOutOfMemory,  // a thread's ring or a span's buffer could not be allocated; those spans
                 // or attributes are dropped and counted. Or the batcher's thread could not
                 // be started: nothing is exported, every span is counted (pending, then
                 // dropped at shutdown); or an HTTP exporter's sender thread: its requests'
                 // spans count as failed
  kExportFailed,    // an HTTP export failed for good (refused, or retried until its timeout);
                    // its spans count as failed
  kExportRejected,  // the server took a request but rejected some of its spans
                    // (partial_success); they count as rejected
};

const char* to_string(DiagnosticCode code) noexcept;

struct Diagnostic {
  DiagnosticCode code;
  // Valid only during the callback; copy it to keep it.
  std::string_view message;
};

// Called on litetrace's background threads (the batcher, an HTTP exporter's sender, a
// remote sampler's poller; two of them may call at the same time), never on an application
// thread, with one exception: a disabled provider (no background thread) reports its configuration's
// problems from its constructor. It must not call back into the object that reported it.
using DiagnosticCallback = std::function<void(const Diagnostic&)>;

}  // namespace litetrace
