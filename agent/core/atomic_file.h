#pragma once
// Replacing one of the agent's own small state files (guards.json, the outbox cursor,
// recorded.json) so that a crash leaves either the old or the new content, never a mix: write a
// temporary next to it, fsync, rename over it, fsync the directory. Not for host files (those go
// through platform::HostFiles, with the root and the writable_paths policy).
#include <string>
#include <string_view>

#include "core/result.h"

namespace core {

/// Replaces `path` with `text` (mode 0600; the temporary is `path` + ".tmp", never followed if a
/// link). Fails with a message naming the file and the system error; the temporary is removed.
Status<std::string> replaceFileAtomic(const std::string& path, std::string_view text);

}  // namespace core
