// KMS aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases, the authorization of
// the first three, and the removal of a destroyed key's aliases.
//
// Records:
// - "kms/ACCOUNT/REGION/alias/NAME" (NAME without "alias/"): {AliasName, AliasArn,
//   TargetKeyId, CreationDate, LastUpdatedDate}. ResolveKeyId (common.cc) reads them, so
//   every operation that takes a KeyId accepts the alias name and the alias ARN.
// - "kms/key-aliases/KEY-ID/NAME" (empty value): the aliases of one key, to count them
//   (50 per key), to list them (ListAliases with KeyId) and to delete them with the key.
#include <algorithm>

#include "crypto/crypto.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr std::string_view kAliasPrefix = "alias/";
// Reserved for AWS managed keys.
constexpr std::string_view kReservedPrefix = "alias/aws/";
constexpr size_t kAliasesPerKey = 50;  // AWS's default quota
constexpr size_t kDefaultListLimit = 50;
constexpr size_t kMaxListLimit = 100;
constexpr std::string_view kKeyAliasesPrefix = "kms/key-aliases/";

// The same layout as common.cc's alias lookup.
std::string AliasListPrefix(std::string_view account, std::string_view region) {
  return "kms/" + std::string(account) + "/" + std::string(region) + "/alias/";
}

// "alias/NAME" → NAME.
std::string ShortName(std::string_view alias_name) {
  return std::string(alias_name.substr(kAliasPrefix.size()));
}

std::string AliasRecordKey(const RequestContext& ctx, std::string_view alias_name) {
  return AliasListPrefix(ctx.caller.account_id, ctx.region) + ShortName(alias_name);
}

std::string KeyAliasesPrefix(std::string_view key_id) {
  return std::string(kKeyAliasesPrefix) + std::string(key_id) + "/";
}

std::string AliasArn(const RequestContext& ctx, std::string_view alias_name) {
  return "arn:aws:kms:" + ctx.region + ":" + ctx.caller.account_id + ":" + std::string(alias_name);
}

Status InvalidAliasName(std::string message) {
  return Status::Service("InvalidAliasNameException", 400, std::move(message));
}

Status InvalidMarker() { return Status::Service("InvalidMarkerException", 400, "Invalid marker."); }

Status AliasNotFound(const RequestContext& ctx, std::string_view alias_name) {
  return NotFound("Alias " + AliasArn(ctx, alias_name) + " is not found.");
}

// An alias name as every alias operation takes it: "alias/NAME", no colon (the model's
// pattern lets one through), something after the prefix.
Status CheckAliasName(std::string_view name) {
  if (!name.starts_with(kAliasPrefix)) {
    return Validation(
        "Alias must start with the prefix \"alias/\". Please see "
        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  }
  if (name.find(':') != std::string_view::npos) {
    return Validation(std::string(name) + " contains invalid characters for an alias");
  }
  if (name.size() == kAliasPrefix.size()) {
    return InvalidAliasName("Alias name must not be empty after the prefix \"alias/\".");
  }
  return Status::Ok();
}

// A name CreateAlias or UpdateAlias may set: also not under alias/aws/, which only AWS
// managed keys have.
Status CheckSettableAliasName(std::string_view name) {
  RETURN_IF_ERROR(CheckAliasName(name));
  if (name.starts_with(kReservedPrefix)) {
    return Status::Service("NotAuthorizedException", 400,
                           "Alias names beginning with alias/aws/ are reserved for AWS managed "
                           "keys.");
  }
  return Status::Ok();
}

// Symmetric, asymmetric (RSA, ECC, SM2) or HMAC: UpdateAlias keeps an alias within one.
std::string_view KeyFamily(const Json& key) {
  const std::string spec = key.value("KeySpec", "SYMMETRIC_DEFAULT");
  if (spec == "SYMMETRIC_DEFAULT") return "symmetric";
  if (spec.starts_with("HMAC_")) return "HMAC";
  return "asymmetric";
}

// The key an alias may point to: named by key id or key ARN (not by another alias), of the
// caller's account and Region, not pending deletion.
Result<Json> TargetKey(storage::Transaction& txn, RequestContext& ctx, std::string_view key_id) {
  if (key_id.starts_with(kAliasPrefix) || key_id.find(":alias/") != std::string_view::npos) {
    return Validation("Aliases must refer to keys. Not aliases");
  }
  ASSIGN_OR_RETURN(Json key, LoadOwnKey(txn, ctx, key_id));
  if (IsPendingDeletion(key)) {
    return InvalidState(key.value("Arn", "") + " is pending deletion.");
  }
  return key;
}

// LimitExceededException when the key already has its 50 aliases.
Status CheckRoomForAlias(storage::Transaction& txn, const Json& key) {
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                   txn.Scan(KeyAliasesPrefix(RecordIdOf(key)), "", kAliasesPerKey));
  if (rows.size() >= kAliasesPerKey) {
    return LimitExceeded("The KMS key " + key.value("Arn", "") + " already has " +
                         std::to_string(kAliasesPerKey) + " aliases.");
  }
  return Status::Ok();
}

