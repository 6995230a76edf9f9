// STS AssumeRoleWithWebIdentity: temporary credentials for a role, in exchange for an
// OpenID Connect ID token of a provider registered in the role's account. The call is
// unsigned (Access::kUnsigned): the token authenticates the caller, and the role's
// trust policy, evaluated here, must allow sts:AssumeRoleWithWebIdentity to the
// provider as a Federated principal under the token's claims.

#include "auth/credential_store.h"
#include "auth/jwt.h"
#include "policy/evaluator.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"
#include "services/sts/sessions.h"

namespace bulwark::sts {
namespace {

constexpr std::string_view kScheme = "https://";

Status NotAuthorized() {
  return Status(ErrorKind::kAccessDenied,
                "Not authorized to perform sts:AssumeRoleWithWebIdentity");
}

}  // namespace

Result<Json> HandleAssumeRoleWithWebIdentity(RequestContext& ctx, const Json& input) {
  const std::string role_arn = input.at("RoleArn").get<std::string>();
  const std::string session_name = input.at("RoleSessionName").get<std::string>();
  const std::string token_text = input.at("WebIdentityToken").get<std::string>();
  const int64_t now = iam::Now(ctx);

  // The token, before anything of the account is looked at.
  ASSIGN_OR_RETURN(jwt::ParsedToken token, jwt::Parse(token_text));
  const std::string iss = token.claims.value("iss", "");
  if (!iss.starts_with(kScheme) || iss.size() == kScheme.size()) {
    return Status::Service("InvalidIdentityToken", 400, "The token's issuer is not valid.");
  }
  auto parsed_arn = session::ParseRoleArn(role_arn);
  if (!parsed_arn) return NotAuthorized();
  const auto& [account, role_name] = *parsed_arn;

  ASSIGN_OR_RETURN(session::SessionPolicies policies, session::ReadSessionPolicies(input));
  if (policies.packed_chars > session::kPackedPolicyBudget) {
    return Status::Service("PackedPolicyTooLarge", 400,
                           "Packed size of the session policies exceeds the limit.");
  }

  // The provider, read in its own short transaction: the keys may have to be fetched
  // from the issuer, and no transaction (least of all the store's write lock) may be
  // held across a network call.
  const std::string url = iss.substr(kScheme.size());
  std::optional<Json> provider;
  {
    ASSIGN_OR_RETURN(auto read, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(provider, iam::LoadOidcProvider(*read, account, url));
  }
  if (!provider) {
    return Status::Service("InvalidIdentityToken", 400,
                           "No OpenIDConnect provider found in your account for " + iss);
  }
  const std::string provider_url = (*provider)["Url"].get<std::string>();
  ASSIGN_OR_RETURN(std::string jwks_doc, iam::OidcJwksDocument(ctx, provider_url));
  Result<std::vector<jwt::Jwk>> keys = jwt::ParseJwks(jwks_doc);
  if (!keys.ok()) {
    return Status::Service("IDPCommunicationError", 400,
                           "The identity provider's signing keys could not be read.");
  }
  RETURN_IF_ERROR(jwt::VerifySignature(token, *keys));
  jwt::Expectations expect;
  expect.issuer = std::string(kScheme) + provider_url;
  expect.audiences = (*provider)["ClientIDList"].get<std::vector<std::string>>();
  expect.now = now;
  ASSIGN_OR_RETURN(jwt::Claims claims, jwt::CheckClaims(token, expect));

  // The role and its trust policy; the session is written in the same transaction.
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  const std::string role_key = iam::EntityKey(account, iam::Kind::kRole, role_name);
  ASSIGN_OR_RETURN(std::optional<Json> role, iam::Load(*txn, role_key));
  if (!role || (*role)["Arn"].get<std::string>() != role_arn) return NotAuthorized();
  Result<policy::Policy> trust = session::TrustPolicyOf(*role);
  if (!trust.ok()) return NotAuthorized();

  policy::RequestContext request;
  request.SetPrincipal((*provider)["Arn"].get<std::string>());
  request.action = "sts:AssumeRoleWithWebIdentity";
  request.resource = role_arn;
  request.resource_account = account;
  request.resource_policy_mode = policy::ResourcePolicyMode::kRequired;
  // The provider's claim keys are named after its URL without scheme, e.g.
  // "token.actions.githubusercontent.com:sub".
  request.SetKey(provider_url + ":aud", claims.audience);
  request.SetKey(provider_url + ":sub", claims.subject);
  if (!claims.amr.empty()) request.SetMultiValuedKey(provider_url + ":amr", claims.amr);
  request.SetKey("aws:FederatedProvider", (*provider)["Arn"].get<std::string>());
  request.SetKey("sts:RoleSessionName", session_name);
  SetRequestKeys(ctx, now, &request);
  session::SetRoleTagKeys(*role, &request);
  policy::PolicySet set;
  set.resource = &trust.value();
  if (policy::Evaluate(set, request) != policy::Decision::kAllow) return NotAuthorized();

  ASSIGN_OR_RETURN(int64_t duration, session::RoleSessionDuration(input, *role, false));
  SessionInfo info;
  info.role_arn = role_arn;
  info.session_name = session_name;
  info.policy = std::move(policies.policy);
  info.policy_arns = std::move(policies.arns);
  ASSIGN_OR_RETURN(
      session::IssuedSession issued,
      session::IssueRoleSession(ctx, *txn, role_key, *role, std::move(info), duration));
  ctx.caller = std::move(issued.principal);  // for the access log
  Json& out = issued.output;
  out["SubjectFromWebIdentityToken"] = claims.subject;
  out["PackedPolicySize"] =
      static_cast<int>(policies.packed_chars * 100 / session::kPackedPolicyBudget);
  out["Provider"] = provider_url;
  out["Audience"] = claims.audience;
  return std::move(out);
}

}  // namespace bulwark::sts
