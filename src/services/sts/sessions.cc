// STS temporary credentials: AssumeRole (trust policy, ExternalId, MFA, session
// policies and tags, role chaining) and GetSessionToken (MFA).
#include "services/sts/sessions.h"

#include <algorithm>

#include "auth/credential_store.h"
#include "auth/ids.h"
#include "crypto/crypto.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"
#include "services/sts/sts.h"

namespace bulwark::sts {
namespace {

using session::CredentialsOutput;
using session::NewSessionToken;
using session::ParseRoleArn;

constexpr int64_t kMinDuration = 900;
constexpr int64_t kDefaultRoleDuration = 3600;
constexpr int64_t kChainedRoleMaxDuration = 3600;
constexpr int64_t kDefaultUserSessionDuration = 43200;
constexpr int64_t kMaxRootSessionDuration = 3600;
// The packed (compressed) session policy and tags may use 2048 bytes in AWS; Bulwark
// does not compress, so it reports the share of the same budget the text uses.
constexpr size_t kPackedPolicyBudget = 2048;

Status ValidationError(std::string message) {
  return Status(ErrorKind::kValidation, std::move(message));
}

Status AccessDenied(const RequestContext& ctx, std::string_view role_arn) {
  return Status(ErrorKind::kAccessDenied, "User: " + ctx.caller.arn +
                                              " is not authorized to perform: sts:AssumeRole on "
                                              "resource: " +
                                              std::string(role_arn));
}

// Verifies an MFA code given with the request (SerialNumber and TokenCode together).
// Returns whether one was given; fails if it was given and is wrong.
Result<bool> VerifyMfa(RequestContext& ctx, const Json& input) {
  const bool has_serial = input.contains("SerialNumber");
  const bool has_code = input.contains("TokenCode");
  if (!has_serial && !has_code) return false;
  if (!has_serial || !has_code) {
    return Status(ErrorKind::kAccessDenied,
                  "MultiFactorAuthentication failed, unable to validate MFA code. Both the MFA "
                  "serial number and the token code are required.");
  }
  // The user the device must belong to: the caller, or the user behind a session.
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  RETURN_IF_ERROR(iam::CheckMfaCode(ctx, *txn, ctx.caller.arn,
                                    input["SerialNumber"].get<std::string>(),
                                    input["TokenCode"].get<std::string>()));
  RETURN_IF_ERROR(txn->Commit());
  return true;
}

}  // namespace

// STS's authorization hook: sts:AssumeRole is decided with the role's trust policy as
// the resource policy that must allow, and with the sts: condition keys.
Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  if (op.name != "AssumeRole") return Status::Ok();
  policy::RequestContext& request = authz->context;
  const std::string role_arn = input.value("RoleArn", "");
  request.resource = role_arn;
  request.resource_policy_mode = policy::ResourcePolicyMode::kRequired;
  // Without a trust policy (no such role) nothing allows the request.
  auto no_trust = std::make_shared<policy::Policy>();
  authz->resource_policy = no_trust;
  if (auto parsed = ParseRoleArn(role_arn)) {
    request.resource_account = parsed->first;
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(
        std::optional<Json> role,
        iam::Load(*txn, iam::EntityKey(parsed->first, iam::Kind::kRole, parsed->second)));
    if (role && (*role)["Arn"].get<std::string>() == role_arn) {
      policy::ParseOptions options;
      options.kind = policy::PolicyKind::kTrust;
      Result<policy::Policy> trust =
          policy::ParsePolicy((*role)["AssumeRolePolicyDocument"].get<std::string>(), options);
      if (trust.ok()) {
        authz->resource_policy = std::make_shared<policy::Policy>(std::move(trust).value());
      }
      for (const Json& tag : role->value("Tags", Json::array())) {
        request.SetKey("aws:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
        request.SetKey("iam:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
      }
    }
  }
  if (auto it = input.find("ExternalId"); it != input.end()) {
    request.SetKey("sts:ExternalId", it->get<std::string>());
  }
  request.SetKey("sts:RoleSessionName", input.value("RoleSessionName", ""));
  if (auto it = input.find("SourceIdentity"); it != input.end()) {
    request.SetKey("sts:SourceIdentity", it->get<std::string>());
  }
  if (auto it = input.find("TransitiveTagKeys"); it != input.end()) {
    request.SetMultiValuedKey("sts:TransitiveTagKeys", it->get<std::vector<std::string>>());
  }
  // Passing session tags or a source identity are permissions of their own, which the
  // trust policy (and across accounts the caller's policies) must grant too.
  if (input.contains("Tags") || input.contains("TransitiveTagKeys")) {
    authz->additional_actions.push_back("sts:TagSession");
  }
  if (input.contains("SourceIdentity")) {
    authz->additional_actions.push_back("sts:SetSourceIdentity");
  }
  // An MFA code given with the request counts for the trust policy's conditions.
  ASSIGN_OR_RETURN(bool mfa, VerifyMfa(ctx, input));
  if (mfa) {
    ctx.mfa_code_verified = true;
    request.SetKey("aws:MultiFactorAuthPresent", "true");
    request.SetKey("aws:MultiFactorAuthAge", "0");
  }
  return Status::Ok();
}

Result<Json> HandleAssumeRole(RequestContext& ctx, const Json& input) {
  const std::string role_arn = input.at("RoleArn").get<std::string>();
  const std::string session_name = input.at("RoleSessionName").get<std::string>();
  if (ctx.caller.type == Principal::Type::kRoot) {
    return Status(ErrorKind::kAccessDenied, "Roles may not be assumed by root accounts.");
  }
  auto parsed = ParseRoleArn(role_arn);
  if (!parsed) return AccessDenied(ctx, role_arn);
  const auto& [account, role_name] = *parsed;
  const bool chained = ctx.caller.type == Principal::Type::kAssumedRole;
  const SessionInfo& caller_session = ctx.caller.session;

  // Session policy: checked like any policy, before anything is written.
  std::string session_policy = input.value("Policy", "");
  if (!session_policy.empty()) {
    policy::ParseOptions options;
    options.kind = policy::PolicyKind::kSession;
    Result<policy::Policy> parsed_policy = policy::ParsePolicy(session_policy, options);
    if (!parsed_policy.ok()) return parsed_policy.status();
  }
  std::vector<std::string> policy_arns;
  for (const Json& p : input.value("PolicyArns", Json::array())) {
    policy_arns.push_back(p.value("arn", ""));
  }

  // Session tags: the caller's transitive tags carry over and cannot be changed.
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::string> transitive;
  if (chained) {
    for (const auto& [key, value] : caller_session.tags) {
      for (const std::string& t : caller_session.transitive_tag_keys) {
        if (iam::Lower(t) == iam::Lower(key)) tags.emplace_back(key, value);
      }
    }
    transitive = caller_session.transitive_tag_keys;
  }
  for (const Json& tag : input.value("Tags", Json::array())) {
    std::string key = tag.value("Key", "");
    for (const auto& [existing, value] : tags) {
      if (iam::Lower(existing) == iam::Lower(key)) {
        return Status::Service("InvalidParameterValue", 400,
                               "One or more session tags cannot be set because they override "
                               "transitive tags from the calling session: " +
                                   key);
      }
    }
    tags.emplace_back(key, tag.value("Value", ""));
  }
  for (const Json& key : input.value("TransitiveTagKeys", Json::array())) {
    std::string k = key.get<std::string>();
    bool tagged = std::any_of(tags.begin(), tags.end(),
                              [&](const auto& t) { return iam::Lower(t.first) == iam::Lower(k); });
    if (!tagged) {
      return Status::Service("InvalidParameterValue", 400,
                             "The transitive tag key " + k + " is not one of the session tags.");
    }
    transitive.push_back(std::move(k));
  }
  // A source identity, once set, stays for every chained session.
  std::string source_identity = caller_session.source_identity;
  if (auto it = input.find("SourceIdentity"); it != input.end()) {
    std::string wanted = it->get<std::string>();
    if (!source_identity.empty() && wanted != source_identity) {
      return ValidationError("The source identity of the calling session cannot be changed.");
    }
    source_identity = std::move(wanted);
  }
  size_t packed = session_policy.size();
  for (const std::string& arn : policy_arns) packed += arn.size();
  for (const auto& [k, v] : tags) packed += k.size() + v.size();
  if (packed > kPackedPolicyBudget) {
    return Status::Service("PackedPolicyTooLarge", 400,
                           "Packed size of the session policies and session tags exceeds the "
                           "limit.");
  }

  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  const std::string key = iam::EntityKey(account, iam::Kind::kRole, role_name);
  ASSIGN_OR_RETURN(std::optional<Json> role, iam::Load(*txn, key));
  if (!role || (*role)["Arn"].get<std::string>() != role_arn) return AccessDenied(ctx, role_arn);
  const int64_t max_duration = role->value("MaxSessionDuration", kDefaultRoleDuration);
  const int64_t duration = input.value("DurationSeconds", kDefaultRoleDuration);
  if (chained && duration > kChainedRoleMaxDuration) {
    return ValidationError(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining.");
  }
  if (duration > max_duration) {
    return ValidationError(
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }
  if (duration < kMinDuration) {
    return ValidationError("The requested DurationSeconds is less than the minimum of 900.");
  }

  const int64_t now = iam::Now(ctx);
  Principal session;
  session.type = Principal::Type::kAssumedRole;
  session.account_id = account;
  session.arn = "arn:aws:sts::" + account + ":assumed-role/" +
                (*role)["RoleName"].get<std::string>() + "/" + session_name;
  session.user_id = (*role)["RoleId"].get<std::string>() + ":" + session_name;
  session.session.issued = now;
  session.session.expires = now + duration;
  session.session.mfa_authenticated = ctx.mfa_code_verified;
  session.session.role_arn = role_arn;
  session.session.session_name = session_name;
  session.session.source_identity = source_identity;
  session.session.policy = session_policy;
  session.session.policy_arns = policy_arns;
  session.session.tags = tags;
  session.session.transitive_tag_keys = transitive;

  const std::string akid = ids::NewUniqueId("ASIA");
  SecretBytes secret = ids::NewSecretAccessKey();
  const std::string token = NewSessionToken();
  RETURN_IF_ERROR(ctx.env->credentials->CreateSessionIn(*txn, session, akid, secret, token));
  (*role)["RoleLastUsed"] = {{"LastUsedDate", now}, {"Region", ctx.region}};
  RETURN_IF_ERROR(iam::Save(*txn, key, *role));
  RETURN_IF_ERROR(iam::Commit(ctx, *txn));

  Json out = {
      {"Credentials", CredentialsOutput(akid, secret, token, now + duration)},
      {"AssumedRoleUser", {{"AssumedRoleId", session.user_id}, {"Arn", session.arn}}},
      {"PackedPolicySize", static_cast<int>(packed * 100 / kPackedPolicyBudget)},
  };
  if (!source_identity.empty()) out["SourceIdentity"] = source_identity;
  return out;
}

Result<Json> HandleGetSessionToken(RequestContext& ctx, const Json& input) {
  if (ctx.caller.temporary()) {
    return Status(ErrorKind::kAccessDenied, "Cannot call GetSessionToken with session credentials");
  }
  // The model bounds DurationSeconds to 900..129600; the root user's sessions last at
  // most an hour ("the session for AWS account owners defaults to one hour").
  int64_t duration = input.value("DurationSeconds", kDefaultUserSessionDuration);
  if (ctx.caller.type == Principal::Type::kRoot) {
    duration = std::min(duration, kMaxRootSessionDuration);
  }
  ASSIGN_OR_RETURN(bool mfa, VerifyMfa(ctx, input));
  const int64_t now = iam::Now(ctx);
  Principal session = ctx.caller;
  session.session = SessionInfo();
  session.session.issued = now;
  session.session.expires = now + duration;
  session.session.mfa_authenticated = mfa;
  const std::string akid = ids::NewUniqueId("ASIA");
  SecretBytes secret = ids::NewSecretAccessKey();
  const std::string token = NewSessionToken();
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  RETURN_IF_ERROR(ctx.env->credentials->CreateSessionIn(*txn, session, akid, secret, token));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"Credentials", CredentialsOutput(akid, secret, token, now + duration)}};
}

}  // namespace bulwark::sts