Json ListEntry(const Json& alias) {
  Json out = Json::object();
  for (const char* member :
       {"AliasName", "AliasArn", "TargetKeyId", "CreationDate", "LastUpdatedDate"}) {
    if (alias.contains(member)) out[member] = alias[member];
  }
  return out;
}

}  // namespace

Result<Json> LoadOwnKey(storage::Transaction& txn, RequestContext& ctx, std::string_view key_id) {
  ASSIGN_OR_RETURN(Json key, LoadKey(txn, ctx, key_id));
  // A key ARN may name another account's (or Region's) key; these operations act only on
  // the caller's own keys.
  if (key.value("AWSAccountId", "") != ctx.caller.account_id ||
      key.value("Region", "") != ctx.region) {
    return NotFound("Key '" + key.value("Arn", "") + "' does not exist");
  }
  return key;
}

Status DeleteAliasesOf(storage::Transaction& txn, const Json& key) {
  const std::string prefix = KeyAliasesPrefix(RecordIdOf(key));
  const std::string list = AliasListPrefix(key.value("AWSAccountId", ""), key.value("Region", ""));
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(prefix));
  for (const storage::KeyValue& row : rows) {
    RETURN_IF_ERROR(txn.Delete(list + row.key.substr(prefix.size())));
    RETURN_IF_ERROR(txn.Delete(row.key));
  }
  return Status::Ok();
}

Status SaveAlias(storage::Transaction& txn, const RequestContext& ctx, std::string_view name,
                 std::string_view key_id, int64_t now) {
  const Json alias = {{"AliasName", name},
                      {"AliasArn", AliasArn(ctx, name)},
                      {"TargetKeyId", key_id},
                      {"CreationDate", now},
                      {"LastUpdatedDate", now}};
  RETURN_IF_ERROR(iam::Save(txn, AliasRecordKey(ctx, name), alias));
  return txn.Put(KeyAliasesPrefix(RecordIdFor(key_id, ctx.region)) + ShortName(name), "");
}

