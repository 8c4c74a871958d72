// central::Store on a real SQLite file in a temporary data directory: the schema made at first
// open, sites and tiers, check-ins and the registration rules, two connections (the server and a
// CLI command) on one database, and what survives reopening.
#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <thread>

#include "store.h"
#include "support/temp_dir.h"

namespace {

using central::CheckInVerdict;
using central::StoreErrc;

const std::string kKeyHash(32, '\x11');
const std::string kApplianceKey(32, '\x21');

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

central::StoreStatus nothing() { return core::Ok{}; }

struct DataDir {
  testsupport::TempDir tmp{"ca-central-store"};
  std::string path = (tmp.path() / "data").string();
  DataDir() { REQUIRE(central::prepareDataDir(path).ok()); }

  std::unique_ptr<central::Store> open() const {
    auto store = central::Store::open(path);
    REQUIRE(store.ok());
    return std::move(store).value();
  }
  // Runs SQL on the database behind the store's back.
  void sql(const std::string& text) const {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((path + "/central.db").c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }
};

central::CheckInRecord record(const std::string& site, const std::string& appliance, const std::string& key) {
  central::CheckInRecord r;
  r.site_id = site;
  r.appliance_id = appliance;
  r.hostname = "host-" + appliance;
  r.agent_version = "0.1.0";
  r.nixos_version = "24.05";
  r.reported_tier = "standard";
  r.mode = "dry_run";
  r.bundle_version = 3;
  r.evidence_seq = 17;
  r.evidence_hash = std::string(32, '\x31');
  r.evidence_public_key = key;
  r.health_json = "[]";
  return r;
}

}  // namespace

TEST_CASE("prepareDataDir makes the directory 0700 and refuses one others can enter") {
  testsupport::TempDir tmp{"ca-central-dir"};
  const std::string dir = (tmp.path() / "d").string();
  REQUIRE(central::prepareDataDir(dir).ok());
  struct stat st{};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  REQUIRE(::chmod(dir.c_str(), 0750) == 0);
  auto open_dir = central::prepareDataDir(dir);
  REQUIRE_FALSE(open_dir.ok());
  CHECK(open_dir.error().message.find("chmod 700") != std::string::npos);

  const auto file = tmp.write("plain", "x");
  CHECK_FALSE(central::prepareDataDir(file.string()).ok());
}

TEST_CASE("a site added is read back with its tier, key hash and default settings") {
  DataDir d;
  auto store = d.open();
  REQUIRE(store->addSite("clinic-1", "full_coverage", kKeyHash, 1234, nothing).ok());
  auto site = store->site("clinic-1");
  REQUIRE(site.ok());
  REQUIRE(site->has_value());
  CHECK((*site)->tier == "full_coverage");
  CHECK((*site)->api_key_sha256 == kKeyHash);
  CHECK((*site)->created_at_ms == 1234);
  CHECK((*site)->settings.checkin_interval_ms == 0);
  CHECK((*site)->settings.disabled_checks.empty());

  auto missing = store->site("clinic-2");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  auto again = store->addSite("clinic-1", "standard", kKeyHash, 1, nothing);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == StoreErrc::Exists);
}

TEST_CASE("addSite rolls back when the key file cannot be written: no site without its key") {
  DataDir d;
  auto store = d.open();
  auto added = store->addSite("clinic-1", "standard", kKeyHash, 1,
                              [] { return central::StoreStatus(core::fail(central::StoreError{StoreErrc::Io, "disk full"})); });
  REQUIRE_FALSE(added.ok());
  CHECK(added.error().message == "disk full");
  auto sites = store->sites();
  REQUIRE(sites.ok());
  CHECK(sites->empty());
}

TEST_CASE("the schema refuses a site with a key hash of the wrong length or an unknown tier") {
  DataDir d;
  auto store = d.open();
  CHECK_FALSE(store->addSite("a", "standard", std::string(31, 'x'), 1, nothing).ok());
  CHECK_FALSE(store->addSite("b", "gold", kKeyHash, 1, nothing).ok());
}

TEST_CASE("a tier set through one connection is what another connection reads next") {
  DataDir d;
  auto server = d.open();
  auto cli = d.open();
  REQUIRE(server->addSite("clinic-1", "standard", kKeyHash, 1, nothing).ok());
  REQUIRE((*server->site("clinic-1"))->tier == "standard");
  REQUIRE(cli->setTier("clinic-1", "full_coverage").ok());
  CHECK((*server->site("clinic-1"))->tier == "full_coverage");

  auto unknown = cli->setTier("clinic-9", "standard");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == StoreErrc::NotFound);
}

