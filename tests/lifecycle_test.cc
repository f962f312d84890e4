// Providers that come and go, and spans recorded as threads and the process exit: nothing
// crashes, nothing leaks, and every late span is recorded or counted.

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "jaeger/jaeger_decoder.h"
#include "litetrace/sampler.h"
#include "litetrace/trace.h"
#include "support/process_usage.h"
#include "support/udp_receiver.h"

extern char** environ;

namespace litetrace {
namespace {

using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // their allocators keep freed memory: RSS says nothing
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

using test::open_fds;
using test::rss_kib;

// litetrace's threads (batchers, sampling pollers, name lookups: the agent is
// "localhost", so every provider looks it up). One that was stopped may still be
// listed for a moment after join() (the kernel reaps it after the joiner wakes); wait
// until none is, bounded.
size_t litetrace_threads_settled() {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  const auto count = [] {
    return test::threads_named("litetrace") + test::threads_named("litetrace-samp") +
           test::threads_named("litetrace-dns");
  };
  size_t now = count();
  while (now != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
    now = count();
  }
  return now;
}

enum class Recorder { kThisThread, kShortLivedWorker };

// One create/record/destroy cycle. Spans carry their own times, so no cycle waits for the
// clock's first rate (what this test measures is resources, not time).
void cycle(uint16_t port, Recorder recorder, bool remote_sampler) {
  TracerProviderOptions o;
  o.service_name = "cycles";
  o.agent_port = port;
  o.on_diagnostic = [](const Diagnostic&) {};
  if (remote_sampler) {
    JaegerRemoteSamplerOptions so;
    so.endpoint = "http://127.0.0.1:9/sampling";  // refused: each poll opens and closes a socket
    so.initial_sampling_rate = 1.0;
    so.on_diagnostic = [](const Diagnostic&) {};
    o.sampler = std::make_shared<JaegerRemoteSampler>(so);
  }
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("cycles");
  auto record = [&tracer] {
    StartSpanOptions so;
    so.start_time = std::chrono::system_clock::now();
    Span span = tracer.start_span("cycle", so);
    span.set_attribute("answer", int64_t{42});
    span.end(std::chrono::system_clock::now());
  };
  if (recorder == Recorder::kShortLivedWorker) {
    std::thread(record).join();
  } else {
    record();
  }
}

struct Usage {
  size_t fds;
  size_t threads;
  long rss;
};

// Between cycles no provider exists, so no litetrace thread may either.
Usage usage() { return {open_fds(), litetrace_threads_settled(), rss_kib()}; }

void expect_no_growth(Recorder recorder, bool remote_sampler) {
  test::UdpReceiver receiver;
  for (int i = 0; i < 20; ++i) cycle(receiver.port(), recorder, remote_sampler);  // warm
  receiver.drain(0ms);
  const Usage before = usage();
  for (int i = 0; i < 1000; ++i) {
    cycle(receiver.port(), recorder, remote_sampler);
    if (i % 100 == 0) receiver.drain(0ms);
  }
  receiver.drain(0ms);
  const Usage after = usage();
  EXPECT_LE(after.fds, before.fds + 2);
  EXPECT_EQ(before.threads, 0u);
  EXPECT_EQ(after.threads, 0u);
  if (!kSanitized) {
    EXPECT_LE(after.rss, before.rss + 2048) << "KiB of RSS";
  }
}

TEST(ProviderCycles, SpansOnOneLongLivedThreadLeaveNothingBehind) {
  expect_no_growth(Recorder::kThisThread, false);
}

TEST(ProviderCycles, SpansFromShortLivedWorkersLeaveNothingBehind) {
  expect_no_growth(Recorder::kShortLivedWorker, false);
}

TEST(ProviderCycles, ARemoteSamplersPollerAndSocketsGoWithItsProvider) {
  expect_no_growth(Recorder::kThisThread, true);
}

TEST(ProviderCycles, ASpanOpenAcrossItsProvidersDestructionEndsSafely) {
  test::UdpReceiver receiver;
  TracerProviderOptions o;
  o.agent_port = receiver.port();
  Span open;
  Span moved;
  Span orphaned;
  {
    TracerProvider provider(o);
    Tracer tracer = provider.tracer("t");
    open = tracer.start_span("outlives its provider");
    moved = tracer.start_span("ended on another thread");
    // Started on a thread that exits before the span ends: that thread lets go of the
    // core, which must stay for the span.
    std::thread([&] { orphaned = tracer.start_span("its thread is gone"); }).join();
  }
  open.set_attribute("still", true);  // writes into the span's own buffer
  open.end();                         // the core is kept for it; dropped, never sent
  std::thread([&] { moved.end(); }).join();
  orphaned.add_event("late");
  orphaned.end();
  EXPECT_TRUE(receiver.drain(0ms).empty());
}

// After shutdown, a thread that never recorded for the provider gets no ring: what it
// ends or starts is counted on the provider instead (started, ended, dropped).
TEST(ProviderCycles, SpansOfThreadsNewToAShutDownProviderAreCountedWithoutARing) {
  test::UdpReceiver receiver;
  TracerProviderOptions o;
  o.agent_port = receiver.port();
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("t");
  Span moved = tracer.start_span("moved");
  provider.shutdown();
  std::thread([&] { moved.end(); }).join();
  std::thread([&] { tracer.start_span("after shutdown").end(); }).join();
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_started, 2u);
  EXPECT_EQ(s.spans_ended, 2u);
  EXPECT_EQ(s.spans_dropped_queue, 2u);
  EXPECT_EQ(s.spans_exported, 0u);
  EXPECT_EQ(s.spans_pending, 0u);
}

// ---- spans at thread exit ----

struct EndsAtThreadExit {
  Span span;
  Tracer* tracer = nullptr;
  ~EndsAtThreadExit() {
    span.end();
    if (tracer != nullptr) tracer->start_span("started in a thread_local destructor").end();
  }
};

TEST(ThreadExit, SpansEndedAndStartedByThreadLocalDestructorsAreExported) {
  test::UdpReceiver receiver;
  TracerProviderOptions o;
  o.agent_port = receiver.port();
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("t");
  std::thread([&] {
    // Constructed before the thread's first span, so destroyed after everything the
    // thread's first span set up: the order that used to free the registration first.
    thread_local EndsAtThreadExit early;
    early.tracer = &tracer;
    early.span = tracer.start_span("ended in a thread_local destructor");
    tracer.start_span("ordinary").end();
  }).join();
  ASSERT_TRUE(provider.force_flush());
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_ended, 3u);
  EXPECT_EQ(s.spans_exported, 3u);

