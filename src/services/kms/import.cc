// Key material of EXTERNAL origin: GetParametersForImport, ImportKeyMaterial,
// DeleteImportedKeyMaterial, and the expiry of imported material.
//
// Records:
// - "kms/import/KEY-ID/TOKEN" (TOKEN: 64 hex digits): a wrapping key pair's private key
//   (sealed under this path), its WrappingAlgorithm and ParametersValidTo (24 hours).
//   The ImportToken is "KI" 0x01 | key id | 32 token bytes.
// - in the key record, each material version keeps "Digest" (SHA-256 of the material, or
//   of the public key for an asymmetric key) when its material is deleted, so that only
//   the same material can be imported again, and has its own "ExpirationModel", "ValidTo"
//   and "Description" (KeyMaterialDescription); the key's "ExpirationModel" and "ValidTo"
//   are its current version's, as KeyMetadata shows them. Expiring material is indexed
//   under DueKey("expiry", VALID-TO, RECORD-ID).
// - "PendingMaterial": a symmetric key's new material imported for rotation (ImportType
//   NEW_KEY_MATERIAL), in the shape of a version without a number, sealed under version
//   0's path; RotateKeyOnDemand makes it the next version (PromotePendingMaterial).
#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"
#include "storage/sealer.h"

namespace bulwark::kms {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kParametersLifetime = kDay;
constexpr int64_t kMaxValidity = 365 * kDay;
constexpr std::string_view kExpiry = "expiry";  // DueKey's kind
constexpr std::string_view kTokenMagic = "KI\x01";
constexpr size_t kTokenBytes = 32;

std::string ImportKey(std::string_view key_id, std::string_view token_hex) {
  return "kms/import/" + std::string(key_id) + "/" + std::string(token_hex);
}

Status InvalidImportToken() {
  return Status::Service("InvalidImportTokenException", 400,
                         "The import token is invalid or belongs to another KMS key.");
}

Status IncorrectMaterial(std::string message) {
  return Status::Service("IncorrectKeyMaterialException", 400, std::move(message));
}

// The caller's key of EXTERNAL origin, not pending deletion.
Result<Json> ExternalKey(storage::Transaction& txn, RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(Json key, LoadOwnKey(txn, ctx, input.value("KeyId", "")));
  if (key.value("Origin", "") != "EXTERNAL") {
    return Unsupported(key.value("Arn", "") + " origin is " + key.value("Origin", "") +
                       " which is not valid for this operation.");
  }
  if (IsPendingDeletion(key)) {
    return InvalidState(key.value("Arn", "") + " is pending deletion.");
  }
  return key;
}

// The SHA-256 that identifies key material: of the public key for an asymmetric key, of
// the material itself otherwise (random key bytes: nothing to learn from the digest).
Result<std::string> DigestOf(const Json& key, const SecretBytes& material) {
  if (IsAsymmetricKey(key)) {
    ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyFromPrivateKey(material));
    return crypto::Sha256Hex(public_key);
  }
  return crypto::Sha256Hex(material.view());
}

// Key material that fits the key's spec.
Status CheckMaterialFits(const Json& key, const SecretBytes& material) {
  const std::string spec = key.value("KeySpec", "");
  if (spec == "SYMMETRIC_DEFAULT") {
    if (material.size() != 32) {
      return IncorrectMaterial("Symmetric key material must be 256 bits (32 bytes) long.");
    }
    return Status::Ok();
  }
  std::optional<crypto::KeySpec> s = crypto::KeySpecFromName(spec);
  if (!s) return IncorrectMaterial("Key material cannot be imported for key spec " + spec + ".");
  if (crypto::IsHmacKeySpec(*s)) {
    // At least the digest size, at most the hash's block size.
    const size_t min = crypto::HmacKeySize(*s);
    const size_t max =
        (*s == crypto::KeySpec::kHmac224 || *s == crypto::KeySpec::kHmac256) ? 64 : 128;
    if (material.size() < min || material.size() > max) {
      return IncorrectMaterial("HMAC key material for " + spec + " must be " + std::to_string(min) +
                               " to " + std::to_string(max) + " bytes long.");
    }
    return Status::Ok();
  }
  Result<crypto::KeySpec> of = crypto::KeySpecOfPrivateKey(material);
  if (!of.ok() || *of != *s) {
    return IncorrectMaterial("The key material is not a DER-encoded PKCS#8 " + spec +
                             " private key.");
  }
  return Status::Ok();
}

