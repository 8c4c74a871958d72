#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/version.h"

namespace cli {

std::string versionLine() {
  return std::string("compliance-agent ") + core::kAgentVersion + " (revision " + core::kSourceRevision + ")";
}

int runVersion(const GlobalOptions& global) {
  if (global.json) {
    std::printf("{\"version\": \"%s\", \"revision\": \"%s\"}\n", core::kAgentVersion, core::kSourceRevision);
  } else {
    std::printf("%s\n", versionLine().c_str());
  }
  return kExitOk;
}

}  // namespace cli
