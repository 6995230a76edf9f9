// IAM groups, memberships, roles and permissions boundaries, called as handlers on a
// fresh store: AWS's shapes, error codes and messages, pagination, and that both sides
// of a membership stay consistent.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "services/iam/common.h"
#include "services/iam/fixture.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

using testutil::IamTest;
using testutil::IsError;
using testutil::kAccount;
using testutil::kNow;

constexpr char kTrust[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
    R"("Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
constexpr char kTrust2[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
    R"("Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]})";
constexpr char kAllowAll[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
constexpr char kReadOnly[] = "arn:aws:iam::aws:policy/ReadOnlyAccess";

class GroupsRolesTest : public IamTest {
 protected:
  // The stored record of an entity (null if absent), read past the handlers.
  Json Record(Kind kind, std::string_view name) {
    auto raw = store().Get(EntityKey(kAccount, kind, name));
    EXPECT_TRUE(raw.ok());
    return raw.ok() && *raw ? Json::parse(**raw) : Json();
  }
  // Rewrites a stored record, for states other operations (or other services) create.
  void Edit(Kind kind, std::string_view name, const std::function<void(Json&)>& change) {
    Json record = Record(kind, name);
    ASSERT_TRUE(record.is_object()) << name;
    change(record);
    ASSERT_TRUE(store().Put(EntityKey(kAccount, kind, name), record.dump()).ok());
  }
  // `count` records of a kind written in one transaction, to reach a quota quickly.
  void Fill(Kind kind, size_t count) {
    auto txn = store().Begin();
    ASSERT_TRUE(txn.ok());
    for (size_t i = 0; i < count; ++i) {
      std::string name = "filler" + std::to_string(i);
      ASSERT_TRUE(Save(**txn, EntityKey(kAccount, kind, name), Json{{"Path", "/"}}).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  void MakeUser(const std::string& name) { Ok(&CreateUser, {{"UserName", name}}, name); }
  void MakeGroup(const std::string& name, const std::string& path = "/") {
    Ok(&CreateGroup, {{"GroupName", name}, {"Path", path}}, name);
  }
  void Join(const std::string& user, const std::string& group) {
    Ok(&AddUserToGroup, {{"UserName", user}, {"GroupName", group}}, user + " to " + group);
  }
  void MakeRole(const std::string& name, Json extra = Json::object()) {
    extra["RoleName"] = name;
    extra["AssumeRolePolicyDocument"] = kTrust;
    Ok(&CreateRole, extra, name);
  }
  std::string MakePolicy(const std::string& name) {
    Json out = Ok(&CreatePolicy, {{"PolicyName", name}, {"PolicyDocument", kAllowAll}}, name);
    return out["Policy"].value("Arn", "");
  }
  int64_t BoundaryUsage(const std::string& arn) {
    Json out = Ok(&GetPolicy, {{"PolicyArn", arn}}, arn);
    return out["Policy"].value("PermissionsBoundaryUsageCount", int64_t{-1});
  }

  // Names of a list member across all pages of size `page`.
  std::vector<std::string> AllPages(OperationHandler handler, Json input, const std::string& list,
                                    const std::string& name_member, int page) {
    std::vector<std::string> names;
    input["MaxItems"] = page;
    for (int guard = 0; guard < 100; ++guard) {
      Json out = Ok(handler, input, list);
      if (!out.is_object()) break;
      EXPECT_LE(out[list].size(), static_cast<size_t>(page));
      for (const Json& item : out[list]) names.push_back(item.value(name_member, ""));
      if (!out.value("IsTruncated", false)) {
        EXPECT_FALSE(out.contains("Marker"));
        break;
      }
      EXPECT_TRUE(out.contains("Marker"));
      input["Marker"] = out.value("Marker", "");
    }
    return names;
  }

  std::vector<std::string> GroupsOf(const std::string& user) {
    return AllPages(&ListGroupsForUser, {{"UserName", user}}, "Groups", "GroupName", 100);
  }
  std::vector<std::string> MembersOf(const std::string& group) {
    return AllPages(&GetGroup, {{"GroupName", group}}, "Users", "UserName", 100);
  }
};

using Names = std::vector<std::string>;

// --- Groups ---------------------------------------------------------------------------

TEST_F(GroupsRolesTest, CreateGroupReturnsTheGroupShape) {
  Json out = Ok(&CreateGroup, {{"GroupName", "Admins"}, {"Path", "/division/"}});
  const Json& g = out["Group"];
  EXPECT_EQ(g["GroupName"], "Admins");
  EXPECT_EQ(g["Path"], "/division/");
  EXPECT_EQ(g["Arn"], "arn:aws:iam::123456789012:group/division/Admins");
  EXPECT_EQ(g["CreateDate"], kNow);
  const std::string id = g["GroupId"];
  EXPECT_EQ(id.size(), 20u);
  EXPECT_EQ(id.substr(0, 4), "AGPA");
  EXPECT_EQ(g.size(), 5u) << g.dump();

  Json got = Ok(&GetGroup, {{"GroupName", "admins"}});
  EXPECT_EQ(got["Group"], g);
  EXPECT_EQ(got["Users"], Json::array());
  EXPECT_EQ(got["IsTruncated"], false);
  EXPECT_FALSE(got.contains("Marker"));
}

TEST_F(GroupsRolesTest, CreateGroupDefaultsPathAndCountsAsAChange) {
  const uint64_t before = env().iam_generation.load();
  Json out = Ok(&CreateGroup, {{"GroupName", "g"}});
  EXPECT_EQ(out["Group"]["Path"], "/");
  EXPECT_EQ(out["Group"]["Arn"], "arn:aws:iam::123456789012:group/g");
  EXPECT_GT(env().iam_generation.load(), before);
}

TEST_F(GroupsRolesTest, GroupNamesAreUniqueWithoutRegardToCase) {
  MakeGroup("Admins");
  EXPECT_TRUE(IsError(Call(&CreateGroup, {{"GroupName", "ADMINS"}}), "EntityAlreadyExists",
                      "Group with name ADMINS already exists."));
  // The failed request changed nothing.
  EXPECT_EQ(Ok(&GetGroup, {{"GroupName", "Admins"}})["Group"]["GroupName"], "Admins");
}

TEST_F(GroupsRolesTest, CreateGroupRejectsABadPath) {
  EXPECT_TRUE(
      IsError(Call(&CreateGroup, {{"GroupName", "g"}, {"Path", "nopath"}}), "InvalidInput"));
  EXPECT_TRUE(IsError(Call(&GetGroup, {{"GroupName", "g"}}), "NoSuchEntity"));
}

TEST_F(GroupsRolesTest, GroupQuota) {
  Fill(Kind::kGroup, kMaxGroups - 1);
  MakeGroup("last");
  EXPECT_TRUE(IsError(Call(&CreateGroup, {{"GroupName", "onemore"}}), "LimitExceeded",
                      "Cannot exceed quota for GroupsPerAccount: 300"));
}

TEST_F(GroupsRolesTest, MissingGroupIsNoSuchEntity) {
  MakeUser("bob");
  const std::string message = "The group with name nope cannot be found.";
  EXPECT_TRUE(IsError(Call(&GetGroup, {{"GroupName", "nope"}}), "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&UpdateGroup, {{"GroupName", "nope"}, {"NewPath", "/x/"}}),
                      "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&DeleteGroup, {{"GroupName", "nope"}}), "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&AddUserToGroup, {{"GroupName", "nope"}, {"UserName", "bob"}}),
                      "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&RemoveUserFromGroup, {{"GroupName", "nope"}, {"UserName", "bob"}}),
                      "NoSuchEntity", message));
}

TEST_F(GroupsRolesTest, MissingUserIsNoSuchEntity) {
  MakeGroup("g");
  const std::string message = "The user with name ghost cannot be found.";
  EXPECT_TRUE(IsError(Call(&AddUserToGroup, {{"GroupName", "g"}, {"UserName", "ghost"}}),
                      "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&RemoveUserFromGroup, {{"GroupName", "g"}, {"UserName", "ghost"}}),
                      "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&ListGroupsForUser, {{"UserName", "ghost"}}), "NoSuchEntity", message));
  EXPECT_EQ(MembersOf("g"), Names{});
}

TEST_F(GroupsRolesTest, ListGroupsFiltersByPathAndPages) {
  for (const char* name : {"e", "B", "a", "D", "c"}) MakeGroup(name, "/team/");
  MakeGroup("other", "/elsewhere/");
  // Listed in the order of their (case-folded) names, over pages of two.
  EXPECT_EQ(AllPages(&ListGroups, Json::object(), "Groups", "GroupName", 2),
            (Names{"a", "B", "c", "D", "e", "other"}));
  EXPECT_EQ(AllPages(&ListGroups, {{"PathPrefix", "/team/"}}, "Groups", "GroupName", 2),
            (Names{"a", "B", "c", "D", "e"}));
  EXPECT_EQ(AllPages(&ListGroups, {{"PathPrefix", "/else"}}, "Groups", "GroupName", 10),
            (Names{"other"}));
  Json page = Ok(&ListGroups, {{"MaxItems", 1}});
  EXPECT_EQ(page["Groups"][0].size(), 5u);  // the Group shape
  EXPECT_TRUE(page["IsTruncated"]);
}

TEST_F(GroupsRolesTest, MembershipIsRecordedOnBothSides) {
  MakeUser("Alice");
  MakeGroup("Admins");
  MakeGroup("Devs");
  Join("alice", "ADMINS");  // names in any case
  Join("Alice", "devs");
  EXPECT_EQ(GroupsOf("ALICE"), (Names{"Admins", "Devs"}));
  EXPECT_EQ(MembersOf("admins"), Names{"Alice"});

  // The members are full User shapes, without tags.
  Ok(&TagUser, {{"UserName", "Alice"}, {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}});
  Json got = Ok(&GetGroup, {{"GroupName", "Admins"}});
  const Json& user = got["Users"][0];
  EXPECT_EQ(user["Arn"], "arn:aws:iam::123456789012:user/Alice");
  EXPECT_EQ(user["Path"], "/");
  EXPECT_EQ(user["CreateDate"], kNow);
  EXPECT_EQ(user["UserId"].get<std::string>().substr(0, 4), "AIDA");
  EXPECT_FALSE(user.contains("Tags"));

  // The stored records say the same, in the names' original case.
  EXPECT_EQ(Record(Kind::kUser, "alice")["Groups"], (Json{"Admins", "Devs"}));
  EXPECT_EQ(Record(Kind::kGroup, "devs")["Members"], Json{"Alice"});
}

TEST_F(GroupsRolesTest, AddUserToGroupIsIdempotent) {
  MakeUser("bob");
  MakeGroup("g");
  Join("bob", "g");
  Join("BOB", "G");
  EXPECT_EQ(GroupsOf("bob"), Names{"g"});
  EXPECT_EQ(MembersOf("g"), Names{"bob"});
}

TEST_F(GroupsRolesTest, GroupsPerUserQuota) {
  MakeUser("bob");
  for (size_t i = 0; i < kMaxGroupsPerUser; ++i) {
    MakeGroup("g" + std::to_string(i));
    Join("bob", "g" + std::to_string(i));
  }
  MakeGroup("extra");
  EXPECT_TRUE(IsError(Call(&AddUserToGroup, {{"UserName", "bob"}, {"GroupName", "extra"}}),
                      "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10"));
  EXPECT_EQ(MembersOf("extra"), Names{});
  EXPECT_EQ(GroupsOf("bob").size(), kMaxGroupsPerUser);
  // Joining a group the user is already in is still fine at the quota.
  Join("bob", "g3");
}

TEST_F(GroupsRolesTest, RemoveUserFromGroup) {
  MakeUser("bob");
  MakeUser("carol");
  MakeGroup("g");
  Join("bob", "g");
  Join("carol", "g");
  Ok(&RemoveUserFromGroup, {{"UserName", "BOB"}, {"GroupName", "g"}});
  EXPECT_EQ(MembersOf("g"), Names{"carol"});
  EXPECT_EQ(GroupsOf("bob"), Names{});
  // Not a member any more.
  EXPECT_TRUE(IsError(Call(&RemoveUserFromGroup, {{"UserName", "bob"}, {"GroupName", "g"}}),
                      "NoSuchEntity", "The user with name bob cannot be found."));
}

TEST_F(GroupsRolesTest, GetGroupPagesItsMembers) {
  MakeGroup("big");
  Names expected;
  for (int i = 0; i < 7; ++i) {
    std::string name = "user" + std::to_string(i);
    MakeUser(name);
    Join(name, "big");
    expected.push_back(name);
  }
  EXPECT_EQ(AllPages(&GetGroup, {{"GroupName", "big"}}, "Users", "UserName", 3), expected);
  Json first = Ok(&GetGroup, {{"GroupName", "big"}, {"MaxItems", 3}});
  EXPECT_EQ(first["Group"]["GroupName"], "big");  // every page carries the group
  EXPECT_TRUE(first["IsTruncated"]);
  Json second = Ok(&GetGroup, {{"GroupName", "big"}, {"MaxItems", 3}, {"Marker", first["Marker"]}});
  EXPECT_EQ(second["Users"][0]["UserName"], "user3");
  EXPECT_EQ(second["Group"]["GroupName"], "big");
  EXPECT_TRUE(
      IsError(Call(&GetGroup, {{"GroupName", "big"}, {"Marker", "!!notbase64"}}), "InvalidInput"));
}

TEST_F(GroupsRolesTest, ListGroupsForUserPages) {
  MakeUser("bob");
  for (const char* g : {"z", "y", "x", "w"}) {
    MakeGroup(g);
    Join("bob", g);
  }
  // In the order the user joined them.
  EXPECT_EQ(AllPages(&ListGroupsForUser, {{"UserName", "bob"}}, "Groups", "GroupName", 3),
            (Names{"z", "y", "x", "w"}));
  Json out = Ok(&ListGroupsForUser, {{"UserName", "bob"}, {"MaxItems", 1}});
  EXPECT_EQ(out["Groups"][0]["Arn"], "arn:aws:iam::123456789012:group/z");
}

TEST_F(GroupsRolesTest, UpdateGroupRenamesEverywhere) {
  MakeUser("bob");
  MakeUser("carol");
  MakeGroup("Old", "/a/");
  MakeGroup("keep");
  Join("bob", "Old");
  Join("bob", "keep");
  Join("carol", "old");
  const std::string id = Ok(&GetGroup, {{"GroupName", "Old"}})["Group"]["GroupId"];

  Ok(&UpdateGroup, {{"GroupName", "old"}, {"NewGroupName", "New"}, {"NewPath", "/b/"}});
  EXPECT_TRUE(IsError(Call(&GetGroup, {{"GroupName", "Old"}}), "NoSuchEntity"));
  Json got = Ok(&GetGroup, {{"GroupName", "new"}});
  EXPECT_EQ(got["Group"]["GroupName"], "New");
  EXPECT_EQ(got["Group"]["GroupId"], id);
  EXPECT_EQ(got["Group"]["Path"], "/b/");
  EXPECT_EQ(got["Group"]["Arn"], "arn:aws:iam::123456789012:group/b/New");
  EXPECT_EQ(MembersOf("New"), (Names{"bob", "carol"}));
  // The members' own records follow, keeping their other groups and their order.
  EXPECT_EQ(GroupsOf("bob"), (Names{"New", "keep"}));
  EXPECT_EQ(GroupsOf("carol"), Names{"New"});
  // And membership operations work under the new name.
  Ok(&RemoveUserFromGroup, {{"UserName", "carol"}, {"GroupName", "NEW"}});
  EXPECT_EQ(MembersOf("New"), Names{"bob"});
}

TEST_F(GroupsRolesTest, UpdateGroupPathOnlyAndCaseOnlyRename) {
  MakeUser("bob");
  MakeGroup("team");
  Join("bob", "team");
  Ok(&UpdateGroup, {{"GroupName", "team"}, {"NewPath", "/x/y/"}});
  EXPECT_EQ(Ok(&GetGroup, {{"GroupName", "team"}})["Group"]["Arn"],
            "arn:aws:iam::123456789012:group/x/y/team");
  // Renaming to the same name in another case is not a clash with itself.
  Ok(&UpdateGroup, {{"GroupName", "team"}, {"NewGroupName", "Team"}});
  EXPECT_EQ(Ok(&GetGroup, {{"GroupName", "TEAM"}})["Group"]["GroupName"], "Team");
  EXPECT_EQ(GroupsOf("bob"), Names{"Team"});
  EXPECT_TRUE(
      IsError(Call(&UpdateGroup, {{"GroupName", "team"}, {"NewPath", "bad"}}), "InvalidInput"));
}

TEST_F(GroupsRolesTest, UpdateGroupWillNotTakeAnotherGroupsName) {
  MakeUser("bob");
  MakeGroup("a");
  MakeGroup("b");
  Join("bob", "a");
  EXPECT_TRUE(IsError(Call(&UpdateGroup, {{"GroupName", "a"}, {"NewGroupName", "B"}}),
                      "EntityAlreadyExists", "Group with name B already exists."));
  // Nothing moved.
  EXPECT_EQ(GroupsOf("bob"), Names{"a"});
  EXPECT_EQ(MembersOf("a"), Names{"bob"});
  EXPECT_EQ(MembersOf("b"), Names{});
}

TEST_F(GroupsRolesTest, UserRenameKeepsMembership) {
  MakeUser("bob");
  MakeGroup("g");
  Join("bob", "g");
  Ok(&UpdateUser, {{"UserName", "bob"}, {"NewUserName", "Robert"}});
  EXPECT_EQ(MembersOf("g"), Names{"Robert"});
  EXPECT_EQ(GroupsOf("robert"), Names{"g"});
  Ok(&RemoveUserFromGroup, {{"UserName", "Robert"}, {"GroupName", "g"}});
  EXPECT_EQ(MembersOf("g"), Names{});
}

TEST_F(GroupsRolesTest, DeleteGroupRefusesWhileItHasMembersOrPolicies) {
  MakeUser("bob");
  MakeGroup("g");
  Join("bob", "g");
  EXPECT_TRUE(IsError(Call(&DeleteGroup, {{"GroupName", "g"}}), "DeleteConflict",
                      "Cannot delete entity, must remove users from group first."));
  // Users in a group cannot be deleted either.
  EXPECT_TRUE(IsError(Call(&DeleteUser, {{"UserName", "bob"}}), "DeleteConflict"));
  Ok(&RemoveUserFromGroup, {{"UserName", "bob"}, {"GroupName", "g"}});

  {
    RequestContext ctx = MakeContext();
    ASSERT_TRUE(PutEntityPolicy(
                    ctx, {{"GroupName", "g"}, {"PolicyName", "p"}, {"PolicyDocument", kAllowAll}},
                    kGroupRef)
                    .ok());
  }
  EXPECT_TRUE(IsError(Call(&DeleteGroup, {{"GroupName", "G"}}), "DeleteConflict",
                      "Cannot delete entity, must delete policies first."));
  Edit(Kind::kGroup, "g", [](Json& g) { g["InlinePolicies"] = Json::object(); });

  Edit(Kind::kGroup, "g", [](Json& g) { g["AttachedPolicies"] = {kReadOnly}; });
  EXPECT_TRUE(IsError(Call(&DeleteGroup, {{"GroupName", "g"}}), "DeleteConflict",
                      "Cannot delete entity, must detach all policies first."));
  Edit(Kind::kGroup, "g", [](Json& g) { g["AttachedPolicies"] = Json::array(); });

  Ok(&DeleteGroup, {{"GroupName", "G"}});
  EXPECT_TRUE(IsError(Call(&GetGroup, {{"GroupName", "g"}}), "NoSuchEntity"));
  EXPECT_EQ(GroupsOf("bob"), Names{});
  Ok(&DeleteUser, {{"UserName", "bob"}});
  // The name is free again.
  MakeGroup("g");
}

// --- Roles ----------------------------------------------------------------------------

TEST_F(GroupsRolesTest, CreateRoleReturnsTheRoleShape) {
  Json out = Ok(&CreateRole, {{"RoleName", "Ec2Role"},
                              {"Path", "/app/"},
                              {"AssumeRolePolicyDocument", kTrust},
                              {"Description", "for instances"},
                              {"MaxSessionDuration", 7200},
                              {"Tags", {{{"Key", "team"}, {"Value", "infra"}}}}});
  const Json& r = out["Role"];
  EXPECT_EQ(r["RoleName"], "Ec2Role");
  EXPECT_EQ(r["Path"], "/app/");
  EXPECT_EQ(r["Arn"], "arn:aws:iam::123456789012:role/app/Ec2Role");
  EXPECT_EQ(r["CreateDate"], kNow);
  const std::string id = r["RoleId"];
  EXPECT_EQ(id.size(), 20u);
  EXPECT_EQ(id.substr(0, 4), "AROA");
  EXPECT_EQ(r["AssumeRolePolicyDocument"], UrlEncodeDocument(kTrust));
  EXPECT_EQ(r["Description"], "for instances");
  EXPECT_EQ(r["MaxSessionDuration"], 7200);
  EXPECT_EQ(r["Tags"], (Json{{{"Key", "team"}, {"Value", "infra"}}}));
  EXPECT_FALSE(r.contains("RoleLastUsed"));
  EXPECT_FALSE(r.contains("PermissionsBoundary"));
  // Stored as given, not encoded.
  EXPECT_EQ(Record(Kind::kRole, "ec2role")["AssumeRolePolicyDocument"], kTrust);
}

TEST_F(GroupsRolesTest, GetRoleHasEverythingAndDefaults) {
  MakeRole("r");
  Json r = Ok(&GetRole, {{"RoleName", "R"}})["Role"];
  EXPECT_EQ(r["RoleName"], "r");
  EXPECT_EQ(r["Path"], "/");
  EXPECT_EQ(r["Arn"], "arn:aws:iam::123456789012:role/r");
  EXPECT_EQ(r["MaxSessionDuration"], 3600);
  // The percent-encoding of RFC 3986: no raw braces, quotes or colons.
  const std::string doc = r["AssumeRolePolicyDocument"];
  EXPECT_EQ(doc.find_first_of("{}\":"), std::string::npos) << doc;
  EXPECT_EQ(doc.substr(0, 12), "%7B%22Versio");
  EXPECT_EQ(r["RoleLastUsed"], Json::object());
  EXPECT_FALSE(r.contains("Description"));
  EXPECT_FALSE(r.contains("Tags"));
  EXPECT_FALSE(r.contains("PermissionsBoundary"));

  Edit(Kind::kRole, "r", [](Json& role) {
    role["RoleLastUsed"] = {{"LastUsedDate", kNow + 5}, {"Region", "eu-west-1"}};
  });
  EXPECT_EQ(Ok(&GetRole, {{"RoleName", "r"}})["Role"]["RoleLastUsed"],
            (Json{{"LastUsedDate", kNow + 5}, {"Region", "eu-west-1"}}));
}

TEST_F(GroupsRolesTest, RoleNamesAreUniqueWithoutRegardToCase) {
  MakeRole("Deployer");
  EXPECT_TRUE(
      IsError(Call(&CreateRole, {{"RoleName", "DEPLOYER"}, {"AssumeRolePolicyDocument", kTrust}}),
              "EntityAlreadyExists", "Role with name DEPLOYER already exists."));
}

TEST_F(GroupsRolesTest, CreateRoleValidatesItsInput) {
  EXPECT_TRUE(
      IsError(Call(&CreateRole, {{"RoleName", "r"}, {"AssumeRolePolicyDocument", "{not json"}}),
              "MalformedPolicyDocument"));
  // A permissions policy (with Resource, without Principal) is no trust policy.
  EXPECT_TRUE(
      IsError(Call(&CreateRole, {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kAllowAll}}),
              "MalformedPolicyDocument"));
  EXPECT_TRUE(
      IsError(Call(&CreateRole,
                   {{"RoleName", "r"}, {"Path", "noslash"}, {"AssumeRolePolicyDocument", kTrust}}),
              "InvalidInput"));
  EXPECT_TRUE(IsError(Call(&CreateRole, {{"RoleName", "r"},
                                         {"Path", "/aws-service-role/x/"},
                                         {"AssumeRolePolicyDocument", kTrust}}),
                      "InvalidInput"));
  for (int bad : {0, 3599, 43201}) {
    Result<Json> r = Call(
        &CreateRole,
        {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}, {"MaxSessionDuration", bad}});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), ErrorKind::kValidation) << bad;
    EXPECT_NE(r.status().message().find("'" + std::to_string(bad) + "' at 'maxSessionDuration'"),
              std::string::npos)
        << r.status().message();
  }
  EXPECT_TRUE(IsError(Call(&CreateRole, {{"RoleName", "r"},
                                         {"AssumeRolePolicyDocument", kTrust},
                                         {"PermissionsBoundary", "arn:aws:iam::aws:policy/Nope"}}),
                      "InvalidInput"));
  Json dup_tags = {{{"Key", "a"}, {"Value", "1"}}, {{"Key", "A"}, {"Value", "2"}}};
  EXPECT_TRUE(
      IsError(Call(&CreateRole,
                   {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}, {"Tags", dup_tags}}),
              "InvalidInput"));
  // None of the refused requests left a role behind.
  EXPECT_TRUE(IsError(Call(&GetRole, {{"RoleName", "r"}}), "NoSuchEntity",
                      "The role with name r cannot be found."));
  // The bounds themselves are fine.
  MakeRole("short", {{"MaxSessionDuration", 3600}});
  MakeRole("long", {{"MaxSessionDuration", 43200}});
}

