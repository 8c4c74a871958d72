// compliance-central-dev: everything lives in central_dev; main only hands over the command line.
#include "cli.h"

int main(int argc, char** argv) { return central::runCli(argc, argv); }
