// IAM's account-level operations (summary, authorization details, alias, credential
// report) and the policy simulator, called as handlers on a fresh store. Expected
// values come from AWS's API reference and User Guide: the summary keys and quotas,
// the credential report's columns and "N/A"/"not_supported"/"no_information" values,
// and the statement positions of the AWS CLI's simulate-custom-policy example.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "auth/credential_store.h"
#include "core/secret.h"
#include "services/iam/common.h"
#include "services/iam/fixture.h"
#include "services/iam/handlers.h"
#include "storage/sealer.h"

namespace bulwark::iam {
namespace {

using testutil::IamTest;
using testutil::IsError;
using testutil::kAccount;
using testutil::kNow;

constexpr char kTrust[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
    R"("Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
constexpr char kAllowS3[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}]})";
constexpr char kAllowAll[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
constexpr char kReadOnly[] = "arn:aws:iam::aws:policy/ReadOnlyAccess";
constexpr char kRootKey[] = "AKIAROOTROOTROOTROOT";

// The per-entity policy operations (operations.cc binds them the same way).
#define BIND(name, fn, ref) \
  Result<Json> name(RequestContext& ctx, const Json& in) { return fn(ctx, in, ref); }
BIND(PutUserPolicy, PutEntityPolicy, kUserRef)
BIND(PutGroupPolicy, PutEntityPolicy, kGroupRef)
BIND(PutRolePolicy, PutEntityPolicy, kRoleRef)
BIND(AttachUserPolicy, AttachEntityPolicy, kUserRef)
BIND(AttachGroupPolicy, AttachEntityPolicy, kGroupRef)
BIND(DetachUserPolicy, DetachEntityPolicy, kUserRef)
#undef BIND

std::string UserArn(std::string_view name) {
  return "arn:aws:iam::" + std::string(kAccount) + ":user/" + std::string(name);
}

// Splits one CSV line (no quoted commas in the lines the tests split this way).
std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, ',')) out.push_back(field);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

class AccountTest : public IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    sealer_ = std::make_unique<storage::Sealer>(SecretBytes(32));
    credentials_ = std::make_unique<auth::CredentialStore>(&store(), sealer_.get());
    env().credentials = credentials_.get();
  }

  // The operator's root key, as `bulwark serve` records it on first start.
  void MakeRootKey() {
    Principal root;
    root.type = Principal::Type::kRoot;
    root.account_id = std::string(kAccount);
    root.arn = "arn:aws:iam::" + std::string(kAccount) + ":root";
    root.user_id = std::string(kAccount);
    ASSERT_TRUE(credentials_->Create(root, kRootKey, SecretBytes(40)).ok());
    Json record = {{"account_id", kAccount}, {"root_access_key_id", kRootKey}};
    ASSERT_TRUE(store().Put("system/accounts/" + std::string(kAccount), record.dump()).ok());
  }

  Json Record(Kind kind, std::string_view name) {
    auto raw = store().Get(EntityKey(kAccount, kind, name));
    EXPECT_TRUE(raw.ok());
    return raw.ok() && *raw ? Json::parse(**raw) : Json();
  }
  void Edit(Kind kind, std::string_view name, const std::function<void(Json&)>& change) {
    Json record = Record(kind, name);
    ASSERT_TRUE(record.is_object()) << name;
    change(record);
    ASSERT_TRUE(store().Put(EntityKey(kAccount, kind, name), record.dump()).ok());
  }

  Json Summary() { return Ok(&GetAccountSummary, Json::object())["SummaryMap"]; }

  std::string MakePolicy(const std::string& name, const std::string& doc = kAllowAll) {
    return Ok(&CreatePolicy, {{"PolicyName", name}, {"PolicyDocument", doc}}, name)["Policy"].value(
        "Arn", "");
  }

  // Uses an access key once, as the request path does after authenticating it.
  void UseKey(const std::string& akid, int64_t when, const std::string& service,
              const std::string& region) {
    ASSERT_TRUE(credentials_->Lookup(akid).ok());
    credentials_->NoteUse(akid, when, service, region);
  }

  auth::CredentialStore& credentials() { return *credentials_; }

 private:
  std::unique_ptr<storage::Sealer> sealer_;
  std::unique_ptr<auth::CredentialStore> credentials_;
};

// --- GetAccountSummary -------------------------------------------------------------------

