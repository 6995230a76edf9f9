// AWS Signature Version 4: parsing, canonicalization and verification of requests
// signed in the Authorization header or in a presigned query string.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"
#include "core/status.h"
#include "http/message.h"

namespace bulwark::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr int64_t kMaxClockSkewSeconds = 15 * 60;
inline constexpr int64_t kMaxPresignExpirySeconds = 7 * 24 * 3600;

// What a request claims about its signature, before any secret is looked up.
struct ParsedAuth {
  bool presigned = false;
  std::string access_key_id;
  std::string date;                         // credential scope date, YYYYMMDD
  std::string region;                       // credential scope region
  std::string service;                      // credential scope service (signing name)
  std::vector<std::string> signed_headers;  // lowercase, as listed
  std::string signature;                    // lowercase hex
  std::string amz_date;                     // X-Amz-Date (header or query), YYYYMMDD'T'HHMMSS'Z'
  int64_t request_time = 0;                 // amz_date as Unix seconds
  int64_t expires = 0;                      // presigned only: X-Amz-Expires
  std::string session_token;                // X-Amz-Security-Token, if any
  std::string payload_hash;                 // x-amz-content-sha256 or computed
  // Presigned only: whether X-Amz-Security-Token is part of the canonical query. Some
  // SDKs (AWS IoT, the suite's post-sts-header-after) append the token after signing;
  // Verify() accepts either form, the token being checked separately by its issuer.
  bool token_signed = true;
  std::string CredentialScope() const;  // date/region/service/aws4_request
};

// Parses the Authorization header or presigned query parameters. Errors:
// kMissingAuthenticationToken (no signature at all), kIncompleteSignature (a malformed
// or partial header / query, an unsupported algorithm, oversized values, with AWS's
// message text), kSignatureDoesNotMatch (credential scope date differs from the request
// date). Does not check times or signatures.
Result<ParsedAuth> Parse(const http::Request& request);

// Checks X-Amz-Date against `now` (±15 minutes) and presign expiry (X-Amz-Expires,
// 1..604800). Errors: kRequestExpired with AWS's "Signature expired: ..." message;
// kIncompleteSignature for an X-Amz-Expires out of range.
Status CheckTime(const ParsedAuth& auth, int64_t now_unix_seconds);

// Checks that the credential scope names the service (signing name) that received the
// request. Error: kSignatureDoesNotMatch "Credential should be scoped to correct service".
Status CheckScope(const ParsedAuth& auth, std::string_view expected_service);

// AWS's canonical request. `normalize_path` is true for every service but S3: the raw
// path is normalized (dot segments, duplicate slashes) and encoded again, so an already
// encoded path is double-encoded. With false (S3) the path is decoded and encoded once.
std::string CanonicalRequest(const http::Request& request, const ParsedAuth& auth,
                             bool normalize_path = true);
std::string StringToSign(const ParsedAuth& auth, std::string_view canonical_request);
SecretBytes DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                             std::string_view region, std::string_view service);
std::string Signature(const SecretBytes& signing_key, std::string_view string_to_sign);

// Verifies the signature with the caller's secret. Compares in constant time.
// Error: kSignatureDoesNotMatch. Also checks x-amz-content-sha256 against the body when
// it is not UNSIGNED-PAYLOAD (mismatch: kSignatureDoesNotMatch with AWS's message).
// Normalizes the path for every service but "s3".
Status Verify(const http::Request& request, const ParsedAuth& auth, const SecretBytes& signing_key);
// The same with the path rule chosen by the caller (false: S3's single-encoded,
// unnormalized path).
Status Verify(const http::Request& request, const ParsedAuth& auth, const SecretBytes& signing_key,
              bool normalize_path);

// Signs `request` in the Authorization header form, as an AWS SDK does: sets X-Amz-Date
// (and X-Amz-Security-Token when `session_token` is not empty) and signs every header
// the request carries, which must include Host. The path is normalized, as for every
// service but S3. For clients Bulwark itself runs (tests,
// benchmarks, calls to signed endpoints).
void SignRequest(http::Request* request, std::string_view access_key_id,
                 std::string_view secret_access_key, std::string_view region,
                 std::string_view service, int64_t now_unix_seconds,
                 std::string_view session_token = {});

// ISO-8601 basic (YYYYMMDD'T'HHMMSS'Z') to Unix seconds; -1 if malformed.
int64_t ParseAmzDate(std::string_view amz_date);
std::string FormatAmzDate(int64_t unix_seconds);

}  // namespace bulwark::sigv4
