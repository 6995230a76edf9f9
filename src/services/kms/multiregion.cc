// Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, and what the keys of one
// multi-Region key share.
//
// A multi-Region key is one key id ("mrk-…") with a record in each of its Regions
// (RecordIdFor: "mrk-…@REGION"), each with its own ARN, policy, aliases, grants, tags,
// description and state. They share the key material (every version: a primary's
// rotation gives each new version to its replicas, sealed under each replica's own
// path), the key spec and usage, and the rotation settings, which only the primary
// changes. Every record keeps "PrimaryRegion" and "Regions" (all its Regions), from
// which KeyMetadata's MultiRegionConfiguration is made; a ciphertext made in one Region
// decrypts in every other.
#include <algorithm>

#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"
#include "storage/sealer.h"

namespace bulwark::kms {
namespace {

bool IsMultiRegion(const Json& key) { return IsMultiRegionKeyId(key.value("KeyId", "")); }

// Sets the Regions and primary Region of every key of `keys` and saves them.
Status SaveTopology(storage::Transaction& txn, std::vector<Json>& keys, const Json& regions,
                    const std::string& primary) {
  for (Json& key : keys) {
    key["Regions"] = regions;
    key["PrimaryRegion"] = primary;
    RETURN_IF_ERROR(SaveKey(txn, key));
  }
  return Status::Ok();
}

// The caller's key that an operation of this file acts on: a multi-Region primary key.
Result<Json> PrimaryKey(storage::Transaction& txn, RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(Json key, LoadOwnKey(txn, ctx, input.value("KeyId", "")));
  if (!IsMultiRegion(key)) {
    return Unsupported(key.value("Arn", "") + " is not a multi-Region key.");
  }
  if (!IsMultiRegionPrimary(key)) {
    return Unsupported(key.value("Arn", "") + " is a replica key; its primary key is in " +
                       key.value("PrimaryRegion", "") + ".");
  }
  if (IsPendingDeletion(key)) {
    return InvalidState(key.value("Arn", "") + " is pending deletion.");
  }
  return key;
}

}  // namespace

bool HasReplicas(const Json& key) {
  return IsMultiRegionPrimary(key) && ArrayMember(key, "Regions").size() > 1;
}

Result<std::vector<Json>> RelatedKeys(storage::Transaction& txn, const Json& key) {
  std::vector<Json> related;
  if (!IsMultiRegion(key)) return related;
  const std::string own = key.value("Region", "");
  for (const Json& region : ArrayMember(key, "Regions")) {
    if (!region.is_string() || region == own) continue;
    ASSIGN_OR_RETURN(
        std::optional<Json> other,
        LoadKeyById(txn, RecordIdFor(key.value("KeyId", ""), region.get<std::string>())));
    if (other) related.push_back(std::move(*other));
  }
  return related;
}

Status ForgetRegion(storage::Transaction& txn, const Json& destroyed, int64_t now) {
  ASSIGN_OR_RETURN(std::vector<Json> related, RelatedKeys(txn, destroyed));
  Json regions = Json::array();
  for (const Json& region : ArrayMember(destroyed, "Regions")) {
    if (region != destroyed.value("Region", "")) regions.push_back(region);
  }
  for (Json& key : related) {
    key["Regions"] = regions;
    // The primary that waited for its last replica: its own window starts now.
    if (key.value("KeyState", "") == "PendingReplicaDeletion" && regions.size() == 1) {
      constexpr int64_t kDay = 86400;
      RETURN_IF_ERROR(StartDeletionWindow(
          txn, key, now + key.value("PendingDeletionWindowInDays", int64_t{30}) * kDay));
    } else {
      RETURN_IF_ERROR(SaveKey(txn, key));
    }
  }
  return Status::Ok();
}

Status ShareMaterialVersion(const RequestContext& ctx, storage::Transaction& txn,
                            const Json& primary, const SecretBytes& material) {
  if (!IsMultiRegionPrimary(primary) || ArrayMember(primary, "Material").empty()) {
    return Status::Ok();
  }
  const Json& version = primary["Material"].back();
  ASSIGN_OR_RETURN(std::vector<Json> replicas, RelatedKeys(txn, primary));
  for (Json& replica : replicas) {
    Json entry = version;
    ASSIGN_OR_RETURN(entry["Sealed"],
                     SealMaterial(ctx, replica, version.value("Version", 0u), material));
    replica["Material"].push_back(std::move(entry));
    RETURN_IF_ERROR(SaveKey(txn, replica));
  }
  return Status::Ok();
}

Status ShareRotationSettings(storage::Transaction& txn, const Json& primary) {
  if (!IsMultiRegionPrimary(primary)) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<Json> replicas, RelatedKeys(txn, primary));
  for (Json& replica : replicas) {
    for (const char* member : {"RotationEnabled", "RotationPeriodInDays", "NextRotationDate"}) {
      if (primary.contains(member)) {
        replica[member] = primary[member];
      } else {
        replica.erase(member);
      }
    }
    RETURN_IF_ERROR(SaveKey(txn, replica));
  }
  return Status::Ok();
}

