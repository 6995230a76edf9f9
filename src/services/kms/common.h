// What KMS's handlers share: key records, key lookup by id, ARN or alias, AWS's KMS
// errors, sealed key material and the ciphertext blob format.
//
// Records (JSON):
// - "kms/key/KEY-ID": one per key, whatever its account (a ciphertext names its key by
//   id alone): the KeyMetadata fields, "Policy", "Tags", "Region", and "Material": the
//   key's versions [{"Version": n, "Sealed": base64, "Created": t}], sealed under the
//   path "kms/key/KEY-ID/N". The newest version encrypts; every version decrypts.
//   Each version also has "MaterialId" (64 hex digits, KMS's KeyMaterialId) and, when a
//   rotation made it, "RotationType" (AUTOMATIC, ON_DEMAND). Asymmetric keys have one
//   version, a PKCS#8 private key, and their SubjectPublicKeyInfo as "PublicKey"
//   (base64); HMAC keys one version of raw key bytes.
// - "kms/ACCOUNT/REGION/keys/KEY-ID": the account's listing of its keys (empty value).
// - "kms/due/KIND/<20-digit time>/KEY-ID": work due at a time (deletion, rotation,
//   expiry of imported material), taken by the maintenance sweep in time order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/secret.h"
#include "services/service.h"
#include "services/service_util.h"
#include "storage/kv.h"

namespace bulwark::kms {

Status NotFound(std::string message);
Status Disabled(std::string message);
Status InvalidState(std::string message);
Status InvalidCiphertext();
Status IncorrectKey();
Status InvalidKeyUsage(std::string message);
Status Validation(std::string message);
Status AlreadyExists(std::string message);
Status LimitExceeded(std::string message);
Status MalformedPolicy(std::string message);
Status Unsupported(std::string message);
// KMSInvalidSignatureException / KMSInvalidMacException (empty messages, as AWS's).
Status InvalidSignature();
Status InvalidMac();
// DryRunOperationException (HTTP 412) when the request's DryRun is true; call it after
// every check the operation makes and before it acts.
Status CheckDryRun(const Json& input);
// UnsupportedOperationException for a Recipient (a Nitro Enclaves attestation document,
// which needs AWS Nitro Enclaves).
Status RefuseRecipient(const Json& input);
// "<key ARN> key usage is USAGE which is not valid for OPERATION."
Status WrongKeyUsage(const Json& key, std::string_view operation);
// "Algorithm ALG is incompatible with key spec SPEC."
Status IncompatibleAlgorithm(std::string_view algorithm, const Json& key);

// Where a key's record is: "kms/key/RECORD-ID". The record id is the key id, but for
// multi-Region keys, whose replicas share their key id across Regions: "mrk-…@REGION".
// Every per-key storage key (grants, aliases, material seal paths, usage, due work)
// uses the record id, so that each replica has its own.
std::string KeyRecordKey(std::string_view record_id);
bool IsMultiRegionKeyId(std::string_view key_id);  // "mrk-…"
// A multi-Region key's primary (its Region is the PrimaryRegion), or one of its
// replicas; neither for a single-Region key.
bool IsMultiRegionPrimary(const Json& key);
bool IsMultiRegionReplica(const Json& key);
std::string RecordIdFor(std::string_view key_id, std::string_view region);
std::string RecordIdOf(const Json& key);
std::string KeyListPrefix(std::string_view account, std::string_view region);
std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id);

// A key named by a request's KeyId member: a key id, a key ARN, an alias name
// ("alias/NAME") or an alias ARN, in the caller's account and region unless an ARN names
// another account. `via_alias` tells which alias, when one was used.
// A key record as it is stored, shared and never changed (records are read by every
// request on a key; see LoadKeyRecord).
using KeyPtr = std::shared_ptr<const Json>;

struct KeyRef {
  std::string record_id;  // RecordIdFor(key id, the Region it was named in)
  std::string alias_arn;  // empty: not through an alias
  KeyPtr record;          // the key's record, when the lookup read it already
};
Result<std::optional<KeyRef>> ResolveKeyId(storage::Transaction& txn, const RequestContext& ctx,
                                           std::string_view key_id);
// The key's record, or NotFoundException ("Key 'ARN' does not exist" / "Invalid keyId").
Result<Json> LoadKey(storage::Transaction& txn, const RequestContext& ctx, std::string_view key_id);
// The record with this record id (a key id, or "mrk-…@REGION"), wherever it is, or
// nullopt.
Result<std::optional<Json>> LoadKeyById(storage::Transaction& txn, std::string_view record_id);
// The same, shared (null when there is none): parsed once per stored content.
Result<KeyPtr> LoadKeyRecord(storage::Transaction& txn, std::string_view record_id);
// LoadKey's key, shared.
Result<KeyPtr> FindKey(storage::Transaction& txn, const RequestContext& ctx,
                       std::string_view key_id);
Status SaveKey(storage::Transaction& txn, const Json& key);

