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

std::string_view TypeName(Principal::Type t) {
  switch (t) {
    case Principal::Type::kRoot:
      return "Root";
    case Principal::Type::kIAMUser:
      return "IAMUser";
    case Principal::Type::kAssumedRole:
      return "AssumedRole";
  }
  return "Root";
}

std::optional<Principal::Type> ParseType(std::string_view s) {
  if (s == "Root") return Principal::Type::kRoot;
  if (s == "IAMUser") return Principal::Type::kIAMUser;
  if (s == "AssumedRole") return Principal::Type::kAssumedRole;
  return std::nullopt;
}

}  // namespace

std::string CredentialStore::StorageKey(std::string_view access_key_id) {
  return std::string(kPrefix) + std::string(access_key_id);
}

Status CredentialStore::Create(const Principal& principal, std::string_view access_key_id,
                               const SecretBytes& secret_access_key) {
  const std::string key = StorageKey(access_key_id);
  ASSIGN_OR_RETURN(std::string sealed, sealer_->Seal(key, secret_access_key.view()));
  nlohmann::json record = {
      {"type", TypeName(principal.type)},
      {"account_id", principal.account_id},
      {"arn", principal.arn},
      {"user_id", principal.user_id},
      {"status", "Active"},
      {"secret", crypto::Base64Encode(sealed)},
  };
  ASSIGN_OR_RETURN(bool created, store_->CompareAndSet(key, std::nullopt, record.dump()));
  if (!created) {
    return Status(ErrorKind::kInternalFailure, "access key id collision");
  }
  return Status::Ok();
}

Result<std::shared_ptr<CredentialStore::Cached>> CredentialStore::Load(
    std::string_view access_key_id) {
  {
    std::shared_lock lock(mu_);
    auto it = cache_.find(std::string(access_key_id));
    if (it != cache_.end()) return it->second;
  }
  if (access_key_id.size() > 128) return std::shared_ptr<Cached>();
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
  std::unique_lock lock(mu_);
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
