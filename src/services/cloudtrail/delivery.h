// Trail delivery: log files and digest files in AWS's formats and object-key layout, in
// a local directory per S3 bucket, and their verification.
//
// Log files: BUCKET/[PREFIX/]AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
//   ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz, gzip of {"Records":[...]}.
// Digest files (log file validation): BUCKET/[PREFIX/]AWSLogs/ACCOUNT/CloudTrail-Digest/
//   REGION/YYYY/MM/DD/ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHmmssZ.json.gz
//   in AWS's digest format: the SHA-256 of each log file delivered since the previous
//   digest (of the uncompressed content), the previous digest's hash and signature (a
//   chain per Region), signed with SHA256withRSA by the Region's key. The signature, which
//   S3 keeps as the object's metadata (x-amz-meta-signature), is beside the digest in
//   OBJECT.metadata.json: {"signature": HEX, "signature-algorithm": "SHA256withRSA"}. The
//   signed string is AWS's: digestEndTime, "\n", BUCKET/OBJECT, "\n", hex SHA-256 of the
//   uncompressed digest, "\n", the previous digest's signature ("null" for the first).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "services/service.h"

namespace bulwark::cloudtrail {

Result<std::string> Gzip(std::string_view data);
// At most `max_size` bytes of output (a larger file is refused: a bomb).
Result<std::string> Gunzip(std::string_view data, size_t max_size);

std::string DigestSigningString(std::string_view end_time, std::string_view bucket,
                                std::string_view object, std::string_view digest_sha256_hex,
                                std::string_view previous_signature);

// Delivers what each logging trail has due (maintenance hook).
Status DeliverTrails(ServiceEnvironment& env);
// ListPublicKeys.
Result<Json> ListPublicKeys(RequestContext& ctx, const Json& input);

// The checks of `bulwark trail verify`: AWS's validation of a trail's digest chain, from
// the newest digest of each Region (as the trail's record knows it) back to the first
// or to `start_time`: each digest's signature (by the key its fingerprint names), each
// log file's hash, each previous digest's hash and signature; then every log or digest
// file of the trail in the bucket that no digest names. `public_keys` are the digest
// keys ({"Fingerprint", "Value" (DER, base64)}).
struct VerifyResult {
  std::vector<std::string> lines;  // one per file checked or missing, and a summary
  size_t problems = 0;
};
VerifyResult VerifyTrail(const Json& trail, const std::vector<Json>& public_keys,
                         const std::string& bucket_dir, int64_t start_time);
// The digest keys a data directory's store holds, for VerifyTrail.
Result<std::vector<Json>> DigestPublicKeys(storage::KvStore& store);

}  // namespace bulwark::cloudtrail