TEST_F(AccountTest, SummaryHasAwsKeysAndQuotas) {
  Json s = Summary();
  // The keys a real account returns (API reference's SummaryKeyType, less
  // AccountPasswordPresent, which Bulwark's root user never has).
  const std::set<std::string> expected = {"Users",
                                          "UsersQuota",
                                          "Groups",
                                          "GroupsQuota",
                                          "ServerCertificates",
                                          "ServerCertificatesQuota",
                                          "UserPolicySizeQuota",
                                          "GroupPolicySizeQuota",
                                          "GroupsPerUserQuota",
                                          "SigningCertificatesPerUserQuota",
                                          "AccessKeysPerUserQuota",
                                          "MFADevices",
                                          "MFADevicesInUse",
                                          "AccountMFAEnabled",
                                          "AccountAccessKeysPresent",
                                          "AccountSigningCertificatesPresent",
                                          "AttachedPoliciesPerGroupQuota",
                                          "AttachedPoliciesPerRoleQuota",
                                          "AttachedPoliciesPerUserQuota",
                                          "Policies",
                                          "PoliciesQuota",
                                          "PolicySizeQuota",
                                          "PolicyVersionsInUse",
                                          "PolicyVersionsInUseQuota",
                                          "VersionsPerPolicyQuota",
                                          "GlobalEndpointTokenVersion",
                                          "AssumeRolePolicySizeQuota",
                                          "InstanceProfiles",
                                          "InstanceProfilesQuota",
                                          "Providers",
                                          "RolePolicySizeQuota",
                                          "Roles",
                                          "RolesQuota"};
  std::set<std::string> keys;
  for (auto& [k, v] : s.items()) {
    keys.insert(k);
    EXPECT_TRUE(v.is_number_integer()) << k;
  }
  EXPECT_EQ(keys, expected);
  // AWS's default quotas.
  EXPECT_EQ(s["UsersQuota"], 5000);
  EXPECT_EQ(s["GroupsQuota"], 300);
  EXPECT_EQ(s["RolesQuota"], 1000);
  EXPECT_EQ(s["PoliciesQuota"], 1500);
  EXPECT_EQ(s["PolicySizeQuota"], 6144);
  EXPECT_EQ(s["UserPolicySizeQuota"], 2048);
  EXPECT_EQ(s["GroupPolicySizeQuota"], 5120);
  EXPECT_EQ(s["RolePolicySizeQuota"], 10240);
  EXPECT_EQ(s["AssumeRolePolicySizeQuota"], 2048);
  EXPECT_EQ(s["VersionsPerPolicyQuota"], 5);
  EXPECT_EQ(s["PolicyVersionsInUseQuota"], 10000);
  EXPECT_EQ(s["AttachedPoliciesPerUserQuota"], 10);
  EXPECT_EQ(s["GroupsPerUserQuota"], 10);
  EXPECT_EQ(s["AccessKeysPerUserQuota"], 2);
  EXPECT_EQ(s["InstanceProfilesQuota"], 1000);
  EXPECT_EQ(s["ServerCertificatesQuota"], 20);
  EXPECT_EQ(s["GlobalEndpointTokenVersion"], 1);
  EXPECT_EQ(s["Users"], 0);
  EXPECT_EQ(s["AccountAccessKeysPresent"], 0);  // no operator key in this store
  MakeRootKey();
  EXPECT_EQ(Summary()["AccountAccessKeysPresent"], 1);
}

TEST_F(AccountTest, SummaryCountsFollowTheAccount) {
  Ok(&CreateUser, {{"UserName", "alice"}});
  Ok(&CreateUser, {{"UserName", "bob"}});
  Ok(&CreateGroup, {{"GroupName", "devs"}});
  Ok(&CreateRole, {{"RoleName", "app"}, {"AssumeRolePolicyDocument", kTrust}});
  const std::string arn = MakePolicy("p1");
  Ok(&AttachUserPolicy, {{"UserName", "alice"}, {"PolicyArn", arn}});
  Ok(&AttachGroupPolicy, {{"GroupName", "devs"}, {"PolicyArn", kReadOnly}});
  Edit(Kind::kUser, "bob",
       [](Json& u) { u["MFADevices"] = Json::array({"arn:aws:iam::123456789012:mfa/bob"}); });
  Json s = Summary();
  EXPECT_EQ(s["Users"], 2);
  EXPECT_EQ(s["Groups"], 1);
  EXPECT_EQ(s["Roles"], 1);
  EXPECT_EQ(s["Policies"], 1);             // customer managed only
  EXPECT_EQ(s["PolicyVersionsInUse"], 2);  // one customer and one AWS attachment
  EXPECT_EQ(s["MFADevicesInUse"], 1);
  EXPECT_EQ(s["MFADevices"], 1);
  Ok(&DetachUserPolicy, {{"UserName", "alice"}, {"PolicyArn", arn}});
  Ok(&DeleteUser, {{"UserName", "alice"}});
  s = Summary();
  EXPECT_EQ(s["Users"], 1);
  EXPECT_EQ(s["PolicyVersionsInUse"], 1);
}

// --- GetAccountAuthorizationDetails ----------------------------------------------------------

class AuthorizationDetailsTest : public AccountTest {
 protected:
  void SetUp() override {
    AccountTest::SetUp();
    Ok(&CreateUser,
       {{"UserName", "alice"}, {"Tags", Json::array({{{"Key", "team"}, {"Value", "red"}}})}});
    Ok(&CreateUser, {{"UserName", "bob"}});
    Ok(&CreateGroup, {{"GroupName", "devs"}});
    Ok(&AddUserToGroup, {{"UserName", "alice"}, {"GroupName", "devs"}});
    Ok(&PutUserPolicy, {{"UserName", "alice"}, {"PolicyName", "s3"}, {"PolicyDocument", kAllowS3}});
    Ok(&PutGroupPolicy,
       {{"GroupName", "devs"}, {"PolicyName", "all"}, {"PolicyDocument", kAllowAll}});
    custom_ = MakePolicy("custom", kAllowS3);
    Ok(&CreatePolicyVersion,
       {{"PolicyArn", custom_}, {"PolicyDocument", kAllowAll}, {"SetAsDefault", true}});
    Ok(&AttachUserPolicy, {{"UserName", "alice"}, {"PolicyArn", custom_}});
    Ok(&AttachGroupPolicy, {{"GroupName", "devs"}, {"PolicyArn", kReadOnly}});
    Ok(&PutUserPermissionsBoundary, {{"UserName", "alice"}, {"PermissionsBoundary", custom_}});
    Ok(&CreateRole, {{"RoleName", "app"}, {"AssumeRolePolicyDocument", kTrust}});
    Ok(&PutRolePolicy,
       {{"RoleName", "app"}, {"PolicyName", "inline"}, {"PolicyDocument", kAllowS3}});
  }
  std::string custom_;
};

