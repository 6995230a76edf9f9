// Secrets Manager: the operation table and the authorization hook. Operations of the
// model not listed here answer as unsupported. Actions and condition keys from the
// Service Authorization Reference.
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/kms/envelope.h"
#include "services/secretsmanager/common.h"
#include "services/secretsmanager/handlers.h"
#include "services/secretsmanager/secretsmanager.h"

namespace bulwark::secretsmanager {
namespace {

constexpr std::string_view kSecret = "arn:aws:secretsmanager:{region}:{account}:secret:{SecretId}";
// A new secret's ARN ends in a suffix not drawn yet: six characters of any kind.
constexpr std::string_view kNewSecret =
    "arn:aws:secretsmanager:{region}:{account}:secret:{Name}-??????";

constexpr std::string_view kSecretIdKeys[] = {"secretsmanager:SecretId"};
constexpr std::string_view kCreateKeys[] = {
    "secretsmanager:Name",     "secretsmanager:Description", "secretsmanager:KmsKeyArn",
    "secretsmanager:KmsKeyId", "aws:RequestTag/${TagKey}",   "aws:TagKeys"};
constexpr std::string_view kUpdateKeys[] = {"secretsmanager:SecretId", "secretsmanager:Description",
                                            "secretsmanager:KmsKeyArn", "secretsmanager:KmsKeyId"};
constexpr std::string_view kGetValueKeys[] = {"secretsmanager:SecretId", "secretsmanager:VersionId",
                                              "secretsmanager:VersionStage"};
constexpr std::string_view kDeleteKeys[] = {"secretsmanager:SecretId",
                                            "secretsmanager:RecoveryWindowInDays",
                                            "secretsmanager:ForceDeleteWithoutRecovery"};
constexpr std::string_view kPutPolicyKeys[] = {"secretsmanager:SecretId",
                                               "secretsmanager:BlockPublicPolicy"};
constexpr std::string_view kRotateKeys[] = {
    "secretsmanager:SecretId", "secretsmanager:RotationLambdaARN",
    "secretsmanager:ModifyRotationRules", "secretsmanager:RotateImmediately"};
constexpr std::string_view kStageKeys[] = {"secretsmanager:SecretId",
                                           "secretsmanager:VersionStage"};
constexpr std::string_view kTagKeys[] = {"secretsmanager:SecretId", "aws:RequestTag/${TagKey}",
                                         "aws:TagKeys"};
constexpr std::string_view kUntagKeys[] = {"secretsmanager:SecretId", "aws:TagKeys"};

// Condition keys read straight from an input member.
struct MemberKey {
  std::string_view key;
  std::string_view member;
};
constexpr MemberKey kMemberKeys[] = {
    {"secretsmanager:Name", "Name"},
    {"secretsmanager:Description", "Description"},
    {"secretsmanager:KmsKeyId", "KmsKeyId"},
    {"secretsmanager:VersionId", "VersionId"},
    {"secretsmanager:VersionStage", "VersionStage"},
    {"secretsmanager:RecoveryWindowInDays", "RecoveryWindowInDays"},
    {"secretsmanager:ForceDeleteWithoutRecovery", "ForceDeleteWithoutRecovery"},
    {"secretsmanager:BlockPublicPolicy", "BlockPublicPolicy"},
    {"secretsmanager:RotationLambdaARN", "RotationLambdaARN"},
};

std::string Text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    // secrets.cc
    {"CreateSecret", "secretsmanager:CreateSecret", kNewSecret, kCreateKeys, Mutates::kYes,
     &CreateSecret},
    {"DescribeSecret", "secretsmanager:DescribeSecret", kSecret, kSecretIdKeys, Mutates::kNo,
     &DescribeSecret},
    {"UpdateSecret", "secretsmanager:UpdateSecret", kSecret, kUpdateKeys, Mutates::kYes,
     &UpdateSecret},
    {"DeleteSecret", "secretsmanager:DeleteSecret", kSecret, kDeleteKeys, Mutates::kYes,
     &DeleteSecret},
    {"RestoreSecret", "secretsmanager:RestoreSecret", kSecret, kSecretIdKeys, Mutates::kYes,
     &RestoreSecret},
    {"ListSecrets", "secretsmanager:ListSecrets", "*", {}, Mutates::kNo, &ListSecrets},
    {"TagResource", "secretsmanager:TagResource", kSecret, kTagKeys, Mutates::kYes, &TagResource},
    {"UntagResource", "secretsmanager:UntagResource", kSecret, kUntagKeys, Mutates::kYes,
     &UntagResource},
    // values.cc: each value read or written also needs kms:Decrypt or kms:GenerateDataKey
    // on the secret's KMS key, authorized by the envelope (services/kms/envelope.h).
    {"GetSecretValue", "secretsmanager:GetSecretValue", kSecret, kGetValueKeys, Mutates::kNo,
     &GetSecretValue},
    {"PutSecretValue", "secretsmanager:PutSecretValue", kSecret, kSecretIdKeys, Mutates::kYes,
     &PutSecretValue},
    // BatchGetSecretValue authorizes GetSecretValue for each secret (and ListSecrets for
    // filters) in the handler, reporting each denial in Errors.
    {"BatchGetSecretValue",
     "secretsmanager:BatchGetSecretValue",
     "*",
     {},
     Mutates::kNo,
     &BatchGetSecretValue},
    {"ListSecretVersionIds", "secretsmanager:ListSecretVersionIds", kSecret, kSecretIdKeys,
     Mutates::kNo, &ListSecretVersionIds},
    {"UpdateSecretVersionStage", "secretsmanager:UpdateSecretVersionStage", kSecret, kStageKeys,
     Mutates::kYes, &UpdateSecretVersionStage},
    // policy.cc
    {"PutResourcePolicy", "secretsmanager:PutResourcePolicy", kSecret, kPutPolicyKeys,
     Mutates::kYes, &PutResourcePolicy},
    {"GetResourcePolicy", "secretsmanager:GetResourcePolicy", kSecret, kSecretIdKeys, Mutates::kNo,
     &GetResourcePolicy},
    {"DeleteResourcePolicy", "secretsmanager:DeleteResourcePolicy", kSecret, kSecretIdKeys,
     Mutates::kYes, &DeleteResourcePolicy},
    {"ValidateResourcePolicy", "secretsmanager:ValidateResourcePolicy", kSecret, kSecretIdKeys,
     Mutates::kNo, &ValidateResourcePolicy},
    // rotation.cc
    {"RotateSecret", "secretsmanager:RotateSecret", kSecret, kRotateKeys, Mutates::kYes,
     &RotateSecret},
    {"CancelRotateSecret", "secretsmanager:CancelRotateSecret", kSecret, kSecretIdKeys,
     Mutates::kYes, &CancelRotateSecret},
    // password.cc
    {"GetRandomPassword",
     "secretsmanager:GetRandomPassword",
     "*",
     {},
     Mutates::kNo,
     &GetRandomPassword},
};

Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  policy::RequestContext& request = authz->context;
  for (const MemberKey& k : kMemberKeys) {
    if (!op.HasConditionKey(k.key)) continue;
    auto it = input.find(k.member);
    if (it != input.end() && !it->is_null()) request.SetKey(std::string(k.key), Text(*it));
  }
  if (op.name == "RotateSecret") {
    request.SetKey("secretsmanager:RotateImmediately",
                   input.value("RotateImmediately", true) ? "true" : "false");
    request.SetKey("secretsmanager:ModifyRotationRules",
                   input.contains("RotationRules") ? "true" : "false");
  }
  if (op.resource_pattern == "*") return Status::Ok();
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  if (op.HasConditionKey("secretsmanager:KmsKeyArn") && input.contains("KmsKeyId")) {
    ASSIGN_OR_RETURN(std::string arn,
                     kms::KeyArnOf(*txn, ctx, input.value("KmsKeyId", ""), kManagedAlias));
    if (!arn.empty()) request.SetKey("secretsmanager:KmsKeyArn", arn);
  }
  if (op.name == "CreateSecret") {
    // Tags on a new secret need secretsmanager:TagResource as well.
    if (!input.value("Tags", Json::array()).empty()) {
      authz->additional_actions.push_back("secretsmanager:TagResource");
    }
    return Status::Ok();
  }
  const std::string secret_id = input.value("SecretId", "");
  if (secret_id.empty()) {
    request.resource = "*";  // ValidateResourcePolicy without a secret
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::optional<Json> secret, FindSecret(*txn, ctx, secret_id));
  if (!secret) {
    // Decided by the IAM policies alone; the handler then answers that it does not exist.
    if (secret_id.starts_with("arn:")) request.resource = secret_id;
    request.SetKey("secretsmanager:SecretId", request.resource);
    return Status::Ok();
  }
  request.resource = secret->value("ARN", "");
  request.SetKey("secretsmanager:SecretId", request.resource);
  request.SetKey("secretsmanager:SecretPrimaryRegion", secret->value("Region", ""));
  for (const Json& tag : secret->value("Tags", Json::array())) {
    request.SetKey("aws:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
    request.SetKey("secretsmanager:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
  }
  if (secret->contains("RotationLambdaARN")) {
    request.SetKey("secretsmanager:resource/AllowRotationLambdaArn",
                   secret->value("RotationLambdaARN", ""));
  }
  authz->resource_policy = ResourcePolicyOf(*secret);
  return Status::Ok();
}

// The root user is bound by an explicit deny in a secret's resource policy and, for the
// values, by the policy of the KMS key that encrypts them.
constexpr ServiceSpec kSpec{"secretsmanager", kOperations, &CompleteAuthorization,
                            /*resource_policy_binds_root=*/true, &Maintain};

}  // namespace

const OperationSpec& Row(std::string_view name) {
  for (const OperationSpec& op : kOperations) {
    if (op.name == name) return op;
  }
  std::abort();  // a row named in the code that the table does not have
}

const ServiceSpec& Service() { return kSpec; }

}  // namespace bulwark::secretsmanager
