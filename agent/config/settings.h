#pragma once
// The effective configuration as a flat list of settings, one per key of agent.yaml, in the
// documented order: the one walk over AgentConfig that the config hash, `config show` and the
// documentation test share, so a key added to AgentConfig is added in one place.
#include <string>
#include <string_view>
#include <vector>

#include "config/agent_config.h"

namespace config {

struct Setting {
  enum class Kind { String, Bool, Number, Duration, List };
  std::string key;  // dotted, as in agent.yaml: "healing.dry_run", "tools.systemctl"
  Kind kind = Kind::String;
  std::string str;                // String
  bool boolean = false;           // Bool
  long long number = 0;           // Number; Duration in milliseconds
  std::vector<std::string> list;  // List
};

/// Every setting of `cfg`, tools last (sorted by name). Never fails.
std::vector<Setting> settingsOf(const AgentConfig& cfg);

/// The value as agent.yaml would spell it: strings bare ("" when empty), durations as "5m",
/// lists as "[a, b]".
std::string displayValue(const Setting& s);

/// Where `key`'s value came from: "default", "default (linux tools)", "FILE:LINE",
/// "environment HEALING_DRY_RUN", "flag --state-dir". Never fails.
std::string sourceOf(const AgentConfig& cfg, std::string_view key);

}  // namespace config
