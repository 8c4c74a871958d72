#pragma once
// The dev server's state: one SQLite database, data_dir/central.db, shared by the running server
// and the CLI (separate processes): WAL, so readers never wait for the writer; busy_timeout, so
// a writer waits for another's short transaction instead of failing; synchronous=NORMAL (a
// commit survives a crash of the process; a power cut may lose the last commits, never corrupt).
//
// One Store is one connection with its statements prepared once; it is used by one thread at a
// time (StorePool hands them out to the server's threads), so no lock of ours is ever held
// across SQL. The schema and its migrations are in store.cpp (central/README.md describes it).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "model.h"

namespace central {

enum class StoreErrc {
  NotFound,  // no such site
  Exists,    // the site (or, from site add's key file writer, the file) is already there
  Busy,      // the database stayed locked past the busy timeout: retry later
  Io,        // the data directory or the database failed (message says how)
};
using StoreError = core::Error<StoreErrc>;
template <class T>
using StoreResult = core::Result<T, StoreError>;
using StoreStatus = core::Status<StoreError>;

inline constexpr const char* kDatabaseFile = "central.db";
/// How long a statement waits for another connection's write lock before failing Busy.
inline constexpr int kBusyTimeoutMs = 5000;
/// The schema version this build writes (PRAGMA user_version); a newer database is refused.
inline constexpr int kSchemaVersion = 1;

/// Makes `data_dir` (0700) when it is missing; refuses one that is not a directory owned by this
/// user or that group or others can enter (it holds the signing keys). Fails Io with the fix.
StoreStatus prepareDataDir(const std::string& data_dir);

class Store {
 public:
  /// Opens data_dir/central.db (data_dir must pass prepareDataDir), creating or migrating the
  /// schema. Fails Io (unreadable, or a schema newer than this build) or Busy.
  static StoreResult<std::unique_ptr<Store>> open(const std::string& data_dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Adds a site. `before_commit` runs inside the transaction, after the row is in: the CLI
  /// writes the API key file there, so either both the site and its key file exist or neither
  /// does. Fails Exists (the site), or with before_commit's error.
  StoreStatus addSite(const std::string& site_id, const std::string& tier, const std::string& api_key_sha256,
                      std::int64_t now_ms, const std::function<StoreStatus()>& before_commit);
  /// Sets a site's tier; a running server answers with it from its next check-in. Fails NotFound.
  StoreStatus setTier(const std::string& site_id, const std::string& tier);
  /// Replaces a site's settings. Fails NotFound.
  StoreStatus setSettings(const std::string& site_id, const SiteSettings& settings);

  /// The site, or nullopt when there is none.
  StoreResult<std::optional<Site>> site(const std::string& site_id);
  StoreResult<std::vector<Site>> sites();
  /// Every appliance, or those of one site (`site_id` non-empty), by id.
  StoreResult<std::vector<Appliance>> appliances(const std::string& site_id = "");

  /// Stores one authenticated, validated check-in in one transaction: registers the appliance at
  /// its first check-in (its evidence key becomes the trusted one), refuses one registered with
  /// another key or to another site (the refusal is stored too), and otherwise records it.
  StoreResult<CheckInVerdict> recordCheckIn(const CheckInRecord& r, std::int64_t now_ms);

  /// The highest bundle version published for the site (or for every site) and tier; 0 when
  /// none (until `publish` exists, always).
  StoreResult<std::uint64_t> latestBundleVersion(const std::string& site_id, const std::string& tier);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace central
