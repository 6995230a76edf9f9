// KMS key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
// RotateKeyOnDemand, ListKeyRotations, and the automatic rotations the maintenance sweep
// makes when they are due.
//
// A rotation adds a material version (common.h); every earlier version stays, so every
// ciphertext made before still decrypts. Record fields: "RotationEnabled",
// "RotationPeriodInDays", "NextRotationDate" and "RotationBase" (when the period was last
// counted from: enabling, or the last automatic rotation). A due rotation is indexed
// under DueKey("rotation", NextRotationDate, RECORD-ID). A multi-Region key rotates at
// its primary, which gives each new version to its replicas.
#include <tuple>
#include <vector>

#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kDefaultPeriodDays = 365;
constexpr std::string_view kRotation = "rotation";  // DueKey's kind
constexpr size_t kMaxOnDemandRotations = 25;
// AWS refuses an on-demand rotation this close to an automatic one.
constexpr int64_t kConflictWindow = 20 * 60;
constexpr size_t kDefaultListLimit = 100;

Status ExternalOrigin(const Json& key) {
  return Unsupported(key.value("Arn", "") + " origin is " + key.value("Origin", "") +
                     " which is not valid for this operation.");
}

// The key a rotation setting changes: the caller's own, enabled, a symmetric key of
// AWS_KMS origin (or, for an on-demand rotation, of imported material) managed by the
// customer.
Result<Json> RotatableKey(storage::Transaction& txn, RequestContext& ctx, const Json& input,
                          bool imported_ok = false) {
  ASSIGN_OR_RETURN(Json key, LoadOwnKey(txn, ctx, input.value("KeyId", "")));
  const std::string origin = key.value("Origin", "");
  if (origin != "AWS_KMS" && !(imported_ok && origin == "EXTERNAL")) return ExternalOrigin(key);
  const std::string state = key.value("KeyState", "");
  if (state != "Enabled") return CheckUsable(key);
  // AWS answers asymmetric and HMAC keys with an empty message.
  if (!IsSymmetricKey(key)) return Unsupported("");
  if (key.value("KeyManager", "") == "AWS") {
    return Unsupported(key.value("Arn", "") +
                       " is an AWS managed key, which KMS rotates every year.");
  }
  // A multi-Region key's material is its primary's: rotation is set and done there.
  if (IsMultiRegionReplica(key)) {
    return Unsupported(key.value("Arn", "") + " is a replica key; rotate its primary key in " +
                       key.value("PrimaryRegion", "") + ".");
  }
  return key;
}

Status Unschedule(storage::Transaction& txn, const Json& key) {
  if (!key.contains("NextRotationDate")) return Status::Ok();
  return txn.Delete(DueKey(kRotation, key["NextRotationDate"].get<int64_t>(), RecordIdOf(key)));
}

Status Schedule(storage::Transaction& txn, Json& key, int64_t when) {
  RETURN_IF_ERROR(Unschedule(txn, key));
  key["NextRotationDate"] = when;
  return txn.Put(DueKey(kRotation, when, RecordIdOf(key)), "");
}

// One material of ListKeyRotations; `state` is its KeyMaterialState.
Json RotationEntry(const Json& key, const Json& version, std::string_view state) {
  Json entry = {{"KeyId", key["Arn"]},
                {"KeyMaterialId", version.value("MaterialId", "")},
                {"KeyMaterialState", std::string(state)}};
  if (version.contains("RotationType")) {
    entry["RotationDate"] = version["Created"];
    entry["RotationType"] = version["RotationType"];
  }
  if (key.value("Origin", "") == "EXTERNAL") {
    const bool imported = version.contains("Sealed");
    entry["ImportState"] = imported ? "IMPORTED" : "PENDING_IMPORT";
    if (imported && version.contains("ExpirationModel")) {
      entry["ExpirationModel"] = version["ExpirationModel"];
      if (version.contains("ValidTo")) entry["ValidTo"] = version["ValidTo"];
    }
    if (version.contains("Description")) entry["KeyMaterialDescription"] = version["Description"];
  }
  return entry;
}

}  // namespace

