#pragma once
// ToolLiveState: LiveState through the tools: programs, run by a CommandRunner:
//   systemctl show --property=LoadState,ActiveState,UnitFileState -- UNIT
//   timedatectl show --property=NTPSynchronized,NTP
//   df -P -B1 -- MOUNT                      (tool key "df")
// The runner gives them LANG=C, so their output is the stable, machine-readable form parsed here.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "platform/command_runner.h"
#include "platform/live_state.h"

namespace platform {

class ToolLiveState final : public LiveState {
 public:
  /// `runner` must outlive this object; `timeout` applies to each command.
  ToolLiveState(CommandRunner& runner, std::chrono::milliseconds timeout)
      : runner_(runner), timeout_(timeout) {}

  core::Result<UnitState, LiveError> unitState(const std::string& unit) override;
  core::Result<TimeSyncState, LiveError> timeSync() override;
  core::Result<DiskUsage, LiveError> diskUsage(const std::string& mount) override;

 private:
  /// Runs argv; fails with ToolUnavailable when it could not run. Its exit status is the
  /// caller's to judge.
  core::Result<CommandResult, LiveError> runTool(std::vector<std::string> argv);

  CommandRunner& runner_;
  std::chrono::milliseconds timeout_;
};

/// Parses "KEY=VALUE" lines (systemctl/timedatectl show). Lines without '=' are ignored; a
/// later duplicate key wins. Values are taken verbatim (no quotes to strip in this format).
std::map<std::string, std::string> parseKeyValueLines(std::string_view text);

/// Parses `df -P -B1` output: a header line, then one line for the file system. The mount point
/// may contain spaces. Fails with ParseFailed.
core::Result<DiskUsage, LiveError> parseDfOutput(std::string_view text);

/// used / (used + avail) in percent, rounded up (as df computes its Capacity column); 0 when
/// both are 0.
int usedPercentLikeDf(std::uint64_t used, std::uint64_t avail);

}  // namespace platform
