// KMS: the operation table. One row per operation Bulwark implements; operations of the
// model not listed here answer UnknownOperationException. Actions and condition keys
// from the Service Authorization Reference.
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"
#include "services/kms/kms.h"

namespace bulwark::kms {
namespace {

constexpr std::string_view kKey = "arn:aws:kms:{region}:{account}:key/{KeyId}";
// AliasName includes "alias/".
constexpr std::string_view kAlias = "arn:aws:kms:{region}:{account}:{AliasName}";

constexpr std::string_view kCallerKeys[] = {"kms:CallerAccount"};
constexpr std::string_view kCreateKeyKeys[] = {"kms:CallerAccount",
                                               "kms:KeyOrigin",
                                               "kms:KeySpec",
                                               "kms:KeyUsage",
                                               "kms:MultiRegion",
                                               "kms:MultiRegionKeyType",
                                               "kms:BypassPolicyLockoutSafetyCheck"};
constexpr std::string_view kReplicateKeys[] = {"kms:CallerAccount", "kms:ReplicaRegion"};
constexpr std::string_view kPrimaryRegionKeys[] = {"kms:CallerAccount", "kms:PrimaryRegion"};
constexpr std::string_view kAliasedKeys[] = {"kms:CallerAccount", "kms:RequestAlias"};
constexpr std::string_view kCryptoKeys[] = {"kms:CallerAccount", "kms:EncryptionAlgorithm",
                                            "kms:EncryptionContext:${EncryptionContextKey}",
                                            "kms:EncryptionContextKeys", "kms:RequestAlias"};
constexpr std::string_view kDataKeyPairKeys[] = {
    "kms:CallerAccount",         "kms:DataKeyPairSpec",
    "kms:EncryptionAlgorithm",   "kms:EncryptionContext:${EncryptionContextKey}",
    "kms:EncryptionContextKeys", "kms:RequestAlias"};
constexpr std::string_view kReEncryptKeys[] = {"kms:CallerAccount",
                                               "kms:EncryptionAlgorithm",
                                               "kms:EncryptionContext:${EncryptionContextKey}",
                                               "kms:EncryptionContextKeys",
                                               "kms:RequestAlias",
                                               "kms:ReEncryptOnSameKey"};
constexpr std::string_view kSignKeys[] = {"kms:CallerAccount", "kms:MessageType",
                                          "kms:RequestAlias", "kms:SigningAlgorithm"};
constexpr std::string_view kMacKeys[] = {"kms:CallerAccount", "kms:MacAlgorithm",
                                         "kms:RequestAlias"};
constexpr std::string_view kAgreementKeys[] = {"kms:CallerAccount", "kms:KeyAgreementAlgorithm",
                                               "kms:RequestAlias"};
constexpr std::string_view kCreateGrantKeys[] = {
    "kms:CallerAccount",         "kms:EncryptionContext:${EncryptionContextKey}",
    "kms:EncryptionContextKeys", "kms:GrantConstraintType",
    "kms:GrantIsForAWSResource", "kms:GrantOperations",
    "kms:GranteePrincipal",      "kms:RetiringPrincipal"};
constexpr std::string_view kGrantAdminKeys[] = {"kms:CallerAccount", "kms:GrantIsForAWSResource"};
constexpr std::string_view kRotationKeys[] = {"kms:CallerAccount", "kms:RotationPeriodInDays"};
constexpr std::string_view kDeletionKeys[] = {"kms:CallerAccount",
                                              "kms:ScheduleKeyDeletionPendingWindowInDays"};
constexpr std::string_view kPolicyKeys[] = {"kms:BypassPolicyLockoutSafetyCheck",
                                            "kms:CallerAccount"};
constexpr std::string_view kImportParametersKeys[] = {"kms:CallerAccount", "kms:WrappingAlgorithm",
                                                      "kms:WrappingKeySpec"};
constexpr std::string_view kImportKeys[] = {"kms:CallerAccount", "kms:ExpirationModel",
                                            "kms:ValidTo"};

// Condition keys read straight from an input member, with the member's default.
struct MemberKey {
  std::string_view key;
  std::string_view member;
  std::string_view fallback;  // "" with no default: the key is absent
};
constexpr MemberKey kMemberKeys[] = {
    {"kms:EncryptionAlgorithm", "EncryptionAlgorithm", "SYMMETRIC_DEFAULT"},
    {"kms:SigningAlgorithm", "SigningAlgorithm", ""},
    {"kms:MessageType", "MessageType", "RAW"},
    {"kms:MacAlgorithm", "MacAlgorithm", ""},
    {"kms:KeyAgreementAlgorithm", "KeyAgreementAlgorithm", ""},
    {"kms:DataKeyPairSpec", "KeyPairSpec", ""},
    {"kms:GranteePrincipal", "GranteePrincipal", ""},
    {"kms:RetiringPrincipal", "RetiringPrincipal", ""},
    {"kms:RotationPeriodInDays", "RotationPeriodInDays", "365"},
    {"kms:ScheduleKeyDeletionPendingWindowInDays", "PendingWindowInDays", "30"},
    {"kms:WrappingAlgorithm", "WrappingAlgorithm", ""},
    {"kms:WrappingKeySpec", "WrappingKeySpec", ""},
    {"kms:ExpirationModel", "ExpirationModel", "KEY_MATERIAL_EXPIRES"},
    {"kms:ValidTo", "ValidTo", ""},
    {"kms:BypassPolicyLockoutSafetyCheck", "BypassPolicyLockoutSafetyCheck", "false"},
    {"kms:KeySpec", "KeySpec", "SYMMETRIC_DEFAULT"},
    {"kms:KeyUsage", "KeyUsage", "ENCRYPT_DECRYPT"},
    {"kms:KeyOrigin", "Origin", "AWS_KMS"},
    {"kms:MultiRegion", "MultiRegion", "false"},
    {"kms:ReplicaRegion", "ReplicaRegion", ""},
    {"kms:PrimaryRegion", "PrimaryRegion", ""},
};

std::string ScalarText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) return std::to_string(static_cast<int64_t>(v.get<double>()));
  return v.dump();
}

