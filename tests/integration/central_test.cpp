// compliance-central-dev end to end: the real binary serving on a unix socket in a temporary
// directory, its CLI run beside it on the same data directory, and check-ins through the
// generated C++ stub (the one agent/checkin uses). Every call has a deadline; the server is
// stopped with SIGTERM (and killed if it does not stop), so nothing outlives a test.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "central.grpc.pb.h"
#include "central_process.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace {

using testsupport::Central;
using testsupport::slurp;
using testsupport::trimmed;
namespace cc = compliance::central::v1;
namespace fs = std::filesystem;

const std::string kKeyA(32, '\xa1');
const std::string kKeyB(32, '\xb2');

std::string hexOf(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

cc::CheckInRequest request(const std::string& site, const std::string& appliance, const std::string& key,
                           cc::Tier tier = cc::TIER_STANDARD) {
  cc::CheckInRequest req;
  auto* id = req.mutable_identity();
  id->set_site_id(site);
  id->set_appliance_id(appliance);
  id->set_hostname("demo-appliance");
  id->set_agent_version("0.1.0");
  id->set_nixos_version("24.05");
  req.set_active_tier(tier);
  req.set_mode(cc::MODE_DRY_RUN);
  req.mutable_evidence_head()->set_seq(12);
  req.mutable_evidence_head()->set_hash(std::string(32, '\x0c'));
  req.set_evidence_public_key(key);
  req.set_sent_at_unix_ms(1);
  return req;
}

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("the first check-in registers the appliance with its key, and the answer carries the site's state") {
  Central c;
  const auto key = c.addSite("clinic-1");
  c.start();
  CHECK(c.appliances().empty());

  const auto before = nowMs();
  cc::CheckInResponse resp;
  const auto st = c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp);
  INFO(st.error_message());
  REQUIRE(st.ok());
  CHECK(resp.server_time_unix_ms() >= before);
  CHECK(resp.server_time_unix_ms() <= nowMs());
  CHECK(resp.site_tier() == cc::TIER_STANDARD);
  CHECK(resp.latest_bundle_version() == 0);
  CHECK_FALSE(resp.has_tier_statement());  // C3
  CHECK_FALSE(resp.has_intervals());       // defaults: the appliance's own
  CHECK_FALSE(resp.has_maintenance_window());
  CHECK(resp.orders_size() == 0);

  auto list = c.appliances();
  REQUIRE(list.size() == 1);
  CHECK(list[0]["appliance_id"] == "app-1");
  CHECK(list[0]["site_id"] == "clinic-1");
  CHECK(list[0]["evidence_public_key"] == hexOf(kKeyA));
  CHECK(list[0]["checkins"] == 1);
  CHECK(list[0]["hostname"] == "demo-appliance");
  CHECK(list[0]["mode"] == "dry_run");
  CHECK(list[0]["evidence_seq"] == 12);

  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());
  CHECK(c.appliances()[0]["checkins"] == 2);
  CHECK(c.stop() == 0);
}

TEST_CASE("a tier set with the CLI while the server runs is the next check-in's answer") {
  Central c;
  const auto key = c.addSite("clinic-1");
  c.start();
  cc::CheckInResponse resp;
  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());
  REQUIRE(resp.site_tier() == cc::TIER_STANDARD);

  auto set = c.cli({"tier", "clinic-1", "full_coverage"});
  INFO(set.err);
  REQUIRE(set.exit_code == 0);
  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());
  CHECK(resp.site_tier() == cc::TIER_FULL_COVERAGE);

  REQUIRE(c.cli({"tier", "clinic-1", "standard"}).exit_code == 0);
  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA, cc::TIER_FULL_COVERAGE), &resp).ok());
  CHECK(resp.site_tier() == cc::TIER_STANDARD);
  // What the appliance reported is stored as it said it, apart from the site's tier.
  CHECK(c.appliances()[0]["reported_tier"] == "full_coverage");

  const auto sites = nlohmann::json::parse(c.cli({"sites", "--json"}).out);
  REQUIRE(sites.size() == 1);
  CHECK(sites[0]["tier"] == "standard");
  CHECK(c.stop() == 0);
}

