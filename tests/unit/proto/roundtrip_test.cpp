// A real gRPC round-trip on the generated code: an in-test CentralCommand service on a unix
// socket in a temporary directory, and a client through the generated StubInterface (the seam
// agent/checkin will use), every call with a deadline. Nothing leaves the machine.
#include <catch2/catch.hpp>

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "central.grpc.pb.h"
#include "central.pb.h"
#include "support/temp_dir.h"

namespace {

namespace cc = compliance::central::v1;
using namespace std::string_literals;

constexpr std::uint64_t kLatestBundle = 7;
// Not UTF-8, with a NUL and a newline inside: a bytes field must carry it untouched.
const std::string kBundleBytes = "bundle\0\xff\xfe\n-v7"s;

// Answers from the request, so the test sees that each value arrived.
class EchoCentral final : public cc::CentralCommand::Service {
 public:
  grpc::Status CheckIn(grpc::ServerContext* ctx, const cc::CheckInRequest* req,
                       cc::CheckInResponse* resp) override {
    const auto site = ctx->client_metadata().find("x-site-id");
    if (site == ctx->client_metadata().end() ||
        std::string(site->second.data(), site->second.size()) != req->identity().site_id()) {
      return {grpc::StatusCode::UNAUTHENTICATED, "x-site-id missing or not the request's site"};
    }
    resp->set_server_time_unix_ms(req->sent_at_unix_ms() + 1);
    resp->set_site_tier(req->active_tier() == cc::TIER_STANDARD ? cc::TIER_FULL_COVERAGE
                                                                : cc::TIER_STANDARD);
    resp->set_latest_bundle_version(req->bundle_version() + 1);
    resp->add_disabled_checks(req->identity().hostname() + "-" + req->identity().nixos_version());
    resp->mutable_intervals()->set_checkin_interval_ms(req->identity().uptime_seconds() * 1000);
    for (const auto& e : req->open_escalations()) resp->add_acknowledged_escalation_seqs(e.evidence_seq());

    cc::OrderPayload order;
    order.set_order_id("order-1");
    order.set_appliance_id(req->identity().appliance_id());
    order.set_type(req->mode() == cc::MODE_DRY_RUN ? cc::ORDER_TYPE_RUN_CYCLE : cc::ORDER_TYPE_FORCE_CHECKIN);
    order.set_nonce(req->evidence_head().hash());  // echoed bytes, inside a signed payload
    auto* signed_order = resp->add_orders();
    signed_order->set_order_id(order.order_id());
    signed_order->set_payload(order.SerializeAsString());
    signed_order->set_signature(req->evidence_public_key());  // not a signature: an echo
    return grpc::Status::OK;
  }

  grpc::Status SyncRules(grpc::ServerContext*, const cc::SyncRulesRequest* req,
                         cc::SyncRulesResponse* resp) override {
    if (req->held_bundle_version() >= kLatestBundle) {
      resp->mutable_not_modified()->set_latest_bundle_version(kLatestBundle);
    } else {
      resp->mutable_bundle()->set_version(kLatestBundle);
      resp->mutable_bundle()->set_bundle(kBundleBytes);
    }
    return grpc::Status::OK;
  }

  grpc::Status SubmitEvidence(grpc::ServerContext*, const cc::SubmitEvidenceRequest* req,
                              cc::SubmitEvidenceResponse* resp) override {
    std::lock_guard lock(mu_);
    records_.assign(req->records().begin(), req->records().end());
    resp->set_highest_seq_stored(req->first_seq() + static_cast<std::uint64_t>(req->records_size()) - 1);
    return grpc::Status::OK;
  }
  // ReportOrderResult: not overridden, so the generated base answers UNIMPLEMENTED.

  std::vector<std::string> records() {
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> records_;
};

struct Link {
  testsupport::TempDir dir{"ca-proto"};
  std::string address = "unix:" + (dir.path() / "central.sock").string();
  EchoCentral service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<cc::CentralCommand::StubInterface> stub;

  Link() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    stub = cc::CentralCommand::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  ~Link() { server->Shutdown(std::chrono::system_clock::now()); }

  static std::unique_ptr<grpc::ClientContext> context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-site-id", "clinic-0042");
    return ctx;
  }
};

}  // namespace

