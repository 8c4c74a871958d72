#pragma once
// CommandRunner: the only way the agent runs external programs (systemctl, timedatectl, nft,
// sshd -t ...). A command is an argv vector whose argv[0] names a key of the config's `tools:`
// map, never a path and never a shell string, so a rule can never choose an executable.
// Abstract so probes and actions can be tested with a fake.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/result.h"

namespace platform {

/// Per-stream default cap on captured output.
inline constexpr std::size_t kDefaultMaxOutputBytes = 1024 * 1024;

struct CommandSpec {
  /// argv[0] is a key of the tools: map (e.g. "systemctl"), never a path; the rest is passed
  /// verbatim (no shell: spaces, quotes and ';' are plain bytes).
  std::vector<std::string> argv;
  /// After this, the command's whole process group is killed with SIGKILL. Must be positive.
  std::chrono::milliseconds timeout{30'000};
  /// Cap per stream (stdout and stderr each); the excess is read and discarded.
  std::size_t max_output_bytes = kDefaultMaxOutputBytes;
  /// Written to the command's stdin, which is then closed (empty: stdin is at EOF at once).
  std::string stdin_data;
  /// If >= 0, inherited by the command as descriptor 3, e.g. the candidate file a validator
  /// reads as /dev/fd/3. Not closed by the runner; the caller keeps ownership.
  int input_fd = -1;
};

struct CommandResult {
  int exit_code = -1;    // the exit status, or -1 when the command was killed by a signal
  int term_signal = 0;   // the signal that ended it (SIGKILL after a timeout), else 0
  bool timed_out = false;
  std::string out;       // stdout, at most max_output_bytes
  std::string err;       // stderr, at most max_output_bytes
  bool out_truncated = false;
  bool err_truncated = false;
  std::chrono::milliseconds elapsed{0};

  /// Exited by itself with status 0.
  bool succeeded() const { return !timed_out && term_signal == 0 && exit_code == 0; }
};

enum class CommandErrc {
  InvalidSpec,  // empty argv, timeout <= 0
  UnknownTool,  // argv[0] is not a key of the tools: map
  BadToolPath,  // the configured path is not absolute
  ToolMissing,  // the configured path is not an executable regular file
  SpawnFailed,  // pipes or posix_spawn failed; the message has errno text
};
using CommandError = core::Error<CommandErrc>;

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;

  /// Runs `spec` to completion or timeout. A command that ran is never an error, whatever its
  /// exit status, signal or timeout (see CommandResult). Fails with InvalidSpec, UnknownTool,
  /// BadToolPath, ToolMissing or SpawnFailed when nothing could be run.
  virtual core::Result<CommandResult, CommandError> run(const CommandSpec& spec) = 0;

  /// The absolute path `tool` (a key of the tools: map) would run, without running it: how a
  /// plan learns that a tool is missing. Fails with UnknownTool, BadToolPath or ToolMissing.
  virtual core::Result<std::string, CommandError> toolPath(const std::string& tool) const = 0;
};

}  // namespace platform
