#include "checkin/grpc_central_link.h"

#include <grpc/support/time.h>
#include <grpcpp/client_context.h>

#include <exception>

#include "checkin/response_validation.h"
#include "core/log.h"

namespace checkin {
namespace {

// What the server said, fit for a log line: without the key (redacted first, so cutting and
// replacing bytes below cannot leave a whole key behind), bounded, printable ASCII.
std::string serverText(const ApiKey& key, const std::string& raw) {
  std::string text = key.redact(raw);
  if (text.size() > kMaxServerMessageChars) text = text.substr(0, kMaxServerMessageChars) + "...";
  for (char& c : text) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return text;
}

}  // namespace

LinkErrc mapStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
      return LinkErrc::Unavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return LinkErrc::Deadline;
    case grpc::StatusCode::UNAUTHENTICATED:
      return LinkErrc::Unauthenticated;
    case grpc::StatusCode::PERMISSION_DENIED:
      return LinkErrc::PermissionDenied;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return LinkErrc::ResourceExhausted;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
      return LinkErrc::Rejected;
    case grpc::StatusCode::UNIMPLEMENTED:
      return LinkErrc::Unimplemented;
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
    default:
      return LinkErrc::Internal;
  }
}

GrpcCentralLink::GrpcCentralLink(std::unique_ptr<compliance::central::v1::CentralCommand::StubInterface> stub,
                                 ApiKey key, std::string site_id, std::chrono::milliseconds timeout)
    : stub_(std::move(stub)), key_(std::move(key)), site_id_(std::move(site_id)), timeout_(timeout) {}

template <class Request, class Response>
LinkResult<Response> GrpcCentralLink::call(std::string_view name, const Request& request,
                                           Method<Request, Response> method) {
  static const auto log = core::log::logger("checkin");
  grpc::ClientContext ctx;
  ctx.set_deadline(gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                gpr_time_from_millis(static_cast<std::int64_t>(timeout_.count()), GPR_TIMESPAN)));
  ctx.AddMetadata("authorization", key_.bearerValue());
  ctx.AddMetadata("x-site-id", site_id_);
  auto failed = [&](LinkErrc kind, const std::string& what) -> LinkResult<Response> {
    LinkError err{kind, std::string(name) + ": " + what};
    log->debug("{} failed: {}", name, err.message);
    return core::fail(std::move(err));
  };
  Response response;
  grpc::Status status;
  try {
    status = (stub_.get()->*method)(&ctx, request, &response);
  } catch (const std::exception& e) {
    // gRPC's sync API does not throw, but a protobuf allocation can: keep it at the edge.
    return failed(LinkErrc::Internal, serverText(key_, e.what()));
  }
  if (!status.ok()) {
    const LinkErrc kind = mapStatus(status.error_code());
    return failed(kind, std::string(toString(kind)) + " (gRPC status " +
                            std::to_string(static_cast<int>(status.error_code())) + ": " +
                            serverText(key_, status.error_message()) + ")");
  }
  if (auto valid = validateResponse(response); !valid) {
    return failed(LinkErrc::InvalidResponse, "invalid response: " + serverText(key_, valid.error()));
  }
  log->trace("{} answered", name);
  return response;
}

LinkResult<v1::CheckInResponse> GrpcCentralLink::checkIn(const v1::CheckInRequest& request) {
  return call("CheckIn", request, &v1::CentralCommand::StubInterface::CheckIn);
}
LinkResult<v1::SyncRulesResponse> GrpcCentralLink::syncRules(const v1::SyncRulesRequest& request) {
  return call("SyncRules", request, &v1::CentralCommand::StubInterface::SyncRules);
}
LinkResult<v1::SubmitEvidenceResponse> GrpcCentralLink::submitEvidence(const v1::SubmitEvidenceRequest& request) {
  return call("SubmitEvidence", request, &v1::CentralCommand::StubInterface::SubmitEvidence);
}
LinkResult<v1::ReportOrderResultResponse> GrpcCentralLink::reportOrderResult(
    const v1::ReportOrderResultRequest& request) {
  return call("ReportOrderResult", request, &v1::CentralCommand::StubInterface::ReportOrderResult);
}

core::Result<std::unique_ptr<CentralLink>, SetupError> makeGrpcCentralLink(const std::string& site_id,
                                                                           const config::CentralConfig& central,
                                                                           const ChannelOptions& options) {
  if (site_id.empty()) {
    return core::fail(SetupError{SetupErrc::NoSiteId, "site_id is not set: central command needs to know the site"});
  }
  auto channel = makeChannel(central, options);
  if (!channel) return core::fail(std::move(channel.error()));
  auto key = readApiKey(central.api_key_file);
  if (!key) return core::fail(std::move(key.error()));
  return std::unique_ptr<CentralLink>(std::make_unique<GrpcCentralLink>(
      v1::CentralCommand::NewStub(channel->channel), std::move(*key), site_id, central.timeout));
}

}  // namespace checkin
