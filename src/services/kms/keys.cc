// KMS keys and their lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
// UpdateKeyDescription, Get/Put/ListKeyPolicies, ScheduleKeyDeletion, CancelKeyDeletion.
#include "auth/ids.h"
#include "crypto/crypto.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kDefaultPendingWindowDays = 30;
constexpr size_t kSymmetricKeyBytes = 32;
constexpr size_t kDefaultListLimit = 100;
// Deletions due, by date: "kms/deletions/<20-digit date>/<key id>".
constexpr std::string_view kDeletionsPrefix = "kms/deletions/";

std::string DeletionKey(int64_t when, std::string_view key_id) {
  std::string date = std::to_string(when);
  return std::string(kDeletionsPrefix) + std::string(20 - date.size(), '0') + date + "/" +
         std::string(key_id);
}

Status CheckKeyPolicy(std::string_view document) {
  policy::ParseOptions options;
  options.kind = policy::PolicyKind::kResource;
  Result<policy::Policy> parsed = policy::ParsePolicy(document, options);
  if (!parsed.ok()) return MalformedPolicy(parsed.status().message());
  return Status::Ok();
}

// The key of a request, for an operation that changes it: loaded for writing, and only
// a key of the caller's own account.
Result<Json> KeyForUpdate(storage::Transaction& txn, RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(Json key, LoadKey(txn, ctx, input.value("KeyId", "")));
  return key;
}

Status PendingDeletion(const Json& key) {
  return InvalidState(key.value("Arn", "") + " is pending deletion.");
}

}  // namespace

Status SweepDeletedKeys(storage::Transaction& txn, int64_t now) {
  constexpr size_t kBatch = 16;
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> due, txn.Scan(kDeletionsPrefix, "", kBatch));
  for (const storage::KeyValue& row : due) {
    const std::string_view rest = std::string_view(row.key).substr(kDeletionsPrefix.size());
    if (std::stoll(std::string(rest.substr(0, 20))) > now) break;
    const std::string key_id(rest.substr(21));
    ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(txn, key_id));
    if (key && key->value("KeyState", "") == "PendingDeletion") {
      // The material goes with the record: the key is destroyed.
      RETURN_IF_ERROR(txn.Delete(KeyRecordKey(key_id)));
      RETURN_IF_ERROR(txn.Delete(
          KeyListPrefix(key->value("AWSAccountId", ""), key->value("Region", "")) + key_id));
      // Its aliases go too, as in AWS.
      RETURN_IF_ERROR(DeleteAliasesOf(txn, *key));
    }
    RETURN_IF_ERROR(txn.Delete(row.key));
  }
  return Status::Ok();
}

Result<Json> CreateKey(RequestContext& ctx, const Json& input) {
  const std::string key_spec =
      input.value("KeySpec", input.value("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"));
  const std::string key_usage = input.value("KeyUsage", "ENCRYPT_DECRYPT");
  const std::string origin = input.value("Origin", "AWS_KMS");
  if (input.contains("KeySpec") && input.contains("CustomerMasterKeySpec")) {
    return Validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request.");
  }
  if (key_spec != "SYMMETRIC_DEFAULT") {
    return Unsupported("KeySpec " + key_spec + " is not supported by this server yet.");
  }
  if (key_usage != "ENCRYPT_DECRYPT") {
    return Validation("KeyUsage " + key_usage + " is not compatible with KeySpec " + key_spec +
                      ".");
  }
  if (origin != "AWS_KMS") return Unsupported("Origin " + origin + " is not supported yet.");
  if (input.value("MultiRegion", false)) return Unsupported("Multi-Region keys are not supported.");
  if (input.contains("CustomKeyStoreId") || input.contains("XksKeyId")) {
    return Unsupported("Custom key stores are not supported.");
  }
  RETURN_IF_ERROR(CheckTags(input.value("Tags", Json::array())));
  const std::string& account = ctx.caller.account_id;
  std::string policy = input.value("Policy", DefaultKeyPolicy(account));
  RETURN_IF_ERROR(CheckKeyPolicy(policy));

  const int64_t now = iam::Now(ctx);
  const std::string key_id = ids::NewUuid();
  Json key = {{"AWSAccountId", account},
              {"KeyId", key_id},
              {"Arn", KeyArn(ctx.region, account, key_id)},
              {"Region", ctx.region},
              {"CreationDate", now},
              {"Description", input.value("Description", "")},
              {"KeyUsage", key_usage},
              {"KeyState", "Enabled"},
              {"Origin", origin},
              {"KeyManager", "CUSTOMER"},
              {"KeySpec", key_spec},
              {"EncryptionAlgorithms", {"SYMMETRIC_DEFAULT"}},
              {"Policy", std::move(policy)},
              {"Tags", input.value("Tags", Json::array())}};
  SecretBytes material = RandomSecret(kSymmetricKeyBytes);
  RETURN_IF_ERROR(AddMaterialVersion(ctx, key, material, now));

  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  RETURN_IF_ERROR(SweepDeletedKeys(*txn, now));
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Put(KeyListPrefix(account, ctx.region) + key_id, ""));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyMetadata", KeyMetadata(key)}};
}

