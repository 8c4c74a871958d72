#pragma once
// The live state a plan predicts: unit states changed by the plan's service steps, everything
// else as the host reports it. What a dry-run re-check (`would_pass`) reads instead of the host.
// Only effects the agent can be sure of are predicted: start/restart -> active, enable ->
// enabled. A restart of chronyd is not predicted to synchronise the clock.
#include <map>
#include <string>

#include "platform/live_state.h"

namespace healing {

class PlannedLiveState final : public platform::LiveState {
 public:
  explicit PlannedLiveState(platform::LiveState& base) : base_(base) {}

  void predictActive(const std::string& unit) { active_[unit] = true; }
  void predictEnabled(const std::string& unit) { enabled_[unit] = true; }

  core::Result<platform::UnitState, platform::LiveError> unitState(const std::string& unit) override {
    auto st = base_.unitState(unit);
    const bool a = active_.count(unit) != 0, e = enabled_.count(unit) != 0;
    // A unit systemd does not know stays unknown: starting it would fail.
    if ((!a && !e) || !st.ok() || !st->loaded) return st;
    platform::UnitState s = *st;
    if (a) s.active_state = "active";
    if (e) s.unit_file_state = "enabled";
    return s;
  }
  core::Result<platform::TimeSyncState, platform::LiveError> timeSync() override { return base_.timeSync(); }
  core::Result<platform::DiskUsage, platform::LiveError> diskUsage(const std::string& mount) override {
    return base_.diskUsage(mount);
  }

 private:
  platform::LiveState& base_;
  std::map<std::string, bool> active_;
  std::map<std::string, bool> enabled_;
};

}  // namespace healing
