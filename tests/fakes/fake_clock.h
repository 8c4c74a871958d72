#pragma once
// FakeClock: wall and steady time that only move when a test says so. Tests never sleep to wait
// for a timer; they advance this clock. Thread-safe, so a test may advance it while code under
// test reads it from another thread.
#include <chrono>
#include <mutex>

#include "core/clock.h"

namespace fakes {

class FakeClock final : public core::Clock {
 public:
  /// Starts at 2026-01-01T00:00:00Z wall time and an arbitrary non-zero steady time.
  FakeClock()
      : wall_(std::chrono::sys_days(std::chrono::year{2026} / 1 / 1)),
        steady_(SteadyTime(std::chrono::hours(1000))) {}
  FakeClock(WallTime wall, SteadyTime steady) : wall_(wall), steady_(steady) {}

  WallTime wallNow() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  SteadyTime steadyNow() const override {
    std::lock_guard lock(mu_);
    return steady_;
  }

  /// Moves both clocks forward by `d` (as real time passing would).
  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> d) {
    std::lock_guard lock(mu_);
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
    steady_ += std::chrono::duration_cast<SteadyTime::duration>(d);
  }
  /// Sets wall time only (like an NTP step); steady time is unaffected.
  void setWall(WallTime t) {
    std::lock_guard lock(mu_);
    wall_ = t;
  }
  /// Sets steady time; it must not go backwards in a meaningful test.
  void setSteady(SteadyTime t) {
    std::lock_guard lock(mu_);
    steady_ = t;
  }

 private:
  mutable std::mutex mu_;
  WallTime wall_;
  SteadyTime steady_;
};

/// A Sleeper that advances a FakeClock instead of sleeping, and remembers what it was asked.
class FakeSleeper final : public core::Sleeper {
 public:
  explicit FakeSleeper(FakeClock& clock) : clock_(clock) {}
  void sleepFor(std::chrono::milliseconds d) override {
    clock_.advance(d);
    total_ += d;
  }
  std::chrono::milliseconds total() const { return total_; }

 private:
  FakeClock& clock_;
  std::chrono::milliseconds total_{0};
};

}  // namespace fakes
