// Identifier formats: account ids, access key ids, secret access keys, unique ids.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/secret.h"

namespace bulwark::ids {

// 12 decimal digits, not starting with 0.
std::string NewAccountId();
// AWS-style unique id: a 4-letter prefix (AKIA access key, ASIA session key, AIDA user,
// AROA role, ANPA policy, ...) and 16 characters of [A-Z2-7].
std::string NewUniqueId(std::string_view prefix);
// An access key id (prefix AKIA or ASIA) that carries its account, laid out as AWS's:
// the 16 characters after the prefix are Base32 of 10 bytes whose first 48 bits hold
// the account id in bits 46..7; the rest is random. `account` is 12 digits.
std::string NewAccessKeyId(std::string_view prefix, std::string_view account);
// The account an access key id of that layout names (4-character prefix and 16
// Base32 characters), or nullopt when the id is not of that form.
std::optional<std::string> AccountOfAccessKeyId(std::string_view access_key_id);
// 40 characters of [A-Za-z0-9+/], as AWS secret access keys.
SecretBytes NewSecretAccessKey();
// UUID version 4, lowercase: request ids, event ids.
std::string NewUuid();

bool IsAccountId(std::string_view s);
bool IsAccessKeyId(std::string_view s);  // 16..128 chars of [A-Z0-9]

}  // namespace bulwark::ids
