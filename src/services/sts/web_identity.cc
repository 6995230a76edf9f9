// STS AssumeRoleWithWebIdentity: temporary credentials for a role, in exchange for an
// OpenID Connect ID token of a provider registered in the role's account. The call is
// unsigned (Access::kUnsigned): the token authenticates the caller, and the role's
// trust policy, evaluated here, must allow sts:AssumeRoleWithWebIdentity to the
// provider as a Federated principal under the token's claims.
#include <ctime>

#include "auth/credential_store.h"
#include "auth/jwt.h"
#include "policy/evaluator.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"
#include "services/sts/sessions.h"

namespace bulwark::sts {
namespace {

constexpr int64_t kMinDuration = 900;
constexpr int64_t kDefaultDuration = 3600;
constexpr size_t kPackedPolicyBudget = 2048;
constexpr std::string_view kScheme = "https://";

Status NotAuthorized() {
  return Status(ErrorKind::kAccessDenied,
                "Not authorized to perform sts:AssumeRoleWithWebIdentity");
}

std::string IsoTime(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
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

  // Session policy: checked before anything is written.
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
  size_t packed = session_policy.size();
  for (const std::string& arn : policy_arns) packed += arn.size();
  if (packed > kPackedPolicyBudget) {
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
  policy::ParseOptions trust_options;
  trust_options.kind = policy::PolicyKind::kTrust;
  Result<policy::Policy> trust =
      policy::ParsePolicy((*role)["AssumeRolePolicyDocument"].get<std::string>(), trust_options);
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
  request.SetKey("aws:SourceIp", ctx.source_ip);
  request.SetKey("aws:UserAgent", ctx.user_agent);
  request.SetKey("aws:CurrentTime", IsoTime(now));
  request.SetKey("aws:EpochTime", std::to_string(now));
  request.SetKey("aws:SecureTransport", "false");
  for (const Json& tag : role->value("Tags", Json::array())) {
    request.SetKey("aws:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
    request.SetKey("iam:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
  }
  policy::PolicySet set;
  set.resource = &trust.value();
  if (policy::Evaluate(set, request) != policy::Decision::kAllow) return NotAuthorized();

  const int64_t max_duration = role->value("MaxSessionDuration", kDefaultDuration);
  const int64_t duration = input.value("DurationSeconds", kDefaultDuration);
  if (duration > max_duration) {
    return Status(ErrorKind::kValidation,
                  "The requested DurationSeconds exceeds the MaxSessionDuration set for this "
                  "role.");
  }
  if (duration < kMinDuration) {
    return Status(ErrorKind::kValidation,
                  "The requested DurationSeconds is less than the minimum of 900.");
  }

  Principal principal;
  principal.type = Principal::Type::kAssumedRole;
  principal.account_id = account;
  principal.arn = "arn:aws:sts::" + account + ":assumed-role/" +
                  (*role)["RoleName"].get<std::string>() + "/" + session_name;
  principal.user_id = (*role)["RoleId"].get<std::string>() + ":" + session_name;
  principal.session.issued = now;
  principal.session.expires = now + duration;
  principal.session.role_arn = role_arn;
  principal.session.session_name = session_name;
  principal.session.policy = session_policy;
  principal.session.policy_arns = policy_arns;

  const std::string akid = ids::NewUniqueId("ASIA");
  SecretBytes secret = ids::NewSecretAccessKey();
  const std::string session_token = session::NewSessionToken();
  RETURN_IF_ERROR(
      ctx.env->credentials->CreateSessionIn(*txn, principal, akid, secret, session_token));
  (*role)["RoleLastUsed"] = {{"LastUsedDate", now}, {"Region", ctx.region}};
  RETURN_IF_ERROR(iam::Save(*txn, role_key, *role));
  RETURN_IF_ERROR(iam::Commit(ctx, *txn));

  ctx.caller = principal;  // for the access log
  return Json{
      {"Credentials", session::CredentialsOutput(akid, secret, session_token, now + duration)},
      {"SubjectFromWebIdentityToken", claims.subject},
      {"AssumedRoleUser", {{"AssumedRoleId", principal.user_id}, {"Arn", principal.arn}}},
      {"PackedPolicySize", static_cast<int>(packed * 100 / kPackedPolicyBudget)},
      {"Provider", provider_url},
      {"Audience", claims.audience},
  };
}

}  // namespace bulwark::sts