TEST_CASE("settings are replaced whole and read back sorted") {
  DataDir d;
  auto store = d.open();
  REQUIRE(store->addSite("clinic-1", "standard", kKeyHash, 1, nothing).ok());
  central::SiteSettings s;
  s.checkin_interval_ms = 60000;
  s.checks_interval_ms = 900000;
  s.window_start_minute = 120;
  s.window_end_minute = 240;
  s.disabled_checks = {"LIN-B", "LIN-A"};
  REQUIRE(store->setSettings("clinic-1", s).ok());
  auto got = (*store->site("clinic-1"))->settings;
  CHECK(got.checkin_interval_ms == 60000);
  CHECK(got.checks_interval_ms == 900000);
  CHECK(got.window_start_minute == 120);
  CHECK(got.window_end_minute == 240);
  CHECK(got.disabled_checks == std::vector<std::string>{"LIN-A", "LIN-B"});

  s.disabled_checks = {"LIN-C"};
  REQUIRE(store->setSettings("clinic-1", s).ok());
  CHECK((*store->site("clinic-1"))->settings.disabled_checks == std::vector<std::string>{"LIN-C"});
  CHECK(store->setSettings("clinic-9", s).error().code == StoreErrc::NotFound);
}

TEST_CASE("check-ins: registered first, accepted with the same key, refused with another key or site") {
  DataDir d;
  auto store = d.open();
  REQUIRE(store->addSite("clinic-1", "standard", kKeyHash, 1, nothing).ok());
  REQUIRE(store->addSite("clinic-2", "standard", std::string(32, '\x12'), 1, nothing).ok());

  auto first = store->recordCheckIn(record("clinic-1", "app-1", kApplianceKey), 1000);
  REQUIRE(first.ok());
  CHECK(*first == CheckInVerdict::Registered);
  auto second = store->recordCheckIn(record("clinic-1", "app-1", kApplianceKey), 2000);
  REQUIRE(second.ok());
  CHECK(*second == CheckInVerdict::Accepted);

  auto other_key = store->recordCheckIn(record("clinic-1", "app-1", std::string(32, '\x22')), 3000);
  REQUIRE(other_key.ok());
  CHECK(*other_key == CheckInVerdict::KeyMismatch);
  auto other_site = store->recordCheckIn(record("clinic-2", "app-1", kApplianceKey), 4000);
  REQUIRE(other_site.ok());
  CHECK(*other_site == CheckInVerdict::OtherSite);

  auto list = store->appliances();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  const auto& a = list->front();
  CHECK(a.appliance_id == "app-1");
  CHECK(a.site_id == "clinic-1");
  CHECK(a.evidence_public_key == kApplianceKey);  // the first key stays the trusted one
  CHECK(a.first_seen_ms == 1000);
  CHECK(a.last_seen_ms == 2000);  // refused check-ins do not count as seen
  CHECK(a.checkins == 2);
  CHECK(a.refused_checkins == 2);
  CHECK(a.reported_tier == "standard");
  CHECK(a.mode == "dry_run");
  CHECK(a.bundle_version == 3);
  CHECK(a.evidence_seq == 17);

  auto of_site2 = store->appliances("clinic-2");
  REQUIRE(of_site2.ok());
  CHECK(of_site2->empty());
}

TEST_CASE("every check-in is a row, refused ones with their reason and the key they offered") {
  DataDir d;
  {
    auto store = d.open();
    REQUIRE(store->addSite("clinic-1", "standard", kKeyHash, 1, nothing).ok());
    auto r = record("clinic-1", "app-1", kApplianceKey);
    r.last_cycle_json = R"({"drifted":2})";
    r.health_json = R"([{"code":"rules_stale"}])";
    REQUIRE(store->recordCheckIn(r, 1000).ok());
    REQUIRE(store->recordCheckIn(record("clinic-1", "app-1", std::string(32, '\x22')), 2000).ok());
  }
  // Read back with plain SQL: the columns are the schema README.md documents.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((d.path + "/central.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT received_at_ms, last_cycle, health, coalesce(refusal, ''), "
                             "hex(evidence_public_key), evidence_seq FROM checkins ORDER BY id",
                             -1, &st, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row = std::to_string(sqlite3_column_int64(st, 0));
    for (int c = 1; c <= 4; ++c) {
      const auto* t = sqlite3_column_text(st, c);
      row += "|" + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
    row += "|" + std::to_string(sqlite3_column_int64(st, 5));
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == "1000|{\"drifted\":2}|[{\"code\":\"rules_stale\"}]||" + repeat("21", 32) + "|17");
  CHECK(rows[1] == "2000|NULL|[]|key_mismatch|" + repeat("22", 32) + "|17");
}

