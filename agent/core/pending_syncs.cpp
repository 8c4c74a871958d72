#include "core/pending_syncs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

namespace core {
namespace {

std::string errnoText(const char* op, int err) { return std::string(op) + ": " + std::strerror(err); }

// The descriptors due on one file system.
struct DevFlush {
  std::set<unsigned long> inodes;
  int fd = -1;           // any of them (a syncfs needs one, a lone inode's fsync is of it)
  bool records = false;  // holds records: flushed after the file systems that do not
};

}  // namespace

PendingSyncs::~PendingSyncs() {
  for (const auto& e : entries_) {
    if (e.fd >= 0) ::close(e.fd);
  }
}

Status<std::string> PendingSyncs::addEntry(int fd, Due due, bool records, Confirm confirm) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return fail(errnoText("fstat", errno));
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail(errnoText("dup", errno));
  Entry e;
  e.fd = dup;
  e.due = due;
  e.dev = static_cast<unsigned long>(st.st_dev);
  e.ino = static_cast<unsigned long>(st.st_ino);
  e.directory = S_ISDIR(st.st_mode);
  e.records = records;
  e.confirm = std::move(confirm);
  entries_.push_back(std::move(e));
  return Ok{};
}

Status<std::string> PendingSyncs::add(int fd, Due due) { return addEntry(fd, due, false, nullptr); }

Status<std::string> PendingSyncs::addRecords(int fd, Confirm confirm) {
  return addEntry(fd, Due::BeforeChange, true, std::move(confirm));
}

void PendingSyncs::addRecords(Flush flush, Confirm confirm) {
  Entry e;
  e.records = true;
  e.flush = std::move(flush);
  e.confirm = std::move(confirm);
  entries_.push_back(std::move(e));
}

Status<std::string> PendingSyncs::flushBeforeChange(int also) { return flush(false, also, false); }

Status<std::string> PendingSyncs::flushAll(int records) { return flush(true, records, true); }

Status<std::string> PendingSyncs::flush(bool all, int also, bool also_records) {
  // Pending records make what is due before a record due now: it must not be less durable than
  // the record that describes it.
  const bool records = std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.records; });
  const auto due = [&](const Entry& e) { return all || records || e.due == Due::BeforeChange; };
  // Per file system: the descriptors that must be durable now.
  std::map<unsigned long, DevFlush> devs;
  const auto note = [&](unsigned long dev, unsigned long ino, int fd, bool holds_records) {
    DevFlush& d = devs[dev];
    d.inodes.insert(ino);
    if (d.fd < 0) d.fd = fd;
    d.records = d.records || holds_records;
  };
  for (const auto& e : entries_) {
    if (e.fd >= 0 && due(e)) note(e.dev, e.ino, e.fd, e.records);
  }
  if (also >= 0) {
    struct stat st{};
    if (::fstat(also, &st) != 0) {
      failing_ = true;
      return fail(errnoText("fstat", errno));
    }
    note(static_cast<unsigned long>(st.st_dev), static_cast<unsigned long>(st.st_ino), also, also_records);
  }
  std::map<unsigned long, bool> whole;  // file systems that got a syncfs
  std::map<unsigned long, bool> done;   // file systems whose due entries are durable
  std::string error;
  // The records' file systems last (a record is never durable before what it describes).
  for (const bool holding_records : {false, true}) {
    for (const auto& [dev, d] : devs) {
      if (!error.empty() || d.records != holding_records) continue;
      if (d.inodes.size() == 1) {
        // One file: its own flush, never more. fsync, not fdatasync: new content handed over
        // with its mode and owner set needs those durable too, and a directory's entries are
        // what its fsync is for.
        if (::fsync(d.fd) != 0) error = errnoText("fsync", errno);
      } else if (::syncfs(d.fd) != 0) {
        error = errnoText("syncfs", errno);
      } else {
        whole[dev] = true;
      }
      if (error.empty()) done[dev] = true;
    }
  }
  // Then the files without a descriptor (each its own flush), which only records are.
  std::vector<bool> flushed(entries_.size(), false);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].fd >= 0 || !error.empty()) continue;
    error = entries_[i].flush();
    flushed[i] = error.empty();
  }
  // Drop what is now durable (what was due, and whatever else a syncfs covered); tell the
  // records' owners. Records not made durable are dropped too: their owner writes them again.
  std::vector<Entry> kept;
  std::string refused;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    const bool durable = e.fd < 0 ? flushed[i] : whole.count(e.dev) > 0 || (due(e) && done.count(e.dev) > 0);
    if (e.confirm && !e.confirm(durable) && durable && refused.empty()) {
      refused = "evidence records written for this flush were cut back since (a failed commit): not durable";
    }
    if (durable || e.records) {
      if (e.fd >= 0) ::close(e.fd);
    } else {
      kept.push_back(std::move(e));
    }
  }
  entries_ = std::move(kept);
  failing_ = !error.empty() || !refused.empty();
  if (!error.empty()) return fail(error);
  if (!refused.empty()) return fail(refused);
  return Ok{};
}

}  // namespace core
