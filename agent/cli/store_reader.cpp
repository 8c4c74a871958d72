#include "cli/store_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cycle/evidence_session.h"
#include "cli/exit_codes.h"
#include "evidence/record.h"

namespace cli {
namespace {

// The complete record lines of one file's text: line 1 (the header) and a torn last line left out.
std::vector<StoredLine> recordLines(const std::string& name, const std::string& text) {
  std::vector<StoredLine> out;
  std::size_t pos = text.find('\n');
  std::size_t line = 2;
  for (pos = pos == std::string::npos ? text.size() : pos + 1; pos < text.size(); ++line) {
    const std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;
    out.push_back({name, line, text.substr(pos, end - pos)});
    pos = end + 1;
  }
  return out;
}

// The segment names of the store, sorted (which is chain order).
core::Result<std::vector<std::string>, Failure> segmentNames(const evidence::Storage& storage) {
  auto listed = storage.list();
  if (!listed.ok()) return core::fail(Failure{kExitRuntime, "evidence: " + listed.error().message});
  std::vector<std::string> names;
  for (const auto& f : *listed) {
    if (evidence::segmentSeq(f.name) > 0) names.push_back(f.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

core::Result<std::vector<StoredLine>, Failure> segmentLines(const evidence::Storage& storage, const std::string& name) {
  auto text = storage.read(name);
  if (!text.ok()) return core::fail(Failure{kExitRuntime, "evidence: " + text.error().message});
  return recordLines(name, *text);
}

}  // namespace

core::Result<std::unique_ptr<evidence::PosixStorage>, Failure> openStoreReadOnly(const config::AgentConfig& cfg) {
  auto storage = evidence::PosixStorage::open(cycle::evidenceDir(cfg), false);
  if (storage.ok()) return std::move(*storage);
  if (storage.error().code == evidence::StorageErrc::NotFound) {
    return core::fail(Failure{kExitRuntime, "no evidence store at " + cycle::evidenceDir(cfg) +
                                                " (nothing recorded there yet: check --state-dir / state_dir)"});
  }
  return core::fail(Failure{kExitRuntime, "evidence: " + storage.error().message});
}

core::Result<std::vector<StoredLine>, Failure> readStoreLines(const config::AgentConfig& cfg,
                                                              std::optional<std::size_t> newest) {
  auto storage = openStoreReadOnly(cfg);
  if (!storage.ok()) return core::fail(std::move(storage.error()));
  auto names = segmentNames(**storage);
  if (!names.ok()) return core::fail(std::move(names.error()));
  std::size_t first = 0;  // the oldest segment read
  std::vector<std::vector<StoredLine>> per_segment(names->size());
  std::size_t total = 0;
  for (std::size_t i = names->size(); i > 0; --i) {
    auto lines = segmentLines(**storage, (*names)[i - 1]);
    if (!lines.ok()) return core::fail(std::move(lines.error()));
    per_segment[i - 1] = std::move(*lines);
    total += per_segment[i - 1].size();
    first = i - 1;
    if (newest && total >= *newest) break;
  }
  std::vector<StoredLine> lines;
  lines.reserve(total);
  for (std::size_t i = first; i < names->size(); ++i) {
    for (auto& l : per_segment[i]) lines.push_back(std::move(l));
  }
  return lines;
}

core::Result<std::vector<StoredLine>, Failure> readFileLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::fail(Failure{kExitUsage, path + ": " + std::strerror(errno)});
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  // Only the header's claim to be evidence is looked at: a damaged header is for verify to
  // report, but a file that is not evidence at all is the wrong argument.
  const auto header = nlohmann::json::parse(content.substr(0, content.find('\n')), nullptr, false);
  if (!header.is_object() || header.value("format", nlohmann::json()) != evidence::kFormatName) {
    return core::fail(Failure{kExitUsage, path + ": not an evidence file (its first line is not the header of an "
                                                 "export or a segment)"});
  }
  return recordLines(path.substr(path.rfind('/') + 1), content);
}

core::Result<std::optional<StoredLine>, Failure> findStoreRecord(const config::AgentConfig& cfg, std::uint64_t seq) {
  auto storage = openStoreReadOnly(cfg);
  if (!storage.ok()) return core::fail(std::move(storage.error()));
  auto names = segmentNames(**storage);
  if (!names.ok()) return core::fail(std::move(names.error()));
  for (auto it = names->rbegin(); it != names->rend(); ++it) {
    if (evidence::segmentSeq(*it) > seq) continue;
    auto lines = segmentLines(**storage, *it);
    if (!lines.ok()) return core::fail(std::move(lines.error()));
    for (auto& l : *lines) {
      if (lineSeq(l.text) == seq) return std::optional<StoredLine>(std::move(l));
    }
  }
  return std::optional<StoredLine>();
}

std::optional<std::uint64_t> lineSeq(const std::string& text) {
  const auto r = nlohmann::json::parse(text, nullptr, false);
  if (!r.is_object()) return std::nullopt;
  const auto seq = r.find("seq");
  if (seq == r.end() || !seq->is_number_unsigned()) return std::nullopt;
  return seq->get<std::uint64_t>();
}

}  // namespace cli
