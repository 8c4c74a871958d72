#include <catch2/catch.hpp>

#include "core/duration.h"

using namespace std::chrono_literals;

TEST_CASE("parseDuration accepts the contract's units") {
  CHECK(*core::parseDuration("90s") == 90s);
  CHECK(*core::parseDuration("5m") == 5min);
  CHECK(*core::parseDuration("2h") == 2h);
  CHECK(*core::parseDuration("1d") == 24h);
  CHECK(*core::parseDuration("0s") == 0s);
  CHECK(*core::parseDuration("250ms") == 250ms);
}

TEST_CASE("parseDuration refuses everything else") {
  for (const char* bad : {"", "5", "m", "-5m", "5 m", "1.5h", "5M", "5min", "1w", "99999999999999d", "213503982335d", "40000d"}) {
    INFO(bad);
    auto r = core::parseDuration(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(r.error().message.empty());
  }
}

TEST_CASE("formatDuration round-trips") {
  for (const char* s : {"90s", "5m", "2h", "1d", "0s", "250ms"}) {
    CHECK(core::formatDuration(*core::parseDuration(s)) == s);
  }
}
