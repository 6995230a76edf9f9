// What KMS's handlers share: key records, key lookup by id, ARN or alias, AWS's KMS
// errors, sealed key material and the ciphertext blob format.
//
// Records (JSON):
// - "kms/key/KEY-ID": one per key, whatever its account (a ciphertext names its key by
//   id alone): the KeyMetadata fields, "Policy", "Tags", "Region", and "Material": the
//   key's versions [{"Version": n, "Sealed": base64, "Created": t}], sealed under the
//   path "kms/key/KEY-ID/N". The newest version encrypts; every version decrypts.
// - "kms/ACCOUNT/REGION/keys/KEY-ID": the account's listing of its keys (empty value).
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

std::string KeyRecordKey(std::string_view key_id);
std::string KeyListPrefix(std::string_view account, std::string_view region);
std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id);

// A key named by a request's KeyId member: a key id, a key ARN, an alias name
// ("alias/NAME") or an alias ARN, in the caller's account and region unless an ARN names
// another account. `via_alias` tells which alias, when one was used.
struct KeyRef {
  std::string key_id;
  std::string alias_arn;  // empty: not through an alias
};
Result<std::optional<KeyRef>> ResolveKeyId(storage::Transaction& txn, const RequestContext& ctx,
                                           std::string_view key_id);
// The key's record, or NotFoundException ("Key 'ARN' does not exist" / "Invalid keyId").
Result<Json> LoadKey(storage::Transaction& txn, const RequestContext& ctx, std::string_view key_id);
// The record of the key with this id, wherever it is, or nullopt.
Result<std::optional<Json>> LoadKeyById(storage::Transaction& txn, std::string_view key_id);
Status SaveKey(storage::Transaction& txn, const Json& key);

// A key that may be used for cryptography: Enabled; DisabledException,
// KMSInvalidStateException (pending deletion or import) otherwise.
Status CheckUsable(const Json& key);
// The KeyMetadata shape of a record.
Json KeyMetadata(const Json& key);

// The key material of `version` (the newest when 0), unsealed.
Result<SecretBytes> Material(const RequestContext& ctx, const Json& key, uint32_t version = 0);
uint32_t CurrentVersion(const Json& key);
// Adds a new version of freshly generated material (32 random bytes for symmetric keys).
Status AddMaterialVersion(const RequestContext& ctx, Json& key, const SecretBytes& material,
                          int64_t now);

// The ciphertext blob of symmetric keys:
//   "KB" 0x01 | key id (36 ASCII) | material version (4, big-endian) | AES-GCM sealed
// with the header and the encryption context (sorted, length-prefixed) as associated
// data. Any change to the blob or the context fails authentication.
struct BlobHeader {
  std::string key_id;
  uint32_t version = 0;
};
std::optional<BlobHeader> ParseBlobHeader(std::string_view blob);
Result<std::string> SealBlob(const RequestContext& ctx, const Json& key, std::string_view plaintext,
                             const Json& encryption_context);
// InvalidCiphertextException for anything that does not authenticate.
Result<SecretBytes> OpenBlob(const RequestContext& ctx, const Json& key, std::string_view blob,
                             const Json& encryption_context);

// The raw bytes of a blob member of the decoded input ("" when absent).
std::string BlobOf(const Json& input, std::string_view member);
Json BinaryOf(std::string_view bytes);

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
