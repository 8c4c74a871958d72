#pragma once
// A stable digest of the effective configuration, carried by every evidence record so an auditor
// can tell which settings an appliance ran with. The config holds no secrets (keys and API keys
// are file paths), so hashing all of it leaks nothing.
#include <string>

#include "config/agent_config.h"

namespace config {

/// The canonical text of the effective configuration: a version line, then one `key=value` line
/// per setting in a fixed order (strings JSON-quoted, durations in ms, lists in order, tools
/// sorted by name). ConfigOrigin is left out: the same settings hash the same whatever their
/// source. Never fails.
std::string canonicalConfigText(const AgentConfig& cfg);

/// SHA-256 of canonicalConfigText() (core::sha256Hex), as 64 lowercase hex digits. Never fails;
/// a broken OpenSSL aborts.
std::string configHash(const AgentConfig& cfg);

}  // namespace config
