// dir_scan: walks a host directory tree (never following links, bounded in depth and entries)
// and reports each SUID/SGID or world-writable file outside the allow list as its own finding.
#include <algorithm>
#include <cstdio>

#include "checks/probe_registry.h"
#include "checks/probes.h"

namespace checks {
namespace {

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

bool excluded(const std::string& path, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes) {
    if (path == p || (path.size() > p.size() && path.compare(0, p.size(), p) == 0 &&
                      (p == "/" || path[p.size()] == '/'))) {
      return true;
    }
  }
  return false;
}

bool isHit(rules::ScanFind find, const platform::FileStat& st) {
  using platform::FileType;
  switch (find) {
    case rules::ScanFind::Suid: return st.type == FileType::Regular && (st.mode & 04000);
    case rules::ScanFind::Sgid: return st.type == FileType::Regular && (st.mode & 02000);
    case rules::ScanFind::SuidSgid: return st.type == FileType::Regular && (st.mode & 06000);
    case rules::ScanFind::WorldWritable:
      // A world-writable directory with the sticky bit (/tmp-like) is the intended pattern.
      if (st.type == FileType::Directory) return (st.mode & 0002) && !(st.mode & 01000);
      return st.type == FileType::Regular && (st.mode & 0002);
  }
  return false;
}

std::vector<ProbeResult> dirScan(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::DirScanProbe>();
  const std::string expected = std::string("no ") + std::string(rules::toString(p.find)) + " files outside the allow list";
  std::vector<ProbeResult> hits;
  std::vector<std::pair<std::string, int>> stack{{p.path, 0}};
  int entries = 0;
  int allowed = 0;
  int skipped = 0;
  std::string stopped;
  auto root_st = ctx.files.lstat(p.path);
  if (!root_st.ok()) return {probeError(p.path, p.path + ": " + root_st.error().message)};
  while (!stack.empty() && stopped.empty()) {
    auto [dir, depth] = std::move(stack.back());
    stack.pop_back();
    auto list = ctx.files.listDir(dir);
    if (!list.ok()) {
      // The scanned root itself must be readable, or "none found" would be a lie.
      if (dir == p.path) return {probeError(p.path, "cannot list " + p.path + ": " + list.error().message)};
      ++skipped;  // unreadable or vanished subdirectories are skipped, and counted
      continue;
    }
    std::sort(list->begin(), list->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& e : *list) {
      if (++entries > p.max_entries) {
        stopped = "scan stopped after " + std::to_string(p.max_entries) + " entries (max_entries)";
        break;
      }
      const std::string path = join(dir, e.name);
      if (excluded(path, p.exclude)) continue;
      auto st = ctx.files.lstat(path);  // lstat: links are never followed
      if (!st.ok()) continue;
      if (isHit(p.find, *st)) {
        if (std::find(p.allow.begin(), p.allow.end(), path) != p.allow.end()) {
          ++allowed;
        } else {
          ProbeResult r = drifted(path, expected, octalMode(st->mode));
          r.details["uid"] = std::to_string(st->uid);
          hits.push_back(std::move(r));
        }
      }
      if (st->type == platform::FileType::Directory && depth + 1 < p.max_depth) stack.push_back({path, depth + 1});
    }
  }
  if (!stopped.empty()) {
    // The verdict is incomplete: say so, and still report what was found.
    hits.push_back(probeError(p.path, stopped));
    return hits;
  }
  if (hits.empty()) {
    ProbeResult r = compliant(p.path, expected, "none found");
    r.details["entries_scanned"] = std::to_string(entries);
    r.details["allowed_hits"] = std::to_string(allowed);
    if (skipped) r.details["unreadable_dirs"] = std::to_string(skipped);
    return {r};
  }
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.target < b.target; });
  return hits;
}

}  // namespace

void registerScanProbes(ProbeRegistry& registry) { registry.add("dir_scan", dirScan); }

}  // namespace checks
