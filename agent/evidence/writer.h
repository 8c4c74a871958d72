#pragma once
// The evidence writer: seals records into the hash chain and appends them to segments with group
// commit. A record is durable only once commit() has returned a head at or past its seq.
//
// At open() the newest segment is checked: a torn last line (a crash mid-write) is cut off; any
// other damage is left in place and the writer goes on in a new segment chained to the last
// intact record. Either way a `lifecycle` `recovery` record names what was found, and it is
// committed before open() returns. docs/evidence-format.md section 7.
//
// Write now, sync later (commitLater): a live heal's record is written to the segment at once
// and its sync handed to the pass's core::PendingSyncs, due before the next change: the next
// heal's flush before its change (or the pass's last guard save) makes it durable in the flush
// it pays anyway, so a heal costs one flush less and its record is still durable before the
// next action changes anything. Until then a power cut can lose the record, never tear the chain (open() cuts a
// torn tail); a failed flush queues it again for the next commit, which writes it anew.
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "evidence/record.h"
#include "evidence/signer.h"
#include "evidence/storage.h"

namespace evidence {

/// Segments grow to about this size before the writer starts a new one.
inline constexpr std::uint64_t kDefaultSegmentBytes = 4 << 20;

struct WriterOptions {
  std::uint64_t segment_max_bytes = kDefaultSegmentBytes;
};

/// The newest record of the chain: its seq (0 before the first) and hash.
struct Head {
  std::uint64_t seq = 0;
  std::string hash = kGenesisPrev;
};

/// What open() found wrong in the newest segment.
struct Fault {
  std::string segment;
  std::size_t line = 0;  // 1-based
  Reason problem = Reason::TornTail;
  std::string detail;
  std::uint64_t bytes_cut = 0;  // torn_tail only
};

enum class WriterErrc {
  NoSpace,   // the disk is full: records stay queued in memory; commit() again later
  Io,        // another storage failure, same treatment
  Encoding,  // a body the canonical encoding refuses (a float, invalid UTF-8): nothing queued
  Damaged,   // open(): no intact record or header to continue from; an operator must look
};
using WriterError = core::Error<WriterErrc>;

class Writer {
 public:
  /// Opens the chain in `storage`, recovering as described above. Fails Damaged, NoSpace or Io
  /// (a recovery that cannot be recorded is not done: the store is left as found).
  static core::Result<std::unique_ptr<Writer>, WriterError> open(Storage& storage, const Signer& signer,
                                                                 const core::Clock& clock, Provenance provenance,
                                                                 WriterOptions options = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Provenance of the records appended from now on (rules or configuration changed).
  void setProvenance(const Provenance& provenance);

  /// Seals a record and queues it; returns its seq. Not durable until commit(). Fails Encoding
  /// (the chain is untouched). Thread-safe.
  core::Result<std::uint64_t, WriterError> append(Kind kind, const std::string& actor, const nlohmann::json& body);

  /// Writes and syncs everything queued so far and returns the durable head. Concurrent callers
  /// share one write and one fdatasync (group commit). Fails NoSpace or Io: the segment is cut
  /// back to its durable length and the records stay queued, byte for byte, for the next call.
  core::Result<Head, WriterError> commit();
  /// commit(), with what `others` holds made durable by the same flush where they can share one
  /// (a live heal's host change, whose record this is: AppendFile::syncWith). `others` is
  /// flushed even when nothing is queued. Fails as commit(); a failed flush of `others` is Io.
  core::Result<Head, WriterError> commit(core::PendingSyncs* others);

  /// append() then commit(others): the record is durable when this returns successfully.
  core::Result<Head, WriterError> appendDurable(Kind kind, const std::string& actor, const nlohmann::json& body,
                                                core::PendingSyncs* others = nullptr);

  /// Writes everything queued to the segment now and hands its sync to `syncs`
  /// (PendingSyncs::addRecords): the records are durable after the next flush of `syncs` that is
  /// due before a change, or the next commit(), whichever comes first; durableHead() then moves
  /// on. Where the records cannot simply be appended (no segment yet, a rotation due, an earlier
  /// failure to cut back) this is commit(&syncs): durable at once. Returns the durable head.
  /// Fails as commit(): the records stay queued.
  core::Result<Head, WriterError> commitLater(core::PendingSyncs& syncs);
  /// append() then commitLater(syncs).
  core::Result<Head, WriterError> appendLater(Kind kind, const std::string& actor, const nlohmann::json& body,
                                              core::PendingSyncs& syncs);

  Head head() const;
  Head durableHead() const;
  /// Records not yet durable: queued, or written for a later sync.
  std::size_t pendingCount() const;
  /// What open() found and recorded.
  const std::vector<Fault>& recoveryFaults() const { return faults_; }
  /// The last commit failure, cleared by a successful commit.
  std::optional<WriterError> lastCommitError() const;

 private:
  Writer(Storage& storage, const Signer& signer, const core::Clock& clock, Provenance provenance, WriterOptions options);
  core::Status<WriterError> recover();
  core::Status<WriterError> writeBatch(const std::deque<SealedRecord>& batch, std::size_t& durable,
                                       core::PendingSyncs* others);
  core::Status<WriterError> writeChunk(const std::string& chunk, std::size_t records, const SealedRecord* last,
                                       core::PendingSyncs* others);
  core::Status<WriterError> startSegment(const SealedRecord& first);
  // A write or sync failed: cuts the segment back to its durable length and queues again, in
  // order, what is not durable (records written for a later sync first, then batch[durable..]).
  // mu_ held, by the committing thread.
  void cutBackLocked(const std::deque<SealedRecord>& batch, std::size_t durable);
  // PendingSyncs::Confirm of the records up to `upto` written to segment generation `gen`.
  bool confirmLater(std::uint64_t gen, std::uint64_t upto, bool flushed);

  Storage& storage_;
  const Signer& signer_;
  const core::Clock& clock_;
  const WriterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable committed_;
  Provenance provenance_;
  Head head_;
  Head durable_;
  std::deque<SealedRecord> pending_;
  bool committing_ = false;
  std::optional<WriterError> last_error_;
  std::vector<Fault> faults_;

  // Written for a later sync (commitLater), not yet known durable, each with the segment length
  // after it; mu_.
  struct Unsynced {
    SealedRecord record;
    std::uint64_t end = 0;
  };
  std::deque<Unsynced> unsynced_;
  bool unsynced_lost_ = false;     // mu_: their flush failed: cut back and written again
  std::uint64_t file_gen_ = 0;     // mu_: bumped when the segment is switched or cut back
  std::uint64_t segment_durable_bytes_ = 0;  // mu_ (a later sync's confirmation moves it)
  // Makes the confirmations handed to PendingSyncs harmless once the writer is gone.
  std::shared_ptr<Writer*> alive_;

  // The open segment: touched only by the one thread committing (committing_) or by open().
  std::unique_ptr<AppendFile> file_;
  std::uint64_t segment_written_bytes_ = 0;  // the segment's length, durable or not
  // A failed write could not be cut back: nothing is appended until a truncate succeeds, or the
  // next record would be glued to the partial bytes (and the durable length would be wrong).
  bool needs_cut_back_ = false;
  std::size_t segment_records_ = 0;
  bool next_segment_is_recovery_ = false;
};

}  // namespace evidence
