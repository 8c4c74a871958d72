// CheckinSchedule's properties (schedule.h has the formula): the phase is stable per appliance
// and spread across a fleet; the splay stays within 10%; after errors the wait grows, is capped,
// is spread over the whole range at the cap, and is never shorter than the interval; a success
// resets it. The random draws are the test's: deterministic.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "checkin/schedule.h"

namespace {

using checkin::CheckinSchedule;
using checkin::kBackoffCap;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

/// Always the same draw.
class ConstantRandom final : public checkin::RandomSource {
 public:
  explicit ConstantRandom(double u) : u_(u) {}
  double uniform() override { return u_; }
  double u_;
};

/// A seeded sequence: spread like the real one, the same on every run.
class SeededRandom final : public checkin::RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  double uniform() override { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
};

constexpr double kAlmostOne = 0.9999999;
// 2026-12-06T20:00:00.123Z, not on any round boundary.
const core::Clock::WallTime kNow{milliseconds{1'796'587'200'123}};

std::int64_t epochMs(core::Clock::WallTime t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// Whether `t` (ms) is one of the schedule's slots.
bool onSlot(const CheckinSchedule& s, std::int64_t t) {
  const std::int64_t i = s.interval().count();
  return (((t - s.slotOffset().count()) % i) + i) % i == 0;
}

}  // namespace

TEST_CASE("the phase is stable per appliance id, a fraction below 1, and differs between ids") {
  const double a = checkin::appliancePhase("appliance-0042");
  CHECK(a == checkin::appliancePhase("appliance-0042"));
  CHECK(a >= 0.0);
  CHECK(a < 1.0);
  CHECK(a != checkin::appliancePhase("appliance-0043"));
  // Pinned: the formula's first 8 bytes of SHA-256("") are e3b0c44298fc1c14.
  CHECK(checkin::appliancePhase("") == Approx(0xe3b0c44298fc1c14ULL / 18446744073709551616.0).epsilon(1e-15));
}

TEST_CASE("the phase spreads a fleet evenly over the interval") {
  constexpr int kFleet = 10'000;
  std::vector<int> buckets(10, 0);
  for (int n = 0; n < kFleet; ++n) {
    const double p = checkin::appliancePhase("appliance-" + std::to_string(n));
    ++buckets[static_cast<std::size_t>(p * 10)];
  }
  for (int b : buckets) {
    CHECK(b > kFleet / 10 * 8 / 10);
    CHECK(b < kFleet / 10 * 12 / 10);
  }
}

TEST_CASE("the first check-in falls on the appliance's slot plus a splay below 10% of the interval") {
  const milliseconds interval = 60s;
  SECTION("no splay: exactly the next slot, within one interval") {
    ConstantRandom zero(0.0);
    CheckinSchedule s("appliance-0042", interval, zero);
    const auto d = s.firstDelay(kNow);
    CHECK(d >= 0ms);
    CHECK(d < interval);
    CHECK(onSlot(s, epochMs(kNow) + d.count()));
  }
  SECTION("the largest splay: still below 10%") {
    ConstantRandom zero(0.0);
    ConstantRandom top(kAlmostOne);
    CheckinSchedule base("appliance-0042", interval, zero);
    CheckinSchedule splayed("appliance-0042", interval, top);
    const auto extra = splayed.firstDelay(kNow) - base.firstDelay(kNow);
    CHECK(extra >= 0ms);
    CHECK(extra < interval / 10);
    CHECK(extra > interval / 10 - 10ms);
  }
  SECTION("a draw of exactly 1 is clamped below the bound") {
    ConstantRandom zero(0.0);
    ConstantRandom one(1.0);
    CheckinSchedule base("appliance-0042", interval, zero);
    CheckinSchedule splayed("appliance-0042", interval, one);
    CHECK(splayed.firstDelay(kNow) - base.firstDelay(kNow) < interval / 10);
  }
}

TEST_CASE("a fleet started at the same moment does not check in together") {
  const milliseconds interval = 60s;
  SeededRandom random(7);
  constexpr int kFleet = 2'000;
  // Buckets of a tenth of the interval over [0, 1.1 I).
  std::vector<int> buckets(11, 0);
  for (int n = 0; n < kFleet; ++n) {
    CheckinSchedule s("appliance-" + std::to_string(n), interval, random);
    const auto d = s.firstDelay(kNow);
    REQUIRE(d < interval + interval / 10);
    ++buckets[static_cast<std::size_t>(d.count() / (interval.count() / 10))];
  }
  const double mean = static_cast<double>(kFleet) / 10;  // the last bucket only catches the splay's tail
  for (int b : buckets) CHECK(b < 2 * mean);
}

TEST_CASE("after a success the next check-in is the next slot, never sooner than half an interval") {
  const milliseconds interval = 60s;
  ConstantRandom zero(0.0);
  CheckinSchedule s("appliance-0042", interval, zero);
  const auto first = kNow + s.firstDelay(kNow);
  // A check-in in its slot (finishing 300 ms later) is followed by the next slot, one interval on.
  const auto done = first + 300ms;
  const auto next = s.afterSuccess(done);
  CHECK(epochMs(done) + next.count() == epochMs(first) + interval.count());
  // An out-of-turn check-in (an order) just before a slot is not followed by that slot.
  const auto early = first + interval - 1s;
  const auto after_early = s.afterSuccess(early);
  CHECK(after_early >= interval / 2);
  CHECK(after_early < interval + interval / 2);
  CHECK(onSlot(s, epochMs(early) + after_early.count()));
}

TEST_CASE("after errors the wait doubles at its upper end until the 15 minute cap") {
  const milliseconds interval = 60s;
  ConstantRandom top(kAlmostOne);
  CheckinSchedule s("appliance-0042", interval, top);
  std::vector<milliseconds> waits;
  for (int n = 0; n < 8; ++n) waits.push_back(s.afterFailure());
  CHECK(s.consecutiveFailures() == 8);
  // I * 2^n: 2, 4, 8 minutes (just below), then the cap.
  CHECK(waits[0] > 2min - 1s);
  CHECK(waits[0] < 2min);
  CHECK(waits[1] > 4min - 1s);
  CHECK(waits[1] < 4min);
  CHECK(waits[2] > 8min - 1s);
  CHECK(waits[2] < 8min);
  for (std::size_t n = 3; n < waits.size(); ++n) {
    CHECK(waits[n] > kBackoffCap - 1s);
    CHECK(waits[n] < kBackoffCap);
  }
  // Many more failures: still capped (no overflow of I * 2^n).
  for (int n = 0; n < 200; ++n) CHECK(s.afterFailure() < kBackoffCap);
}

TEST_CASE("at the cap the retries are spread over the whole range, not bunched at the cap") {
  const milliseconds interval = 60s;
  SeededRandom random(11);
  CheckinSchedule s("appliance-0042", interval, random);
  for (int n = 0; n < 10; ++n) (void)s.afterFailure();
  constexpr int kDraws = 2'000;
  const auto range = kBackoffCap - interval;
  std::vector<int> buckets(10, 0);
  milliseconds lo = kBackoffCap, hi = 0ms;
  for (int n = 0; n < kDraws; ++n) {
    const auto d = s.afterFailure();
    REQUIRE(d >= interval);
    REQUIRE(d < kBackoffCap);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    ++buckets[static_cast<std::size_t>((d - interval).count() * 10 / range.count())];
  }
  CHECK(lo < interval + range / 20);
  CHECK(hi > kBackoffCap - range / 20);
  for (int b : buckets) {
    CHECK(b > kDraws / 10 / 2);
    CHECK(b < kDraws / 10 * 3 / 2);
  }
}

TEST_CASE("an error never shortens the wait below the interval, whatever the interval and the draw") {
  for (const milliseconds interval : {milliseconds{1000}, milliseconds{60'000}, milliseconds{600'000},
                                      milliseconds{3'600'000}}) {
    for (const double u : {0.0, 0.5, kAlmostOne}) {
      ConstantRandom random(u);
      CheckinSchedule s("appliance-0042", interval, random);
      for (int n = 0; n < 30; ++n) {
        const auto d = s.afterFailure();
        INFO("interval " << interval.count() << " ms, u " << u << ", failure " << n + 1);
        CHECK(d >= interval);
        // Above the cap only when the interval itself is: then by the splay at most.
        CHECK(d < std::max(kBackoffCap, interval + interval / 10));
      }
    }
  }
}

TEST_CASE("a success resets the backoff") {
  const milliseconds interval = 60s;
  ConstantRandom top(kAlmostOne);
  CheckinSchedule s("appliance-0042", interval, top);
  for (int n = 0; n < 6; ++n) (void)s.afterFailure();
  REQUIRE(s.consecutiveFailures() == 6);
  REQUIRE(s.afterFailure() > kBackoffCap - 1s);
  (void)s.afterSuccess(kNow);
  CHECK(s.consecutiveFailures() == 0);
  // The first failure again: at most twice the interval.
  const auto d = s.afterFailure();
  CHECK(d > 2min - 1s);
  CHECK(d < 2min);
}

TEST_CASE("a new interval moves the slots and keeps the failure count") {
  ConstantRandom zero(0.0);
  CheckinSchedule s("appliance-0042", 60s, zero);
  (void)s.afterFailure();
  s.setInterval(10min);
  CHECK(s.interval() == 10min);
  CHECK(s.consecutiveFailures() == 1);
  const auto d = s.firstDelay(kNow);
  CHECK(d < 10min);
  CHECK(onSlot(s, epochMs(kNow) + d.count()));
  s.setInterval(0ms);  // nonsense is clamped, not a division by zero
  CHECK(s.interval() == 1ms);
}
