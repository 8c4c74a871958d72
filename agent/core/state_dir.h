#pragma once
// The agent's own durable state files, behind one seam: the files of state_dir that the agent
// alone writes and reads back at the next start (recorded.json, the outbox cursor; guards.json,
// the keys and the compiled rules cache are still written by their own code, see
// docs/ROADMAP.md, issue 11 C1). One implementation writes them the one durable way
// (core::replaceFileAtomic: a temporary, short writes continued, fsync, rename, the directory's
// fsync); tests use tests/fakes/fake_state_dir.h, which can fail a write on demand, so "the
// state could not be saved" paths are tested without filling a disk.
//
// Names are plain file names inside the directory (no '/'): the seam is not a file system.
#include <optional>
#include <string>
#include <string_view>

#include "core/pending_syncs.h"
#include "core/result.h"

namespace core {

class StateDir {
 public:
  virtual ~StateDir() = default;

  /// The content of `name`, nullopt when it does not exist. An error is a message naming the
  /// file and the system error (a file that exists but cannot be read is not "absent").
  virtual Result<std::optional<std::string>, std::string> read(const std::string& name) const = 0;

  /// Replaces `name` with `text` so that a crash leaves the old content or the new one, durably
  /// (replaceFileAtomic; `syncs` and `defer_dir_sync` as there). An error names the file.
  virtual Status<std::string> replace(const std::string& name, std::string_view text,
                                      PendingSyncs* syncs = nullptr, bool defer_dir_sync = true) = 0;

  /// Where `name` is, for messages and for operators ("state_dir/recorded.json").
  virtual std::string pathOf(const std::string& name) const = 0;
};

/// state_dir on the real file system. The directory must exist (the CLI and the daemon create
/// state_dir with mode 0700 before anything writes to it).
class PosixStateDir final : public StateDir {
 public:
  explicit PosixStateDir(std::string dir) : dir_(std::move(dir)) {}

  Result<std::optional<std::string>, std::string> read(const std::string& name) const override;
  Status<std::string> replace(const std::string& name, std::string_view text, PendingSyncs* syncs = nullptr,
                              bool defer_dir_sync = true) override;
  std::string pathOf(const std::string& name) const override { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

}  // namespace core
