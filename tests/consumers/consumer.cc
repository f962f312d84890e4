// A program that uses litetrace the way a vendoring project does: public headers only.

#include <litetrace/diagnostic.h>
#include <litetrace/version.h>

#include <cstdio>
#include <cstring>

int main() {
  if (std::strcmp(litetrace::version(), LITETRACE_VERSION_STRING) != 0) {
    std::fprintf(stderr, "library %s, headers %s\n", litetrace::version(), LITETRACE_VERSION_STRING);
    return 1;
  }
  std::printf("litetrace %s: %s\n", litetrace::version(),
              litetrace::to_string(litetrace::DiagnosticCode::kSendFailed));
  return 0;
}
