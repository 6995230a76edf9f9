// What other services keep under KMS keys (Secrets Manager's secret versions, Parameter
// Store's SecureStrings): envelope encryption with a data key that KMS generates under the
// customer's key or the service's AWS managed key, bound to an encryption context, as the
// AWS services do it. Each use of a key is authorized for the request's caller, as KMS
// authorizes a service acting on its behalf.
#pragma once

#include <string>
#include <string_view>

#include "core/secret.h"
#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::kms {

// A data key: its plaintext (AES-256) and the KMS ciphertext blob that brings it back.
struct DataKey {
  SecretBytes plaintext;
  std::string ciphertext;
  std::string key_arn;  // the KMS key it is encrypted under
};

// A new data key under the key `key_id` names (id, ARN, alias, alias ARN) or, when
// `key_id` is empty, under the AWS managed key `managed_alias` ("alias/aws/ssm"), which is
// created on first use. The caller must be allowed kms:GenerateDataKey on the key (its
// key policy or a grant, with kms:ViaService SERVICE.REGION.amazonaws.com,
// kms:CallerAccount and kms:EncryptionContext:* of `context`), through ctx.authorizer.
// KMS's errors when the key cannot encrypt: NotFoundException, DisabledException,
// KMSInvalidStateException, InvalidKeyUsageException; AccessDeniedException.
Result<DataKey> GenerateDataKeyFor(RequestContext& ctx, std::string_view service,
                                   std::string_view key_id, std::string_view managed_alias,
                                   const Json& context);
// `plaintext` encrypted under the key as KMS's Encrypt does it (a ciphertext blob that
// KMS's Decrypt takes back with the same context), for a caller allowed kms:Encrypt on
// it as above; `key_arn` (when given) names the key used.
Result<std::string> EncryptFor(RequestContext& ctx, std::string_view service,
                               std::string_view key_id, std::string_view managed_alias,
                               std::string_view plaintext, const Json& context,
                               std::string* key_arn = nullptr);
// The plaintext of a blob GenerateDataKeyFor or EncryptFor made, with the same context,
// for a caller allowed kms:Decrypt on its key as above; KMS's errors
// (InvalidCiphertextException for anything that does not authenticate).
Result<SecretBytes> DecryptFor(RequestContext& ctx, std::string_view service,
                               std::string_view ciphertext, const Json& context);
// The ARN of the key `key_id` names (empty: the AWS managed key `managed_alias`), or ""
// when there is none (yet).
Result<std::string> KeyArnOf(storage::Transaction& txn, const RequestContext& ctx,
                             std::string_view key_id, std::string_view managed_alias);

}  // namespace bulwark::kms
