#pragma once
// Retention and the disk cap. Only whole segments are removed, oldest first, and only when every
// record in them is acknowledged by central command and the newest of them is older than
// `retention_days`; the newest segment never goes. A `lifecycle` `pruned` record, synced before
// anything is removed, keeps the shorter chain verifiable (docs/evidence-format.md 6.2). Above
// the disk cap nothing more is removed: the `evidence_disk_cap` health flag is raised instead.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "evidence/storage.h"
#include "evidence/writer.h"

namespace evidence {

/// The health flag for evidence that cannot grow or stay within its limit.
inline constexpr const char* kDiskCapFlag = "evidence_disk_cap";

struct RetentionPolicy {
  int retention_days = 90;
  std::uint64_t max_disk_bytes = 1024ull << 20;
};

struct RetentionResult {
  std::vector<std::string> pruned;   // segment names removed
  std::uint64_t bytes_total = 0;     // the store's size afterwards
  bool over_cap = false;             // bytes_total > max_disk_bytes
};

enum class RetentionErrc { Io, Writer };
using RetentionError = core::Error<RetentionErrc>;

/// Applies the policy. `acked_seq` is the outbox cursor. Fails Io (listing, reading, removing)
/// or Writer (the pruned record could not be made durable: then nothing was removed).
core::Result<RetentionResult, RetentionError> applyRetention(Storage& storage, Writer& writer, std::uint64_t acked_seq,
                                                             core::Clock::WallTime now, const RetentionPolicy& policy);

/// The evidence health flags: kDiskCapFlag when the store is over its cap (`over_cap`, from
/// applyRetention) or the writer's last commit failed for lack of space. Empty when healthy.
std::vector<std::string> healthFlags(const Writer& writer, bool over_cap);

}  // namespace evidence
