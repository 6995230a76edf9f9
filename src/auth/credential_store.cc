#include "auth/credential_store.h"

#include <mutex>
#include <nlohmann/json.hpp>

#include "auth/sigv4.h"
#include "crypto/crypto.h"
#include "storage/kv.h"
#include "storage/sealer.h"

namespace bulwark::auth {
namespace {

constexpr std::string_view kPrefix = "auth/access-keys/";

nlohmann::json SessionToJson(const SessionInfo& s) {
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& [k, v] : s.tags) tags.push_back({k, v});
  return {{"issued", s.issued},
          {"expires", s.expires},
          {"mfa", s.mfa_authenticated},
          {"role_arn", s.role_arn},
          {"session_name", s.session_name},
          {"federated_by", s.federated_by},
          {"source_identity", s.source_identity},
          {"policy", s.policy},
          {"policy_arns", s.policy_arns},
          {"tags", std::move(tags)},
          {"transitive_tag_keys", s.transitive_tag_keys}};
}

SessionInfo SessionFromJson(const nlohmann::json& j) {
  SessionInfo s;
  s.issued = j.value("issued", int64_t{0});
  s.expires = j.value("expires", int64_t{0});
  s.mfa_authenticated = j.value("mfa", false);
  s.role_arn = j.value("role_arn", "");
  s.session_name = j.value("session_name", "");
  s.federated_by = j.value("federated_by", "");
  s.source_identity = j.value("source_identity", "");
  s.policy = j.value("policy", "");
  s.policy_arns = j.value("policy_arns", std::vector<std::string>());
  for (const auto& t : j.value("tags", nlohmann::json::array())) {
    if (t.is_array() && t.size() == 2 && t[0].is_string() && t[1].is_string()) {
      s.tags.emplace_back(t[0].get<std::string>(), t[1].get<std::string>());
    }
  }
  s.transitive_tag_keys = j.value("transitive_tag_keys", std::vector<std::string>());
  return s;
}

std::string_view TypeName(Principal::Type t) {
  switch (t) {
    case Principal::Type::kRoot:
      return "Root";
    case Principal::Type::kIAMUser:
      return "IAMUser";
    case Principal::Type::kAssumedRole:
      return "AssumedRole";
    case Principal::Type::kFederatedUser:
      return "FederatedUser";
  }
  return "Root";
}

std::optional<Principal::Type> ParseType(std::string_view s) {
  if (s == "Root") return Principal::Type::kRoot;
  if (s == "IAMUser") return Principal::Type::kIAMUser;
  if (s == "AssumedRole") return Principal::Type::kAssumedRole;
  if (s == "FederatedUser") return Principal::Type::kFederatedUser;
  return std::nullopt;
}

}  // namespace

std::string CredentialStore::StorageKey(std::string_view access_key_id) {
  return std::string(kPrefix) + std::string(access_key_id);
}

Result<std::string> CredentialStore::NewRecord(const Principal& principal,
                                               std::string_view user_name,
                                               std::string_view access_key_id,
                                               const SecretBytes& secret_access_key,
                                               int64_t create_date) const {
  const std::string key = StorageKey(access_key_id);
  ASSIGN_OR_RETURN(std::string sealed, sealer_->Seal(key, secret_access_key.view()));
  nlohmann::json record = {
      {"type", TypeName(principal.type)},
      {"account_id", principal.account_id},
      {"arn", principal.arn},
      {"user_id", principal.user_id},
      {"status", "Active"},
      {"secret", crypto::Base64Encode(sealed)},
      {"create_date", create_date},
  };
  if (!user_name.empty()) record["user_name"] = user_name;
  return record.dump();
}

Status CredentialStore::Create(const Principal& principal, std::string_view access_key_id,
                               const SecretBytes& secret_access_key) {
  ASSIGN_OR_RETURN(std::string record,
                   NewRecord(principal, "", access_key_id, secret_access_key, 0));
  ASSIGN_OR_RETURN(bool created,
                   store_->CompareAndSet(StorageKey(access_key_id), std::nullopt, record));
  if (!created) {
    return Status(ErrorKind::kInternalFailure, "access key id collision");
  }
  return Status::Ok();
}

Status CredentialStore::CreateIn(storage::Transaction& txn, const Principal& principal,
                                 std::string_view user_name, std::string_view access_key_id,
                                 const SecretBytes& secret_access_key, int64_t create_date) {
  const std::string key = StorageKey(access_key_id);
  ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(key));
  if (existing) return Status(ErrorKind::kInternalFailure, "access key id collision");
  ASSIGN_OR_RETURN(std::string record,
                   NewRecord(principal, user_name, access_key_id, secret_access_key, create_date));
  return txn.Put(key, record);
}

