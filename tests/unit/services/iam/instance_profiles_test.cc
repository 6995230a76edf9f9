// IAM instance profiles, called as handlers on a fresh store: AWS's shapes, error codes
// and messages, the one-role quota, pagination, that the profile and the role record
// stay consistent (DeleteRole reads the role's side), and what the account operations
// report about profiles.
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

using Names = std::vector<std::string>;

class InstanceProfilesTest : public IamTest {
 protected:
  std::string ProfileKey(std::string_view name) {
    return "iam/" + std::string(kAccount) + "/instance-profile/" + Lower(name);
  }
  // Stored records (null if absent), read past the handlers.
  Json Raw(const std::string& key) {
    auto raw = store().Get(key);
    EXPECT_TRUE(raw.ok());
    return raw.ok() && *raw ? Json::parse(**raw) : Json();
  }
  Json RoleRecord(std::string_view name) { return Raw(EntityKey(kAccount, Kind::kRole, name)); }
  Json ProfileRecord(std::string_view name) { return Raw(ProfileKey(name)); }

  Json MakeProfile(const std::string& name, const std::string& path = "/") {
    return Ok(&CreateInstanceProfile, {{"InstanceProfileName", name}, {"Path", path}}, name);
  }
  void MakeRole(const std::string& name, Json extra = Json::object()) {
    extra["RoleName"] = name;
    extra["AssumeRolePolicyDocument"] = kTrust;
    Ok(&CreateRole, extra, name);
  }
  Result<Json> Add(const std::string& profile, const std::string& role) {
    return Call(&AddRoleToInstanceProfile, {{"InstanceProfileName", profile}, {"RoleName", role}});
  }
  Result<Json> Remove(const std::string& profile, const std::string& role) {
    return Call(&RemoveRoleFromInstanceProfile,
                {{"InstanceProfileName", profile}, {"RoleName", role}});
  }
  Json Get(const std::string& profile) {
    return Ok(&GetInstanceProfile, {{"InstanceProfileName", profile}}, profile)["InstanceProfile"];
  }
  // `count` profile records written in one transaction, to reach the quota quickly.
  void Fill(size_t count) {
    auto txn = store().Begin();
    ASSERT_TRUE(txn.ok());
    for (size_t i = 0; i < count; ++i) {
      ASSERT_TRUE(Save(**txn, ProfileKey("filler" + std::to_string(i)), Json{{"Path", "/"}}).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  // Names of a list member across all pages of size `page`.
  Names AllPages(OperationHandler handler, Json input, const std::string& list,
                 const std::string& name_member, int page) {
    Names names;
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
};

TEST_F(InstanceProfilesTest, CreateReturnsTheInstanceProfileShape) {
  const uint64_t before = env().iam_generation.load();
  Json out = Ok(&CreateInstanceProfile, {{"InstanceProfileName", "WebServer"},
                                         {"Path", "/app/"},
                                         {"Tags", {{{"Key", "team"}, {"Value", "infra"}}}}});
  const Json& p = out["InstanceProfile"];
  EXPECT_EQ(p["InstanceProfileName"], "WebServer");
  EXPECT_EQ(p["Path"], "/app/");
  EXPECT_EQ(p["Arn"], "arn:aws:iam::123456789012:instance-profile/app/WebServer");
  EXPECT_EQ(p["CreateDate"], kNow);
  const std::string id = p["InstanceProfileId"];
  EXPECT_EQ(id.size(), 20u);
  EXPECT_EQ(id.substr(0, 4), "AIPA");
  EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos) << id;
  EXPECT_EQ(p["Roles"], Json::array());
  EXPECT_EQ(p["Tags"], (Json{{{"Key", "team"}, {"Value", "infra"}}}));
  EXPECT_EQ(p.size(), 7u) << p.dump();
  EXPECT_GT(env().iam_generation.load(), before);

  // GetInstanceProfile answers the same, by any case of the name.
  EXPECT_EQ(Get("webserver"), p);

  // Without tags there is no Tags member; the path defaults to "/"; ids differ.
  Json plain = Ok(&CreateInstanceProfile, {{"InstanceProfileName", "plain"}})["InstanceProfile"];
  EXPECT_FALSE(plain.contains("Tags"));
  EXPECT_EQ(plain["Path"], "/");
  EXPECT_EQ(plain["Arn"], "arn:aws:iam::123456789012:instance-profile/plain");
  EXPECT_NE(plain["InstanceProfileId"], p["InstanceProfileId"]);
}

TEST_F(InstanceProfilesTest, NamesAreUniqueWithoutRegardToCase) {
  MakeProfile("Web");
  EXPECT_TRUE(IsError(Call(&CreateInstanceProfile, {{"InstanceProfileName", "WEB"}}),
                      "EntityAlreadyExists", "Instance Profile WEB already exists."));
  // A role of the same name is another kind of entity.
  MakeRole("Web");
}

TEST_F(InstanceProfilesTest, CreateValidatesPathAndTags) {
  EXPECT_TRUE(IsError(Call(&CreateInstanceProfile, {{"InstanceProfileName", "p"}, {"Path", "/a"}}),
                      "InvalidInput"));
  EXPECT_TRUE(
      IsError(Call(&CreateInstanceProfile,
                   {{"InstanceProfileName", "p"},
                    {"Tags", {{{"Key", "k"}, {"Value", "1"}}, {{"Key", "K"}, {"Value", "2"}}}}}),
              "InvalidInput"));
  EXPECT_TRUE(ProfileRecord("p").is_null());
}

TEST_F(InstanceProfilesTest, AccountQuota) {
  Fill(kMaxInstanceProfiles - 1);
  MakeProfile("last");
  EXPECT_TRUE(IsError(Call(&CreateInstanceProfile, {{"InstanceProfileName", "one-too-many"}}),
                      "LimitExceeded", "Cannot exceed quota for InstanceProfilesPerAccount: 1000"));
  EXPECT_TRUE(ProfileRecord("one-too-many").is_null());
}

TEST_F(InstanceProfilesTest, MissingProfileIsNoSuchEntity) {
  MakeRole("r");
  const char* kMessage = "Instance Profile Nope cannot be found.";
  const Json name = {{"InstanceProfileName", "Nope"}};
  EXPECT_TRUE(IsError(Call(&GetInstanceProfile, name), "NoSuchEntity", kMessage));
  EXPECT_TRUE(IsError(Call(&DeleteInstanceProfile, name), "NoSuchEntity", kMessage));
  EXPECT_TRUE(IsError(Call(&ListInstanceProfileTags, name), "NoSuchEntity", kMessage));
  EXPECT_TRUE(IsError(Call(&TagInstanceProfile, {{"InstanceProfileName", "Nope"},
                                                 {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}}),
                      "NoSuchEntity", kMessage));
  EXPECT_TRUE(
      IsError(Call(&UntagInstanceProfile, {{"InstanceProfileName", "Nope"}, {"TagKeys", {"k"}}}),
              "NoSuchEntity", kMessage));
  EXPECT_TRUE(IsError(Add("Nope", "r"), "NoSuchEntity", kMessage));
  EXPECT_TRUE(IsError(Remove("Nope", "r"), "NoSuchEntity", kMessage));
  EXPECT_FALSE(RoleRecord("r").contains("InstanceProfiles"));
}

TEST_F(InstanceProfilesTest, MissingRoleIsNoSuchEntity) {
  MakeProfile("p");
  EXPECT_TRUE(
      IsError(Add("p", "ghost"), "NoSuchEntity", "The role with name ghost cannot be found."));
  EXPECT_TRUE(
      IsError(Remove("p", "ghost"), "NoSuchEntity", "The role with name ghost cannot be found."));
  EXPECT_TRUE(IsError(Call(&ListInstanceProfilesForRole, {{"RoleName", "ghost"}}), "NoSuchEntity",
                      "The role with name ghost cannot be found."));
  EXPECT_EQ(ProfileRecord("p")["Roles"], Json::array());
}

TEST_F(InstanceProfilesTest, AddRoleRecordsBothSidesAndShowsTheRoleAsAwsDoes) {
  MakeRole("AppRole", {{"Path", "/svc/"},
                       {"Description", "for instances"},
                       {"MaxSessionDuration", 7200},
                       {"Tags", {{{"Key", "t"}, {"Value", "v"}}}}});
  MakeProfile("Web");
  const uint64_t before = env().iam_generation.load();
  ASSERT_TRUE(Add("web", "approle").ok());  // any case of either name
  EXPECT_GT(env().iam_generation.load(), before);

  EXPECT_EQ(ProfileRecord("web")["Roles"], Json{"AppRole"});
  EXPECT_EQ(RoleRecord("approle")["InstanceProfiles"], Json{"Web"});

  const Json role = Ok(&GetRole, {{"RoleName", "AppRole"}})["Role"];
  const Json roles = Get("Web")["Roles"];
  ASSERT_EQ(roles.size(), 1u);
  const Json expected = {
      {"Path", "/svc/"},          {"RoleName", "AppRole"},
      {"RoleId", role["RoleId"]}, {"Arn", "arn:aws:iam::123456789012:role/svc/AppRole"},
      {"CreateDate", kNow},       {"AssumeRolePolicyDocument", UrlEncodeDocument(kTrust)}};
  EXPECT_EQ(roles[0], expected);
  EXPECT_EQ(roles[0]["AssumeRolePolicyDocument"], role["AssumeRolePolicyDocument"]);
}

TEST_F(InstanceProfilesTest, OneRolePerProfile) {
  MakeRole("a");
  MakeRole("b");
  MakeProfile("p");
  ASSERT_TRUE(Add("p", "a").ok());
  const char* kQuota = "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1";
  EXPECT_TRUE(IsError(Add("p", "b"), "LimitExceeded", kQuota));
  EXPECT_TRUE(IsError(Add("p", "A"), "LimitExceeded", kQuota));
  // Nothing changed on either side.
  EXPECT_EQ(ProfileRecord("p")["Roles"], Json{"a"});
  EXPECT_EQ(RoleRecord("a")["InstanceProfiles"], Json{"p"});
  EXPECT_FALSE(RoleRecord("b").contains("InstanceProfiles"));
  // After removing it, another role fits.
  ASSERT_TRUE(Remove("p", "a").ok());
  ASSERT_TRUE(Add("p", "b").ok());
  EXPECT_EQ(Get("p")["Roles"][0]["RoleName"], "b");
}

TEST_F(InstanceProfilesTest, RolesAreShownAsTheyAreNow) {
  MakeRole("r");
  MakeProfile("p");
  ASSERT_TRUE(Add("p", "r").ok());
  Ok(&UpdateAssumeRolePolicy, {{"RoleName", "r"}, {"PolicyDocument", kTrust2}});
  EXPECT_EQ(Get("p")["Roles"][0]["AssumeRolePolicyDocument"], UrlEncodeDocument(kTrust2));
  // Other role changes keep the membership.
  Ok(&UpdateRole, {{"RoleName", "r"}, {"Description", "d"}});
  Ok(&TagRole, {{"RoleName", "r"}, {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}});
  EXPECT_EQ(RoleRecord("r")["InstanceProfiles"], Json{"p"});
  EXPECT_FALSE(Get("p")["Roles"][0].contains("Description"));
}

TEST_F(InstanceProfilesTest, RemoveRole) {
  MakeRole("r");
  MakeRole("other");
  MakeProfile("p");
  ASSERT_TRUE(Add("p", "r").ok());
  EXPECT_TRUE(
      IsError(Remove("p", "other"), "NoSuchEntity", "The role with name other cannot be found."));
  ASSERT_TRUE(Remove("P", "R").ok());
  EXPECT_EQ(ProfileRecord("p")["Roles"], Json::array());
  EXPECT_EQ(RoleRecord("r")["InstanceProfiles"], Json::array());
  EXPECT_EQ(Get("p")["Roles"], Json::array());
  EXPECT_TRUE(IsError(Remove("p", "r"), "NoSuchEntity"));
}

TEST_F(InstanceProfilesTest, AwsOwnedRolesAreUnmodifiable) {
  MakeRole("AWSServiceRoleForThing");
  MakeProfile("p");
  auto txn = store().Begin();
  ASSERT_TRUE(txn.ok());
  Json role = RoleRecord("AWSServiceRoleForThing");
  role["Path"] = "/aws-service-role/thing.amazonaws.com/";
  ASSERT_TRUE(Save(**txn, EntityKey(kAccount, Kind::kRole, "AWSServiceRoleForThing"), role).ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_TRUE(IsError(Add("p", "AWSServiceRoleForThing"), "UnmodifiableEntity"));
  EXPECT_EQ(ProfileRecord("p")["Roles"], Json::array());
}

TEST_F(InstanceProfilesTest, DeleteConflictsOnBothSides) {
  MakeRole("r");
  MakeProfile("p");
  ASSERT_TRUE(Add("p", "r").ok());
  EXPECT_TRUE(IsError(Call(&DeleteInstanceProfile, {{"InstanceProfileName", "p"}}),
                      "DeleteConflict",
                      "Cannot delete entity, must remove roles from instance profile first."));
  EXPECT_TRUE(IsError(Call(&DeleteRole, {{"RoleName", "r"}}), "DeleteConflict",
                      "Cannot delete entity, must remove roles from instance profile first."));
  ASSERT_TRUE(Remove("p", "r").ok());
  Ok(&DeleteRole, {{"RoleName", "r"}});
  Ok(&DeleteInstanceProfile, {{"InstanceProfileName", "P"}});
  EXPECT_TRUE(ProfileRecord("p").is_null());
  EXPECT_TRUE(IsError(Call(&GetInstanceProfile, {{"InstanceProfileName", "p"}}), "NoSuchEntity"));
  MakeProfile("p");  // the name is free again
}

TEST_F(InstanceProfilesTest, ListFiltersByPathPagesAndLeavesOutTags) {
  for (int i = 0; i < 7; ++i) MakeProfile("p" + std::to_string(i), i % 2 ? "/a/" : "/b/");
  Ok(&TagInstanceProfile,
     {{"InstanceProfileName", "p0"}, {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}});
  MakeRole("r");
  ASSERT_TRUE(Add("p0", "r").ok());

  EXPECT_EQ(
      AllPages(&ListInstanceProfiles, Json::object(), "InstanceProfiles", "InstanceProfileName", 3),
      (Names{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}));
  EXPECT_EQ(AllPages(&ListInstanceProfiles, {{"PathPrefix", "/a/"}}, "InstanceProfiles",
                     "InstanceProfileName", 2),
            (Names{"p1", "p3", "p5"}));
  EXPECT_EQ(AllPages(&ListInstanceProfiles, {{"PathPrefix", "/c/"}}, "InstanceProfiles",
                     "InstanceProfileName", 2),
            Names{});

  Json first = Ok(&ListInstanceProfiles, {{"MaxItems", 1}})["InstanceProfiles"][0];
  EXPECT_EQ(first["InstanceProfileName"], "p0");
  EXPECT_FALSE(first.contains("Tags"));
  ASSERT_EQ(first["Roles"].size(), 1u);
  EXPECT_EQ(first["Roles"][0]["RoleName"], "r");
  EXPECT_TRUE(IsError(Call(&ListInstanceProfiles, {{"Marker", "!!"}}), "InvalidInput"));
}

TEST_F(InstanceProfilesTest, ListInstanceProfilesForRole) {
  MakeRole("r");
  MakeRole("lonely");
  for (const char* name : {"c", "A", "b"}) {
    MakeProfile(name);
    ASSERT_TRUE(Add(name, "r").ok());
  }
  MakeProfile("unrelated");
  EXPECT_EQ(AllPages(&ListInstanceProfilesForRole, {{"RoleName", "R"}}, "InstanceProfiles",
                     "InstanceProfileName", 2),
            (Names{"A", "b", "c"}));
  Json out = Ok(&ListInstanceProfilesForRole, {{"RoleName", "r"}});
  EXPECT_EQ(out["IsTruncated"], false);
  EXPECT_EQ(out["InstanceProfiles"][0], Get("A")) << "same shape as GetInstanceProfile";
  EXPECT_EQ(Ok(&ListInstanceProfilesForRole, {{"RoleName", "lonely"}})["InstanceProfiles"],
            Json::array());
}

TEST_F(InstanceProfilesTest, Tags) {
  MakeProfile("p");
  Ok(&TagInstanceProfile,
     {{"InstanceProfileName", "p"},
      {"Tags", {{{"Key", "Team"}, {"Value", "red"}}, {{"Key", "x"}, {"Value", "1"}}}}});
  Ok(&TagInstanceProfile,
     {{"InstanceProfileName", "P"}, {"Tags", {{{"Key", "TEAM"}, {"Value", "blue"}}}}});
  Json tags = Ok(&ListInstanceProfileTags, {{"InstanceProfileName", "p"}});
  EXPECT_EQ(tags["Tags"],
            (Json{{{"Key", "TEAM"}, {"Value", "blue"}}, {{"Key", "x"}, {"Value", "1"}}}));
  EXPECT_EQ(tags["IsTruncated"], false);
  EXPECT_EQ(Get("p")["Tags"], tags["Tags"]);

  Json page = Ok(&ListInstanceProfileTags, {{"InstanceProfileName", "p"}, {"MaxItems", 1}});
  EXPECT_EQ(page["Tags"].size(), 1u);
  EXPECT_EQ(page["IsTruncated"], true);

  Ok(&UntagInstanceProfile, {{"InstanceProfileName", "p"}, {"TagKeys", {"team", "absent"}}});
  EXPECT_EQ(Ok(&ListInstanceProfileTags, {{"InstanceProfileName", "p"}})["Tags"],
            (Json{{{"Key", "x"}, {"Value", "1"}}}));

  Json many = Json::array();
  for (int i = 0; i < 50; ++i) many.push_back({{"Key", "k" + std::to_string(i)}, {"Value", ""}});
  EXPECT_TRUE(IsError(Call(&TagInstanceProfile, {{"InstanceProfileName", "p"}, {"Tags", many}}),
                      "LimitExceeded", "The number of tags has reached the maximum limit."));
  Ok(&UntagInstanceProfile, {{"InstanceProfileName", "p"}, {"TagKeys", {"x"}}});
  EXPECT_FALSE(Get("p").contains("Tags"));
}

TEST_F(InstanceProfilesTest, AccountSummaryCountsProfiles) {
  Json summary = Ok(&GetAccountSummary, Json::object())["SummaryMap"];
  EXPECT_EQ(summary["InstanceProfiles"], 0);
  EXPECT_EQ(summary["InstanceProfilesQuota"], 1000);
  MakeProfile("a");
  MakeProfile("b");
  EXPECT_EQ(Ok(&GetAccountSummary, Json::object())["SummaryMap"]["InstanceProfiles"], 2);
  Ok(&DeleteInstanceProfile, {{"InstanceProfileName", "a"}});
  EXPECT_EQ(Ok(&GetAccountSummary, Json::object())["SummaryMap"]["InstanceProfiles"], 1);
}

TEST_F(InstanceProfilesTest, AuthorizationDetailsListTheRolesProfiles) {
  MakeRole("r");
  MakeRole("bare");
  MakeProfile("p", "/x/");
  ASSERT_TRUE(Add("p", "r").ok());
  Json details = Ok(&GetAccountAuthorizationDetails, {{"Filter", {"Role"}}});
  ASSERT_EQ(details["RoleDetailList"].size(), 2u);
  for (const Json& role : details["RoleDetailList"]) {
    if (role["RoleName"] == "bare") {
      EXPECT_EQ(role["InstanceProfileList"], Json::array());
      continue;
    }
    ASSERT_EQ(role["InstanceProfileList"].size(), 1u) << role.dump();
    const Json& p = role["InstanceProfileList"][0];
    EXPECT_EQ(p["InstanceProfileName"], "p");
    EXPECT_EQ(p["Arn"], "arn:aws:iam::123456789012:instance-profile/x/p");
    EXPECT_EQ(p["Roles"][0]["RoleName"], "r");
  }
}

}  // namespace
}  // namespace bulwark::iam
