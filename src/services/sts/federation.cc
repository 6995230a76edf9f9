// STS GetFederationToken: temporary credentials for a federated user, whose permissions
// are those of the IAM user (or root) that asks, narrowed by the session policies given.
#include "auth/credential_store.h"
#include "auth/ids.h"
#include "services/iam/common.h"
#include "services/sts/sessions.h"
#include "services/sts/sts.h"

namespace bulwark::sts {
namespace {

constexpr int64_t kDefaultFederationDuration = 43200;
constexpr int64_t kMaxRootFederationDuration = 3600;

}  // namespace

Result<Json> HandleGetFederationToken(RequestContext& ctx, const Json& input) {
  if (ctx.caller.temporary()) {
    return Status(ErrorKind::kAccessDenied,
                  "Cannot call GetFederationToken with session credentials");
  }
  const std::string name = input.at("Name").get<std::string>();
  // The model bounds DurationSeconds to 900..129600; sessions of the root user last at
  // most an hour.
  int64_t duration = input.value("DurationSeconds", kDefaultFederationDuration);
  if (ctx.caller.type == Principal::Type::kRoot) {
    duration = std::min(duration, kMaxRootFederationDuration);
  }
  ASSIGN_OR_RETURN(session::SessionPolicies policies, session::ReadSessionPolicies(input));
  std::vector<std::pair<std::string, std::string>> tags;
  size_t packed = policies.packed_chars;
  for (const Json& tag : input.value("Tags", Json::array())) {
    std::string key = tag.value("Key", "");
    std::string value = tag.value("Value", "");
    for (const auto& [existing, unused] : tags) {
      if (iam::Lower(existing) == iam::Lower(key)) {
        return Status::Service("InvalidParameterValue", 400,
                               "Duplicate tag keys found. Please note that Tag keys are "
                               "case insensitive.");
      }
    }
    packed += key.size() + value.size();
    tags.emplace_back(std::move(key), std::move(value));
  }
  if (packed > session::kPackedPolicyBudget) {
    return Status::Service("PackedPolicyTooLarge", 400,
                           "Packed size of the session policies and session tags exceeds the "
                           "limit.");
  }

  const int64_t now = iam::Now(ctx);
  const std::string& account = ctx.caller.account_id;
  Principal principal;
  principal.type = Principal::Type::kFederatedUser;
  principal.account_id = account;
  principal.arn = "arn:aws:sts::" + account + ":federated-user/" + name;
  principal.user_id = account + ":" + name;
  principal.session.issued = now;
  principal.session.expires = now + duration;
  principal.session.federated_by = ctx.caller.arn;
  principal.session.policy = std::move(policies.policy);
  principal.session.policy_arns = std::move(policies.arns);
  principal.session.tags = std::move(tags);

  const std::string akid = ids::NewAccessKeyId("ASIA", account);
  SecretBytes secret = ids::NewSecretAccessKey();
  const std::string token = session::NewSessionToken();
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  RETURN_IF_ERROR(ctx.env->credentials->CreateSessionIn(*txn, principal, akid, secret, token));
  RETURN_IF_ERROR(txn->Commit());
  return Json{
      {"Credentials", session::CredentialsOutput(akid, secret, token, now + duration)},
      {"FederatedUser", {{"FederatedUserId", principal.user_id}, {"Arn", principal.arn}}},
      {"PackedPolicySize", static_cast<int>(packed * 100 / session::kPackedPolicyBudget)},
  };
}

}  // namespace bulwark::sts
