#pragma once
// Loading rule files into a RuleSet: parse (guarded YAML, see core/yaml_doc.h), then validate
// strictly, then hand out the typed model. A rule set either loads whole or not at all; the
// error lists every problem found (up to kMaxReportedProblems), each with file, line, column,
// field path and the check or rule id.
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/yaml_doc.h"
#include "rules/model.h"
#include "rules/regex.h"

namespace rules {

// Limits, each with a test. Size and depth are checked before a document is built
// (core::yaml::parseGuarded); file count and size before any file is read.
inline constexpr std::size_t kMaxRuleFileBytes = 1 << 20;   // one rule file
inline constexpr std::size_t kMaxRuleSetBytes = 16 << 20;   // all files of one set together
inline constexpr std::size_t kMaxRuleFiles = 1000;          // files in one set
inline constexpr int kMaxRuleDepth = 16;                    // YAML nesting (maps and lists)
inline constexpr std::size_t kMaxRuleCount = 10000;         // checks + rules + waivers in a set
// (kMaxRegexLength lives in regex.h, next to the compiler.)
/// Problems reported per load; past it one line says how many more there were. A megabyte of
/// junk should not become a gigabyte of messages.
inline constexpr std::size_t kMaxReportedProblems = 200;

/// The probe and action types this agent implements. checks/ and healing/ fill it from their
/// registries, so the validator refuses a rule that uses a type without a handler.
struct KnownTypes {
  std::set<std::string> probes;
  std::set<std::string> actions;

  /// Every type the format defines (kProbeTypeNames, kActionTypeNames): for tests, fuzzing and
  /// tools that validate the format without an agent's registries.
  static KnownTypes all();
};

/// One rule file's contents. `name` is its path relative to the loaded root (it enters the
/// version hash and orders the set); `display` is how messages name it (empty: `name`).
struct SourceFile {
  std::string name;
  std::string text;
  std::string display;
};

/// A site's value for a rule-set variable (agent.yaml `vars:`; later a synced bundle's), with
/// where it was written: a problem with it is reported there. Keyed by variable name.
struct VarOverride {
  std::string value;
  SourcePos pos;
};
using VarOverrides = std::map<std::string, VarOverride>;

enum class RulesErrc {
  Io,       // a file or directory could not be read
  Limit,    // a limit was exceeded (file size, set size, file count, depth, entry count)
  Invalid,  // a file is not a valid rule file (syntax, schema, references)
};

struct RulesError {
  /// Io if any file could not be read, else Limit if any limit was hit, else Invalid.
  RulesErrc code = RulesErrc::Invalid;
  std::vector<core::yaml::YamlError> problems;
  /// Problems found beyond kMaxReportedProblems, counted but not kept.
  std::size_t omitted = 0;

  /// Every problem on its own line: "file:line:col: field: (ID) message".
  std::string format() const;
};

/// Loads a rule file, or a directory recursively: every *.yaml, *.yml and *.json below it (names
/// starting with '.' are skipped; symlinked directories are not followed), in byte order of their
/// relative paths. `path` is an agent path, read directly. Fails with Io when the path or a file
/// cannot be read, Limit/Invalid as loadRuleSources; an empty directory is an (empty) success.
/// `overrides` set variables (RuleSet::vars): an unknown name or a value outside its declaration
/// is an Invalid error at the override's position.
core::Result<RuleSet, RulesError> loadRulePath(const std::string& path, const KnownTypes& known,
                                               const VarOverrides& overrides = {});

/// Reads the rule files of `path` as loadRulePath does (the same order, limits and Io errors),
/// without parsing them: what the rule-set cache hashes before deciding whether to parse.
core::Result<std::vector<SourceFile>, RulesError> readRuleSources(const std::string& path);

/// Loads rule files given in memory (tests, fuzzing, bundles). Each file is YAML, JSON, or a
/// legacy JSON rule list (recognised by shape, see legacy_import.h). Fails with Limit or Invalid
/// and every problem found; never throws.
core::Result<RuleSet, RulesError> loadRuleSources(const std::vector<SourceFile>& files,
                                                  const KnownTypes& known,
                                                  const VarOverrides& overrides = {});

/// The version of a set of sources (RuleSet::source_version; RuleSet::version adds the values of
/// variables that differ from their defaults): SHA-256 hex over the files in `name` order, each as
/// "<name>\0<byte count>\0<bytes>". Independent of where the files lie and of `display`.
std::string ruleSetVersion(const std::vector<SourceFile>& files);

}  // namespace rules