Result<Json> EnableKeyRotation(RequestContext& ctx, const Json& input) {
  const int64_t days = input.value("RotationPeriodInDays", kDefaultPeriodDays);
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, RotatableKey(*txn, ctx, input));
  if (!key.value("RotationEnabled", false)) key["RotationBase"] = now;
  key["RotationEnabled"] = true;
  key["RotationPeriodInDays"] = days;
  // A shorter period that has already run out rotates at the next sweep.
  const int64_t next = std::max(now, key.value("RotationBase", now) + days * kDay);
  RETURN_IF_ERROR(Schedule(*txn, key, next));
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(ShareRotationSettings(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> DisableKeyRotation(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, RotatableKey(*txn, ctx, input));
  RETURN_IF_ERROR(Unschedule(*txn, key));
  key["RotationEnabled"] = false;
  key.erase("NextRotationDate");
  key.erase("RotationBase");
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(ShareRotationSettings(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> GetKeyRotationStatus(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  if (key.value("Origin", "") != "AWS_KMS") return ExternalOrigin(key);
  // A key pending deletion reads as not rotating (and rotates again if the deletion is
  // cancelled); asymmetric and HMAC keys never rotate.
  const bool enabled =
      key.value("RotationEnabled", false) && !IsPendingDeletion(key) && IsSymmetricKey(key);
  Json out = {{"KeyRotationEnabled", enabled}, {"KeyId", key["Arn"]}};
  if (enabled) {
    out["RotationPeriodInDays"] = key.value("RotationPeriodInDays", kDefaultPeriodDays);
    if (key.contains("NextRotationDate")) out["NextRotationDate"] = key["NextRotationDate"];
  }
  return out;
}

Result<Json> RotateKeyOnDemand(RequestContext& ctx, const Json& input) {
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, RotatableKey(*txn, ctx, input, /*imported_ok=*/true));
  size_t on_demand = 0;
  for (const Json& v : ArrayMember(key, "Material")) {
    if (v.value("RotationType", "") == "ON_DEMAND") ++on_demand;
  }
  if (on_demand >= kMaxOnDemandRotations) {
    return LimitExceeded(
        "The on-demand rotations limit has been reached for the given keyId. No more on-demand "
        "rotations can be performed for this key: " +
        key.value("Arn", ""));
  }
  if (key.value("RotationEnabled", false) &&
      key.value("NextRotationDate", INT64_MAX) - now < kConflictWindow) {
    return Status::Service("ConflictException", 400,
                           "An automatic rotation of " + key.value("Arn", "") +
                               " is scheduled within the next 20 minutes.");
  }
  // Imported material: the material imported for this rotation becomes current.
  if (key.value("Origin", "") == "EXTERNAL") {
    RETURN_IF_ERROR(PromotePendingMaterial(ctx, key, now));
    RETURN_IF_ERROR(SaveKey(*txn, key));
    RETURN_IF_ERROR(txn->Commit());
    return Json{{"KeyId", key["Arn"]}};
  }
  // On-demand rotations leave the automatic schedule as it is.
  SecretBytes material = RandomSecret(32);
  RETURN_IF_ERROR(AddMaterialVersion(ctx, key, material, now, "ON_DEMAND"));
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(ShareMaterialVersion(ctx, *txn, key, material));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyId", key["Arn"]}};
}

Result<Json> ListKeyRotations(RequestContext& ctx, const Json& input) {
  const size_t limit = input.value("Limit", kDefaultListLimit);
  const bool all = input.value("IncludeKeyMaterial", "ROTATIONS_ONLY") == "ALL_KEY_MATERIAL";
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadOwnKey(*txn, ctx, input.value("KeyId", "")));
  GiveCurrentVersionTheKeysExpiry(key);
  if (!IsSymmetricKey(key)) return Unsupported("");
  if (key.value("Origin", "") != "AWS_KMS" && key.value("Origin", "") != "EXTERNAL") {
    return ExternalOrigin(key);
  }
  // The marker is the material version to continue after (the pending material, listed
  // last, counts as the version after the current one).
  uint32_t after = 0;
  if (auto it = input.find("Marker"); it != input.end()) {
    std::optional<std::string> marker = crypto::Base64Decode(it->get<std::string>());
    if (!marker || marker->empty() || marker->size() > 9 ||
        marker->find_first_not_of("0123456789") != std::string::npos) {
      return Status::Service("InvalidMarkerException", 400, "Invalid marker.");
    }
    after = static_cast<uint32_t>(std::stoul(*marker));
  }
  const Json& versions = ArrayMember(key, "Material");
  // (material, its number for the marker, its KeyMaterialState)
  std::vector<std::tuple<const Json*, uint32_t, std::string_view>> listed;
  for (size_t i = 0; i < versions.size(); ++i) {
    const Json& v = versions[i];
    if (!all && !v.contains("RotationType")) continue;
    listed.emplace_back(&v, v.value("Version", 0u),
                        i + 1 == versions.size() ? "CURRENT" : "NON_CURRENT");
  }
  if (all && key.contains("PendingMaterial")) {
    listed.emplace_back(&key["PendingMaterial"], CurrentVersion(key) + 1, "PENDING_ROTATION");
  }
  Json rotations = Json::array();
  bool truncated = false;
  uint32_t last = 0;
  for (const auto& [material, number, state] : listed) {
    if (number <= after) continue;
    if (rotations.size() == limit) {
      truncated = true;
      break;
    }
    rotations.push_back(RotationEntry(key, *material, state));
    last = number;
  }
  Json out = {{"Rotations", std::move(rotations)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = crypto::Base64Encode(std::to_string(last));
  return out;
}

Status RotateDueKeys(RequestContext& ctx, storage::Transaction& txn, int64_t now, size_t* done) {
  constexpr size_t kBatch = 16;
  ASSIGN_OR_RETURN(std::vector<std::string> due, TakeDue(txn, kRotation, now, kBatch));
  if (done) *done += due.size();
  for (const std::string& record_id : due) {
    ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(txn, record_id));
    if (!key || !key->value("RotationEnabled", false)) continue;
    key->erase("NextRotationDate");  // its due entry is gone
    // A disabled key or one pending deletion does not rotate; EnableKey (or a cancelled
    // deletion, then EnableKey) schedules the rotation it missed.
    if (key->value("KeyState", "") == "Enabled") {
      SecretBytes material = RandomSecret(32);
      RETURN_IF_ERROR(AddMaterialVersion(ctx, *key, material, now, "AUTOMATIC"));
      (*key)["RotationBase"] = now;
      const int64_t period = key->value("RotationPeriodInDays", kDefaultPeriodDays) * kDay;
      RETURN_IF_ERROR(Schedule(txn, *key, now + period));
      RETURN_IF_ERROR(ShareMaterialVersion(ctx, txn, *key, material));
    }
    RETURN_IF_ERROR(SaveKey(txn, *key));
    RETURN_IF_ERROR(ShareRotationSettings(txn, *key));
  }
  return Status::Ok();
}

Status MoveRotationSchedule(storage::Transaction& txn, Json& from, Json& to) {
  if (from.contains("NextRotationDate")) {
    const int64_t when = from["NextRotationDate"].get<int64_t>();
    RETURN_IF_ERROR(Unschedule(txn, from));
    RETURN_IF_ERROR(Schedule(txn, to, when));
    to["RotationBase"] = from.value("RotationBase", when);
  }
  from.erase("RotationBase");
  return Status::Ok();
}

Status ResumeRotation(storage::Transaction& txn, Json& key, int64_t now) {
  if (!key.value("RotationEnabled", false) || key.contains("NextRotationDate")) {
    return Status::Ok();
  }
  // A replica rotates with its primary.
  if (IsMultiRegionReplica(key)) {
    return Status::Ok();
  }
  const int64_t period = key.value("RotationPeriodInDays", kDefaultPeriodDays) * kDay;
  return Schedule(txn, key, std::max(now, key.value("RotationBase", now) + period));
}

}  // namespace bulwark::kms
