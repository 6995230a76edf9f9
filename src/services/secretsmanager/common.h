// What Secrets Manager's handlers share: AWS's errors, the records of secrets and their
// versions, SecretId resolution, staging labels and the encryption of secret values.
//
// Records (JSON), per account and Region:
// - "secretsmanager/ACCOUNT/REGION/secret/NAME": the secret: ARN (with AWS's random
//   6-character suffix), Name, Description, KmsKeyId (as given; absent: the AWS managed
//   key aws/secretsmanager), dates, Tags, ResourcePolicy, and Versions
//   {VERSION-ID: {"Stages": [...], "Created": t, "Seq": n, "LastAccessed": day}}.
// - "secretsmanager/ACCOUNT/REGION/value/NAME/VERSION-ID": one version's value, never in
//   plaintext: {"DataKey": base64 KMS ciphertext of a fresh AES-256 key, "Sealed": base64
//   AES-256-GCM of the value under it (associated data: ARN "\n" VERSION-ID), "Binary":
//   bool}. The data key's encryption context is {"SecretARN": ARN, "SecretVersionId": ID},
//   as AWS's.
// - "secretsmanager/due/<20-digit time>/ACCOUNT/REGION/NAME": a deletion due then;
//   "secretsmanager/rotation/<20-digit time>/ACCOUNT/REGION/NAME": a rotation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::secretsmanager {

inline constexpr std::string_view kService = "secretsmanager";
inline constexpr std::string_view kManagedAlias = "alias/aws/secretsmanager";
inline constexpr std::string_view kCurrent = "AWSCURRENT";
inline constexpr std::string_view kPrevious = "AWSPREVIOUS";
inline constexpr std::string_view kPending = "AWSPENDING";
// Quotas (Secrets Manager endpoints and quotas).
inline constexpr size_t kMaxStagesPerVersion = 20;
inline constexpr size_t kMaxVersions = 100;  // with staging labels or not
inline constexpr size_t kMaxTags = 50;

Status NotFound(std::string message);
Status InvalidRequest(std::string message);
Status InvalidParameter(std::string message);
Status ResourceExists(std::string message);
Status LimitExceeded(std::string message);
Status MalformedPolicy(std::string message);
Status PublicPolicy();
Status InvalidNextToken();
// "Secrets Manager can't find the specified secret."
Status SecretNotFound();
// A secret scheduled for deletion refuses every operation but Describe, Restore, Delete
// (force) and the listings.
Status MarkedForDeletion();

std::string SecretKey(std::string_view account, std::string_view region, std::string_view name);
std::string SecretPrefix(std::string_view account, std::string_view region);
std::string ValueKey(const Json& secret, std::string_view version_id);
std::string DueKey(int64_t when, const Json& secret);
inline constexpr std::string_view kDuePrefix = "secretsmanager/due/";
// "secretsmanager/rotation/<20-digit time>/ACCOUNT/REGION/NAME": a scheduled rotation.
std::string RotationDueKey(int64_t when, const Json& secret);
inline constexpr std::string_view kRotationDuePrefix = "secretsmanager/rotation/";

// arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX with a fresh suffix.
std::string NewSecretArn(const RequestContext& ctx, std::string_view name);

// The secret a SecretId names: its name, its full ARN, or a partial ARN (without the
// random suffix), in the caller's account and Region; nullopt when there is none.
Result<std::optional<Json>> FindSecret(storage::Transaction& txn, const RequestContext& ctx,
                                       std::string_view secret_id);
// The same, or ResourceNotFoundException.
Result<Json> LoadSecret(storage::Transaction& txn, const RequestContext& ctx,
                        std::string_view secret_id);
// LoadSecret, refused with InvalidRequestException when it is scheduled for deletion.
Result<Json> LoadLiveSecret(storage::Transaction& txn, const RequestContext& ctx,
                            std::string_view secret_id);
Status SaveSecret(storage::Transaction& txn, const Json& secret);
bool IsDeleted(const Json& secret);
// {"ARN", "Name"}: what most operations answer.
Json Brief(const Json& secret);

// The secret's "Versions" (an empty object when it has none), by reference.
const Json& VersionsOf(const Json& secret);
// The version that carries `stage` ("" when none does).
std::string VersionWithStage(const Json& secret, std::string_view stage);
// Moves `stage` to `version_id`, from whichever version had it; AWSCURRENT leaves
// AWSPREVIOUS on the version it came from, as AWS moves it.
void MoveStage(Json& secret, std::string_view stage, std::string_view version_id);
// Removes `stage` from `version_id`.
void RemoveStage(Json& secret, std::string_view stage, std::string_view version_id);
// The VersionIdsToStages of DescribeSecret: every version with at least one label.
Json VersionIdsToStages(const Json& secret);
// Drops the oldest versions without a label beyond the quota (and their values);
// LimitExceededException when the quota is reached and none is more than a day old.
Status PruneVersions(storage::Transaction& txn, Json& secret, int64_t now);

// A secret's value as given in a request: SecretString or SecretBinary (exactly one).
struct SecretValue {
  SecretBytes bytes;
  bool binary = false;
};
// The value of a request: nullopt when it has none; InvalidParameterException with both.
Result<std::optional<SecretValue>> ValueOf(const Json& input);
// A new version's value record, encrypted through KMS under the secret's key for the
// caller (kms:GenerateDataKey). Opens its own transactions: call it with none open.
Result<std::string> SealValue(RequestContext& ctx, const Json& secret, std::string_view version_id,
                              const SecretValue& value, std::string* key_arn);
// A version's value, decrypted through KMS for the caller (kms:Decrypt); DecryptionFailure
// or the caller's AccessDeniedException otherwise.
Result<SecretValue> OpenValue(RequestContext& ctx, const Json& secret, std::string_view version_id,
                              std::string_view record);
// Whether a stored version holds exactly `value` (constant time over equal sizes).
Result<bool> SameValue(RequestContext& ctx, const Json& secret, std::string_view version_id,
                       std::string_view record, const SecretValue& value);
// The version a write makes: the request's ClientRequestToken, else a fresh id.
std::string VersionIdOf(const Json& input);
// ResourceExistsException for a ClientRequestToken already used by a version of `arn`.
Status TokenInUse(std::string_view token, std::string_view arn);
// A write whose ClientRequestToken names a version that exists: the same value again is
// the same request (true: nothing to do); another value is TokenInUse. False when the
// version does not exist.
Result<bool> IsRepeatedWrite(RequestContext& ctx, storage::Transaction& txn, const Json& secret,
                             std::string_view version_id, const SecretValue& value);
// Adds SecretString or SecretBinary to an output.
void PutValueInto(const SecretValue& value, Json& out);

// Records a version that a request writes: `stages` (AWSCURRENT when the secret has no
// current version yet) moved onto it.
void AddVersion(Json& secret, std::string_view version_id, const Json& stages, int64_t now);

// Where a listing resumes: the input's NextToken (OffsetOf), or 0 without one;
// InvalidNextTokenException for a token that is not one of ours.
Result<size_t> StartOf(const Json& input, size_t size);
// Whether an input member is given and true.
bool Flag(const Json& input, std::string_view member);

}  // namespace bulwark::secretsmanager
