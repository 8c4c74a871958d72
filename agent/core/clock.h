#pragma once
// Two clocks: wall time for evidence and schedules in local time, steady time for intervals
// and timeouts. Tests drive FakeClock (tests/fakes) instead of sleeping.
#include <chrono>
#include <thread>

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

/// Waiting, e.g. a rule's verify_after before its re-check. Tests pass a sleeper that advances a
/// FakeClock instead of sleeping.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  /// Returns after `d` has passed. Never fails.
  virtual void sleepFor(std::chrono::milliseconds d) = 0;
};

class SystemSleeper final : public Sleeper {
 public:
  void sleepFor(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};

}  // namespace core
