// GetKeyLastUsage: the latest successful cryptographic operation of each key.
//
// Cryptographic operations never write (they run in read transactions, and a write per
// Encrypt would cost more than the Encrypt): RecordUse keeps the latest use per key in
// memory, and the maintenance sweep writes them under "kms/usage/KEY-ID"
// ({Operation, Timestamp, KmsRequestId}). GetKeyLastUsage answers with whichever is
// newer, so a use shows at once on this server, and after a restart as of the last sweep.
#include <mutex>
#include <unordered_map>

#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

struct Use {
  std::string operation;
  int64_t timestamp = 0;
  std::string request_id;
};

struct Uses {
  std::mutex mu;
  std::unordered_map<std::string, Use> pending;  // by key id, not yet written
  std::unordered_map<std::string, Use> latest;   // by key id, since this process started
};

Uses& Registry() {
  static Uses* uses = new Uses();
  return *uses;
}

std::string UsageKey(std::string_view key_id) { return "kms/usage/" + std::string(key_id); }

Json UseJson(const Use& use) {
  return {
      {"Operation", use.operation}, {"Timestamp", use.timestamp}, {"KmsRequestId", use.request_id}};
}

}  // namespace

void RecordUse(const RequestContext& ctx, const Json& key, std::string_view operation) {
  Use use{std::string(operation), ctx.env ? ctx.env->now_unix() : 0, ctx.request_id};
  const std::string key_id = RecordIdOf(key);
  Uses& uses = Registry();
  std::lock_guard lock(uses.mu);
  uses.pending[key_id] = use;
  uses.latest[key_id] = std::move(use);
}

Status FlushUsage(storage::Transaction& txn) {
  std::unordered_map<std::string, Use> pending;
  {
    Uses& uses = Registry();
    std::lock_guard lock(uses.mu);
    pending.swap(uses.pending);
  }
  for (const auto& [key_id, use] : pending) {
    // Not for a key destroyed since.
    ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(txn, key_id));
    if (key) RETURN_IF_ERROR(iam::Save(txn, UsageKey(key_id), UseJson(use)));
  }
  return Status::Ok();
}

Status DeleteUsageOf(storage::Transaction& txn, std::string_view key_id) {
  {
    Uses& uses = Registry();
    std::lock_guard lock(uses.mu);
    uses.pending.erase(std::string(key_id));
    uses.latest.erase(std::string(key_id));
  }
  return txn.Delete(UsageKey(key_id));
}

Result<Json> GetKeyLastUsage(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadOwnKey(*txn, ctx, input.value("KeyId", "")));
  const std::string key_id = RecordIdOf(key);
  ASSIGN_OR_RETURN(std::optional<Json> stored, iam::Load(*txn, UsageKey(key_id)));
  Json last = stored ? *stored : Json::object();
  {
    Uses& uses = Registry();
    std::lock_guard lock(uses.mu);
    auto it = uses.latest.find(key_id);
    if (it != uses.latest.end() && it->second.timestamp >= last.value("Timestamp", int64_t{0})) {
      last = UseJson(it->second);
    }
  }
  // Bulwark tracks every key's use from its creation.
  return Json{{"KeyId", key["Arn"]},
              {"KeyLastUsage", std::move(last)},
              {"TrackingStartDate", key["CreationDate"]},
              {"KeyCreationDate", key["CreationDate"]}};
}

}  // namespace bulwark::kms
