#pragma once
// The executor is chosen once at start-up: DryRunExecutor plans on an overlay and changes
// nothing; the LiveExecutor (issue 4) acts. Dry-run is an implementation, not an `if`.
#include <string>
#include <vector>

#include "checks/finding.h"
#include "healing/action_record.h"
#include "rules/model.h"

namespace healing {

/// Whether a re-check's results show `target` fixed: its finding compliant, or absent while the
/// check did run (a scan hit removed); never when any result is an error or not_applicable (a
/// gate such as applies_if closing proves nothing about the drift).
inline bool recheckPasses(const std::vector<checks::Finding>& results, const std::string& target) {
  bool found = false, ran = false;
  for (const auto& f : results) {
    if (f.status == checks::Status::Error || f.status == checks::Status::NotApplicable) return false;
    if (f.status == checks::Status::Compliant || f.status == checks::Status::Drifted) ran = true;
    if (f.target == target) {
      found = true;
      if (f.status != checks::Status::Compliant) return false;
    }
  }
  return found || ran;
}

class Executor {
 public:
  Executor() = default;
  virtual ~Executor() = default;
  // Executors hold a Planner that refers to their own settings: a copy would refer to the original's.
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  /// Carries out (or plans) `rule`'s actions for `finding` of `check`. Never fails: every
  /// problem is an outcome (refused, failed ...) with its reason in the record.
  virtual ActionRecord execute(const rules::L1Rule& rule, const checks::Finding& finding,
                               const rules::Check& check) = 0;
};

}  // namespace healing
