#include "litetrace/diagnostic.h"

namespace litetrace {

const char* to_string(DiagnosticCode code) noexcept {
  switch (code) {
    case DiagnosticCode::kInvalidOption: return "invalid option";
    case DiagnosticCode::kAgentUnresolved: return "agent unresolved";
    case DiagnosticCode::kAgentAddressChanged: return "agent address changed";
    case DiagnosticCode::kSendFailed: return "send failed";
    case DiagnosticCode::kPacketSizeLowered: return "packet size lowered";
    case DiagnosticCode::kSpanTrimmed: return "span trimmed";
    case DiagnosticCode::kSpanTooLarge: return "span too large";
    case DiagnosticCode::kSamplingStrategyFailed: return "sampling strategy failed";
    case DiagnosticCode::kSamplingStrategyChanged: return "sampling strategy changed";
    case DiagnosticCode::kClockSource: return "clock source";
    case DiagnosticCode::kOutOfMemory: return "out of memory";
    case DiagnosticCode::kExportFailed: return "export failed";
    case DiagnosticCode::kExportRejected: return "export rejected";
  }
  return "unknown";
}

}  // namespace litetrace
