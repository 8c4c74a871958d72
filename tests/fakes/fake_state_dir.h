#pragma once
// FakeStateDir: core::StateDir in memory, for tests of what the agent does when its own state
// cannot be read or saved. Every replace() is counted; failNextReplaces(n) makes the next n fail
// (content unchanged, as a failed atomic replace leaves it); failReads() makes read() fail.
#include <map>
#include <mutex>
#include <string>

#include "core/state_dir.h"

namespace fakes {

class FakeStateDir final : public core::StateDir {
 public:
  core::Result<std::optional<std::string>, std::string> read(const std::string& name) const override {
    std::lock_guard lock(mu_);
    if (fail_reads_) return core::fail("cannot read " + pathOf(name) + ": Input/output error (fake)");
    const auto it = files_.find(name);
    if (it == files_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  core::Status<std::string> replace(const std::string& name, std::string_view text, core::PendingSyncs* = nullptr,
                                    bool = true) override {
    std::lock_guard lock(mu_);
    ++replaces_;
    if (failing_replaces_ > 0) {
      --failing_replaces_;
      return core::fail("cannot write " + pathOf(name) + ": No space left on device (fake)");
    }
    files_[name] = std::string(text);
    return core::Ok{};
  }
  std::string pathOf(const std::string& name) const override { return "fake-state/" + name; }

  void put(const std::string& name, std::string text) {
    std::lock_guard lock(mu_);
    files_[name] = std::move(text);
  }
  std::optional<std::string> content(const std::string& name) const {
    std::lock_guard lock(mu_);
    const auto it = files_.find(name);
    return it == files_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void failNextReplaces(int n) {
    std::lock_guard lock(mu_);
    failing_replaces_ = n;
  }
  void failReads(bool on) {
    std::lock_guard lock(mu_);
    fail_reads_ = on;
  }
  int replaces() const {
    std::lock_guard lock(mu_);
    return replaces_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> files_;
  int failing_replaces_ = 0;
  bool fail_reads_ = false;
  int replaces_ = 0;
};

}  // namespace fakes
