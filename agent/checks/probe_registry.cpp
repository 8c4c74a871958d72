#include "checks/probe_registry.h"

#include "checks/probes.h"

namespace checks {

std::set<std::string> ProbeRegistry::types() const {
  std::set<std::string> out;
  for (const auto& [k, v] : fns_) out.insert(k);
  return out;
}

std::vector<ProbeResult> ProbeRegistry::evaluate(const rules::ProbeSpec& spec, ProbeContext& ctx) const {
  const auto it = fns_.find(spec.type);
  if (it == fns_.end()) return single(probeError(ctx.check_id, "probe type '" + spec.type + "' is not implemented"));
  auto results = it->second(spec, ctx);
  if (results.empty()) results.push_back(probeError(ctx.check_id, "probe returned no result"));
  for (auto& r : results) {
    if (r.target.empty()) r.target = ctx.check_id;  // a target is never empty
  }
  return results;
}

void registerBuiltinProbes(ProbeRegistry& registry) {
  registerFileProbes(registry);
  registerSystemProbes(registry);
  registerScanProbes(registry);
  registerCompositeProbes(registry);
}

}  // namespace checks
