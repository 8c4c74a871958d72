#pragma once
// Runs a program (by default the built compliance-agent) and captures its exit code, stdout and
// stderr separately. Used by end-to-end tests that drive the real binary.
#include <sys/types.h>

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

/// Starts the built compliance-agent with `args` (environment as runAgent), stdin from
/// /dev/null, stdout and stderr into `output_path`; returns its pid without waiting.
pid_t startAgent(const std::vector<std::string>& args, const std::string& output_path,
                 const std::map<std::string, std::string>& env = {});

/// Sends SIGKILL to `pid` (a no-op once it has exited, until it is reaped) and reaps it;
/// returns the wait status.
int killAndReap(pid_t pid);

}  // namespace testsupport
