#pragma once
// A Finding: the verdict of one check on one target. One vocabulary end to end: the status names
// here are the ones in JSON output, evidence, metrics and check-in.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules/model.h"

namespace checks {

enum class Status { Compliant, Drifted, Error, NotApplicable, Waived };

constexpr std::string_view toString(Status s) {
  switch (s) {
    case Status::Compliant: return "compliant";
    case Status::Drifted: return "drifted";
    case Status::Error: return "error";
    case Status::NotApplicable: return "not_applicable";
    case Status::Waived: return "waived";
  }
  return "?";
}

/// What one probe evaluation found for one target, before the check's metadata and waivers.
struct ProbeResult {
  std::string target;  // never empty
  Status status = Status::Error;  // Compliant, Drifted, Error or NotApplicable
  std::string expected;
  std::string actual;
  /// Probe-specific facts (file, line, uid ...). For error / not_applicable, "reason" says why.
  std::map<std::string, std::string> details;
};

struct Finding {
  std::string check_id;
  std::string target;  // never empty: guards, waivers and outcomes are keyed by (id, target)
  Status status = Status::Error;
  rules::Severity severity = rules::Severity::Medium;
  std::vector<std::string> hipaa;
  std::string expected;
  std::string actual;
  std::map<std::string, std::string> details;

  /// The value of a match field: check_id, target, status, severity, expected, actual or
  /// details.<name>. nullopt when the field does not exist (`exists` tests for that).
  std::optional<std::string> field(std::string_view name) const;
};

/// Convenience constructors for probe implementations.
ProbeResult compliant(std::string target, std::string expected, std::string actual);
ProbeResult drifted(std::string target, std::string expected, std::string actual);
ProbeResult probeError(std::string target, std::string reason);
ProbeResult notApplicable(std::string target, std::string reason);

/// A probe's one result as the list probes return, moved in: `return {r};` would copy it (the
/// elements of an initializer_list are const), strings and details, once per check.
std::vector<ProbeResult> single(ProbeResult r);

/// A permission mode as probes print it: four octal digits ("0640", "4755").
std::string octalMode(unsigned mode);

}  // namespace checks
