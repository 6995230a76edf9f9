// Encoded authorization messages: the details of a denied request (who, which action on
// which resource, the request's condition keys, the statements that denied it), sealed
// so that only a caller allowed sts:DecodeAuthorizationMessage in the same account can
// read them. The pipeline encodes one for each request it denies; STS decodes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "services/service.h"

namespace bulwark {

namespace storage {
class Sealer;
}  // namespace storage

namespace authorization_message {

// How long an encoded message can be decoded.
inline constexpr int64_t kLifetimeSeconds = 24 * 3600;

// Seals `decoded` (AWS's DecodedMessage JSON) for `account`. The result is URL-safe
// Base64 text.
Result<std::string> Encode(const storage::Sealer& sealer, std::string_view account,
                           const Json& decoded, int64_t now);
// The DecodedMessage JSON text, or InvalidAuthorizationMessageException when the text
// was not encoded for `account` by this server, was altered, or has expired.
Result<std::string> Decode(const storage::Sealer& sealer, std::string_view account,
                           std::string_view encoded, int64_t now);

}  // namespace authorization_message
}  // namespace bulwark
