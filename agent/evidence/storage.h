#pragma once
// The evidence directory as the writer, verifier and outbox see it. Abstract so that tests can
// put a file system under it that loses unsynced data on a "power cut" or runs out of space
// (tests/fakes/fake_evidence_storage.h); PosixStorage is the real one.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/pending_syncs.h"
#include "core/result.h"

namespace evidence {

enum class StorageErrc {
  NoSpace,   // ENOSPC / EDQUOT: the disk (or quota) is full
  NotFound,
  Exists,
  Io,        // anything else (EIO after a failed sync included)
};
using StorageError = core::Error<StorageErrc>;

/// A segment open for appending.
class AppendFile {
 public:
  virtual ~AppendFile() = default;
  /// Appends all of `bytes`. On failure some prefix may have been written: the caller cuts the
  /// file back with truncate(). Fails NoSpace or Io.
  virtual core::Status<StorageError> append(std::string_view bytes) = 0;
  /// fdatasync: once this returns, what was appended survives a crash or power cut. Fails Io.
  virtual core::Status<StorageError> sync() = 0;
  /// sync(), and everything `others` holds made durable too, in as few flushes as they allow
  /// together (PendingSyncs::flushAll with this file's descriptor). This default flushes them
  /// apart. Fails Io.
  virtual core::Status<StorageError> syncWith(core::PendingSyncs& others);
  /// What was appended is made durable later, by the next flush of `syncs`
  /// (PendingSyncs::addRecords with this file's descriptor), which tells `confirm`. This default
  /// syncs now and hands `syncs` nothing: correct, without the saving. Fails Io.
  virtual core::Status<StorageError> syncLater(core::PendingSyncs& syncs, core::PendingSyncs::Confirm confirm);
  /// Cuts the file to `size` bytes and syncs. Fails Io.
  virtual core::Status<StorageError> truncate(std::uint64_t size) = 0;
};

struct StoredFile {
  std::string name;
  std::uint64_t size = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;
  /// The regular files of the directory (names only, no order promised). Fails Io.
  virtual core::Result<std::vector<StoredFile>, StorageError> list() const = 0;
  /// The whole content of `name`. Fails NotFound or Io.
  virtual core::Result<std::string, StorageError> read(const std::string& name) const = 0;
  /// Creates `name` (0600) for appending; fails Exists if it is there, NoSpace or Io.
  virtual core::Result<std::unique_ptr<AppendFile>, StorageError> create(const std::string& name) = 0;
  /// Opens an existing `name` for appending. Fails NotFound or Io.
  virtual core::Result<std::unique_ptr<AppendFile>, StorageError> openAppend(const std::string& name) = 0;
  /// Removes `name` (made durable by syncDir). Fails NotFound or Io.
  virtual core::Status<StorageError> remove(const std::string& name) = 0;
  /// Renames `from` to `to`, never over an existing `to` (fails Exists); open AppendFiles follow
  /// the file. Made durable by syncDir. Fails NotFound or Io.
  virtual core::Status<StorageError> rename(const std::string& from, const std::string& to) = 0;
  /// fsync of the directory: makes creations and removals durable. Fails Io.
  virtual core::Status<StorageError> syncDir() = 0;
};

/// The real directory. open() creates it (0700) when `create` is set; read-only users (verify)
/// pass false and get NotFound when it is missing.
class PosixStorage final : public Storage {
 public:
  static core::Result<std::unique_ptr<PosixStorage>, StorageError> open(const std::string& dir, bool create);
  ~PosixStorage() override;

  core::Result<std::vector<StoredFile>, StorageError> list() const override;
  core::Result<std::string, StorageError> read(const std::string& name) const override;
  core::Result<std::unique_ptr<AppendFile>, StorageError> create(const std::string& name) override;
  core::Result<std::unique_ptr<AppendFile>, StorageError> openAppend(const std::string& name) override;
  core::Status<StorageError> remove(const std::string& name) override;
  core::Status<StorageError> rename(const std::string& from, const std::string& to) override;
  core::Status<StorageError> syncDir() override;

  const std::string& dir() const { return dir_; }

 private:
  PosixStorage(std::string dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  std::string dir_;
  int fd_;
};

/// Segment file names: the first seq, 20 digits, ".jsonl".
std::string segmentName(std::uint64_t first_seq);
/// The first seq a segment name spells; 0 when `name` is not a segment name.
std::uint64_t segmentSeq(std::string_view name);
/// Where the writer makes a segment before naming it: ".<segment name>.tmp", which is not a
/// segment name (readers ignore it); and whether `name` is such a file.
std::string segmentTempName(std::uint64_t first_seq);
bool isSegmentTemp(std::string_view name);

}  // namespace evidence
