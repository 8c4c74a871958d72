#pragma once
// FakeCentralLink: checkin::CentralLink in memory, for tests of what the agent does with central
// command's answers. Every request is kept; the answer of each check-in is the next one queued
// (answerCheckIn / failCheckIn), or `unavailable` when none is.
#include <deque>
#include <vector>

#include "checkin/central_link.h"

namespace fakes {

class FakeCentralLink final : public checkin::CentralLink {
 public:
  void answerCheckIn(checkin::v1::CheckInResponse response) { answers_.emplace_back(std::move(response)); }
  void failCheckIn(checkin::LinkErrc kind, std::string message) {
    answers_.emplace_back(core::fail(checkin::LinkError{kind, std::move(message)}));
  }
  const std::vector<checkin::v1::CheckInRequest>& checkIns() const { return check_ins_; }

  checkin::LinkResult<checkin::v1::CheckInResponse> checkIn(const checkin::v1::CheckInRequest& request) override {
    check_ins_.push_back(request);
    if (answers_.empty()) return core::fail(checkin::LinkError{checkin::LinkErrc::Unavailable, "CheckIn: nothing queued (fake)"});
    auto next = std::move(answers_.front());
    answers_.pop_front();
    return next;
  }
  checkin::LinkResult<checkin::v1::SyncRulesResponse> syncRules(const checkin::v1::SyncRulesRequest&) override {
    return core::fail(checkin::LinkError{checkin::LinkErrc::Unimplemented, "SyncRules: not faked"});
  }
  checkin::LinkResult<checkin::v1::SubmitEvidenceResponse> submitEvidence(
      const checkin::v1::SubmitEvidenceRequest&) override {
    return core::fail(checkin::LinkError{checkin::LinkErrc::Unimplemented, "SubmitEvidence: not faked"});
  }
  checkin::LinkResult<checkin::v1::ReportOrderResultResponse> reportOrderResult(
      const checkin::v1::ReportOrderResultRequest&) override {
    return core::fail(checkin::LinkError{checkin::LinkErrc::Unimplemented, "ReportOrderResult: not faked"});
  }

 private:
  std::deque<checkin::LinkResult<checkin::v1::CheckInResponse>> answers_;
  std::vector<checkin::v1::CheckInRequest> check_ins_;
};

}  // namespace fakes
