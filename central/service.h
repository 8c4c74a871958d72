#pragma once
// The CentralCommand gRPC service of the dev server: authentication (API key + x-site-id),
// validation (validate.h), the store (store.h), and the answer. Thread-safe: gRPC's sync server
// calls it from many threads; each call borrows a Store (its own SQLite connection) from the
// pool, so the only lock is the pool's, held for a vector push or pop.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "central.grpc.pb.h"
#include "core/clock.h"
#include "core/result.h"
#include "store.h"

namespace central {

/// Stores (connections) for the server's threads: borrowed per call, returned after it, opened
/// on demand when all are in use (gRPC bounds the threads, and so the connections).
class StorePool {
 public:
  explicit StorePool(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<Store> store) : pool_(pool), store_(std::move(store)) {}
    ~Lease();
    Lease(Lease&&) = default;
    Store& operator*() { return *store_; }
    Store* operator->() { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<Store> store_;
  };

  /// A store for this call. Fails as Store::open does.
  StoreResult<Lease> acquire();

 private:
  std::string data_dir_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Store>> idle_;
};

/// The longest API key header value looked at: a bound on what an unauthenticated caller makes
/// the server hash.
inline constexpr std::size_t kMaxApiKeyLength = 256;

/// SHA-256 (32 raw bytes) of an API key as the client sends it: what the store keeps.
std::string apiKeyHash(std::string_view api_key);

class CentralService final : public compliance::central::v1::CentralCommand::Service {
 public:
  CentralService(StorePool& pool, const core::Clock& clock) : pool_(pool), clock_(clock) {}

  grpc::Status CheckIn(grpc::ServerContext* ctx, const compliance::central::v1::CheckInRequest* req,
                       compliance::central::v1::CheckInResponse* resp) override;
  grpc::Status SyncRules(grpc::ServerContext* ctx, const compliance::central::v1::SyncRulesRequest* req,
                         compliance::central::v1::SyncRulesResponse* resp) override;
  // SubmitEvidence (C4) and ReportOrderResult (C5): not overridden, so gRPC answers UNIMPLEMENTED.

 private:
  // What every RPC starts with: a store for the call, then the caller's proven site.
  struct Call {
    StorePool::Lease store;
    Site site;
  };
  /// Fails with the status to answer: UNAUTHENTICATED, or UNAVAILABLE / INTERNAL from the store.
  core::Result<Call, grpc::Status> begin(const grpc::ServerContext& ctx);

  StorePool& pool_;
  const core::Clock& clock_;
};

}  // namespace central