  std::set<std::string> names;
  for (const std::string& d : receiver.receive_all(static_cast<size_t>(s.packets_sent))) {
    detail::DecodedBatch batch;
    std::string error;
    ASSERT_TRUE(detail::decode_emit_batch(reinterpret_cast<const uint8_t*>(d.data()), d.size(), batch, &error))
        << error;
    for (const detail::Span& span : batch.spans) names.insert(std::string(span.operation_name));
  }
  EXPECT_EQ(names, (std::set<std::string>{"ended in a thread_local destructor", "ordinary",
                                          "started in a thread_local destructor"}));
}

// ---- spans at process exit: a program of its own, run to its end ----

struct ExitRun {
  int status;
  std::set<std::string> names;
  std::map<std::string, std::map<std::string, std::string>> tags;  // each span's string tags
  std::map<std::string, uint32_t> dropped_tags;
};

// Runs exit_program in `mode`; under `runner` (a program and its arguments) when given.
ExitRun run_exit_program(const std::string& mode, std::string* output = nullptr,
                         const std::vector<std::string>& runner = {}) {
  test::UdpReceiver receiver;
  const std::string port = std::to_string(receiver.port());
  std::vector<std::string> args = runner;
  for (const char* a : {LITETRACE_EXIT_PROGRAM, mode.c_str(), port.c_str()}) args.emplace_back(a);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  ExitRun run{};
  run.status = -1;
  char out_path[] = "/tmp/litetrace-exit-XXXXXX";
  const int out_fd = mkstemp(out_path);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == 0) waitpid(pid, &run.status, 0);
  if (output != nullptr) {
    output->clear();
    char buf[4096];
    for (ssize_t n; (n = pread(out_fd, buf, sizeof buf, static_cast<off_t>(output->size()))) > 0;) {
      output->append(buf, static_cast<size_t>(n));
    }
  }
  close(out_fd);
  unlink(out_path);
  if (spawned != 0) return run;
  // Loopback delivers as the datagram is sent: all of them are queued by now.
  for (const std::string& d : receiver.drain(0ms)) {
    detail::DecodedBatch batch;
    std::string error;
    EXPECT_TRUE(detail::decode_emit_batch(reinterpret_cast<const uint8_t*>(d.data()), d.size(), batch, &error))
        << error;
    for (const detail::Span& span : batch.spans) {
      const std::string name(span.operation_name);
      run.names.insert(name);
      for (const detail::Tag& tag : span.tags) {
        if (tag.type == detail::TagType::kString) run.tags[name][std::string(tag.key)] = std::string(tag.str);
      }
      run.dropped_tags[name] = span.dropped_tags;
    }
  }
  return run;
}

