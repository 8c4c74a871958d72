#pragma once
// The little of SQLite's C API the dev server needs, with owners that finalize and close: a
// connection (Db) and a prepared statement (Stmt). Prepared once, reset and re-bound per use:
// the check-in path parses no SQL (issue 11's load target).
//
// Errors are core::Error<SqlErrc>; Busy is kept apart because it is the one failure a caller may
// retry (another process held the write lock longer than busy_timeout).
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace central::sqlite {

enum class SqlErrc {
  Busy,  // the database stayed locked for longer than the busy timeout
  Constraint,  // a UNIQUE / CHECK / FOREIGN KEY constraint refused the change
  Failed,  // anything else (I/O, corruption, a bug in the SQL)
};
using SqlError = core::Error<SqlErrc>;
template <class T>
using SqlResult = core::Result<T, SqlError>;
using SqlStatus = core::Status<SqlError>;

/// An error from `rc` with SQLite's message for `db`, prefixed with what was being done.
SqlError errorFrom(sqlite3* db, int rc, std::string_view what);

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  /// Binds by 1-based index; the text and blobs are copied (SQLITE_TRANSIENT), so the caller's
  /// strings need not outlive the statement's step.
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bindBlob(int i, std::string_view bytes);
  Stmt& bindNull(int i);
  Stmt& bind(int i, const std::optional<std::int64_t>& v) { return v ? bind(i, *v) : bindNull(i); }

  /// One step: true while a row is there, false when done. A bind error is reported here, at
  /// the first step, so call sites can chain binds.
  SqlResult<bool> step();
  /// Steps to the end, expecting no row (INSERT, UPDATE, DDL).
  SqlStatus run();
  /// Clears bindings and rewinds, so the statement can be used again.
  void reset();

  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  bool isNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const;
  std::string blob(int col) const;

 private:
  void noteBind(int rc);
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

class Db {
 public:
  /// Opens (creating) the database file at `path`, read-write, without following a symbolic
  /// link for the file itself, with `busy_timeout_ms`.
  static SqlResult<Db> open(const std::string& path, int busy_timeout_ms);
  Db() = default;
  ~Db() { sqlite3_close_v2(db_); }
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  /// Runs one or more statements with no parameters and no rows (pragmas, DDL, BEGIN).
  SqlStatus exec(std::string_view sql);
  SqlResult<Stmt> prepare(std::string_view sql);
  sqlite3* raw() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

/// A transaction that rolls back unless committed: every early return of a failed check-in
/// leaves the database as it was. BEGIN IMMEDIATE takes the write lock at the start, so a
/// transaction that reads and then writes can never fail half-way with SQLITE_BUSY on the lock
/// upgrade (which busy_timeout cannot wait out).
class Transaction {
 public:
  static SqlResult<Transaction> beginImmediate(Db& db);
  ~Transaction();
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  SqlStatus commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace central::sqlite
