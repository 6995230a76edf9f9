// STS AssumeRoleWithSAML: temporary credentials for a role, in exchange for a SAML 2.0
// response signed by an identity provider registered in the role's account. The call is
// unsigned (Access::kUnsigned): the response authenticates the caller (auth/saml.h
// verifies it), the response's Role attribute must pair the requested role with the
// provider, and the role's trust policy, evaluated here, must allow
// sts:AssumeRoleWithSAML to the provider as a Federated principal under the saml: keys.

#include "auth/saml.h"

#include <algorithm>
#include <cctype>

#include "crypto/crypto.h"
#include "policy/evaluator.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"
#include "services/sts/sessions.h"

namespace bulwark::sts {
namespace {

constexpr std::string_view kAttributePrefix = "https://aws.amazon.com/SAML/Attributes/";
constexpr size_t kMaxSessionTags = 50;

Status NotAuthorized() {
  return Status(ErrorKind::kAccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML");
}

Status InvalidToken(std::string message) {
  return Status::Service("InvalidIdentityToken", 400, std::move(message));
}

std::string AwsAttribute(std::string_view name) {
  return std::string(kAttributePrefix) + std::string(name);
}

// The first value of an AWS attribute, or nullopt when the assertion has none.
std::optional<std::string> FirstValue(const saml::Assertion& a, std::string_view name) {
  const saml::Attribute* attr = a.Find(AwsAttribute(name));
  if (attr == nullptr || attr->values.empty()) return std::nullopt;
  return attr->values.front();
}

// [a-zA-Z_0-9+=,.@-]{2,64}: RoleSessionName and SourceIdentity as STS checks them.
bool IsSessionName(std::string_view s) {
  if (s.size() < 2 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_+=,.@-").find(c) != std::string_view::npos;
  });
}

// Tag keys as IAM allows them ([\p{L}\p{Z}\p{N}_.:/=+\-@]+, ASCII here), not "aws:".
bool IsTagKey(std::string_view s) {
  if (s.empty() || s.size() > 128 || iam::Lower(s).starts_with("aws:")) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view(" _.:/=+-@").find(c) != std::string_view::npos;
  });
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Whether the Role attribute holds the pair "role,provider" (either order).
bool RolePaired(const saml::Assertion& a, std::string_view role_arn,
                std::string_view provider_arn) {
  const saml::Attribute* roles = a.Find(AwsAttribute("Role"));
  if (roles == nullptr) return false;
  for (const std::string& value : roles->values) {
    size_t comma = value.find(',');
    if (comma == std::string::npos || value.find(',', comma + 1) != std::string::npos) continue;
    std::string first = Trim(std::string_view(value).substr(0, comma));
    std::string second = Trim(std::string_view(value).substr(comma + 1));
    if ((first == role_arn && second == provider_arn) ||
        (first == provider_arn && second == role_arn)) {
      return true;
    }
  }
  return false;
}

// The trust-policy keys AWS maps from well-known attribute names (IAM User Guide,
// "Mapping SAML attributes to AWS trust policy context keys"; key names as the Service
// Authorization Reference spells them).
struct MappedAttribute {
  std::string_view name;
  std::string_view key;
  bool multi_valued;
};
constexpr MappedAttribute kMappedAttributes[] = {
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "saml:edupersonaffiliation", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn", false},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "saml:edupersonorgunitdn", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.5", "saml:edupersonprimaryaffiliation", false},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "saml:edupersonprincipalname", false},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "saml:edupersonentitlement", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.8", "saml:edupersonprimaryorgunitdn", false},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.9", "saml:edupersonscopedaffiliation", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "saml:edupersontargetedid", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "saml:edupersonassurance", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "saml:eduorghomepageuri", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.3", "saml:eduorgidentityauthnpolicyuri", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "saml:eduorglegalname", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "saml:eduorgsuperioruri", true},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "saml:eduorgwhitepagesuri", true},
    {"urn:oid:2.5.4.3", "saml:cn", true},
    {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "saml:name", false},
    {"http://schemas.xmlsoap.org/claims/CommonName", "saml:commonName", false},
    {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "saml:givenName", false},
    {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "saml:surname", false},
    {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "saml:mail", false},
    {"http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid",
     "saml:primaryGroupSID", false},
    {"2.5.4.3", "saml:commonName", false},
    {"2.5.4.4", "saml:surname", false},
    {"2.4.5.42", "saml:givenName", false},
    {"2.5.4.45", "saml:x500UniqueIdentifier", false},
    {"0.9.2342.19200300100.1.1", "saml:uid", false},
    {"0.9.2342.19200300100.1.3", "saml:mail", false},
    {"0.9.2342.19200300.100.1.45", "saml:organizationStatus", false},
};

