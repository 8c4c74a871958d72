#pragma once
// Reading the evidence store for the read-only commands (`evidence tail|export`, `status`): no
// lock, nothing created, nothing repaired (that is the writer's job, under the lock).
#include <optional>
#include <string>
#include <vector>

#include "cli/setup.h"
#include "config/agent_config.h"

namespace cli {

// One record line of the store, in chain order (damaged lines included: parse says so).
struct StoredLine {
  std::string segment;
  std::string text;  // without the newline
};

// The complete record lines of the store, oldest first (a torn last line is left out): all of
// them, or with `newest` only segments from the newest back until that many lines are in hand
// (tail must not read a whole store).
core::Result<std::vector<StoredLine>, Failure> readStoreLines(const config::AgentConfig& cfg,
                                                              std::optional<std::size_t> newest = std::nullopt);

}  // namespace cli
