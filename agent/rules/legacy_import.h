#pragma once
// The earlier platform's JSON rule lists, mapped onto L1Rule so existing sites migrate without
// rewriting their rules. Shape:
//   [ {"id": "L1-NTP-001", "name": "...", "description": "...",
//      "conditions": [{"field": "check_type", "operator": "eq", "value": "ntp_sync"}, ...],
//      "actions": ["restart_service:chronyd", "alert:disk full"],
//      "cooldown_seconds": 300, "max_retries": 2, "severity": "medium", "source": "builtin"} ]
// or the same list under {"rules": [...]}. A file is recognised by that shape, not by its name.
//
// Mapping:
//  - operators: eq equals == -> eq; ne != -> ne; contains; regex; gt > -> gt; lt < -> lt; in;
//    not_in; exists. A list value goes to `values` (in / not_in only).
//  - field names are kept as written; a `status` condition's values are translated to this
//    agent's vocabulary (pass -> compliant; fail, warning, non_compliant, drifted -> drifted;
//    error -> error), since the earlier platform's words would otherwise never match a Finding.
//  - actions "type:arg": arg is the action's main field (unit for the service actions, message
//    for alert, reason for escalate, check_type for agent_heal). alert / escalate without an arg
//    use the rule's name. Any other type cannot be expressed as one string and is an error.
//  - cooldown_seconds -> cooldown (default 10m); max_retries -> max_attempts (default 3);
//    severity -> L1Rule::severity; description kept; source is accepted and ignored.
//  - tier: full_coverage, unless the id starts with one of kLegacyStandardPrefixes followed by
//    '-' (so "L1-DEFENDERUPDATES-001" is not standard while "L1-DEFENDER-001" is).
#include <yaml-cpp/yaml.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/yaml_doc.h"
#include "rules/loader.h"
#include "rules/model.h"

namespace rules {

/// Id prefixes of the legacy rules that belong to the `standard` tier: the short list of time
/// sync, critical services, disk, firewall, Defender and NixOS generation. Both this agent's
/// spellings (L1-TIME, L1-SVC, L1-FW, L1-NIXOS) and the earlier platform's (L1-NTP, L1-SERVICE,
/// L1-FIREWALL, L1-GENERATION) are listed, so its built-in standard rules keep their tier.
inline constexpr std::array<std::string_view, 10> kLegacyStandardPrefixes = {
    "L1-TIME", "L1-SVC",      "L1-DISK",     "L1-FW",         "L1-DEFENDER",
    "L1-NIXOS", "L1-NTP",     "L1-SERVICE",  "L1-FIREWALL",   "L1-GENERATION"};

/// Whether a legacy rule id falls in the standard tier (see kLegacyStandardPrefixes).
bool legacyIsStandard(std::string_view id);

/// Whether a parsed document has the legacy shape: a top-level list, or a map whose only key is
/// `rules` holding a list whose first map item has `conditions`.
bool isLegacyDocument(const YAML::Node& doc);

/// Maps a legacy document to L1 rules. Action types must be in `known.actions`. Problems go to
/// `diag` (positions in `file`, the rule id in the message); the rules returned are then
/// incomplete and must not be used unless `diag` stayed empty.
std::vector<L1Rule> importLegacyRules(const YAML::Node& doc, const std::string& file,
                                      const KnownTypes& known, core::yaml::Diagnostics& diag);

}  // namespace rules
