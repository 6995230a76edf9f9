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
// AliasName includes "alias/".
constexpr std::string_view kAlias = "arn:aws:kms:{region}:{account}:{AliasName}";
constexpr std::string_view kCallerKeys[] = {"kms:CallerAccount"};
constexpr std::string_view kReEncryptKeys[] = {
    "kms:CallerAccount", "kms:EncryptionContext:${EncryptionContextKey}",
    "kms:EncryptionContextKeys", "kms:RequestAlias", "kms:ReEncryptOnSameKey"};
constexpr std::string_view kCryptoKeys[] = {"kms:CallerAccount", "kms:EncryptionAlgorithm",
                                            "kms:EncryptionContext:${EncryptionContextKey}",
                                            "kms:EncryptionContextKeys", "kms:RequestAlias"};

// The key a ciphertext names, or nullopt.
Result<std::optional<Json>> KeyOfBlob(storage::Transaction& txn, std::string_view blob) {
  std::optional<BlobHeader> header = ParseBlobHeader(blob);
  if (!header) return std::optional<Json>();
  return LoadKeyById(txn, header->key_id);
}

// The key a KeyId names (id, ARN, alias), or nullopt; kms:RequestAlias set on `request`
// when an alias named it.
Result<std::optional<Json>> KeyNamed(storage::Transaction& txn, const RequestContext& ctx,
                                     std::string_view key_id, policy::RequestContext* request) {
  ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(txn, ctx, key_id));
  if (!ref) return std::optional<Json>();
  if (!ref->alias_arn.empty()) {
    request->SetKey("kms:RequestAlias", ref->alias_arn.substr(ref->alias_arn.find(":alias/") + 1));
  }
  return LoadKeyById(txn, ref->key_id);
}

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
    // ReEncrypt: kms:ReEncryptFrom on the source key here, kms:ReEncryptTo on the
    // destination key through the hook.
    {"ReEncrypt", "kms:ReEncryptFrom", kKey, kReEncryptKeys, Mutates::kNo, &ReEncrypt},
    {"GenerateDataKey", "kms:GenerateDataKey", kKey, kCryptoKeys, Mutates::kNo, &GenerateDataKey},
    {"GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", kKey, kCryptoKeys,
     Mutates::kNo, &GenerateDataKeyWithoutPlaintext},
    {"GenerateRandom", "kms:GenerateRandom", "*", {}, Mutates::kNo, &GenerateRandom},
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
                               /*resource_policy_binds_root=*/true};

}  // namespace

Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  policy::RequestContext& request = authz->context;
  request.SetKey("kms:CallerAccount", ctx.caller.account_id);
  const char* context_member =
      op.name == "ReEncrypt" ? "SourceEncryptionContext" : "EncryptionContext";
  if (auto it = input.find(context_member); it != input.end() && it->is_object()) {
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
  SetTagRequestKeys(op, input, &request);
  if (op.resource_pattern == "*") return Status::Ok();
  if (op.resource_pattern.find(":{AliasName}") != std::string_view::npos) {
    return CompleteAliasAuthorization(ctx, op, input, authz);
  }

  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  // The key: the ciphertext's for Decrypt and ReEncrypt, else the one KeyId names.
  std::optional<Json> key;
  if (op.name == "Decrypt" || op.name == "ReEncrypt") {
    ASSIGN_OR_RETURN(key, KeyOfBlob(*txn, BlobOf(input, "CiphertextBlob")));
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
  }
  if (op.name == "ReEncrypt") {
    // The destination key must allow kms:ReEncryptTo as well.
    AuthorizationRequest::OtherResource to;
    to.action = "kms:ReEncryptTo";
    policy::RequestContext scratch;
    ASSIGN_OR_RETURN(std::optional<Json> destination,
                     KeyNamed(*txn, ctx, input.value("DestinationKeyId", ""), &scratch));
    const std::string same =
        key && destination && (*key)["KeyId"] == (*destination)["KeyId"] ? "true" : "false";
    request.SetKey("kms:ReEncryptOnSameKey", same);
    to.keys.emplace_back("kms:ReEncryptOnSameKey", same);
    if (destination) {
      AuthorizationRequest::OtherResource resource = KeyResource(to.action, *destination);
      resource.keys.insert(resource.keys.end(), to.keys.begin(), to.keys.end());
      to = std::move(resource);
    } else {
      to.resource = input.value("DestinationKeyId", "");
      to.resource_account = ctx.caller.account_id;
    }
    if (const policy::ContextValue* alias = scratch.Find("kms:requestalias")) {
      to.keys.emplace_back("kms:RequestAlias", alias->values.at(0));
    }
    const Json context = input.value("DestinationEncryptionContext", Json::object());
    for (const auto& [k, v] : context.items()) {
      to.keys.emplace_back("kms:EncryptionContext:" + k, v.is_string() ? v.get<std::string>() : "");
    }
    authz->other_resources.push_back(std::move(to));
  }
  return Status::Ok();
}

const ServiceSpec& Service() { return kService; }

}  // namespace bulwark::kms
