#pragma once
// The one JSON encoding of a finding and of an action: what `--json` prints under "findings" and
// "actions" and what the evidence records as `finding`, `snapshot` and `heal` bodies
// (docs/evidence-format.md section 5). One shape everywhere, so a script written against the
// report reads the evidence too:
//
// - every string is valid UTF-8 (host content may be binary: invalid bytes become U+FFFD);
// - a step's `path`, `unit`, `argv`, `diff` and `error` are present only where they apply; a diff
//   longer than kMaxDiffBytes is cut on a character boundary, with `diff_truncated` and the
//   `diff_sha256` of the whole;
// - `would_pass`, `before` and `after` are always present, null where they do not apply.
//
// Templated on the JSON type: the report keeps the fields in this order (ordered_json), the
// evidence canonicalises (json); both are instantiated in encode.cpp.
#include <nlohmann/json.hpp>

#include <cstddef>

#include "checks/finding.h"
#include "healing/action_record.h"

namespace cycle {

/// A heal record's (and a report's) diff is cut to this many bytes, so one huge file cannot make
/// a record exceed the line limit.
inline constexpr std::size_t kMaxDiffBytes = 64 << 10;

/// check_id, target, status, severity, hipaa, expected, actual, details.
template <class Json>
Json findingJson(const checks::Finding& finding);

/// rule_id, check_id, target, outcome, reason_code, reason, steps, would_pass, and `before` and
/// `after` as {status, expected, actual} of the given findings (null when not given): `before`
/// is the finding the action answers, `after` what the re-check found once it was done.
template <class Json>
Json actionJson(const healing::ActionRecord& action, const checks::Finding* before, const checks::Finding* after);

extern template nlohmann::json findingJson<nlohmann::json>(const checks::Finding&);
extern template nlohmann::ordered_json findingJson<nlohmann::ordered_json>(const checks::Finding&);
extern template nlohmann::json actionJson<nlohmann::json>(const healing::ActionRecord&, const checks::Finding*,
                                                           const checks::Finding*);
extern template nlohmann::ordered_json actionJson<nlohmann::ordered_json>(const healing::ActionRecord&,
                                                                          const checks::Finding*,
                                                                          const checks::Finding*);

}  // namespace cycle
