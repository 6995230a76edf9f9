// The authenticated caller of a request.
#pragma once

#include <string>

namespace bulwark {

struct Principal {
  enum class Type { kRoot, kIAMUser, kAssumedRole };
  Type type = Type::kRoot;
  std::string account_id;     // 12 digits
  std::string arn;            // arn:aws:iam::123456789012:root / :user/NAME / ...
  std::string user_id;        // aws:userid: the account id for root, AIDA... for users
  std::string access_key_id;  // the key that signed the request
  bool mfa_authenticated = false;
};

}  // namespace bulwark
