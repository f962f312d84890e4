#pragma once

// What this process holds, from /proc (Linux): resident memory, open descriptors and
// threads. Header only, for the tests and the benchmarks.

#include <dirent.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <fstream>
#include <string>

namespace litetrace::test {

inline long rss_kib() {
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// The anonymous part of the resident memory (heap, stacks: what the process itself
// wrote), without the pages of code and files it maps, which other processes share.
// Counted page by page (smaps_rollup's Anonymous, Linux 4.14 and later) where it can be:
// /proc/self/status's RssAnon sums per-CPU counters as they stand, a page or more short
// just after other threads have touched memory.
inline long rss_anon_kib() {
  std::string line;
  std::ifstream rollup("/proc/self/smaps_rollup");
  while (std::getline(rollup, line)) {
    if (line.rfind("Anonymous:", 0) == 0) return std::stol(line.substr(10));
  }
  std::ifstream status("/proc/self/status");
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  }
  return 0;
}

inline size_t directory_entries(const char* dir) {
  size_t n = 0;
  if (DIR* d = opendir(dir)) {
    while (const dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

inline size_t open_fds() { return directory_entries("/proc/self/fd"); }
inline size_t thread_count() { return directory_entries("/proc/self/task"); }

// Threads named `name` exactly (pthread_setname_np, /proc/self/task/*/comm): litetrace
// names its batcher "litetrace", its sampling poller "litetrace-samp" and its name
// lookups "litetrace-dns".
inline size_t threads_named(const std::string& name) {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
      std::string line;
      if (std::getline(comm, line) && line == name) ++n;
    }
    closedir(d);
  }
  return n;
}

}  // namespace litetrace::test