TEST(ProcessExit, AGlobalProviderFlushesSpansEndedByStaticAndThreadLocalDestructors) {
  const ExitRun run = run_exit_program("global-provider");
  ASSERT_TRUE(WIFEXITED(run.status)) << "status " << run.status;
  EXPECT_EQ(WEXITSTATUS(run.status), 0);
  // Ended in main, by the main thread's thread_local destructors, and by a static
  // destructor that runs before the provider's; the span of a static destructor that runs
  // after the provider's is dropped (the program checks it did not crash).
  EXPECT_EQ(run.names, (std::set<std::string>{"main", "main thread_local", "global span", "static destructor"}));
}

// The same with the global provider and a tracer a library fetched at static
// initialization: what ends before the exit handler (main, thread_local destructors, static
// objects constructed after the tracer) is flushed at exit; the rest is dropped, no crash.
TEST(ProcessExit, TheInstalledGlobalProviderFlushesAtExitAfterLaterStaticsAreDestroyed) {
  const ExitRun run = run_exit_program("installed-global");
  ASSERT_TRUE(WIFEXITED(run.status)) << "status " << run.status;
  EXPECT_EQ(WEXITSTATUS(run.status), 0);
  EXPECT_EQ(run.names, (std::set<std::string>{"global: main", "global: main thread_local",
                                              "global: ended by a static destructor",
                                              "global: started by a static destructor"}));
}

TEST(ProcessExit, SpansOfAProviderAlreadyDestroyedAtExitAreDroppedWithoutACrash) {
  const ExitRun run = run_exit_program("provider-gone");
  ASSERT_TRUE(WIFEXITED(run.status)) << "status " << run.status;
  EXPECT_EQ(WEXITSTATUS(run.status), 0);
  EXPECT_EQ(run.names, (std::set<std::string>{"main"}));
}

// ---- attributes set as a thread exits ----

// What exit_program thread-local-attributes records, both spans alike: the first 128 of
// its 300 attributes (the default limit; later ones are dropped), whole.
void expect_many_attributes_kept(const ExitRun& run) {
  ASSERT_TRUE(WIFEXITED(run.status)) << "status " << run.status;
  EXPECT_EQ(WEXITSTATUS(run.status), 0);
  const std::set<std::string> names = {"set by the thread", "set by a thread_local destructor"};
  EXPECT_EQ(run.names, names);
  for (const std::string& name : names) {
    const auto tags = run.tags.find(name);
    ASSERT_NE(tags, run.tags.end()) << name;
    size_t kept = 0;
    for (int i = 0; i < 300; ++i) {
      const auto tag = tags->second.find("key" + std::to_string(i));
      if (tag == tags->second.end()) continue;
      ++kept;
      EXPECT_LT(i, 128) << name;
      EXPECT_EQ(tag->second, "a value long enough to fill the items " + std::to_string(i)) << name;
    }
    EXPECT_EQ(kept, 128u) << name;
  }
}

TEST(ThreadExit, AThreadLocalDestructorSetsMoreAttributesThanTheLimitOnASpan) {
  expect_many_attributes_kept(run_exit_program("thread-local-attributes"));
}

// The same under valgrind's memory check: a span's items made to keep the limits in a
// thread_local destructor used a normalizer that was itself a thread_local, destroyed by
// then (a write to freed memory that the run above cannot see).
TEST(ThreadExit, AThreadLocalDestructorSettingAttributesTouchesNoFreedMemory) {
  if (kSanitized) GTEST_SKIP() << "valgrind does not run sanitized programs";
  const std::string valgrind = LITETRACE_VALGRIND;
  if (valgrind.empty()) {
    if (const char* required = std::getenv("LITETRACE_REQUIRE_CONFORMANCE"); required && std::string(required) == "1") {
      FAIL() << "valgrind is not installed (Debian: apt-get install valgrind)";
    }
    GTEST_SKIP() << "valgrind is not installed";
  }
  expect_many_attributes_kept(
      run_exit_program("thread-local-attributes", nullptr, {valgrind, "-q", "--error-exitcode=7"}));
}

