#pragma once
// Replacing one of the agent's own small state files (guards.json, the outbox cursor,
// recorded.json) so that a crash leaves either the old or the new content, never a mix: write a
// temporary next to it, fsync, rename over it, fsync the directory. Not for host files (those go
// through platform::HostFiles, with the root and the writable_paths policy).
#include <string>
#include <string_view>

#include "core/pending_syncs.h"
#include "core/result.h"

namespace core {

/// Writes all of `text` to `fd` (short writes continued, EINTR retried). Returns 0 or the errno.
int writeFully(int fd, std::string_view text);

/// Replaces `path` with `text` (mode 0600; the temporary is `path` + ".tmp", never followed if a
/// link). Fails with a message naming the file and the system error; the temporary is removed.
/// The content is always durable before the rename, or a power cut could leave `path` empty.
/// With `syncs`, that flush is shared with what `syncs` holds due before a change
/// (PendingSyncs::flushBeforeChange: a backup, the evidence records written for a later sync),
/// and with `defer_dir_sync` the directory's fsync (the rename's durability) is handed to it
/// (PendingSyncs::Due::BeforeChange) instead of being paid here.
Status<std::string> replaceFileAtomic(const std::string& path, std::string_view text,
                                      PendingSyncs* syncs = nullptr, bool defer_dir_sync = true);

enum class CreateErrc {
  Exists,  // the name is taken: a create-only file (a key, an API key) is never replaced
  Io,
};
using CreateError = Error<CreateErrc>;

/// Creates `dir`/`name` holding `text` with `mode`, never over an existing name: the content goes
/// to a temporary (`dir`/.`name`.tmp, O_EXCL), is fsynced, then link(2)ed to the name (which fails
/// when it exists, so there is no window where another process's file could be overwritten), and
/// the directory is fsynced. Fails Exists ("<path>: already exists") or Io (naming the file and
/// the system error); the temporary is removed either way. For secrets made once: keys, API keys.
Status<CreateError> createFileExclusive(const std::string& dir, const std::string& name,
                                        std::string_view text, unsigned mode);

}  // namespace core
