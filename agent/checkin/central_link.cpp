#include "checkin/central_link.h"

namespace checkin {

std::string_view toString(LinkErrc kind) {
  switch (kind) {
    case LinkErrc::Unavailable: return "unavailable";
    case LinkErrc::Deadline: return "deadline";
    case LinkErrc::Unauthenticated: return "unauthenticated";
    case LinkErrc::PermissionDenied: return "permission_denied";
    case LinkErrc::ResourceExhausted: return "resource_exhausted";
    case LinkErrc::Rejected: return "rejected";
    case LinkErrc::Unimplemented: return "unimplemented";
    case LinkErrc::InvalidResponse: return "invalid_response";
    case LinkErrc::Internal: return "internal";
  }
  return "internal";
}

bool isRetryable(LinkErrc kind) {
  switch (kind) {
    case LinkErrc::Unavailable:
    case LinkErrc::Deadline:
    case LinkErrc::ResourceExhausted:
      return true;
    case LinkErrc::Unauthenticated:
    case LinkErrc::PermissionDenied:
    case LinkErrc::Rejected:
    case LinkErrc::Unimplemented:
    case LinkErrc::InvalidResponse:
    case LinkErrc::Internal:
      return false;
  }
  return false;
}

}  // namespace checkin
