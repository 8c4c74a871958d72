// TLS for host:port endpoints, with certificates made at test time by the openssl CLI (git keeps
// no secrets, and certificates expire): a server on 127.0.0.1 with an ephemeral port. The right
// CA is accepted; a certificate from another CA is refused; a server that requires a client
// certificate refuses the agent without one and accepts it with one (mTLS). A refused handshake
// is `unavailable` (gRPC reports it so), fast.
#include <catch2/catch.hpp>

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "central.grpc.pb.h"
#include "checkin/grpc_central_link.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace {

namespace v1 = compliance::central::v1;
using checkin::LinkErrc;
using namespace std::chrono_literals;

const std::string kKey = "TLS-KEY-51c2";

class OkCentral final : public v1::CentralCommand::Service {
  grpc::Status CheckIn(grpc::ServerContext*, const v1::CheckInRequest*, v1::CheckInResponse* resp) override {
    resp->set_server_time_unix_ms(1);
    resp->set_site_tier(v1::TIER_STANDARD);
    return grpc::Status::OK;
  }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = testsupport::runProcess(argv);
  INFO("openssl " << args.front() << ": " << r.err);
  REQUIRE(r.exit_code == 0);
}

// A CA and a certificate it signs for 127.0.0.1 / localhost (usable by a server and a client).
struct Pki {
  testsupport::TempDir dir{"ca-checkin-tls"};
  std::string path(const std::string& name) const { return (dir.path() / name).string(); }

  void makeCa(const std::string& name) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             path(name + ".key"), "-out", path(name + ".pem"), "-days", "2", "-subj", "/CN=" + name});
  }
  void makeLeaf(const std::string& name, const std::string& ca) {
    dir.write(name + ".ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=" + name});
    openssl({"x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
             "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2", "-extfile", path(name + ".ext")});
    REQUIRE(::chmod(path(name + ".key").c_str(), 0600) == 0);
  }

  Pki() {
    makeCa("ca");
    makeCa("other-ca");
    makeLeaf("server", "ca");
    makeLeaf("client", "ca");
  }
};

struct TlsServer {
  OkCentral service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  TlsServer(const Pki& pki, bool require_client_cert) {
    grpc::SslServerCredentialsOptions opts(require_client_cert
                                               ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                               : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    opts.pem_root_certs = slurp(pki.path("ca.pem"));
    opts.pem_key_cert_pairs.push_back({slurp(pki.path("server.key")), slurp(pki.path("server.pem"))});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(opts), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    REQUIRE(port > 0);
  }
  ~TlsServer() { server->Shutdown(std::chrono::system_clock::now()); }
};

config::CentralConfig clientConfig(const Pki& pki, int port, const std::string& ca, bool client_cert) {
  config::CentralConfig c;
  c.endpoint = "127.0.0.1:" + std::to_string(port);
  c.ca_file = pki.path(ca + ".pem");
  c.api_key_file = pki.dir.write("api.key", kKey).string();
  REQUIRE(::chmod(c.api_key_file.c_str(), 0600) == 0);
  if (client_cert) {
    c.client_cert_file = pki.path("client.pem");
    c.client_key_file = pki.path("client.key");
  }
  c.timeout = 5s;
  return c;
}

checkin::LinkResult<v1::CheckInResponse> checkInOnce(const config::CentralConfig& c) {
  auto link = checkin::makeGrpcCentralLink("clinic-0042", c);
  REQUIRE(link.ok());
  return (*link)->checkIn(v1::CheckInRequest{});
}

}  // namespace

TEST_CASE("TLS: the configured CA is accepted, a server certificate from another CA is refused") {
  Pki pki;
  TlsServer server(pki, false);
  const auto good = checkInOnce(clientConfig(pki, server.port, "ca", false));
  REQUIRE(good.ok());
  CHECK(good->site_tier() == v1::TIER_STANDARD);

  const auto start = std::chrono::steady_clock::now();
  const auto bad = checkInOnce(clientConfig(pki, server.port, "other-ca", false));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == LinkErrc::Unavailable);
  CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("mTLS: a server that requires a client certificate refuses the agent without one, accepts it with one") {
  Pki pki;
  TlsServer server(pki, true);
  const auto without = checkInOnce(clientConfig(pki, server.port, "ca", false));
  REQUIRE_FALSE(without.ok());
  CHECK(without.error().kind == LinkErrc::Unavailable);

  const auto with = checkInOnce(clientConfig(pki, server.port, "ca", true));
  REQUIRE(with.ok());
  CHECK(with->site_tier() == v1::TIER_STANDARD);
}