constexpr uint32_t kPendingVersion = 0;  // the seal path of pending material

// The key's ExpirationModel and ValidTo: its current version's, while it has material.
void ShowCurrentExpiry(Json& key) {
  key.erase("ExpirationModel");
  key.erase("ValidTo");
  const Json& versions = ArrayMember(key, "Material");
  if (versions.empty() || !versions.back().contains("Sealed")) return;
  for (const char* member : {"ExpirationModel", "ValidTo"}) {
    if (versions.back().contains(member)) key[member] = versions.back()[member];
  }
}

bool IsPendingMaterial(const Json& key, const Json& material) {
  auto it = key.find("PendingMaterial");
  return it != key.end() && &*it == &material;
}

// Every material of the key: its versions, then the material pending rotation.
std::vector<Json*> Materials(Json& key) {
  std::vector<Json*> out;
  if (key["Material"].is_array()) {
    for (Json& v : key["Material"]) out.push_back(&v);
  }
  if (key.contains("PendingMaterial")) out.push_back(&key["PendingMaterial"]);
  return out;
}

// A material's expiry: its due entry goes unless another material of the key expires at
// the same moment (the sweep checks each material's own ValidTo anyway).
Status Unschedule(storage::Transaction& txn, Json& key, const Json& material) {
  if (!material.contains("ValidTo")) return Status::Ok();
  const int64_t when = material["ValidTo"].get<int64_t>();
  for (Json* other : Materials(key)) {
    if (other != &material && other->value("ValidTo", int64_t{-1}) == when) return Status::Ok();
  }
  return txn.Delete(DueKey(kExpiry, when, RecordIdOf(key)));
}

Status SetExpiry(storage::Transaction& txn, Json& key, Json& material, std::string_view model,
                 int64_t valid_to) {
  RETURN_IF_ERROR(Unschedule(txn, key, material));
  material["ExpirationModel"] = std::string(model);
  material.erase("ValidTo");
  if (model != "KEY_MATERIAL_EXPIRES") return Status::Ok();
  material["ValidTo"] = valid_to;
  return txn.Put(DueKey(kExpiry, valid_to, RecordIdOf(key)), "");
}

// Deletes one material (DeleteImportedKeyMaterial, expiry). A version keeps its digest,
// so that only the same material can be imported again; without its current material
// the key waits for it in PendingImport. Pending material goes altogether: it was never
// the key's.
Status DropMaterial(storage::Transaction& txn, Json& key, Json& material) {
  RETURN_IF_ERROR(Unschedule(txn, key, material));
  if (IsPendingMaterial(key, material)) {
    key.erase("PendingMaterial");
    return Status::Ok();
  }
  const bool current = &material == &key["Material"].back();
  material.erase("Sealed");
  material.erase("ExpirationModel");
  material.erase("ValidTo");
  if (current && !IsPendingDeletion(key)) key["KeyState"] = "PendingImport";
  ShowCurrentExpiry(key);
  return Status::Ok();
}

// The material a KeyMaterialId names, or null.
Json* MaterialNamed(Json& key, std::string_view id) {
  for (Json* m : Materials(key)) {
    if (m->value("MaterialId", "") == id) return m;
  }
  return nullptr;
}

}  // namespace

void GiveCurrentVersionTheKeysExpiry(Json& key) {
  auto versions = key.find("Material");
  if (versions == key.end() || !versions->is_array() || versions->empty()) return;
  Json& current = versions->back();
  for (const char* member : {"ExpirationModel", "ValidTo"}) {
    if (key.contains(member) && !current.contains(member)) current[member] = key[member];
  }
}

