#include "evidence/outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "evidence/record.h"

namespace evidence {
namespace {

OutboxError ioError(const std::string& what, const std::string& path) {
  return {OutboxErrc::Io, what + " " + path + ": " + std::strerror(errno)};
}

// tmp + fsync + rename + directory fsync: the cursor is either the old or the new one.
core::Status<OutboxError> writeAtomic(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return core::fail(ioError("cannot create", tmp));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!ok) return core::fail(ioError("cannot write", tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return core::fail(ioError("cannot replace", path));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return core::fail(ioError("cannot open", dir));
  const bool synced = ::fsync(dfd) == 0;
  ::close(dfd);
  if (!synced) return core::fail(ioError("cannot sync", dir));
  return core::Ok{};
}

}  // namespace

core::Result<Outbox, OutboxError> Outbox::open(const std::string& outbox_dir, const Storage& evidence) {
  if (::mkdir(outbox_dir.c_str(), 0700) != 0 && errno != EEXIST) return core::fail(ioError("cannot create", outbox_dir));
  const std::string path = outbox_dir + "/" + kCursorFile;
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return Outbox(outbox_dir, evidence, 0);
    return core::fail(ioError("cannot read", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("acked_seq") || !doc["acked_seq"].is_number_unsigned()) {
    return core::fail(OutboxError{OutboxErrc::Invalid, path + ": not an outbox cursor ({\"acked_seq\": N}); "
                                                           "remove it to upload everything again"});
  }
  return Outbox(outbox_dir, evidence, doc["acked_seq"].get<std::uint64_t>());
}

core::Result<Batch, OutboxError> Outbox::nextBatch(std::size_t max_records, std::size_t max_bytes,
                                                   std::uint64_t durable_seq) const {
  Batch batch;
  const std::uint64_t want = acked_ + 1;
  if (want > durable_seq || max_records == 0) return batch;
  auto listed = evidence_->list();
  if (!listed.ok()) return core::fail(OutboxError{OutboxErrc::Io, listed.error().message});
  std::vector<std::string> names;
  for (const auto& f : *listed) {
    if (segmentSeq(f.name) > 0) names.push_back(f.name);
  }
  std::sort(names.begin(), names.end());
  // Start at the last segment that begins at or before `want` (or the first, after pruning).
  auto it = std::upper_bound(names.begin(), names.end(), segmentName(want));
  if (it != names.begin()) --it;
  for (; it != names.end(); ++it) {
    auto content = evidence_->read(*it);
    if (!content.ok()) return core::fail(OutboxError{OutboxErrc::Io, content.error().message});
    std::string_view text = *content;
    std::size_t pos = text.find('\n');
    if (pos == std::string_view::npos) continue;
    for (++pos; pos < text.size();) {
      const std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) break;  // a torn tail is never sent
      const std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      auto record = parseRecordLine(line);
      if (!record.ok() || record->seq < want) continue;  // damage is for `evidence verify`
      if (record->seq > durable_seq) return batch;
      if (batch.lines.size() >= max_records || (!batch.lines.empty() && batch.bytes + line.size() + 1 > max_bytes)) {
        return batch;
      }
      if (batch.first_seq == 0) batch.first_seq = record->seq;
      batch.last_seq = record->seq;
      batch.lines.emplace_back(line);
      batch.lines.back().push_back('\n');
      batch.bytes += line.size() + 1;
    }
  }
  return batch;
}

core::Status<OutboxError> Outbox::acknowledge(std::uint64_t seq, std::uint64_t durable_seq) {
  if (seq <= acked_) return core::Ok{};
  if (seq > durable_seq) {
    return core::fail(OutboxError{OutboxErrc::Ahead, "acknowledgement of seq " + std::to_string(seq) +
                                                         " is beyond the durable head " + std::to_string(durable_seq)});
  }
  const nlohmann::json doc{{"acked_seq", seq}};
  if (auto st = writeAtomic(dir_, kCursorFile, doc.dump() + "\n"); !st.ok()) return st;
  acked_ = seq;
  return core::Ok{};
}

}  // namespace evidence
