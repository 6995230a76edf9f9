// IAM roles: create, read, list, update, delete, tags, and the permissions boundaries of
// roles and users (one implementation for both, so that the usage count on the policy
// is kept the same way).
#include <cstdint>

#include "auth/ids.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

constexpr int64_t kDefaultMaxSessionDuration = 3600;
constexpr int64_t kMinMaxSessionDuration = 3600;
constexpr int64_t kMaxMaxSessionDuration = 43200;

// Which members of a Role an answer carries. AWS's listings leave out the boundary,
// the tags and RoleLastUsed ("IAM resource-listing operations return a subset of the
// available attributes"); GetRole always has RoleLastUsed, empty until the role is used.
enum class RoleView { kList, kCreate, kFull };

Json RoleOutput(const Json& role, RoleView view) {
  Json out = {
      {"Path", role["Path"]},
      {"RoleName", role["RoleName"]},
      {"RoleId", role["RoleId"]},
      {"Arn", role["Arn"]},
      {"CreateDate", role["CreateDate"]},
      // IAM returns policy documents percent-encoded (RFC 3986).
      {"AssumeRolePolicyDocument",
       UrlEncodeDocument(role.value("AssumeRolePolicyDocument", std::string()))},
      {"MaxSessionDuration", role.value("MaxSessionDuration", kDefaultMaxSessionDuration)},
  };
  if (role.contains("Description")) out["Description"] = role["Description"];
  if (view == RoleView::kList) return out;
  if (role.contains("PermissionsBoundary")) {
    out["PermissionsBoundary"] = {{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"},
                                  {"PermissionsBoundaryArn", role["PermissionsBoundary"]}};
  }
  if (!role.value("Tags", Json::array()).empty()) out["Tags"] = role["Tags"];
  if (view == RoleView::kFull) out["RoleLastUsed"] = role.value("RoleLastUsed", Json::object());
  return out;
}

// The model bounds MaxSessionDuration to 1..12 hours and the protocol layer enforces
// it; checked here as well, with the same ValidationError, so that no caller of a
// handler can store a duration STS would then honour.
Status CheckMaxSessionDuration(const Json& value) {
  if (!value.is_number_integer()) {
    return Status(ErrorKind::kValidation,
                  "1 validation error detected: Value at 'maxSessionDuration' failed to "
                  "satisfy constraint: Member must be an integer");
  }
  const int64_t v = value.get<int64_t>();
  if (v < kMinMaxSessionDuration) {
    return Status(ErrorKind::kValidation,
                  "1 validation error detected: Value '" + std::to_string(v) +
                      "' at 'maxSessionDuration' failed to satisfy constraint: Member must "
                      "have value greater than or equal to " +
                      std::to_string(kMinMaxSessionDuration));
  }
  if (v > kMaxMaxSessionDuration) {
    return Status(ErrorKind::kValidation,
                  "1 validation error detected: Value '" + std::to_string(v) +
                      "' at 'maxSessionDuration' failed to satisfy constraint: Member must "
                      "have value less than or equal to " +
                      std::to_string(kMaxMaxSessionDuration));
  }
  return Status::Ok();
}

// Service-linked roles (/aws-service-role/) and roles AWS services reserve
// (/aws-reserved/) belong to AWS: an account can read and tag them but not change them.
bool IsProtectedPath(std::string_view path) {
  return path.starts_with("/aws-service-role/") || path.starts_with("/aws-reserved/");
}

Status CheckModifiable(const Json& role) {
  if (IsProtectedPath(role.value("Path", "/"))) {
    return Unmodifiable("Cannot perform the operation on the protected role '" +
                        role.value("RoleName", "") + "' - this role is only modifiable by AWS");
  }
  return Status::Ok();
}

// Loads a role for a change: it must exist and be the account's own.
Result<Json> LoadModifiableRole(storage::Transaction& txn, std::string_view account,
                                std::string_view name) {
  ASSIGN_OR_RETURN(Json role, LoadEntity(txn, account, Kind::kRole, name));
  RETURN_IF_ERROR(CheckModifiable(role));
  return role;
}

// Writes a role back under its (case-folded) name and commits.
Status SaveRole(RequestContext& ctx, storage::Transaction& txn, const Json& role) {
  RETURN_IF_ERROR(
      Save(txn, EntityKey(ctx.caller.account_id, Kind::kRole, role["RoleName"].get<std::string>()),
           role));
  return Commit(ctx, txn);
}

// Sets the boundary of a user or role, moving the usage count from the old policy to
// the new one. Setting the boundary it already has changes nothing.
Result<Json> PutBoundary(RequestContext& ctx, const Json& input, Kind kind,
                         std::string_view name_member) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = NameOf(input, name_member);
  const Json policy_arn = input.at("PermissionsBoundary");
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json entity, LoadEntity(*txn, account, kind, name));
  if (kind == Kind::kRole) RETURN_IF_ERROR(CheckModifiable(entity));
  RETURN_IF_ERROR(CheckBoundaryPolicy(*txn, account, policy_arn.get<std::string>()));
  if (entity.value("PermissionsBoundary", Json()) == policy_arn) return Json::object();
  if (entity.contains("PermissionsBoundary")) {
    RETURN_IF_ERROR(AdjustBoundaryUsage(*txn, account, entity["PermissionsBoundary"], -1));
  }
  RETURN_IF_ERROR(AdjustBoundaryUsage(*txn, account, policy_arn, +1));
  entity["PermissionsBoundary"] = policy_arn;
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, kind, name), entity));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