Result<Json> GetParametersForImport(RequestContext& ctx, const Json& input) {
  const std::string algorithm = input.value("WrappingAlgorithm", "");
  const std::string spec = input.value("WrappingKeySpec", "");
  std::optional<crypto::WrappingAlgorithm> alg = crypto::WrappingAlgorithmFromName(algorithm);
  if (!alg) return Unsupported("WrappingAlgorithm " + algorithm + " is not supported.");
  std::optional<crypto::KeySpec> wrapping_spec = crypto::KeySpecFromName(spec);
  if (!wrapping_spec || !crypto::IsRsaKeySpec(*wrapping_spec)) {
    return Unsupported("WrappingKeySpec " + spec + " is not supported.");
  }
  const int64_t now = iam::Now(ctx);
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    RETURN_IF_ERROR(ExternalKey(*txn, ctx, input).status());
  }
  // RSA key generation takes a while: outside the write transaction.
  ASSIGN_OR_RETURN(crypto::KeyPair pair, crypto::GenerateKeyPair(*wrapping_spec));
  uint8_t token_bytes[kTokenBytes];
  crypto::RandomBytes(token_bytes, sizeof(token_bytes));
  const std::string token_hex = crypto::HexEncode(token_bytes, sizeof(token_bytes));

  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, ExternalKey(*txn, ctx, input));
  const std::string key_id = key.value("KeyId", "");
  // Expired parameters of this key go.
  const std::string prefix = "kms/import/" + RecordIdOf(key) + "/";
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(prefix));
  for (const storage::KeyValue& row : rows) {
    Json old = Json::parse(row.value, nullptr, false);
    if (!old.is_object() || old.value("ParametersValidTo", int64_t{0}) <= now) {
      RETURN_IF_ERROR(txn->Delete(row.key));
    }
  }
  const std::string path = ImportKey(RecordIdOf(key), token_hex);
  ASSIGN_OR_RETURN(std::string sealed, ctx.env->sealer->Seal(path, pair.private_key.view()));
  const int64_t valid_to = now + kParametersLifetime;
  RETURN_IF_ERROR(iam::Save(*txn, path,
                            Json{{"Sealed", crypto::Base64Encode(sealed)},
                                 {"WrappingAlgorithm", algorithm},
                                 {"ParametersValidTo", valid_to}}));
  RETURN_IF_ERROR(txn->Commit());
  std::string token(kTokenMagic);
  token += key_id;
  token.append(reinterpret_cast<const char*>(token_bytes), sizeof(token_bytes));
  return Json{{"KeyId", key["Arn"]},
              {"ImportToken", BinaryOf(token)},
              {"PublicKey", BinaryOf(pair.public_key)},
              {"ParametersValidTo", valid_to}};
}

