#pragma once
// Stub programs for CommandRunner / LiveState tests, written at test time. They are #!/bin/sh
// scripts because that is the shortest way to write a fake systemctl; the runner under test
// never uses a shell itself: it execs the stub's path from the ToolMap.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <thread>

#include "support/temp_dir.h"

namespace platformtest {

/// Writes an executable `#!/bin/sh` script `bin/<name>` under `dir`; returns its absolute path.
inline std::string writeStub(const testsupport::TempDir& dir, const std::string& name,
                             const std::string& body) {
  const auto path = dir.write("bin/" + name, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
  return path.string();
}

/// The first of `candidates` that exists (Debian has /bin and /usr/bin merged, others may not).
inline std::string firstExisting(std::initializer_list<const char*> candidates) {
  for (const char* c : candidates) {
    if (std::filesystem::exists(c)) return c;
  }
  return "";
}

/// Whether process `pid` is gone (or only a zombie waiting for its reaper), waiting up to 3 s.
inline bool processGone(pid_t pid) {
  for (int i = 0; i < 300; ++i) {
    if (::kill(pid, 0) != 0) return true;
    std::string stat;
    if (FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r")) {
      char buf[512] = {};
      const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      stat.assign(buf, n);
    }
    // Field 3, after "pid (comm) ": Z is a zombie, i.e. already dead.
    if (const auto rp = stat.rfind(") "); rp != std::string::npos && stat.size() > rp + 2 &&
                                            stat[rp + 2] == 'Z') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace platformtest