// Removes the boundary of a user or role; without one there is nothing to do and AWS
// answers success.
Result<Json> DeleteBoundary(RequestContext& ctx, const Json& input, Kind kind,
                            std::string_view name_member) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = NameOf(input, name_member);
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json entity, LoadEntity(*txn, account, kind, name));
  if (kind == Kind::kRole) RETURN_IF_ERROR(CheckModifiable(entity));
  if (!entity.contains("PermissionsBoundary")) return Json::object();
  RETURN_IF_ERROR(AdjustBoundaryUsage(*txn, account, entity["PermissionsBoundary"], -1));
  entity.erase("PermissionsBoundary");
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, kind, name), entity));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

}  // namespace

Json InstanceProfileRoleOutput(const Json& role) {
  Json out = RoleOutput(role, RoleView::kList);
  // Inside an instance profile AWS answers only the required members and the trust
  // policy (the InstanceProfile examples of the API and CLI references).
  out.erase("Description");
  out.erase("MaxSessionDuration");
  return out;
}

Status CheckRoleModifiable(const Json& role) { return CheckModifiable(role); }

Result<Json> CreateRole(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json output, CreateRoleIn(ctx, *txn, ctx.caller.account_id, input));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return output;
}

Result<Json> CreateRoleIn(RequestContext& ctx, storage::Transaction& txn, std::string_view account,
                          const Json& input) {
  const std::string name = NameOf(input, "RoleName");
  ASSIGN_OR_RETURN(std::string path, PathOf(input));
  if (IsProtectedPath(path)) {
    return InvalidInput(
        "The specified value for path is invalid. Paths beginning with " +
        std::string(path.starts_with("/aws-reserved/") ? "/aws-reserved/" : "/aws-service-role/") +
        " are reserved for roles that AWS services create.");
  }
  const std::string document = NameOf(input, "AssumeRolePolicyDocument");
  RETURN_IF_ERROR(CheckPolicyDocument(document, /*trust_policy=*/true, kMaxTrustPolicyChars));
  Json max_session = kDefaultMaxSessionDuration;
  if (auto it = input.find("MaxSessionDuration"); it != input.end()) {
    RETURN_IF_ERROR(CheckMaxSessionDuration(*it));
    max_session = *it;
  }
  const std::string key = EntityKey(account, Kind::kRole, name);
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(txn, key));
  if (existing) return EntityAlreadyExists("Role with name " + name + " already exists.");
  ASSIGN_OR_RETURN(size_t roles, Count(txn, KindPrefix(account, Kind::kRole)));
  if (roles >= kMaxRoles) {
    return LimitExceeded("Cannot exceed quota for RolesPerAccount: " + std::to_string(kMaxRoles));
  }
  Json role = {
      {"RoleName", name},
      {"RoleId", ids::NewUniqueId("AROA")},
      {"Path", path},
      {"Arn", Arn(account, Kind::kRole, path, name)},
      {"CreateDate", Now(ctx)},
      {"AssumeRolePolicyDocument", document},
      {"MaxSessionDuration", max_session},
      {"Tags", Json::array()},
      {"InlinePolicies", Json::object()},
      {"AttachedPolicies", Json::array()},
  };
  if (auto it = input.find("Description"); it != input.end()) role["Description"] = *it;
  if (auto it = input.find("Tags"); it != input.end()) {
    ASSIGN_OR_RETURN(role["Tags"], MergeTags(Json::array(), *it));
  }
  if (auto it = input.find("PermissionsBoundary"); it != input.end()) {
    RETURN_IF_ERROR(CheckBoundaryPolicy(txn, account, it->get<std::string>()));
    RETURN_IF_ERROR(AdjustBoundaryUsage(txn, account, *it, +1));
    role["PermissionsBoundary"] = *it;
  }
  RETURN_IF_ERROR(Save(txn, key, role));
  return Json{{"Role", RoleOutput(role, RoleView::kCreate)}};
}

Result<Json> GetRole(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json role,
                   LoadEntity(*txn, ctx.caller.account_id, Kind::kRole, NameOf(input, "RoleName")));
  return Json{{"Role", RoleOutput(role, RoleView::kFull)}};
}