Result<Json> ImportKeyMaterial(RequestContext& ctx, const Json& input) {
  const int64_t now = iam::Now(ctx);
  const std::string model = input.value("ExpirationModel", "KEY_MATERIAL_EXPIRES");
  const bool expires = model == "KEY_MATERIAL_EXPIRES";
  if (expires && !input.contains("ValidTo")) {
    return Validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
  }
  if (!expires && input.contains("ValidTo")) {
    return Validation(
        "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE");
  }
  const int64_t valid_to = expires ? static_cast<int64_t>(input["ValidTo"].get<double>()) : 0;
  if (expires && (valid_to <= now || valid_to > now + kMaxValidity)) {
    return Validation("The validTo date must be in the future and at most 365 days away.");
  }
  const std::string import_type = input.value("ImportType", "");
  if (import_type == "NEW_KEY_MATERIAL" && input.contains("KeyMaterialId")) {
    return Validation("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.");
  }
  const std::string token = BlobOf(input, "ImportToken");

  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, ExternalKey(*txn, ctx, input));
  const std::string key_id = key.value("KeyId", "");
  constexpr size_t kTokenSize = 3 + 36 + kTokenBytes;
  if (token.size() != kTokenSize || !token.starts_with(kTokenMagic) ||
      token.substr(3, 36) != key_id) {
    return InvalidImportToken();
  }
  const std::string path = ImportKey(RecordIdOf(key), crypto::HexEncode(token.substr(3 + 36)));
  ASSIGN_OR_RETURN(std::optional<Json> parameters, iam::Load(*txn, path));
  if (!parameters) return InvalidImportToken();
  if (parameters->value("ParametersValidTo", int64_t{0}) <= now) {
    return Status::Service("ExpiredImportTokenException", 400,
                           "The import token has expired; call GetParametersForImport again.");
  }
  std::optional<crypto::WrappingAlgorithm> alg =
      crypto::WrappingAlgorithmFromName(parameters->value("WrappingAlgorithm", ""));
  std::optional<std::string> sealed = crypto::Base64Decode(parameters->value("Sealed", ""));
  if (!alg || !sealed) return Status(ErrorKind::kInternalFailure, "kms: damaged import record");
  ASSIGN_OR_RETURN(SecretBytes wrapping_key, ctx.env->sealer->Open(path, *sealed));
  Result<SecretBytes> material =
      crypto::UnwrapKeyMaterial(wrapping_key, *alg, BlobOf(input, "EncryptedKeyMaterial"));
  if (!material.ok()) return InvalidCiphertext();
  RETURN_IF_ERROR(CheckMaterialFits(key, *material));
  ASSIGN_OR_RETURN(std::string digest, DigestOf(key, *material));
  const std::string arn = key.value("Arn", "");

  if (!key["Material"].is_array()) key["Material"] = Json::array();
  GiveCurrentVersionTheKeysExpiry(key);
  const bool first = key["Material"].empty();
  // AWS's default: new material for a key that never had any, the same material after.
  const bool fresh = import_type.empty() ? first : import_type == "NEW_KEY_MATERIAL";
  Json* target = nullptr;
  if (fresh) {
    for (Json* m : Materials(key)) {
      if (crypto::ConstantTimeEquals(m->value("Digest", ""), digest)) {
        return IncorrectMaterial("The key material was imported into " + arn +
                                 " before; import it with ImportType EXISTING_KEY_MATERIAL.");
      }
    }
    if (first) {
      RETURN_IF_ERROR(AddMaterialVersion(ctx, key, *material, now));
      target = &key["Material"].back();
      if (IsAsymmetricKey(key)) {
        ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyFromPrivateKey(*material));
        key["PublicKey"] = crypto::Base64Encode(public_key);
      }
    } else {
      // New material for an on-demand rotation, which makes it current.
      if (!IsSymmetricKey(key)) {
        return Unsupported(
            "New key material can be imported for rotation only into symmetric "
            "encryption keys; " +
            arn + " has key spec " + key.value("KeySpec", "") + ".");
      }
      if (IsMultiRegionKeyId(key_id)) {
        return Unsupported("Importing new key material into multi-Region key " + arn +
                           " is not supported.");
      }
      if (key.contains("PendingMaterial")) {
        return InvalidState(arn + " already has key material pending rotation (" +
                            key["PendingMaterial"].value("MaterialId", "") +
                            "); rotate the key or delete that material first.");
      }
      ASSIGN_OR_RETURN(std::string resealed, SealMaterial(ctx, key, kPendingVersion, *material));
      key["PendingMaterial"] = {
          {"MaterialId", NewMaterialId()}, {"Sealed", std::move(resealed)}, {"Created", now}};
      target = &key["PendingMaterial"];
    }
    (*target)["Digest"] = digest;
  } else {
    // The same material again (after deletion or expiry, or to change its expiry).
    for (Json* m : Materials(key)) {
      if (crypto::ConstantTimeEquals(m->value("Digest", ""), digest)) target = m;
    }
    if (input.contains("KeyMaterialId")) {
      const std::string id = input.value("KeyMaterialId", "");
      Json* named = MaterialNamed(key, id);
      if (named == nullptr) {
        return NotFound("Key material " + id + " is not associated with " + arn + ".");
      }
      if (named != target) {
        return IncorrectMaterial("The key material is not key material " + id + " of " + arn + ".");
      }
    }
    if (target == nullptr) {
      return IncorrectMaterial("The key material is not the material previously imported into " +
                               arn + ".");
    }
    if (!target->contains("Sealed")) {
      const uint32_t version =
          IsPendingMaterial(key, *target) ? kPendingVersion : target->value("Version", 0u);
      ASSIGN_OR_RETURN(std::string resealed, SealMaterial(ctx, key, version, *material));
      (*target)["Sealed"] = std::move(resealed);
    }
  }
  if (input.contains("KeyMaterialDescription")) {
    (*target)["Description"] = input["KeyMaterialDescription"];
  }
  RETURN_IF_ERROR(SetExpiry(*txn, key, *target, model, valid_to));
  ShowCurrentExpiry(key);
  if (target == &key["Material"].back() && key.value("KeyState", "") == "PendingImport") {
    key["KeyState"] = "Enabled";
  }
  const std::string material_id = target->value("MaterialId", "");
  RETURN_IF_ERROR(txn->Delete(path));  // parameters are used once
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyId", key["Arn"]}, {"KeyMaterialId", material_id}};
}

