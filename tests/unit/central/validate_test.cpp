// validateCheckIn: a good request becomes the record the store keeps; each bad field is refused
// with its name; each limit holds at its value and refuses one past it. And the listen address.
#include <catch2/catch.hpp>

#include <functional>
#include <nlohmann/json.hpp>

#include "server.h"
#include "validate.h"

namespace {

namespace cc = compliance::central::v1;

cc::CheckInRequest goodRequest() {
  cc::CheckInRequest req;
  auto* id = req.mutable_identity();
  id->set_site_id("clinic-1");
  id->set_appliance_id("app-1");
  id->set_hostname("appliance");
  id->set_agent_version("0.1.0");
  id->set_nixos_version("24.05");
  id->set_uptime_seconds(99);
  req.set_active_tier(cc::TIER_FULL_COVERAGE);
  req.set_bundle_version(2);
  req.set_mode(cc::MODE_LIVE);
  req.mutable_evidence_head()->set_seq(5);
  req.mutable_evidence_head()->set_hash(std::string(32, '\x01'));
  req.set_evidence_public_key(std::string(32, '\x02'));
  req.set_sent_at_unix_ms(1'800'000'000'000);
  return req;
}

std::string refusedField(const cc::CheckInRequest& req) {
  auto r = central::validateCheckIn(req, "clinic-1");
  if (r.ok()) return "(accepted)";
  CHECK(r.error().message.rfind(r.error().field + ": ", 0) == 0);  // the message names the field first
  return r.error().field;
}

}  // namespace

TEST_CASE("a good check-in becomes the record the store keeps") {
  auto req = goodRequest();
  auto* cycle = req.mutable_last_cycle();
  cycle->set_evidence_seq(4);
  cycle->set_drifted(3);
  (*cycle->mutable_outcomes())["planned"] = 2;
  auto* flag = req.add_health();
  flag->set_code("rules_stale");
  flag->set_since_unix_ms(7);
  auto r = central::validateCheckIn(req, "clinic-1");
  REQUIRE(r.ok());
  CHECK(r->site_id == "clinic-1");
  CHECK(r->appliance_id == "app-1");
  CHECK(r->hostname == "appliance");
  CHECK(r->uptime_seconds == 99);
  CHECK(r->reported_tier == "full_coverage");
  CHECK(r->mode == "live");
  CHECK(r->bundle_version == 2);
  CHECK(r->evidence_seq == 5);
  CHECK(r->evidence_hash == std::string(32, '\x01'));
  CHECK(r->evidence_public_key == std::string(32, '\x02'));
  CHECK(r->sent_at_ms == 1'800'000'000'000);
  const auto last = nlohmann::json::parse(r->last_cycle_json);
  CHECK(last.at("drifted") == 3);
  CHECK(last.at("outcomes").at("planned") == 2);
  CHECK(nlohmann::json::parse(r->health_json) ==
        nlohmann::json::parse(R"([{"code":"rules_stale","detail":"","since_unix_ms":7}])"));

  req.clear_last_cycle();
  req.clear_health();
  auto bare = central::validateCheckIn(req, "clinic-1");
  REQUIRE(bare.ok());
  CHECK(bare->last_cycle_json.empty());
  CHECK(bare->health_json == "[]");
}

TEST_CASE("a fresh appliance's evidence head (seq 0, no hash) is valid") {
  auto req = goodRequest();
  req.mutable_evidence_head()->set_seq(0);
  req.mutable_evidence_head()->clear_hash();
  CHECK(refusedField(req) == "(accepted)");
}

