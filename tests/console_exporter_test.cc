// The console exporter (OTEL_TRACES_EXPORTER=console) through the public API: what lands on
// stderr, to the byte, and a write that fails counted, not lost. stderr is pointed at a
// file for the length of each test.

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "litetrace/trace.h"
#include "litetrace/version.h"

namespace litetrace {
namespace {

// Points fd 2 at `fd` until destroyed.
class StderrTo {
 public:
  explicit StderrTo(int fd) : saved_(::dup(2)) {
    std::fflush(stderr);
    ::dup2(fd, 2);
  }
  ~StderrTo() {
    std::fflush(stderr);
    std::clearerr(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
  }

 private:
  int saved_;
};

SystemTime at_ns(int64_t ns) {
  return SystemTime(std::chrono::duration_cast<SystemTime::duration>(std::chrono::nanoseconds(ns)));
}

TracerProviderOptions console_options() {
  TracerProviderOptions o;
  o.service_name = "console-test";
  o.exporter = TracesExporter::kConsole;
  // Given, so that the Process line does not depend on the machine.
  o.resource_attributes = {{"hostname", "host-1"}, {"ip", "10.0.0.1"}};
  return o;
}

TEST(ConsoleExporter, PrintsEachBatchAsLitetraceDumpsTree) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  std::string parent_id, child_id, trace_id;
  TracerStats stats;
  {
    const StderrTo redirect(::fileno(file));
    TracerProvider provider(console_options());
    Tracer tracer = provider.tracer("console.scope", "1.0");
    StartSpanOptions so;
    so.kind = SpanKind::kServer;
    so.start_time = at_ns(1700000000123456789);
    Span parent = tracer.start_span("parent", so);
    parent.set_attribute("http.method", "GET");
    StartSpanOptions co;
    co.parent = parent.context();
    co.start_time = at_ns(1700000000200000000);
    Span child = tracer.start_span("child", co);
    child.add_event("retry", at_ns(1700000000250000000), {{"attempt", int64_t{2}}});
    child.set_status(StatusCode::kError, "boom");
    trace_id = parent.context().trace_id_hex();
    parent_id = parent.context().span_id_hex();
    child_id = child.context().span_id_hex();
    child.end(at_ns(1700000000300000500));
    parent.end(at_ns(1700000001123456789));
    ASSERT_TRUE(provider.shutdown());
    stats = provider.stats();
  }
  std::rewind(file);
  std::string printed;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, file)) > 0;) printed.append(buf, n);
  std::fclose(file);

  EXPECT_EQ(stats.spans_exported, 2u);
  EXPECT_EQ(stats.spans_failed, 0u);
  EXPECT_EQ(stats.bytes_sent, printed.size());
  const std::string scope = "otel.scope.name=\"console.scope\"  otel.library.name=\"console.scope\"  "
                            "otel.scope.version=\"1.0\"  otel.library.version=\"1.0\"";
  const auto header = [&](const char* spans) {
    return "batch from pid " + std::to_string(::getpid()) + ": service \"console-test\", " + spans + "\n" +
           "  process  hostname=\"host-1\"  ip=\"10.0.0.1\"  telemetry.sdk.name=\"litetrace\"  "
           "telemetry.sdk.language=\"cpp\"  telemetry.sdk.version=\"" + LITETRACE_VERSION_STRING +
           "\"  jaeger.version=\"litetrace-cpp-" + LITETRACE_VERSION_STRING + "\"\n" + "  trace " + trace_id + "\n";
  };
  const std::string parent_lines =
      "  - parent  [" + parent_id + "]  1.000 s  at 2023-11-14 22:13:20.123456 UTC  sampled\n" +
      "      span.kind=\"server\"  " + scope + "  http.method=\"GET\"\n";
  const auto child_lines = [&](const std::string& pad) {
    return pad + "- child  [" + child_id + "]  100.001 ms  at 2023-11-14 22:13:20.200000 UTC  sampled\n" + pad +
           "    otel.status_code=\"ERROR\"  otel.status_description=\"boom\"  error=true  " + scope + "\n" + pad +
           "    log +50.000 ms: event=\"retry\"  attempt=2\n";
  };
  // One batch with both spans, the child under its parent; or, if the batcher woke between
  // the two ends, the child's batch and then the parent's.
  const std::string one_batch = header("2 spans") + parent_lines + child_lines("     ");
  const std::string two_batches = header("1 span") + child_lines("  ") + header("1 span") + parent_lines;
  EXPECT_TRUE(printed == one_batch || printed == two_batches)
      << printed << "\nexpected:\n" << one_batch << "\nor:\n" << two_batches;
}

TEST(ConsoleExporter, AWriteThatFailsCountsItsSpansAsFailed) {
  const int read_only = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(read_only, 0);
  TracerStats stats;
  {
    const StderrTo redirect(read_only);
    TracerProvider provider(console_options());
    Tracer tracer = provider.tracer("console.scope");
    for (int i = 0; i < 5; ++i) tracer.start_span("lost").end();
    EXPECT_FALSE(provider.shutdown());  // not everything was delivered
    stats = provider.stats();
  }
  ::close(read_only);
  EXPECT_EQ(stats.spans_ended, 5u);
  EXPECT_EQ(stats.spans_failed, 5u);
  EXPECT_EQ(stats.spans_exported, 0u);
}

}  // namespace
}  // namespace litetrace