TEST_CASE("the state survives reopening: sites, tiers and the trusted appliance key") {
  DataDir d;
  {
    auto store = d.open();
    REQUIRE(store->addSite("clinic-1", "standard", kKeyHash, 1, nothing).ok());
    REQUIRE(store->setTier("clinic-1", "full_coverage").ok());
    REQUIRE(*store->recordCheckIn(record("clinic-1", "app-1", kApplianceKey), 1000) == CheckInVerdict::Registered);
  }
  auto store = d.open();
  CHECK((*store->site("clinic-1"))->tier == "full_coverage");
  CHECK(*store->recordCheckIn(record("clinic-1", "app-1", kApplianceKey), 2000) == CheckInVerdict::Accepted);
  CHECK(*store->recordCheckIn(record("clinic-1", "app-1", std::string(32, '\x22')), 3000) ==
        CheckInVerdict::KeyMismatch);
  struct stat st{};
  REQUIRE(::stat((d.path + "/central.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("latestBundleVersion: 0 without bundles, else the highest for the site or every site, per tier") {
  DataDir d;
  auto store = d.open();
  REQUIRE(store->addSite("clinic-1", "standard", kKeyHash, 1, nothing).ok());
  CHECK(*store->latestBundleVersion("clinic-1", "standard") == 0);
  // No command publishes yet (C3): rows planted as `publish` will write them.
  d.sql("INSERT INTO bundles VALUES ('*', 'standard', 4, zeroblob(32), 1, 2, x'00');"
        "INSERT INTO bundles VALUES ('clinic-1', 'standard', 6, zeroblob(32), 1, 2, x'00');"
        "INSERT INTO bundles VALUES ('clinic-2', 'standard', 9, zeroblob(32), 1, 2, x'00');"
        "INSERT INTO bundles VALUES ('*', 'full_coverage', 5, zeroblob(32), 1, 2, x'00');");
  CHECK(*store->latestBundleVersion("clinic-1", "standard") == 6);
  CHECK(*store->latestBundleVersion("clinic-3", "standard") == 4);
  CHECK(*store->latestBundleVersion("clinic-1", "full_coverage") == 5);
}

TEST_CASE("a database with a newer schema than this build is refused, not migrated down") {
  DataDir d;
  { d.open(); }
  d.sql("PRAGMA user_version = 99");
  auto store = central::Store::open(d.path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().message.find("schema version 99") != std::string::npos);
}

TEST_CASE("the database is in WAL mode, so the CLI never waits for the server's readers") {
  DataDir d;
  { d.open(); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((d.path + "/central.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_CASE("two first check-ins of one appliance with different keys at once: exactly one registers") {
  DataDir d;
  { REQUIRE(d.open()->addSite("clinic-1", "standard", kKeyHash, 1, nothing).ok()); }
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const std::string appliance = "app-" + std::to_string(round);
    auto a = d.open();
    auto b = d.open();
    core::Result<CheckInVerdict, central::StoreError> ra = CheckInVerdict::Accepted, rb = CheckInVerdict::Accepted;
    std::thread ta([&] { ra = a->recordCheckIn(record("clinic-1", appliance, std::string(32, '\x41')), 1); });
    std::thread tb([&] { rb = b->recordCheckIn(record("clinic-1", appliance, std::string(32, '\x42')), 1); });
    ta.join();
    tb.join();
    REQUIRE(ra.ok());
    REQUIRE(rb.ok());
    const int registered = (*ra == CheckInVerdict::Registered) + (*rb == CheckInVerdict::Registered);
    const int refused = (*ra == CheckInVerdict::KeyMismatch) + (*rb == CheckInVerdict::KeyMismatch);
    CHECK(registered == 1);
    CHECK(refused == 1);
  }
  auto list = d.open()->appliances();
  REQUIRE(list.ok());
  CHECK(list->size() == kRounds);
}
