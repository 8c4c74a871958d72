#pragma once
// FakeJournalSender: records every journal entry exactly as the journal sink hands it over, and
// can be told to fail like an unreachable journal.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"

namespace fakes {

class FakeJournalSender final : public core::log::JournalSender {
 public:
  using Entry = std::vector<std::string>;  // "KEY=value", in the order sent

  int send(const Entry& fields) override {
    std::lock_guard lock(mu_);
    if (fail_with_ != 0) {
      ++failed_;
      return -fail_with_;
    }
    entries_.push_back(fields);
    return 0;
  }

  /// From now on send() returns -`err` (0: succeed again) and records nothing.
  void failWith(int err) {
    std::lock_guard lock(mu_);
    fail_with_ = err;
  }

  std::vector<Entry> entries() const {
    std::lock_guard lock(mu_);
    return entries_;
  }
  int failedSends() const {
    std::lock_guard lock(mu_);
    return failed_;
  }

  /// The value of `key` in `entry`, or nullopt when the entry has no such field.
  static std::optional<std::string> field(const Entry& entry, const std::string& key) {
    const std::string prefix = key + "=";
    for (const auto& f : entry)
      if (f.compare(0, prefix.size(), prefix) == 0) return f.substr(prefix.size());
    return std::nullopt;
  }
  /// The entry as a map (a key sent twice would keep its first value; tests check counts apart).
  static std::map<std::string, std::string> asMap(const Entry& entry) {
    std::map<std::string, std::string> out;
    for (const auto& f : entry) {
      const auto eq = f.find('=');
      out.emplace(f.substr(0, eq), eq == std::string::npos ? "" : f.substr(eq + 1));
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  int fail_with_ = 0;
  int failed_ = 0;
};

}  // namespace fakes
