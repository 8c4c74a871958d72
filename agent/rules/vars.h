#pragma once
// Internal to agent_rules: rule-set variables (YAML `vars:`). Declarations are read from every
// file of a set before any check is parsed, site overrides (agent.yaml `vars:`, later a synced
// bundle) are applied and validated against the declaration, then `{var.NAME}` is substituted
// where the format allows it (expectation values, action values, titles, descriptions).
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/yaml_doc.h"
#include "rules/loader.h"
#include "rules/model.h"

namespace rules::detail {

inline constexpr std::size_t kMaxVarValueBytes = 256;
inline constexpr std::size_t kMaxVars = 500;

/// Reads a document's `vars:` map (name -> {type, default, min, max, allowed, description})
/// into `out`, each with its default in force.
void parseVars(const YAML::Node& vars, const std::string& file, core::yaml::Diagnostics& diag,
               std::vector<Variable>& out);

/// Whether `value` is a valid value of `v`: "" when it is (then `canonical` holds it as stored:
/// an int in decimal without sign or leading zeros), else the problem, naming the bounds.
std::string checkVarValue(const Variable& v, const std::string& value, std::string& canonical);

/// Sorts the declarations by name, reports a name declared twice, then applies `overrides`:
/// an unknown name or a value outside the declaration is reported at the override's position.
void resolveVars(std::vector<Variable>& vars, const VarOverrides& overrides, core::yaml::Diagnostics& diag);

/// Replaces every `{var.NAME}` in `text` with the value in force. Returns "" or the problem
/// (an unknown or malformed reference).
std::string substituteVars(std::string& text, const std::vector<Variable>& vars);

/// RuleSet::version from the source version and the variables in force.
std::string versionInForce(const std::string& source_version, const std::vector<Variable>& vars);

}  // namespace rules::detail
