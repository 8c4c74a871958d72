#pragma once
// Reading evidence for the read-only commands (`evidence verify|tail|show|export`, `status`):
// the store in state_dir/evidence or one file (an export or a segment). No lock, nothing
// created, nothing repaired (that is the writer's job, under the lock), nothing verified (that
// is `evidence verify`).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/setup.h"
#include "config/agent_config.h"
#include "evidence/storage.h"

namespace cli {

// One record line, in chain order (damaged lines included: parse says so).
struct StoredLine {
  std::string segment;   // the file's name
  std::size_t line = 0;  // 1-based, in that file (the header is line 1)
  std::string text;      // without the newline
};

/// state_dir/evidence, opened read-only. A missing store fails with exit 3 and "no evidence
/// store at DIR" (what every reader of it says), another error with exit 3 and the error.
core::Result<std::unique_ptr<evidence::PosixStorage>, Failure> openStoreReadOnly(const config::AgentConfig& cfg);

/// The complete record lines of the store, oldest first (a torn last line is left out): all of
/// them, or with `newest` only segments from the newest back until that many lines are in hand
/// (tail must not read a whole store). Fails as openStoreReadOnly.
core::Result<std::vector<StoredLine>, Failure> readStoreLines(const config::AgentConfig& cfg,
                                                              std::optional<std::size_t> newest = std::nullopt);

/// The record lines of one file whose first line is an evidence header (an export or a
/// segment). Fails with exit 2 when it cannot be read or is not evidence.
core::Result<std::vector<StoredLine>, Failure> readFileLines(const std::string& path);

/// The line of record `seq` in the store: searched in the newest segment that can hold it, then
/// the older ones (after a recovery the chain's record is in the newer segment). nullopt when no
/// line holds that seq.
core::Result<std::optional<StoredLine>, Failure> findStoreRecord(const config::AgentConfig& cfg, std::uint64_t seq);

/// The seq of a record line, read without verifying it; nullopt when the line has none.
std::optional<std::uint64_t> lineSeq(const std::string& text);

}  // namespace cli