TEST_F(GroupsRolesTest, RoleQuota) {
  Fill(Kind::kRole, kMaxRoles - 1);
  MakeRole("last");
  EXPECT_TRUE(
      IsError(Call(&CreateRole, {{"RoleName", "onemore"}, {"AssumeRolePolicyDocument", kTrust}}),
              "LimitExceeded", "Cannot exceed quota for RolesPerAccount: 1000"));
}

TEST_F(GroupsRolesTest, MissingRoleIsNoSuchEntity) {
  const std::string message = "The role with name ghost cannot be found.";
  Json name = {{"RoleName", "ghost"}};
  for (OperationHandler h :
       {&GetRole, &UpdateRole, &DeleteRole, &ListRoleTags, &DeleteRolePermissionsBoundary}) {
    EXPECT_TRUE(IsError(Call(h, name), "NoSuchEntity", message));
  }
  EXPECT_TRUE(IsError(Call(&UpdateRoleDescription, {{"RoleName", "ghost"}, {"Description", ""}}),
                      "NoSuchEntity", message));
  EXPECT_TRUE(
      IsError(Call(&UpdateAssumeRolePolicy, {{"RoleName", "ghost"}, {"PolicyDocument", kTrust}}),
              "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&TagRole, {{"RoleName", "ghost"}, {"Tags", Json::array()}}),
                      "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&UntagRole, {{"RoleName", "ghost"}, {"TagKeys", Json::array()}}),
                      "NoSuchEntity", message));
  EXPECT_TRUE(IsError(Call(&PutRolePermissionsBoundary,
                           {{"RoleName", "ghost"}, {"PermissionsBoundary", kReadOnly}}),
                      "NoSuchEntity", message));
}

