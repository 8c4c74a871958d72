#include "service.h"

#include <sodium.h>

#include <chrono>
#include <optional>

#include "core/log.h"
#include "keys.h"
#include "validate.h"

namespace central {
namespace {

namespace cc = compliance::central::v1;

std::shared_ptr<spdlog::logger> centralLog() {
  static const auto logger = core::log::logger("central");
  return logger;
}

std::optional<std::string> metadata(const grpc::ServerContext& ctx, const char* key) {
  const auto& md = ctx.client_metadata();
  const auto it = md.find(key);
  if (it == md.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

grpc::Status storeFailure(const StoreError& e) {
  // Busy is the one a client should retry soon; the rest is the server's fault.
  centralLog()->error("store: {}", e.message);
  return {e.code == StoreErrc::Busy ? grpc::StatusCode::UNAVAILABLE : grpc::StatusCode::INTERNAL,
          e.code == StoreErrc::Busy ? "central command is busy; retry later" : "central command failed to store"};
}

// The site the caller proved it belongs to, or a refusal. The same answer for an unknown site
// and a wrong key, and a comparison of the same length either way, so neither is revealed.
grpc::Status authenticate(const grpc::ServerContext& ctx, Store& store, std::optional<Site>& site) {
  const auto auth = metadata(ctx, "authorization");
  const auto site_id = metadata(ctx, "x-site-id");
  constexpr std::string_view kBearer = "Bearer ";
  if (!auth || !site_id || auth->compare(0, kBearer.size(), kBearer) != 0) {
    return {grpc::StatusCode::UNAUTHENTICATED, "missing `authorization: Bearer <key>` or `x-site-id` metadata"};
  }
  const std::string_view key = std::string_view(*auth).substr(kBearer.size());
  const grpc::Status refused(grpc::StatusCode::UNAUTHENTICATED, "unknown site or wrong API key");
  if (key.empty() || key.size() > kMaxApiKeyLength || !isValidSiteId(*site_id)) return refused;
  auto found = store.site(*site_id);
  if (!found.ok()) return storeFailure(found.error());
  const std::string presented = apiKeyHash(key);
  const std::string expected = *found ? (*found)->api_key_sha256 : std::string(32, '\0');
  const bool match = expected.size() == presented.size() &&
                     sodium_memcmp(expected.data(), presented.data(), presented.size()) == 0;
  if (!*found || !match) {
    centralLog()->warn("check-in refused: unknown site or wrong API key for site {}", *site_id);
    return refused;
  }
  site = std::move(*found);
  return grpc::Status::OK;
}

cc::Tier protoTier(const std::string& tier) {
  return tier == kTierFullCoverage ? cc::TIER_FULL_COVERAGE : cc::TIER_STANDARD;
}

}  // namespace

StorePool::Lease::~Lease() {
  if (!store_) return;
  std::lock_guard lock(pool_->mu_);
  pool_->idle_.push_back(std::move(store_));
}

StoreResult<StorePool::Lease> StorePool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(store));
    }
  }
  // Opened outside the lock: opening prepares statements and may wait on the database.
  auto store = Store::open(data_dir_);
  if (!store.ok()) return core::fail(std::move(store.error()));
  return Lease(this, std::move(store).value());
}

std::string apiKeyHash(std::string_view api_key) {
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(api_key.data()), api_key.size());
  return digest;
}

core::Result<CentralService::Call, grpc::Status> CentralService::begin(const grpc::ServerContext& ctx) {
  auto store = pool_.acquire();
  if (!store.ok()) return core::fail(storeFailure(store.error()));
  std::optional<Site> site;
  if (auto auth = authenticate(ctx, **store, site); !auth.ok()) return core::fail(std::move(auth));
  return Call{std::move(store).value(), std::move(*site)};
}

