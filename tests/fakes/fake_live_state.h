#pragma once
// FakeLiveState: scripted unit, time-sync and disk states. Unscripted queries behave like a
// real host would answer about things that are not there: an unknown unit is "not-found", an
// unknown mount is NotFound, and time sync is a ToolFailed error until scripted. Counts queries,
// so a test can prove that nothing was asked.
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "platform/live_state.h"

namespace fakes {

class FakeLiveState final : public platform::LiveState {
 public:
  template <class T>
  using Reply = core::Result<T, platform::LiveError>;

  void setUnit(const std::string& unit, Reply<platform::UnitState> state) {
    units_.insert_or_assign(unit, std::move(state));
  }
  /// Convenience: a loaded unit in `active_state` with `unit_file_state`.
  void setUnit(const std::string& unit, const std::string& active_state,
               const std::string& unit_file_state) {
    setUnit(unit, platform::UnitState{true, "loaded", active_state, unit_file_state});
  }
  void setTimeSync(Reply<platform::TimeSyncState> state) { time_ = std::move(state); }
  void setDisk(const std::string& mount, Reply<platform::DiskUsage> usage) {
    disks_.insert_or_assign(mount, std::move(usage));
  }
  /// Every method fails with `code` and `message` (e.g. NotQueried), overriding the scripts.
  void failAll(platform::LiveErrc code, std::string message) {
    fail_all_ = platform::LiveError{code, std::move(message)};
  }

  Reply<platform::UnitState> unitState(const std::string& unit) override {
    ++queries_;
    if (fail_all_) return core::fail(*fail_all_);
    if (auto it = units_.find(unit); it != units_.end()) return it->second;
    return platform::UnitState{false, "not-found", "inactive", ""};
  }
  Reply<platform::TimeSyncState> timeSync() override {
    ++queries_;
    if (fail_all_) return core::fail(*fail_all_);
    return time_;
  }
  Reply<platform::DiskUsage> diskUsage(const std::string& mount) override {
    ++queries_;
    if (fail_all_) return core::fail(*fail_all_);
    if (auto it = disks_.find(mount); it != disks_.end()) return it->second;
    return core::fail(platform::LiveError{platform::LiveErrc::NotFound,
                                          "df " + mount + ": no such file or directory"});
  }

  /// How many queries were made, of any kind.
  int queries() const { return queries_; }

 private:
  std::map<std::string, Reply<platform::UnitState>> units_;
  std::map<std::string, Reply<platform::DiskUsage>> disks_;
  Reply<platform::TimeSyncState> time_ =
      core::fail(platform::LiveError{platform::LiveErrc::ToolFailed, "timeSync is not scripted"});
  std::optional<platform::LiveError> fail_all_;
  int queries_ = 0;
};

}  // namespace fakes