TEST_CASE("CheckIn over a unix socket: the request's values arrive and the answer comes back") {
  Link link;
  cc::CheckInRequest req;
  auto* id = req.mutable_identity();
  id->set_site_id("clinic-0042");
  id->set_appliance_id("app-7");
  id->set_hostname("appliance");
  id->set_nixos_version("24.05");
  id->set_uptime_seconds(90);
  req.set_active_tier(cc::TIER_STANDARD);
  req.set_bundle_version(4);
  req.set_mode(cc::MODE_DRY_RUN);
  req.mutable_evidence_head()->set_seq(12);
  req.mutable_evidence_head()->set_hash(std::string(32, '\xab'));
  req.set_evidence_public_key(std::string(32, '\x01'));
  req.add_open_escalations()->set_evidence_seq(9);
  req.add_open_escalations()->set_evidence_seq(11);
  req.set_sent_at_unix_ms(1'800'000'000'000);

  cc::CheckInResponse resp;
  const auto status = link.stub->CheckIn(Link::context().get(), req, &resp);
  REQUIRE(status.error_message() == "");
  REQUIRE(status.ok());
  CHECK(resp.server_time_unix_ms() == 1'800'000'000'001);
  CHECK(resp.site_tier() == cc::TIER_FULL_COVERAGE);
  CHECK(resp.latest_bundle_version() == 5);
  REQUIRE(resp.disabled_checks_size() == 1);
  CHECK(resp.disabled_checks(0) == "appliance-24.05");
  CHECK(resp.intervals().checkin_interval_ms() == 90'000);
  CHECK(std::vector<std::uint64_t>(resp.acknowledged_escalation_seqs().begin(),
                                   resp.acknowledged_escalation_seqs().end()) ==
        std::vector<std::uint64_t>{9, 11});
  REQUIRE(resp.orders_size() == 1);
  CHECK(resp.orders(0).order_id() == "order-1");
  CHECK(resp.orders(0).signature() == std::string(32, '\x01'));
  cc::OrderPayload order;
  REQUIRE(order.ParseFromString(resp.orders(0).payload()));
  CHECK(order.appliance_id() == "app-7");
  CHECK(order.type() == cc::ORDER_TYPE_RUN_CYCLE);
  CHECK(order.nonce() == std::string(32, '\xab'));
}

TEST_CASE("CheckIn without the site metadata is refused by the in-test service") {
  Link link;
  cc::CheckInRequest req;
  req.mutable_identity()->set_site_id("clinic-0042");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  cc::CheckInResponse resp;
  CHECK(link.stub->CheckIn(&ctx, req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("SyncRules: a bundle when an older one is held, 'not modified' without one otherwise") {
  Link link;
  cc::SyncRulesRequest req;
  req.set_site_id("clinic-0042");
  req.set_appliance_id("app-7");
  req.set_tier(cc::TIER_STANDARD);

  SECTION("older held: the bundle, byte for byte") {
    req.set_held_bundle_version(6);
    cc::SyncRulesResponse resp;
    REQUIRE(link.stub->SyncRules(Link::context().get(), req, &resp).ok());
    REQUIRE(resp.result_case() == cc::SyncRulesResponse::kBundle);
    CHECK(resp.bundle().version() == kLatestBundle);
    CHECK(resp.bundle().bundle() == kBundleBytes);
    CHECK_FALSE(resp.has_not_modified());
  }
  SECTION("latest held: not modified, no bundle") {
    req.set_held_bundle_version(kLatestBundle);
    cc::SyncRulesResponse resp;
    REQUIRE(link.stub->SyncRules(Link::context().get(), req, &resp).ok());
    REQUIRE(resp.result_case() == cc::SyncRulesResponse::kNotModified);
    CHECK(resp.not_modified().latest_bundle_version() == kLatestBundle);
    CHECK_FALSE(resp.has_bundle());
  }
}

TEST_CASE("SubmitEvidence carries record lines byte for byte") {
  Link link;
  cc::SubmitEvidenceRequest req;
  req.set_appliance_id("app-7");
  req.set_first_seq(41);
  const std::vector<std::string> lines = {
      R"({"v":1,"seq":41,"body":{"note":"caf\u00e9"}})",
      "{\"seq\":42,\"raw\":\"\xc3\xa9\"}\0tail"s,  // UTF-8, then a NUL: still bytes
  };
  for (const auto& l : lines) req.add_records(l);
  cc::SubmitEvidenceResponse resp;
  REQUIRE(link.stub->SubmitEvidence(Link::context().get(), req, &resp).ok());
  CHECK(resp.highest_seq_stored() == 42);
  CHECK(link.service.records() == lines);
}

TEST_CASE("a method the server does not implement, and a deadline already past, fail with their codes") {
  Link link;
  cc::ReportOrderResultRequest req;
  req.add_results()->set_order_id("order-1");
  cc::ReportOrderResultResponse resp;
  CHECK(link.stub->ReportOrderResult(Link::context().get(), req, &resp).error_code() ==
        grpc::StatusCode::UNIMPLEMENTED);

  grpc::ClientContext late;
  late.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  cc::CheckInResponse checkin;
  CHECK(link.stub->CheckIn(&late, cc::CheckInRequest{}, &checkin).error_code() ==
        grpc::StatusCode::DEADLINE_EXCEEDED);
}
