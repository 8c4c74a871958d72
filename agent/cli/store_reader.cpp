#include "cli/store_reader.h"

#include <algorithm>

#include "cli/evidence_session.h"
#include "cli/exit_codes.h"
#include "evidence/storage.h"

namespace cli {

core::Result<std::vector<StoredLine>, Failure> readStoreLines(const config::AgentConfig& cfg,
                                                              std::optional<std::size_t> newest) {
  auto storage = evidence::PosixStorage::open(evidenceDir(cfg), false);
  if (!storage.ok()) {
    if (storage.error().code == evidence::StorageErrc::NotFound) return std::vector<StoredLine>{};
    return core::fail(Failure{kExitRuntime, "evidence: " + storage.error().message});
  }
  auto listed = (*storage)->list();
  if (!listed.ok()) return core::fail(Failure{kExitRuntime, "evidence: " + listed.error().message});
  std::vector<std::string> names;
  for (const auto& f : *listed) {
    if (evidence::segmentSeq(f.name) > 0) names.push_back(f.name);
  }
  std::sort(names.begin(), names.end());
  std::size_t first = 0;  // the oldest segment read
  std::vector<std::vector<StoredLine>> per_segment(names.size());
  std::size_t total = 0;
  for (std::size_t i = names.size(); i > 0; --i) {
    const std::string& name = names[i - 1];
    auto text = (*storage)->read(name);
    if (!text.ok()) return core::fail(Failure{kExitRuntime, "evidence: " + text.error().message});
    std::size_t pos = text->find('\n');
    for (pos = pos == std::string::npos ? text->size() : pos + 1; pos < text->size();) {
      const std::size_t end = text->find('\n', pos);
      if (end == std::string::npos) break;
      per_segment[i - 1].push_back({name, text->substr(pos, end - pos)});
      pos = end + 1;
    }
    total += per_segment[i - 1].size();
    first = i - 1;
    if (newest && total >= *newest) break;
  }
  std::vector<StoredLine> lines;
  lines.reserve(total);
  for (std::size_t i = first; i < names.size(); ++i) {
    for (auto& l : per_segment[i]) lines.push_back(std::move(l));
  }
  return lines;
}

}  // namespace cli
