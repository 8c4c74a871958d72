#pragma once
// Exit codes, the operator's contract (README "Exit codes").
namespace cli {
enum ExitCode : int {
  kExitOk = 0,          // all compliant, or the command succeeded
  kExitDrift = 1,       // drift or check errors remain, or verification failed
  kExitUsage = 2,       // usage or configuration error (invalid rule files included)
  kExitRuntime = 3,     // runtime error
  kExitBusy = 4,        // another process holds state_dir
};
}
