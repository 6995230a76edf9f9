// Key material of EXTERNAL origin: GetParametersForImport, ImportKeyMaterial,
// DeleteImportedKeyMaterial, and the expiry of imported material.
//
// Records:
// - "kms/import/KEY-ID/TOKEN" (TOKEN: 64 hex digits): a wrapping key pair's private key
//   (sealed under this path), its WrappingAlgorithm and ParametersValidTo (24 hours).
//   The ImportToken is "KI" 0x01 | key id | 32 token bytes.
// - in the key record, each material version keeps "Digest" (SHA-256 of the material, or
//   of the public key for an asymmetric key) when its material is deleted, so that only
//   the same material can be imported again; "ExpirationModel" and "ValidTo" as
//   KeyMetadata shows them. Expiring material is indexed under DueKey("expiry", ...).
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

// Deletes the key's material (DeleteImportedKeyMaterial, expiry): each version keeps its
// digest, the key waits for the same material again.
void DropMaterial(Json& key) {
  for (Json& v : key["Material"]) v.erase("Sealed");
  key["KeyState"] = "PendingImport";
  key.erase("ExpirationModel");
  key.erase("ValidTo");
}

Status Unschedule(storage::Transaction& txn, const Json& key) {
  if (!key.contains("ValidTo")) return Status::Ok();
  return txn.Delete(DueKey(kExpiry, key["ValidTo"].get<int64_t>(), RecordIdOf(key)));
}

}  // namespace

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
  if (input.value("ImportType", "") == "NEW_KEY_MATERIAL" || input.contains("KeyMaterialId")) {
    // Without the import of new material for rotation, a key has one material.
    if (input.value("ImportType", "") == "NEW_KEY_MATERIAL") {
      return Unsupported("Importing new key material for rotation is not supported.");
    }
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

  Json& versions = key["Material"];
  if (!versions.is_array()) versions = Json::array();
  if (versions.empty()) {
    RETURN_IF_ERROR(AddMaterialVersion(ctx, key, *material, now));
    key["Material"].back()["Digest"] = digest;
    if (IsAsymmetricKey(key)) {
      ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyFromPrivateKey(*material));
      key["PublicKey"] = crypto::Base64Encode(public_key);
    }
  } else {
    // The same material again (after deletion or expiry, or to change its expiry).
    Json& current = key["Material"].back();
    if (!crypto::ConstantTimeEquals(current.value("Digest", ""), digest)) {
      return IncorrectMaterial("The key material is not the material previously imported into " +
                               key.value("Arn", "") + ".");
    }
    if (!current.contains("Sealed")) {
      const uint32_t version = current.value("Version", 0u);
      ASSIGN_OR_RETURN(
          std::string resealed,
          ctx.env->sealer->Seal(MaterialSealPath(RecordIdOf(key), version), material->view()));
      current["Sealed"] = crypto::Base64Encode(resealed);
    }
  }
  RETURN_IF_ERROR(Unschedule(*txn, key));
  key["ExpirationModel"] = model;
  if (expires) {
    key["ValidTo"] = valid_to;
    RETURN_IF_ERROR(txn->Put(DueKey(kExpiry, valid_to, RecordIdOf(key)), ""));
  } else {
    key.erase("ValidTo");
  }
  if (key.value("KeyState", "") == "PendingImport") key["KeyState"] = "Enabled";
  RETURN_IF_ERROR(txn->Delete(path));  // parameters are used once
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyId", key["Arn"]}, {"KeyMaterialId", CurrentMaterialId(key)}};
}

Result<Json> DeleteImportedKeyMaterial(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, ExternalKey(*txn, ctx, input));
  const std::string material_id = CurrentMaterialId(key);
  if (input.contains("KeyMaterialId") && input.value("KeyMaterialId", "") != material_id) {
    return NotFound("Key material " + input.value("KeyMaterialId", "") + " of " +
                    key.value("Arn", "") + " does not exist");
  }
  if (key.value("KeyState", "") != "PendingImport") {
    RETURN_IF_ERROR(Unschedule(*txn, key));
    DropMaterial(key);
    RETURN_IF_ERROR(SaveKey(*txn, key));
    RETURN_IF_ERROR(txn->Commit());
  }
  return Json{{"KeyId", key["Arn"]}, {"KeyMaterialId", material_id}};
}

Status ExpireImportedMaterial(storage::Transaction& txn, int64_t now, size_t* done) {
  constexpr size_t kBatch = 16;
  ASSIGN_OR_RETURN(std::vector<std::string> due, TakeDue(txn, kExpiry, now, kBatch));
  if (done) *done += due.size();
  for (const std::string& record_id : due) {
    ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(txn, record_id));
    if (!key || key->value("ValidTo", INT64_MAX) > now) continue;
    const std::string state = key->value("KeyState", "");
    DropMaterial(*key);
    // A key pending deletion stays so; its material is gone all the same.
    if (IsPendingDeletion(Json{{"KeyState", state}})) (*key)["KeyState"] = state;
    RETURN_IF_ERROR(SaveKey(txn, *key));
  }
  return Status::Ok();
}

}  // namespace bulwark::kms
