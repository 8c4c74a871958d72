#pragma once
// HostEnv: the bundle of injected side effects (files, live state, commands, clocks) that
// reaches every module through constructors. Tests build one from fakes; the CLI and the daemon
// from the Linux implementations (LinuxHostEnv).
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "platform/command_runner.h"
#include "platform/host_files.h"
#include "platform/live_state.h"
#include "platform/spawn_command_runner.h"

namespace platform {

struct HostEnv {
  HostFiles& files;
  LiveState& live;
  CommandRunner& commands;
  const core::Clock& clock;
};

/// The real side effects for one host root. Owns what HostEnv refers to.
class LinuxHostEnv {
 public:
  /// Opens `host_root` (a directory; FsError when it cannot be opened) and prepares the command
  /// runner over `tools` and the live state for `mode`.
  static core::Result<std::unique_ptr<LinuxHostEnv>, FsError> open(
      const std::string& host_root, ToolMap tools, LiveStateMode mode,
      std::chrono::milliseconds live_timeout);

  HostEnv env() { return HostEnv{*files_, *live_, *commands_, clock_}; }

 private:
  LinuxHostEnv() = default;
  core::SystemClock clock_;
  std::unique_ptr<HostFiles> files_;
  std::unique_ptr<CommandRunner> commands_;
  std::unique_ptr<LiveState> live_;
};

}  // namespace platform
