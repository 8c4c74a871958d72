#pragma once
// CentralLink: the agent's one way to central command (design.md, "Central command link"), behind
// an interface so that transports can be swapped: gRPC now (grpc_central_link.h), the earlier
// platform's REST API later. It speaks the generated messages of proto/central.proto
// (compliance.central.v1) because they are the contract; a REST transport maps its JSON onto
// them. Every implementation validates a response (response_validation.h) before it returns it,
// so callers only ever see answers that are well-formed; what the answer means (signatures,
// orders, bundles) is for the modules that use it.
//
// Errors are values, never exceptions: a LinkError's kind is what a caller switches on (retry
// later, raise a health flag, give up); its message is for the log and never holds the API key.
#include <string>
#include <string_view>

#include "central.pb.h"
#include "core/result.h"

namespace checkin {

namespace v1 = compliance::central::v1;

/// Why a call to central command did not give a usable answer. A public vocabulary (log lines,
/// health flags use toString): add kinds, never rename them.
enum class LinkErrc {
  Unavailable,        // not reachable, connection lost, the server is going away: try later
  Deadline,           // no answer within central.timeout
  Unauthenticated,    // the API key was refused (wrong, revoked, or not the site's)
  PermissionDenied,   // the key is valid but may not do this (e.g. another site's x-site-id)
  ResourceExhausted,  // the server sheds load, or an answer exceeded the receive cap
  Rejected,           // the server refused the request as sent (invalid argument, precondition)
  Unimplemented,      // the server does not know the method: an older central command
  InvalidResponse,    // an answer arrived but is not well-formed (response_validation.h)
  Internal,           // the server failed (internal error, unknown error, data loss)
};

/// "unavailable", "deadline", "unauthenticated", "permission_denied", "resource_exhausted",
/// "rejected", "unimplemented", "invalid_response", "internal".
std::string_view toString(LinkErrc kind);

/// Whether the same request may succeed unchanged after a wait (unavailable, deadline,
/// resource_exhausted). The others need something to change first (the key, the configuration,
/// central command's software): the scheduler still tries again on its backoff schedule, but a
/// non-retryable error is worth a warning and a health flag rather than a quiet retry.
bool isRetryable(LinkErrc kind);

struct LinkError {
  LinkErrc kind;
  std::string message;  // for humans: the method, and what the transport or the server said
  bool retryable() const { return isRetryable(kind); }
};

template <class T>
using LinkResult = core::Result<T, LinkError>;

class CentralLink {
 public:
  virtual ~CentralLink() = default;

  /// The periodic check-in. On failure a LinkError (any kind); InvalidResponse when the answer is
  /// not well-formed. Never throws.
  virtual LinkResult<v1::CheckInResponse> checkIn(const v1::CheckInRequest& request) = 0;

  /// The conditional bundle download. On failure a LinkError; InvalidResponse when the answer
  /// sets neither "not modified" nor a bundle.
  virtual LinkResult<v1::SyncRulesResponse> syncRules(const v1::SyncRulesRequest& request) = 0;

  /// One batch of evidence records. On failure a LinkError; a refusal by central command (gap,
  /// fork, ...) is not a LinkError but part of the answer (SubmitEvidenceResponse.refusal).
  virtual LinkResult<v1::SubmitEvidenceResponse> submitEvidence(const v1::SubmitEvidenceRequest& request) = 0;

  /// Order results. On failure a LinkError; the results stay unacknowledged and travel with
  /// the next check-in (CheckInRequest.unacknowledged_results).
  virtual LinkResult<v1::ReportOrderResultResponse> reportOrderResult(
      const v1::ReportOrderResultRequest& request) = 0;
};

}  // namespace checkin
