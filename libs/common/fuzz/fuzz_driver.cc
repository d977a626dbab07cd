// Replays files (or every file in directories) through LLVMFuzzerTestOneInput
// when the fuzz target is built without libFuzzer. Like libFuzzer,
// -timeout=N fails the run when one input takes longer than N seconds (an
// input that hangs the reader is a bug, not a slow test).
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

char current_input[4096];

void OnTimeout(int) {
  constexpr char kPrefix[] = "TIMEOUT: input took too long: ";
  (void)!write(2, kPrefix, sizeof(kPrefix) - 1);
  (void)!write(2, current_input, strlen(current_input));
  (void)!write(2, "\n", 1);
  _exit(70);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned timeout_seconds = 0;
  int runs = 0;
  signal(SIGALRM, OnTimeout);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "-timeout=", 9) == 0) {
      timeout_seconds = static_cast<unsigned>(std::atoi(argv[i] + 9));
      continue;
    }
    std::vector<std::string> files;
    if (std::filesystem::is_directory(argv[i])) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[i])) {
        if (entry.is_regular_file()) files.push_back(entry.path().string());
      }
    } else {
      files.push_back(argv[i]);
    }
    for (const std::string& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      const std::string data = text.str();
      std::snprintf(current_input, sizeof(current_input), "%s", file.c_str());
      alarm(timeout_seconds);
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
      alarm(0);
      ++runs;
    }
  }
  std::printf("replayed %d inputs\n", runs);
  return runs > 0 ? 0 : 1;
}
