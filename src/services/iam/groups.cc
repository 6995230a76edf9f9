// IAM groups and their members. Membership is kept on both sides — the group's
// "Members" (user names) and each user's "Groups" (group names), in the case they were
// created with — and every change writes both records in one transaction, so that
// either side can answer (GetGroup, ListGroupsForUser, the authorizer collecting a
// user's group policies) without scanning.
#include <algorithm>

#include "auth/ids.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

// The Group shape (GetGroup, ListGroups, ListGroupsForUser, CreateGroup).
Json GroupOutput(const Json& group) {
  return Json{
      {"Path", group["Path"]}, {"GroupName", group["GroupName"]},   {"GroupId", group["GroupId"]},
      {"Arn", group["Arn"]},   {"CreateDate", group["CreateDate"]},
  };
}

// The User shape as GetGroup lists members: no tags and no boundary, like ListUsers.
Json MemberOutput(const Json& user) {
  Json out = {
      {"Path", user["Path"]}, {"UserName", user["UserName"]},     {"UserId", user["UserId"]},
      {"Arn", user["Arn"]},   {"CreateDate", user["CreateDate"]},
  };
  if (user.contains("PasswordLastUsed")) out["PasswordLastUsed"] = user["PasswordLastUsed"];
  return out;
}

}  // namespace

Result<Json> CreateGroup(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = NameOf(input, "GroupName");
  ASSIGN_OR_RETURN(std::string path, PathOf(input));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  const std::string key = EntityKey(account, Kind::kGroup, name);
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (existing) return EntityAlreadyExists("Group with name " + name + " already exists.");
  ASSIGN_OR_RETURN(size_t groups, Count(*txn, KindPrefix(account, Kind::kGroup)));
  if (groups >= kMaxGroups) {
    return LimitExceeded("Cannot exceed quota for GroupsPerAccount: " + std::to_string(kMaxGroups));
  }
  Json group = {
      {"GroupName", name},
      {"GroupId", ids::NewUniqueId("AGPA")},
      {"Path", path},
      {"Arn", Arn(account, Kind::kGroup, path, name)},
      {"CreateDate", Now(ctx)},
      {"InlinePolicies", Json::object()},
      {"AttachedPolicies", Json::array()},
      {"Members", Json::array()},
  };
  RETURN_IF_ERROR(Save(*txn, key, group));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json{{"Group", GroupOutput(group)}};
}

Result<Json> GetGroup(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json group, LoadEntity(*txn, account, Kind::kGroup, NameOf(input, "GroupName")));
  // Page the member names first so that only the page's users are read.
  ASSIGN_OR_RETURN(Page page, PageOf(group.value("Members", Json::array()), input));
  Json users = Json::array();
  for (const Json& member : page.items) {
    ASSIGN_OR_RETURN(std::optional<Json> user,
                     Load(*txn, EntityKey(account, Kind::kUser, member.get<std::string>())));
    if (user) users.push_back(MemberOutput(*user));
  }
  page.items = std::move(users);
  Json out = PageOutput(std::move(page), "Users");
  out["Group"] = GroupOutput(group);
  return out;
}

Result<Json> ListGroups(RequestContext& ctx, const Json& input) {
  const std::string prefix = input.value("PathPrefix", "/");
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Page page,
                   ListRecords(
                       *txn, KindPrefix(ctx.caller.account_id, Kind::kGroup), input,
                       [&](const Json& g) { return g.value("Path", "/").starts_with(prefix); },
                       [](const Json& g) { return GroupOutput(g); }));
  return PageOutput(std::move(page), "Groups");
}

Result<Json> ListGroupsForUser(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, NameOf(input, "UserName")));
  ASSIGN_OR_RETURN(Page page, PageOf(user.value("Groups", Json::array()), input));
  Json groups = Json::array();
  for (const Json& name : page.items) {
    ASSIGN_OR_RETURN(std::optional<Json> group,
                     Load(*txn, EntityKey(account, Kind::kGroup, name.get<std::string>())));
    if (group) groups.push_back(GroupOutput(*group));
  }
  page.items = std::move(groups);
  return PageOutput(std::move(page), "Groups");
}