TEST_F(AuthorizationDetailsTest, ListsEveryKindWithItsRelationships) {
  Json out = Ok(&GetAccountAuthorizationDetails, Json::object());
  EXPECT_EQ(out["IsTruncated"], false);
  ASSERT_EQ(out["UserDetailList"].size(), 2u);
  const Json& alice = out["UserDetailList"][0];
  EXPECT_EQ(alice["UserName"], "alice");
  EXPECT_EQ(alice["Arn"], UserArn("alice"));
  ASSERT_EQ(alice["UserPolicyList"].size(), 1u);
  EXPECT_EQ(alice["UserPolicyList"][0]["PolicyName"], "s3");
  // Documents come percent-encoded (RFC 3986), as every IAM policy document.
  EXPECT_EQ(alice["UserPolicyList"][0]["PolicyDocument"], UrlEncodeDocument(kAllowS3));
  EXPECT_EQ(alice["GroupList"], Json::array({"devs"}));
  EXPECT_EQ(alice["AttachedManagedPolicies"],
            Json::array({{{"PolicyName", "custom"}, {"PolicyArn", custom_}}}));
  EXPECT_EQ(alice["PermissionsBoundary"]["PermissionsBoundaryArn"], custom_);
  EXPECT_EQ(alice["PermissionsBoundary"]["PermissionsBoundaryType"], "PermissionsBoundaryPolicy");
  EXPECT_EQ(alice["Tags"], Json::array({{{"Key", "team"}, {"Value", "red"}}}));
  const Json& bob = out["UserDetailList"][1];
  EXPECT_FALSE(bob.contains("UserPolicyList"));  // AWS leaves it out when empty
  EXPECT_FALSE(bob.contains("PermissionsBoundary"));
  EXPECT_EQ(bob["Tags"], Json::array());

  ASSERT_EQ(out["GroupDetailList"].size(), 1u);
  const Json& devs = out["GroupDetailList"][0];
  EXPECT_EQ(devs["GroupPolicyList"][0]["PolicyName"], "all");
  EXPECT_EQ(devs["AttachedManagedPolicies"][0]["PolicyName"], "ReadOnlyAccess");

  ASSERT_EQ(out["RoleDetailList"].size(), 1u);
  const Json& app = out["RoleDetailList"][0];
  EXPECT_EQ(app["AssumeRolePolicyDocument"], UrlEncodeDocument(kTrust));
  EXPECT_EQ(app["InstanceProfileList"], Json::array());
  EXPECT_EQ(app["RolePolicyList"][0]["PolicyName"], "inline");
  EXPECT_EQ(app["RoleLastUsed"], Json::object());
  EXPECT_EQ(app["Tags"], Json::array());

  // The customer policy with every version, newest first, and the AWS managed policy in
  // use — not the rest of AWS's catalogue.
  ASSERT_EQ(out["Policies"].size(), 2u);
  const Json& custom = out["Policies"][0];
  EXPECT_EQ(custom["Arn"], custom_);
  EXPECT_EQ(custom["DefaultVersionId"], "v2");
  EXPECT_EQ(custom["AttachmentCount"], 1);
  EXPECT_EQ(custom["PermissionsBoundaryUsageCount"], 1);
  EXPECT_FALSE(custom.contains("Description"));
  ASSERT_EQ(custom["PolicyVersionList"].size(), 2u);
  EXPECT_EQ(custom["PolicyVersionList"][0]["VersionId"], "v2");
  EXPECT_EQ(custom["PolicyVersionList"][0]["IsDefaultVersion"], true);
  EXPECT_EQ(custom["PolicyVersionList"][0]["Document"], UrlEncodeDocument(kAllowAll));
  EXPECT_EQ(custom["PolicyVersionList"][1]["Document"], UrlEncodeDocument(kAllowS3));
  const Json& aws = out["Policies"][1];
  EXPECT_EQ(aws["Arn"], kReadOnly);
  EXPECT_EQ(aws["AttachmentCount"], 1);
  ASSERT_EQ(aws["PolicyVersionList"].size(), 1u);
  EXPECT_EQ(aws["PolicyVersionList"][0]["IsDefaultVersion"], true);
  EXPECT_TRUE(aws["PolicyVersionList"][0]["Document"].get<std::string>().starts_with("%7B"));
}

TEST_F(AuthorizationDetailsTest, FiltersAndPagesAcrossKinds) {
  Json roles = Ok(&GetAccountAuthorizationDetails, {{"Filter", {"Role"}}});
  EXPECT_EQ(roles["RoleDetailList"].size(), 1u);
  EXPECT_TRUE(roles["UserDetailList"].empty());
  EXPECT_TRUE(roles["GroupDetailList"].empty());
  EXPECT_TRUE(roles["Policies"].empty());
  Json local = Ok(&GetAccountAuthorizationDetails, {{"Filter", {"LocalManagedPolicy"}}});
  ASSERT_EQ(local["Policies"].size(), 1u);
  EXPECT_EQ(local["Policies"][0]["Arn"], custom_);
  Json aws = Ok(&GetAccountAuthorizationDetails, {{"Filter", {"AWSManagedPolicy", "Group"}}});
  ASSERT_EQ(aws["Policies"].size(), 1u);
  EXPECT_EQ(aws["Policies"][0]["Arn"], kReadOnly);
  EXPECT_EQ(aws["GroupDetailList"].size(), 1u);

  // 2 users + 1 group + 1 role + 2 policies, two at a time.
  size_t total = 0, pages = 0;
  Json input = {{"MaxItems", 2}};
  while (true) {
    Json page = Ok(&GetAccountAuthorizationDetails, input);
    for (const char* list : {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}) {
      total += page[list].size();
    }
    ++pages;
    if (!page["IsTruncated"].get<bool>()) break;
    input["Marker"] = page["Marker"];
    ASSERT_LT(pages, 10u);
  }
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(pages, 3u);
}

// --- Account alias ----------------------------------------------------------------------------

