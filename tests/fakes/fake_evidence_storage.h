#pragma once
// FakeEvidenceStorage: an in-memory evidence directory that knows what has been synced, so a
// test can pull the plug (powerCut) and see exactly what a real disk would keep: file contents
// as of their last fdatasync, directory entries as of the last directory fsync. It can also run
// out of space (capacity) or fail the next sync, to test the writer's error paths.
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "evidence/storage.h"

namespace fakes {

class FakeEvidenceStorage final : public evidence::Storage {
 public:
  /// Disk full once the contents of all files would exceed `bytes`.
  void setCapacity(std::optional<std::size_t> bytes) {
    std::lock_guard lock(mu_);
    capacity_ = bytes;
  }
  /// The next sync() of a file fails with Io (after which the data is in an unknown state, as
  /// with a real EIO; the writer must cut back and rewrite).
  void failNextSync() {
    std::lock_guard lock(mu_);
    fail_next_sync_ = true;
  }
  /// The next truncate() fails with Io.
  void failNextTruncate() {
    std::lock_guard lock(mu_);
    fail_next_truncate_ = true;
  }
  /// Loses everything not synced. With `keep_unsynced` > 0, up to that many unsynced bytes of
  /// each file survive (a torn write, as the page cache might have flushed part of it).
  void powerCut(std::size_t keep_unsynced = 0) {
    std::lock_guard lock(mu_);
    std::map<std::string, std::shared_ptr<File>> kept_entries;
    for (auto& [name, f] : durable_) {
      std::string kept = f->synced;
      if (keep_unsynced > 0 && f->data.size() > f->synced.size() &&
          f->data.compare(0, f->synced.size(), f->synced) == 0) {
        kept += f->data.substr(f->synced.size(), std::min(keep_unsynced, f->data.size() - f->synced.size()));
      }
      f->data = kept;
      kept_entries[name] = f;
    }
    files_ = kept_entries;
  }
  /// Test access to a file's bytes.
  std::string& bytes(const std::string& name) { return files_.at(name)->data; }
  bool has(const std::string& name) const {
    std::lock_guard lock(mu_);
    return files_.count(name) > 0;
  }
  int syncCount() const {
    std::lock_guard lock(mu_);
    return syncs_;
  }
  /// What a power cut now would leave of `name` ("" when its directory entry would go).
  std::string durableBytes(const std::string& name) const {
    std::lock_guard lock(mu_);
    const auto it = durable_.find(name);
    return it == durable_.end() ? std::string() : it->second->synced;
  }

  core::Result<std::vector<evidence::StoredFile>, evidence::StorageError> list() const override {
    std::lock_guard lock(mu_);
    std::vector<evidence::StoredFile> out;
    for (const auto& [name, f] : files_) out.push_back({name, f->data.size()});
    return out;
  }
  core::Result<std::string, evidence::StorageError> read(const std::string& name) const override {
    std::lock_guard lock(mu_);
    auto it = files_.find(name);
    if (it == files_.end()) return core::fail(err(evidence::StorageErrc::NotFound, name));
    return it->second->data;
  }
  core::Result<std::unique_ptr<evidence::AppendFile>, evidence::StorageError> create(const std::string& name) override {
    std::lock_guard lock(mu_);
    if (files_.count(name)) return core::fail(err(evidence::StorageErrc::Exists, name));
    auto f = std::make_shared<File>();
    files_[name] = f;
    return std::unique_ptr<evidence::AppendFile>(new Handle(*this, f));
  }
  core::Result<std::unique_ptr<evidence::AppendFile>, evidence::StorageError> openAppend(const std::string& name) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(name);
    if (it == files_.end()) return core::fail(err(evidence::StorageErrc::NotFound, name));
    return std::unique_ptr<evidence::AppendFile>(new Handle(*this, it->second));
  }
  core::Status<evidence::StorageError> remove(const std::string& name) override {
    std::lock_guard lock(mu_);
    if (!files_.erase(name)) return core::fail(err(evidence::StorageErrc::NotFound, name));
    return core::Ok{};
  }
  core::Status<evidence::StorageError> rename(const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(from);
    if (it == files_.end()) return core::fail(err(evidence::StorageErrc::NotFound, from));
    if (files_.count(to)) return core::fail(err(evidence::StorageErrc::Exists, to));
    files_[to] = it->second;
    files_.erase(from);
    return core::Ok{};
  }
  core::Status<evidence::StorageError> syncDir() override {
    std::lock_guard lock(mu_);
    durable_ = files_;  // the directory as it is now is what survives
    return core::Ok{};
  }

 private:
  struct File {
    std::string data;
    std::string synced;
  };

  class Handle final : public evidence::AppendFile {
   public:
    Handle(FakeEvidenceStorage& fs, std::shared_ptr<File> f) : fs_(fs), f_(std::move(f)) {}
    core::Status<evidence::StorageError> append(std::string_view bytes) override {
      std::lock_guard lock(fs_.mu_);
      if (fs_.capacity_) {
        const std::size_t used = fs_.usedLocked();
        const std::size_t room = used >= *fs_.capacity_ ? 0 : *fs_.capacity_ - used;
        if (bytes.size() > room) {
          f_->data.append(bytes.substr(0, room));  // a short write, then ENOSPC
          return core::fail(err(evidence::StorageErrc::NoSpace, "append"));
        }
      }
      f_->data.append(bytes);
      return core::Ok{};
    }
    core::Status<evidence::StorageError> sync() override {
      std::lock_guard lock(fs_.mu_);
      ++fs_.syncs_;
      if (fs_.fail_next_sync_) {
        fs_.fail_next_sync_ = false;
        return core::fail(err(evidence::StorageErrc::Io, "sync"));
      }
      f_->synced = f_->data;
      return core::Ok{};
    }
    // Its sync is the next flush of `syncs` (a descriptor-less entry), with the same failures.
    core::Status<evidence::StorageError> syncLater(core::PendingSyncs& syncs,
                                                   core::PendingSyncs::Confirm confirm) override {
      syncs.addRecords(
          [fs = &fs_, f = f_]() -> std::string {
            std::lock_guard lock(fs->mu_);
            ++fs->syncs_;
            if (fs->fail_next_sync_) {
              fs->fail_next_sync_ = false;
              return "fake storage: sync";
            }
            f->synced = f->data;
            return "";
          },
          std::move(confirm));
      return core::Ok{};
    }
    core::Status<evidence::StorageError> truncate(std::uint64_t size) override {
      std::lock_guard lock(fs_.mu_);
      if (fs_.fail_next_truncate_) {
        fs_.fail_next_truncate_ = false;
        return core::fail(err(evidence::StorageErrc::Io, "truncate"));
      }
      if (size < f_->data.size()) f_->data.resize(size);
      f_->synced = f_->data;
      return core::Ok{};
    }

   private:
    FakeEvidenceStorage& fs_;
    std::shared_ptr<File> f_;
  };

  static evidence::StorageError err(evidence::StorageErrc code, const std::string& name) {
    return {code, "fake storage: " + name};
  }
  std::size_t usedLocked() const {
    std::size_t n = 0;
    for (const auto& [name, f] : files_) n += f->data.size();
    return n;
  }

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<File>> files_;    // the directory now
  std::map<std::string, std::shared_ptr<File>> durable_;  // the directory as of the last syncDir
  std::optional<std::size_t> capacity_;
  bool fail_next_sync_ = false;
  bool fail_next_truncate_ = false;
  int syncs_ = 0;
};

}  // namespace fakes
