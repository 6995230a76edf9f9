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
BULWARK_KMS_HANDLER(GenerateDataKey);
BULWARK_KMS_HANDLER(GenerateDataKeyWithoutPlaintext);
BULWARK_KMS_HANDLER(GenerateRandom);

#undef BULWARK_KMS_HANDLER

// Destroys the keys whose deletion window has ended (a few per call), inside a write.
Status SweepDeletedKeys(storage::Transaction& txn, int64_t now);

// operations.cc: the authorization hook. The key's policy is the resource policy that
// must allow (kms: condition keys set); for Decrypt the key is the ciphertext's.
Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz);

}  // namespace bulwark::kms
