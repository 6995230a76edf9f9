// AWS managed keys: the keys behind AWS's predefined aliases ("alias/aws/SERVICE"),
// created on first use in each account and Region, as AWS services create them through
// DescribeKey.
//
// Their key policy is AWS's: every principal of the account may use the key through the
// service (kms:ViaService) and read its metadata; nobody, the root user included, may
// change, disable, delete or directly use it. KMS rotates them every year.
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr int64_t kDay = 86400;

// A predefined alias: the name after "alias/aws/", the service host its key is used
// through, and the service's name in the key's description.
struct Predefined {
  std::string_view alias;
  std::string_view host;
  std::string_view title;
};
constexpr Predefined kPredefined[] = {
    {"acm", "acm", "ACM"},
    {"backup", "backup", "Backup"},
    {"dynamodb", "dynamodb", "DynamoDB"},
    {"ebs", "ec2", "EBS"},
    {"elasticfilesystem", "elasticfilesystem", "Elastic File System"},
    {"es", "es", "Elasticsearch"},
    {"glue", "glue", "Glue"},
    {"kinesis", "kinesis", "Kinesis"},
    {"kinesisvideo", "kinesisvideo", "Kinesis Video Streams"},
    {"lambda", "lambda", "Lambda"},
    {"rds", "rds", "RDS"},
    {"redshift", "redshift", "Redshift"},
    {"s3", "s3", "S3"},
    {"secretsmanager", "secretsmanager", "Secrets Manager"},
    {"sns", "sns", "SNS"},
    {"sqs", "sqs", "SQS"},
    {"ssm", "ssm", "SSM"},
    {"xray", "xray", "X-Ray"},
};

const Predefined* FindPredefined(std::string_view alias_name) {
  constexpr std::string_view kPrefix = "alias/aws/";
  if (!alias_name.starts_with(kPrefix)) return nullptr;
  const std::string_view name = alias_name.substr(kPrefix.size());
  for (const Predefined& p : kPredefined) {
    if (p.alias == name) return &p;
  }
  return nullptr;
}

std::string ManagedKeyPolicy(const Predefined& p, std::string_view account,
                             std::string_view region) {
  const std::string title(p.title);
  const Json doc = {{"Version", "2012-10-17"},
                    {"Id", "auto-" + std::string(p.alias) + "-1"},
                    {"Statement",
                     {{{"Sid", "Allow access through " + title +
                                   " for all principals in the account that are "
                                   "authorized to use " +
                                   title},
                       {"Effect", "Allow"},
                       {"Principal", {{"AWS", "*"}}},
                       {"Action",
                        {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                         "kms:CreateGrant", "kms:DescribeKey"}},
                       {"Resource", "*"},
                       {"Condition",
                        {{"StringEquals",
                          {{"kms:CallerAccount", std::string(account)},
                           {"kms:ViaService", std::string(p.host) + "." + std::string(region) +
                                                  ".amazonaws.com"}}}}}},
                      {{"Sid", "Allow direct access to key metadata to the account"},
                       {"Effect", "Allow"},
                       {"Principal", {{"AWS", "arn:aws:iam::" + std::string(account) + ":root"}}},
                       {"Action", {"kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"}},
                       {"Resource", "*"}}}}};
  return doc.dump(2);
}

}  // namespace

Result<std::optional<Json>> AwsManagedKey(RequestContext& ctx, std::string_view alias_name) {
  const Predefined* predefined = FindPredefined(alias_name);
  if (!predefined) return std::optional<Json>();
  const int64_t now = iam::Now(ctx);
  KeyOptions options;
  options.key_manager = "AWS";
  options.policy = ManagedKeyPolicy(*predefined, ctx.caller.account_id, ctx.region);
  options.description = "Default key that protects my " + std::string(predefined->title) +
                        " data when no other key is defined";
  ASSIGN_OR_RETURN(Json key, NewKeyRecord(ctx, options, now));
  key["RotationEnabled"] = true;
  key["RotationPeriodInDays"] = 365;
  key["RotationBase"] = now;

  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  // Another request may have made it meanwhile.
  ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(*txn, ctx, alias_name));
  if (ref) return LoadKeyById(*txn, ref->record_id);
  RETURN_IF_ERROR(ResumeRotation(*txn, key, now));
  RETURN_IF_ERROR(StoreNewKey(*txn, key));
  RETURN_IF_ERROR(SaveAlias(*txn, ctx, alias_name, key.value("KeyId", ""), now));
  RETURN_IF_ERROR(txn->Commit());
  return std::optional<Json>(std::move(key));
}

}  // namespace bulwark::kms