Result<Json> DescribeKey(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  return Json{{"KeyMetadata", KeyMetadata(key)}};
}

Result<Json> ListKeys(RequestContext& ctx, const Json& input) {
  const size_t limit = input.value("Limit", kDefaultListLimit);
  const std::string prefix = KeyListPrefix(ctx.caller.account_id, ctx.region);
  std::string after;
  if (auto it = input.find("Marker"); it != input.end()) {
    std::optional<std::string> marker = crypto::Base64Decode(it->get<std::string>());
    if (!marker) {
      return Status::Service("InvalidMarkerException", 400, "Invalid marker.");
    }
    after = prefix + *marker;
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(prefix, after, limit + 1));
  Json keys = Json::array();
  const bool truncated = rows.size() > limit;
  if (truncated) rows.pop_back();
  for (const storage::KeyValue& row : rows) {
    const std::string key_id = row.key.substr(prefix.size());
    keys.push_back(
        {{"KeyId", key_id}, {"KeyArn", KeyArn(ctx.region, ctx.caller.account_id, key_id)}});
  }
  Json out = {{"Keys", std::move(keys)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = crypto::Base64Encode(rows.back().key.substr(prefix.size()));
  return out;
}

namespace {

// Sets the key's state (EnableKey, DisableKey).
Result<Json> SetEnabled(RequestContext& ctx, const Json& input, bool enabled) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  const std::string state = key.value("KeyState", "");
  if (state == "PendingDeletion") return PendingDeletion(key);
  key["KeyState"] = enabled ? "Enabled" : "Disabled";
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

}  // namespace

Result<Json> EnableKey(RequestContext& ctx, const Json& input) {
  return SetEnabled(ctx, input, true);
}

Result<Json> DisableKey(RequestContext& ctx, const Json& input) {
  return SetEnabled(ctx, input, false);
}

Result<Json> UpdateKeyDescription(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  if (key.value("KeyState", "") == "PendingDeletion") return PendingDeletion(key);
  key["Description"] = input.value("Description", "");
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> GetKeyPolicy(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("PolicyName", "default");
  if (name != "default") return NotFound("No such policy exists");
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  return Json{{"Policy", key["Policy"]}, {"PolicyName", "default"}};
}

Result<Json> PutKeyPolicy(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("PolicyName", "default");
  if (name != "default") return NotFound("No such policy exists");
  const std::string policy = input.value("Policy", "");
  RETURN_IF_ERROR(CheckKeyPolicy(policy));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  if (key.value("KeyState", "") == "PendingDeletion") return PendingDeletion(key);
  key["Policy"] = policy;
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> ListKeyPolicies(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  return Json{{"PolicyNames", {"default"}}, {"Truncated", false}};
}

Result<Json> ScheduleKeyDeletion(RequestContext& ctx, const Json& input) {
  const int64_t days = input.value("PendingWindowInDays", kDefaultPendingWindowDays);
  if (days < 7 || days > 30) {
    return Validation("1 validation error detected: Value '" + std::to_string(days) +
                      "' at 'pendingWindowInDays' failed to satisfy constraint: Member must "
                      "have value less than or equal to 30");
  }
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  if (key.value("KeyState", "") == "PendingDeletion") return PendingDeletion(key);
  const int64_t when = now + days * kDay;
  key["KeyState"] = "PendingDeletion";
  key["DeletionDate"] = when;
  key["PendingDeletionWindowInDays"] = days;
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Put(DeletionKey(when, key["KeyId"].get<std::string>()), ""));
  RETURN_IF_ERROR(SweepDeletedKeys(*txn, now));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyId", key["Arn"]},
              {"DeletionDate", when},
              {"KeyState", "PendingDeletion"},
              {"PendingWindowInDays", days}};
}

Result<Json> CancelKeyDeletion(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  if (key.value("KeyState", "") != "PendingDeletion") {
    return InvalidState(key.value("Arn", "") + " is not pending deletion.");
  }
  RETURN_IF_ERROR(txn->Delete(
      DeletionKey(key["DeletionDate"].get<int64_t>(), key["KeyId"].get<std::string>())));
  // A key whose deletion is cancelled comes back disabled, as in AWS.
  key["KeyState"] = "Disabled";
  key.erase("DeletionDate");
  key.erase("PendingDeletionWindowInDays");
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyId", key["Arn"]}};
}

}  // namespace bulwark::kms