void SetMemberKeys(const OperationSpec& op, const Json& input, policy::RequestContext* request) {
  for (const MemberKey& k : kMemberKeys) {
    if (!op.HasConditionKey(k.key)) continue;
    auto it = input.find(k.member);
    if (it != input.end() && !it->is_null()) {
      request->SetKey(std::string(k.key), ScalarText(*it));
    } else if (!k.fallback.empty()) {
      request->SetKey(std::string(k.key), std::string(k.fallback));
    }
  }
}

// kms:EncryptionContext:* and kms:EncryptionContextKeys from an encryption context.
void SetContextKeys(const Json& context, policy::RequestContext* request) {
  if (!context.is_object()) return;
  std::vector<std::string> keys;
  for (const auto& [k, v] : context.items()) {
    request->SetKey("kms:EncryptionContext:" + k, v.is_string() ? v.get<std::string>() : "");
    keys.push_back(k);
  }
  request->SetMultiValuedKey("kms:EncryptionContextKeys", std::move(keys));
}

// The key a ciphertext names, or null.
Result<KeyPtr> KeyOfBlob(storage::Transaction& txn, const RequestContext& ctx,
                         std::string_view blob) {
  std::optional<BlobHeader> header = ParseBlobHeader(blob);
  if (!header) return KeyPtr();
  return KeyOfCiphertext(txn, ctx, *header);
}

