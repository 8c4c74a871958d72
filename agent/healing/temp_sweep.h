#pragma once
// The sweep at the start of a live run: temporaries of HostFiles::writeFileAtomic that a killed
// agent left in the host's directories (nothing of the agent's may outlive a crash there). It
// looks where the agent writes: each healing.writable_paths entry (a directory and its
// subdirectories; for a file, its directory, for that file's temporaries only) and the directory
// of each set_sysctl persist file. Only names the writer makes are removed (removeTemporaries);
// links are never followed into.
#include <string>
#include <vector>

#include "platform/host_files.h"
#include "rules/model.h"

namespace healing {

/// Directories at most this deep below a writable directory are swept.
inline constexpr int kSweepMaxDepth = 8;
/// Directories swept at most, all writable paths together: a writable path as wide as "/"
/// must not turn the start of a run into a scan of the whole host.
inline constexpr std::size_t kSweepMaxDirs = 4096;

struct SweepReport {
  std::vector<std::string> removed;   // host paths of the temporaries removed
  std::vector<std::string> problems;  // directories that could not be swept, with why
};

/// Sweeps the places above in `files`. Never fails as a whole: what cannot be swept is a problem.
SweepReport sweepTemporaries(platform::HostFiles& files, const std::vector<std::string>& writable_paths,
                             const rules::RuleSet& rules);

}  // namespace healing
