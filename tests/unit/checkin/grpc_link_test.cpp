// GrpcCentralLink against a hand-written fake stub: what every call carries (metadata, deadline),
// how each gRPC status maps to a LinkErrc, that answers are validated before they are returned,
// and that the API key reaches neither an error message nor a log line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checkin/grpc_central_link.h"
#include "core/log.h"
#include "fake_stub.h"
#include "fakes/fake_journal_sender.h"

namespace {

using checkin::LinkErrc;
using checkin_test::FakeCentralStub;
namespace v1 = compliance::central::v1;

const std::string kKey = "PLANTED-KEY-7f3a9c51e2";  // recognisable: grep for it in every output

struct Fixture {
  FakeCentralStub* fake = nullptr;
  std::unique_ptr<checkin::GrpcCentralLink> link;

  explicit Fixture(std::chrono::milliseconds timeout = std::chrono::milliseconds(7000)) {
    auto stub = std::make_unique<FakeCentralStub>();
    fake = stub.get();
    link = std::make_unique<checkin::GrpcCentralLink>(std::move(stub), checkin::ApiKey(kKey), "clinic-0042",
                                                      timeout);
  }
};

// Calls `method` of the link once; returns the error kind, or nullopt on success.
std::optional<checkin::LinkError> callOnce(checkin::CentralLink& link, const std::string& method) {
  auto pick = [](auto result) -> std::optional<checkin::LinkError> {
    if (result.ok()) return std::nullopt;
    return std::move(result.error());
  };
  if (method == "CheckIn") return pick(link.checkIn(v1::CheckInRequest{}));
  if (method == "SyncRules") return pick(link.syncRules(v1::SyncRulesRequest{}));
  if (method == "SubmitEvidence") return pick(link.submitEvidence(v1::SubmitEvidenceRequest{}));
  return pick(link.reportOrderResult(v1::ReportOrderResultRequest{}));
}

const std::vector<std::string> kMethods = {"CheckIn", "SyncRules", "SubmitEvidence", "ReportOrderResult"};

}  // namespace

TEST_CASE("every call carries the bearer key, the site id and a deadline of central.timeout") {
  Fixture f;
  for (const auto& method : kMethods) {
    const auto before = std::chrono::system_clock::now();
    REQUIRE_FALSE(callOnce(*f.link, method).has_value());
    const auto after = std::chrono::system_clock::now();
    REQUIRE_FALSE(f.fake->calls.empty());
    const auto& call = f.fake->calls.back();
    INFO(method);
    CHECK(call.method == method);
    CHECK(call.metadata.count("authorization") == 1);
    CHECK(call.metadata.find("authorization")->second == "Bearer " + kKey);
    CHECK(call.metadata.count("x-site-id") == 1);
    CHECK(call.metadata.find("x-site-id")->second == "clinic-0042");
    // The deadline is taken on the monotonic clock and reported back in wall time: allow for
    // the conversion, not for a missing or default (infinite) deadline.
    CHECK(call.deadline >= before + std::chrono::milliseconds(7000 - 100));
    CHECK(call.deadline <= after + std::chrono::milliseconds(7000 + 100));
  }
  CHECK(f.fake->calls.size() == kMethods.size());
}

TEST_CASE("the request reaches the stub unchanged and the validated answer comes back") {
  Fixture f;
  f.fake->checkin.set_latest_bundle_version(9);
  f.fake->checkin.add_disabled_checks("LIN-SSH-004");
  v1::CheckInRequest req;
  req.mutable_identity()->set_appliance_id("app-7");
  req.set_bundle_version(4);
  auto r = f.link->checkIn(req);
  REQUIRE(r.ok());
  CHECK(r->latest_bundle_version() == 9);
  REQUIRE(r->disabled_checks_size() == 1);
  CHECK(r->disabled_checks(0) == "LIN-SSH-004");
  CHECK(f.fake->last_checkin.identity().appliance_id() == "app-7");
  CHECK(f.fake->last_checkin.bundle_version() == 4);
}