Result<Json> ReplicateKey(RequestContext& ctx, const Json& input) {
  const std::string region = input.value("ReplicaRegion", "");
  RETURN_IF_ERROR(CheckTags(input.value("Tags", Json::array())));
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json primary, PrimaryKey(*txn, ctx, input));
  if (region == primary.value("Region", "")) {
    return Validation("The replica Region " + region + " is the Region of the primary key.");
  }
  const Json& regions_now = ArrayMember(primary, "Regions");
  const std::string replica_arn = KeyArnIn(primary, region);
  if (std::find(regions_now.begin(), regions_now.end(), Json(region)) != regions_now.end()) {
    return AlreadyExists("Key '" + replica_arn + "' already exists");
  }
  const std::string policy =
      input.value("Policy", DefaultKeyPolicy(primary.value("AWSAccountId", "")));
  RETURN_IF_ERROR(CheckNewKeyPolicy(ctx, input, policy, replica_arn));

  // The replica: the shared properties of the primary, its own for the rest.
  Json replica = Json::object();
  for (const char* member :
       {"AWSAccountId", "KeyId", "KeyUsage", "Origin", "KeyManager", "KeySpec",
        "EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms",
        "PublicKey", "RotationEnabled", "RotationPeriodInDays", "NextRotationDate"}) {
    if (primary.contains(member)) replica[member] = primary[member];
  }
  replica["Arn"] = replica_arn;
  replica["Region"] = region;
  replica["CreationDate"] = now;
  replica["Description"] = input.value("Description", "");
  replica["Policy"] = policy;
  replica["Tags"] = input.value("Tags", Json::array());
  // Its own copy of every material version, sealed under its own path; imported
  // material is imported into each replica by itself (the same material: its digest).
  bool sealed_all = true;
  replica["Material"] = Json::array();
  for (const Json& version : ArrayMember(primary, "Material")) {
    Json entry = version;
    entry.erase("Sealed");
    if (version.contains("Sealed") && primary.value("Origin", "") == "AWS_KMS") {
      ASSIGN_OR_RETURN(SecretBytes material, Material(ctx, primary, version.value("Version", 0u)));
      ASSIGN_OR_RETURN(entry["Sealed"],
                       SealMaterial(ctx, replica, version.value("Version", 0u), material));
    } else {
      sealed_all = false;
    }
    replica["Material"].push_back(std::move(entry));
  }
  replica["KeyState"] = sealed_all && !replica["Material"].empty() ? "Enabled" : "PendingImport";

  Json regions = regions_now;
  regions.push_back(region);
  ASSIGN_OR_RETURN(std::vector<Json> keys, RelatedKeys(*txn, primary));
  keys.push_back(primary);
  RETURN_IF_ERROR(SaveTopology(*txn, keys, regions, primary.value("Region", "")));
  replica["Regions"] = regions;
  replica["PrimaryRegion"] = primary.value("Region", "");
  RETURN_IF_ERROR(StoreNewKey(*txn, replica));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"ReplicaKeyMetadata", KeyMetadata(replica)},
              {"ReplicaPolicy", policy},
              {"ReplicaTags", replica["Tags"]}};
}

Result<Json> UpdatePrimaryRegion(RequestContext& ctx, const Json& input) {
  const std::string target = input.value("PrimaryRegion", "");
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json primary, PrimaryKey(*txn, ctx, input));
  if (target == primary.value("Region", "")) {
    return Validation(primary.value("Arn", "") + " is already the primary key.");
  }
  ASSIGN_OR_RETURN(std::optional<Json> replica,
                   LoadKeyById(*txn, RecordIdFor(primary.value("KeyId", ""), target)));
  if (!replica) return NotFound("Key '" + KeyArnIn(primary, target) + "' does not exist");
  if (IsPendingDeletion(*replica)) {
    return InvalidState(replica->value("Arn", "") + " is pending deletion.");
  }
  // The automatic rotation schedule moves with the primary.
  RETURN_IF_ERROR(MoveRotationSchedule(*txn, primary, *replica));
  ASSIGN_OR_RETURN(std::vector<Json> keys, RelatedKeys(*txn, primary));
  for (Json& key : keys) {
    if (key.value("Region", "") == target) key = *replica;
  }
  keys.push_back(primary);
  RETURN_IF_ERROR(SaveTopology(*txn, keys, primary["Regions"], target));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

}  // namespace bulwark::kms
