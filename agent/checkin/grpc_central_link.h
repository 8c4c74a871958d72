#pragma once
// GrpcCentralLink: CentralLink over the generated CentralCommand::StubInterface. The stub is
// injected, so unit tests drive it with a hand-written fake (tests/unit/checkin/fake_stub.h) and
// the integration-style tests with a real server on a unix socket.
//
// Every call carries a deadline of central.timeout, measured on the monotonic clock (a wall
// clock step cannot stretch or cut it), and the metadata `authorization: Bearer <key>` and
// `x-site-id: <site_id>` (proto/central.proto: never in a message body). The answer is
// validated (response_validation.h) before it is returned. gRPC status codes map to LinkErrc as
// mapStatus() documents. The server's status message is kept for the log, made printable,
// capped at kMaxServerMessageChars and with the API key redacted, should a server echo it.
//
// Calls fail fast when central command is down (no wait-for-ready): the caller's schedule
// decides when to try again (schedule.h), not a blocked call. Safe to call from several threads.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/support/status.h>

#include "central.grpc.pb.h"
#include "checkin/central_link.h"
#include "checkin/channel.h"
#include "checkin/credentials.h"
#include "checkin/setup_error.h"
#include "config/agent_config.h"

namespace checkin {

/// The most of a server's status message a LinkError keeps.
inline constexpr std::size_t kMaxServerMessageChars = 512;

/// The LinkErrc of a failed gRPC status: UNAVAILABLE, CANCELLED, ABORTED -> Unavailable;
/// DEADLINE_EXCEEDED -> Deadline; UNAUTHENTICATED -> Unauthenticated; PERMISSION_DENIED ->
/// PermissionDenied; RESOURCE_EXHAUSTED -> ResourceExhausted; INVALID_ARGUMENT,
/// FAILED_PRECONDITION, OUT_OF_RANGE, NOT_FOUND, ALREADY_EXISTS -> Rejected; UNIMPLEMENTED ->
/// Unimplemented; INTERNAL, UNKNOWN, DATA_LOSS (and OK, which is not a failure) -> Internal.
LinkErrc mapStatus(grpc::StatusCode code);

class GrpcCentralLink final : public CentralLink {
 public:
  GrpcCentralLink(std::unique_ptr<compliance::central::v1::CentralCommand::StubInterface> stub, ApiKey key,
                  std::string site_id, std::chrono::milliseconds timeout);

  LinkResult<v1::CheckInResponse> checkIn(const v1::CheckInRequest& request) override;
  LinkResult<v1::SyncRulesResponse> syncRules(const v1::SyncRulesRequest& request) override;
  LinkResult<v1::SubmitEvidenceResponse> submitEvidence(const v1::SubmitEvidenceRequest& request) override;
  LinkResult<v1::ReportOrderResultResponse> reportOrderResult(const v1::ReportOrderResultRequest& request) override;

 private:
  template <class Request, class Response>
  using Method = grpc::Status (compliance::central::v1::CentralCommand::StubInterface::*)(grpc::ClientContext*,
                                                                                         const Request&, Response*);
  template <class Request, class Response>
  LinkResult<Response> call(std::string_view name, const Request& request, Method<Request, Response> method);

  std::unique_ptr<compliance::central::v1::CentralCommand::StubInterface> stub_;
  const ApiKey key_;
  const std::string site_id_;
  const std::chrono::milliseconds timeout_;
};

/// The link the configuration describes: the key from central.api_key_file (readApiKey), the
/// channel (makeChannel), central.timeout. Errors: NoSiteId when `site_id` is empty, then those
/// of makeChannel and readApiKey. Nothing is dialled yet.
core::Result<std::unique_ptr<CentralLink>, SetupError> makeGrpcCentralLink(const std::string& site_id,
                                                                           const config::CentralConfig& central,
                                                                           const ChannelOptions& options = {});

}  // namespace checkin
