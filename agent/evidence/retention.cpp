#include "evidence/retention.h"

#include <algorithm>
#include <ctime>

#include "evidence/record.h"

namespace evidence {

std::vector<std::string> healthFlags(const Writer& writer, bool over_cap) {
  const auto error = writer.lastCommitError();
  if (over_cap || (error && error->code == WriterErrc::NoSpace)) return {kDiskCapFlag};
  return {};
}

namespace {

// The ts of the last record of a segment that parses; nullopt when none does.
std::optional<core::Clock::WallTime> lastRecordTime(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) break;
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  for (std::size_t i = lines.size(); i > 1; --i) {  // line 0 is the header
    auto record = parseRecordLine(lines[i - 1]);
    if (record.ok()) return parseTimestamp(record->ts);
  }
  return std::nullopt;
}

}  // namespace

core::Result<RetentionResult, RetentionError> applyRetention(Storage& storage, Writer& writer, std::uint64_t acked_seq,
                                                             core::Clock::WallTime now, const RetentionPolicy& policy) {
  auto listed = storage.list();
  if (!listed.ok()) return core::fail(RetentionError{RetentionErrc::Io, listed.error().message});
  std::vector<StoredFile> segments;
  for (const auto& f : *listed) {
    if (segmentSeq(f.name) > 0) segments.push_back(f);
  }
  std::sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  const auto cutoff = now - std::chrono::hours(24) * policy.retention_days;

  // A prefix of segments (never the newest) that are acknowledged and old enough.
  std::size_t prune = 0;
  for (; prune + 1 < segments.size(); ++prune) {
    const std::uint64_t last_seq = segmentSeq(segments[prune + 1].name) - 1;
    if (last_seq > acked_seq) break;
    auto text = storage.read(segments[prune].name);
    if (!text.ok()) return core::fail(RetentionError{RetentionErrc::Io, text.error().message});
    const auto newest = lastRecordTime(*text);
    if (!newest || *newest >= cutoff) break;
  }
  RetentionResult result;
  if (prune > 0) {
    // One pruned record per segment removed, all durable before anything is removed: whatever
    // prefix of the removals a crash (or a failing remove) lets through, the segment the store
    // then starts with is accounted for by one of them (docs/evidence-format.md 6.2).
    // through_hash: the next segment's header names the hash of the record before it.
    std::vector<nlohmann::json> bodies;
    for (std::size_t i = 0; i < prune; ++i) {
      auto next = storage.read(segments[i + 1].name);
      if (!next.ok()) return core::fail(RetentionError{RetentionErrc::Io, next.error().message});
      auto header = parseHeaderLine(std::string_view(*next).substr(0, next->find('\n')));
      // A damaged header is no base for a pruned record: prune only up to before it.
      if (!header.ok()) {
        prune = i;
        break;
      }
      bodies.push_back({{"event", "pruned"},
                        {"through_seq", header->fields.first_seq - 1},
                        {"through_hash", header->fields.prev},
                        {"segments", nlohmann::json::array({segments[i].name})},
                        {"retention_days", policy.retention_days}});
    }
    for (std::size_t i = 0; i < prune; ++i) {
      if (auto seq = writer.append(Kind::Lifecycle, "agent", bodies[i]); !seq.ok()) {
        return core::fail(RetentionError{RetentionErrc::Writer, seq.error().message});
      }
    }
    if (prune > 0) {
      auto durable = writer.commit();
      if (!durable.ok()) return core::fail(RetentionError{RetentionErrc::Writer, durable.error().message});
    }
    for (std::size_t i = 0; i < prune; ++i) {
      auto st = storage.remove(segments[i].name);
      if (!st.ok()) return core::fail(RetentionError{RetentionErrc::Io, st.error().message});
      result.pruned.push_back(segments[i].name);
    }
    if (prune > 0) {
      if (auto st = storage.syncDir(); !st.ok()) return core::fail(RetentionError{RetentionErrc::Io, st.error().message});
    }
  }
  auto after = storage.list();
  if (!after.ok()) return core::fail(RetentionError{RetentionErrc::Io, after.error().message});
  for (const auto& f : *after) result.bytes_total += f.size;
  result.over_cap = result.bytes_total > policy.max_disk_bytes;
  return result;
}

}  // namespace evidence
