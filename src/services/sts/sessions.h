// What STS's credential-issuing operations share: role ARNs, session tokens and the
// Credentials output shape.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auth/ids.h"
#include "core/secret.h"
#include "crypto/crypto.h"
#include "services/service.h"

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

}  // namespace bulwark::sts::session
