// The authenticated caller of a request.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bulwark {

// What a temporary credential carries beyond its principal: issued by STS
// (AssumeRole, GetSessionToken, GetFederationToken…) and fixed for its life.
struct SessionInfo {
  int64_t issued = 0;   // aws:TokenIssueTime
  int64_t expires = 0;  // the credential stops working at this time
  bool mfa_authenticated = false;
  std::string role_arn;      // assumed roles: the role's ARN, with its path
  std::string session_name;  // assumed roles: RoleSessionName
  // Federated users: the IAM user (or root) that called GetFederationToken, whose
  // permissions the session's policies narrow.
  std::string federated_by;
  std::string source_identity;
  std::string policy;                    // inline session policy (JSON), may be empty
  std::vector<std::string> policy_arns;  // managed session policies
  std::vector<std::pair<std::string, std::string>> tags;  // session tags
  std::vector<std::string> transitive_tag_keys;
};

struct Principal {
  enum class Type { kRoot, kIAMUser, kAssumedRole, kFederatedUser };
  Type type = Type::kRoot;
  std::string account_id;     // 12 digits
  std::string arn;            // arn:aws:iam::123456789012:root / :user/NAME / ...
  std::string user_id;        // aws:userid: the account id for root, AIDA... for users,
                              // ACCOUNT:NAME for federated users
  std::string access_key_id;  // the key that signed the request
  // Set for temporary credentials (session.issued != 0); empty for long-term keys.
  SessionInfo session;

  bool temporary() const { return session.issued != 0; }
};

}  // namespace bulwark
