// compliance-agent: everything lives in libraries; main only hands the command line to the CLI.
#include "cli/app.h"

int main(int argc, char** argv) { return cli::run(argc, argv); }
