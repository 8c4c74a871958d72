#include "checkin/schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/sha256.h"

namespace checkin {
namespace {

using std::chrono::milliseconds;

milliseconds atLeastOneMs(milliseconds d) { return std::max(d, milliseconds{1}); }

}  // namespace

double appliancePhase(std::string_view appliance_id) {
  // The first 16 hex digits are the first 8 bytes, big-endian.
  const std::string hex = core::sha256Hex(appliance_id).substr(0, 16);
  const std::uint64_t top = std::stoull(hex, nullptr, 16);
  return std::ldexp(static_cast<double>(top >> 11), -53);  // 53 bits: exactly representable, < 1
}

CheckinSchedule::CheckinSchedule(std::string_view appliance_id, milliseconds interval, RandomSource& random)
    : phase_(appliancePhase(appliance_id)), interval_(atLeastOneMs(interval)), random_(random) {}

void CheckinSchedule::setInterval(milliseconds interval) { interval_ = atLeastOneMs(interval); }

milliseconds CheckinSchedule::slotOffset() const {
  return milliseconds{static_cast<std::int64_t>(std::floor(phase_ * static_cast<double>(interval_.count())))};
}

std::int64_t CheckinSchedule::draw(std::int64_t range) {
  if (range <= 0) return 0;
  const double u = std::clamp(random_.uniform(), 0.0, std::nextafter(1.0, 0.0));
  return std::min(range - 1, static_cast<std::int64_t>(std::floor(u * static_cast<double>(range))));
}

milliseconds CheckinSchedule::untilSlot(core::Clock::WallTime now, std::int64_t min_ahead_ms) {
  const std::int64_t i = interval_.count();
  const std::int64_t now_ms =
      std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::int64_t from = now_ms + min_ahead_ms;
  const std::int64_t r = (((from - slotOffset().count()) % i) + i) % i;
  const std::int64_t slot = r == 0 ? from : from + (i - r);
  const auto splay = draw(static_cast<std::int64_t>(std::floor(kSplayFraction * static_cast<double>(i))));
  return milliseconds{slot - now_ms + splay};
}

milliseconds CheckinSchedule::firstDelay(core::Clock::WallTime now) { return untilSlot(now, 0); }

milliseconds CheckinSchedule::afterSuccess(core::Clock::WallTime now) {
  failures_ = 0;
  return untilSlot(now, interval_.count() / 2);
}

milliseconds CheckinSchedule::afterFailure() {
  if (failures_ < 1'000'000) ++failures_;
  const std::int64_t i = interval_.count();
  const std::int64_t cap = kBackoffCap.count();
  // I * 2^n, doubled step by step so that it cannot overflow: it stops growing at the cap.
  std::int64_t ceiling = i;
  for (int n = 0; n < failures_ && ceiling < cap; ++n) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  if (ceiling > i) return milliseconds{i + draw(ceiling - i)};
  return milliseconds{i + draw(static_cast<std::int64_t>(std::floor(kSplayFraction * static_cast<double>(i))))};
}

}  // namespace checkin
