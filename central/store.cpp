#include "store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "sqlite.h"

namespace central {
namespace {

using sqlite::SqlErrc;
using sqlite::SqlError;

// Version 1. Later milestones add theirs as further entries of kMigrations (never by editing
// this one: a database made by an older build must migrate to the same schema as a new one).
// Conventions: STRICT tables (a wrong type is an error, not a silent conversion); times are
// *_ms (Unix milliseconds, server wall clock unless named sent_*); hashes and keys are raw BLOBs
// with their length checked; 64-bit counters the proto sends as uint64 are validated to fit an
// INTEGER (int64) before they get here.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE sites (
  site_id              TEXT PRIMARY KEY NOT NULL,
  tier                 TEXT NOT NULL CHECK (tier IN ('standard', 'full_coverage')),
  api_key_sha256       BLOB NOT NULL CHECK (length(api_key_sha256) = 32),
  created_at_ms        INTEGER NOT NULL,
  checkin_interval_ms  INTEGER NOT NULL DEFAULT 0 CHECK (checkin_interval_ms >= 0),
  checks_interval_ms   INTEGER NOT NULL DEFAULT 0 CHECK (checks_interval_ms >= 0),
  window_start_minute  INTEGER NOT NULL DEFAULT 0 CHECK (window_start_minute BETWEEN 0 AND 1439),
  window_end_minute    INTEGER NOT NULL DEFAULT 0 CHECK (window_end_minute BETWEEN 0 AND 1439)
) STRICT;

CREATE TABLE site_disabled_checks (
  site_id   TEXT NOT NULL REFERENCES sites (site_id) ON DELETE CASCADE,
  check_id  TEXT NOT NULL,
  PRIMARY KEY (site_id, check_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE appliances (
  appliance_id         TEXT PRIMARY KEY NOT NULL,
  site_id              TEXT NOT NULL REFERENCES sites (site_id),
  evidence_public_key  BLOB NOT NULL CHECK (length(evidence_public_key) = 32),
  first_seen_ms        INTEGER NOT NULL,
  last_seen_ms         INTEGER NOT NULL,
  hostname             TEXT NOT NULL,
  agent_version        TEXT NOT NULL,
  nixos_version        TEXT NOT NULL,
  checkins             INTEGER NOT NULL DEFAULT 0,
  refused_checkins     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX appliances_by_site ON appliances (site_id);

CREATE TABLE checkins (
  id                   INTEGER PRIMARY KEY,
  appliance_id         TEXT NOT NULL REFERENCES appliances (appliance_id),
  site_id              TEXT NOT NULL REFERENCES sites (site_id),
  received_at_ms       INTEGER NOT NULL,
  sent_at_ms           INTEGER NOT NULL,
  hostname             TEXT NOT NULL,
  agent_version        TEXT NOT NULL,
  nixos_version        TEXT NOT NULL,
  uptime_seconds       INTEGER NOT NULL,
  reported_tier        TEXT NOT NULL,
  mode                 TEXT NOT NULL,
  bundle_version       INTEGER NOT NULL,
  evidence_seq         INTEGER NOT NULL,
  evidence_hash        BLOB NOT NULL,
  evidence_public_key  BLOB NOT NULL,
  last_cycle           TEXT,
  health               TEXT NOT NULL,
  refusal              TEXT CHECK (refusal IS NULL OR refusal IN ('key_mismatch', 'other_site'))
) STRICT;
CREATE INDEX checkins_by_appliance ON checkins (appliance_id, id);

CREATE TABLE bundles (
  site_id         TEXT NOT NULL,
  tier            TEXT NOT NULL CHECK (tier IN ('standard', 'full_coverage')),
  version         INTEGER NOT NULL CHECK (version > 0),
  content_sha256  BLOB NOT NULL CHECK (length(content_sha256) = 32),
  created_at_ms   INTEGER NOT NULL,
  expires_at_ms   INTEGER NOT NULL,
  bundle          BLOB NOT NULL,
  PRIMARY KEY (site_id, tier, version)
) STRICT;
)sql";

constexpr const char* kMigrations[] = {kSchemaV1};
static_assert(sizeof kMigrations / sizeof kMigrations[0] == kSchemaVersion);

StoreError fromSql(SqlError e) {
  return {e.code == SqlErrc::Busy ? StoreErrc::Busy : StoreErrc::Io, std::move(e.message)};
}

template <class T>
StoreResult<T> lift(sqlite::SqlResult<T> r) {
  if (!r.ok()) return core::fail(fromSql(std::move(r.error())));
  return std::move(r).value();
}

StoreStatus lift(sqlite::SqlStatus s) {
  if (!s.ok()) return core::fail(fromSql(std::move(s.error())));
  return core::Ok{};
}

// Early return of a failed Result/Status, converted to the store's error. (A macro: there is no
// other way to return from the caller, and Result has no monadic helpers.)
#define CENTRAL_TRY(var, expr)                                         \
  auto var = (expr);                                                   \
  if (!var.ok()) return core::fail(fromSql(std::move(var.error())))

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

sqlite::SqlResult<std::int64_t> userVersion(sqlite::Db& db) {
  auto st = db.prepare("PRAGMA user_version");
  if (!st.ok()) return core::fail(std::move(st.error()));
  auto row = st->step();
  if (!row.ok()) return core::fail(std::move(row.error()));
  return st->int64(0);
}

StoreStatus migrate(sqlite::Db& db, const std::string& path) {
  // The common case, a current schema, without the write lock: the server opens a connection per
  // thread on demand, under load, beside the writers.
  CENTRAL_TRY(current, userVersion(db));
  if (*current == kSchemaVersion) return core::Ok{};
  CENTRAL_TRY(tx, sqlite::Transaction::beginImmediate(db));
  // Read inside the write lock: the server and a CLI command started together must not both
  // apply the same migration.
  CENTRAL_TRY(version, userVersion(db));
  if (*version > kSchemaVersion) {
    return core::fail(StoreError{StoreErrc::Io, path + ": schema version " + std::to_string(*version) +
                                                    " is newer than this build's (" +
                                                    std::to_string(kSchemaVersion) + ")"});
  }
  for (auto v = *version; v < kSchemaVersion; ++v) {
    CENTRAL_TRY(applied, db.exec(kMigrations[v]));
    CENTRAL_TRY(bumped, db.exec("PRAGMA user_version = " + std::to_string(v + 1)));
  }
  return lift(tx->commit());
}

}  // namespace

StoreStatus prepareDataDir(const std::string& data_dir) {
  if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return core::fail(StoreError{StoreErrc::Io, "cannot create " + data_dir + ": " + std::strerror(errno)});
  }
  struct stat st{};
  if (::lstat(data_dir.c_str(), &st) != 0) {
    return core::fail(StoreError{StoreErrc::Io, "cannot stat " + data_dir + ": " + std::strerror(errno)});
  }
  if (!S_ISDIR(st.st_mode)) {
    return core::fail(StoreError{StoreErrc::Io, data_dir + ": not a directory (a symbolic link is not followed)"});
  }
  if (st.st_uid != ::geteuid()) {
    return core::fail(StoreError{StoreErrc::Io, data_dir + ": owned by uid " + std::to_string(st.st_uid) +
                                                    ", not by this user (" + std::to_string(::geteuid()) + ")"});
  }
  if ((st.st_mode & 077) != 0) {
    return core::fail(StoreError{StoreErrc::Io, data_dir + ": mode " + octal(st.st_mode) +
                                                    " lets group or others in (it holds the signing keys); "
                                                    "fix with `chmod 700 " + data_dir + "`"});
  }
  return core::Ok{};
}

struct Store::Impl {
  sqlite::Db db;
  // The check-in path's statements, prepared once per connection.
  sqlite::Stmt site_by_id;
  sqlite::Stmt disabled_checks;
  sqlite::Stmt appliance_key;
  sqlite::Stmt insert_appliance;
  sqlite::Stmt insert_checkin;
  sqlite::Stmt appliance_accepted;
  sqlite::Stmt appliance_refused;
  sqlite::Stmt latest_bundle;
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

StoreResult<std::unique_ptr<Store>> Store::open(const std::string& data_dir) {
  const std::string path = data_dir + "/" + kDatabaseFile;
  CENTRAL_TRY(db, sqlite::Db::open(path, kBusyTimeoutMs));
  // Made 0600 whatever the umask: it holds the API keys' hashes and every appliance's key.
  ::chmod(path.c_str(), 0600);
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db).value();
  auto& d = impl->db;
  // journal_mode is persistent (the file says WAL from then on); the others are per connection.
  CENTRAL_TRY(wal, d.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON"));
  if (auto m = migrate(d, path); !m.ok()) return core::fail(std::move(m.error()));

  struct Prep {
    sqlite::Stmt* into;
    const char* sql;
  };
  const Prep preps[] = {
      {&impl->site_by_id,
       "SELECT site_id, tier, api_key_sha256, created_at_ms, checkin_interval_ms, checks_interval_ms, "
       "window_start_minute, window_end_minute FROM sites WHERE site_id = ?1"},
      {&impl->disabled_checks, "SELECT check_id FROM site_disabled_checks WHERE site_id = ?1 ORDER BY check_id"},
      {&impl->appliance_key, "SELECT site_id, evidence_public_key FROM appliances WHERE appliance_id = ?1"},
      {&impl->insert_appliance,
       "INSERT INTO appliances (appliance_id, site_id, evidence_public_key, first_seen_ms, last_seen_ms, hostname, "
       "agent_version, nixos_version) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)"},
      {&impl->insert_checkin,
       "INSERT INTO checkins (appliance_id, site_id, received_at_ms, sent_at_ms, hostname, agent_version, "
       "nixos_version, uptime_seconds, reported_tier, mode, bundle_version, evidence_seq, evidence_hash, "
       "evidence_public_key, last_cycle, health, refusal) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"},
      {&impl->appliance_accepted,
       "UPDATE appliances SET last_seen_ms = ?2, hostname = ?3, agent_version = ?4, nixos_version = ?5, "
       "checkins = checkins + 1 WHERE appliance_id = ?1"},
      {&impl->appliance_refused, "UPDATE appliances SET refused_checkins = refused_checkins + 1 WHERE appliance_id = ?1"},
      {&impl->latest_bundle,
       "SELECT coalesce(max(version), 0) FROM bundles WHERE site_id IN (?1, '*') AND tier = ?2"},
  };
  for (const auto& p : preps) {
    CENTRAL_TRY(st, d.prepare(p.sql));
    *p.into = std::move(st).value();
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

StoreStatus Store::addSite(const std::string& site_id, const std::string& tier, const std::string& api_key_sha256,
                           std::int64_t now_ms, const std::function<StoreStatus()>& before_commit) {
  auto& d = impl_->db;
  CENTRAL_TRY(tx, sqlite::Transaction::beginImmediate(d));
  CENTRAL_TRY(st, d.prepare("INSERT INTO sites (site_id, tier, api_key_sha256, created_at_ms) VALUES (?1, ?2, ?3, ?4)"));
  st->bind(1, site_id).bind(2, tier).bindBlob(3, api_key_sha256).bind(4, now_ms);
  if (auto ran = st->run(); !ran.ok()) {
    if (ran.error().code == SqlErrc::Constraint) {
      return core::fail(StoreError{StoreErrc::Exists, "site " + site_id + " already exists"});
    }
    return core::fail(fromSql(std::move(ran.error())));
  }
  if (auto done = before_commit(); !done.ok()) return done;
  return lift(tx->commit());
}

StoreStatus Store::setTier(const std::string& site_id, const std::string& tier) {
  auto& d = impl_->db;
  CENTRAL_TRY(st, d.prepare("UPDATE sites SET tier = ?2 WHERE site_id = ?1"));
  st->bind(1, site_id).bind(2, tier);
  CENTRAL_TRY(ran, st->run());
  if (sqlite3_changes(d.raw()) == 0) return core::fail(StoreError{StoreErrc::NotFound, "no site " + site_id});
  return core::Ok{};
}

StoreStatus Store::setSettings(const std::string& site_id, const SiteSettings& s) {
  auto& d = impl_->db;
  CENTRAL_TRY(tx, sqlite::Transaction::beginImmediate(d));
  CENTRAL_TRY(st, d.prepare("UPDATE sites SET checkin_interval_ms = ?2, checks_interval_ms = ?3, "
                            "window_start_minute = ?4, window_end_minute = ?5 WHERE site_id = ?1"));
  st->bind(1, site_id)
      .bind(2, static_cast<std::int64_t>(s.checkin_interval_ms))
      .bind(3, static_cast<std::int64_t>(s.checks_interval_ms))
      .bind(4, static_cast<std::int64_t>(s.window_start_minute))
      .bind(5, static_cast<std::int64_t>(s.window_end_minute));
  CENTRAL_TRY(ran, st->run());
  if (sqlite3_changes(d.raw()) == 0) return core::fail(StoreError{StoreErrc::NotFound, "no site " + site_id});
  CENTRAL_TRY(clear, d.prepare("DELETE FROM site_disabled_checks WHERE site_id = ?1"));
  clear->bind(1, site_id);
  CENTRAL_TRY(cleared, clear->run());
  CENTRAL_TRY(add, d.prepare("INSERT OR IGNORE INTO site_disabled_checks (site_id, check_id) VALUES (?1, ?2)"));
  for (const auto& check : s.disabled_checks) {
    add->reset();
    add->bind(1, site_id).bind(2, check);
    CENTRAL_TRY(added, add->run());
  }
  return lift(tx->commit());
}

StoreResult<std::optional<Site>> Store::site(const std::string& site_id) {
  auto& q = impl_->site_by_id;
  q.reset();
  q.bind(1, site_id);
  CENTRAL_TRY(row, q.step());
  if (!*row) return std::optional<Site>();
  Site s;
  s.site_id = q.text(0);
  s.tier = q.text(1);
  s.api_key_sha256 = q.blob(2);
  s.created_at_ms = q.int64(3);
  s.settings.checkin_interval_ms = static_cast<std::uint64_t>(q.int64(4));
  s.settings.checks_interval_ms = static_cast<std::uint64_t>(q.int64(5));
  s.settings.window_start_minute = static_cast<std::uint32_t>(q.int64(6));
  s.settings.window_end_minute = static_cast<std::uint32_t>(q.int64(7));
  q.reset();
  auto& c = impl_->disabled_checks;
  c.reset();
  c.bind(1, site_id);
  for (;;) {
    CENTRAL_TRY(more, c.step());
    if (!*more) break;
    s.settings.disabled_checks.push_back(c.text(0));
  }
  c.reset();
  return std::optional<Site>(std::move(s));
}

StoreResult<std::vector<Site>> Store::sites() {
  CENTRAL_TRY(st, impl_->db.prepare("SELECT site_id FROM sites ORDER BY site_id"));
  std::vector<std::string> ids;
  for (;;) {
    CENTRAL_TRY(more, st->step());
    if (!*more) break;
    ids.push_back(st->text(0));
  }
  std::vector<Site> out;
  for (const auto& id : ids) {
    auto s = site(id);
    if (!s.ok()) return core::fail(std::move(s.error()));
    if (*s) out.push_back(std::move(**s));
  }
  return out;
}

StoreResult<std::vector<Appliance>> Store::appliances(const std::string& site_id) {
  // The latest accepted check-in's reported state beside the registration: what `appliances`
  // shows and the tests read.
  CENTRAL_TRY(st, impl_->db.prepare(
                      "SELECT a.appliance_id, a.site_id, a.evidence_public_key, a.first_seen_ms, a.last_seen_ms, "
                      "a.hostname, a.agent_version, a.nixos_version, a.checkins, a.refused_checkins, "
                      "c.reported_tier, c.mode, c.bundle_version, c.evidence_seq FROM appliances a "
                      "LEFT JOIN checkins c ON c.id = (SELECT max(id) FROM checkins "
                      "  WHERE appliance_id = a.appliance_id AND refusal IS NULL) "
                      "WHERE ?1 = '' OR a.site_id = ?1 ORDER BY a.appliance_id"));
  st->bind(1, site_id);
  std::vector<Appliance> out;
  for (;;) {
    CENTRAL_TRY(more, st->step());
    if (!*more) break;
    Appliance a;
    a.appliance_id = st->text(0);
    a.site_id = st->text(1);
    a.evidence_public_key = st->blob(2);
    a.first_seen_ms = st->int64(3);
    a.last_seen_ms = st->int64(4);
    a.hostname = st->text(5);
    a.agent_version = st->text(6);
    a.nixos_version = st->text(7);
    a.checkins = st->int64(8);
    a.refused_checkins = st->int64(9);
    a.reported_tier = st->text(10);
    a.mode = st->text(11);
    a.bundle_version = static_cast<std::uint64_t>(st->int64(12));
    a.evidence_seq = static_cast<std::uint64_t>(st->int64(13));
    out.push_back(std::move(a));
  }
  return out;
}

StoreResult<CheckInVerdict> Store::recordCheckIn(const CheckInRecord& r, std::int64_t now_ms) {
  auto& m = *impl_;
  // One write transaction, the lock taken up front: two first check-ins of one appliance (with
  // different keys) cannot both register.
  CENTRAL_TRY(tx, sqlite::Transaction::beginImmediate(m.db));
  auto& k = m.appliance_key;
  k.reset();
  k.bind(1, r.appliance_id);
  CENTRAL_TRY(known, k.step());
  CheckInVerdict verdict = CheckInVerdict::Registered;
  if (*known) {
    verdict = k.text(0) != r.site_id                    ? CheckInVerdict::OtherSite
              : k.blob(1) != r.evidence_public_key     ? CheckInVerdict::KeyMismatch
                                                        : CheckInVerdict::Accepted;
  }
  k.reset();
  if (verdict == CheckInVerdict::Registered) {
    auto& ins = m.insert_appliance;
    ins.reset();
    ins.bind(1, r.appliance_id)
        .bind(2, r.site_id)
        .bindBlob(3, r.evidence_public_key)
        .bind(4, now_ms)
        .bind(5, r.hostname)
        .bind(6, r.agent_version)
        .bind(7, r.nixos_version);
    CENTRAL_TRY(inserted, ins.run());
  }
  const char* refusal = verdict == CheckInVerdict::KeyMismatch ? "key_mismatch"
                        : verdict == CheckInVerdict::OtherSite ? "other_site"
                                                               : nullptr;
  auto& c = m.insert_checkin;
  c.reset();
  c.bind(1, r.appliance_id)
      .bind(2, r.site_id)
      .bind(3, now_ms)
      .bind(4, r.sent_at_ms)
      .bind(5, r.hostname)
      .bind(6, r.agent_version)
      .bind(7, r.nixos_version)
      .bind(8, static_cast<std::int64_t>(r.uptime_seconds))
      .bind(9, r.reported_tier)
      .bind(10, r.mode)
      .bind(11, static_cast<std::int64_t>(r.bundle_version))
      .bind(12, static_cast<std::int64_t>(r.evidence_seq))
      .bindBlob(13, r.evidence_hash)
      .bindBlob(14, r.evidence_public_key);
  if (r.last_cycle_json.empty()) {
    c.bindNull(15);
  } else {
    c.bind(15, r.last_cycle_json);
  }
  c.bind(16, r.health_json);
  if (refusal) {
    c.bind(17, std::string_view(refusal));
  } else {
    c.bindNull(17);
  }
  CENTRAL_TRY(stored, c.run());
  auto& u = refusal ? m.appliance_refused : m.appliance_accepted;
  u.reset();
  u.bind(1, r.appliance_id);
  if (!refusal) u.bind(2, now_ms).bind(3, r.hostname).bind(4, r.agent_version).bind(5, r.nixos_version);
  CENTRAL_TRY(updated, u.run());
  if (auto done = tx->commit(); !done.ok()) return core::fail(fromSql(std::move(done.error())));
  return verdict;
}

StoreResult<std::uint64_t> Store::latestBundleVersion(const std::string& site_id, const std::string& tier) {
  auto& q = impl_->latest_bundle;
  q.reset();
  q.bind(1, site_id).bind(2, tier);
  CENTRAL_TRY(row, q.step());
  const auto v = *row ? static_cast<std::uint64_t>(q.int64(0)) : 0;
  q.reset();
  return v;
}

}  // namespace central