TEST_F(AccountTest, AliasIsOnePerAccount) {
  EXPECT_EQ(Ok(&ListAccountAliases, Json::object())["AccountAliases"], Json::array());
  Ok(&CreateAccountAlias, {{"AccountAlias", "example-corp"}});
  EXPECT_EQ(Ok(&ListAccountAliases, Json::object())["AccountAliases"],
            Json::array({"example-corp"}));
  EXPECT_TRUE(IsError(Call(&CreateAccountAlias, {{"AccountAlias", "example-corp"}}),
                      "EntityAlreadyExists", "The account alias example-corp already exists."));
  // A new alias replaces the old one, as AWS does.
  Ok(&CreateAccountAlias, {{"AccountAlias", "example-two"}});
  EXPECT_EQ(Ok(&ListAccountAliases, Json::object())["AccountAliases"],
            Json::array({"example-two"}));
  EXPECT_TRUE(
      IsError(Call(&DeleteAccountAlias, {{"AccountAlias", "example-corp"}}), "NoSuchEntity"));
  Ok(&DeleteAccountAlias, {{"AccountAlias", "example-two"}});
  EXPECT_EQ(Ok(&ListAccountAliases, Json::object())["AccountAliases"], Json::array());
  EXPECT_TRUE(
      IsError(Call(&DeleteAccountAlias, {{"AccountAlias", "example-two"}}), "NoSuchEntity"));
}

// --- Credential report -------------------------------------------------------------------------

constexpr char kHeader[] =
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

TEST_F(AccountTest, CredentialReportMustBeGeneratedFirst) {
  Result<Json> r = Call(&GetCredentialReport, Json::object());
  ASSERT_TRUE(IsError(r, "ReportNotPresent"));
  EXPECT_EQ(r.status().http_status(), 410);
}

TEST_F(AccountTest, CredentialReportRowsFollowAwsFormat) {
  MakeRootKey();
  // alice: a password (policy: rotate every 90 days), MFA, two keys, the first used.
  Ok(&CreateUser, {{"UserName", "alice"}});
  set_now(kNow + 60);
  const std::string key1 =
      Ok(&CreateAccessKey, {{"UserName", "alice"}})["AccessKey"]["AccessKeyId"].get<std::string>();
  set_now(kNow + 120);
  Ok(&CreateAccessKey, {{"UserName", "alice"}});
  UseKey(key1, kNow + 180, "iam", "us-east-1");
  Edit(Kind::kUser, "alice", [](Json& u) {
    u["LoginProfile"] = {{"CreateDate", kNow + 30}, {"PasswordLastChanged", kNow + 30}};
    u["MFADevices"] = Json::array({"arn:aws:iam::123456789012:mfa/alice"});
  });
  ASSERT_TRUE(store()
                  .Put("iam/" + std::string(kAccount) + "/password-policy",
                       Json{{"MaxPasswordAge", 90}}.dump())
                  .ok());
  Ok(&CreateUser, {{"UserName", "bob"}});
  // IAM names may hold commas: such a field is quoted.
  Ok(&CreateUser, {{"UserName", "c,d"}});

  set_now(kNow + 300);
  Json generated = Ok(&GenerateCredentialReport, Json::object());
  EXPECT_EQ(generated["State"], "STARTED");
  EXPECT_EQ(generated["Description"], "No report exists. Starting a new report generation task");
  EXPECT_EQ(Ok(&GenerateCredentialReport, Json::object()), Json({{"State", "COMPLETE"}}));

  Json report = Ok(&GetCredentialReport, Json::object());
  EXPECT_EQ(report["ReportFormat"], "text/csv");
  EXPECT_EQ(report["GeneratedTime"], kNow + 300);
  std::vector<std::string> lines = Lines(report["Content"].get<std::string>());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], kHeader);
  // 2024-01-02T03:04:05Z is kNow.
  EXPECT_EQ(lines[1],
            "<root_account>,arn:aws:iam::123456789012:root,N/A,not_supported,no_information,"
            "not_supported,not_supported,false,true,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
            "false,N/A,false,N/A");
  EXPECT_EQ(lines[2],
            "alice,arn:aws:iam::123456789012:user/alice,2024-01-02T03:04:05+00:00,true,"
            "no_information,2024-01-02T03:04:35+00:00,2024-04-01T03:04:35+00:00,true,"
            "true,2024-01-02T03:05:05+00:00,2024-01-02T03:07:05+00:00,us-east-1,iam,"
            "true,2024-01-02T03:06:05+00:00,N/A,N/A,N/A,false,N/A,false,N/A");
  EXPECT_EQ(lines[3],
            "bob,arn:aws:iam::123456789012:user/bob,2024-01-02T03:06:05+00:00,false,N/A,N/A,"
            "N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A");
  EXPECT_TRUE(lines[4].starts_with("\"c,d\",\"arn:aws:iam::123456789012:user/c,d\",2024-"))
      << lines[4];
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(Fields(lines[i]).size(), 22u) << lines[i];

  // A key deactivated later shows in the next report only; the report in hand stays.
  Ok(&UpdateAccessKey, {{"UserName", "alice"}, {"AccessKeyId", key1}, {"Status", "Inactive"}});
  EXPECT_EQ(Ok(&GetCredentialReport, Json::object())["Content"], report["Content"]);

  // Four hours on, the report has expired and the next one is new.
  set_now(kNow + 300 + 4 * 3600);
  EXPECT_TRUE(IsError(Call(&GetCredentialReport, Json::object()), "ReportExpired"));
  EXPECT_EQ(Ok(&GenerateCredentialReport, Json::object())["State"], "STARTED");
  Json fresh = Ok(&GetCredentialReport, Json::object());
  EXPECT_EQ(fresh["GeneratedTime"], kNow + 300 + 4 * 3600);
  std::vector<std::string> alice = Fields(Lines(fresh["Content"].get<std::string>())[2]);
  EXPECT_EQ(alice[8], "false");  // access_key_1_active
  EXPECT_EQ(alice[9], "2024-01-02T03:05:05+00:00");
}

// --- Simulation ----------------------------------------------------------------------------------

// The AWS CLI's simulate-custom-policy example, positions included.
constexpr char kDatePolicy[] =
    R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",)"
    R"("Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}})";

Json DateContext(const std::string& when) {
  return Json::array({{{"ContextKeyName", "aws:CurrentTime"},
                       {"ContextKeyValues", {when}},
                       {"ContextKeyType", "date"}}});
}