grpc::Status CentralService::CheckIn(grpc::ServerContext* ctx, const cc::CheckInRequest* req,
                                     cc::CheckInResponse* resp) {
  auto call = begin(*ctx);
  if (!call.ok()) return call.error();
  auto& store = call->store;
  const Site* site = &call->site;

  auto record = validateCheckIn(*req, site->site_id);
  if (!record.ok()) return {grpc::StatusCode::INVALID_ARGUMENT, record.error().message};

  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          clock_.wallNow().time_since_epoch()).count();
  auto verdict = store->recordCheckIn(*record, now_ms);
  if (!verdict.ok()) return storeFailure(verdict.error());
  switch (*verdict) {
    case CheckInVerdict::KeyMismatch:
      centralLog()->warn("check-in refused: appliance {} of site {} presented another evidence key than at its first "
                  "check-in", record->appliance_id, site->site_id);
      return {grpc::StatusCode::PERMISSION_DENIED,
              "evidence_public_key differs from the key appliance " + record->appliance_id +
                  " registered at its first check-in; central command keeps trusting that one (re-enrol the "
                  "appliance if its key was replaced on purpose)"};
    case CheckInVerdict::OtherSite:
      centralLog()->warn("check-in refused: appliance {} is registered to another site than {}", record->appliance_id,
                  site->site_id);
      return {grpc::StatusCode::PERMISSION_DENIED,
              "appliance " + record->appliance_id + " is registered to another site"};
    case CheckInVerdict::Registered:
      centralLog()->info("appliance {} of site {} registered (evidence key {})", record->appliance_id, site->site_id,
                  hex(record->evidence_public_key));
      break;
    case CheckInVerdict::Accepted:
      break;
  }

  auto latest = store->latestBundleVersion(site->site_id, site->tier);
  if (!latest.ok()) return storeFailure(latest.error());
  resp->set_server_time_unix_ms(now_ms);
  resp->set_site_tier(protoTier(site->tier));
  resp->set_latest_bundle_version(*latest);
  // tier_statement: C3 (signed with the online key once bundles exist). Absent: keep what you have.
  const auto& s = site->settings;
  if (s.checkin_interval_ms != 0 || s.checks_interval_ms != 0) {
    resp->mutable_intervals()->set_checkin_interval_ms(s.checkin_interval_ms);
    resp->mutable_intervals()->set_checks_interval_ms(s.checks_interval_ms);
  }
  for (const auto& check : s.disabled_checks) resp->add_disabled_checks(check);
  if (s.window_start_minute != s.window_end_minute) {
    resp->mutable_maintenance_window()->set_start_minute(s.window_start_minute);
    resp->mutable_maintenance_window()->set_end_minute(s.window_end_minute);
  }
  return grpc::Status::OK;
}

grpc::Status CentralService::SyncRules(grpc::ServerContext* ctx, const cc::SyncRulesRequest* req,
                                       cc::SyncRulesResponse* resp) {
  auto call = begin(*ctx);
  if (!call.ok()) return call.error();
  auto& store = call->store;
  const Site* site = &call->site;
  if (req->site_id() != site->site_id) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "site_id: not the x-site-id header's site"};
  }
  if (req->tier() != cc::TIER_STANDARD && req->tier() != cc::TIER_FULL_COVERAGE) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "tier: not a tier (" + std::to_string(req->tier()) + ")"};
  }
  const std::string tier(req->tier() == cc::TIER_FULL_COVERAGE ? kTierFullCoverage : kTierStandard);
  auto latest = store->latestBundleVersion(site->site_id, tier);
  if (!latest.ok()) return storeFailure(latest.error());
  // No bundle can be sent before `publish` (C3) exists: with none published, "not modified" is
  // the true answer (keep the shipped rules), and the agent's sync path can be tested end to end.
  if (*latest != 0) {
    return {grpc::StatusCode::UNIMPLEMENTED, "bundle download comes with C3 (publish)"};
  }
  resp->mutable_not_modified()->set_latest_bundle_version(*latest);
  return grpc::Status::OK;
}

}  // namespace central
