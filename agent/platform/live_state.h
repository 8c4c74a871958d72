#pragma once
// LiveState: what is not a file: systemd unit states, time synchronisation, disk usage of mounted
// file systems. Whether it is queried at all follows the config's `live_state` (see
// makeLiveState): the files of an image must never be mixed with the live state of the machine
// the agent happens to run on. Abstract so probes can be tested with a fake.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace platform {

class CommandRunner;

enum class LiveErrc {
  NotQueried,       // live state is not queried for this host root; the message is the reason
                    // (probes report not_applicable with it)
  ToolUnavailable,  // the tool could not be run (not configured, missing, spawn failed)
  ToolFailed,       // the tool ran but failed: non-zero exit, signal or timeout
  ParseFailed,      // the tool's output is not what was expected
  NotFound,         // the unit / mount point does not exist
};
using LiveError = core::Error<LiveErrc>;

struct UnitState {
  bool loaded = false;          // load_state == "loaded"
  std::string load_state;       // loaded, not-found, masked, error, bad-setting ...
  std::string active_state;     // active, inactive, failed, activating, deactivating ...
  std::string unit_file_state;  // enabled, disabled, static, masked, ... ("" when not-found)
};

struct TimeSyncState {
  bool synchronized = false;  // the system clock is synchronised (NTPSynchronized)
  bool ntp_enabled = false;   // a network time service is enabled (NTP)
};

struct DiskUsage {
  std::string mount;  // the mount point holding the queried path
  std::uint64_t total_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t avail_bytes = 0;  // available to unprivileged users
  int used_percent = 0;  // used / (used + avail), rounded up, as df shows it
};

class LiveState {
 public:
  virtual ~LiveState() = default;

  /// The state of systemd unit `unit` (e.g. "sshd.service"). A unit systemd does not know is a
  /// value (loaded=false, load_state "not-found"), not an error. Fails with NotQueried,
  /// ToolUnavailable, ToolFailed or ParseFailed.
  virtual core::Result<UnitState, LiveError> unitState(const std::string& unit) = 0;

  /// Time synchronisation. Fails with NotQueried, ToolUnavailable, ToolFailed or ParseFailed.
  virtual core::Result<TimeSyncState, LiveError> timeSync() = 0;

  /// Usage of the file system mounted at (or holding) `mount`. Fails with NotFound when the path
  /// does not exist, else NotQueried, ToolUnavailable, ToolFailed or ParseFailed.
  virtual core::Result<DiskUsage, LiveError> diskUsage(const std::string& mount) = 0;
};

/// Never queries: every method fails with NotQueried and `reason`.
class NotQueriedLiveState final : public LiveState {
 public:
  explicit NotQueriedLiveState(std::string reason) : reason_(std::move(reason)) {}
  core::Result<UnitState, LiveError> unitState(const std::string& unit) override;
  core::Result<TimeSyncState, LiveError> timeSync() override;
  core::Result<DiskUsage, LiveError> diskUsage(const std::string& mount) override;
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

/// The config's `live_state`.
enum class LiveStateMode { Auto, On, Off };

/// "auto" | "on" | "off"; nullopt for anything else.
std::optional<LiveStateMode> parseLiveStateMode(std::string_view text);
const char* liveStateModeName(LiveStateMode mode);

/// Whether live state is queried: Auto only when `host_root` is "/" (lexically: "/", "//", "/."),
/// On always (tests and the demo drive it with stub tools), Off never.
bool liveStateQueried(LiveStateMode mode, const std::string& host_root);

/// A ToolLiveState over `runner` when liveStateQueried(), else a NotQueriedLiveState whose
/// reason names the setting. `runner` must outlive the result. Never fails.
std::unique_ptr<LiveState> makeLiveState(LiveStateMode mode, const std::string& host_root,
                                         CommandRunner& runner, std::chrono::milliseconds timeout);

}  // namespace platform
