#pragma once
// CheckinSchedule: when to check in next. Pure and clock-free: it is told the time and the
// outcome, and answers with a delay; it never sleeps or arms a timer (the daemon's scheduler
// does that, with a steady timer of the delay it is given). The random draws come from an
// injected RandomSource, so tests are deterministic.
//
// Why: a fleet restarted together (a fleet-wide update, central command coming back from an
// outage) must not check in together. Three things spread it:
//
// 1. A fixed per-appliance phase. phi = the first 8 bytes of SHA-256(appliance_id), read as a
//    big-endian unsigned integer, divided by 2^64: a fraction in [0, 1), stable across restarts
//    and spread evenly across ids. With I the check-in interval in ms, the appliance's slots are
//    the wall-clock instants t (ms since the Unix epoch) with (t - floor(phi * I)) mod I == 0.
//    Slots sit on the common wall-clock grid, so appliances with the same interval stay spread
//    over it, however and whenever they started.
// 2. A random splay of up to 10% of the interval: splay = floor(U * 0.10 * I), U uniform in
//    [0, 1), drawn anew for every delay that follows a slot.
// 3. After errors, exponential backoff with full jitter, the jitter applied after the cap. With
//    n the number of consecutive failures (n >= 1) and C = kBackoffCap (15 min):
//        ceiling(n) = min(C, I * 2^n)
//        delay      = I + floor(U * (ceiling(n) - I))      when ceiling(n) > I
//        delay      = I + splay                            otherwise (I >= C: no room to grow)
//    So an error never shortens the wait below the interval, the upper end doubles until the
//    cap, and at the cap the fleet's retries are spread evenly over [I, C) rather than arriving
//    in lockstep at C. (The delay never exceeds max(C, 1.1 * I).)
//
// The delays:
//    firstDelay(now)    = (first slot >= now) - now + splay               in [0, 1.1 * I)
//    afterSuccess(now)  = (first slot >= now + I/2) - now + splay         in [I/2, 1.6 * I)
//                         and the failure count is reset
//    afterFailure()     = the backoff delay above, n counting this failure
// afterSuccess's half interval keeps an out-of-turn check-in (an order's force_checkin) from
// being followed by a regular one moments later; a check-in in its own slot is followed by the
// next slot, one interval on.
#include <chrono>
#include <cstdint>
#include <random>
#include <string_view>

#include "core/clock.h"

namespace checkin {

/// The upper end of the backoff after errors.
inline constexpr std::chrono::milliseconds kBackoffCap{15 * 60 * 1000};
/// The splay, as a fraction of the interval.
inline constexpr double kSplayFraction = 0.10;

/// A source of uniform random numbers. Abstract so that tests choose the draws.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  /// A value in [0, 1) (a value outside is clamped into it). Never fails.
  virtual double uniform() = 0;
};

/// std::mt19937_64 seeded from std::random_device: spread, not secrecy, is needed here. Not
/// thread-safe (one per schedule).
class SystemRandom final : public RandomSource {
 public:
  SystemRandom() : engine_(std::random_device{}()) {}
  double uniform() override { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
};

/// phi of the formula above: the appliance's fixed phase, in [0, 1).
double appliancePhase(std::string_view appliance_id);

class CheckinSchedule {
 public:
  /// `interval` below 1 ms counts as 1 ms. `random` must outlive the schedule.
  CheckinSchedule(std::string_view appliance_id, std::chrono::milliseconds interval, RandomSource& random);

  /// Central command's (or agent.yaml's) interval from now on; keeps the failure count.
  void setInterval(std::chrono::milliseconds interval);
  std::chrono::milliseconds interval() const { return interval_; }
  /// floor(phi * I): where in each interval this appliance's slot lies.
  std::chrono::milliseconds slotOffset() const;
  int consecutiveFailures() const { return failures_; }

  /// The delay from `now` to the first check-in after start-up.
  std::chrono::milliseconds firstDelay(core::Clock::WallTime now);
  /// A check-in succeeded at `now`: resets the backoff; the delay to the next one.
  std::chrono::milliseconds afterSuccess(core::Clock::WallTime now);
  /// A check-in failed: the delay to the next attempt (the backoff above).
  std::chrono::milliseconds afterFailure();

 private:
  std::int64_t draw(std::int64_t range);  // floor(U * range), in [0, range)
  std::chrono::milliseconds untilSlot(core::Clock::WallTime now, std::int64_t min_ahead_ms);

  double phase_;
  std::chrono::milliseconds interval_;
  RandomSource& random_;
  int failures_ = 0;
};

}  // namespace checkin