Result<Json> ListRoles(RequestContext& ctx, const Json& input) {
  const std::string prefix = input.value("PathPrefix", "/");
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Page page,
                   ListRecords(
                       *txn, KindPrefix(ctx.caller.account_id, Kind::kRole), input,
                       [&](const Json& r) { return r.value("Path", "/").starts_with(prefix); },
                       [](const Json& r) { return RoleOutput(r, RoleView::kList); }));
  return PageOutput(std::move(page), "Roles");
}

Result<Json> UpdateRole(RequestContext& ctx, const Json& input) {
  auto max_session = input.find("MaxSessionDuration");
  if (max_session != input.end()) RETURN_IF_ERROR(CheckMaxSessionDuration(*max_session));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json role,
                   LoadModifiableRole(*txn, ctx.caller.account_id, NameOf(input, "RoleName")));
  if (auto it = input.find("Description"); it != input.end()) role["Description"] = *it;
  if (max_session != input.end()) role["MaxSessionDuration"] = *max_session;
  RETURN_IF_ERROR(SaveRole(ctx, *txn, role));
  return Json::object();
}

Result<Json> UpdateRoleDescription(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json role,
                   LoadModifiableRole(*txn, ctx.caller.account_id, NameOf(input, "RoleName")));
  role["Description"] = input.at("Description");
  RETURN_IF_ERROR(SaveRole(ctx, *txn, role));
  return Json{{"Role", RoleOutput(role, RoleView::kFull)}};
}

Result<Json> UpdateAssumeRolePolicy(RequestContext& ctx, const Json& input) {
  const std::string document = NameOf(input, "PolicyDocument");
  RETURN_IF_ERROR(CheckPolicyDocument(document, /*trust_policy=*/true, kMaxTrustPolicyChars));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json role,
                   LoadModifiableRole(*txn, ctx.caller.account_id, NameOf(input, "RoleName")));
  role["AssumeRolePolicyDocument"] = document;
  RETURN_IF_ERROR(SaveRole(ctx, *txn, role));
  return Json::object();
}

Result<Json> DeleteRole(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = NameOf(input, "RoleName");
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json role, LoadModifiableRole(*txn, account, name));
  // AWS refuses while anything still belongs to the role, in this order.
  if (!role.value("InlinePolicies", Json::object()).empty()) {
    return DeleteConflict("Cannot delete entity, must delete policies first.");
  }
  if (!role.value("AttachedPolicies", Json::array()).empty()) {
    return DeleteConflict("Cannot delete entity, must detach all policies first.");
  }
  if (!role.value("InstanceProfiles", Json::array()).empty()) {
    return DeleteConflict("Cannot delete entity, must remove roles from instance profile first.");
  }
  if (role.contains("PermissionsBoundary")) {
    RETURN_IF_ERROR(AdjustBoundaryUsage(*txn, account, role["PermissionsBoundary"], -1));
  }
  RETURN_IF_ERROR(txn->Delete(EntityKey(account, Kind::kRole, name)));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> TagRole(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json role,
                   LoadEntity(*txn, ctx.caller.account_id, Kind::kRole, NameOf(input, "RoleName")));
  ASSIGN_OR_RETURN(role["Tags"], MergeTags(role.value("Tags", Json::array()), input.at("Tags")));
  RETURN_IF_ERROR(SaveRole(ctx, *txn, role));
  return Json::object();
}

Result<Json> UntagRole(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json role,
                   LoadEntity(*txn, ctx.caller.account_id, Kind::kRole, NameOf(input, "RoleName")));
  role["Tags"] = RemoveTags(role.value("Tags", Json::array()), input.at("TagKeys"));
  RETURN_IF_ERROR(SaveRole(ctx, *txn, role));
  return Json::object();
}

Result<Json> ListRoleTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json role,
                   LoadEntity(*txn, ctx.caller.account_id, Kind::kRole, NameOf(input, "RoleName")));
  ASSIGN_OR_RETURN(Page page, PageOf(role.value("Tags", Json::array()), input));
  return PageOutput(std::move(page), "Tags");
}

Result<Json> PutRolePermissionsBoundary(RequestContext& ctx, const Json& input) {
  return PutBoundary(ctx, input, Kind::kRole, "RoleName");
}

Result<Json> DeleteRolePermissionsBoundary(RequestContext& ctx, const Json& input) {
  return DeleteBoundary(ctx, input, Kind::kRole, "RoleName");
}

Result<Json> PutUserPermissionsBoundary(RequestContext& ctx, const Json& input) {
  return PutBoundary(ctx, input, Kind::kUser, "UserName");
}

Result<Json> DeleteUserPermissionsBoundary(RequestContext& ctx, const Json& input) {
  return DeleteBoundary(ctx, input, Kind::kUser, "UserName");
}

}  // namespace bulwark::iam