TEST_F(AccountTest, CustomPolicyMatchesAwsExample) {
  Json out = Ok(&SimulateCustomPolicy, {{"PolicyInputList", {kDatePolicy}},
                                        {"ActionNames", {"dynamodb:CreateBackup"}},
                                        {"ContextEntries", DateContext("2019-04-25T11:00:00Z")}});
  ASSERT_EQ(out["EvaluationResults"].size(), 1u);
  const Json& r = out["EvaluationResults"][0];
  EXPECT_EQ(r["EvalActionName"], "dynamodb:CreateBackup");
  EXPECT_EQ(r["EvalResourceName"], "*");
  EXPECT_EQ(r["EvalDecision"], "allowed");
  EXPECT_EQ(r["MissingContextValues"], Json::array());
  ASSERT_EQ(r["MatchedStatements"].size(), 1u);
  const Json& st = r["MatchedStatements"][0];
  EXPECT_EQ(st["SourcePolicyId"], "PolicyInputList.1");
  EXPECT_EQ(st["SourcePolicyType"], "none");
  EXPECT_EQ(st["StartPosition"], Json({{"Line", 1}, {"Column", 38}}));
  EXPECT_EQ(st["EndPosition"], Json({{"Line", 1}, {"Column", 167}}));
  EXPECT_FALSE(r.contains("EvalDecisionDetails"));  // same account, all resources
  EXPECT_FALSE(r.contains("PermissionsBoundaryDecisionDetail"));
  EXPECT_EQ(out["IsTruncated"], false);

  Json before =
      Ok(&SimulateCustomPolicy, {{"PolicyInputList", {kDatePolicy}},
                                 {"ActionNames", {"dynamodb:CreateBackup"}},
                                 {"ContextEntries", DateContext("2014-04-25T11:00:00Z")}});
  EXPECT_EQ(before["EvaluationResults"][0]["EvalDecision"], "implicitDeny");
  EXPECT_EQ(before["EvaluationResults"][0]["MatchedStatements"], Json::array());
}

TEST_F(AccountTest, PositionsOfPrettyPrintedStatements) {
  const std::string doc =
      "{\n"
      "  \"Version\": \"2012-10-17\",\n"
      "  \"Statement\": [\n"
      "    {\"Sid\": \"Skip\", \"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": "
      "\"*\"},\n"
      "    {\n"
      "      \"Sid\": \"Deny\",\n"
      "      \"Effect\": \"Deny\",\n"
      "      \"Action\": \"s3:Delete*\",\n"
      "      \"Resource\": \"*\"\n"
      "    }\n"
      "  ]\n"
      "}\n";
  Json out = Ok(&SimulateCustomPolicy, {{"PolicyInputList", {kAllowAll, doc}},
                                        {"ActionNames", {"s3:DeleteBucket", "ec2:RunInstances"}}});
  const Json& deny = out["EvaluationResults"][0];
  EXPECT_EQ(deny["EvalDecision"], "explicitDeny");
  // Only the deny statement is reported when one denies.
  ASSERT_EQ(deny["MatchedStatements"].size(), 1u);
  EXPECT_EQ(deny["MatchedStatements"][0]["SourcePolicyId"], "PolicyInputList.2");
  EXPECT_EQ(deny["MatchedStatements"][0]["StartPosition"], Json({{"Line", 5}, {"Column", 6}}));
  EXPECT_EQ(deny["MatchedStatements"][0]["EndPosition"], Json({{"Line", 10}, {"Column", 6}}));
  const Json& allow = out["EvaluationResults"][1];
  EXPECT_EQ(allow["EvalDecision"], "allowed");
  ASSERT_EQ(allow["MatchedStatements"].size(), 2u);  // every allow that applies
  EXPECT_EQ(allow["MatchedStatements"][1]["StartPosition"], Json({{"Line", 4}, {"Column", 6}}));
  EXPECT_EQ(allow["MatchedStatements"][1]["EndPosition"], Json({{"Line", 4}, {"Column", 75}}));
}

TEST_F(AccountTest, BoundaryLimitsAndIsReported) {
  Json input = {{"PolicyInputList", {kAllowAll}},
                {"PermissionsBoundaryPolicyInputList", {kAllowS3}},
                {"ActionNames", {"s3:GetObject", "iam:CreateUser"}}};
  Json out = Ok(&SimulateCustomPolicy, input);
  const Json& s3 = out["EvaluationResults"][0];
  EXPECT_EQ(s3["EvalDecision"], "allowed");
  EXPECT_EQ(s3["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"], true);
  ASSERT_EQ(s3["MatchedStatements"].size(), 2u);
  EXPECT_EQ(s3["MatchedStatements"][1]["SourcePolicyId"], "PermissionsBoundaryPolicyInputList.1");
  const Json& iam = out["EvaluationResults"][1];
  EXPECT_EQ(iam["EvalDecision"], "implicitDeny");
  EXPECT_EQ(iam["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"], false);
  input["PermissionsBoundaryPolicyInputList"] = {kAllowS3, kAllowS3};
  EXPECT_TRUE(IsError(Call(&SimulateCustomPolicy, input), "InvalidInput"));
}

constexpr char kIpPolicy[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",)"
    R"("Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]})";

