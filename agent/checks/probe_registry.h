#pragma once
// The probe registry: probe type name -> evaluator. Filled explicitly at start-up
// (registerBuiltinProbes), never by static initialisation; the rule validator refuses any type
// that is not registered, so shipped rules only use what is implemented.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "checks/finding.h"
#include "checks/probe_context.h"
#include "rules/model.h"

namespace checks {

/// Evaluates one probe; returns at least one result (one per target). Never throws; failures
/// are results with status Error and a reason.
using ProbeFn = std::function<std::vector<ProbeResult>(const rules::ProbeSpec&, ProbeContext&)>;

class ProbeRegistry {
 public:
  void add(std::string type, ProbeFn fn) { fns_[std::move(type)] = std::move(fn); }
  bool has(std::string_view type) const { return fns_.count(std::string(type)) != 0; }
  std::set<std::string> types() const;

  /// Dispatches to the registered evaluator; an unregistered type (impossible after
  /// validation) gives one Error result.
  std::vector<ProbeResult> evaluate(const rules::ProbeSpec& spec, ProbeContext& ctx) const;

 private:
  std::map<std::string, ProbeFn, std::less<>> fns_;
};

/// Registers every built-in probe type implemented so far.
void registerBuiltinProbes(ProbeRegistry& registry);

}  // namespace checks
