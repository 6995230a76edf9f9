// IAM instance profiles: containers that hand one role to EC2 instances.
//
// A profile is one record at "iam/ACCOUNT/instance-profile/" + the lowercased name (the
// prefix GetAccountSummary counts). The link to its role is kept on both sides, like
// group membership: the profile's "Roles" (role names) and the role's
// "InstanceProfiles" (profile names), in the case they were created with, written in
// one transaction — DeleteRole reads the role's side, and ListInstanceProfilesForRole
// needs no scan. Roles are stored by name only: every answer shows the role as it is
// now, as AWS does.
#include <algorithm>

#include "auth/ids.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

// "An instance profile can contain only one role, and this quota cannot be increased."
constexpr size_t kMaxRolesPerInstanceProfile = 1;

std::string ProfilePrefix(std::string_view account) {
  return "iam/" + std::string(account) + "/instance-profile/";
}

// The profile named `name` (any case), or NoSuchEntity with AWS's message.
Result<Json> LoadProfile(storage::Transaction& txn, std::string_view account,
                         std::string_view name) {
  ASSIGN_OR_RETURN(std::optional<Json> record, Load(txn, InstanceProfileKey(account, name)));
  if (!record) return NoSuchEntity("Instance Profile " + std::string(name) + " cannot be found.");
  return std::move(*record);
}

// The InstanceProfile shape. Listings leave the tags out ("IAM resource-listing
// operations return a subset of the available attributes"); Roles is always present.
Result<Json> ProfileOutput(storage::Transaction& txn, std::string_view account, const Json& profile,
                           bool with_tags) {
  Json roles = Json::array();
  for (const Json& name : profile.value("Roles", Json::array())) {
    if (!name.is_string()) continue;
    ASSIGN_OR_RETURN(std::optional<Json> role,
                     Load(txn, EntityKey(account, Kind::kRole, name.get<std::string>())));
    // DeleteRole refuses while the role is in a profile, so a missing role can only
    // come from a damaged store; it is left out rather than failing the read.
    if (role) roles.push_back(InstanceProfileRoleOutput(*role));
  }
  Json out = {
      {"Path", profile["Path"]},
      {"InstanceProfileName", profile["InstanceProfileName"]},
      {"InstanceProfileId", profile["InstanceProfileId"]},
      {"Arn", profile["Arn"]},
      {"CreateDate", profile["CreateDate"]},
      {"Roles", std::move(roles)},
  };
  if (with_tags && !profile.value("Tags", Json::array()).empty()) out["Tags"] = profile["Tags"];
  return out;
}

Status SaveProfile(storage::Transaction& txn, std::string_view account, const Json& profile) {
  return Save(txn, InstanceProfileKey(account, profile["InstanceProfileName"].get<std::string>()),
              profile);
}

}  // namespace

std::string InstanceProfileKey(std::string_view account, std::string_view name) {
  return ProfilePrefix(account) + Lower(name);
}

Result<Json> InstanceProfilesOfRole(storage::Transaction& txn, std::string_view account,
                                    const Json& role) {
  Json names = role.value("InstanceProfiles", Json::array());
  // In the order of the profiles' keys, as ListInstanceProfiles lists them.
  std::sort(names.begin(), names.end(), [](const Json& a, const Json& b) {
    return Lower(a.is_string() ? a.get<std::string>() : "") <
           Lower(b.is_string() ? b.get<std::string>() : "");
  });
  Json out = Json::array();
  for (const Json& name : names) {
    if (!name.is_string()) continue;
    ASSIGN_OR_RETURN(std::optional<Json> profile,
                     Load(txn, InstanceProfileKey(account, name.get<std::string>())));
    if (!profile) continue;
    ASSIGN_OR_RETURN(Json shaped, ProfileOutput(txn, account, *profile, /*with_tags=*/false));
    out.push_back(std::move(shaped));
  }
  return out;
}

Result<Json> CreateInstanceProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = NameOf(input, "InstanceProfileName");
  ASSIGN_OR_RETURN(std::string path, PathOf(input));
  ASSIGN_OR_RETURN(Json tags, MergeTags(Json::array(), input.value("Tags", Json::array())));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  const std::string key = InstanceProfileKey(account, name);
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (existing) return EntityAlreadyExists("Instance Profile " + name + " already exists.");
  ASSIGN_OR_RETURN(size_t count, Count(*txn, ProfilePrefix(account)));
  if (count >= kMaxInstanceProfiles) {
    return LimitExceeded("Cannot exceed quota for InstanceProfilesPerAccount: " +
                         std::to_string(kMaxInstanceProfiles));
  }
  Json profile = {
      {"InstanceProfileName", name},
      {"InstanceProfileId", ids::NewUniqueId("AIPA")},
      {"Path", path},
      {"Arn", "arn:aws:iam::" + account + ":instance-profile" + path + name},
      {"CreateDate", Now(ctx)},
      {"Roles", Json::array()},
      {"Tags", std::move(tags)},
  };
  ASSIGN_OR_RETURN(Json out, ProfileOutput(*txn, account, profile, /*with_tags=*/true));
  RETURN_IF_ERROR(Save(*txn, key, profile));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json{{"InstanceProfile", std::move(out)}};
}