// ---- memory that cannot be had ----

// Under an address-space limit, which a sanitizer's shadow memory does not fit (those tests
// skip there).
constexpr const char* kNoLimitUnderSanitizers = "an address-space limit and a sanitizer's shadow memory do not mix";

// What an exit program's mode printed, once it has ended by itself with status 0, having
// sent no span.
std::string printed_by(const std::string& mode) {
  std::string output;
  const ExitRun run = run_exit_program(mode, &output);
  EXPECT_TRUE(WIFEXITED(run.status)) << mode << ": status " << run.status;
  EXPECT_EQ(WIFEXITED(run.status) ? WEXITSTATUS(run.status) : -1, 0) << mode;
  EXPECT_TRUE(run.names.empty()) << mode;
  return output;
}

// A 1 GiB ring under a 512 MiB address-space limit: the allocation fails without throwing,
// the thread's spans are dropped and counted, and kOutOfMemory says so.
TEST(OutOfMemory, ARingThatCannotBeAllocatedDropsAndCountsSpans) {
  if (kSanitized) GTEST_SKIP() << kNoLimitUnderSanitizers;
  EXPECT_EQ(printed_by("out-of-memory"),
            "started=3 ended=3 dropped=3 exported=0\n"
            "1 allocation(s) failed, the last of 1073741824 bytes; the spans or attributes that needed them were "
            "dropped and counted\n");
}

// The batcher's thread cannot be made (no room for its stack under an address-space
// limit): the provider is still made, kOutOfMemory says that nothing will be exported, the
// spans stay pending until shutdown, then count as dropped, and flush and shutdown say
// false, at once. (std::thread threw out of the provider's constructor.)
TEST(OutOfMemory, ABatcherThreadThatCannotStartIsReportedAndItsSpansCounted) {
  if (kSanitized) GTEST_SKIP() << kNoLimitUnderSanitizers;
  EXPECT_EQ(printed_by("no-batcher-thread"),
            "flush=0 started=3 ended=3 pending=3 failed=0\n"
            "shutdown=0 pending=0 dropped=3 failed=0 exported=0\n"
            "cannot start the batcher thread: " + std::string(std::strerror(EAGAIN)) +
                "; no span will be exported\n");
}

// The same with an HTTP exporter (OTLP), whose sender thread is made first and cannot
// start either: both are said, and nothing is thrown.
TEST(OutOfMemory, AnHttpSenderThreadThatCannotStartIsReported) {
  if (kSanitized) GTEST_SKIP() << kNoLimitUnderSanitizers;
  const std::string eagain = std::strerror(EAGAIN);
  EXPECT_EQ(printed_by("no-threads-otlp"),
            "flush=0 started=3 ended=3 pending=3 failed=0\n"
            "shutdown=0 pending=0 dropped=3 failed=0 exported=0\n"
            "cannot start the thread that sends to http://127.0.0.1:9/v1/traces: " + eagain +
                "; every request will count as failed\n"
                "cannot start the batcher thread: " + eagain + "; no span will be exported\n");
}

// The OTLP exporter's sender thread cannot start, the batcher's then can (the exit program
// lifts the limit when the first is said): each request the batcher builds counts its
// spans as failed, and a flush says false.
TEST(OutOfMemory, RequestsWithNoSenderThreadCountTheirSpansAsFailed) {
  if (kSanitized) GTEST_SKIP() << kNoLimitUnderSanitizers;
  EXPECT_EQ(printed_by("no-sender-thread"),
            "flush=0 started=3 ended=3 pending=0 failed=3\n"
            "shutdown=1 pending=0 dropped=0 failed=3 exported=0\n"
            "cannot start the thread that sends to http://127.0.0.1:9/v1/traces: " +
                std::string(std::strerror(EAGAIN)) + "; every request will count as failed\n");
}

}  // namespace
}  // namespace litetrace
