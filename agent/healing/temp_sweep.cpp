#include "healing/temp_sweep.h"

#include <set>
#include <utility>

namespace healing {
namespace {

std::pair<std::string, std::string> splitParent(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return {"/", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string child(const std::string& dir, const std::string& name) { return (dir == "/" ? "/" : dir + "/") + name; }

class Sweeper {
 public:
  Sweeper(platform::HostFiles& files, SweepReport& report) : files_(files), report_(report) {}

  // `dir` itself (temporaries of `of_name` only, when not empty), and with `depth` > 0 its
  // subdirectories down to that depth.
  void sweep(const std::string& dir, const std::string& of_name, int depth) {
    if (!visited_.insert({dir, of_name}).second) return;
    if (visited_.size() > kSweepMaxDirs) {
      if (!stopped_) report_.problems.push_back("sweep stopped after " + std::to_string(kSweepMaxDirs) + " directories");
      stopped_ = true;
      return;
    }
    auto removed = files_.removeTemporaries(dir, of_name);
    if (!removed.ok()) {
      report_.problems.push_back(removed.error().message);
      return;
    }
    report_.removed.insert(report_.removed.end(), removed->begin(), removed->end());
    if (depth <= 0) return;
    auto entries = files_.listDir(dir);
    if (!entries.ok()) return;  // missing, or gone since: nothing below it to sweep
    for (const auto& e : *entries) {
      // DirEntry types are those of the entry itself: a link to a directory is not descended.
      if (e.type == platform::FileType::Directory) sweep(child(dir, e.name), "", depth - 1);
    }
  }

 private:
  platform::HostFiles& files_;
  SweepReport& report_;
  std::set<std::pair<std::string, std::string>> visited_;
  bool stopped_ = false;
};

}  // namespace

SweepReport sweepTemporaries(platform::HostFiles& files, const std::vector<std::string>& writable_paths,
                             const rules::RuleSet& rules) {
  SweepReport report;
  Sweeper sweeper(files, report);
  for (const auto& path : writable_paths) {
    auto st = files.lstat(path);
    if (st.ok() && st->type == platform::FileType::Directory) {
      sweeper.sweep(path, "", kSweepMaxDepth);
    } else {
      // A file (or one not there yet): its temporaries sit next to it.
      const auto [dir, name] = splitParent(path);
      sweeper.sweep(dir, name, 0);
    }
  }
  for (const auto& rule : rules.rules) {
    for (const auto& action : rule.actions) {
      if (const auto* s = action.as<rules::SetSysctlAction>(); s && !s->persist_file.empty()) {
        sweeper.sweep(splitParent(s->persist_file).first, "", 0);
      }
    }
  }
  return report;
}

}  // namespace healing
