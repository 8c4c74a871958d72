#include "evidence/outbox.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "evidence/record.h"

namespace evidence {
namespace {

// The sorted segment names of the store.
core::Result<std::vector<std::string>, OutboxError> segmentNames(const Storage& evidence) {
  auto listed = evidence.list();
  if (!listed.ok()) return core::fail(OutboxError{OutboxErrc::Io, listed.error().message});
  std::vector<std::string> names;
  for (const auto& f : *listed) {
    if (segmentSeq(f.name) > 0) names.push_back(f.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The hash of record `seq` in the store: from its line, or from the header of the segment that
// follows it (after pruning, only that may be left). nullopt when the store does not hold it.
core::Result<std::optional<std::string>, OutboxError> hashOf(const Storage& evidence, std::uint64_t seq) {
  auto names = segmentNames(evidence);
  if (!names.ok()) return core::fail(std::move(names.error()));
  // Only two segments can name it: the one holding seq (the last starting at or before it) and
  // the next one, whose header's prev is its hash. Reading more would make every start of a
  // writing command read the whole store.
  auto it = std::upper_bound(names->begin(), names->end(), segmentName(seq));
  if (it != names->begin()) --it;
  for (int n = 0; it != names->end() && n < 2; ++it, ++n) {
    const std::string& name = *it;
    if (segmentSeq(name) > seq + 1) break;
    auto text = evidence.read(name);
    if (!text.ok()) return core::fail(OutboxError{OutboxErrc::Io, text.error().message});
    std::string_view t = *text;
    std::size_t pos = 0;
    for (bool header = true; pos < t.size(); header = false) {
      const std::size_t end = t.find('\n', pos);
      if (end == std::string_view::npos) break;
      const std::string_view line = t.substr(pos, end - pos);
      pos = end + 1;
      if (header) {
        auto h = parseHeaderLine(line);
        if (h.ok() && h->fields.first_seq == seq + 1) return std::optional<std::string>(h->fields.prev);
        continue;
      }
      auto r = parseRecordLine(line);
      if (r.ok() && r->seq == seq && toHex(r->digest) == r->hash) return std::optional<std::string>(r->hash);
    }
  }
  return std::optional<std::string>();
}

}  // namespace

core::Result<Outbox, OutboxError> Outbox::open(core::StateDir& dir, const Storage& evidence) {
  const std::string path = dir.pathOf(kCursorFile);
  auto text = dir.read(kCursorFile);
  if (!text.ok()) return core::fail(OutboxError{OutboxErrc::Io, text.error()});
  if (!*text) return Outbox(dir, evidence, 0);
  const auto doc = nlohmann::json::parse(**text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("acked_seq") || !doc["acked_seq"].is_number_unsigned() ||
      !doc.contains("acked_hash") || !doc["acked_hash"].is_string()) {
    return core::fail(OutboxError{OutboxErrc::Invalid, path + ": not an outbox cursor ({\"acked_seq\": N, "
                                                           "\"acked_hash\": H}); remove it to upload everything again"});
  }
  const auto acked = doc["acked_seq"].get<std::uint64_t>();
  Outbox outbox(dir, evidence, acked);
  if (acked > 0) {
    auto hash = hashOf(evidence, acked);
    if (!hash.ok()) return core::fail(std::move(hash.error()));
    if (!*hash || **hash != doc["acked_hash"].get<std::string>()) {
      outbox.acked_ = 0;
      outbox.problem_ = path + ": acknowledges seq " + std::to_string(acked) +
                        ", which this evidence store does not hold with that hash (a restored or replaced store?): "
                        "nothing counts as acknowledged, nothing is pruned, everything is sent again";
    }
  }
  return outbox;
}

core::Result<Batch, OutboxError> Outbox::nextBatch(std::size_t max_records, std::size_t max_bytes,
                                                   std::uint64_t durable_seq) const {
  Batch batch;
  const std::uint64_t want = acked_ + 1;
  if (want > durable_seq || max_records == 0) return batch;
  auto sorted = segmentNames(*evidence_);
  if (!sorted.ok()) return core::fail(std::move(sorted.error()));
  const std::vector<std::string>& names = *sorted;
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
      // Damage is for `evidence verify` to report; what is sent is whole records, in order, once.
      if (!record.ok() || record->seq < want || toHex(record->digest) != record->hash) continue;
      if (batch.last_seq != 0 && record->seq <= batch.last_seq) continue;
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
  auto hash = hashOf(*evidence_, seq);
  if (!hash.ok()) return core::fail(std::move(hash.error()));
  if (!*hash) {
    return core::fail(OutboxError{OutboxErrc::Invalid, "acknowledgement of seq " + std::to_string(seq) +
                                                           ", which the evidence store does not hold"});
  }
  const nlohmann::json doc{{"acked_seq", seq}, {"acked_hash", **hash}};
  // Atomic and durable (StateDir::replace): the cursor is either the old or the new one.
  if (auto st = dir_->replace(kCursorFile, doc.dump() + "\n"); !st.ok()) {
    return core::fail(OutboxError{OutboxErrc::Io, st.error()});
  }
  acked_ = seq;
  return core::Ok{};
}

}  // namespace evidence