// The key a KeyId names (id, ARN, alias), or null; kms:RequestAlias set on `request`
// when an alias named it.
Result<KeyPtr> KeyNamed(storage::Transaction& txn, const RequestContext& ctx,
                        std::string_view key_id, policy::RequestContext* request) {
  ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(txn, ctx, key_id));
  if (!ref) return KeyPtr();
  if (!ref->alias_arn.empty()) {
    request->SetKey("kms:RequestAlias", ref->alias_arn.substr(ref->alias_arn.find(":alias/") + 1));
  }
  if (ref->record) return std::move(ref->record);
  return LoadKeyRecord(txn, ref->record_id);
}

// The key a decryption acts on: the one a symmetric ciphertext names, else the one
// `key_member` names (RSA ciphertexts do not name their key).
Result<KeyPtr> SourceKey(storage::Transaction& txn, const RequestContext& ctx, const Json& input,
                         std::string_view key_member, policy::RequestContext* request) {
  ASSIGN_OR_RETURN(KeyPtr key, KeyOfBlob(txn, ctx, BlobOf(input, "CiphertextBlob")));
  if (key) return key;
  return KeyNamed(txn, ctx, input.value(std::string(key_member), ""), request);
}

// What kms:CreateGrant's own condition keys say of the grant being made.
void SetCreateGrantKeys(const Json& input, policy::RequestContext* request) {
  std::vector<std::string> ops;
  for (const Json& op : ArrayMember(input, "Operations")) {
    if (op.is_string()) ops.push_back(op.get<std::string>());
  }
  request->SetMultiValuedKey("kms:GrantOperations", std::move(ops));
  request->SetKey("kms:GrantIsForAWSResource", "false");
  const Json& constraints = ObjectMember(input, "Constraints");
  for (const char* type : {"EncryptionContextEquals", "EncryptionContextSubset"}) {
    if (constraints.contains(type)) {
      request->SetKey("kms:GrantConstraintType", type);
      SetContextKeys(constraints[type], request);
    }
  }
}