namespace {

Result<std::optional<nlohmann::json>> ReadRecord(storage::Transaction& txn,
                                                 const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn.Get(key));
  if (!raw) return std::optional<nlohmann::json>();
  nlohmann::json record = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) return Status(ErrorKind::kInternalFailure, "corrupt access key record");
  return std::optional<nlohmann::json>(std::move(record));
}

}  // namespace

Status CredentialStore::CreateSessionIn(storage::Transaction& txn, const Principal& principal,
                                        std::string_view access_key_id,
                                        const SecretBytes& secret_access_key,
                                        std::string_view session_token) {
  const std::string key = StorageKey(access_key_id);
  ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(key));
  if (existing) return Status(ErrorKind::kInternalFailure, "access key id collision");
  ASSIGN_OR_RETURN(std::string raw, NewRecord(principal, "", access_key_id, secret_access_key,
                                              principal.session.issued));
  nlohmann::json record = nlohmann::json::parse(raw);
  nlohmann::json session = SessionToJson(principal.session);
  session["token_sha256"] = crypto::Sha256Hex(session_token);
  record["session"] = std::move(session);
  RETURN_IF_ERROR(txn.Put(key, record.dump()));

  // Sweep: look at a few session keys from a random point and delete expired ones.
  const std::string session_prefix = std::string(kPrefix) + "ASIA";
  const std::string from =
      session_prefix + crypto::RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 2);
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(session_prefix, from, 8));
  for (const storage::KeyValue& row : rows) {
    nlohmann::json other = nlohmann::json::parse(row.value, nullptr, false);
    if (!other.is_object() || !other.contains("session")) continue;
    if (other["session"].value("expires", int64_t{0}) < principal.session.issued) {
      RETURN_IF_ERROR(txn.Delete(row.key));
    }
  }
  return Status::Ok();
}

Status CredentialStore::CheckSessionToken(std::string_view access_key_id,
                                          std::string_view session_token, int64_t now) {
  ASSIGN_OR_RETURN(std::shared_ptr<Cached> entry, Load(access_key_id));
  if (!entry || entry->session_token_sha256.empty() ||
      !crypto::ConstantTimeEquals(crypto::Sha256Hex(session_token), entry->session_token_sha256)) {
    return Status(ErrorKind::kInvalidClientTokenId,
                  "The security token included in the request is invalid.");
  }
  if (now >= entry->principal.session.expires) {
    return Status(ErrorKind::kExpiredToken,
                  "The security token included in the request is expired");
  }
  return Status::Ok();
}

Status CredentialStore::SetActiveIn(storage::Transaction& txn, std::string_view access_key_id,
                                    bool active) {
  const std::string key = StorageKey(access_key_id);
  ASSIGN_OR_RETURN(std::optional<nlohmann::json> record, ReadRecord(txn, key));
  if (!record) return Status(ErrorKind::kInternalFailure, "access key vanished");
  (*record)["status"] = active ? "Active" : "Inactive";
  return txn.Put(key, record->dump());
}

Status CredentialStore::SetOwnerIn(storage::Transaction& txn, std::string_view access_key_id,
                                   std::string_view arn, std::string_view user_name) {
  const std::string key = StorageKey(access_key_id);
  ASSIGN_OR_RETURN(std::optional<nlohmann::json> record, ReadRecord(txn, key));
  if (!record) return Status(ErrorKind::kInternalFailure, "access key vanished");
  (*record)["arn"] = arn;
  (*record)["user_name"] = user_name;
  return txn.Put(key, record->dump());
}

Status CredentialStore::DeleteIn(storage::Transaction& txn, std::string_view access_key_id) {
  return txn.Delete(StorageKey(access_key_id));
}

void CredentialStore::Forget(std::string_view access_key_id) {
  std::unique_lock lock(mu_);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  cache_.erase(std::string(access_key_id));
}

Result<std::optional<AccessKeyInfo>> CredentialStore::InfoIn(storage::Transaction& txn,
                                                             std::string_view access_key_id) {
  if (access_key_id.size() > 128) return std::optional<AccessKeyInfo>();
  ASSIGN_OR_RETURN(std::optional<nlohmann::json> record,
                   ReadRecord(txn, StorageKey(access_key_id)));
  if (!record) return std::optional<AccessKeyInfo>();
  AccessKeyInfo info;
  info.access_key_id = std::string(access_key_id);
  info.user_name = record->value("user_name", "");
  info.active = record->value("status", "") == "Active";
  info.create_date = record->value("create_date", int64_t{0});
  if (auto it = record->find("last_used"); it != record->end() && it->is_object()) {
    info.last_used_date = it->value("date", int64_t{0});
    info.last_used_service = it->value("service", "");
    info.last_used_region = it->value("region", "");
  }
  return std::optional<AccessKeyInfo>(std::move(info));
}