// Session tags from PrincipalTag:KEY attributes, and which of them are transitive.
struct SessionTags {
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::string> transitive;
};

Result<SessionTags> ReadSessionTags(const saml::Assertion& a) {
  SessionTags out;
  const std::string prefix = AwsAttribute("PrincipalTag:");
  for (const saml::Attribute& attr : a.attributes) {
    if (!attr.name.starts_with(prefix)) continue;
    std::string key = attr.name.substr(prefix.size());
    std::string value = attr.values.empty() ? std::string() : attr.values.front();
    if (!IsTagKey(key) || value.size() > 256) {
      return InvalidToken("The session tag " + key + " in AuthnResponse is not valid.");
    }
    for (const auto& [existing, unused] : out.tags) {
      if (iam::Lower(existing) == iam::Lower(key)) {
        return InvalidToken("The session tag " + key + " appears more than once in AuthnResponse.");
      }
    }
    out.tags.emplace_back(std::move(key), std::move(value));
  }
  if (out.tags.size() > kMaxSessionTags) {
    return InvalidToken("AuthnResponse has more than 50 session tags.");
  }
  if (const saml::Attribute* t = a.Find(AwsAttribute("TransitiveTagKeys"))) {
    for (const std::string& key : t->values) {
      bool tagged = std::any_of(out.tags.begin(), out.tags.end(), [&](const auto& tag) {
        return iam::Lower(tag.first) == iam::Lower(key);
      });
      if (!tagged) {
        return InvalidToken("The transitive tag key " + key + " is not one of the session tags.");
      }
      out.transitive.push_back(key);
    }
  }
  return out;
}

}  // namespace

