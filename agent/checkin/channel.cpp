#include "checkin/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "checkin/credentials.h"

namespace checkin {
namespace {

grpc::ChannelArguments channelArguments(const ChannelOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_receive_message_bytes));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(kKeepaliveTime.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(kKeepaliveTimeout.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  return args;
}

}  // namespace

core::Result<Channel, SetupError> makeChannel(const config::CentralConfig& central, const ChannelOptions& options) {
  if (central.endpoint.empty()) {
    return core::fail(SetupError{SetupErrc::Offline, "central.endpoint is empty: offline, no link to central command"});
  }
  Channel out;
  out.info.endpoint = central.endpoint;
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (central.endpoint.rfind("unix:", 0) == 0) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!central.ca_file.empty()) {
      auto ca = readPemFile(central.ca_file, "central.ca_file", SetupErrc::CaFile, false);
      if (!ca) return core::fail(std::move(ca.error()));
      ssl.pem_root_certs = std::move(*ca);
    }
    if (!central.client_cert_file.empty() || !central.client_key_file.empty()) {
      auto cert = readPemFile(central.client_cert_file, "central.client_cert_file", SetupErrc::ClientCert, false);
      if (!cert) return core::fail(std::move(cert.error()));
      auto key = readPemFile(central.client_key_file, "central.client_key_file", SetupErrc::ClientKey, true);
      if (!key) return core::fail(std::move(key.error()));
      ssl.pem_cert_chain = std::move(*cert);
      ssl.pem_private_key = std::move(*key);
      out.info.client_certificate = true;
    }
    creds = grpc::SslCredentials(ssl);
    out.info.tls = true;
  }
  out.channel = grpc::CreateCustomChannel(central.endpoint, creds, channelArguments(options));
  return out;
}

}  // namespace checkin
