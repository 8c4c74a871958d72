#pragma once
// The executor is chosen once at start-up: DryRunExecutor plans on an overlay and changes
// nothing; the LiveExecutor (issue 4) acts. Dry-run is an implementation, not an `if`.
#include "checks/finding.h"
#include "healing/action_record.h"
#include "rules/model.h"

namespace healing {

class Executor {
 public:
  virtual ~Executor() = default;
  /// Carries out (or plans) `rule`'s actions for `finding` of `check`. Never fails: every
  /// problem is an outcome (refused, failed ...) with its reason in the record.
  virtual ActionRecord execute(const rules::L1Rule& rule, const checks::Finding& finding,
                               const rules::Check& check) = 0;
};

}  // namespace healing
