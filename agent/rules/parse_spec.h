#pragma once
// Internal to agent_rules: YAML node -> model for one check, rule or waiver, and the string
// checks shared with the legacy importer. Every problem goes to the Diagnostics; the returned
// value is best-effort (so one bad field does not hide the next) and is only used when the
// diagnostics stayed empty.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/yaml_doc.h"
#include "rules/loader.h"
#include "rules/model.h"

namespace rules::detail {

struct Ctx {
  const std::string& file;
  core::yaml::Diagnostics& diag;
  const KnownTypes& known;
  /// The set's variables with their values in force, for `{var.NAME}`; null: none declared.
  const std::vector<Variable>* vars = nullptr;
};

Check parseCheck(const YAML::Node& node, const std::string& field, Ctx& ctx);
L1Rule parseRule(const YAML::Node& node, const std::string& field, Ctx& ctx);
Waiver parseWaiver(const YAML::Node& node, const std::string& field, Ctx& ctx);

/// Ids of checks and rules: 1..128 of [A-Za-z0-9_.:-], starting with a letter or digit (they
/// key guards, evidence and file names, so nothing that needs quoting).
bool isValidId(std::string_view id);
/// A systemd unit name (or one built around `{target}` when `allow_target`); never starting
/// with '-', which systemctl would read as an option.
bool isValidUnit(std::string_view unit, bool allow_target);
/// Whether `s` holds a control character (below 0x20, or DEL): rule strings are single lines.
bool hasControl(std::string_view s);
/// Status words of a Finding: compliant drifted error not_applicable waived.
bool isFindingStatus(std::string_view s);
/// Parses a match operator spelling (eq ne contains regex gt lt in not_in exists).
std::optional<MatchOp> parseMatchOp(std::string_view s);
/// Checks `value`/`values` against `op` (numbers for gt/lt, a list for in/not_in) and compiles a
/// regex. Returns the problem, or "" when fine.
std::string finishExpectation(Expectation& e);

/// Moves the problems of `from` into `to`, their messages prefixed "(id) " when `id` is known,
/// so every problem names the check or rule it belongs to.
void mergeWithId(const core::yaml::Diagnostics& from, const std::string& id,
                 core::yaml::Diagnostics& to);

SourcePos posOf(const std::string& file, const YAML::Node& node);

}  // namespace rules::detail