TEST_F(GroupsRolesTest, ListRolesLeavesOutWhatAwsLeavesOut) {
  MakeRole("described", {{"Description", "d"},
                         {"Tags", {{{"Key", "k"}, {"Value", "v"}}}},
                         {"PermissionsBoundary", kReadOnly}});
  Json roles = Ok(&ListRoles, Json::object())["Roles"];
  ASSERT_EQ(roles.size(), 1u);
  const Json& r = roles[0];
  EXPECT_EQ(r["RoleName"], "described");
  EXPECT_EQ(r["Description"], "d");
  EXPECT_EQ(r["MaxSessionDuration"], 3600);
  EXPECT_EQ(r["AssumeRolePolicyDocument"], UrlEncodeDocument(kTrust));
  EXPECT_FALSE(r.contains("Tags"));
  EXPECT_FALSE(r.contains("PermissionsBoundary"));
  EXPECT_FALSE(r.contains("RoleLastUsed"));
  // GetRole has them.
  Json full = Ok(&GetRole, {{"RoleName", "described"}})["Role"];
  EXPECT_EQ(full["Tags"], (Json{{{"Key", "k"}, {"Value", "v"}}}));
  EXPECT_EQ(full["PermissionsBoundary"],
            (Json{{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"},
                  {"PermissionsBoundaryArn", kReadOnly}}));
}

TEST_F(GroupsRolesTest, ListRolesFiltersByPathAndPages) {
  for (const char* name : {"r4", "R2", "r1", "r3", "r5"}) {
    MakeRole(name, {{"Path", "/svc/"}});
  }
  MakeRole("top");
  EXPECT_EQ(AllPages(&ListRoles, Json::object(), "Roles", "RoleName", 2),
            (Names{"r1", "R2", "r3", "r4", "r5", "top"}));
  EXPECT_EQ(AllPages(&ListRoles, {{"PathPrefix", "/svc/"}}, "Roles", "RoleName", 4),
            (Names{"r1", "R2", "r3", "r4", "r5"}));
  EXPECT_EQ(AllPages(&ListRoles, {{"PathPrefix", "/none/"}}, "Roles", "RoleName", 4), Names{});
}

TEST_F(GroupsRolesTest, UpdateRoleAndItsDescription) {
  MakeRole("r", {{"Description", "old"}});
  Ok(&UpdateRole, {{"RoleName", "R"}, {"MaxSessionDuration", 43200}});
  Json r = Ok(&GetRole, {{"RoleName", "r"}})["Role"];
  EXPECT_EQ(r["MaxSessionDuration"], 43200);
  EXPECT_EQ(r["Description"], "old");  // untouched when not given

  Ok(&UpdateRole, {{"RoleName", "r"}, {"Description", "new"}});
  r = Ok(&GetRole, {{"RoleName", "r"}})["Role"];
  EXPECT_EQ(r["Description"], "new");
  EXPECT_EQ(r["MaxSessionDuration"], 43200);

  Result<Json> bad = Call(&UpdateRole, {{"RoleName", "r"}, {"MaxSessionDuration", 43201}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kValidation);
  EXPECT_EQ(Ok(&GetRole, {{"RoleName", "r"}})["Role"]["MaxSessionDuration"], 43200);

  Json out = Ok(&UpdateRoleDescription, {{"RoleName", "r"}, {"Description", "newer"}});
  EXPECT_EQ(out["Role"]["Description"], "newer");
  EXPECT_EQ(out["Role"]["RoleName"], "r");
  EXPECT_EQ(out["Role"]["AssumeRolePolicyDocument"], UrlEncodeDocument(kTrust));
  EXPECT_EQ(Ok(&GetRole, {{"RoleName", "r"}})["Role"]["Description"], "newer");
}

TEST_F(GroupsRolesTest, UpdateAssumeRolePolicy) {
  MakeRole("r");
  Ok(&UpdateAssumeRolePolicy, {{"RoleName", "r"}, {"PolicyDocument", kTrust2}});
  EXPECT_EQ(Ok(&GetRole, {{"RoleName", "r"}})["Role"]["AssumeRolePolicyDocument"],
            UrlEncodeDocument(kTrust2));
  EXPECT_TRUE(IsError(Call(&UpdateAssumeRolePolicy, {{"RoleName", "r"}, {"PolicyDocument", "[]"}}),
                      "MalformedPolicyDocument"));
  EXPECT_EQ(Record(Kind::kRole, "r")["AssumeRolePolicyDocument"], kTrust2);
}

TEST_F(GroupsRolesTest, DeleteRoleRefusesWhileThingsAreAttached) {
  MakeRole("r");
  {
    RequestContext ctx = MakeContext();
    ASSERT_TRUE(
        PutEntityPolicy(
            ctx, {{"RoleName", "r"}, {"PolicyName", "p"}, {"PolicyDocument", kAllowAll}}, kRoleRef)
            .ok());
  }
  EXPECT_TRUE(IsError(Call(&DeleteRole, {{"RoleName", "r"}}), "DeleteConflict",
                      "Cannot delete entity, must delete policies first."));
  Edit(Kind::kRole, "r", [](Json& r) { r["InlinePolicies"] = Json::object(); });

  Edit(Kind::kRole, "r", [](Json& r) { r["AttachedPolicies"] = {kReadOnly}; });
  EXPECT_TRUE(IsError(Call(&DeleteRole, {{"RoleName", "r"}}), "DeleteConflict",
                      "Cannot delete entity, must detach all policies first."));
  Edit(Kind::kRole, "r", [](Json& r) { r["AttachedPolicies"] = Json::array(); });

  Edit(Kind::kRole, "r", [](Json& r) { r["InstanceProfiles"] = {"web"}; });
  EXPECT_TRUE(IsError(Call(&DeleteRole, {{"RoleName", "r"}}), "DeleteConflict",
                      "Cannot delete entity, must remove roles from instance profile first."));
  Edit(Kind::kRole, "r", [](Json& r) { r.erase("InstanceProfiles"); });

  Ok(&DeleteRole, {{"RoleName", "R"}});
  EXPECT_TRUE(IsError(Call(&GetRole, {{"RoleName", "r"}}), "NoSuchEntity"));
  MakeRole("r");  // the name is free again
}

TEST_F(GroupsRolesTest, AwsOwnedRolesAreUnmodifiable) {
  // Service-linked roles are made by AWS services, not CreateRole: move one there directly.
  MakeRole("AWSServiceRoleForThing");
  Edit(Kind::kRole, "AWSServiceRoleForThing",
       [](Json& r) { r["Path"] = "/aws-service-role/thing.amazonaws.com/"; });
  const std::string message =
      "Cannot perform the operation on the protected role 'AWSServiceRoleForThing' - this role "
      "is only modifiable by AWS";
  const Json name = {{"RoleName", "AWSServiceRoleForThing"}};
  auto with = [&](Json extra) {
    extra.update(name);
    return extra;
  };
  EXPECT_TRUE(IsError(Call(&DeleteRole, name), "UnmodifiableEntity", message));
  EXPECT_TRUE(
      IsError(Call(&UpdateRole, with({{"Description", "x"}})), "UnmodifiableEntity", message));
  EXPECT_TRUE(IsError(Call(&UpdateRoleDescription, with({{"Description", "x"}})),
                      "UnmodifiableEntity", message));
  EXPECT_TRUE(IsError(Call(&UpdateAssumeRolePolicy, with({{"PolicyDocument", kTrust2}})),
                      "UnmodifiableEntity", message));
  EXPECT_TRUE(IsError(Call(&PutRolePermissionsBoundary, with({{"PermissionsBoundary", kReadOnly}})),
                      "UnmodifiableEntity", message));
  EXPECT_TRUE(IsError(Call(&DeleteRolePermissionsBoundary, name), "UnmodifiableEntity", message));
  // Reading and tagging are allowed.
  Ok(&GetRole, name);
  Ok(&TagRole, with({{"Tags", {{{"Key", "k"}, {"Value", "v"}}}}}));
  const Json record = Record(Kind::kRole, "awsserviceroleforthing");
  EXPECT_EQ(record["AssumeRolePolicyDocument"], kTrust);
  EXPECT_FALSE(record.contains("Description"));
}

TEST_F(GroupsRolesTest, RoleTags) {
  MakeRole("r");
  Ok(&TagRole,
     {{"RoleName", "r"},
      {"Tags", {{{"Key", "Env"}, {"Value", "prod"}}, {{"Key", "team"}, {"Value", "a"}}}}});
  // Keys compare without regard to case: this replaces Env's value.
  Ok(&TagRole, {{"RoleName", "R"}, {"Tags", {{{"Key", "env"}, {"Value", "dev"}}}}});
  Json tags = Ok(&ListRoleTags, {{"RoleName", "r"}});
  EXPECT_EQ(tags["Tags"],
            (Json{{{"Key", "env"}, {"Value", "dev"}}, {{"Key", "team"}, {"Value", "a"}}}));
  EXPECT_EQ(tags["IsTruncated"], false);
  EXPECT_EQ(AllPages(&ListRoleTags, {{"RoleName", "r"}}, "Tags", "Key", 1), (Names{"env", "team"}));

  Ok(&UntagRole, {{"RoleName", "r"}, {"TagKeys", {"ENV", "absent"}}});
  EXPECT_EQ(Ok(&ListRoleTags, {{"RoleName", "r"}})["Tags"],
            (Json{{{"Key", "team"}, {"Value", "a"}}}));

  Json many = Json::array();
  for (int i = 0; i < 50; ++i) many.push_back({{"Key", "k" + std::to_string(i)}, {"Value", ""}});
  EXPECT_TRUE(IsError(Call(&TagRole, {{"RoleName", "r"}, {"Tags", many}}), "LimitExceeded"));
  EXPECT_EQ(Ok(&ListRoleTags, {{"RoleName", "r"}})["Tags"].size(), 1u);
  many.erase(many.begin());
  Ok(&TagRole, {{"RoleName", "r"}, {"Tags", many}});
  EXPECT_EQ(Ok(&GetRole, {{"RoleName", "r"}})["Role"]["Tags"].size(), 50u);
}

// --- Permissions boundaries -------------------------------------------------------------

TEST_F(GroupsRolesTest, RoleBoundaryCountsItsUse) {
  const std::string a = MakePolicy("BoundaryA");
  const std::string b = MakePolicy("BoundaryB");
  MakeRole("r", {{"PermissionsBoundary", a}});
  EXPECT_EQ(BoundaryUsage(a), 1);
  EXPECT_EQ(
      Ok(&GetRole, {{"RoleName", "r"}})["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
      a);

  // Putting the same boundary again counts nothing more.
  Ok(&PutRolePermissionsBoundary, {{"RoleName", "r"}, {"PermissionsBoundary", a}});
  EXPECT_EQ(BoundaryUsage(a), 1);
  // Replacing it moves the count.
  Ok(&PutRolePermissionsBoundary, {{"RoleName", "R"}, {"PermissionsBoundary", b}});
  EXPECT_EQ(BoundaryUsage(a), 0);
  EXPECT_EQ(BoundaryUsage(b), 1);
  EXPECT_EQ(
      Ok(&GetRole, {{"RoleName", "r"}})["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
      b);
  // A policy in use as a boundary cannot be deleted.
  EXPECT_TRUE(IsError(Call(&DeletePolicy, {{"PolicyArn", b}}), "DeleteConflict"));

  Ok(&DeleteRolePermissionsBoundary, {{"RoleName", "r"}});
  EXPECT_EQ(BoundaryUsage(b), 0);
  EXPECT_FALSE(Ok(&GetRole, {{"RoleName", "r"}})["Role"].contains("PermissionsBoundary"));
  // Without a boundary, deleting it is a successful no-op.
  Ok(&DeleteRolePermissionsBoundary, {{"RoleName", "r"}});
  EXPECT_EQ(BoundaryUsage(b), 0);

  // Deleting the role gives its boundary's use back.
  Ok(&PutRolePermissionsBoundary, {{"RoleName", "r"}, {"PermissionsBoundary", a}});
  EXPECT_EQ(BoundaryUsage(a), 1);
  Ok(&DeleteRole, {{"RoleName", "r"}});
  EXPECT_EQ(BoundaryUsage(a), 0);
  Ok(&DeletePolicy, {{"PolicyArn", a}});
}

TEST_F(GroupsRolesTest, BoundaryMustBeAnExistingManagedPolicy) {
  MakeRole("r");
  MakeUser("bob");
  const std::string missing = "arn:aws:iam::123456789012:policy/Nope";
  EXPECT_TRUE(IsError(
      Call(&PutRolePermissionsBoundary, {{"RoleName", "r"}, {"PermissionsBoundary", missing}}),
      "InvalidInput"));
  EXPECT_TRUE(IsError(
      Call(&PutUserPermissionsBoundary, {{"UserName", "bob"}, {"PermissionsBoundary", missing}}),
      "InvalidInput"));
  EXPECT_FALSE(Record(Kind::kRole, "r").contains("PermissionsBoundary"));
  EXPECT_FALSE(Record(Kind::kUser, "bob").contains("PermissionsBoundary"));
  // AWS managed policies serve as boundaries too.
  Ok(&PutRolePermissionsBoundary, {{"RoleName", "r"}, {"PermissionsBoundary", kReadOnly}});
  EXPECT_EQ(BoundaryUsage(kReadOnly), 1);
}

TEST_F(GroupsRolesTest, UserBoundary) {
  const std::string a = MakePolicy("UserBoundary");
  MakeUser("bob");
  EXPECT_TRUE(IsError(
      Call(&PutUserPermissionsBoundary, {{"UserName", "ghost"}, {"PermissionsBoundary", a}}),
      "NoSuchEntity", "The user with name ghost cannot be found."));
  EXPECT_TRUE(
      IsError(Call(&DeleteUserPermissionsBoundary, {{"UserName", "ghost"}}), "NoSuchEntity"));

  Ok(&PutUserPermissionsBoundary, {{"UserName", "BOB"}, {"PermissionsBoundary", a}});
  EXPECT_EQ(BoundaryUsage(a), 1);
  EXPECT_EQ(Ok(&GetUser, {{"UserName", "bob"}})["User"]["PermissionsBoundary"],
            (Json{{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"},
                  {"PermissionsBoundaryArn", a}}));
  Ok(&PutUserPermissionsBoundary, {{"UserName", "bob"}, {"PermissionsBoundary", a}});
  EXPECT_EQ(BoundaryUsage(a), 1);

  Ok(&DeleteUserPermissionsBoundary, {{"UserName", "bob"}});
  EXPECT_EQ(BoundaryUsage(a), 0);
  EXPECT_FALSE(Ok(&GetUser, {{"UserName", "bob"}})["User"].contains("PermissionsBoundary"));
  Ok(&DeleteUserPermissionsBoundary, {{"UserName", "bob"}});
  EXPECT_EQ(BoundaryUsage(a), 0);
}

}  // namespace
}  // namespace bulwark::iam