Result<Json> DeleteImportedKeyMaterial(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, ExternalKey(*txn, ctx, input));
  if (!key["Material"].is_array()) key["Material"] = Json::array();
  GiveCurrentVersionTheKeysExpiry(key);
  // The current material unless KeyMaterialId names another.
  Json* target = key["Material"].empty() ? nullptr : &key["Material"].back();
  if (input.contains("KeyMaterialId")) {
    target = MaterialNamed(key, input.value("KeyMaterialId", ""));
    if (target == nullptr) {
      return NotFound("Key material " + input.value("KeyMaterialId", "") + " of " +
                      key.value("Arn", "") + " does not exist");
    }
  }
  if (target == nullptr) return Json{{"KeyId", key["Arn"]}};
  const std::string material_id = target->value("MaterialId", "");
  if (target->contains("Sealed")) {
    RETURN_IF_ERROR(DropMaterial(*txn, key, *target));
    RETURN_IF_ERROR(SaveKey(*txn, key));
    RETURN_IF_ERROR(txn->Commit());
  }
  return Json{{"KeyId", key["Arn"]}, {"KeyMaterialId", material_id}};
}

Status PromotePendingMaterial(const RequestContext& ctx, Json& key, int64_t now) {
  if (!key.contains("PendingMaterial") || !key["PendingMaterial"].contains("Sealed")) {
    return InvalidState(key.value("Arn", "") +
                        " has no key material pending rotation; import new key material "
                        "(ImportType NEW_KEY_MATERIAL) first.");
  }
  Json pending = key["PendingMaterial"];
  ASSIGN_OR_RETURN(SecretBytes material, OpenMaterial(ctx, key, kPendingVersion, pending));
  GiveCurrentVersionTheKeysExpiry(key);
  RETURN_IF_ERROR(AddMaterialVersion(ctx, key, material, now, "ON_DEMAND"));
  Json& version = key["Material"].back();
  for (const char* member : {"MaterialId", "Digest", "Description", "ExpirationModel", "ValidTo"}) {
    if (pending.contains(member)) version[member] = pending[member];
  }
  key.erase("PendingMaterial");
  ShowCurrentExpiry(key);
  return Status::Ok();
}

Status ExpireImportedMaterial(storage::Transaction& txn, int64_t now, size_t* done) {
  constexpr size_t kBatch = 16;
  ASSIGN_OR_RETURN(std::vector<std::string> due, TakeDue(txn, kExpiry, now, kBatch));
  if (done) *done += due.size();
  for (const std::string& record_id : due) {
    ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(txn, record_id));
    if (!key) continue;
    if (!(*key)["Material"].is_array()) (*key)["Material"] = Json::array();
    GiveCurrentVersionTheKeysExpiry(*key);
    // A key pending deletion stays so; its material is gone all the same. Backwards, so
    // that the pending material, whose entry dropping it erases, goes first.
    bool changed = false;
    std::vector<Json*> materials = Materials(*key);
    for (auto it = materials.rbegin(); it != materials.rend(); ++it) {
      Json& m = **it;
      if (!m.contains("Sealed") || m.value("ValidTo", INT64_MAX) > now) continue;
      RETURN_IF_ERROR(DropMaterial(txn, *key, m));
      changed = true;
    }
    if (changed) RETURN_IF_ERROR(SaveKey(txn, *key));
  }
  return Status::Ok();
}

}  // namespace bulwark::kms