TEST_CASE("site settings set while the server runs reach the next answer") {
  Central c;
  const auto key = c.addSite("clinic-1");
  c.start();
  const auto set = c.cli({"site", "set", "clinic-1", "--checkin-interval", "90s", "--checks-interval", "15m",
                          "--maintenance-window", "22:30-04:00", "--disabled-checks", "LIN-B,LIN-A"});
  INFO(set.out << set.err);
  REQUIRE(set.exit_code == 0);
  cc::CheckInResponse resp;
  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());
  CHECK(resp.intervals().checkin_interval_ms() == 90'000);
  CHECK(resp.intervals().checks_interval_ms() == 900'000);
  CHECK(resp.maintenance_window().start_minute() == 22 * 60 + 30);
  CHECK(resp.maintenance_window().end_minute() == 4 * 60);
  CHECK(std::vector<std::string>(resp.disabled_checks().begin(), resp.disabled_checks().end()) ==
        std::vector<std::string>{"LIN-A", "LIN-B"});
  CHECK(c.cli({"site", "set", "clinic-1", "--maintenance-window", "25:00-01:00"}).exit_code == 2);
  CHECK(c.cli({"site", "set", "clinic-1", "--checkin-interval", "soon"}).exit_code == 2);
  CHECK(c.stop() == 0);
}

TEST_CASE("a wrong API key, another site's key, an unknown site and missing metadata are refused") {
  Central c;
  const auto key1 = c.addSite("clinic-1");
  const auto key2 = c.addSite("clinic-2");
  REQUIRE(key1 != key2);
  c.start();
  const auto req = request("clinic-1", "app-1", kKeyA);
  cc::CheckInResponse resp;
  CHECK(c.checkIn("clinic-1", std::string(64, '0'), req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(c.checkIn("clinic-1", key2, req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(c.checkIn("clinic-9", key1, req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(c.checkIn("", key1, req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(c.checkIn("clinic-1", "", req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);

  SECTION("the right key with another site's header: refused, whichever way round") {
    CHECK(c.checkIn("clinic-2", key1, req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);
    // Authenticated as clinic-2, claiming clinic-1 in the message: invalid, named.
    const auto st = c.checkIn("clinic-2", key2, req, &resp);
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(st.error_message().find("identity.site_id") != std::string::npos);
  }
  SECTION("invalid requests are refused naming the field") {
    auto bad = req;
    bad.set_mode(cc::MODE_UNSPECIFIED);
    auto st = c.checkIn("clinic-1", key1, bad, &resp);
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(st.error_message().rfind("mode:", 0) == 0);
    bad = req;
    bad.set_evidence_public_key(std::string(31, 'k'));
    st = c.checkIn("clinic-1", key1, bad, &resp);
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(st.error_message().rfind("evidence_public_key:", 0) == 0);
  }
  // Nothing refused registered anything.
  CHECK(c.appliances().empty());
  REQUIRE(c.checkIn("clinic-1", key1, req, &resp).ok());
  CHECK(c.appliances().size() == 1);
  CHECK(c.stop() == 0);
}

TEST_CASE("a different public key for a registered appliance is refused and recorded, the first stays trusted") {
  Central c;
  const auto key = c.addSite("clinic-1");
  const auto key2 = c.addSite("clinic-2");
  c.start();
  cc::CheckInResponse resp;
  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());

  const auto st = c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyB), &resp);
  CHECK(st.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(st.error_message().find("evidence_public_key differs") != std::string::npos);
  // Another site cannot take the appliance over either, whatever key it shows.
  CHECK(c.checkIn("clinic-2", key2, request("clinic-2", "app-1", kKeyA), &resp).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);

  auto list = c.appliances();
  REQUIRE(list.size() == 1);
  CHECK(list[0]["evidence_public_key"] == hexOf(kKeyA));
  CHECK(list[0]["site_id"] == "clinic-1");
  CHECK(list[0]["checkins"] == 1);
  CHECK(list[0]["refused_checkins"] == 2);
  CHECK(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());
  CHECK(c.stop() == 0);
}

TEST_CASE("the state survives a restart: the appliance still known, the signing keys unchanged") {
  Central c;
  const auto key = c.addSite("clinic-1");
  c.start();
  cc::CheckInResponse resp;
  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());
  REQUIRE(c.cli({"tier", "clinic-1", "full_coverage"}).exit_code == 0);
  REQUIRE(c.stop() == 0);
  const auto first_log = slurp(c.log);
  const auto keys_dir = fs::path(c.data) / "keys";
  const auto online = slurp(keys_dir / "online-ed25519.pub");
  const auto rules = slurp(keys_dir / "rules-ed25519.pub");
  const auto online_secret = slurp(keys_dir / "online-ed25519.key");
  REQUIRE(online.size() == 65);
  // The public halves are printed, as the files hold them.
  CHECK(first_log.find("online key: " + trimmed(online)) != std::string::npos);
  CHECK(first_log.find("rules key: " + trimmed(rules)) != std::string::npos);

  c.start();
  CHECK(slurp(c.log).find("online key: " + trimmed(online)) != std::string::npos);
  CHECK(slurp(keys_dir / "online-ed25519.pub") == online);
  CHECK(slurp(keys_dir / "rules-ed25519.pub") == rules);
  CHECK(slurp(keys_dir / "online-ed25519.key") == online_secret);
  CHECK(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyB), &resp).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());
  CHECK(resp.site_tier() == cc::TIER_FULL_COVERAGE);
  CHECK(c.appliances()[0]["checkins"] == 2);
  CHECK(c.stop() == 0);
}

TEST_CASE("SIGTERM and SIGINT stop the server with exit 0 and remove its socket") {
  Central c;
  c.addSite("clinic-1");
  c.start();
  CHECK(c.stop(SIGTERM) == 0);
  CHECK_FALSE(fs::exists(c.dir.path() / "central.sock"));
  c.start();
  CHECK(c.stop(SIGINT) == 0);
  CHECK(slurp(c.log).find("stopping (signal 2)") != std::string::npos);
}

TEST_CASE("concurrent check-ins of many appliances, with a tier change in between, are all stored") {
  Central c;
  const auto key = c.addSite("clinic-1");
  c.start();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const auto req = request("clinic-1", "app-" + std::to_string(t), std::string(32, static_cast<char>('a' + t)));
      for (int i = 0; i < kPerThread; ++i) {
        cc::CheckInResponse resp;
        if (!c.checkIn("clinic-1", key, req, &resp).ok()) ++failures[t];
      }
    });
  }
  // The CLI writes while the server does: busy_timeout lets both through.
  const auto set = c.cli({"tier", "clinic-1", "full_coverage"});
  for (auto& th : threads) th.join();
  CHECK(set.exit_code == 0);
  CHECK(failures == std::vector<int>(kThreads, 0));
  const auto list = c.appliances();
  REQUIRE(list.size() == kThreads);
  for (const auto& a : list) CHECK(a["checkins"] == kPerThread);
  cc::CheckInResponse resp;
  REQUIRE(c.checkIn("clinic-1", key, request("clinic-1", "app-0", std::string(32, 'a')), &resp).ok());
  CHECK(resp.site_tier() == cc::TIER_FULL_COVERAGE);
  CHECK(c.stop() == 0);
}

TEST_CASE("on 127.0.0.1:0 the server picks a port, prints it and answers there") {
  Central c;
  const auto key = c.addSite("clinic-1");
  c.start("127.0.0.1:0");
  REQUIRE(c.bound.rfind("127.0.0.1:", 0) == 0);
  const auto port = std::stoul(c.bound.substr(10));
  CHECK(port > 0);
  CHECK(port <= 65535);
  CHECK(slurp(c.log).find("listening on " + c.bound + "\n") != std::string::npos);
  cc::CheckInResponse resp;
  CHECK(c.checkIn("clinic-1", key, request("clinic-1", "app-1", kKeyA), &resp).ok());
  CHECK(c.stop() == 0);
}

TEST_CASE("SyncRules says not modified while nothing is published, evidence and order results are not there yet") {
  Central c;
  const auto key = c.addSite("clinic-1");
  c.start();
  cc::SyncRulesRequest sync;
  sync.set_site_id("clinic-1");
  sync.set_appliance_id("app-1");
  sync.set_tier(cc::TIER_STANDARD);
  cc::SyncRulesResponse sync_resp;
  REQUIRE(c.stub().SyncRules(Central::context("clinic-1", key).get(), sync, &sync_resp).ok());
  CHECK(sync_resp.result_case() == cc::SyncRulesResponse::kNotModified);
  CHECK(sync_resp.not_modified().latest_bundle_version() == 0);
  CHECK(c.stub().SyncRules(Central::context("clinic-1", "wrong").get(), sync, &sync_resp).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);

  cc::SubmitEvidenceResponse ev;
  CHECK(c.stub().SubmitEvidence(Central::context("clinic-1", key).get(), cc::SubmitEvidenceRequest{}, &ev)
            .error_code() == grpc::StatusCode::UNIMPLEMENTED);
  cc::ReportOrderResultResponse orr;
  CHECK(c.stub().ReportOrderResult(Central::context("clinic-1", key).get(), cc::ReportOrderResultRequest{}, &orr)
            .error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(c.stop() == 0);
}

TEST_CASE("site add: the key file is 0600 and create-only, the database holds only the key's hash") {
  Central c;
  const auto key_file = c.dir.path() / "k1";
  auto r = c.cli({"site", "add", "clinic-1", "--api-key-out", key_file.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto key = trimmed(slurp(key_file));
  CHECK(key.size() == 64);
  CHECK(r.out.find(key) == std::string::npos);  // never printed
  struct stat st{};
  REQUIRE(::stat(key_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(c.data.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  for (const auto& f : fs::directory_iterator(c.data)) {
    INFO(f.path());
    CHECK(slurp(f.path()).find(key) == std::string::npos);
  }

  // The site exists: refused, and the key file of the attempt is not made.
  const auto key_file2 = c.dir.path() / "k2";
  CHECK(c.cli({"site", "add", "clinic-1", "--api-key-out", key_file2.string()}).exit_code == 1);
  CHECK_FALSE(fs::exists(key_file2));
  // The key file exists: refused, it is left alone, and the site is not added.
  CHECK(c.cli({"site", "add", "clinic-2", "--api-key-out", key_file.string()}).exit_code == 1);
  CHECK(trimmed(slurp(key_file)) == key);
  const auto sites = nlohmann::json::parse(c.cli({"sites", "--json"}).out);
  REQUIRE(sites.size() == 1);
  CHECK(sites[0]["site_id"] == "clinic-1");

  CHECK(c.cli({"site", "add", "bad site", "--api-key-out", (c.dir.path() / "k3").string()}).exit_code == 2);
  CHECK(c.cli({"site", "add", "clinic-3", "--tier", "gold", "--api-key-out", (c.dir.path() / "k4").string()})
            .exit_code == 2);
  CHECK(c.cli({"tier", "clinic-9", "standard"}).exit_code == 1);
  CHECK(c.cli({"serve", "--listen", "0.0.0.0:50051"}).exit_code == 2);
}
