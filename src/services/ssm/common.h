// What Parameter Store's handlers share: SSM's errors, parameter names and ARNs, the
// records of parameters and their versions, and the encryption of SecureStrings.
//
// Records (JSON), per account and Region:
// - "ssm/ACCOUNT/REGION/param/NAME": the parameter as its latest version has it (Type,
//   Value or, for a SecureString, "Blob": the KMS ciphertext of the value, base64;
//   KeyId, Description, AllowedPattern, Tier, DataType, Policies, Version,
//   LastModifiedDate, LastModifiedUser), its "Labels" {label: version} and "Tags".
//   NAME is the canonical name: "/a" and "a" are one parameter, stored as "a".
// - "ssm/ACCOUNT/REGION/history/NAME/<10-digit version>": every version, current
//   included, with the same fields.
// - "ssm/due/<20-digit time>/ACCOUNT/REGION/NAME": an Expiration policy due then.
// A SecureString is encrypted by KMS under alias/aws/ssm or the parameter's KeyId, with
// the encryption context {"PARAMETER_ARN": ARN}, as AWS's; GetParameter without
// WithDecryption answers that ciphertext, which KMS's Decrypt takes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::ssm {

inline constexpr std::string_view kService = "ssm";
inline constexpr std::string_view kManagedAlias = "alias/aws/ssm";
inline constexpr size_t kMaxVersions = 100;
inline constexpr size_t kMaxLabelsPerVersion = 10;
inline constexpr size_t kMaxTags = 50;
inline constexpr size_t kMaxHierarchyLevels = 15;
inline constexpr size_t kStandardValueBytes = 4096;
inline constexpr size_t kAdvancedValueBytes = 8192;
inline constexpr std::string_view kDuePrefix = "ssm/due/";

// SSM's errors (HTTP 400, the code as the model's shape name).
Status Error(std::string code, std::string message);
Status Validation(std::string message);
Status ParameterNotFound(std::string_view name);  // "Parameter NAME not found."
Status VersionNotFound(std::string_view name, int64_t version);

// The canonical name of a request's Name (a name, or the parameter's ARN in the
// caller's account and Region), checked against AWS's naming rules.
Result<std::string> CanonicalName(const RequestContext& ctx, std::string_view name);
// arn:aws:ssm:REGION:ACCOUNT:parameter/NAME (one slash whatever the name's).
std::string ParameterArn(const RequestContext& ctx, std::string_view canonical);
// "/a/b" for "/a/b", "/a" for the root-level "a": the name as paths see it.
std::string PathName(std::string_view canonical);

std::string ParamPrefix(const RequestContext& ctx);
std::string ParamKey(const RequestContext& ctx, std::string_view canonical);
std::string HistoryKey(const RequestContext& ctx, std::string_view canonical, int64_t version);
std::string HistoryPrefix(const RequestContext& ctx, std::string_view canonical);
std::string DueKey(int64_t when, std::string_view account, std::string_view region,
                   std::string_view canonical);

// A parameter's record, or nullopt.
Result<std::optional<Json>> LoadParameter(storage::Transaction& txn, const RequestContext& ctx,
                                          std::string_view canonical);

// A SecureString's value encrypted for the record ("Blob"), for a caller allowed
// kms:Encrypt on the key; its plaintext back, for one allowed kms:Decrypt. Both open
// their own transactions. KMS's failures answer as SSM's (InvalidKeyId,
// AccessDeniedException).
Result<std::string> EncryptValue(RequestContext& ctx, std::string_view arn, std::string_view key_id,
                                 std::string_view value, std::string* key_arn);
Result<SecretBytes> DecryptValue(RequestContext& ctx, std::string_view arn, std::string_view blob);

// The Parameter shape of a version record: the value decrypted when `decrypt` and the
// version is a SecureString, else as stored (a SecureString's ciphertext, base64).
Result<Json> ParameterOf(RequestContext& ctx, const Json& version, bool decrypt);
// The labels a parameter's record gives `version`.
Json LabelsOf(const Json& parameter, int64_t version);

// Where a listing resumes: the input's NextToken (OffsetOf), or 0 without one;
// InvalidNextToken for a token that is not one of ours.
Result<size_t> StartOf(const Json& input, size_t size);
// A version's Policies as ParameterInlinePolicy entries (status Pending: notifications
// have nowhere to go).
Json InlinePolicies(const Json& version);

// Whether an input member is given and true.
bool Flag(const Json& input, std::string_view member);

}  // namespace bulwark::ssm
