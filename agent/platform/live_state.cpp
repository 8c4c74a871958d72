#include "platform/live_state.h"

#include "platform/command_runner.h"
#include "platform/tool_live_state.h"

namespace platform {
namespace {

/// "/", "//", "/.", "/./" name the system root; anything else (including "") does not. Purely
/// lexical on purpose: the config's value decides, not what it happens to resolve to.
bool isSystemRoot(const std::string& host_root) {
  if (host_root.empty() || host_root.front() != '/') return false;
  std::size_t i = 0;
  while (i < host_root.size()) {
    const auto next = host_root.find('/', i);
    const auto part = host_root.substr(i, next == std::string::npos ? std::string::npos : next - i);
    if (!part.empty() && part != ".") return false;
    if (next == std::string::npos) break;
    i = next + 1;
  }
  return true;
}

}  // namespace

core::Result<UnitState, LiveError> NotQueriedLiveState::unitState(const std::string&) {
  return core::fail(LiveError{LiveErrc::NotQueried, reason_});
}

core::Result<TimeSyncState, LiveError> NotQueriedLiveState::timeSync() {
  return core::fail(LiveError{LiveErrc::NotQueried, reason_});
}

core::Result<DiskUsage, LiveError> NotQueriedLiveState::diskUsage(const std::string&) {
  return core::fail(LiveError{LiveErrc::NotQueried, reason_});
}

std::optional<LiveStateMode> parseLiveStateMode(std::string_view text) {
  if (text == "auto") return LiveStateMode::Auto;
  if (text == "on") return LiveStateMode::On;
  if (text == "off") return LiveStateMode::Off;
  return std::nullopt;
}

const char* liveStateModeName(LiveStateMode mode) {
  switch (mode) {
    case LiveStateMode::Auto: return "auto";
    case LiveStateMode::On: return "on";
    case LiveStateMode::Off: return "off";
  }
  return "auto";
}

bool liveStateQueried(LiveStateMode mode, const std::string& host_root) {
  switch (mode) {
    case LiveStateMode::Auto: return isSystemRoot(host_root);
    case LiveStateMode::On: return true;
    case LiveStateMode::Off: return false;
  }
  return false;
}

std::unique_ptr<LiveState> makeLiveState(LiveStateMode mode, const std::string& host_root,
                                         CommandRunner& runner, std::chrono::milliseconds timeout) {
  if (liveStateQueried(mode, host_root)) return std::make_unique<ToolLiveState>(runner, timeout);
  if (mode == LiveStateMode::Off) {
    return std::make_unique<NotQueriedLiveState>("live state is not queried (live_state: off)");
  }
  return std::make_unique<NotQueriedLiveState>(
      "live state is not queried when host_root is not / (host_root: " + host_root +
      ", live_state: auto)");
}

}  // namespace platform