TEST_F(AccountTest, ContextEntriesAndMissingValues) {
  Json input = {{"PolicyInputList", {kIpPolicy}}, {"ActionNames", {"s3:GetObject"}}};
  Json out = Ok(&SimulateCustomPolicy, input);
  EXPECT_EQ(out["EvaluationResults"][0]["EvalDecision"], "implicitDeny");
  EXPECT_EQ(out["EvaluationResults"][0]["MissingContextValues"], Json::array({"aws:SourceIp"}));

  input["ContextEntries"] = {{{"ContextKeyName", "aws:sourceip"},
                              {"ContextKeyValues", {"10.1.2.3"}},
                              {"ContextKeyType", "ip"}}};
  out = Ok(&SimulateCustomPolicy, input);
  EXPECT_EQ(out["EvaluationResults"][0]["EvalDecision"], "allowed");
  EXPECT_EQ(out["EvaluationResults"][0]["MissingContextValues"], Json::array());

  input["ContextEntries"][0]["ContextKeyValues"] = {"192.0.2.1"};
  EXPECT_EQ(Ok(&SimulateCustomPolicy, input)["EvaluationResults"][0]["EvalDecision"],
            "implicitDeny");
  input["ContextEntries"][0]["ContextKeyValues"] = {"not-an-ip"};
  EXPECT_TRUE(IsError(Call(&SimulateCustomPolicy, input), "InvalidInput"));

  // A statement about another action does not make its keys missing.
  input.erase("ContextEntries");
  input["ActionNames"] = {"s3:PutObject"};
  EXPECT_EQ(Ok(&SimulateCustomPolicy, input)["EvaluationResults"][0]["MissingContextValues"],
            Json::array());

  // Multi-valued keys (stringList) work with set operators.
  constexpr char kTags[] =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagUser",)"
      R"("Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}}]})";
  Json tags = {{"PolicyInputList", {kTags}},
               {"ActionNames", {"iam:TagUser"}},
               {"ContextEntries",
                {{{"ContextKeyName", "aws:TagKeys"},
                  {"ContextKeyValues", {"a", "c"}},
                  {"ContextKeyType", "stringList"}}}}};
  EXPECT_EQ(Ok(&SimulateCustomPolicy, tags)["EvaluationResults"][0]["EvalDecision"],
            "implicitDeny");
  tags["ContextEntries"][0]["ContextKeyValues"] = {"b", "a"};
  EXPECT_EQ(Ok(&SimulateCustomPolicy, tags)["EvaluationResults"][0]["EvalDecision"], "allowed");
}

TEST_F(AccountTest, ResourceArnsGiveResourceSpecificResults) {
  constexpr char kBucket[] =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",)"
      R"("Resource":"arn:aws:s3:::public/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]})";
  Json out = Ok(&SimulateCustomPolicy,
                {{"PolicyInputList", {kBucket}},
                 {"ActionNames", {"s3:GetObject", "s3:PutObject"}},
                 {"ResourceArns", {"arn:aws:s3:::public/a", "arn:aws:s3:::private/b"}},
                 {"ContextEntries",
                  {{{"ContextKeyName", "aws:SecureTransport"},
                    {"ContextKeyValues", {"true"}},
                    {"ContextKeyType", "boolean"}}}}});
  const Json& results = out["EvaluationResults"];
  ASSERT_EQ(results.size(), 4u);  // one per action and resource
  EXPECT_EQ(results[0]["EvalResourceName"], "arn:aws:s3:::public/a");
  EXPECT_EQ(results[0]["EvalDecision"], "allowed");
  EXPECT_EQ(results[1]["EvalResourceName"], "arn:aws:s3:::private/b");
  EXPECT_EQ(results[1]["EvalDecision"], "implicitDeny");
  EXPECT_EQ(results[2]["EvalActionName"], "s3:PutObject");
  for (const Json& r : results) {
    ASSERT_EQ(r["ResourceSpecificResults"].size(), 1u);
    EXPECT_EQ(r["ResourceSpecificResults"][0]["EvalResourceName"], r["EvalResourceName"]);
    EXPECT_EQ(r["ResourceSpecificResults"][0]["EvalResourceDecision"], r["EvalDecision"]);
    // Same account with a resource ARN: present and empty.
    EXPECT_EQ(r["EvalDecisionDetails"], Json::object());
  }
  // Without the key, it is missing for the matching resource only, and reported per
  // resource rather than at the top.
  Json missing = Ok(&SimulateCustomPolicy,
                    {{"PolicyInputList", {kBucket}},
                     {"ActionNames", {"s3:GetObject"}},
                     {"ResourceArns", {"arn:aws:s3:::public/a", "arn:aws:s3:::private/b"}}});
  EXPECT_EQ(missing["EvaluationResults"][0]["MissingContextValues"], Json::array());
  EXPECT_EQ(missing["EvaluationResults"][0]["ResourceSpecificResults"][0]["MissingContextValues"],
            Json::array({"aws:SecureTransport"}));
  EXPECT_EQ(missing["EvaluationResults"][1]["ResourceSpecificResults"][0]["MissingContextValues"],
            Json::array());
}

TEST_F(AccountTest, ResourcePolicyNeedsACallerAndCanGrant) {
  constexpr char kQueuePolicy[] =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
      R"("Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sqs:SendMessage",)"
      R"("Resource":"*"}]})";
  constexpr char kNothing[] = R"({"Version":"2012-10-17","Statement":[]})";
  Json input = {{"PolicyInputList", {kNothing}},
                {"ActionNames", {"sqs:SendMessage"}},
                {"ResourceArns", {"arn:aws:sqs:us-east-1:123456789012:q"}},
                {"ResourcePolicy", kQueuePolicy}};
  EXPECT_TRUE(IsError(Call(&SimulateCustomPolicy, input), "InvalidInput"));
  input["CallerArn"] = "arn:aws:iam::123456789012:role/r";
  EXPECT_TRUE(IsError(Call(&SimulateCustomPolicy, input), "InvalidInput"));
  input["CallerArn"] = UserArn("alice");
  Json r = Ok(&SimulateCustomPolicy, input)["EvaluationResults"][0];
  // Same account: a resource policy naming the user grants on its own.
  EXPECT_EQ(r["EvalDecision"], "allowed");
  EXPECT_EQ(r["MatchedStatements"][0]["SourcePolicyType"], "resource");
  EXPECT_EQ(r["MatchedStatements"][0]["SourcePolicyId"], "ResourcePolicy");
  input["CallerArn"] = UserArn("bob");
  EXPECT_EQ(Ok(&SimulateCustomPolicy, input)["EvaluationResults"][0]["EvalDecision"],
            "implicitDeny");

  // Across accounts both sides must allow, and the details say how each decided.
  input["CallerArn"] = UserArn("alice");
  input["ResourceArns"] = {"arn:aws:sqs:us-east-1:999999999999:q"};
  r = Ok(&SimulateCustomPolicy, input)["EvaluationResults"][0];
  EXPECT_EQ(r["EvalDecision"], "implicitDeny");
  EXPECT_EQ(r["EvalDecisionDetails"],
            Json({{"IAM Policy", "implicitDeny"}, {"Resource Policy", "allowed"}}));
  input["PolicyInputList"] = {kAllowAll};
  r = Ok(&SimulateCustomPolicy, input)["EvaluationResults"][0];
  EXPECT_EQ(r["EvalDecision"], "allowed");
  EXPECT_EQ(r["EvalDecisionDetails"],
            Json({{"IAM Policy", "allowed"}, {"Resource Policy", "allowed"}}));
}

