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
using session::kPackedPolicyBudget;
using session::NewSessionToken;
using session::ParseRoleArn;

constexpr int64_t kMinDuration = 900;
constexpr int64_t kDefaultRoleDuration = 3600;
constexpr int64_t kChainedRoleMaxDuration = 3600;
constexpr int64_t kDefaultUserSessionDuration = 43200;
constexpr int64_t kMaxRootSessionDuration = 3600;

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
  // Session tags are a permission of their own for a federated user's session too.
  if (op.name == "GetFederationToken" && input.contains("Tags")) {
    authz->additional_actions.push_back("sts:TagSession");
  }
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
      Result<policy::Policy> trust = session::TrustPolicyOf(*role);
      if (trust.ok()) {
        authz->resource_policy = std::make_shared<policy::Policy>(std::move(trust).value());
      }
      session::SetRoleTagKeys(*role, &request);
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

  ASSIGN_OR_RETURN(session::SessionPolicies policies, session::ReadSessionPolicies(input));

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
  size_t packed = policies.packed_chars;
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
  ASSIGN_OR_RETURN(int64_t duration, session::RoleSessionDuration(input, *role, chained));
  SessionInfo info;
  info.mfa_authenticated = ctx.mfa_code_verified;
  info.role_arn = role_arn;
  info.session_name = session_name;
  info.source_identity = source_identity;
  info.policy = std::move(policies.policy);
  info.policy_arns = std::move(policies.arns);
  info.tags = std::move(tags);
  info.transitive_tag_keys = std::move(transitive);
  ASSIGN_OR_RETURN(session::IssuedSession issued,
                   session::IssueRoleSession(ctx, *txn, key, *role, std::move(info), duration));
  Json& out = issued.output;
  out["PackedPolicySize"] = static_cast<int>(packed * 100 / kPackedPolicyBudget);
  if (!source_identity.empty()) out["SourceIdentity"] = source_identity;
  return std::move(out);
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
  const std::string akid = ids::NewAccessKeyId("ASIA", ctx.caller.account_id);
  SecretBytes secret = ids::NewSecretAccessKey();
  const std::string token = NewSessionToken();
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  RETURN_IF_ERROR(ctx.env->credentials->CreateSessionIn(*txn, session, akid, secret, token));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"Credentials", CredentialsOutput(akid, secret, token, now + duration)}};
}

namespace session {

Result<policy::Policy> TrustPolicyOf(const Json& role) {
  policy::ParseOptions options;
  options.kind = policy::PolicyKind::kTrust;
  return policy::ParsePolicy(role.value("AssumeRolePolicyDocument", ""), options);
}

void SetRoleTagKeys(const Json& role, policy::RequestContext* request) {
  for (const Json& tag : role.value("Tags", Json::array())) {
    request->SetKey("aws:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
    request->SetKey("iam:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
  }
}

Result<SessionPolicies> ReadSessionPolicies(const Json& input) {
  SessionPolicies out;
  out.policy = input.value("Policy", "");
  if (!out.policy.empty()) {
    policy::ParseOptions options;
    options.kind = policy::PolicyKind::kSession;
    Result<policy::Policy> parsed = policy::ParsePolicy(out.policy, options);
    if (!parsed.ok()) return parsed.status();
  }
  for (const Json& p : input.value("PolicyArns", Json::array())) {
    out.arns.push_back(p.value("arn", ""));
  }
  out.packed_chars = out.policy.size();
  for (const std::string& arn : out.arns) out.packed_chars += arn.size();
  return out;
}

Result<int64_t> RoleSessionDuration(const Json& input, const Json& role, bool chained) {
  const int64_t max_duration = role.value("MaxSessionDuration", kDefaultRoleDuration);
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
  return duration;
}

Result<IssuedSession> IssueRoleSession(RequestContext& ctx, storage::Transaction& txn,
                                       const std::string& role_key, Json& role, SessionInfo info,
                                       int64_t duration) {
  const int64_t now = iam::Now(ctx);
  IssuedSession issued;
  Principal& principal = issued.principal;
  const std::string account = ParseRoleArn(info.role_arn)->first;
  principal.type = Principal::Type::kAssumedRole;
  principal.account_id = account;
  principal.arn = "arn:aws:sts::" + account + ":assumed-role/" +
                  role["RoleName"].get<std::string>() + "/" + info.session_name;
  principal.user_id = role["RoleId"].get<std::string>() + ":" + info.session_name;
  principal.session = std::move(info);
  principal.session.issued = now;
  principal.session.expires = now + duration;

  const std::string akid = ids::NewAccessKeyId("ASIA", account);
  SecretBytes secret = ids::NewSecretAccessKey();
  const std::string token = NewSessionToken();
  RETURN_IF_ERROR(ctx.env->credentials->CreateSessionIn(txn, principal, akid, secret, token));
  role["RoleLastUsed"] = {{"LastUsedDate", now}, {"Region", ctx.region}};
  RETURN_IF_ERROR(iam::Save(txn, role_key, role));
  RETURN_IF_ERROR(iam::Commit(ctx, txn));
  issued.output = {
      {"Credentials", CredentialsOutput(akid, secret, token, now + duration)},
      {"AssumedRoleUser", {{"AssumedRoleId", principal.user_id}, {"Arn", principal.arn}}},
  };
  return issued;
}

}  // namespace session

}  // namespace bulwark::sts