TEST_CASE("each gRPC status code maps to its link error kind, for every method") {
  struct Row {
    grpc::StatusCode code;
    LinkErrc kind;
    bool retryable;
  };
  const std::vector<Row> rows = {
      {grpc::StatusCode::UNAVAILABLE, LinkErrc::Unavailable, true},
      {grpc::StatusCode::CANCELLED, LinkErrc::Unavailable, true},
      {grpc::StatusCode::ABORTED, LinkErrc::Unavailable, true},
      {grpc::StatusCode::DEADLINE_EXCEEDED, LinkErrc::Deadline, true},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, LinkErrc::ResourceExhausted, true},
      {grpc::StatusCode::UNAUTHENTICATED, LinkErrc::Unauthenticated, false},
      {grpc::StatusCode::PERMISSION_DENIED, LinkErrc::PermissionDenied, false},
      {grpc::StatusCode::INVALID_ARGUMENT, LinkErrc::Rejected, false},
      {grpc::StatusCode::FAILED_PRECONDITION, LinkErrc::Rejected, false},
      {grpc::StatusCode::OUT_OF_RANGE, LinkErrc::Rejected, false},
      {grpc::StatusCode::NOT_FOUND, LinkErrc::Rejected, false},
      {grpc::StatusCode::ALREADY_EXISTS, LinkErrc::Rejected, false},
      {grpc::StatusCode::UNIMPLEMENTED, LinkErrc::Unimplemented, false},
      {grpc::StatusCode::INTERNAL, LinkErrc::Internal, false},
      {grpc::StatusCode::UNKNOWN, LinkErrc::Internal, false},
      {grpc::StatusCode::DATA_LOSS, LinkErrc::Internal, false},
  };
  Fixture f;
  for (const auto& row : rows) {
    f.fake->status = grpc::Status(row.code, "server says no");
    for (const auto& method : kMethods) {
      INFO(method << " status " << static_cast<int>(row.code));
      const auto err = callOnce(*f.link, method);
      REQUIRE(err.has_value());
      CHECK(err->kind == row.kind);
      CHECK(err->retryable() == row.retryable);
      CHECK(err->message.find(method) != std::string::npos);
      CHECK(err->message.find("server says no") != std::string::npos);
      CHECK(err->message.find(std::string(checkin::toString(row.kind))) != std::string::npos);
    }
  }
}

TEST_CASE("an answer that is not well-formed is invalid_response, for every method") {
  Fixture f;
  f.fake->checkin.set_site_tier(v1::TIER_UNSPECIFIED);
  f.fake->sync.clear_result();
  f.fake->evidence.set_refusal(static_cast<v1::EvidenceRefusal>(42));
  f.fake->orders.add_acknowledged_order_ids("");
  for (const auto& method : kMethods) {
    INFO(method);
    const auto err = callOnce(*f.link, method);
    REQUIRE(err.has_value());
    CHECK(err->kind == LinkErrc::InvalidResponse);
    CHECK_FALSE(err->retryable());
    CHECK(err->message.find("invalid response") != std::string::npos);
  }
}

TEST_CASE("a server message that echoes the key is redacted, made printable and capped") {
  Fixture f;
  SECTION("echoed key") {
    f.fake->status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token: Bearer " + kKey + " (" + kKey + ")");
    const auto err = callOnce(*f.link, "CheckIn");
    REQUIRE(err.has_value());
    CHECK(err->kind == LinkErrc::Unauthenticated);
    CHECK(err->message.find(kKey) == std::string::npos);
    CHECK(err->message.find("bad token: Bearer [redacted] ([redacted])") != std::string::npos);
  }
  SECTION("control bytes and a long message") {
    f.fake->status = grpc::Status(grpc::StatusCode::INTERNAL, "line1\nline2\x1b[31m" + std::string(5000, 'x'));
    const auto err = callOnce(*f.link, "CheckIn");
    REQUIRE(err.has_value());
    CHECK(err->message.find('\n') == std::string::npos);
    CHECK(err->message.find('\x1b') == std::string::npos);
    CHECK(err->message.find("line1?line2?[31m") != std::string::npos);
    CHECK(err->message.size() < checkin::kMaxServerMessageChars + 200);
  }
}

TEST_CASE("no log line of the link holds the API key, at trace level") {
  fakes::FakeJournalSender sender;
  core::log::LoggingOptions opts;
  opts.level = spdlog::level::trace;
  opts.journal = true;
  opts.sender_override = &sender;
  core::log::setupLogging(opts);
  {
    Fixture f;
    REQUIRE(f.link->checkIn(v1::CheckInRequest{}).ok());
    f.fake->status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "refused " + kKey);
    REQUIRE_FALSE(f.link->checkIn(v1::CheckInRequest{}).ok());
    f.fake->status = grpc::Status::OK;
    f.fake->checkin.set_site_tier(v1::TIER_UNSPECIFIED);
    REQUIRE_FALSE(f.link->checkIn(v1::CheckInRequest{}).ok());
  }
  core::log::resetLogging();
  const auto entries = sender.entries();
  // The link did log (a test that sees no lines could not fail) ...
  int failures_logged = 0;
  for (const auto& entry : entries) {
    for (const auto& field : entry) {
      if (field.find("CheckIn failed") != std::string::npos) ++failures_logged;
    }
  }
  CHECK(failures_logged == 2);
  // ... and never the key.
  for (const auto& entry : entries) {
    for (const auto& field : entry) CHECK(field.find(kKey) == std::string::npos);
  }
}
