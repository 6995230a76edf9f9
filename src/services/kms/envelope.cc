// Envelope encryption for other services (envelope.h), through the same key lookup, state
// checks, ciphertext blobs, grants and usage records as KMS's own operations.
#include "services/kms/envelope.h"

#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr size_t kDataKeyBytes = 32;  // AES_256

std::string_view NameOf(std::string_view key_id, std::string_view managed_alias) {
  return key_id.empty() ? managed_alias : key_id;
}

// `action` ("kms:Decrypt") on `key` for the request's caller through `service`, with the
// condition keys KMS sets for a call a service makes on the caller's behalf.
Status AuthorizeKeyUse(RequestContext& ctx, storage::Transaction& txn, std::string_view service,
                       std::string_view action, const Json& key, std::string_view alias_arn,
                       const Json& context) {
  if (!ctx.authorizer) return Status(ErrorKind::kInternalFailure, "no authorizer for a key use");
  AuthorizationRequest::OtherResource use = KeyResource(action, key);
  use.keys.emplace_back("kms:CallerAccount", ctx.caller.account_id);
  use.keys.emplace_back("kms:ViaService",
                        std::string(service) + "." + ctx.region + ".amazonaws.com");
  use.keys.emplace_back("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
  std::vector<std::string> context_keys;
  for (const auto& [k, v] : context.items()) {
    use.keys.emplace_back("kms:EncryptionContext:" + k, v.is_string() ? v.get<std::string>() : "");
    context_keys.push_back(k);
  }
  use.multi_valued_keys.emplace_back("kms:EncryptionContextKeys", std::move(context_keys));
  if (!alias_arn.empty()) {
    use.keys.emplace_back("kms:RequestAlias",
                          std::string(alias_arn.substr(alias_arn.find(":alias/") + 1)));
  }
  ASSIGN_OR_RETURN(use.grant, MatchGrant(txn, ctx, key, action.substr(action.find(':') + 1),
                                         Json{{"EncryptionContext", context}}));
  return ctx.authorizer->AuthorizeUse(ctx, std::move(use));
}

// The symmetric encryption key `key_id` (or the AWS managed key) names, usable, and
// allowed to the caller for `action` (kms:GenerateDataKey, kms:Encrypt).
Result<KeyPtr> EncryptionKeyFor(RequestContext& ctx, std::string_view service,
                                std::string_view action, std::string_view key_id,
                                std::string_view managed_alias, const Json& context) {
  const std::string_view operation = action.substr(action.find(':') + 1);
  // The managed key named by its alias is the managed key, made on first use.
  if (key_id == managed_alias) key_id = {};
  const std::string_view name = NameOf(key_id, managed_alias);
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(*txn, ctx, name));
    if (ref || !key_id.empty()) {
      ASSIGN_OR_RETURN(KeyPtr key, KeyForUse(*txn, ctx, name, "ENCRYPT_DECRYPT", operation));
      if (!IsSymmetricKey(*key)) {
        return InvalidKeyUsage(key->value("Arn", "") + " key spec is " + key->value("KeySpec", "") +
                               " which is not valid for " + std::string(operation) + ".");
      }
      RETURN_IF_ERROR(
          AuthorizeKeyUse(ctx, *txn, service, action, *key, ref ? ref->alias_arn : "", context));
      return key;
    }
  }
  // The AWS managed key, made now (AwsManagedKey writes, so no transaction is open).
  ASSIGN_OR_RETURN(std::optional<Json> managed, AwsManagedKey(ctx, managed_alias));
  if (!managed) return NotFound("Alias " + std::string(managed_alias) + " is not found.");
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  RETURN_IF_ERROR(AuthorizeKeyUse(ctx, *txn, service, action, *managed, "", context));
  return std::make_shared<const Json>(std::move(*managed));
}

}  // namespace

Result<DataKey> GenerateDataKeyFor(RequestContext& ctx, std::string_view service,
                                   std::string_view key_id, std::string_view managed_alias,
                                   const Json& context) {
  ASSIGN_OR_RETURN(KeyPtr key, EncryptionKeyFor(ctx, service, "kms:GenerateDataKey", key_id,
                                                managed_alias, context));
  DataKey out{RandomSecret(kDataKeyBytes), "", key->value("Arn", "")};
  ASSIGN_OR_RETURN(out.ciphertext, SealBlob(ctx, *key, out.plaintext.view(), context));
  RecordUse(ctx, *key, "GenerateDataKey");
  return out;
}

Result<std::string> EncryptFor(RequestContext& ctx, std::string_view service,
                               std::string_view key_id, std::string_view managed_alias,
                               std::string_view plaintext, const Json& context,
                               std::string* key_arn) {
  ASSIGN_OR_RETURN(KeyPtr key,
                   EncryptionKeyFor(ctx, service, "kms:Encrypt", key_id, managed_alias, context));
  ASSIGN_OR_RETURN(std::string blob, SealBlob(ctx, *key, plaintext, context));
  RecordUse(ctx, *key, "Encrypt");
  if (key_arn) *key_arn = key->value("Arn", "");
  return blob;
}

Result<SecretBytes> DecryptFor(RequestContext& ctx, std::string_view service,
                               std::string_view ciphertext, const Json& context) {
  std::optional<BlobHeader> header = ParseBlobHeader(ciphertext);
  if (!header) return InvalidCiphertext();
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(KeyPtr key, KeyOfCiphertext(*txn, ctx, *header));
  if (!key) return InvalidCiphertext();
  RETURN_IF_ERROR(AuthorizeKeyUse(ctx, *txn, service, "kms:Decrypt", *key, "", context));
  RETURN_IF_ERROR(CheckUsable(*key));
  ASSIGN_OR_RETURN(SecretBytes plaintext, OpenBlob(ctx, *key, ciphertext, context));
  RecordUse(ctx, *key, "Decrypt");
  return plaintext;
}

Result<std::string> KeyArnOf(storage::Transaction& txn, const RequestContext& ctx,
                             std::string_view key_id, std::string_view managed_alias) {
  ASSIGN_OR_RETURN(std::optional<KeyRef> ref,
                   ResolveKeyId(txn, ctx, NameOf(key_id, managed_alias)));
  if (!ref) return std::string();
  KeyPtr key = ref->record;
  if (!key) {
    ASSIGN_OR_RETURN(key, LoadKeyRecord(txn, ref->record_id));
  }
  return key ? key->value("Arn", "") : std::string();
}

}  // namespace bulwark::kms