// A key that may be used for cryptography: Enabled; DisabledException,
// KMSInvalidStateException (pending deletion or import) otherwise.
Status CheckUsable(const Json& key);
// The key a cryptographic operation names: usable (CheckUsable), of KeyUsage `usage`
// (InvalidKeyUsageException otherwise).
Result<KeyPtr> KeyForUse(storage::Transaction& txn, const RequestContext& ctx,
                         std::string_view key_id, std::string_view usage,
                         std::string_view operation);

// PendingDeletion, or a multi-Region primary's PendingReplicaDeletion.
bool IsPendingDeletion(const Json& key);

// What a key's KeySpec makes it.
bool IsSymmetricKey(const Json& key);   // SYMMETRIC_DEFAULT
bool IsHmacKey(const Json& key);        // HMAC_*
bool IsAsymmetricKey(const Json& key);  // RSA_*, ECC_*
// The KeyMetadata shape of a record.
Json KeyMetadata(const Json& key);
// A multi-Region key's MultiRegionConfiguration, from its "PrimaryRegion" and the
// "Regions" of all its keys (every record of the key keeps both).
Json MultiRegionConfiguration(const Json& key);
// The ARN the same key id has in `region` (a multi-Region key's replicas).
std::string KeyArnIn(const Json& key, std::string_view region);

// The key material of `version` (the newest when 0), unsealed.
Result<SecretBytes> Material(const RequestContext& ctx, const Json& key, uint32_t version = 0);
uint32_t CurrentVersion(const Json& key);
// Adds a new version of key material, sealed, with a fresh KeyMaterialId;
// `rotation_type` (AUTOMATIC, ON_DEMAND) when a rotation made it.
Status AddMaterialVersion(const RequestContext& ctx, Json& key, const SecretBytes& material,
                          int64_t now, std::string_view rotation_type = {});
// The KeyMaterialId of the current version, or of `version` ("" when there is none).
std::string CurrentMaterialId(const Json& key);
std::string MaterialIdOf(const Json& key, uint32_t version);
// Material as a record keeps it under "Sealed": sealed under the path of `key`'s version
// `version` ("kms/key/RECORD-ID/N"), base64; OpenMaterial reverses it for a version entry.
Result<std::string> SealMaterial(const RequestContext& ctx, const Json& key, uint32_t version,
                                 const SecretBytes& material);
Result<SecretBytes> OpenMaterial(const RequestContext& ctx, const Json& key, uint32_t version,
                                 const Json& entry);
// A fresh KeyMaterialId (64 hex digits).
std::string NewMaterialId();
// The SubjectPublicKeyInfo (DER) of an asymmetric key.
std::string PublicKeyOf(const Json& key);

// Work due at a time, per kind ("deletion", "rotation", "expiry"):
// "kms/due/KIND/<20-digit time>/KEY-ID".
std::string DueKey(std::string_view kind, int64_t when, std::string_view key_id);
// Removes and returns up to `batch` key ids whose work of `kind` is due at `now`.
Result<std::vector<std::string>> TakeDue(storage::Transaction& txn, std::string_view kind,
                                         int64_t now, size_t batch);

// The ciphertext blob of symmetric keys:
//   "KB" 0x01 | key id (36 ASCII) | material version (4, big-endian) | AES-GCM sealed
// with the header and the encryption context (sorted, length-prefixed) as associated
// data. Any change to the blob or the context fails authentication.
struct BlobHeader {
  std::string key_id;
  uint32_t version = 0;
};
std::optional<BlobHeader> ParseBlobHeader(std::string_view blob);
// The key of a ciphertext in the request's Region (a multi-Region key's replica there),
// or null: a ciphertext does not decrypt in another Region than its key's.
Result<KeyPtr> KeyOfCiphertext(storage::Transaction& txn, const RequestContext& ctx,
                               const BlobHeader& header);
Result<std::string> SealBlob(const RequestContext& ctx, const Json& key, std::string_view plaintext,
                             const Json& encryption_context);
// InvalidCiphertextException for anything that does not authenticate.
Result<SecretBytes> OpenBlob(const RequestContext& ctx, const Json& key, std::string_view blob,
                             const Json& encryption_context);

Json BinaryOf(std::string_view bytes);
// A member of `object` by reference: an empty array (object) when it is missing or not
// an array (object). nlohmann's value(name, default) would copy it — a key's every
// material version, on every request.
const Json& ArrayMember(const Json& object, std::string_view name);
const Json& ObjectMember(const Json& object, std::string_view name);

// The condition keys a key brings to a request: kms:KeySpec, kms:KeyUsage,
// kms:KeyOrigin, aws:ResourceTag/*.
void KeyConditionKeys(const Json& key, std::vector<std::pair<std::string, std::string>>* out);
// The key's policy. A stored policy was validated when it was put; one that no longer
// parses allows nothing.
std::shared_ptr<const policy::Policy> KeyPolicyOf(const Json& key);
// `action` on `key` as a further resource of a request: its key policy must allow it,
// with the key's condition keys (ReEncrypt's destination, the keys of alias operations).
AuthorizationRequest::OtherResource KeyResource(std::string_view action, const Json& key);

// `size` bytes from the CSPRNG, held as a secret.
SecretBytes RandomSecret(size_t size);

// The default key policy: the account's IAM policies decide.
std::string DefaultKeyPolicy(std::string_view account);

}  // namespace bulwark::kms
