#pragma once
// Two clocks: wall time for evidence and schedules in local time, steady time for intervals
// and timeouts. Tests drive FakeClock (tests/fakes) instead of sleeping.
#include <chrono>

namespace core {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using SteadyTime = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  /// Current wall-clock time (UTC); never fails.
  virtual WallTime wallNow() const = 0;
  /// Current monotonic time; never fails.
  virtual SteadyTime steadyNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  SteadyTime steadyNow() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace core