// The grant operation a row's action stands for ("kms:Encrypt" → "Encrypt").
std::string_view GrantOperationOf(std::string_view action) { return action.substr(4); }

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    // keys.cc
    {"CreateKey", "kms:CreateKey", "*", kCreateKeyKeys, Mutates::kYes, &CreateKey},
    // DescribeKey creates an AWS managed key named by its predefined alias (managed.cc).
    {"DescribeKey", "kms:DescribeKey", kKey, kAliasedKeys, Mutates::kNo, &DescribeKey},
    {"ListKeys", "kms:ListKeys", "*", {}, Mutates::kNo, &ListKeys},
    {"EnableKey", "kms:EnableKey", kKey, kCallerKeys, Mutates::kYes, &EnableKey},
    {"DisableKey", "kms:DisableKey", kKey, kCallerKeys, Mutates::kYes, &DisableKey},
    {"UpdateKeyDescription", "kms:UpdateKeyDescription", kKey, kCallerKeys, Mutates::kYes,
     &UpdateKeyDescription},
    {"GetKeyPolicy", "kms:GetKeyPolicy", kKey, kCallerKeys, Mutates::kNo, &GetKeyPolicy},
    {"PutKeyPolicy", "kms:PutKeyPolicy", kKey, kPolicyKeys, Mutates::kYes, &PutKeyPolicy},
    {"ListKeyPolicies", "kms:ListKeyPolicies", kKey, kCallerKeys, Mutates::kNo, &ListKeyPolicies},
    {"ScheduleKeyDeletion", "kms:ScheduleKeyDeletion", kKey, kDeletionKeys, Mutates::kYes,
     &ScheduleKeyDeletion},
    {"CancelKeyDeletion", "kms:CancelKeyDeletion", kKey, kCallerKeys, Mutates::kYes,
     &CancelKeyDeletion},
    {"GetKeyLastUsage", "kms:GetKeyLastUsage", kKey, kCallerKeys, Mutates::kNo, &GetKeyLastUsage},
    // cryptography.cc
    {"Encrypt", "kms:Encrypt", kKey, kCryptoKeys, Mutates::kNo, &Encrypt},
    {"Decrypt", "kms:Decrypt", kKey, kCryptoKeys, Mutates::kNo, &Decrypt},
    // ReEncrypt: kms:ReEncryptFrom on the source key here, kms:ReEncryptTo on the
    // destination key through the hook.
    {"ReEncrypt", "kms:ReEncryptFrom", kKey, kReEncryptKeys, Mutates::kNo, &ReEncrypt},
    {"GenerateDataKey", "kms:GenerateDataKey", kKey, kCryptoKeys, Mutates::kNo, &GenerateDataKey},
    {"GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", kKey, kCryptoKeys,
     Mutates::kNo, &GenerateDataKeyWithoutPlaintext},
    {"GenerateDataKeyPair", "kms:GenerateDataKeyPair", kKey, kDataKeyPairKeys, Mutates::kNo,
     &GenerateDataKeyPair},
    {"GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyPairWithoutPlaintext", kKey,
     kDataKeyPairKeys, Mutates::kNo, &GenerateDataKeyPairWithoutPlaintext},
    {"GenerateRandom", "kms:GenerateRandom", "*", {}, Mutates::kNo, &GenerateRandom},
    // signing.cc
    {"GetPublicKey", "kms:GetPublicKey", kKey, kAliasedKeys, Mutates::kNo, &GetPublicKey},
    {"Sign", "kms:Sign", kKey, kSignKeys, Mutates::kNo, &Sign},
    {"Verify", "kms:Verify", kKey, kSignKeys, Mutates::kNo, &Verify},
    {"GenerateMac", "kms:GenerateMac", kKey, kMacKeys, Mutates::kNo, &GenerateMac},
    {"VerifyMac", "kms:VerifyMac", kKey, kMacKeys, Mutates::kNo, &VerifyMac},
    {"DeriveSharedSecret", "kms:DeriveSharedSecret", kKey, kAgreementKeys, Mutates::kNo,
     &DeriveSharedSecret},
    // rotation.cc
    {"EnableKeyRotation", "kms:EnableKeyRotation", kKey, kRotationKeys, Mutates::kYes,
     &EnableKeyRotation},
    {"DisableKeyRotation", "kms:DisableKeyRotation", kKey, kCallerKeys, Mutates::kYes,
     &DisableKeyRotation},
    {"GetKeyRotationStatus", "kms:GetKeyRotationStatus", kKey, kCallerKeys, Mutates::kNo,
     &GetKeyRotationStatus},
    {"RotateKeyOnDemand", "kms:RotateKeyOnDemand", kKey, kCallerKeys, Mutates::kYes,
     &RotateKeyOnDemand},
    {"ListKeyRotations", "kms:ListKeyRotations", kKey, kCallerKeys, Mutates::kNo,
     &ListKeyRotations},
    // grants.cc: a grant's grantee is allowed its operations through the hook.
    {"CreateGrant", "kms:CreateGrant", kKey, kCreateGrantKeys, Mutates::kYes, &CreateGrant},
    {"ListGrants", "kms:ListGrants", kKey, kGrantAdminKeys, Mutates::kNo, &ListGrants},
    {"ListRetirableGrants", "kms:ListRetirableGrants", "*", {}, Mutates::kNo, &ListRetirableGrants},
    // RetireGrant acts on the grant's key, which the hook finds from the grant.
    {"RetireGrant", "kms:RetireGrant", kKey, kCallerKeys, Mutates::kYes, &RetireGrant},
    {"RevokeGrant", "kms:RevokeGrant", kKey, kGrantAdminKeys, Mutates::kYes, &RevokeGrant},
    // import.cc
    {"GetParametersForImport", "kms:GetParametersForImport", kKey, kImportParametersKeys,
     Mutates::kYes, &GetParametersForImport},
    {"ImportKeyMaterial", "kms:ImportKeyMaterial", kKey, kImportKeys, Mutates::kYes,
     &ImportKeyMaterial},
    {"DeleteImportedKeyMaterial", "kms:DeleteImportedKeyMaterial", kKey, kCallerKeys, Mutates::kYes,
     &DeleteImportedKeyMaterial},
    // multiregion.cc: ReplicateKey also needs kms:CreateKey (IAM) in the replica's Region,
    // UpdatePrimaryRegion the action on the replica that becomes primary (its policy).
    {"ReplicateKey", "kms:ReplicateKey", kKey, kReplicateKeys, Mutates::kYes, &ReplicateKey},
    {"UpdatePrimaryRegion", "kms:UpdatePrimaryRegion", kKey, kPrimaryRegionKeys, Mutates::kYes,
     &UpdatePrimaryRegion},
    // aliases.cc: the row's resource is the alias; the hook adds the keys.
    {"CreateAlias", "kms:CreateAlias", kAlias, kCallerKeys, Mutates::kYes, &CreateAlias},
    {"UpdateAlias", "kms:UpdateAlias", kAlias, kCallerKeys, Mutates::kYes, &UpdateAlias},
    {"DeleteAlias", "kms:DeleteAlias", kAlias, kCallerKeys, Mutates::kYes, &DeleteAlias},
    {"ListAliases", "kms:ListAliases", "*", {}, Mutates::kNo, &ListAliases},
    // tags.cc: aws:RequestTag/* and aws:TagKeys from the hook (TagKey/TagValue members).
    {"TagResource", "kms:TagResource", kKey, kCallerKeys, Mutates::kYes, &TagResource},
    {"UntagResource", "kms:UntagResource", kKey, kCallerKeys, Mutates::kYes, &UntagResource},
    {"ListResourceTags", "kms:ListResourceTags", kKey, kCallerKeys, Mutates::kNo,
     &ListResourceTags},
};

