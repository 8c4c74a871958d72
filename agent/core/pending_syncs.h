#pragma once
// PendingSyncs: what a live heal has written but not yet made durable, and when it must be:
// before the next change to the host (a backup, the guards' write-ahead attempt, the evidence
// records of the changes made so far), or before the heal's evidence record (the host file's
// new directory entry). Flushing a set pays for as few flushes as the file systems allow: per
// file system, one file (inode) costs its own fsync; two or more share a single syncfs, which
// writes back every dirty inode of that file system and commits its journal, so it covers all
// of them at once.
//
// Records ("write now, sync later"): the evidence writer appends a heal record to its segment at
// once and hands the segment here (addRecords) instead of syncing it: the record becomes durable
// with the next flush that is due before a change anyway (the next heal's, with its intent, its
// backup and its new content), one flush instead of two. While records are pending, what is due before a record is
// due before the next change too, and the records' file system is flushed last, so a durable
// record never describes a change a power cut could undo. The writer is told the outcome
// (Confirm) and may refuse it (records it has cut back meanwhile), which fails the flush.
//
// The trade: syncfs also writes whatever else is dirty on that file system (another program's
// unsynced files), so on a busy disk one syncfs can cost more than the flushes it replaces. On an
// appliance the state and the host's /etc share a quiet root file system, and a heal's
// write-ahead set (the guards' intent, the backup file and its directory, the new content, the
// previous heal's record) is one syncfs instead of five flushes. Since Linux 5.8 syncfs reports writeback errors of the file
// system (before, it always returned 0); older kernels are not supported by the agent anyway.
//
// Not thread-safe: one healing pass owns one set.
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"

namespace core {

class PendingSyncs {
 public:
  enum class Due {
    BeforeChange,  // must be durable before anything more changes on the host
    BeforeRecord,  // must be durable before the record of the change is (at the latest)
  };
  /// Told once whether the flush that covered a records entry succeeded (true) or failed
  /// (false; the entry is dropped then: its owner writes the records again). Returns whether the
  /// records are durable now: false (they were cut back since they were handed over) fails the
  /// flush, so that nobody acts on records that are not there.
  using Confirm = std::function<bool(bool flushed)>;
  /// Makes a file without a descriptor durable (a test's in-memory storage); "" or why not.
  using Flush = std::function<std::string()>;

  PendingSyncs() = default;
  ~PendingSyncs();
  PendingSyncs(const PendingSyncs&) = delete;
  PendingSyncs& operator=(const PendingSyncs&) = delete;

  /// Keeps a duplicate of `fd` (a regular file or a directory) until it is flushed. Fails with
  /// the system error when it cannot be duplicated or examined.
  Status<std::string> add(int fd, Due due);

  /// The file `fd` holds evidence records written but not synced: due before the next change,
  /// flushed after everything else due (see "Records" above); `confirm` is told the outcome.
  /// Fails as add() (`confirm` is not called then).
  Status<std::string> addRecords(int fd, Confirm confirm);
  /// The same for a file without a descriptor: `flush` makes it durable (its own flush, last).
  void addRecords(Flush flush, Confirm confirm);

  /// Makes the BeforeChange entries durable (and, with records pending, everything), with `also`
  /// (a descriptor of the caller's, e.g. new content about to be given a name; -1: none).
  /// BeforeRecord entries stay pending, except those on a file system that is synced anyway. On
  /// failure nothing but records entries is dropped: a later flush tries again. Fails with the
  /// path-less system error ("syncfs: Input/output error").
  Status<std::string> flushBeforeChange(int also = -1);

  /// Makes every entry durable, with `records` (the evidence segment that holds the record of
  /// the changes; -1: none), which is flushed last.
  Status<std::string> flushAll(int records = -1);

  /// Entries still pending.
  std::size_t size() const { return entries_.size(); }
  /// Whether the last flush failed (until one succeeds): what was handed over may not be durable.
  bool failing() const { return failing_; }

 private:
  struct Entry {
    int fd = -1;  // -1: a Flush entry
    Due due = Due::BeforeChange;
    unsigned long dev = 0;
    unsigned long ino = 0;
    bool directory = false;
    bool records = false;
    Flush flush;
    Confirm confirm;
  };
  Status<std::string> flush(bool all, int also, bool also_records);
  Status<std::string> addEntry(int fd, Due due, bool records, Confirm confirm);

  std::vector<Entry> entries_;
  bool failing_ = false;
};

}  // namespace core
