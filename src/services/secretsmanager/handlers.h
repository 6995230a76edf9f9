// Secrets Manager's operation handlers, by file.
#pragma once

#include "services/service.h"

namespace bulwark::secretsmanager {

// secrets.cc
Result<Json> CreateSecret(RequestContext& ctx, const Json& input);
Result<Json> DescribeSecret(RequestContext& ctx, const Json& input);
Result<Json> UpdateSecret(RequestContext& ctx, const Json& input);
Result<Json> DeleteSecret(RequestContext& ctx, const Json& input);
Result<Json> RestoreSecret(RequestContext& ctx, const Json& input);
Result<Json> ListSecrets(RequestContext& ctx, const Json& input);
Result<Json> TagResource(RequestContext& ctx, const Json& input);
Result<Json> UntagResource(RequestContext& ctx, const Json& input);
// secrets.cc: purges secrets whose recovery window has ended, then starts scheduled
// rotations (RotateDueSecrets).
Status Maintain(ServiceEnvironment& env);

// values.cc
Result<Json> GetSecretValue(RequestContext& ctx, const Json& input);
Result<Json> PutSecretValue(RequestContext& ctx, const Json& input);
Result<Json> BatchGetSecretValue(RequestContext& ctx, const Json& input);
Result<Json> ListSecretVersionIds(RequestContext& ctx, const Json& input);
Result<Json> UpdateSecretVersionStage(RequestContext& ctx, const Json& input);

// policy.cc
Result<Json> PutResourcePolicy(RequestContext& ctx, const Json& input);
Result<Json> GetResourcePolicy(RequestContext& ctx, const Json& input);
Result<Json> DeleteResourcePolicy(RequestContext& ctx, const Json& input);
Result<Json> ValidateResourcePolicy(RequestContext& ctx, const Json& input);
// policy.cc: a secret's resource policy, parsed (null when it has none).
std::shared_ptr<const policy::Policy> ResourcePolicyOf(const Json& secret);

// rotation.cc
Result<Json> RotateSecret(RequestContext& ctx, const Json& input);
Result<Json> CancelRotateSecret(RequestContext& ctx, const Json& input);
// rotation.cc: starts the rotations whose schedule has come (a few per call).
Status RotateDueSecrets(ServiceEnvironment& env);

// postgres.cc: a step of the built-in PostgreSQL rotation functions (single user, or
// two alternating users made by the secret's masterarn), but finishSecret.
Status PostgresStep(RequestContext& svc, const std::string& arn, const std::string& token,
                    std::string_view step, bool multi_user);

// password.cc
Result<Json> GetRandomPassword(RequestContext& ctx, const Json& input);

// operations.cc: the row of an operation in the table (BatchGetSecretValue authorizes
// GetSecretValue for each secret, and ListSecrets with filters).
const OperationSpec& Row(std::string_view name);

}  // namespace bulwark::secretsmanager
