// Identifier formats: account ids, access key ids, secret access keys, unique ids.
#pragma once

#include <string>
#include <string_view>

#include "core/secret.h"

namespace bulwark::ids {

// 12 decimal digits, not starting with 0.
std::string NewAccountId();
// AWS-style unique id: a 4-letter prefix (AKIA access key, ASIA session key, AIDA user,
// AROA role, ANPA policy, ...) and 16 characters of [A-Z2-7].
std::string NewUniqueId(std::string_view prefix);
// 40 characters of [A-Za-z0-9+/], as AWS secret access keys.
SecretBytes NewSecretAccessKey();
// UUID version 4, lowercase: request ids, event ids.
std::string NewUuid();

bool IsAccountId(std::string_view s);
bool IsAccessKeyId(std::string_view s);  // 16..128 chars of [A-Z0-9]

}  // namespace bulwark::ids