Result<Json> UpdateGroup(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = NameOf(input, "GroupName");
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json group, LoadEntity(*txn, account, Kind::kGroup, name));
  if (input.contains("NewPath")) {
    ASSIGN_OR_RETURN(std::string path, PathOf(input, "NewPath"));
    group["Path"] = path;
  }
  const std::string old_name = group["GroupName"].get<std::string>();
  const std::string new_name = input.value("NewGroupName", old_name);
  if (new_name != old_name) {
    // A change of case only keeps the same key; anything else must not collide.
    if (Lower(new_name) != Lower(old_name)) {
      ASSIGN_OR_RETURN(std::optional<Json> clash,
                       Load(*txn, EntityKey(account, Kind::kGroup, new_name)));
      if (clash) return EntityAlreadyExists("Group with name " + new_name + " already exists.");
    }
    // Members name the group in their own records: rename it there too.
    for (const Json& member : group["Members"]) {
      const std::string user_key = EntityKey(account, Kind::kUser, member.get<std::string>());
      ASSIGN_OR_RETURN(std::optional<Json> user, Load(*txn, user_key));
      if (!user) continue;
      Json& groups = (*user)["Groups"];
      if (auto it = FindName(groups, old_name); it != groups.end()) *it = new_name;
      RETURN_IF_ERROR(Save(*txn, user_key, *user));
    }
    RETURN_IF_ERROR(txn->Delete(EntityKey(account, Kind::kGroup, old_name)));
    group["GroupName"] = new_name;
  }
  group["Arn"] = Arn(account, Kind::kGroup, group["Path"].get<std::string>(), new_name);
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kGroup, new_name), group));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> DeleteGroup(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = NameOf(input, "GroupName");
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json group, LoadEntity(*txn, account, Kind::kGroup, name));
  // AWS refuses while anything still belongs to the group, in this order.
  if (!group.value("Members", Json::array()).empty()) {
    return DeleteConflict("Cannot delete entity, must remove users from group first.");
  }
  if (!group.value("InlinePolicies", Json::object()).empty()) {
    return DeleteConflict("Cannot delete entity, must delete policies first.");
  }
  if (!group.value("AttachedPolicies", Json::array()).empty()) {
    return DeleteConflict("Cannot delete entity, must detach all policies first.");
  }
  RETURN_IF_ERROR(txn->Delete(EntityKey(account, Kind::kGroup, name)));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> AddUserToGroup(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json group, LoadEntity(*txn, account, Kind::kGroup, NameOf(input, "GroupName")));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, NameOf(input, "UserName")));
  const std::string group_name = group["GroupName"].get<std::string>();
  const std::string user_name = user["UserName"].get<std::string>();
  Json& groups = user["Groups"];
  Json& members = group["Members"];
  // Adding a member again succeeds without change, as in AWS.
  if (FindName(groups, group_name) != groups.end()) return Json::object();
  if (groups.size() >= kMaxGroupsPerUser) {
    return LimitExceeded("Cannot exceed quota for GroupsPerUser: " +
                         std::to_string(kMaxGroupsPerUser));
  }
  groups.push_back(group_name);
  if (FindName(members, user_name) == members.end()) members.push_back(user_name);
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kUser, user_name), user));
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kGroup, group_name), group));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> RemoveUserFromGroup(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json group, LoadEntity(*txn, account, Kind::kGroup, NameOf(input, "GroupName")));
  const std::string requested_user = NameOf(input, "UserName");
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, requested_user));
  const std::string group_name = group["GroupName"].get<std::string>();
  const std::string user_name = user["UserName"].get<std::string>();
  Json& groups = user["Groups"];
  Json& members = group["Members"];
  auto in_user = FindName(groups, group_name);
  auto in_group = FindName(members, user_name);
  if (in_user == groups.end() && in_group == members.end()) {
    return NoSuchEntity("The user with name " + requested_user + " cannot be found.");
  }
  if (in_user != groups.end()) groups.erase(in_user);
  if (in_group != members.end()) members.erase(in_group);
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kUser, user_name), user));
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kGroup, group_name), group));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

}  // namespace bulwark::iam
