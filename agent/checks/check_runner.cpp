#include "checks/check_runner.h"

#include <chrono>

namespace checks {
namespace {

Finding toFinding(const rules::Check& check, ProbeResult r) {
  Finding f;
  f.check_id = check.id;
  f.target = r.target.empty() ? check.id : std::move(r.target);
  f.status = r.status;
  f.severity = check.severity;
  f.hipaa = check.hipaa;
  f.expected = std::move(r.expected);
  f.actual = std::move(r.actual);
  f.details = std::move(r.details);
  return f;
}

Finding gated(const rules::Check& check, Status status, std::string reason) {
  Finding f = toFinding(check, ProbeResult{naturalTarget(check.probe, check.id), status, "", "", {}});
  f.details["reason"] = std::move(reason);
  return f;
}

std::string formatDate(std::chrono::sys_days d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace

std::string naturalTarget(const rules::ProbeSpec& spec, const std::string& check_id) {
  return std::visit(
      [&](const auto& p) -> std::string {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, rules::ConfigValueProbe> || std::is_same_v<T, rules::FileRegexProbe>) return p.paths.front();
        else if constexpr (std::is_same_v<T, rules::SysctlProbe>) return p.key;
        else if constexpr (std::is_same_v<T, rules::SystemdUnitProbe>) return p.unit;
        else if constexpr (std::is_same_v<T, rules::TimeSyncProbe>) return "time";
        else if constexpr (std::is_same_v<T, rules::NixosGenerationProbe>) return "system";
        else if constexpr (std::is_same_v<T, rules::ProcessRunningProbe>) return p.name;
        else if constexpr (std::is_same_v<T, rules::CertExpiryProbe>) return p.path.empty() ? p.agent_file : p.path;
        else if constexpr (std::is_same_v<T, rules::AllProbe> || std::is_same_v<T, rules::AnyProbe> ||
                           std::is_same_v<T, rules::NoneProbe>) return p.target.empty() ? check_id : p.target;
        else if constexpr (requires { p.path; }) return p.path;
        else return check_id;
      },
      spec.body);
}

std::vector<Finding> evaluateCheck(const rules::Check& check, ProbeContext& ctx) {
  ctx.check_id = check.id;
  if (check.applies_if) {
    for (const auto& r : ctx.registry.evaluate(*check.applies_if, ctx)) {
      if (r.status == Status::Compliant) continue;
      const auto reason_it = r.details.find("reason");
      const std::string why = reason_it != r.details.end() ? reason_it->second : r.actual;
      if (r.status == Status::Error) return {gated(check, Status::Error, "applies_if " + check.applies_if->type + ": " + why)};
      return {gated(check, Status::NotApplicable,
                    "applies_if " + check.applies_if->type + " does not hold (" + r.target + ": " + why + ")")};
    }
  }
  std::vector<Finding> out;
  for (auto& r : ctx.registry.evaluate(check.probe, ctx)) out.push_back(toFinding(check, std::move(r)));
  return out;
}

void applyWaivers(std::vector<Finding>& findings, const std::vector<rules::Waiver>& waivers,
                  std::chrono::sys_days today) {
  for (auto& f : findings) {
    if (f.status != Status::Drifted) continue;
    for (const auto& w : waivers) {
      if (!w.covers(f.check_id, f.target)) continue;
      if (!w.activeOn(today)) {
        f.details["expired_waiver"] = "expired " + formatDate(w.expires) + " (" + w.reason + ")";
        continue;
      }
      f.status = Status::Waived;
      f.details["waiver_reason"] = w.reason;
      f.details["waiver_approved_by"] = w.approved_by;
      f.details["waiver_expires"] = formatDate(w.expires);
      f.details.erase("expired_waiver");
      break;
    }
  }
}

std::vector<Finding> runChecks(const rules::RuleSet& set, ProbeContext& ctx, const RunOptions& options) {
  std::vector<Finding> out;
  out.reserve(set.checks.size());  // one finding per check but for multi-target probes
  for (const auto& check : set.checks) {
    if (options.only_check && check.id != *options.only_check) continue;
    if (!check.runsOn(options.platform)) {
      out.push_back(gated(check, Status::NotApplicable,
                          "not for platform " + std::string(rules::toString(options.platform))));
      continue;
    }
    if (options.disabled.count(check.id)) {
      out.push_back(gated(check, Status::NotApplicable, "disabled by configuration (checks.disabled)"));
      continue;
    }
    auto found = evaluateCheck(check, ctx);
    out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  const auto today = std::chrono::floor<std::chrono::days>(ctx.clock.wallNow());
  applyWaivers(out, set.waivers, today);
  return out;
}

}  // namespace checks
