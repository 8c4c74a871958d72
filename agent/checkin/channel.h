#pragma once
// The gRPC channel to central command, made from agent.yaml's `central` section:
//
// - `unix:/path`: a local socket (the development central command, a local proxy), with
//   insecure channel credentials: nothing leaves the machine and the socket's file mode is the
//   access control.
// - `host:port` (IPv6 in brackets): always TLS. Roots: `central.ca_file`, or, when it is empty,
//   gRPC's default roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH if set, else the system's CA store,
//   else the bundle gRPC ships). With `client_cert_file` and `client_key_file` (the config
//   loader accepts both or neither) the agent presents its certificate (mTLS).
//
// Channel arguments: keepalive pings while a call is open (not on an idle channel: servers
// answer idle pings with GOAWAY "too_many_pings" under gRPC's default policy), and a cap on the
// size of a received message, so a hostile or broken server cannot make the agent allocate
// without bound. The cap lies above the rule bundle size cap (C3), the largest answer.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "checkin/setup_error.h"
#include "config/agent_config.h"
#include "core/result.h"

namespace checkin {

/// The largest message the agent accepts from central command (gRPC's own default is 4 MiB).
inline constexpr std::size_t kMaxReceiveMessageBytes = 16 * 1024 * 1024;
/// Keepalive while a call is in flight: a ping after this long without data ...
inline constexpr std::chrono::milliseconds kKeepaliveTime{30'000};
/// ... and the connection is dropped when the ping is not answered within this.
inline constexpr std::chrono::milliseconds kKeepaliveTimeout{10'000};

struct ChannelOptions {
  std::size_t max_receive_message_bytes = kMaxReceiveMessageBytes;  // tests lower it
};

/// How a channel was made, for the start-up log line (never a secret).
struct ChannelInfo {
  std::string endpoint;
  bool tls = false;
  bool client_certificate = false;
};

struct Channel {
  std::shared_ptr<grpc::Channel> channel;
  ChannelInfo info;
};

/// Makes the channel (gRPC connects lazily, at the first call: nothing is dialled here). Errors:
/// Offline for an empty endpoint; CaFile / ClientCert / ClientKey naming the file that cannot be
/// read (the private key also when group or others may read it).
core::Result<Channel, SetupError> makeChannel(const config::CentralConfig& central,
                                              const ChannelOptions& options = {});

}  // namespace checkin
