#pragma once
// compliance-central-dev's command line (CLI11): serve, site add / set, tier, sites, appliances.
// Every command names its data directory with --data; the server and the commands are separate
// processes on one database (store.h), so a command run beside a serving server takes effect at
// the server's next check-in.
//
// Exit codes: 0 done; 1 refused by the state (the site exists, no such site, the key file
// exists); 2 usage error; 3 runtime error (data directory, database, keys, socket).
namespace central {

int runCli(int argc, char** argv);

}  // namespace central
