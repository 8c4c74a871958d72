#pragma once
// The command-line front end: parses argv (CLI11), builds what the subcommand needs and runs it.
// Returns the process exit code (see cli/exit_codes.h).
namespace cli {
int run(int argc, char** argv);
}