Result<Json> GetInstanceProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json profile, LoadProfile(*txn, account, NameOf(input, "InstanceProfileName")));
  ASSIGN_OR_RETURN(Json out, ProfileOutput(*txn, account, profile, /*with_tags=*/true));
  return Json{{"InstanceProfile", std::move(out)}};
}

Result<Json> ListInstanceProfiles(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string prefix = input.value("PathPrefix", "/");
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  // ListRecords' shaping cannot fail; a failed role read is kept and returned after.
  Status failure = Status::Ok();
  ASSIGN_OR_RETURN(Page page,
                   ListRecords(
                       *txn, ProfilePrefix(account), input,
                       [&](const Json& p) { return p.value("Path", "/").starts_with(prefix); },
                       [&](const Json& p) -> Json {
                         Result<Json> out = ProfileOutput(*txn, account, p, /*with_tags=*/false);
                         if (!out.ok()) {
                           failure = out.status();
                           return Json::object();
                         }
                         return std::move(out).value();
                       }));
  RETURN_IF_ERROR(failure);
  return PageOutput(std::move(page), "InstanceProfiles");
}

Result<Json> DeleteInstanceProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json profile, LoadProfile(*txn, account, NameOf(input, "InstanceProfileName")));
  if (!profile.value("Roles", Json::array()).empty()) {
    return DeleteConflict("Cannot delete entity, must remove roles from instance profile first.");
  }
  RETURN_IF_ERROR(
      txn->Delete(InstanceProfileKey(account, profile["InstanceProfileName"].get<std::string>())));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> AddRoleToInstanceProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json profile, LoadProfile(*txn, account, NameOf(input, "InstanceProfileName")));
  ASSIGN_OR_RETURN(Json role, LoadEntity(*txn, account, Kind::kRole, NameOf(input, "RoleName")));
  RETURN_IF_ERROR(CheckRoleModifiable(role));
  Json& roles = profile["Roles"];
  if (!roles.is_array()) roles = Json::array();
  // The quota is checked first, so adding the role a profile already holds is refused
  // the same way as adding a second one.
  if (roles.size() >= kMaxRolesPerInstanceProfile) {
    return LimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: " +
                         std::to_string(kMaxRolesPerInstanceProfile));
  }
  const std::string role_name = role["RoleName"].get<std::string>();
  const std::string profile_name = profile["InstanceProfileName"].get<std::string>();
  roles.push_back(role_name);
  Json& profiles = role["InstanceProfiles"];
  if (!profiles.is_array()) profiles = Json::array();
  if (FindName(profiles, profile_name) == profiles.end()) profiles.push_back(profile_name);
  RETURN_IF_ERROR(SaveProfile(*txn, account, profile));
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kRole, role_name), role));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> RemoveRoleFromInstanceProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json profile, LoadProfile(*txn, account, NameOf(input, "InstanceProfileName")));
  const std::string requested_role = NameOf(input, "RoleName");
  ASSIGN_OR_RETURN(Json role, LoadEntity(*txn, account, Kind::kRole, requested_role));
  RETURN_IF_ERROR(CheckRoleModifiable(role));
  const std::string role_name = role["RoleName"].get<std::string>();
  const std::string profile_name = profile["InstanceProfileName"].get<std::string>();
  Json& roles = profile["Roles"];
  if (!roles.is_array()) roles = Json::array();
  Json& profiles = role["InstanceProfiles"];
  if (!profiles.is_array()) profiles = Json::array();
  auto in_profile = FindName(roles, role_name);
  auto in_role = FindName(profiles, profile_name);
  if (in_profile == roles.end() && in_role == profiles.end()) {
    return NoSuchEntity("The role with name " + requested_role + " cannot be found.");
  }
  if (in_profile != roles.end()) roles.erase(in_profile);
  if (in_role != profiles.end()) profiles.erase(in_role);
  RETURN_IF_ERROR(SaveProfile(*txn, account, profile));
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kRole, role_name), role));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListInstanceProfilesForRole(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json role, LoadEntity(*txn, account, Kind::kRole, NameOf(input, "RoleName")));
  ASSIGN_OR_RETURN(Json all, InstanceProfilesOfRole(*txn, account, role));
  ASSIGN_OR_RETURN(Page page, PageOf(all, input));
  return PageOutput(std::move(page), "InstanceProfiles");
}

Result<Json> TagInstanceProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json profile, LoadProfile(*txn, account, NameOf(input, "InstanceProfileName")));
  ASSIGN_OR_RETURN(profile["Tags"],
                   MergeTags(profile.value("Tags", Json::array()), input.at("Tags")));
  RETURN_IF_ERROR(SaveProfile(*txn, account, profile));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> UntagInstanceProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json profile, LoadProfile(*txn, account, NameOf(input, "InstanceProfileName")));
  profile["Tags"] = RemoveTags(profile.value("Tags", Json::array()), input.at("TagKeys"));
  RETURN_IF_ERROR(SaveProfile(*txn, account, profile));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListInstanceProfileTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json profile,
                   LoadProfile(*txn, ctx.caller.account_id, NameOf(input, "InstanceProfileName")));
  ASSIGN_OR_RETURN(Page page, PageOf(profile.value("Tags", Json::array()), input));
  return PageOutput(std::move(page), "Tags");
}

}  // namespace bulwark::iam
