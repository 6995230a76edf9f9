// KMS keys and their lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
// UpdateKeyDescription, Get/Put/ListKeyPolicies, ScheduleKeyDeletion, CancelKeyDeletion.
#include <algorithm>

#include "auth/ids.h"
#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "policy/evaluator.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kDefaultPendingWindowDays = 30;
constexpr size_t kSymmetricKeyBytes = 32;
constexpr size_t kDefaultListLimit = 100;
constexpr std::string_view kDeletion = "deletion";  // DueKey's kind

Status CheckKeyPolicy(std::string_view document) {
  policy::ParseOptions options;
  options.kind = policy::PolicyKind::kResource;
  Result<policy::Policy> parsed = policy::ParsePolicy(document, options);
  if (!parsed.ok()) return MalformedPolicy(parsed.status().message());
  return Status::Ok();
}

// AWS's policy lockout safety check: a key policy must let the caller change it again
// (kms:PutKeyPolicy for its ARN, its role, its account or everyone), or the key could
// never be managed. Its IAM policies are not asked, only the key policy.
Status CheckPolicyLockout(const RequestContext& ctx, const Json& input, std::string_view document,
                          std::string_view key_arn) {
  if (input.value("BypassPolicyLockoutSafetyCheck", false)) return Status::Ok();
  static const policy::Policy* const kAllowAll = [] {
    Result<policy::Policy> p = policy::ParsePolicy(
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
        policy::ParseOptions());
    return new policy::Policy(std::move(p).value());
  }();
  policy::ParseOptions options;
  options.kind = policy::PolicyKind::kResource;
  Result<policy::Policy> parsed = policy::ParsePolicy(document, options);
  if (!parsed.ok()) return MalformedPolicy(parsed.status().message());
  policy::RequestContext request;
  request.SetPrincipal(ctx.caller.arn);
  request.action = "kms:PutKeyPolicy";
  request.resource = std::string(key_arn);
  request.resource_account = ctx.caller.account_id;
  request.resource_policy_mode = policy::ResourcePolicyMode::kRequired;
  SetRequestKeys(ctx, iam::Now(ctx), &request);
  request.SetKey("aws:PrincipalArn", ctx.caller.type == Principal::Type::kAssumedRole
                                         ? ctx.caller.session.role_arn
                                         : ctx.caller.arn);
  request.SetKey("aws:PrincipalAccount", ctx.caller.account_id);
  request.SetKey("kms:CallerAccount", ctx.caller.account_id);
  policy::PolicySet set;
  set.identity.push_back(kAllowAll);
  set.resource = &*parsed;
  if (policy::Evaluate(set, request) != policy::Decision::kAllow) {
    return MalformedPolicy(
        "The new key policy will not allow you to update the key policy in the future.");
  }
  return Status::Ok();
}

// The key of a request, for an operation that changes it: loaded for writing, and only
// a key of the caller's own account.
Result<Json> KeyForUpdate(storage::Transaction& txn, RequestContext& ctx, const Json& input) {
  return LoadOwnKey(txn, ctx, input.value("KeyId", ""));
}

// What a key spec is used for and with which algorithms, as KMS's KeyMetadata lists them.
struct KeyKind {
  std::vector<std::string_view> usages;  // the first is the default, if any
  bool usage_required;
};

std::optional<KeyKind> KindOf(std::string_view spec) {
  if (spec == "SYMMETRIC_DEFAULT") return KeyKind{{"ENCRYPT_DECRYPT"}, false};
  if (spec.starts_with("RSA_")) return KeyKind{{"ENCRYPT_DECRYPT", "SIGN_VERIFY"}, true};
  if (spec == "ECC_SECG_P256K1") return KeyKind{{"SIGN_VERIFY"}, true};
  if (spec.starts_with("ECC_NIST_P")) return KeyKind{{"SIGN_VERIFY", "KEY_AGREEMENT"}, true};
  if (spec.starts_with("HMAC_")) return KeyKind{{"GENERATE_VERIFY_MAC"}, true};
  return std::nullopt;
}

