#pragma once
// PendingSyncs: what a live heal has written but not yet made durable, and when it must be:
// before the next change to the host (a backup, the guards' write-ahead attempt), or before the
// heal's evidence record (the host file's new directory entry). Flushing a set pays for as few
// flushes as the file systems allow: per file system, one entry costs its own fdatasync (a
// file) or fsync (a directory); two or more share a single syncfs, which writes back every
// dirty inode of that file system and commits its journal, so it covers all of them at once.
//
// The trade: syncfs also writes whatever else is dirty on that file system (another program's
// unsynced files), so on a busy disk one syncfs can cost more than the flushes it replaces. On an
// appliance the state and the host's /etc share a quiet root file system, and a heal's
// write-ahead set (backup file, backup directory, guard directory, the new content) is one
// syncfs instead of four flushes. Since Linux 5.8 syncfs reports writeback errors of the file
// system (before, it always returned 0); older kernels are not supported by the agent anyway.
//
// Not thread-safe: one healing pass owns one set.
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

  PendingSyncs() = default;
  ~PendingSyncs();
  PendingSyncs(const PendingSyncs&) = delete;
  PendingSyncs& operator=(const PendingSyncs&) = delete;

  /// Keeps a duplicate of `fd` (a regular file or a directory) until it is flushed. Fails with
  /// the system error when it cannot be duplicated or examined.
  Status<std::string> add(int fd, Due due);

  /// Makes the BeforeChange entries durable, with `also` (a descriptor of the caller's, e.g. new
  /// content about to be given a name; -1: none). BeforeRecord entries stay pending, except
  /// those on a file system that is synced anyway. On failure nothing is dropped: a later flush
  /// tries again. Fails with the path-less system error ("syncfs: Input/output error").
  Status<std::string> flushBeforeChange(int also = -1);

  /// Makes every entry durable, with `also` (e.g. the evidence segment that holds the record).
  Status<std::string> flushAll(int also = -1);

  /// Entries still pending.
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int fd = -1;
    Due due = Due::BeforeChange;
    unsigned long dev = 0;
    bool directory = false;
  };
  Status<std::string> flush(bool all, int also);

  std::vector<Entry> entries_;
};

}  // namespace core
