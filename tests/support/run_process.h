#pragma once
// Runs a program (by default the built compliance-agent) and captures its exit code, stdout and
// stderr separately. Used by end-to-end tests that drive the real binary.
#include <map>
#include <string>
#include <vector>

namespace testsupport {

struct ProcessResult {
  int exit_code = -1;   // -1 if it did not exit normally
  std::string out;
  std::string err;
};

/// argv[0] is the program path. `env` replaces the environment entirely (clean by default).
ProcessResult runProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& stdin_data = "");

/// Runs the built compliance-agent with `args`.
ProcessResult runAgent(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {});

}  // namespace testsupport
