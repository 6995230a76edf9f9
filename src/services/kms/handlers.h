// KMS's operation handlers, one per row of operations.cc.
#pragma once

#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::kms {

#define BULWARK_KMS_HANDLER(name) Result<Json> name(RequestContext& ctx, const Json& input)

// keys.cc
BULWARK_KMS_HANDLER(CreateKey);
BULWARK_KMS_HANDLER(DescribeKey);
BULWARK_KMS_HANDLER(ListKeys);
BULWARK_KMS_HANDLER(EnableKey);
BULWARK_KMS_HANDLER(DisableKey);
BULWARK_KMS_HANDLER(UpdateKeyDescription);
BULWARK_KMS_HANDLER(GetKeyPolicy);
BULWARK_KMS_HANDLER(PutKeyPolicy);
BULWARK_KMS_HANDLER(ListKeyPolicies);
BULWARK_KMS_HANDLER(ScheduleKeyDeletion);
BULWARK_KMS_HANDLER(CancelKeyDeletion);

// cryptography.cc
BULWARK_KMS_HANDLER(Encrypt);
BULWARK_KMS_HANDLER(Decrypt);
BULWARK_KMS_HANDLER(ReEncrypt);
BULWARK_KMS_HANDLER(GenerateDataKey);
BULWARK_KMS_HANDLER(GenerateDataKeyWithoutPlaintext);
BULWARK_KMS_HANDLER(GenerateRandom);

// aliases.cc
BULWARK_KMS_HANDLER(CreateAlias);
BULWARK_KMS_HANDLER(UpdateAlias);
BULWARK_KMS_HANDLER(DeleteAlias);
BULWARK_KMS_HANDLER(ListAliases);

// tags.cc
BULWARK_KMS_HANDLER(TagResource);
BULWARK_KMS_HANDLER(UntagResource);
BULWARK_KMS_HANDLER(ListResourceTags);

#undef BULWARK_KMS_HANDLER

// Destroys the keys whose deletion window has ended (a few per call), inside a write.
Status SweepDeletedKeys(storage::Transaction& txn, int64_t now);

// operations.cc: the authorization hook. The key's policy is the resource policy that
// must allow (kms: condition keys set); for Decrypt the key is the ciphertext's.
Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz);

// aliases.cc: the key a KeyId names (LoadKey), refused with NotFoundException when it
// belongs to another account or Region (operations without cross-account use).
Result<Json> LoadOwnKey(storage::Transaction& txn, RequestContext& ctx, std::string_view key_id);
// aliases.cc: deletes the aliases of a key being destroyed (the sweep's write).
Status DeleteAliasesOf(storage::Transaction& txn, const Json& key);
// aliases.cc: the rest of CreateAlias's, UpdateAlias's and DeleteAlias's authorization.
// The row's resource is the alias (IAM policies decide); each key the operation touches
// (target, current, new) must allow the same action through its key policy, as a
// further resource of the request.
Status CompleteAliasAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                                  AuthorizationRequest* authz);

// tags.cc: TagException for more than 50 tags, a repeated tag key or an "aws:" one
// (TagResource's and CreateKey's Tags).
Status CheckTags(const Json& tags);
// tags.cc: aws:RequestTag/* and aws:TagKeys of TagResource (TagKey/TagValue) and
// UntagResource (TagKeys).
void SetTagRequestKeys(const OperationSpec& op, const Json& input, policy::RequestContext* request);

}  // namespace bulwark::kms
