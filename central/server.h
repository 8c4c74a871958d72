#pragma once
// `serve`: the data directory, the keys, the gRPC server on a loopback or unix address, and a
// clean stop on SIGTERM / SIGINT.
#include <iosfwd>
#include <string>

#include "core/result.h"

namespace central {

/// Where the dev server may listen: 127.0.0.1:PORT (0 = any free port) or unix:/absolute/path.
/// Nothing else: the dev server has no TLS yet and must not be reachable from the network.
struct ListenAddress {
  std::string grpc_uri;  // what gRPC binds: "127.0.0.1:0", "unix:/tmp/x.sock"
  bool unix_socket = false;
};

/// Parses ADDR; fails with the accepted forms.
core::Result<ListenAddress, std::string> parseListenAddress(const std::string& addr);

struct ServeOptions {
  std::string data_dir;
  std::string listen;
  std::string address_file;  // empty: none
};

/// Runs the server until SIGTERM or SIGINT. Prints the keys' public halves and one
/// "listening on ADDR" line (the bound port) to `out`, then writes ADDR to the address file
/// (atomically: a reader never sees half of it). Returns the exit code: 0 after a clean stop,
/// 2 for a bad address, 3 when the data directory, the keys or the socket fail.
int serve(const ServeOptions& options, std::ostream& out, std::ostream& err);

}  // namespace central
