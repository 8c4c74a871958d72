#pragma once
// The backups a live heal takes before each file step (state_dir/backups): the file's metadata
// and (when the step changes it) its content, durable before the change, so a heal cut short by
// a crash can still be undone by hand. They may hold sensitive content (the shadow file before an
// edit), so the directory must be the agent's alone (0700), and they are pruned after
// `healing.backup_retention`.
//
// One file per step, <unix ms>-<rule>-<step>-<path tag>[.<n>].backup: a line of JSON metadata
// (path, existed, mode, uid, gid, rule_id, content_saved), then the content byte for byte. Agents
// before it wrote a pair, .json (the metadata) and .bak (the content): those are still
// recognised by backupTime(), so they are counted, and pruned at the same age; nothing converts
// them, and each member of a pair counts as one file. The age comes from the name the agent
// wrote, not from the mtime, which anything with write access could set.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/pending_syncs.h"
#include "healing/file_change.h"

namespace healing {

inline constexpr const char* kBackupExtension = ".backup";

/// Writes the backup of the file `change` is about to change, into `dir` (created 0700 when
/// missing), synced (file and directory), or with `syncs` handed to it to be made durable by
/// its flush before the change (PendingSyncs::Due::BeforeChange). Returns "" or why not: the
/// directory is not a directory, is not the agent's own, or is open to others (with the chmod
/// that fixes it), or a write or sync failed.
std::string writeBackup(const std::string& dir, const std::string& rule_id, std::size_t step, const FileChange& change,
                        std::int64_t now_ms, core::PendingSyncs* syncs = nullptr);

/// Creates `dir` (0700) when missing and checks it as writeBackup does. "" or why not.
std::string checkBackupDir(const std::string& dir);

struct BackupPruneReport {
  std::size_t removed = 0;            // files removed (of the older pair, .bak and .json count one each)
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
