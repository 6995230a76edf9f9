// What IAM's operation handlers share: AWS's IAM errors, the storage layout of the
// account's entities, ARNs, tags and Marker/MaxItems pagination.
//
// Every entity is one JSON record in the KV store, keyed by account, kind and the
// lowercased name: IAM names are unique without regard to case ("Bob" and "bob" are
// the same user) but keep the case they were created with. A handler that changes
// anything does it in one transaction and commits through Commit(), which also tells
// the authorization cache that identities or policies may have changed.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::iam {

// AWS's IAM errors (codes and HTTP statuses from the IAM service model).
Status NoSuchEntity(std::string message);
Status EntityAlreadyExists(std::string message);
Status LimitExceeded(std::string message);
Status DeleteConflict(std::string message);
Status InvalidInput(std::string message);
Status MalformedPolicyDocument(std::string message);
Status Unmodifiable(std::string message);
Status PolicyNotAttachable(std::string message);

// Default quotas of an AWS account (IAM and STS quotas page).
inline constexpr size_t kMaxAccessKeysPerUser = 2;
inline constexpr size_t kMaxGroupsPerUser = 10;
inline constexpr size_t kMaxManagedPoliciesPerEntity = 10;
inline constexpr size_t kMaxPolicyVersions = 5;
inline constexpr size_t kMaxTagsPerEntity = 50;
inline constexpr size_t kMaxUsers = 5000;
inline constexpr size_t kMaxGroups = 300;
inline constexpr size_t kMaxRoles = 1000;
inline constexpr size_t kMaxCustomerPolicies = 1500;
// Policy sizes in characters other than whitespace.
inline constexpr size_t kMaxUserInlineChars = 2048;
inline constexpr size_t kMaxGroupInlineChars = 5120;
inline constexpr size_t kMaxRoleInlineChars = 10240;
inline constexpr size_t kMaxManagedPolicyChars = 6144;
inline constexpr size_t kMaxTrustPolicyChars = 2048;

enum class Kind { kUser, kGroup, kRole, kPolicy };

// "user", "group", "role", "policy": the ARN resource type.
std::string_view KindName(Kind kind);
// "iam/ACCOUNT/user/" — the prefix every record of that kind starts with.
std::string KindPrefix(std::string_view account, Kind kind);
// The record key for the entity named `name` (any case).
std::string EntityKey(std::string_view account, Kind kind, std::string_view name);
// Access key index of a user: "iam/ACCOUNT/user-key/LOWERNAME/AKID".
std::string UserKeyPrefix(std::string_view account, std::string_view user_name);
// Virtual MFA devices: "iam/ACCOUNT/mfa/" + the lowercased device name.
std::string MfaDevicePrefix(std::string_view account);
std::string MfaDeviceKey(std::string_view account, std::string_view device_name);
// The account's password policy: "iam/ACCOUNT/password-policy".
std::string PasswordPolicyKey(std::string_view account);

// arn:aws:iam::ACCOUNT:KIND/PATH-WITHOUT-LEADING-SLASH + NAME
std::string Arn(std::string_view account, Kind kind, std::string_view path, std::string_view name);
// The path of an input (default "/"), checked against IAM's rule: starts and ends with
// "/", at most 512 characters.
Result<std::string> PathOf(const Json& input, std::string_view member = "Path");

std::string Lower(std::string_view s);

// Reads and writes whole records.
Result<std::optional<Json>> Load(storage::Transaction& txn, std::string_view key);
Status Save(storage::Transaction& txn, std::string_view key, const Json& record);
// Commits and invalidates cached authorization data.
Status Commit(RequestContext& ctx, storage::Transaction& txn);

// The record of a user/group/role/policy that must exist, or NoSuchEntity with AWS's
// message ("The user with name bob cannot be found.").
Result<Json> LoadEntity(storage::Transaction& txn, std::string_view account, Kind kind,
                        std::string_view name);

// Counts records under a prefix (for quotas).
Result<size_t> Count(storage::Transaction& txn, std::string_view prefix);

// Tags given in a request (Tags: [{Key, Value}]), merged into `existing` by key
// (keys compare case-insensitively as in IAM); InvalidInput on duplicates,
// LimitExceeded beyond 50 tags.
Result<Json> MergeTags(const Json& existing, const Json& tags);
// Removes the keys in TagKeys (case-insensitively).
Json RemoveTags(const Json& existing, const Json& tag_keys);

// One page of a listing. MaxItems defaults to 100 (1..1000); Marker is the opaque
// value of an earlier response. `keep` filters records (null keeps all); `shape` turns
// a record into the output item.
struct Page {
  Json items = Json::array();
  bool truncated = false;
  std::string marker;
};
Result<Page> ListRecords(storage::Transaction& txn, std::string_view prefix, const Json& input,
                         const std::function<bool(const Json&)>& keep,
                         const std::function<Json(const Json&)>& shape);
// Pages an in-memory list in the same way (items already in output order).
Result<Page> PageOf(const Json& all, const Json& input);
// Puts a page into an output: the list member, IsTruncated and Marker.
Json PageOutput(Page page, std::string_view list_member);

// Begins a read-write or read-only transaction on the service's store.
Result<std::unique_ptr<storage::Transaction>> BeginWrite(RequestContext& ctx);
Result<std::unique_ptr<storage::Transaction>> BeginRead(RequestContext& ctx);

// The current time in whole seconds, from the service environment's clock.
int64_t Now(const RequestContext& ctx);

}  // namespace bulwark::iam
