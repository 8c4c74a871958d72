#pragma once
// agent.yaml + environment + command-line flags -> a validated AgentConfig.
//
// Which file: --config > COMPLIANCE_AGENT_CONFIG > kDefaultConfigPath. A missing default file
// means all defaults; a missing file named explicitly is an error. Precedence of each setting:
// flags > environment (HEALING_DRY_RUN, STATE_DIR, LOG_LEVEL) > file > defaults.
//
// The loader is pure apart from reading the one file: the environment comes in as a value
// (fromProcessEnvironment() is the only place that reads the process's), so tests and fuzzers
// drive every path without touching global state.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/agent_config.h"
#include "core/result.h"
#include "core/yaml_doc.h"

namespace config {

inline constexpr const char* kDefaultConfigPath = "/etc/compliance-agent/agent.yaml";

// Limits, checked before a document tree is built (core::yaml::parseGuarded). agent.yaml is a
// few KiB and two levels deep; the limits leave ample room and stop hostile input early.
inline constexpr std::size_t kMaxConfigBytes = 256 * 1024;
inline constexpr int kMaxConfigDepth = 8;
// A message is for a human: past this many problems it says "... and N more" (the full list stays
// in ConfigError::errors).
inline constexpr std::size_t kMaxReportedErrors = 50;

// Environment variable names the loader reads.
inline constexpr const char* kEnvConfig = "COMPLIANCE_AGENT_CONFIG";
inline constexpr const char* kEnvDryRun = "HEALING_DRY_RUN";
inline constexpr const char* kEnvStateDir = "STATE_DIR";
inline constexpr const char* kEnvLogLevel = "LOG_LEVEL";

/// The global command-line flags, already parsed. Independent of the cli module: the CLI converts
/// its GlobalOptions into this. Unset = not given.
struct Overrides {
  std::optional<std::string> config_file;  // --config
  std::optional<std::string> root;         // --root
  std::optional<std::string> rules_dir;    // --rules (a directory or a file)
  std::optional<std::string> state_dir;    // --state-dir
  std::optional<std::string> tier;         // --tier
  std::optional<std::string> log_level;    // --log-level
  std::optional<bool> dry_run;             // true: --dry-run, false: --live
};

/// What the process was started with. A variable that is set but empty counts as set (and is
/// refused where a value is needed), so a blank line in a unit file does not silently fall back.
struct Environment {
  std::map<std::string, std::string> vars;
  // Relative --root / --rules / --state-dir are resolved against this (an operator typing
  // `--root ./image` means the current directory). Empty: relative flag paths are refused.
  std::string working_dir;
  // The agent's own machine, for the default tools: paths (its /etc/os-release, never host_root's).
  ToolPlatform tool_platform = ToolPlatform::Linux;

  /// The variable's value, or nullopt when it is not set.
  std::optional<std::string> get(const std::string& name) const;
};

/// Reads the four variables above, the current directory and the machine's platform (ID=nixos in
/// /etc/os-release) from this process. Never fails: variables not set are left out; an unknown
/// current directory leaves working_dir empty; an unreadable os-release means linux.
Environment fromProcessEnvironment();

enum class ConfigErrc {
  FileMissing,     // the file named by --config or COMPLIANCE_AGENT_CONFIG does not exist
  Unreadable,      // it exists but cannot be read (permissions, a directory, a FIFO, I/O error)
  Invalid,         // it was read, but is not a valid agent.yaml: see `errors`
  BadEnvironment,  // HEALING_DRY_RUN, STATE_DIR, LOG_LEVEL or COMPLIANCE_AGENT_CONFIG is invalid
  BadFlag,         // a flag value is invalid (--tier, --log-level, a path)
};

struct ConfigError {
  ConfigErrc code;
  // For humans: one problem per line, "file:line:col: key: message" for file problems, naming the
  // variable or flag otherwise. Callers switch on `code`, never parse this.
  std::string message;
  std::vector<core::yaml::YamlError> errors;  // every problem of the file (Invalid only)
};

/// Loads the effective configuration. Fails with FileMissing / Unreadable for the file,
/// Invalid (with every problem of the file), BadEnvironment or BadFlag. Flags are checked first,
/// then the environment, then the file; each failure reports all problems of its kind.
/// `default_file` is kDefaultConfigPath except in tests.
core::Result<AgentConfig, ConfigError> loadConfig(const Overrides& overrides, const Environment& env,
                                                  const std::string& default_file = kDefaultConfigPath);

/// As loadConfig, with the file's content given as `text` (named `file_name` in messages);
/// --config and COMPLIANCE_AGENT_CONFIG are ignored. For tests and fuzzing. Fails with Invalid,
/// BadEnvironment or BadFlag.
core::Result<AgentConfig, ConfigError> loadConfigText(std::string_view text, const std::string& file_name,
                                                      const Overrides& overrides = {},
                                                      const Environment& env = {});

/// HEALING_DRY_RUN's spellings, case-insensitive: true/1/yes/on -> true (dry-run),
/// false/0/no/off -> false (live); nullopt for anything else, the empty string included.
std::optional<bool> parseDryRunValue(std::string_view text);

}  // namespace config
