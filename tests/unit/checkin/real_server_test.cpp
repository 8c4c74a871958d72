// GrpcCentralLink, made by makeGrpcCentralLink from a CentralConfig, against a real gRPC server
// on a unix socket in a temporary directory: a small in-test CentralCommand service that checks
// the metadata as central command will, answers, or stalls past the deadline. Nothing leaves the
// machine; deadlines are short (200 ms) so the suite stays fast.
#include <catch2/catch.hpp>

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "central.grpc.pb.h"
#include "checkin/grpc_central_link.h"
#include "support/temp_dir.h"

namespace {

namespace v1 = compliance::central::v1;
using checkin::LinkErrc;
using namespace std::chrono_literals;

const std::string kGoodKey = "GOOD-KEY-4b1d8e";
const std::string kWrongKey = "WRONG-KEY-93c0aa";
const std::string kSite = "clinic-0042";
constexpr auto kShortDeadline = 200ms;

std::string metadata(grpc::ServerContext* ctx, const std::string& key) {
  const auto it = ctx->client_metadata().find(key);
  if (it == ctx->client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

class TestCentral final : public v1::CentralCommand::Service {
 public:
  std::atomic<int> authorized_calls{0};

  grpc::Status CheckIn(grpc::ServerContext* ctx, const v1::CheckInRequest* req, v1::CheckInResponse* resp) override {
    if (auto denied = authorize(ctx); !denied.ok()) return denied;
    if (req->identity().hostname() == "slow") {
      // Stall past the client's deadline: until the call is cancelled, bounded for safety.
      const auto give_up = std::chrono::steady_clock::now() + 5s;
      while (!ctx->IsCancelled() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
    }
    resp->set_server_time_unix_ms(req->sent_at_unix_ms() + 1);
    resp->set_site_tier(v1::TIER_FULL_COVERAGE);
    resp->set_latest_bundle_version(req->bundle_version() + 1);
    return grpc::Status::OK;
  }
  grpc::Status SyncRules(grpc::ServerContext* ctx, const v1::SyncRulesRequest* req,
                         v1::SyncRulesResponse* resp) override {
    if (auto denied = authorize(ctx); !denied.ok()) return denied;
    // The bundle is as large as the version held says: lets a test exceed the receive cap.
    resp->mutable_bundle()->set_version(req->held_bundle_version() + 1);
    resp->mutable_bundle()->set_bundle(std::string(req->held_bundle_version(), 'b'));
    return grpc::Status::OK;
  }
  grpc::Status SubmitEvidence(grpc::ServerContext* ctx, const v1::SubmitEvidenceRequest*,
                              v1::SubmitEvidenceResponse* resp) override {
    if (auto denied = authorize(ctx); !denied.ok()) return denied;
    resp->set_refusal(static_cast<v1::EvidenceRefusal>(42));  // a value this agent does not know
    resp->set_refused_seq(1);
    return grpc::Status::OK;
  }
  grpc::Status ReportOrderResult(grpc::ServerContext* ctx, const v1::ReportOrderResultRequest* req,
                                 v1::ReportOrderResultResponse* resp) override {
    if (auto denied = authorize(ctx); !denied.ok()) return denied;
    for (const auto& r : req->results()) resp->add_acknowledged_order_ids(r.order_id());
    return grpc::Status::OK;
  }

 private:
  grpc::Status authorize(grpc::ServerContext* ctx) {
    const std::string auth = metadata(ctx, "authorization");
    // As a careless server might: the rejected credential echoed in the message.
    if (auth != "Bearer " + kGoodKey) return {grpc::StatusCode::UNAUTHENTICATED, "unknown credential " + auth};
    if (metadata(ctx, "x-site-id") != kSite) return {grpc::StatusCode::PERMISSION_DENIED, "not this key's site"};
    ++authorized_calls;
    return grpc::Status::OK;
  }
};

struct Server {
  testsupport::TempDir dir{"ca-checkin"};
  std::string endpoint = "unix:" + (dir.path() / "central.sock").string();
  TestCentral service;
  std::unique_ptr<grpc::Server> server;

  Server() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(endpoint, grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
  }
  ~Server() { server->Shutdown(std::chrono::system_clock::now()); }

  config::CentralConfig config(const std::string& key, std::chrono::milliseconds timeout = 10s) const {
    config::CentralConfig c;
    c.endpoint = endpoint;
    c.api_key_file = dir.write("api.key", key + "\n").string();
    REQUIRE(::chmod(c.api_key_file.c_str(), 0600) == 0);
    c.timeout = timeout;
    return c;
  }
};

std::unique_ptr<checkin::CentralLink> linkTo(const config::CentralConfig& c, const checkin::ChannelOptions& o = {}) {
  auto link = checkin::makeGrpcCentralLink(kSite, c, o);
  REQUIRE(link.ok());
  return std::move(*link);
}

}  // namespace

TEST_CASE("real server: a check-in and an order report succeed with the right key and site") {
  Server s;
  auto link = linkTo(s.config(kGoodKey));
  v1::CheckInRequest req;
  req.set_bundle_version(4);
  req.set_sent_at_unix_ms(1'800'000'000'000);
  auto r = link->checkIn(req);
  REQUIRE(r.ok());
  CHECK(r->site_tier() == v1::TIER_FULL_COVERAGE);
  CHECK(r->latest_bundle_version() == 5);
  CHECK(r->server_time_unix_ms() == 1'800'000'000'001);

  v1::ReportOrderResultRequest report;
  report.add_results()->set_order_id("order-9");
  auto acks = link->reportOrderResult(report);
  REQUIRE(acks.ok());
  REQUIRE(acks->acknowledged_order_ids_size() == 1);
  CHECK(acks->acknowledged_order_ids(0) == "order-9");
  CHECK(s.service.authorized_calls == 2);
}

TEST_CASE("real server: a server that answers after the deadline is reported as deadline") {
  Server s;
  auto link = linkTo(s.config(kGoodKey, kShortDeadline));
  v1::CheckInRequest req;
  req.mutable_identity()->set_hostname("slow");
  const auto start = std::chrono::steady_clock::now();
  const auto r = link->checkIn(req);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == LinkErrc::Deadline);
  CHECK(r.error().retryable());
  CHECK(took >= kShortDeadline - 20ms);
  CHECK(took < 3s);
}

TEST_CASE("real server: nobody listening on the socket is unavailable, at once") {
  testsupport::TempDir dir("ca-checkin");
  config::CentralConfig c;
  c.endpoint = "unix:" + (dir.path() / "nobody.sock").string();
  c.api_key_file = dir.write("api.key", kGoodKey).string();
  REQUIRE(::chmod(c.api_key_file.c_str(), 0600) == 0);
  c.timeout = 5s;
  auto link = linkTo(c);
  const auto start = std::chrono::steady_clock::now();
  const auto r = link->checkIn(v1::CheckInRequest{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == LinkErrc::Unavailable);
  CHECK(r.error().retryable());
  // Fails fast (no wait-for-ready): well before the 5 s deadline.
  CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("real server: a wrong key is unauthenticated, and neither key shows in the error") {
  Server s;
  auto link = linkTo(s.config(kWrongKey));
  const auto r = link->checkIn(v1::CheckInRequest{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == LinkErrc::Unauthenticated);
  CHECK_FALSE(r.error().retryable());
  CHECK(r.error().message.find("unknown credential Bearer [redacted]") != std::string::npos);
  CHECK(r.error().message.find(kWrongKey) == std::string::npos);
  CHECK(r.error().message.find(kGoodKey) == std::string::npos);
  CHECK(s.service.authorized_calls == 0);
}

TEST_CASE("real server: an answer of an unknown enum value is invalid_response") {
  Server s;
  auto link = linkTo(s.config(kGoodKey));
  const auto r = link->submitEvidence(v1::SubmitEvidenceRequest{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == LinkErrc::InvalidResponse);
  CHECK(r.error().message.find("refusal is 42") != std::string::npos);
}

TEST_CASE("real server: an answer above the receive cap is resource_exhausted, one below it arrives") {
  Server s;
  checkin::ChannelOptions small;
  small.max_receive_message_bytes = 64 * 1024;
  auto link = linkTo(s.config(kGoodKey), small);
  v1::SyncRulesRequest req;
  req.set_held_bundle_version(32 * 1024);
  auto below = link->syncRules(req);
  REQUIRE(below.ok());
  CHECK(below->bundle().bundle().size() == 32 * 1024);
  req.set_held_bundle_version(128 * 1024);
  const auto above = link->syncRules(req);
  REQUIRE_FALSE(above.ok());
  CHECK(above.error().kind == LinkErrc::ResourceExhausted);
}

TEST_CASE("makeGrpcCentralLink: no site id, offline, and a key file others may read are refused") {
  Server s;
  auto c = s.config(kGoodKey);
  auto r = checkin::makeGrpcCentralLink("", c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == checkin::SetupErrc::NoSiteId);

  REQUIRE(::chmod(c.api_key_file.c_str(), 0644) == 0);
  r = checkin::makeGrpcCentralLink(kSite, c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == checkin::SetupErrc::ApiKey);
  CHECK(r.error().message.find(kGoodKey) == std::string::npos);

  c.endpoint.clear();
  r = checkin::makeGrpcCentralLink(kSite, c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == checkin::SetupErrc::Offline);
}
