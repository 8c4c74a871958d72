#pragma once
// The outbox: what central command has acknowledged, and what to send next. The cursor (the
// highest acknowledged seq) lives in state_dir/outbox/cursor.json, written atomically, so it
// survives restarts; batches are read back from the segments, never kept elsewhere, so there is
// one copy of every record. Nothing unacknowledged is ever deleted (retention.h).
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/state_dir.h"
#include "evidence/storage.h"

namespace evidence {

inline constexpr const char* kOutboxDir = "outbox";
inline constexpr const char* kCursorFile = "cursor.json";

enum class OutboxErrc { Io, Invalid, Ahead };
using OutboxError = core::Error<OutboxErrc>;

/// Records to upload, as their exact lines (with the newline): central command verifies them.
struct Batch {
  std::uint64_t first_seq = 0;  // 0: empty
  std::uint64_t last_seq = 0;
  std::vector<std::string> lines;
  std::size_t bytes = 0;
};

class Outbox {
 public:
  /// Reads the cursor (kCursorFile) in `dir`, the outbox's directory (no cursor yet: nothing
  /// acked). The cursor names the acknowledged record's hash too: a cursor that does not match
  /// the chain in `evidence` (a restored or replaced store) counts as nothing acknowledged, so
  /// nothing is pruned and everything is sent again; cursorProblem() says why. Fails Io, or
  /// Invalid for a cursor file that is not {"acked_seq": N, "acked_hash": H} (named). `dir` and
  /// `evidence` must outlive the outbox; creating the directory is the caller's.
  static core::Result<Outbox, OutboxError> open(core::StateDir& dir, const Storage& evidence);

  std::uint64_t ackedSeq() const { return acked_; }
  /// Why the stored cursor was not trusted ("" when it was, or there was none).
  const std::string& cursorProblem() const { return problem_; }

  /// The records after the cursor, at most `max_records` and about `max_bytes` (at least one
  /// record), none past `durable_seq` (the writer's durable head: nothing unsynced is sent).
  /// Fails Io when a segment cannot be read.
  core::Result<Batch, OutboxError> nextBatch(std::size_t max_records, std::size_t max_bytes,
                                             std::uint64_t durable_seq) const;

  /// Central command stored everything up to `seq`: moves the cursor there and syncs it. An ack
  /// below the cursor changes nothing (acks may arrive late or twice); one beyond `durable_seq`
  /// fails Ahead (central command cannot hold what was never written), one for a seq the store
  /// does not hold fails Invalid. Fails Io.
  core::Status<OutboxError> acknowledge(std::uint64_t seq, std::uint64_t durable_seq);

 private:
  Outbox(core::StateDir& dir, const Storage& evidence, std::uint64_t acked)
      : dir_(&dir), evidence_(&evidence), acked_(acked) {}
  core::StateDir* dir_;
  const Storage* evidence_;
  std::uint64_t acked_;
  std::string problem_;
};

}  // namespace evidence
