#include "checks/finding.h"

#include <cstdio>

namespace checks {

std::optional<std::string> Finding::field(std::string_view name) const {
  if (name == "check_id") return check_id;
  if (name == "target") return target;
  if (name == "status") return std::string(toString(status));
  if (name == "severity") return std::string(rules::toString(severity));
  if (name == "expected") return expected;
  if (name == "actual") return actual;
  constexpr std::string_view kDetails = "details.";
  if (name.substr(0, kDetails.size()) == kDetails) {
    const auto it = details.find(std::string(name.substr(kDetails.size())));
    if (it != details.end()) return it->second;
  }
  return std::nullopt;
}

std::vector<ProbeResult> single(ProbeResult r) {
  std::vector<ProbeResult> out;
  out.push_back(std::move(r));
  return out;
}

ProbeResult compliant(std::string target, std::string expected, std::string actual) {
  return {std::move(target), Status::Compliant, std::move(expected), std::move(actual), {}};
}
ProbeResult drifted(std::string target, std::string expected, std::string actual) {
  return {std::move(target), Status::Drifted, std::move(expected), std::move(actual), {}};
}
ProbeResult probeError(std::string target, std::string reason) {
  ProbeResult r{std::move(target), Status::Error, "", "", {}};
  r.details["reason"] = std::move(reason);
  return r;
}
std::string octalMode(unsigned mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777u);
  return buf;
}

ProbeResult notApplicable(std::string target, std::string reason) {
  ProbeResult r{std::move(target), Status::NotApplicable, "", "", {}};
  r.details["reason"] = std::move(reason);
  return r;
}

}  // namespace checks
