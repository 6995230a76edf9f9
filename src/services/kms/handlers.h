// KMS's operation handlers, one per row of operations.cc, and what the files of this
// folder share beyond common.h.
#pragma once

#include <string_view>
#include <vector>

#include "core/secret.h"
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
BULWARK_KMS_HANDLER(GenerateDataKeyPair);
BULWARK_KMS_HANDLER(GenerateDataKeyPairWithoutPlaintext);
BULWARK_KMS_HANDLER(GenerateRandom);

// signing.cc
BULWARK_KMS_HANDLER(GetPublicKey);
BULWARK_KMS_HANDLER(Sign);
BULWARK_KMS_HANDLER(Verify);
BULWARK_KMS_HANDLER(GenerateMac);
BULWARK_KMS_HANDLER(VerifyMac);
BULWARK_KMS_HANDLER(DeriveSharedSecret);

// rotation.cc
BULWARK_KMS_HANDLER(EnableKeyRotation);
BULWARK_KMS_HANDLER(DisableKeyRotation);
BULWARK_KMS_HANDLER(GetKeyRotationStatus);
BULWARK_KMS_HANDLER(RotateKeyOnDemand);
BULWARK_KMS_HANDLER(ListKeyRotations);

// grants.cc
BULWARK_KMS_HANDLER(CreateGrant);
BULWARK_KMS_HANDLER(ListGrants);
BULWARK_KMS_HANDLER(ListRetirableGrants);
BULWARK_KMS_HANDLER(RetireGrant);
BULWARK_KMS_HANDLER(RevokeGrant);

// import.cc
BULWARK_KMS_HANDLER(GetParametersForImport);
BULWARK_KMS_HANDLER(ImportKeyMaterial);
BULWARK_KMS_HANDLER(DeleteImportedKeyMaterial);

// usage.cc
BULWARK_KMS_HANDLER(GetKeyLastUsage);

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

// keys.cc: a new key record in the caller's account and Region, with fresh material
// unless its origin is EXTERNAL (CreateKey after its checks, and AWS managed keys).
struct KeyOptions {
  std::string key_spec = "SYMMETRIC_DEFAULT";
  std::string key_usage = "ENCRYPT_DECRYPT";
  std::string origin = "AWS_KMS";
  std::string key_manager = "CUSTOMER";
  std::string policy;
  std::string description;
  Json tags = Json::array();
  bool multi_region = false;  // an "mrk-" key id, primary in the caller's Region
};
Result<Json> NewKeyRecord(const RequestContext& ctx, const KeyOptions& options, int64_t now);
// keys.cc: stores a new key and lists it in its account and Region.
Status StoreNewKey(storage::Transaction& txn, const Json& key);
// keys.cc: MalformedPolicyDocumentException for a key policy that does not parse or
// that would lock the caller out (unless input's BypassPolicyLockoutSafetyCheck).
Status CheckNewKeyPolicy(const RequestContext& ctx, const Json& input, std::string_view document,
                         std::string_view key_arn);
// keys.cc: moves a key to PendingDeletion, destroyed by the sweep at `when`; saves it.
Status StartDeletionWindow(storage::Transaction& txn, Json& key, int64_t when);

// multiregion.cc: ReplicateKey, UpdatePrimaryRegion.
Result<Json> ReplicateKey(RequestContext& ctx, const Json& input);
Result<Json> UpdatePrimaryRegion(RequestContext& ctx, const Json& input);
// multiregion.cc: whether a multi-Region primary key has replicas.
bool HasReplicas(const Json& key);
// multiregion.cc: the other keys of a multi-Region key (its primary and replicas in
// other Regions), as stored.
Result<std::vector<Json>> RelatedKeys(storage::Transaction& txn, const Json& key);
// multiregion.cc: after a multi-Region key's destruction, removes its Region from the
// others; a primary waiting in PendingReplicaDeletion for its last replica starts its
// deletion window.
Status ForgetRegion(storage::Transaction& txn, const Json& destroyed, int64_t now);
// multiregion.cc: the properties a multi-Region key shares — a new material version
// (rotation; `material` is its plaintext) and the rotation settings — copied from the
// primary to its replicas. No-ops for other keys.
Status ShareMaterialVersion(const RequestContext& ctx, storage::Transaction& txn,
                            const Json& primary, const SecretBytes& material);
