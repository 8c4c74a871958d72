#pragma once
// The report of a check or run: what `--json` prints (the shape of design.md) and the readable
// table: the findings, and what healing planned or did about them.
#include <string>
#include <vector>

#include "checks/finding.h"
#include "healing/action_record.h"

namespace cli {

struct Report {
  std::string mode;           // dry_run | live
  std::string tier;           // standard | full_coverage
  std::string rules_version;
  std::vector<checks::Finding> findings;
  std::vector<healing::ActionRecord> actions;
};

/// One JSON document (design.md "--json"); invalid UTF-8 from host files is replaced, never
/// thrown on. Ends with a newline.
std::string renderJson(const Report& report);

/// A table for humans: one line per finding that is not compliant (all with `verbose`), then the
/// summary. ANSI colours only when `color`.
std::string renderTable(const Report& report, bool color, bool verbose = false);

/// Whether the findings leave drift or errors (exit code 1). With `healed_fixes`, a drift whose
/// action was `healed` (verified by its re-check) no longer counts.
bool hasDriftOrErrors(const Report& report, bool healed_fixes = false);

}  // namespace cli