void CredentialStore::NoteUse(std::string_view access_key_id, int64_t now, std::string_view service,
                              std::string_view region) {
  std::shared_ptr<Cached> entry;
  {
    std::shared_lock lock(mu_);
    auto it = cache_.find(std::string(access_key_id));
    if (it == cache_.end()) return;
    entry = it->second;
  }
  constexpr int64_t kWriteInterval = 3600;
  int64_t written = entry->last_use_written.load(std::memory_order_relaxed);
  if (written != 0 && now - written < kWriteInterval) return;
  // One thread per key wins the right to write.
  if (!entry->last_use_written.compare_exchange_strong(written, now)) return;
  auto txn = store_->Begin();
  if (!txn.ok()) return;
  const std::string key = StorageKey(access_key_id);
  auto record = ReadRecord(**txn, key);
  if (!record.ok() || !*record) return;
  (**record)["last_used"] = {{"date", now}, {"service", service}, {"region", region}};
  // Best effort: a failed write only leaves the last-used date older.
  if ((*txn)->Put(key, (**record).dump()).ok()) (void)(*txn)->Commit();
}

Result<std::shared_ptr<CredentialStore::Cached>> CredentialStore::Load(
    std::string_view access_key_id) {
  {
    std::shared_lock lock(mu_);
    auto it = cache_.find(std::string(access_key_id));
    if (it != cache_.end()) return it->second;
  }
  if (access_key_id.size() > 128) return std::shared_ptr<Cached>();
  const uint64_t epoch = epoch_.load(std::memory_order_acquire);
  const std::string key = StorageKey(access_key_id);
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->Get(key));
  if (!raw) return std::shared_ptr<Cached>();
  nlohmann::json record = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object() || !record.contains("secret") || !record["secret"].is_string()) {
    return Status(ErrorKind::kInternalFailure, "corrupt access key record");
  }
  if (record.value("status", "") != "Active") return std::shared_ptr<Cached>();
  auto type = ParseType(record.value("type", ""));
  if (!type) return Status(ErrorKind::kInternalFailure, "corrupt access key record");
  auto sealed = crypto::Base64Decode(record["secret"].get<std::string>());
  if (!sealed) return Status(ErrorKind::kInternalFailure, "corrupt access key record");
  ASSIGN_OR_RETURN(SecretBytes secret, sealer_->Open(key, *sealed));
  auto entry = std::make_shared<Cached>();
  entry->principal.type = *type;
  entry->principal.account_id = record.value("account_id", "");
  entry->principal.arn = record.value("arn", "");
  entry->principal.user_id = record.value("user_id", "");
  entry->principal.access_key_id = std::string(access_key_id);
  entry->secret = std::move(secret);
  if (auto it = record.find("session"); it != record.end() && it->is_object()) {
    entry->principal.session = SessionFromJson(*it);
    entry->session_token_sha256 = it->value("token_sha256", "");
  }
  if (auto it = record.find("last_used"); it != record.end() && it->is_object()) {
    entry->last_use_written = it->value("date", int64_t{0});
  }
  std::unique_lock lock(mu_);
  if (epoch_.load(std::memory_order_acquire) != epoch) return entry;  // stale: not cached
  auto [it, inserted] = cache_.emplace(std::string(access_key_id), entry);
  return it->second;
}

Result<std::optional<Credential>> CredentialStore::Lookup(std::string_view access_key_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Cached> entry, Load(access_key_id));
  if (!entry) return std::optional<Credential>();
  std::shared_lock lock(mu_);
  return std::optional<Credential>(Credential{entry->principal, entry->secret.Clone()});
}

Result<std::optional<SecretBytes>> CredentialStore::SigningKey(std::string_view access_key_id,
                                                               std::string_view date,
                                                               std::string_view region,
                                                               std::string_view service,
                                                               Principal* principal) {
  ASSIGN_OR_RETURN(std::shared_ptr<Cached> entry, Load(access_key_id));
  if (!entry) return std::optional<SecretBytes>();
  std::string scope;
  scope.reserve(date.size() + region.size() + service.size() + 2);
  scope.append(date).append("/").append(region).append("/").append(service);
  {
    std::shared_lock lock(mu_);
    *principal = entry->principal;
    if (entry->scope == scope) return std::optional<SecretBytes>(entry->signing_key.Clone());
  }
  SecretBytes key = sigv4::DeriveSigningKey(entry->secret.view(), date, region, service);
  std::unique_lock lock(mu_);
  entry->scope = scope;
  entry->signing_key = key.Clone();
  return std::optional<SecretBytes>(std::move(key));
}

}  // namespace bulwark::auth
