#pragma once
// Internal to agent_config: the agent.yaml schema and the value checks shared by the file, the
// environment and the flags. Not part of the module's public API.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

#include "config/agent_config.h"
#include "core/yaml_doc.h"

namespace config::detail {

/// Applies a parsed agent.yaml on top of `cfg` (which holds the defaults). Every problem goes to
/// `diag` with file, line, column and dotted key; values with problems keep their defaults.
void applyFile(const YAML::Node& root, const std::string& file, AgentConfig& cfg,
               core::yaml::Diagnostics& diag);

/// An agent path (state_dir, rules.dir, tools, certificates): absolute, no control characters.
/// Returns the path with "//", "." and a trailing "/" removed (".." is kept: only the kernel
/// knows what it means past a symlink), or nullopt with `problem` set.
std::optional<std::string> normaliseAgentPath(std::string_view path, std::string& problem);

/// A host path (healing.writable_paths): as an agent path, and ".." is refused, so the healing
/// guard can compare paths as prefixes.
std::optional<std::string> normaliseHostPath(std::string_view path, std::string& problem);

}  // namespace config::detail
