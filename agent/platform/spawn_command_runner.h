#pragma once
// SpawnCommandRunner: CommandRunner with posix_spawn. For every command:
//   - the executable is the absolute path the tools: map gives for argv[0] (resolved at each
//     run, not at construction, so a missing tool fails only the commands that need it);
//   - no shell, no PATH lookup; the environment is exactly LANG=C and LC_ALL=C (stable,
//     parseable output, nothing of the agent's environment leaks);
//   - descriptors 0/1/2 are pipes (3 is CommandSpec::input_fd if given); every other descriptor
//     is closed in the child, whatever its close-on-exec flag;
//   - it runs in a process group of its own, with default signal dispositions and an empty
//     signal mask;
//   - at the timeout the whole group is killed with SIGKILL; when the command exits by itself,
//     whatever it left running in its group is killed too, so the agent never leaves processes
//     behind (a program that escapes with setsid() is out of reach: its output is abandoned at
//     the timeout);
//   - stdout and stderr are captured separately with poll(), each capped.
// Thread-safe: run() keeps no state between calls.
#include <map>
#include <string>

#include "core/clock.h"
#include "platform/command_runner.h"

namespace platform {

/// Tool name (argv[0] of a CommandSpec) -> absolute path of the executable.
using ToolMap = std::map<std::string, std::string>;

class SpawnCommandRunner final : public CommandRunner {
 public:
  /// `clock` measures the timeout and `elapsed`; it must advance in real time (SystemClock),
  /// since the wait is real: with a frozen fake clock a hanging command would never time out.
  SpawnCommandRunner(ToolMap tools, const core::Clock& clock)
      : tools_(std::move(tools)), clock_(clock) {}

  core::Result<CommandResult, CommandError> run(const CommandSpec& spec) override;

  /// The absolute path of `tool`, checked now: UnknownTool, BadToolPath or ToolMissing.
  core::Result<std::string, CommandError> toolPath(const std::string& tool) const override;

 private:
  ToolMap tools_;
  const core::Clock& clock_;
};

}  // namespace platform