TEST_CASE("each invalid field is refused with its name") {
  using Mutate = std::function<void(cc::CheckInRequest&)>;
  const std::vector<std::pair<std::string, Mutate>> cases = {
      {"identity", [](auto& r) { r.clear_identity(); }},
      {"identity.site_id", [](auto& r) { r.mutable_identity()->set_site_id("clinic-2"); }},
      {"identity.site_id", [](auto& r) { r.mutable_identity()->clear_site_id(); }},
      {"identity.appliance_id", [](auto& r) { r.mutable_identity()->clear_appliance_id(); }},
      {"identity.appliance_id", [](auto& r) { r.mutable_identity()->set_appliance_id("app 1"); }},
      {"identity.uptime_seconds", [](auto& r) { r.mutable_identity()->set_uptime_seconds(~0ULL); }},
      {"active_tier", [](auto& r) { r.set_active_tier(cc::TIER_UNSPECIFIED); }},
      {"active_tier", [](auto& r) { r.set_active_tier(static_cast<cc::Tier>(7)); }},
      {"mode", [](auto& r) { r.set_mode(cc::MODE_UNSPECIFIED); }},
      {"mode", [](auto& r) { r.set_mode(static_cast<cc::Mode>(9)); }},
      {"bundle_version", [](auto& r) { r.set_bundle_version(~0ULL); }},
      {"evidence_head", [](auto& r) { r.clear_evidence_head(); }},
      {"evidence_head.hash", [](auto& r) { r.mutable_evidence_head()->set_hash(std::string(31, 'x')); }},
      {"evidence_head.hash", [](auto& r) { r.mutable_evidence_head()->clear_hash(); }},
      {"evidence_head.hash", [](auto& r) { r.mutable_evidence_head()->set_seq(0); }},
      {"evidence_head.seq", [](auto& r) { r.mutable_evidence_head()->set_seq(~0ULL); }},
      {"evidence_public_key", [](auto& r) { r.set_evidence_public_key(std::string(33, 'k')); }},
      {"evidence_public_key", [](auto& r) { r.clear_evidence_public_key(); }},
      {"health[1].code", [](auto& r) { r.add_health()->set_code("ok"); r.add_health(); }},
      {"last_cycle.evidence_seq", [](auto& r) { r.mutable_last_cycle()->set_evidence_seq(~0ULL); }},
  };
  for (const auto& [field, mutate] : cases) {
    auto req = goodRequest();
    mutate(req);
    INFO("expected refusal of " << field);
    CHECK(refusedField(req) == field);
  }
}

TEST_CASE("limits: kMaxIdLength, kMaxTextLength, kMaxHealthFlags and kMaxOutcomeKinds hold at their value") {
  auto req = goodRequest();
  req.mutable_identity()->set_appliance_id(std::string(central::kMaxIdLength, 'a'));
  CHECK(refusedField(req) == "(accepted)");
  req.mutable_identity()->set_appliance_id(std::string(central::kMaxIdLength + 1, 'a'));
  CHECK(refusedField(req) == "identity.appliance_id");

  req = goodRequest();
  req.mutable_identity()->set_hostname(std::string(central::kMaxTextLength, 'h'));
  CHECK(refusedField(req) == "(accepted)");
  req.mutable_identity()->set_hostname(std::string(central::kMaxTextLength + 1, 'h'));
  CHECK(refusedField(req) == "identity.hostname");

  req = goodRequest();
  for (std::size_t i = 0; i < central::kMaxHealthFlags; ++i) req.add_health()->set_code("f" + std::to_string(i));
  CHECK(refusedField(req) == "(accepted)");
  req.add_health()->set_code("one_more");
  CHECK(refusedField(req) == "health");

  req = goodRequest();
  auto& outcomes = *req.mutable_last_cycle()->mutable_outcomes();
  for (std::size_t i = 0; i < central::kMaxOutcomeKinds; ++i) outcomes["o" + std::to_string(i)] = 1;
  CHECK(refusedField(req) == "(accepted)");
  outcomes["one_more"] = 1;
  CHECK(refusedField(req) == "last_cycle.outcomes");
}

TEST_CASE("listen addresses: loopback with a port, or an absolute unix path, nothing else") {
  auto tcp = central::parseListenAddress("127.0.0.1:0");
  REQUIRE(tcp.ok());
  CHECK_FALSE(tcp->unix_socket);
  auto unix_addr = central::parseListenAddress("unix:/tmp/c.sock");
  REQUIRE(unix_addr.ok());
  CHECK(unix_addr->unix_socket);
  CHECK(unix_addr->grpc_uri == "unix:/tmp/c.sock");
  CHECK(central::parseListenAddress("127.0.0.1:65535").ok());
  for (const char* bad : {"0.0.0.0:50051", "localhost:1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:1x",
                          "unix:relative.sock", "unix:", "[::1]:1", ""}) {
    INFO(bad);
    CHECK_FALSE(central::parseListenAddress(bad).ok());
  }
  CHECK_FALSE(central::parseListenAddress("unix:/" + std::string(107, 'p')).ok());
}
