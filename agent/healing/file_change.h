#pragma once
// The effect of one file step, computed before anything is written: which file (links resolved
// inside the root), its content and metadata before and after. Both executors use it: dry-run
// applies it to an overlay, the live executor to the host after a backup. The policy checks live
// here too, so no executor can skip them: writable_paths, NixOS store files, the sysctl
// allow-list, content edits that would not parse.
#include <cstdint>
#include <string>
#include <vector>

#include "checks/host_accounts.h"
#include "core/result.h"
#include "healing/reason.h"
#include "platform/host_files.h"
#include "rules/model.h"

namespace healing {

enum class StepErrc {
  OutsideWritable,  // the (resolved) path is not under healing.writable_paths: refused
  NixManaged,       // the file resolves into /nix/store: escalated, never edited in place
  NotAllowed,       // e.g. a sysctl key outside the allow-list: refused
  BadEdit,          // the edit cannot be expressed (a value with a newline ...): refused
  HostError,        // the file could not be read or stat'ed: failed
  DanglingLink,     // the path is a symbolic link to nothing: refused (its target was never checked)
};
using StepError = core::Error<StepErrc>;
/// The reason code of a step refused or failed with `code`.
Reason reasonOf(StepErrc code);

struct FileChange {
  std::string path;           // canonical host path (links resolved)
  bool existed = true;
  bool creates = true;        // when !existed: whether the step creates the file (remove_line does not)
  std::string before, after;  // content (unchanged when only metadata changes)
  // false: a chmod/chown step, which never reads the content: `before` and `after` are empty and
  // say nothing about the file's content (merging such a change must not take them as content).
  bool content_read = true;
  std::uint32_t mode_before = 0, mode_after = 0;
  std::uint32_t uid_before = 0, uid_after = 0;
  std::uint32_t gid_before = 0, gid_after = 0;

  bool changesContent() const { return existed ? before != after : creates; }
  bool changesMetadata() const {
    return existed && (mode_before != mode_after || uid_before != uid_after || gid_before != gid_after);
  }
  bool changesAnything() const { return changesContent() || changesMetadata(); }
};

/// Whether `path` is one of `writable` or below one of them (all normalised host paths).
bool isWritable(const std::string& path, const std::vector<std::string>& writable);

/// The change a file step (set_file_mode, set_file_owner, set_config_value, ensure_line,
/// remove_line, write_file; `{target}` already substituted) makes to `files`. Reads only.
core::Result<FileChange, StepError> computeFileChange(const rules::ActionSpec& step, const platform::HostFiles& files,
                                                      checks::HostAccounts& accounts,
                                                      const std::vector<std::string>& writable);

/// The persist-file half of set_sysctl: `key = value` set in `persist_file` (sysctl format).
/// Refuses keys outside kSysctlAllowList.
core::Result<FileChange, StepError> computeSysctlPersist(const rules::SetSysctlAction& step,
                                                         const platform::HostFiles& files,
                                                         const std::vector<std::string>& writable);

/// Writes a computed change into `files` (an overlay, or the host): content with its metadata,
/// or metadata alone. The mode is set after a chown even when unchanged: chown clears
/// suid/sgid, as the kernel does. With `syncs` (a live heal), what they hold to be durable
/// before a change is flushed first (with the new content: HostFiles::writeFileAtomicAfter).
/// Fails as the HostFiles calls it makes.
core::Status<platform::FsError> applyFileChange(platform::HostFiles& files, const FileChange& c,
                                                core::PendingSyncs* syncs = nullptr);

/// "restart" for restart_service, "reload" for reload_service ...
std::string serviceVerb(const std::string& type);

/// One line for humans: "edit /etc/x", "chmod /etc/x 0644 -> 0640", "... already as wanted".
std::string describeFileChange(const std::string& type, const FileChange& c);

/// "/proc/sys/net/ipv4/ip_forward" for "net.ipv4.ip_forward".
std::string sysctlProcPath(const std::string& key);

}  // namespace healing
