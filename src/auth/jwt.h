// OpenID Connect ID tokens (JWTs, RFC 7519) as STS AssumeRoleWithWebIdentity receives
// them: compact JWS parsing, signature verification against the provider's JWKS, and
// the claim checks. Errors carry STS's codes (InvalidIdentityToken,
// ExpiredTokenException) so that the handler can return them as they are.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/crypto.h"

namespace bulwark::jwt {

// Tokens longer than this are refused before any parsing (STS's WebIdentityToken limit).
inline constexpr size_t kMaxTokenChars = 20000;
// Clock skew allowed for nbf and iat.
inline constexpr int64_t kClockSkewSeconds = 300;

// One signing key of a JWKS.
struct Jwk {
  std::string kid;  // may be empty
  std::string alg;  // may be empty: any algorithm that suits the key type
  crypto::JwkPublicKey key;
};

// Parses a JWKS document ({"keys": [...]}, RFC 7517 section 5). Keys of other types, or
// marked for encryption ("use": "enc"), are skipped; malformed documents are kValidation.
Result<std::vector<Jwk>> ParseJwks(std::string_view document);

// A token split into its parts; nothing verified yet except the syntax and the alg.
struct ParsedToken {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signing_input;  // header "." payload, as received
  std::string signature;      // decoded
  std::string alg;
  std::string kid;
};

// Splits and decodes a compact JWS: exactly three base64url parts, a JSON object header
// with alg RS256/384/512 or ES256/384 (never "none" or HMAC: the issuer's key is public)
// and no "crit", and a JSON object payload. InvalidIdentityToken otherwise.
Result<ParsedToken> Parse(std::string_view token);

// Verifies the signature with the key the header's kid names (when there is a kid), or
// else with any key of the set that suits the algorithm. InvalidIdentityToken if no key
// verifies it.
Status VerifySignature(const ParsedToken& token, const std::vector<Jwk>& keys);

// What the claims must satisfy.
struct Expectations {
  std::string issuer;                  // exact iss, e.g. "https://issuer.example.com/path"
  std::vector<std::string> audiences;  // aud must contain one of them
  int64_t now = 0;                     // unix seconds
};

// The claims STS uses.
struct Claims {
  std::string subject;
  std::string audience;  // the one that matched
  std::vector<std::string> amr;
};

// Checks iss, aud, exp (required, in the future), nbf and iat (not in the future beyond
// the skew) and sub (required). ExpiredTokenException for an expired token,
// InvalidIdentityToken for the rest.
Result<Claims> CheckClaims(const ParsedToken& token, const Expectations& expect);

}  // namespace bulwark::jwt
