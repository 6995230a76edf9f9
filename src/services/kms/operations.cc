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
constexpr std::string_view kCreateKeyKeys[] = {"kms:CallerAccount", "kms:KeyOrigin", "kms:KeySpec",
                                               "kms:KeyUsage"};
constexpr std::string_view kKeyKeys[] = {"kms:CallerAccount", "kms:RequestAlias"};
constexpr std::string_view kCryptoKeys[] = {"kms:CallerAccount", "kms:EncryptionAlgorithm",
                                            "kms:EncryptionContext:${EncryptionContextKey}",
                                            "kms:EncryptionContextKeys", "kms:RequestAlias"};

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    // keys.cc
    {"CreateKey", "kms:CreateKey", "*", kCreateKeyKeys, Mutates::kYes, &CreateKey},
    {"DescribeKey", "kms:DescribeKey", kKey, kKeyKeys, Mutates::kNo, &DescribeKey},
    {"ListKeys", "kms:ListKeys", "*", {}, Mutates::kNo, &ListKeys},
    {"EnableKey", "kms:EnableKey", kKey, kKeyKeys, Mutates::kYes, &EnableKey},
    {"DisableKey", "kms:DisableKey", kKey, kKeyKeys, Mutates::kYes, &DisableKey},
    {"UpdateKeyDescription", "kms:UpdateKeyDescription", kKey, kKeyKeys, Mutates::kYes,
     &UpdateKeyDescription},
    {"GetKeyPolicy", "kms:GetKeyPolicy", kKey, kKeyKeys, Mutates::kNo, &GetKeyPolicy},
    {"PutKeyPolicy", "kms:PutKeyPolicy", kKey, kKeyKeys, Mutates::kYes, &PutKeyPolicy},
    {"ListKeyPolicies", "kms:ListKeyPolicies", kKey, kKeyKeys, Mutates::kNo, &ListKeyPolicies},
    {"ScheduleKeyDeletion", "kms:ScheduleKeyDeletion", kKey, kKeyKeys, Mutates::kYes,
     &ScheduleKeyDeletion},
    {"CancelKeyDeletion", "kms:CancelKeyDeletion", kKey, kKeyKeys, Mutates::kYes,
     &CancelKeyDeletion},
    // cryptography.cc
    {"Encrypt", "kms:Encrypt", kKey, kCryptoKeys, Mutates::kNo, &Encrypt},
    {"Decrypt", "kms:Decrypt", kKey, kCryptoKeys, Mutates::kNo, &Decrypt},
    {"GenerateDataKey", "kms:GenerateDataKey", kKey, kCryptoKeys, Mutates::kNo, &GenerateDataKey},
    {"GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", kKey, kCryptoKeys,
     Mutates::kNo, &GenerateDataKeyWithoutPlaintext},
    {"GenerateRandom", "kms:GenerateRandom", "*", {}, Mutates::kNo, &GenerateRandom},
};

// The key policy is the primary authority: the root user of the key's account is bound
// by it too.
constexpr ServiceSpec kService{"kms", kOperations, &CompleteAuthorization,
                               /*resource_policy_binds_root=*/true};

}  // namespace

Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  policy::RequestContext& request = authz->context;
  request.SetKey("kms:CallerAccount", ctx.caller.account_id);
  if (auto it = input.find("EncryptionContext"); it != input.end() && it->is_object()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : it->items()) {
      request.SetKey("kms:EncryptionContext:" + k, v.is_string() ? v.get<std::string>() : "");
      keys.push_back(k);
    }
    request.SetMultiValuedKey("kms:EncryptionContextKeys", std::move(keys));
  }
  if (op.HasConditionKey("kms:EncryptionAlgorithm")) {
    request.SetKey("kms:EncryptionAlgorithm",
                   input.value("EncryptionAlgorithm", std::string("SYMMETRIC_DEFAULT")));
  }
  if (op.name == "CreateKey") {
    request.SetKey("kms:KeySpec", input.value("KeySpec", std::string("SYMMETRIC_DEFAULT")));
    request.SetKey("kms:KeyUsage", input.value("KeyUsage", std::string("ENCRYPT_DECRYPT")));
    request.SetKey("kms:KeyOrigin", input.value("Origin", std::string("AWS_KMS")));
    std::vector<std::string> tag_keys;
    for (const Json& tag : input.value("Tags", Json::array())) {
      request.SetKey("aws:RequestTag/" + tag.value("TagKey", ""), tag.value("TagValue", ""));
      tag_keys.push_back(tag.value("TagKey", ""));
    }
    if (!tag_keys.empty()) request.SetMultiValuedKey("aws:TagKeys", std::move(tag_keys));
  }
  if (op.resource_pattern == "*") return Status::Ok();

  // The key: the ciphertext's for Decrypt, else the one KeyId names.
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  std::optional<Json> key;
  if (op.name == "Decrypt") {
    std::optional<BlobHeader> header = ParseBlobHeader(BlobOf(input, "CiphertextBlob"));
    if (header) {
      ASSIGN_OR_RETURN(key, LoadKeyById(*txn, header->key_id));
    }
  } else {
    ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(*txn, ctx, input.value("KeyId", "")));
    if (ref) {
      ASSIGN_OR_RETURN(key, LoadKeyById(*txn, ref->key_id));
      if (!ref->alias_arn.empty()) {
        request.SetKey("kms:RequestAlias",
                       ref->alias_arn.substr(ref->alias_arn.find(":alias/") + 1));
      }
    }
  }
  // A key that does not exist is decided by the IAM policies alone; the handler then
  // answers NotFoundException (or InvalidCiphertextException).
  if (!key) return Status::Ok();
  request.resource = (*key)["Arn"].get<std::string>();
  request.resource_account = (*key)["AWSAccountId"].get<std::string>();
  request.resource_policy_mode = policy::ResourcePolicyMode::kRequired;
  request.SetKey("kms:KeySpec", key->value("KeySpec", ""));
  request.SetKey("kms:KeyUsage", key->value("KeyUsage", ""));
  request.SetKey("kms:KeyOrigin", key->value("Origin", ""));
  for (const Json& tag : key->value("Tags", Json::array())) {
    request.SetKey("aws:ResourceTag/" + tag.value("TagKey", ""), tag.value("TagValue", ""));
  }
  policy::ParseOptions options;
  options.kind = policy::PolicyKind::kResource;
  Result<policy::Policy> parsed = policy::ParsePolicy(key->value("Policy", ""), options);
  // A stored policy was validated when it was put; one that no longer parses allows
  // nothing.
  authz->resource_policy =
      std::make_shared<policy::Policy>(parsed.ok() ? std::move(parsed).value() : policy::Policy());
  return Status::Ok();
}

const ServiceSpec& Service() { return kService; }

}  // namespace bulwark::kms
