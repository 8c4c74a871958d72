#pragma once
// What a check cycle leaves in the evidence (docs/evidence-format.md section 5): a `rules` record
// when the active rule set changed, a `finding` record for each finding whose status changed, a
// `snapshot` of every finding on the first cycle and then once a day, a `heal` record for every
// plan or action, and the `cycle` record with the summary and the digest of all findings.
//
// What was last recorded (statuses, rules version, snapshot time) is kept in a small state file
// outside the evidence directory, written after the cycle's records are durable: if it is lost,
// the next cycle records a snapshot and no changes, and nothing is missed.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "checks/finding.h"
#include "core/clock.h"
#include "core/result.h"
#include "evidence/writer.h"
#include "healing/action_record.h"

namespace evidence {

/// A heal record's diff is cut to this many bytes (with diff_sha256 of the whole and
/// diff_truncated), so one huge file cannot make a record exceed the line limit.
inline constexpr std::size_t kMaxDiffBytes = 64 << 10;
/// How often a full snapshot is recorded.
inline constexpr std::chrono::hours kSnapshotInterval{24};

struct CycleFacts {
  std::string tier;
  core::Clock::WallTime started;
  std::int64_t duration_ms = 0;
  std::string rules_version;
  std::string rules_source;  // shipped | bundle
  std::size_t rule_checks = 0;
  std::size_t rule_count = 0;
  std::vector<std::string> health;  // health flags, e.g. evidence_disk_cap
  /// The heal records were already written one by one as the actions ran (live healing): the
  /// cycle record still counts their outcomes.
  bool heal_records_written = false;
};

struct CycleRecorded {
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;   // the cycle record
  std::size_t changed = 0;      // finding records
  bool snapshot = false;
  std::string findings_digest;
};

/// The body of a `finding` record (without previous_status) and of a snapshot entry.
nlohmann::json findingBody(const checks::Finding& finding);
/// The body of a `heal` record; `before` is the finding the action answers (may be null).
nlohmann::json healBody(const healing::ActionRecord& action, const checks::Finding* before);
/// SHA-256 hex of canon(list of findingBody, sorted by check_id then target).
std::string findingsDigest(const std::vector<checks::Finding>& findings);

enum class RecordErrc { Writer, State };
using RecordError = core::Error<RecordErrc>;

/// Appends the cycle's records and commits them; then updates the state file `state_path`.
/// Fails Writer (records stay queued in the writer: a full disk) or State (the records are
/// durable; only the state file could not be written).
core::Result<CycleRecorded, RecordError> recordCycle(Writer& writer, const std::string& state_path,
                                                     const CycleFacts& facts,
                                                     const std::vector<checks::Finding>& findings,
                                                     const std::vector<healing::ActionRecord>& actions,
                                                     core::Clock::WallTime now);

}  // namespace evidence
