// all / any / none: a verdict over sub-probes. The target is the check id unless the rule
// names one; each sub-probe's outcome is listed in details.
#include "checks/probe_registry.h"
#include "checks/probes.h"

namespace checks {
namespace {

enum class Combine { All, Any, None };

struct Tally {
  int compliant = 0, drifted = 0, error = 0, not_applicable = 0, total = 0;
};

std::vector<ProbeResult> combine(Combine how, const std::vector<rules::ProbeSpec>& subs,
                                 const std::string& named_target, ProbeContext& ctx) {
  const std::string target = named_target.empty() ? ctx.check_id : named_target;
  Tally t;
  std::map<std::string, std::string> details;
  for (size_t i = 0; i < subs.size(); ++i) {
    const auto results = ctx.registry.evaluate(subs[i], ctx);
    std::string summary;
    for (const auto& r : results) {
      ++t.total;
      switch (r.status) {
        case Status::Compliant: ++t.compliant; break;
        case Status::Drifted: ++t.drifted; break;
        case Status::NotApplicable: ++t.not_applicable; break;
        default: ++t.error; break;
      }
      summary += (summary.empty() ? "" : "; ") + r.target + " " + std::string(toString(r.status));
      if (auto it = r.details.find("reason"); it != r.details.end()) summary += " (" + it->second + ")";
    }
    details["probes[" + std::to_string(i) + "]"] = subs[i].type + ": " + summary;
  }
  const std::string actual = std::to_string(t.compliant) + " of " + std::to_string(t.total) + " pass";
  std::string expected;
  Status status = Status::Error;
  switch (how) {
    case Combine::All:
      expected = "all pass";
      status = t.drifted ? Status::Drifted : t.error ? Status::Error
             : t.not_applicable ? Status::NotApplicable : Status::Compliant;
      break;
    case Combine::Any:
      expected = "at least one passes";
      status = t.compliant ? Status::Compliant : t.error ? Status::Error
             : t.not_applicable ? Status::NotApplicable : Status::Drifted;
      break;
    case Combine::None:
      expected = "none pass";
      status = t.compliant ? Status::Drifted : t.error ? Status::Error
             : t.not_applicable ? Status::NotApplicable : Status::Compliant;
      break;
  }
  ProbeResult r{target, status, expected, actual, std::move(details)};
  if (status == Status::Error) r.details["reason"] = "a sub-probe failed to evaluate";
  if (status == Status::NotApplicable) r.details["reason"] = "a sub-probe is not applicable";
  return single(r);
}

}  // namespace

void registerCompositeProbes(ProbeRegistry& registry) {
  registry.add("all", [](const rules::ProbeSpec& s, ProbeContext& ctx) {
    const auto& p = *s.as<rules::AllProbe>();
    return combine(Combine::All, p.probes, p.target, ctx);
  });
  registry.add("any", [](const rules::ProbeSpec& s, ProbeContext& ctx) {
    const auto& p = *s.as<rules::AnyProbe>();
    return combine(Combine::Any, p.probes, p.target, ctx);
  });
  registry.add("none", [](const rules::ProbeSpec& s, ProbeContext& ctx) {
    const auto& p = *s.as<rules::NoneProbe>();
    return combine(Combine::None, p.probes, p.target, ctx);
  });
}

}  // namespace checks
