// What any service already links: a thread, strings, a vector, stdio. bench/footprint.py
// measures minimal.cc against it.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char**) {
  std::vector<std::string> names;
  names.push_back("demo-app" + std::to_string(argc));
  std::thread worker([&] { names.emplace_back("worker"); });
  worker.join();
  std::printf("%zu\n", names.size());
  return 0;
}
