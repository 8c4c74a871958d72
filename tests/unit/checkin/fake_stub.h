#pragma once
// FakeCentralStub: a hand-written CentralCommand::StubInterface (gmock is not available) for
// GrpcCentralLink's unit tests. It records what each call carried (metadata, deadline, request)
// and answers with the status and response a test sets. The async entry points are never used
// by the link and return nullptr.
#include <grpcpp/client_context.h>
#include <grpcpp/test/client_context_test_peer.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "central.grpc.pb.h"

namespace checkin_test {

namespace v1 = compliance::central::v1;

/// The answers these tests treat as well-formed.
inline v1::CheckInResponse validCheckIn() {
  v1::CheckInResponse r;
  r.set_server_time_unix_ms(1'800'000'000'000);
  r.set_site_tier(v1::TIER_STANDARD);
  return r;
}
inline v1::SyncRulesResponse validSyncRules() {
  v1::SyncRulesResponse r;
  r.mutable_not_modified()->set_latest_bundle_version(3);
  return r;
}
inline v1::SubmitEvidenceResponse validSubmitEvidence() { return {}; }  // nothing stored, nothing refused
inline v1::ReportOrderResultResponse validReportOrderResult() {
  v1::ReportOrderResultResponse r;
  r.add_acknowledged_order_ids("order-1");
  return r;
}

class FakeCentralStub final : public v1::CentralCommand::StubInterface {
 public:
  struct Call {
    std::string method;
    std::multimap<std::string, std::string> metadata;
    std::chrono::system_clock::time_point deadline;
  };

  grpc::Status status = grpc::Status::OK;
  v1::CheckInResponse checkin = validCheckIn();
  v1::SyncRulesResponse sync = validSyncRules();
  v1::SubmitEvidenceResponse evidence = validSubmitEvidence();
  v1::ReportOrderResultResponse orders = validReportOrderResult();
  std::vector<Call> calls;
  v1::CheckInRequest last_checkin;

  grpc::Status CheckIn(grpc::ClientContext* ctx, const v1::CheckInRequest& req, v1::CheckInResponse* resp) override {
    record(ctx, "CheckIn");
    last_checkin = req;
    *resp = checkin;
    return status;
  }
  grpc::Status SyncRules(grpc::ClientContext* ctx, const v1::SyncRulesRequest&, v1::SyncRulesResponse* resp) override {
    record(ctx, "SyncRules");
    *resp = sync;
    return status;
  }
  grpc::Status SubmitEvidence(grpc::ClientContext* ctx, const v1::SubmitEvidenceRequest&,
                              v1::SubmitEvidenceResponse* resp) override {
    record(ctx, "SubmitEvidence");
    *resp = evidence;
    return status;
  }
  grpc::Status ReportOrderResult(grpc::ClientContext* ctx, const v1::ReportOrderResultRequest&,
                                 v1::ReportOrderResultResponse* resp) override {
    record(ctx, "ReportOrderResult");
    *resp = orders;
    return status;
  }

 private:
  void record(grpc::ClientContext* ctx, std::string method) {
    grpc::testing::ClientContextTestPeer peer(ctx);
    calls.push_back({std::move(method), peer.GetSendInitialMetadata(), ctx->deadline()});
  }

  using CheckInReader = grpc::ClientAsyncResponseReaderInterface<v1::CheckInResponse>;
  using SyncReader = grpc::ClientAsyncResponseReaderInterface<v1::SyncRulesResponse>;
  using EvidenceReader = grpc::ClientAsyncResponseReaderInterface<v1::SubmitEvidenceResponse>;
  using OrdersReader = grpc::ClientAsyncResponseReaderInterface<v1::ReportOrderResultResponse>;
  CheckInReader* AsyncCheckInRaw(grpc::ClientContext*, const v1::CheckInRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  CheckInReader* PrepareAsyncCheckInRaw(grpc::ClientContext*, const v1::CheckInRequest&,
                                        grpc::CompletionQueue*) override {
    return nullptr;
  }
  SyncReader* AsyncSyncRulesRaw(grpc::ClientContext*, const v1::SyncRulesRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  SyncReader* PrepareAsyncSyncRulesRaw(grpc::ClientContext*, const v1::SyncRulesRequest&,
                                       grpc::CompletionQueue*) override {
    return nullptr;
  }
  EvidenceReader* AsyncSubmitEvidenceRaw(grpc::ClientContext*, const v1::SubmitEvidenceRequest&,
                                         grpc::CompletionQueue*) override {
    return nullptr;
  }
  EvidenceReader* PrepareAsyncSubmitEvidenceRaw(grpc::ClientContext*, const v1::SubmitEvidenceRequest&,
                                                grpc::CompletionQueue*) override {
    return nullptr;
  }
  OrdersReader* AsyncReportOrderResultRaw(grpc::ClientContext*, const v1::ReportOrderResultRequest&,
                                          grpc::CompletionQueue*) override {
    return nullptr;
  }
  OrdersReader* PrepareAsyncReportOrderResultRaw(grpc::ClientContext*, const v1::ReportOrderResultRequest&,
                                                 grpc::CompletionQueue*) override {
    return nullptr;
  }
};

}  // namespace checkin_test
