#pragma once
// The report of a check or run: what `--json` prints (the shape of design.md) and the readable
// table: the findings, and what healing planned or did about them.
#include <string>
#include <vector>

#include "checks/finding.h"
#include "healing/action_record.h"

namespace cycle {
class Agent;
struct CycleResult;
}  // namespace cycle

namespace cli {

struct Report {
  std::string mode;           // dry_run | live
  std::string tier;           // standard | full_coverage
  std::string rules_version;
  /// The state after the cycle: re-checked when a live action ran steps (`rechecked`), else
  /// the one check pass there was.
  std::vector<checks::Finding> findings;
  std::vector<healing::ActionRecord> actions;
  /// With `rechecked`: the findings before healing, the ones the actions answered.
  std::vector<checks::Finding> findings_before;
  bool rechecked = false;
};

/// The report of what `agent` did in a cycle or an operator's heal (`result`, moved in).
Report reportOf(const cycle::Agent& agent, cycle::CycleResult result);

/// One JSON document (design.md "--json"); invalid UTF-8 from host files is replaced, never
/// thrown on. Ends with a newline. Live, every action carries `after`: its own re-check when
/// it ran steps, else the target's finding after the cycle; `summary.before_healing` has the
/// counts of `findings_before` when the host was re-checked.
std::string renderJson(const Report& report);

/// Whether output to `fd` gets colour: a terminal, and neither NO_COLOR (non-empty) nor
/// TERM=dumb set.
bool colorWanted(int fd);

/// A table for humans: one line per finding that is not compliant (all with `verbose`), the most
/// severe first, then the actions (the not_in_tier ones folded into one line unless `verbose`;
/// a plan or refusal reason is never cut), then the summary. ANSI colours only when `color`.
/// With `width` (columns, 0: no limit) the lines fit it: columns shrink (names cut with "..."),
/// plans and the not_in_tier line wrap (never cut).
/// With `diffs`, each file step's unified diff follows the actions, once: a diff that several
/// actions share (the same file, the same change) is printed once, naming them all.
std::string renderTable(const Report& report, bool color, bool verbose = false, std::size_t width = 0,
                        bool diffs = false);

/// The width to fit tables to: the terminal's when `fd` is one, else $COLUMNS, else 0 (no
/// limit: piped output keeps every character).
std::size_t tableWidth(int fd);

/// Whether the findings (the state after the cycle) leave drift or errors (exit code 1).
bool hasDriftOrErrors(const Report& report);

}  // namespace cli