// EncryptionAlgorithms, SigningAlgorithms, MacAlgorithms or KeyAgreementAlgorithms.
void SetAlgorithms(Json& key) {
  const std::string spec = key.value("KeySpec", "");
  const std::string usage = key.value("KeyUsage", "");
  if (spec == "SYMMETRIC_DEFAULT") {
    key["EncryptionAlgorithms"] = {"SYMMETRIC_DEFAULT"};
  } else if (usage == "ENCRYPT_DECRYPT") {
    key["EncryptionAlgorithms"] = {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"};
  } else if (usage == "KEY_AGREEMENT") {
    key["KeyAgreementAlgorithms"] = {"ECDH"};
  } else if (usage == "GENERATE_VERIFY_MAC") {
    key["MacAlgorithms"] = {"HMAC_SHA_" + spec.substr(5)};
  } else if (std::optional<crypto::KeySpec> s = crypto::KeySpecFromName(spec)) {
    // In KMS's order: PKCS #1 v1.5 before PSS for RSA keys.
    Json pkcs1 = Json::array();
    Json others = Json::array();
    for (crypto::SigningAlgorithm alg : crypto::SigningAlgorithmsFor(*s)) {
      const std::string name(crypto::SigningAlgorithmName(alg));
      (name.starts_with("RSASSA_PKCS1") ? pkcs1 : others).push_back(name);
    }
    for (Json& name : others) pkcs1.push_back(std::move(name));
    key["SigningAlgorithms"] = std::move(pkcs1);
  }
}

// Fresh material for a key of AWS_KMS origin: 256 random bits for a symmetric key, the
// HMAC key of its spec, or a key pair (the private key is the material, the public key
// is kept beside it).
Result<SecretBytes> GenerateMaterial(Json& key) {
  const std::string spec = key.value("KeySpec", "");
  if (spec == "SYMMETRIC_DEFAULT") return RandomSecret(kSymmetricKeyBytes);
  std::optional<crypto::KeySpec> s = crypto::KeySpecFromName(spec);
  if (!s) return Status(ErrorKind::kInternalFailure, "kms: no material for key spec " + spec);
  if (crypto::IsHmacKeySpec(*s)) return crypto::GenerateHmacKey(*s);
  ASSIGN_OR_RETURN(crypto::KeyPair pair, crypto::GenerateKeyPair(*s));
  key["PublicKey"] = crypto::Base64Encode(pair.public_key);
  return std::move(pair.private_key);
}

Status PendingDeletion(const Json& key) {
  return InvalidState(key.value("Arn", "") + " is pending deletion.");
}

}  // namespace

Status CheckNewKeyPolicy(const RequestContext& ctx, const Json& input, std::string_view document,
                         std::string_view key_arn) {
  RETURN_IF_ERROR(CheckKeyPolicy(document));
  return CheckPolicyLockout(ctx, input, document, key_arn);
}

Status StartDeletionWindow(storage::Transaction& txn, Json& key, int64_t when) {
  key["KeyState"] = "PendingDeletion";
  key["DeletionDate"] = when;
  RETURN_IF_ERROR(SaveKey(txn, key));
  return txn.Put(DueKey(kDeletion, when, RecordIdOf(key)), "");
}

Status SweepDeletedKeys(storage::Transaction& txn, int64_t now, size_t* done) {
  constexpr size_t kBatch = 16;
  ASSIGN_OR_RETURN(std::vector<std::string> due, TakeDue(txn, kDeletion, now, kBatch));
  if (done) *done += due.size();
  for (const std::string& record_id : due) {
    ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(txn, record_id));
    if (key && key->value("KeyState", "") == "PendingDeletion") {
      // The material goes with the record: the key is destroyed.
      RETURN_IF_ERROR(txn.Delete(KeyRecordKey(record_id)));
      RETURN_IF_ERROR(
          txn.Delete(KeyListPrefix(key->value("AWSAccountId", ""), key->value("Region", "")) +
                     key->value("KeyId", "")));
      // Its aliases go too, as in AWS.
      RETURN_IF_ERROR(DeleteAliasesOf(txn, *key));
      RETURN_IF_ERROR(DeleteGrantsOf(txn, *key));
      RETURN_IF_ERROR(DeleteUsageOf(txn, record_id));
      // A multi-Region key's other keys no longer list it; a primary key that waited
      // for its last replica starts its own window.
      if (IsMultiRegionKeyId(key->value("KeyId", ""))) {
        RETURN_IF_ERROR(ForgetRegion(txn, *key, now));
      }
    }
  }
  return Status::Ok();
}

Result<Json> NewKeyRecord(const RequestContext& ctx, const KeyOptions& options, int64_t now) {
  const std::string& account = ctx.caller.account_id;
  std::string key_id = ids::NewUuid();
  if (options.multi_region) {
    // "mrk-" and 32 hex digits: the UUID's digits.
    key_id.erase(std::remove(key_id.begin(), key_id.end(), '-'), key_id.end());
    key_id = "mrk-" + key_id;
  }
  const bool external = options.origin == "EXTERNAL";
  Json key = {{"AWSAccountId", account},
              {"KeyId", key_id},
              {"Arn", KeyArn(ctx.region, account, key_id)},
              {"Region", ctx.region},
              {"CreationDate", now},
              {"Description", options.description},
              {"KeyUsage", options.key_usage},
              {"KeyState", external ? "PendingImport" : "Enabled"},
              {"Origin", options.origin},
              {"KeyManager", options.key_manager},
              {"KeySpec", options.key_spec},
              {"Policy", options.policy.empty() ? DefaultKeyPolicy(account) : options.policy},
              {"Tags", options.tags}};
  if (options.multi_region) {
    key["PrimaryRegion"] = ctx.region;
    key["Regions"] = {ctx.region};
  }
  SetAlgorithms(key);
  // A key of EXTERNAL origin has no material until ImportKeyMaterial.
  if (!external) {
    ASSIGN_OR_RETURN(SecretBytes material, GenerateMaterial(key));
    RETURN_IF_ERROR(AddMaterialVersion(ctx, key, material, now));
  }
  return key;
}