Result<Json> HandleAssumeRoleWithSAML(RequestContext& ctx, const Json& input) {
  const std::string role_arn = input.at("RoleArn").get<std::string>();
  const std::string provider_arn = input.at("PrincipalArn").get<std::string>();
  const int64_t now = iam::Now(ctx);

  auto parsed_role = session::ParseRoleArn(role_arn);
  if (!parsed_role) return NotAuthorized();
  const auto& [account, role_name] = *parsed_role;
  ASSIGN_OR_RETURN(session::SessionPolicies policies, session::ReadSessionPolicies(input));

  // The provider, in its own short read transaction.
  std::optional<Json> provider;
  {
    ASSIGN_OR_RETURN(auto read, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(provider, iam::LoadSamlProvider(*read, provider_arn));
  }
  if (!provider) return InvalidToken("Specified provider doesn't exist.");
  // A role trusts providers of its own account only.
  if (!provider_arn.starts_with("arn:aws:iam::" + account + ":")) return NotAuthorized();
  const std::string provider_name = (*provider)["Name"].get<std::string>();
  if (provider->value("ValidUntil", int64_t{0}) <= now) {
    return InvalidToken("The SAML provider's metadata has expired.");
  }

  saml::Expectations expect;
  expect.issuer = (*provider)["EntityId"].get<std::string>();
  for (const Json& cert : provider->value("Certificates", Json::array())) {
    if (std::optional<std::string> der = crypto::Base64Decode(cert.get<std::string>())) {
      expect.certificates.push_back(std::move(*der));
    }
  }
  expect.now = now;
  expect.provider_uuid = provider->value("SAMLProviderUUID", "");
  ASSIGN_OR_RETURN(saml::Assertion assertion,
                   saml::VerifyResponse(input.at("SAMLAssertion").get<std::string>(), expect));
  if (provider->value("AssertionEncryptionMode", "") == "Required") {
    return InvalidToken("The SAML provider requires encrypted assertions.");
  }

  // What the response asks for: the role (paired with this provider), the session's
  // name, source identity, tags and duration.
  if (!RolePaired(assertion, role_arn, provider_arn)) return NotAuthorized();
  std::optional<std::string> session_name = FirstValue(assertion, "RoleSessionName");
  if (!session_name || session_name->empty()) {
    return InvalidToken("RoleSessionName is required in AuthnResponse");
  }
  if (!IsSessionName(*session_name)) {
    return InvalidToken("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}");
  }
  std::optional<std::string> source_identity = FirstValue(assertion, "SourceIdentity");
  if (source_identity &&
      (!IsSessionName(*source_identity) || iam::Lower(*source_identity).starts_with("aws:"))) {
    return InvalidToken(
        "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"");
  }
  std::optional<int64_t> session_duration;
  if (std::optional<std::string> d = FirstValue(assertion, "SessionDuration")) {
    const bool digits =
        !d->empty() && d->size() <= 6 &&
        std::all_of(d->begin(), d->end(), [](char c) { return c >= '0' && c <= '9'; });
    const int64_t v = digits ? std::stoll(*d) : 0;
    if (v < 900 || v > 43200) {
      return InvalidToken("SessionDuration in AuthnResponse must be between 900 and 43200.");
    }
    session_duration = v;
  }
  ASSIGN_OR_RETURN(SessionTags tags, ReadSessionTags(assertion));
  size_t packed = policies.packed_chars;
  for (const auto& [k, v] : tags.tags) packed += k.size() + v.size();
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

  const std::string subject_type = saml::SubjectType(assertion.subject_format);
  const std::string name_qualifier = saml::NameQualifier(assertion.issuer, account, provider_name);
  policy::RequestContext request;
  request.SetPrincipal(provider_arn);
  request.action = "sts:AssumeRoleWithSAML";
  request.resource = role_arn;
  request.resource_account = account;
  request.resource_policy_mode = policy::ResourcePolicyMode::kRequired;
  request.SetKey("saml:aud", assertion.recipient);
  request.SetKey("saml:iss", assertion.issuer);
  request.SetKey("saml:sub", assertion.subject);
  request.SetKey("saml:sub_type", subject_type);
  request.SetKey("saml:namequalifier", name_qualifier);
  request.SetKey("saml:doc", account + "/" + provider_name);
  for (const MappedAttribute& m : kMappedAttributes) {
    const saml::Attribute* attr = assertion.Find(m.name);
    if (attr == nullptr || attr->values.empty()) continue;
    if (m.multi_valued) {
      request.SetMultiValuedKey(m.key, attr->values);
    } else {
      request.SetKey(m.key, attr->values.front());
    }
  }
  request.SetKey("aws:FederatedProvider", provider_arn);
  request.SetKey("sts:RoleSessionName", *session_name);
  if (source_identity) request.SetKey("sts:SourceIdentity", *source_identity);
  if (!tags.tags.empty()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : tags.tags) {
      request.SetKey("aws:RequestTag/" + k, v);
      keys.push_back(k);
    }
    request.SetMultiValuedKey("aws:TagKeys", std::move(keys));
  }
  if (!tags.transitive.empty()) request.SetMultiValuedKey("sts:TransitiveTagKeys", tags.transitive);
  SetRequestKeys(ctx, now, &request);
  session::SetRoleTagKeys(*role, &request);
  policy::PolicySet set;
  set.resource = &trust.value();
  if (policy::Evaluate(set, request) != policy::Decision::kAllow) return NotAuthorized();
  // Session tags and a source identity need permissions of their own in the trust policy.
  if (!tags.tags.empty()) {
    request.action = "sts:TagSession";
    if (policy::Evaluate(set, request) != policy::Decision::kAllow) return NotAuthorized();
  }
  if (source_identity) {
    request.action = "sts:SetSourceIdentity";
    if (policy::Evaluate(set, request) != policy::Decision::kAllow) return NotAuthorized();
  }

  // The session lasts DurationSeconds (checked against the role), shortened by the
  // response's SessionDuration and SessionNotOnOrAfter.
  ASSIGN_OR_RETURN(int64_t duration, session::RoleSessionDuration(input, *role, false));
  if (session_duration) duration = std::min(duration, *session_duration);
  if (assertion.session_not_on_or_after) {
    const int64_t left = *assertion.session_not_on_or_after - now;
    if (left <= 0) {
      return Status::Service("ExpiredTokenException", 400, "The SAML session has expired.");
    }
    duration = std::min(duration, left);
  }

  SessionInfo info;
  info.role_arn = role_arn;
  info.session_name = *session_name;
  info.source_identity = source_identity.value_or("");
  info.policy = std::move(policies.policy);
  info.policy_arns = std::move(policies.arns);
  info.tags = tags.tags;
  info.transitive_tag_keys = tags.transitive;
  ASSIGN_OR_RETURN(
      session::IssuedSession issued,
      session::IssueRoleSession(ctx, *txn, role_key, *role, std::move(info), duration));
  ctx.caller = std::move(issued.principal);  // for the access log
  Json& out = issued.output;
  out["PackedPolicySize"] = static_cast<int>(packed * 100 / session::kPackedPolicyBudget);
  out["Subject"] = assertion.subject;
  out["SubjectType"] = subject_type;
  out["Issuer"] = assertion.issuer;
  out["Audience"] = assertion.recipient;
  out["NameQualifier"] = name_qualifier;
  if (source_identity) out["SourceIdentity"] = *source_identity;
  return std::move(out);
}

}  // namespace bulwark::sts