Status ShareRotationSettings(storage::Transaction& txn, const Json& primary);
// keys.cc: destroys the keys whose deletion window has ended (a few per call), inside a
// write. The sweeps below add the number of due entries they took to `*done`.
Status SweepDeletedKeys(storage::Transaction& txn, int64_t now, size_t* done = nullptr);
// maintenance.cc: the service's maintenance hook (ServiceSpec::maintain): deletions,
// automatic rotations, expired imported material, and key usage records.
Status Maintain(ServiceEnvironment& env);

// rotation.cc: the automatic rotations due at `now` (a few per call), inside a write.
Status RotateDueKeys(RequestContext& ctx, storage::Transaction& txn, int64_t now,
                     size_t* done = nullptr);
// rotation.cc: schedules the rotation of a key that comes back to Enabled with automatic
// rotation on and no rotation scheduled (one missed while it was disabled rotates now).
Status ResumeRotation(storage::Transaction& txn, Json& key, int64_t now);

// rotation.cc: moves the automatic rotation due for `from` (a multi-Region primary) to
// `to` (the replica becoming primary), in the records and the due index; the caller
// saves both.
Status MoveRotationSchedule(storage::Transaction& txn, Json& from, Json& to);

// import.cc: deletes imported material whose ValidTo has passed (a few per call).
// import.cc: records from before imported materials had their own expiry keep the current
// one's on the key; this gives it to the current version, where it is read now.
void GiveCurrentVersionTheKeysExpiry(Json& key);
// RotateKeyOnDemand of a key with imported material: its material pending rotation
// becomes the next version (KMSInvalidStateException when there is none).
Status PromotePendingMaterial(const RequestContext& ctx, Json& key, int64_t now);
Status ExpireImportedMaterial(storage::Transaction& txn, int64_t now, size_t* done = nullptr);

// usage.cc: remembers the key's latest successful cryptographic operation
// (GetKeyLastUsage); written to storage by the maintenance sweep.
void RecordUse(const RequestContext& ctx, const Json& key, std::string_view operation);
// usage.cc: writes the uses remembered since the last call.
Status FlushUsage(storage::Transaction& txn);
// usage.cc: forgets the uses of a key being destroyed.
Status DeleteUsageOf(storage::Transaction& txn, std::string_view key_id);

// managed.cc: the AWS managed key of `alias_name` ("alias/aws/SERVICE") in the caller's
// account and Region, created on first use as AWS creates them; nullopt when the name is
// not one of AWS's predefined aliases.
Result<std::optional<Json>> AwsManagedKey(RequestContext& ctx, std::string_view alias_name);

// grants.cc: InvalidGrantTokenException for a GrantTokens entry that is not a token of
// this server's.
Status CheckGrantTokens(const RequestContext& ctx, const Json& input);
// grants.cc: whether one of `key`'s grants allows the caller `operation` (a grant
// operation name: "Encrypt", "ReEncryptFrom"...) for a request with this input.
Result<AuthorizationRequest::Grant> MatchGrant(storage::Transaction& txn, const RequestContext& ctx,
                                               const Json& key, std::string_view operation,
                                               const Json& input);
// grants.cc: RetireGrant's authorization: the grant's key and its policy; the retiring
// principal (and a grantee allowed RetireGrant) may retire the grant without a policy.
Status CompleteRetireGrantAuthorization(RequestContext& ctx, const Json& input,
                                        AuthorizationRequest* authz);
// grants.cc: deletes every grant of a key being destroyed.
Status DeleteGrantsOf(storage::Transaction& txn, const Json& key);

// operations.cc: the authorization hook. The key's policy is the resource policy that
// must allow (kms: condition keys set), or one of its grants; for Decrypt the key is
// the ciphertext's.
Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz);

// aliases.cc: the key a KeyId names (LoadKey), refused with NotFoundException when it
// belongs to another account or Region (operations without cross-account use).
Result<Json> LoadOwnKey(storage::Transaction& txn, RequestContext& ctx, std::string_view key_id);
// aliases.cc: writes the alias `name` ("alias/...") of `key_id` in the caller's account
// and Region (CreateAlias, AWS managed keys); the caller checks that it is free.
Status SaveAlias(storage::Transaction& txn, const RequestContext& ctx, std::string_view name,
                 std::string_view key_id, int64_t now);
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