// The key policy is the primary authority: the root user of the key's account is bound
// by it too.
constexpr ServiceSpec kService{"kms", kOperations, &CompleteAuthorization,
                               /*resource_policy_binds_root=*/true, &Maintain};

}  // namespace

Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  RETURN_IF_ERROR(CheckGrantTokens(ctx, input));
  policy::RequestContext& request = authz->context;
  request.SetKey("kms:CallerAccount", ctx.caller.account_id);
  SetMemberKeys(op, input, &request);
  if (op.HasConditionKey("kms:EncryptionContextKeys") && op.name != "CreateGrant") {
    SetContextKeys(
        input.value(op.name == "ReEncrypt" ? "SourceEncryptionContext" : "EncryptionContext",
                    Json::object()),
        &request);
  }
  if (op.name == "CreateKey") {
    std::vector<std::string> tag_keys;
    for (const Json& tag : ArrayMember(input, "Tags")) {
      request.SetKey("aws:RequestTag/" + tag.value("TagKey", ""), tag.value("TagValue", ""));
      tag_keys.push_back(tag.value("TagKey", ""));
    }
    if (!tag_keys.empty()) request.SetMultiValuedKey("aws:TagKeys", std::move(tag_keys));
  }
  if (op.name == "CreateGrant") SetCreateGrantKeys(input, &request);
  if (op.name == "CreateKey" && input.value("MultiRegion", false)) {
    request.SetKey("kms:MultiRegionKeyType", "PRIMARY");
  }
  SetTagRequestKeys(op, input, &request);
  if (op.resource_pattern == "*") return Status::Ok();
  if (op.resource_pattern.find(":{AliasName}") != std::string_view::npos) {
    return CompleteAliasAuthorization(ctx, op, input, authz);
  }
  if (op.name == "RetireGrant") return CompleteRetireGrantAuthorization(ctx, input, authz);

  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  // The key: the ciphertext's for Decrypt and ReEncrypt, else the one KeyId names.
  KeyPtr key;
  if (op.name == "Decrypt") {
    ASSIGN_OR_RETURN(key, SourceKey(*txn, ctx, input, "KeyId", &request));
  } else if (op.name == "ReEncrypt") {
    ASSIGN_OR_RETURN(key, SourceKey(*txn, ctx, input, "SourceKeyId", &request));
  } else {
    ASSIGN_OR_RETURN(key, KeyNamed(*txn, ctx, input.value("KeyId", ""), &request));
  }
  // A key that does not exist is decided by the IAM policies alone; the handler then
  // answers NotFoundException (or InvalidCiphertextException).
  if (key) {
    request.resource = (*key)["Arn"].get<std::string>();
    request.resource_account = (*key)["AWSAccountId"].get<std::string>();
    request.resource_policy_mode = policy::ResourcePolicyMode::kRequired;
    std::vector<std::pair<std::string, std::string>> keys;
    KeyConditionKeys(*key, &keys);
    for (auto& [name, value] : keys) request.SetKey(name, std::move(value));
    authz->resource_policy = KeyPolicyOf(*key);
    ASSIGN_OR_RETURN(authz->grant, MatchGrant(*txn, ctx, *key, GrantOperationOf(op.action), input));
  }
  if (op.name == "ReplicateKey") {
    // Making the replica is creating a key in its Region: IAM policies decide.
    AuthorizationRequest::OtherResource create;
    create.action = "kms:CreateKey";
    create.resource = "*";
    create.resource_account = ctx.caller.account_id;
    create.keys.emplace_back("kms:MultiRegionKeyType", "REPLICA");
    create.keys.emplace_back("aws:RequestedRegion", input.value("ReplicaRegion", ""));
    authz->other_resources.push_back(std::move(create));
  }
  if (op.name == "UpdatePrimaryRegion" && key) {
    ASSIGN_OR_RETURN(std::optional<Json> replica,
                     LoadKeyById(*txn, RecordIdFor((*key)["KeyId"].get<std::string>(),
                                                   input.value("PrimaryRegion", ""))));
    if (replica) authz->other_resources.push_back(KeyResource(op.action, *replica));
  }
  if (op.name == "ReEncrypt") {
    // The destination key must allow kms:ReEncryptTo as well.
    AuthorizationRequest::OtherResource to;
    to.action = "kms:ReEncryptTo";
    policy::RequestContext scratch;
    ASSIGN_OR_RETURN(KeyPtr destination,
                     KeyNamed(*txn, ctx, input.value("DestinationKeyId", ""), &scratch));
    const std::string same =
        key && destination && (*key)["KeyId"] == (*destination)["KeyId"] ? "true" : "false";
    request.SetKey("kms:ReEncryptOnSameKey", same);
    to.keys.emplace_back("kms:ReEncryptOnSameKey", same);
    to.keys.emplace_back("kms:EncryptionAlgorithm",
                         input.value("DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT"));
    if (destination) {
      AuthorizationRequest::OtherResource resource = KeyResource(to.action, *destination);
      resource.keys.insert(resource.keys.end(), to.keys.begin(), to.keys.end());
      to = std::move(resource);
      ASSIGN_OR_RETURN(to.grant, MatchGrant(*txn, ctx, *destination, "ReEncryptTo", input));
    } else {
      to.resource = input.value("DestinationKeyId", "");
      to.resource_account = ctx.caller.account_id;
    }
    if (const policy::ContextValue* alias = scratch.Find("kms:requestalias")) {
      to.keys.emplace_back("kms:RequestAlias", alias->values.at(0));
    }
    const Json& context = ObjectMember(input, "DestinationEncryptionContext");
    for (const auto& [k, v] : context.items()) {
      to.keys.emplace_back("kms:EncryptionContext:" + k, v.is_string() ? v.get<std::string>() : "");
    }
    authz->other_resources.push_back(std::move(to));
  }
  return Status::Ok();
}

const ServiceSpec& Service() { return kService; }

}  // namespace bulwark::kms
