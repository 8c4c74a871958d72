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

/// Starts `argv` (argv[0] the program path; environment as runProcess), stdin from /dev/null,
/// stdout and stderr into `output_path`; returns its pid without waiting.
pid_t startProcess(const std::vector<std::string>& argv, const std::string& output_path,
                   const std::map<std::string, std::string>& env = {});

/// Sends `sig` to `pid` and waits up to `timeout_ms` for it to exit; returns its exit code, or -1
/// when it was killed by a signal or did not exit in time (then it is killed with SIGKILL and
/// reaped, so a hung child never outlives the test).
int signalAndWait(pid_t pid, int sig, int timeout_ms);

/// Sends SIGKILL to `pid` (a no-op once it has exited, until it is reaped) and reaps it;
/// returns the wait status.
int killAndReap(pid_t pid);

}  // namespace testsupport