TEST_F(AccountTest, PrincipalPolicyGathersUserGroupAndManagedPolicies) {
  constexpr char kDenyDelete[] =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]})";
  Ok(&CreateUser, {{"UserName", "alice"}, {"Path", "/eng/"}});
  Ok(&CreateGroup, {{"GroupName", "devs"}});
  Ok(&AddUserToGroup, {{"UserName", "alice"}, {"GroupName", "devs"}});
  Ok(&PutUserPolicy,
     {{"UserName", "alice"}, {"PolicyName", "own-s3"}, {"PolicyDocument", kAllowS3}});
  Ok(&PutGroupPolicy,
     {{"GroupName", "devs"}, {"PolicyName", "no-delete"}, {"PolicyDocument", kDenyDelete}});
  Ok(&AttachUserPolicy, {{"UserName", "alice"}, {"PolicyArn", kReadOnly}});
  const std::string arn = "arn:aws:iam::123456789012:user/eng/alice";

  Json out =
      Ok(&SimulatePrincipalPolicy,
         {{"PolicySourceArn", arn},
          {"ActionNames", {"s3:PutObject", "s3:DeleteBucket", "iam:GetUser", "kms:Decrypt"}}});
  const Json& r = out["EvaluationResults"];
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0]["EvalDecision"], "allowed");
  EXPECT_EQ(r[0]["MatchedStatements"][0]["SourcePolicyId"], "own-s3");
  EXPECT_EQ(r[0]["MatchedStatements"][0]["SourcePolicyType"], "user");
  EXPECT_EQ(r[1]["EvalDecision"], "explicitDeny");
  ASSERT_EQ(r[1]["MatchedStatements"].size(), 1u);
  EXPECT_EQ(r[1]["MatchedStatements"][0]["SourcePolicyId"], "no-delete");
  EXPECT_EQ(r[1]["MatchedStatements"][0]["SourcePolicyType"], "group");
  EXPECT_EQ(r[2]["EvalDecision"], "allowed");  // ReadOnlyAccess has iam:Get*
  EXPECT_EQ(r[2]["MatchedStatements"][0]["SourcePolicyId"], "ReadOnlyAccess");
  EXPECT_EQ(r[2]["MatchedStatements"][0]["SourcePolicyType"], "aws-managed");
  EXPECT_EQ(r[3]["EvalDecision"], "implicitDeny");

  // The stored boundary applies; one given in the request replaces it.
  const std::string s3_only = MakePolicy("s3-only", kAllowS3);
  Ok(&PutUserPermissionsBoundary, {{"UserName", "alice"}, {"PermissionsBoundary", s3_only}});
  Json bounded = Ok(&SimulatePrincipalPolicy,
                    {{"PolicySourceArn", arn}, {"ActionNames", {"iam:GetUser", "s3:PutObject"}}});
  EXPECT_EQ(bounded["EvaluationResults"][0]["EvalDecision"], "implicitDeny");
  EXPECT_EQ(bounded["EvaluationResults"][0]["PermissionsBoundaryDecisionDetail"]
                   ["AllowedByPermissionsBoundary"],
            false);
  EXPECT_EQ(bounded["EvaluationResults"][1]["EvalDecision"], "allowed");
  Json replaced =
      Ok(&SimulatePrincipalPolicy, {{"PolicySourceArn", arn},
                                    {"ActionNames", {"iam:GetUser"}},
                                    {"PermissionsBoundaryPolicyInputList", {kAllowAll}}});
  EXPECT_EQ(replaced["EvaluationResults"][0]["EvalDecision"], "allowed");

  // Extra policies join the principal's.
  Json extra = Ok(&SimulatePrincipalPolicy, {{"PolicySourceArn", arn},
                                             {"ActionNames", {"s3:GetObject"}},
                                             {"PolicyInputList", {kDenyDelete, kAllowS3}}});
  EXPECT_EQ(extra["EvaluationResults"][0]["EvalDecision"], "allowed");

  // Paged one result at a time.
  Json input = {{"PolicySourceArn", arn},
                {"ActionNames", {"s3:PutObject", "s3:DeleteBucket", "kms:Decrypt"}},
                {"MaxItems", 1}};
  std::vector<std::string> actions;
  while (true) {
    Json page = Ok(&SimulatePrincipalPolicy, input);
    ASSERT_EQ(page["EvaluationResults"].size(), 1u);
    actions.push_back(page["EvaluationResults"][0]["EvalActionName"]);
    if (!page["IsTruncated"].get<bool>()) break;
    input["Marker"] = page["Marker"];
    ASSERT_LT(actions.size(), 5u);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"s3:PutObject", "s3:DeleteBucket", "kms:Decrypt"}));
}

