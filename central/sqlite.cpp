#include "sqlite.h"

#include <utility>

namespace central::sqlite {

SqlError errorFrom(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  const SqlErrc code = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? SqlErrc::Busy
                       : primary == SQLITE_CONSTRAINT                     ? SqlErrc::Constraint
                                                                          : SqlErrc::Failed;
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return {code, std::move(message)};
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(s_);
    db_ = o.db_;
    s_ = std::exchange(o.s_, nullptr);
    bind_rc_ = o.bind_rc_;
  }
  return *this;
}

void Stmt::noteBind(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  noteBind(sqlite3_bind_int64(s_, i, v));
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view text) {
  noteBind(sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Stmt& Stmt::bindBlob(int i, std::string_view bytes) {
  // A zero-length blob, not NULL: "" is a value here (a NULL is bound with bindNull).
  noteBind(sqlite3_bind_blob64(s_, i, bytes.empty() ? "" : bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Stmt& Stmt::bindNull(int i) {
  noteBind(sqlite3_bind_null(s_, i));
  return *this;
}

SqlResult<bool> Stmt::step() {
  if (bind_rc_ != SQLITE_OK) return core::fail(errorFrom(db_, bind_rc_, "cannot bind a parameter"));
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return core::fail(errorFrom(db_, rc, sqlite3_sql(s_)));
}

SqlStatus Stmt::run() {
  auto r = step();
  if (!r.ok()) return core::fail(std::move(r.error()));
  return core::Ok{};
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  bind_rc_ = SQLITE_OK;
}

std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}

std::string Stmt::blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
  }
  return *this;
}

SqlResult<Db> Db::open(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (the store's pool hands it out), so
  // SQLite's per-connection mutex would be pure cost.
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
                                     SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  Db db(raw);  // closes even a half-opened handle
  if (rc != SQLITE_OK) return core::fail(errorFrom(raw, rc, "cannot open " + path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return db;
}

SqlStatus Db::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return core::fail(errorFrom(db_, rc, text));
  return core::Ok{};
}

SqlResult<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s,
                                    nullptr);
  if (rc != SQLITE_OK) return core::fail(errorFrom(db_, rc, sql));
  return Stmt(db_, s);
}

SqlResult<Transaction> Transaction::beginImmediate(Db& db) {
  if (auto st = db.exec("BEGIN IMMEDIATE"); !st.ok()) return core::fail(std::move(st.error()));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK");
}

SqlStatus Transaction::commit() {
  auto st = db_->exec("COMMIT");
  if (st.ok()) db_ = nullptr;
  return st;
}

}  // namespace central::sqlite
