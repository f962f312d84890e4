#pragma once

// What this process holds, from /proc (Linux): resident memory, open descriptors and
// threads. Header only, for the tests and the benchmarks.

#include <dirent.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>

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

}  // namespace litetrace::test
