#pragma once
// Why the agent cannot start or go on: what kind of problem it is (the CLI turns the kind into
// its exit code, the daemon into a log line and a health flag) and a message naming the file,
// setting or record concerned.
#include <string>

namespace cycle {

enum class ProblemKind {
  Config,   // the operator's to fix: configuration, rules, a refused live start
  Runtime,  // the machine's: I/O, a damaged store, a key that cannot be used
  Busy,     // another process holds state_dir
};

struct Problem {
  ProblemKind kind;
  std::string message;
};

}  // namespace cycle