TEST_F(AccountTest, PrincipalPolicyOfRolesAndGroupsAndErrors) {
  Ok(&CreateRole, {{"RoleName", "app"}, {"AssumeRolePolicyDocument", kTrust}});
  Ok(&PutRolePolicy, {{"RoleName", "app"}, {"PolicyName", "s3"}, {"PolicyDocument", kAllowS3}});
  Json role =
      Ok(&SimulatePrincipalPolicy, {{"PolicySourceArn", "arn:aws:iam::123456789012:role/app"},
                                    {"ActionNames", {"s3:GetObject"}}});
  EXPECT_EQ(role["EvaluationResults"][0]["EvalDecision"], "allowed");
  EXPECT_EQ(role["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyType"], "role");

  Ok(&CreateGroup, {{"GroupName", "ops"}});
  const std::string custom = MakePolicy("ops-all");
  Ok(&AttachGroupPolicy, {{"GroupName", "ops"}, {"PolicyArn", custom}});
  Json group =
      Ok(&SimulatePrincipalPolicy, {{"PolicySourceArn", "arn:aws:iam::123456789012:group/ops"},
                                    {"ActionNames", {"ec2:RunInstances"}}});
  EXPECT_EQ(group["EvaluationResults"][0]["EvalDecision"], "allowed");
  EXPECT_EQ(group["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyType"],
            "user-managed");
  EXPECT_EQ(group["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"], "ops-all");

  EXPECT_TRUE(IsError(Call(&SimulatePrincipalPolicy, {{"PolicySourceArn", UserArn("nobody")},
                                                      {"ActionNames", {"s3:GetObject"}}}),
                      "NoSuchEntity", "The user with name nobody cannot be found."));
  // The ARN must be the entity's, path included.
  EXPECT_TRUE(IsError(Call(&SimulatePrincipalPolicy,
                           {{"PolicySourceArn", "arn:aws:iam::123456789012:role/other/app"},
                            {"ActionNames", {"s3:GetObject"}}}),
                      "NoSuchEntity"));
  EXPECT_TRUE(
      IsError(Call(&SimulatePrincipalPolicy, {{"PolicySourceArn", "arn:aws:iam::123456789012:root"},
                                              {"ActionNames", {"s3:GetObject"}}}),
              "InvalidInput"));
  EXPECT_TRUE(IsError(
      Call(&SimulatePrincipalPolicy, {{"PolicySourceArn", "arn:aws:iam::999999999999:role/app"},
                                      {"ActionNames", {"s3:GetObject"}}}),
      "InvalidInput"));
  // A role's simulation with a resource policy needs a caller.
  EXPECT_TRUE(IsError(
      Call(&SimulatePrincipalPolicy, {{"PolicySourceArn", "arn:aws:iam::123456789012:role/app"},
                                      {"ActionNames", {"s3:GetObject"}},
                                      {"ResourcePolicy", kAllowAll}}),
      "InvalidInput"));
  EXPECT_TRUE(IsError(Call(&SimulateCustomPolicy,
                           {{"PolicyInputList", {"{not json"}}, {"ActionNames", {"s3:GetObject"}}}),
                      "InvalidInput"));
}

TEST_F(AccountTest, ContextKeysOfPolicies) {
  constexpr char kKeys[] =
      R"({"Version":"2012-10-17","Statement":[)"
      R"({"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*",)"
      R"("Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'x'}"}}},)"
      R"({"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"AWS:SourceIP":"true"},"Null":{"aws:MultiFactorAuthAge":"true"}}}]})";
  Json out = Ok(&GetContextKeysForCustomPolicy, {{"PolicyInputList", {kKeys, kAllowAll}}});
  EXPECT_EQ(out["ContextKeyNames"],
            Json::array({"aws:SourceIp", "s3:prefix", "aws:PrincipalTag/team", "aws:username",
                         "aws:MultiFactorAuthAge"}));

  Ok(&CreateUser, {{"UserName", "alice"}});
  Ok(&CreateGroup, {{"GroupName", "devs"}});
  Ok(&AddUserToGroup, {{"UserName", "alice"}, {"GroupName", "devs"}});
  Ok(&PutGroupPolicy, {{"GroupName", "devs"}, {"PolicyName", "ip"}, {"PolicyDocument", kIpPolicy}});
  Json principal = Ok(&GetContextKeysForPrincipalPolicy, {{"PolicySourceArn", UserArn("alice")}});
  EXPECT_EQ(principal["ContextKeyNames"], Json::array({"aws:SourceIp"}));
  EXPECT_TRUE(
      IsError(Call(&GetContextKeysForPrincipalPolicy, {{"PolicySourceArn", UserArn("bob")}}),
              "NoSuchEntity"));
}

// The MissingContextValues of a statement whose Resource needs a variable.
TEST_F(AccountTest, VariablesInResourceAreMissingKeys) {
  constexpr char kHome[] =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",)"
      R"("Resource":"arn:aws:s3:::home/${aws:username}/*"}]})";
  Json input = {{"PolicyInputList", {kHome}},
                {"ActionNames", {"s3:GetObject"}},
                {"ResourceArns", {"arn:aws:s3:::home/alice/notes"}}};
  Json r = Ok(&SimulateCustomPolicy, input)["EvaluationResults"][0];
  EXPECT_EQ(r["EvalDecision"], "implicitDeny");
  EXPECT_EQ(r["ResourceSpecificResults"][0]["MissingContextValues"], Json::array({"aws:username"}));
  input["ContextEntries"] = {{{"ContextKeyName", "aws:username"}, {"ContextKeyValues", {"alice"}}}};
  r = Ok(&SimulateCustomPolicy, input)["EvaluationResults"][0];
  EXPECT_EQ(r["EvalDecision"], "allowed");
  EXPECT_EQ(r["ResourceSpecificResults"][0]["MissingContextValues"], Json::array());
}

}  // namespace
}  // namespace bulwark::iam