Status StoreNewKey(storage::Transaction& txn, const Json& key) {
  RETURN_IF_ERROR(SaveKey(txn, key));
  return txn.Put(KeyListPrefix(key.value("AWSAccountId", ""), key.value("Region", "")) +
                     key.value("KeyId", ""),
                 "");
}

Result<Json> CreateKey(RequestContext& ctx, const Json& input) {
  const std::string key_spec =
      input.value("KeySpec", input.value("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"));
  const std::string key_usage = input.value("KeyUsage", "ENCRYPT_DECRYPT");
  const std::string origin = input.value("Origin", "AWS_KMS");
  if (input.contains("KeySpec") && input.contains("CustomerMasterKeySpec")) {
    return Validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request.");
  }
  const std::optional<KeyKind> kind = KindOf(key_spec);
  if (!kind) {
    // SM2 (China Regions), ML_DSA_* and ECC_NIST_EDWARDS25519.
    return Unsupported("KeySpec " + key_spec + " is not supported.");
  }
  if (kind->usage_required && !input.contains("KeyUsage")) {
    return Validation(
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption "
        "keys.");
  }
  if (std::find(kind->usages.begin(), kind->usages.end(), key_usage) == kind->usages.end()) {
    return Validation("KeyUsage " + key_usage + " is not compatible with KeySpec " + key_spec +
                      ".");
  }
  if (origin == "AWS_CLOUDHSM" || origin == "EXTERNAL_KEY_STORE" ||
      input.contains("CustomKeyStoreId") || input.contains("XksKeyId")) {
    return Unsupported("Custom key stores are not supported.");
  }
  if (origin != "AWS_KMS" && origin != "EXTERNAL") {
    return Unsupported("Origin " + origin + " is not supported.");
  }
  RETURN_IF_ERROR(CheckTags(input.value("Tags", Json::array())));
  const std::string& account = ctx.caller.account_id;
  std::string policy = input.value("Policy", DefaultKeyPolicy(account));
  RETURN_IF_ERROR(CheckKeyPolicy(policy));
  if (input.contains("Policy")) {
    RETURN_IF_ERROR(CheckPolicyLockout(ctx, input, policy, KeyArn(ctx.region, account, "*")));
  }

  const int64_t now = iam::Now(ctx);
  KeyOptions options;
  options.key_spec = key_spec;
  options.key_usage = key_usage;
  options.origin = origin;
  options.policy = std::move(policy);
  options.description = input.value("Description", "");
  options.tags = input.value("Tags", Json::array());
  options.multi_region = input.value("MultiRegion", false);
  ASSIGN_OR_RETURN(Json key, NewKeyRecord(ctx, options, now));

  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  RETURN_IF_ERROR(SweepDeletedKeys(*txn, now));
  RETURN_IF_ERROR(StoreNewKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyMetadata", KeyMetadata(key)}};
}

Result<Json> DescribeKey(RequestContext& ctx, const Json& input) {
  const std::string key_id = input.value("KeyId", "");
  Result<Json> key = [&]() -> Result<Json> {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    return LoadKey(*txn, ctx, key_id);
  }();
  if (!key.ok() && key.status().code() == "NotFoundException") {
    // A predefined AWS alias with no key yet: DescribeKey creates its AWS managed key,
    // as AWS services do through it.
    const std::string own_alias_arn =
        "arn:aws:kms:" + ctx.region + ":" + ctx.caller.account_id + ":alias/aws/";
    std::string alias_name = key_id;
    if (key_id.starts_with(own_alias_arn)) alias_name = key_id.substr(key_id.find(":alias/") + 1);
    ASSIGN_OR_RETURN(std::optional<Json> managed, AwsManagedKey(ctx, alias_name));
    if (managed) return Json{{"KeyMetadata", KeyMetadata(*managed)}};
  }
  if (!key.ok()) return key.status();
  return Json{{"KeyMetadata", KeyMetadata(*key)}};
}

Result<Json> ListKeys(RequestContext& ctx, const Json& input) {
  const size_t limit = input.value("Limit", kDefaultListLimit);
  const std::string prefix = KeyListPrefix(ctx.caller.account_id, ctx.region);
  std::string after;
  if (auto it = input.find("Marker"); it != input.end()) {
    std::optional<std::string> marker = crypto::Base64Decode(it->get<std::string>());
    if (!marker) {
      return Status::Service("InvalidMarkerException", 400, "Invalid marker.");
    }
    after = prefix + *marker;
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(prefix, after, limit + 1));
  Json keys = Json::array();
  const bool truncated = rows.size() > limit;
  if (truncated) rows.pop_back();
  for (const storage::KeyValue& row : rows) {
    const std::string key_id = row.key.substr(prefix.size());
    keys.push_back(
        {{"KeyId", key_id}, {"KeyArn", KeyArn(ctx.region, ctx.caller.account_id, key_id)}});
  }
  Json out = {{"Keys", std::move(keys)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = crypto::Base64Encode(rows.back().key.substr(prefix.size()));
  return out;
}

namespace {

// Sets the key's state (EnableKey, DisableKey).
Result<Json> SetEnabled(RequestContext& ctx, const Json& input, bool enabled) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  const std::string state = key.value("KeyState", "");
  if (IsPendingDeletion(key)) return PendingDeletion(key);
  if (state == "PendingImport") return InvalidState(key.value("Arn", "") + " is pending import.");
  key["KeyState"] = enabled ? "Enabled" : "Disabled";
  if (enabled) RETURN_IF_ERROR(ResumeRotation(*txn, key, iam::Now(ctx)));
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(ShareRotationSettings(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

}  // namespace

Result<Json> EnableKey(RequestContext& ctx, const Json& input) {
  return SetEnabled(ctx, input, true);
}

Result<Json> DisableKey(RequestContext& ctx, const Json& input) {
  return SetEnabled(ctx, input, false);
}

Result<Json> UpdateKeyDescription(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  if (IsPendingDeletion(key)) return PendingDeletion(key);
  key["Description"] = input.value("Description", "");
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> GetKeyPolicy(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("PolicyName", "default");
  if (name != "default") return NotFound("No such policy exists");
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  return Json{{"Policy", key["Policy"]}, {"PolicyName", "default"}};
}

Result<Json> PutKeyPolicy(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("PolicyName", "default");
  if (name != "default") return NotFound("No such policy exists");
  const std::string policy = input.value("Policy", "");
  RETURN_IF_ERROR(CheckKeyPolicy(policy));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  if (IsPendingDeletion(key)) return PendingDeletion(key);
  RETURN_IF_ERROR(CheckPolicyLockout(ctx, input, policy, key.value("Arn", "")));
  key["Policy"] = policy;
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> ListKeyPolicies(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  return Json{{"PolicyNames", {"default"}}, {"Truncated", false}};
}

Result<Json> ScheduleKeyDeletion(RequestContext& ctx, const Json& input) {
  const int64_t days = input.value("PendingWindowInDays", kDefaultPendingWindowDays);
  if (days < 7 || days > 30) {
    return Validation("1 validation error detected: Value '" + std::to_string(days) +
                      "' at 'pendingWindowInDays' failed to satisfy constraint: Member must "
                      "have value less than or equal to 30");
  }
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  if (IsPendingDeletion(key)) return PendingDeletion(key);
  key["PendingDeletionWindowInDays"] = days;
  if (HasReplicas(key)) {
    // A primary key outlives its replicas: its window starts when the last one is gone.
    key["KeyState"] = "PendingReplicaDeletion";
    RETURN_IF_ERROR(SaveKey(*txn, key));
    RETURN_IF_ERROR(txn->Commit());
    return Json{{"KeyId", key["Arn"]},
                {"KeyState", "PendingReplicaDeletion"},
                {"PendingWindowInDays", days}};
  }
  const int64_t when = now + days * kDay;
  RETURN_IF_ERROR(StartDeletionWindow(*txn, key, when));
  RETURN_IF_ERROR(SweepDeletedKeys(*txn, now));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyId", key["Arn"]},
              {"DeletionDate", when},
              {"KeyState", "PendingDeletion"},
              {"PendingWindowInDays", days}};
}

Result<Json> CancelKeyDeletion(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyForUpdate(*txn, ctx, input));
  if (!IsPendingDeletion(key)) {
    return InvalidState(key.value("Arn", "") + " is not pending deletion.");
  }
  if (key.contains("DeletionDate")) {
    RETURN_IF_ERROR(
        txn->Delete(DueKey(kDeletion, key["DeletionDate"].get<int64_t>(), RecordIdOf(key))));
  }
  // A key whose deletion is cancelled comes back disabled, as in AWS; one without its
  // (imported) material waits for it.
  const Json& versions = ArrayMember(key, "Material");
  const bool has_material = !versions.empty() && versions.back().contains("Sealed");
  key["KeyState"] = has_material ? "Disabled" : "PendingImport";
  key.erase("DeletionDate");
  key.erase("PendingDeletionWindowInDays");
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"KeyId", key["Arn"]}};
}

}  // namespace bulwark::kms
