// dir_scan: walks a host directory tree (never following links, bounded in depth and entries)
// and reports each SUID/SGID or world-writable file outside the allow list as its own finding.
//
// The walk stays on the file system it starts on unless the rule sets cross_mounts, and then
// still never enters pseudo or network file systems (platform/file_system_type.h says which and
// why). A mount point is an entry whose device differs from its directory's, so no mount table is
// needed and the same test works on an image root. Each directory is listed with its entries'
// metadata in one call (HostFiles::listDirStat, never cached) and dropped once walked: memory
// grows with the depth of the tree and the hits, not with its size.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "checks/probe_registry.h"
#include "checks/probes.h"
#include "platform/file_system_type.h"

namespace checks {
namespace {

/// Skipped file systems named in the compliant finding's details; the rest are counted.
constexpr std::size_t kMaxNamedSkips = 20;

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

/// The allow list as the walk meets the files. The walk never follows links, so an entry
/// written through a symlinked directory would never match: each entry also counts under the
/// path it resolves to inside the root. That is how NixOS's stable names work, where
/// /run/wrappers/bin is a link to the current /run/wrappers/wrappers.XXXXXXXXXX directory.
std::set<std::string> allowSet(const std::vector<std::string>& allow, const platform::HostFiles& files) {
  std::set<std::string> out(allow.begin(), allow.end());
  for (const auto& a : allow) {
    if (auto r = files.resolve(a); r.ok()) out.insert(std::move(*r));
  }
  return out;
}

struct Dir {
  std::string path;
  int depth;
  std::uint64_t dev;
};

class Walk {
 public:
  Walk(const rules::DirScanProbe& p, const platform::HostFiles& files)
      : p_(p), files_(files), allow_(allowSet(p.allow, files)),
        expected_(std::string("no ") + std::string(rules::toString(p.find)) + " files outside the allow list") {}

  std::vector<ProbeResult> run() {
    auto root = files_.stat(p_.path);
    if (!root.ok()) return single(probeError(p_.path, p_.path + ": " + root.error().message));
    std::vector<Dir> stack{{p_.path, 0, root->dev}};
    while (!stack.empty()) {
      Dir dir = std::move(stack.back());
      stack.pop_back();
      auto list = files_.listDirStat(dir.path);
      if (!list.ok()) {
        // The scanned root itself must be readable, or "none found" would be a lie.
        if (dir.path == p_.path) return single(probeError(p_.path, "cannot list " + p_.path + ": " + list.error().message));
        ++unreadable_;  // unreadable or vanished subdirectories are skipped, and counted
        continue;
      }
      const std::size_t first_child = stack.size();
      for (const auto& e : *list) {
        if (++entries_ > p_.max_entries) return stopped();
        visit(dir, e, stack);
      }
      // Listed in name order, pushed on a stack: reversed, the walk goes in name order too.
      std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(first_child), stack.end());
    }
    return verdict();
  }

 private:
  void visit(const Dir& dir, const platform::DirEntryStat& e, std::vector<Dir>& stack) {
    const platform::FileStat& st = e.stat;
    const bool is_dir = st.type == platform::FileType::Directory;
    const bool hit = isHit(p_.find, st);
    if (!is_dir && !hit) return;  // most entries: no path is even built
    std::string path = join(dir.path, e.name);
    if (excluded(path, p_.exclude)) return;
    if (st.dev != dir.dev && !enters(path, st.dev)) return;
    if (hit) {
      if (allow_.count(path) != 0) {
        ++allowed_;
      } else {
        ProbeResult r = drifted(path, expected_, octalMode(st.mode));
        r.details["uid"] = std::to_string(st.uid);
        hits_.push_back(std::move(r));
      }
    }
    if (is_dir && dir.depth + 1 < p_.max_depth) stack.push_back({std::move(path), dir.depth + 1, st.dev});
  }

  /// Whether the walk goes into the other file system mounted at `path` (device `dev`).
  bool enters(const std::string& path, std::uint64_t dev) {
    if (!p_.cross_mounts) return skip(path, "another file system");
    auto known = kinds_.find(dev);
    if (known == kinds_.end()) {
      auto type = files_.fileSystemType(path);
      if (!type.ok()) {
        ++unreadable_;
        return false;
      }
      known = kinds_.emplace(dev, std::make_pair(platform::fileSystemKind(*type), platform::fileSystemName(*type))).first;
    }
    const auto& [kind, name] = known->second;
    if (kind == platform::FsKind::Pseudo || kind == platform::FsKind::Network) return skip(path, name);
    return true;
  }

  bool skip(const std::string& path, const std::string& why) {
    if (skipped_.size() < kMaxNamedSkips) skipped_.push_back(path + " (" + why + ")");
    ++skipped_count_;
    return false;
  }

  std::vector<ProbeResult> stopped() {
    // The verdict is incomplete: say so, and still report what was found.
    sortHits();
    hits_.push_back(probeError(p_.path, "scan stopped after " + std::to_string(p_.max_entries) + " entries (max_entries)"));
    return std::move(hits_);
  }

  std::vector<ProbeResult> verdict() {
    if (!hits_.empty()) {
      sortHits();
      return std::move(hits_);
    }
    ProbeResult r = compliant(p_.path, expected_, "none found");
    r.details["entries_scanned"] = std::to_string(entries_);
    r.details["allowed_hits"] = std::to_string(allowed_);
    if (unreadable_) r.details["unreadable_dirs"] = std::to_string(unreadable_);
    if (skipped_count_) {
      std::sort(skipped_.begin(), skipped_.end());
      std::string named;
      for (const auto& s : skipped_) named += (named.empty() ? "" : ", ") + s;
      if (skipped_count_ > skipped_.size()) named += " and " + std::to_string(skipped_count_ - skipped_.size()) + " more";
      r.details["not_scanned"] = named;
    }
    return single(r);
  }

  void sortHits() {
    std::sort(hits_.begin(), hits_.end(), [](const auto& a, const auto& b) { return a.target < b.target; });
  }

  const rules::DirScanProbe& p_;
  const platform::HostFiles& files_;
  const std::set<std::string> allow_;
  const std::string expected_;
  std::vector<ProbeResult> hits_;
  long long entries_ = 0;
  int allowed_ = 0;
  int unreadable_ = 0;
  std::vector<std::string> skipped_;  // the first kMaxNamedSkips, "path (type)"
  std::size_t skipped_count_ = 0;
  std::map<std::uint64_t, std::pair<platform::FsKind, std::string>> kinds_;  // by device: one statfs each
};

std::vector<ProbeResult> dirScan(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  return Walk(*spec.as<rules::DirScanProbe>(), ctx.files).run();
}

}  // namespace

void registerScanProbes(ProbeRegistry& registry) { registry.add("dir_scan", dirScan); }

}  // namespace checks
