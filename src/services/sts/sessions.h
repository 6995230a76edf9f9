// What STS's credential-issuing operations share: role ARNs, session tokens and the
// Credentials output shape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/ids.h"
#include "core/secret.h"
#include "crypto/crypto.h"
#include "policy/policy.h"
#include "services/service.h"

namespace bulwark::storage {
class Transaction;
}  // namespace bulwark::storage

namespace bulwark::sts::session {

// A role ARN: arn:aws:iam::ACCOUNT:role/PATH/NAME. Returns (account, name).
inline std::optional<std::pair<std::string, std::string>> ParseRoleArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = arn.substr(kPrefix.size());
  size_t colon = rest.find(':');
  if (colon != 12 || !ids::IsAccountId(rest.substr(0, 12))) return std::nullopt;
  std::string_view resource = rest.substr(colon + 1);
  if (!resource.starts_with("role/")) return std::nullopt;
  std::string_view name = resource.substr(resource.rfind('/') + 1);
  if (name.empty()) return std::nullopt;
  return std::make_pair(std::string(rest.substr(0, 12)), std::string(name));
}

inline Json CredentialsOutput(std::string_view akid, const SecretBytes& secret,
                              std::string_view token, int64_t expires) {
  return {{"AccessKeyId", akid},
          {"SecretAccessKey", std::string(secret.view())},
          {"SessionToken", token},
          {"Expiration", expires}};
}

// A session token: 160 random base64 characters (960 bits). Only its hash is stored.
inline std::string NewSessionToken() {
  return crypto::RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                              160);
}

// The packed (compressed) session policy and tags may use 2048 bytes in AWS; Bulwark
// does not compress, so it reports the share of the same budget the text uses.
inline constexpr size_t kPackedPolicyBudget = 2048;

// A request's session policies (Policy, PolicyArns). The inline one is parsed as a
// session policy (MalformedPolicyDocument otherwise) before anything is written.
struct SessionPolicies {
  std::string policy;
  std::vector<std::string> arns;
  size_t packed_chars = 0;  // what they use of kPackedPolicyBudget
};
Result<SessionPolicies> ReadSessionPolicies(const Json& input);

// The role's trust policy (its AssumeRolePolicyDocument, validated when it was stored).
Result<policy::Policy> TrustPolicyOf(const Json& role);
// The role's tags as the aws:ResourceTag/ and iam:ResourceTag/ keys of `request`.
void SetRoleTagKeys(const Json& role, policy::RequestContext* request);

// DurationSeconds (default 3600) checked against the role's MaxSessionDuration, and
// against the 1 hour limit of role chaining when `chained`.
Result<int64_t> RoleSessionDuration(const Json& input, const Json& role, bool chained);

// A new session of `role` (its record, stored at `role_key` in `txn`): its principal
// from `info` (role_arn, session_name, policies, tags… — issued and expires are set
// here), stored in the credential store, the role's RoleLastUsed updated, and `txn`
// committed. Returns the principal and the response's Credentials and AssumedRoleUser.
struct IssuedSession {
  Principal principal;
  Json output;
};
Result<IssuedSession> IssueRoleSession(RequestContext& ctx, storage::Transaction& txn,
                                       const std::string& role_key, Json& role, SessionInfo info,
                                       int64_t duration);

}  // namespace bulwark::sts::session
