#pragma once

// Inlining the compiler's heuristics would not do where a function's callers need it
// inlined: a writer kept in registers across a span's fields, a setter's constant type
// folded away; or need it not inlined: a setter's general case, kept out of the fast one.
// A branch the compiler is told is taken: its code stays on the hot path's line, the other
// branch's moves out of it.
#if defined(__GNUC__)
#define LITETRACE_LIKELY(condition) __builtin_expect(!!(condition), 1)
#else
#define LITETRACE_LIKELY(condition) (condition)
#endif

#if defined(__GNUC__)
#define LITETRACE_ALWAYS_INLINE inline __attribute__((always_inline))
#define LITETRACE_INLINE_LAMBDA __attribute__((always_inline))  // after a lambda's parameters
#define LITETRACE_FLATTEN __attribute__((flatten))  // every call in the function inlined, where it can be
#define LITETRACE_NOINLINE __attribute__((noinline))
#else
#define LITETRACE_NOINLINE
#define LITETRACE_FLATTEN
#define LITETRACE_ALWAYS_INLINE inline
#define LITETRACE_INLINE_LAMBDA
#endif

// Code that runs when a provider starts or stops, a thread first traces or exits, the agent
// is resolved, an HTTP request is exchanged (once per batch), or something is reported:
// never per span. The compiler optimizes it for size (at -O2 it is about half as large) and
// predicts the paths that lead to it as not taken.
#if defined(__GNUC__)
#define LITETRACE_COLD __attribute__((cold))
#else
#define LITETRACE_COLD
#endif

// ThreadSanitizer builds (GCC says so by a macro, clang by a feature): code that the
// sanitizer cannot see into (assembly) takes its portable way there, so that every access
// it checks is one it can see.
#if defined(__SANITIZE_THREAD__)
#define LITETRACE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LITETRACE_TSAN 1
#endif
#endif
