#pragma once
// The backups a live heal takes before each file step (state_dir/backups): the file's content
// (when the step changes it) and its metadata, synced before the change, so a heal cut short by a
// crash can still be undone by hand. They may hold sensitive content (the shadow file before an
// edit), so the directory must be the agent's alone (0700), and they are pruned after
// `healing.backup_retention`.
//
// Names: <unix ms>-<rule>-<step>-<path tag>[.<n>].{bak,json}. The age comes from the name the
// agent wrote, not from the mtime, which anything with write access could set.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "healing/file_change.h"

namespace healing {

/// Writes the backup of the file `change` is about to change, into `dir` (created 0700 when
/// missing). Returns "" or why not: the directory is not a directory, is not the agent's own,
/// or is open to others (with the chmod that fixes it), or a write or sync failed.
std::string writeBackup(const std::string& dir, const std::string& rule_id, std::size_t step, const FileChange& change,
                        std::int64_t now_ms);

/// Creates `dir` (0700) when missing and checks it as writeBackup does. "" or why not.
std::string checkBackupDir(const std::string& dir);

struct BackupPruneReport {
  std::size_t removed = 0;            // files removed (.bak and .json count one each)
  std::vector<std::string> problems;  // files that could not be removed, with why
};

/// Removes the backups in `dir` written more than `max_age` before `now`, oldest first. Files
/// whose name is not a backup's are left alone. A missing directory is an empty one. Fails only
/// when the directory cannot be read.
core::Result<BackupPruneReport, std::string> pruneBackups(const std::string& dir, std::int64_t now_ms,
                                                          std::chrono::milliseconds max_age);

/// The unix-ms time in a backup file name, or -1 when the name is not a backup's.
std::int64_t backupTime(const std::string& file_name);

}  // namespace healing
