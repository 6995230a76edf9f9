// STS AssumeRoleWithWebIdentity: temporary credentials for a role, in exchange for an
// OpenID Connect ID token of a provider registered in the role's account. The call is
// unsigned (Access::kUnsigned): the token authenticates the caller, and the role's
// trust policy, evaluated here, must allow sts:AssumeRoleWithWebIdentity to the
// provider as a Federated principal under the token's claims.

#include <cctype>

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

// What an identity provider may put into its token for the session (AWS's claims
// "https://aws.amazon.com/tags" and "https://aws.amazon.com/source_identity").
struct TokenSessionData {
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::string> transitive_tag_keys;
  std::string source_identity;
};

Status BadClaim(std::string_view what) {
  return Status::Service("InvalidIdentityToken", 400,
                         "The " + std::string(what) + " claim of the token is not valid.");
}

// The session tags claim: {"principal_tags": {"key": ["value"]}, "transitive_tag_keys":
// ["key"]}, with IAM's limits on tags (50; keys 1-128, values 0-256 characters; keys
// unique without regard to case; transitive keys among the tags).
Result<TokenSessionData> ReadTokenSessionData(const Json& claims) {
  constexpr size_t kMaxTags = 50, kMaxKey = 128, kMaxValue = 256;
  TokenSessionData out;
  if (auto it = claims.find("https://aws.amazon.com/tags"); it != claims.end()) {
    if (!it->is_object()) return BadClaim("session tags");
    const Json& principal_tags = it->value("principal_tags", Json::object());
    if (!principal_tags.is_object() || principal_tags.size() > kMaxTags) {
      return BadClaim("session tags");
    }
    for (const auto& [key, values] : principal_tags.items()) {
      if (key.empty() || key.size() > kMaxKey || !values.is_array() || values.size() != 1 ||
          !values[0].is_string() || values[0].get_ref<const std::string&>().size() > kMaxValue) {
        return BadClaim("session tags");
      }
      for (const auto& [existing, unused] : out.tags) {
        if (iam::Lower(existing) == iam::Lower(key)) return BadClaim("session tags");
      }
      out.tags.emplace_back(key, values[0].get<std::string>());
    }
    const Json& transitive = it->value("transitive_tag_keys", Json::array());
    if (!transitive.is_array()) return BadClaim("session tags");
    for (const Json& key : transitive) {
      if (!key.is_string()) return BadClaim("session tags");
      const std::string k = key.get<std::string>();
      bool tagged = false;
      for (const auto& tag : out.tags) tagged = tagged || iam::Lower(tag.first) == iam::Lower(k);
      if (!tagged) return BadClaim("session tags");
      out.transitive_tag_keys.push_back(k);
    }
  }
  if (auto it = claims.find("https://aws.amazon.com/source_identity"); it != claims.end()) {
    // SourceIdentity's model: 2-64 characters of [\w+=,.@-].
    if (!it->is_string()) return BadClaim("source identity");
    const std::string& value = it->get_ref<const std::string&>();
    if (value.size() < 2 || value.size() > 64) return BadClaim("source identity");
    for (char c : value) {
      if (!std::isalnum(static_cast<unsigned char>(c)) &&
          std::string_view("_+=,.@-").find(c) == std::string_view::npos) {
        return BadClaim("source identity");
      }
    }
    out.source_identity = value;
  }
  return out;
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
  ASSIGN_OR_RETURN(
      std::string jwks_doc,
      iam::OidcJwksDocument(ctx, provider_url,
                            provider->value("ThumbprintList", std::vector<std::string>())));
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
  ASSIGN_OR_RETURN(TokenSessionData session_data, ReadTokenSessionData(token.claims));
  size_t packed = policies.packed_chars;
  for (const auto& [k, v] : session_data.tags) packed += k.size() + v.size();
  if (packed > session::kPackedPolicyBudget) {
    return Status::Service("PackedPolicyTooLarge", 400,
                           "Packed size of the session policies and session tags exceeds the "
                           "limit.");
  }

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
  request.SetKey("aws:RequestedRegion", ctx.region);
  SetRequestKeys(ctx, now, &request);
  session::SetRoleTagKeys(*role, &request);
  if (!session_data.tags.empty()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : session_data.tags) {
      request.SetKey("aws:RequestTag/" + k, v);
      keys.push_back(k);
    }
    request.SetMultiValuedKey("aws:TagKeys", std::move(keys));
    if (!session_data.transitive_tag_keys.empty()) {
      request.SetMultiValuedKey("sts:TransitiveTagKeys", session_data.transitive_tag_keys);
    }
  }
  if (!session_data.source_identity.empty()) {
    request.SetKey("sts:SourceIdentity", session_data.source_identity);
  }
  policy::PolicySet set;
  set.resource = &trust.value();
  if (policy::Evaluate(set, request) != policy::Decision::kAllow) return NotAuthorized();
  // Tags and a source identity from the token are permissions of their own, which the
  // trust policy must grant too.
  if (!session_data.tags.empty()) {
    request.action = "sts:TagSession";
    if (policy::Evaluate(set, request) != policy::Decision::kAllow) return NotAuthorized();
  }
  if (!session_data.source_identity.empty()) {
    request.action = "sts:SetSourceIdentity";
    if (policy::Evaluate(set, request) != policy::Decision::kAllow) return NotAuthorized();
  }

  ASSIGN_OR_RETURN(int64_t duration, session::RoleSessionDuration(input, *role, false));
  SessionInfo info;
  info.role_arn = role_arn;
  info.session_name = session_name;
  info.policy = std::move(policies.policy);
  info.policy_arns = std::move(policies.arns);
  info.tags = std::move(session_data.tags);
  info.transitive_tag_keys = std::move(session_data.transitive_tag_keys);
  info.source_identity = session_data.source_identity;
  ASSIGN_OR_RETURN(
      session::IssuedSession issued,
      session::IssueRoleSession(ctx, *txn, role_key, *role, std::move(info), duration));
  ctx.caller = std::move(issued.principal);  // for the access log
  Json& out = issued.output;
  out["SubjectFromWebIdentityToken"] = claims.subject;
  out["PackedPolicySize"] = static_cast<int>(packed * 100 / session::kPackedPolicyBudget);
  if (!session_data.source_identity.empty()) out["SourceIdentity"] = session_data.source_identity;
  out["Provider"] = provider_url;
  out["Audience"] = claims.audience;
  return std::move(out);
}

}  // namespace bulwark::sts