Result<Json> CreateAlias(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("AliasName", "");
  RETURN_IF_ERROR(CheckSettableAliasName(name));
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  // An alias of a key whose deletion is due goes with it first.
  RETURN_IF_ERROR(SweepDeletedKeys(*txn, now));
  const std::string record_key = AliasRecordKey(ctx, name);
  ASSIGN_OR_RETURN(std::optional<Json> existing, iam::Load(*txn, record_key));
  if (existing) {
    return AlreadyExists("An alias with the name " + AliasArn(ctx, name) + " already exists");
  }
  ASSIGN_OR_RETURN(Json key, TargetKey(*txn, ctx, input.value("TargetKeyId", "")));
  RETURN_IF_ERROR(CheckRoomForAlias(*txn, key));
  RETURN_IF_ERROR(SaveAlias(*txn, ctx, name, key["KeyId"].get<std::string>(), now));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> UpdateAlias(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("AliasName", "");
  RETURN_IF_ERROR(CheckSettableAliasName(name));
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  RETURN_IF_ERROR(SweepDeletedKeys(*txn, now));
  const std::string record_key = AliasRecordKey(ctx, name);
  ASSIGN_OR_RETURN(std::optional<Json> alias, iam::Load(*txn, record_key));
  if (!alias) return AliasNotFound(ctx, name);
  // The key the alias leaves may be pending deletion; the one it moves to may not.
  ASSIGN_OR_RETURN(Json key, TargetKey(*txn, ctx, input.value("TargetKeyId", "")));
  const std::string old_key_id = alias->value("TargetKeyId", "");
  const std::string key_id = key["KeyId"].get<std::string>();
  if (key_id != old_key_id) {
    ASSIGN_OR_RETURN(std::optional<Json> old_key,
                     LoadKeyById(*txn, RecordIdFor(old_key_id, ctx.region)));
    // Code that uses the alias keeps working: same family of key, same key usage.
    if (old_key && (KeyFamily(*old_key) != KeyFamily(key) ||
                    old_key->value("KeyUsage", "") != key.value("KeyUsage", ""))) {
      return Validation("The new KMS key " + key.value("Arn", "") +
                        " must be of the same key type and key usage as the current KMS key " +
                        old_key->value("Arn", "") + ".");
    }
    RETURN_IF_ERROR(CheckRoomForAlias(*txn, key));
    RETURN_IF_ERROR(
        txn->Delete(KeyAliasesPrefix(RecordIdFor(old_key_id, ctx.region)) + ShortName(name)));
    RETURN_IF_ERROR(txn->Put(KeyAliasesPrefix(RecordIdOf(key)) + ShortName(name), ""));
    (*alias)["TargetKeyId"] = key_id;
  }
  (*alias)["LastUpdatedDate"] = now;
  RETURN_IF_ERROR(iam::Save(*txn, record_key, *alias));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> DeleteAlias(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("AliasName", "");
  RETURN_IF_ERROR(CheckAliasName(name));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  const std::string record_key = AliasRecordKey(ctx, name);
  ASSIGN_OR_RETURN(std::optional<Json> alias, iam::Load(*txn, record_key));
  if (!alias) return AliasNotFound(ctx, name);
  // Whatever the key's state, pending deletion included.
  RETURN_IF_ERROR(txn->Delete(record_key));
  RETURN_IF_ERROR(
      txn->Delete(KeyAliasesPrefix(RecordIdFor(alias->value("TargetKeyId", ""), ctx.region)) +
                  ShortName(name)));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> ListAliases(RequestContext& ctx, const Json& input) {
  // AWS takes 1 to 100 and returns "fewer" for more.
  const size_t limit = std::min(input.value("Limit", kDefaultListLimit), kMaxListLimit);
  std::string after;
  if (auto it = input.find("Marker"); it != input.end()) {
    std::optional<std::string> marker = crypto::Base64Decode(it->get<std::string>());
    if (!marker || marker->empty()) return InvalidMarker();
    after = *marker;
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  const std::string list_prefix = AliasListPrefix(ctx.caller.account_id, ctx.region);
  // Every alias of the account and Region, or those of one key, by name either way.
  std::string prefix = list_prefix;
  if (auto it = input.find("KeyId"); it != input.end()) {
    ASSIGN_OR_RETURN(Json key, LoadOwnKey(*txn, ctx, it->get<std::string>()));
    prefix = KeyAliasesPrefix(RecordIdOf(key));
  }
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                   txn->Scan(prefix, after.empty() ? "" : prefix + after, limit + 1));
  const bool truncated = rows.size() > limit;
  if (truncated) rows.pop_back();
  Json aliases = Json::array();
  for (const storage::KeyValue& row : rows) {
    const std::string name = row.key.substr(prefix.size());
    std::optional<Json> alias;
    if (prefix == list_prefix) {
      alias = Json::parse(row.value, nullptr, /*allow_exceptions=*/false);
    } else {
      ASSIGN_OR_RETURN(alias, iam::Load(*txn, list_prefix + name));
    }
    if (alias && alias->is_object()) aliases.push_back(ListEntry(*alias));
  }
  Json out = {{"Aliases", std::move(aliases)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = crypto::Base64Encode(rows.back().key.substr(prefix.size()));
  return out;
}

Status CompleteAliasAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                                  AuthorizationRequest* authz) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  // The keys the operation touches: CreateAlias's target, the alias's current key
  // (UpdateAlias, DeleteAlias) and UpdateAlias's new one. A key that cannot be found adds
  // nothing: the handler answers NotFoundException.
  std::vector<std::string> key_ids;
  if (op.name == "UpdateAlias" || op.name == "DeleteAlias") {
    const std::string name = input.value("AliasName", "");
    if (name.starts_with(kAliasPrefix)) {
      ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(*txn, ctx, name));
      if (ref) key_ids.push_back(ref->record_id);
    }
  }
  if (op.name == "CreateAlias" || op.name == "UpdateAlias") {
    ASSIGN_OR_RETURN(std::optional<KeyRef> ref,
                     ResolveKeyId(*txn, ctx, input.value("TargetKeyId", "")));
    if (ref && (key_ids.empty() || key_ids[0] != ref->record_id)) key_ids.push_back(ref->record_id);
  }
  for (const std::string& key_id : key_ids) {
    ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(*txn, key_id));
    if (key) authz->other_resources.push_back(KeyResource(op.action, *key));
  }
  return Status::Ok();
}

}  // namespace bulwark::kms
