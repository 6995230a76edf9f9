// Organizations' handlers on a fresh store holding a management account and a member:
// AWS's shapes and ids, CreateAccount's account, role and policy, the statuses, paging,
// and what member accounts are refused.
#include "services/organizations/organizations.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "services/iam/fixture.h"
#include "services/iam/handlers.h"
#include "services/organizations/directory.h"
#include "services/organizations/handlers.h"

namespace bulwark::organizations {
namespace {

using iam::testutil::Describe;
using iam::testutil::IamTest;
using iam::testutil::IsError;
using iam::testutil::kAccount;
using iam::testutil::kNow;

constexpr char kManagement[] = "123456789012";  // the fixture's kAccount
constexpr char kMember[] = "210987654321";
constexpr char kAccessDeniedMessage[] = "You don't have permissions to access this resource.";

bool Matches(const Json& value, const char* pattern) {
  return value.is_string() && std::regex_match(value.get<std::string>(), std::regex(pattern));
}

class OrganizationsTest : public IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    // What the server's bootstrap leaves: the default (management) account, whose
    // record predates Organizations (no email or name), a member made by
    // `bulwark admin create-account`, and the organization.
    auto txn = store().Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_EQ(kAccount, kManagement);
    Json management = {{"account_id", kManagement}, {"root_access_key_id", "AKIAEXAMPLE"}};
    ASSERT_TRUE((*txn)->Put(AccountKey(kAccount), management.dump()).ok());
    Json member =
        NewAccountRecord(kMember, PlaceholderEmail(kMember), "second", kJoinedCreated, kNow - 100);
    ASSERT_TRUE(PutNewAccountIn(**txn, member).ok());
    auto org = EnsureOrganizationIn(**txn, kAccount, kNow - 1000);
    ASSERT_TRUE(org.ok());
    org_ = *org;
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  // A request of the root user of `account`.
  RequestContext ContextOf(std::string_view account) {
    RequestContext ctx = MakeContext();
    ctx.service = "organizations";
    ctx.caller.account_id = std::string(account);
    ctx.caller.arn = "arn:aws:iam::" + std::string(account) + ":root";
    ctx.caller.user_id = std::string(account);
    return ctx;
  }
  Result<Json> CallAs(std::string_view account, OperationHandler handler, const Json& input) {
    RequestContext ctx = ContextOf(account);
    return handler(ctx, input);
  }
  Json Must(OperationHandler handler, const Json& input) {
    Result<Json> r = CallAs(kAccount, handler, input);
    EXPECT_TRUE(r.ok()) << input.dump() << ": " << Describe(r.status());
    return r.ok() ? *r : Json();
  }
  Json Create(const std::string& email, const std::string& name, Json extra = Json::object()) {
    Json input = {{"Email", email}, {"AccountName", name}};
    input.update(extra);
    return Must(&CreateAccount, input)["CreateAccountStatus"];
  }
  Json Record(const std::string& key) {
    auto raw = store().Get(key);
    EXPECT_TRUE(raw.ok());
    return raw.ok() && *raw ? Json::parse(**raw) : Json();
  }

  Json org_;
};

bool IsAccessDenied(const Result<Json>& r) {
  return !r.ok() && r.status().kind() == ErrorKind::kAccessDenied &&
         r.status().message() == kAccessDeniedMessage;
}

TEST_F(OrganizationsTest, TheOrganizationHasAwsIdsAndIsStable) {
  EXPECT_TRUE(Matches(org_["Id"], "o-[a-z0-9]{10}"));
  EXPECT_TRUE(Matches(org_["RootId"], "r-[a-z0-9]{4}"));
  auto txn = store().Begin();
  ASSERT_TRUE(txn.ok());
  auto again = EnsureOrganizationIn(**txn, kAccount, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, org_);
  // A record naming another management account (a failed first start) is replaced.
  auto other = EnsureOrganizationIn(**txn, kMember, kNow);
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)["Id"], org_["Id"]);
  EXPECT_EQ((*other)["MasterAccountId"], kMember);
}

TEST_F(OrganizationsTest, DescribeOrganization) {
  const std::string id = org_["Id"];
  for (const char* caller : {kManagement, kMember}) {
    Result<Json> r = CallAs(caller, &DescribeOrganization, Json::object());
    ASSERT_TRUE(r.ok()) << Describe(r.status());
    const Json& o = (*r)["Organization"];
    EXPECT_EQ(o["Id"], id);
    EXPECT_EQ(o["Arn"], "arn:aws:organizations::123456789012:organization/" + id);
    EXPECT_EQ(o["FeatureSet"], "ALL");
    EXPECT_EQ(o["MasterAccountId"], kManagement);
    EXPECT_EQ(o["MasterAccountArn"],
              "arn:aws:organizations::123456789012:account/" + id + "/123456789012");
    EXPECT_EQ(o["MasterAccountEmail"], "123456789012@bulwark.invalid");
  }
  // An account outside the data directory is in no organization.
  EXPECT_TRUE(IsError(CallAs("555555555555", &DescribeOrganization, Json::object()),
                      "AWSOrganizationsNotInUseException",
                      "Your account is not a member of an organization."));
}

TEST_F(OrganizationsTest, CreateOrganizationAnswersAlreadyInOrganization) {
  for (const char* caller : {kManagement, kMember}) {
    EXPECT_TRUE(IsError(CallAs(caller, &CreateOrganization, {{"FeatureSet", "ALL"}}),
                        "AlreadyInOrganizationException",
                        "The AWS account is already a member of an organization."));
  }
}

TEST_F(OrganizationsTest, CreateAccountMakesTheAccountItsRoleAndItsStatus) {
  Json status = Create(
      "dev@example.com", "Development",
      {{"Tags", {{{"Key", "team"}, {"Value", "blue"}}}}, {"IamUserAccessToBilling", "DENY"}});
  EXPECT_TRUE(Matches(status["Id"], "car-[a-z0-9]{32}"));
  EXPECT_EQ(status["State"], "SUCCEEDED");
  EXPECT_EQ(status["AccountName"], "Development");
  EXPECT_EQ(status["RequestedTimestamp"], kNow);
  EXPECT_EQ(status["CompletedTimestamp"], kNow);
  EXPECT_FALSE(status.contains("FailureReason"));
  ASSERT_TRUE(Matches(status["AccountId"], "[1-9][0-9]{11}"));
  const std::string id = status["AccountId"];

  // The account's record: no root access key, as in AWS.
  Json record = Record(AccountKey(id));
  EXPECT_EQ(record["email"], "dev@example.com");
  EXPECT_EQ(record["name"], "Development");
  EXPECT_EQ(record["joined_method"], "CREATED");
  EXPECT_EQ(record["iam_user_access_to_billing"], "DENY");
  EXPECT_EQ(record["tags"][0]["Key"], "team");
  EXPECT_FALSE(record.contains("root_access_key_id"));

  // OrganizationAccountAccessRole, trusting the management account, with admin rights.
  RequestContext in_new = ContextOf(id);
  Result<Json> role = iam::GetRole(in_new, {{"RoleName", "OrganizationAccountAccessRole"}});
  ASSERT_TRUE(role.ok()) << Describe(role.status());
  EXPECT_EQ((*role)["Role"]["Arn"], "arn:aws:iam::" + id + ":role/OrganizationAccountAccessRole");
  Json trust = Json::parse(Record(iam::EntityKey(
      id, iam::Kind::kRole, "OrganizationAccountAccessRole"))["AssumeRolePolicyDocument"]
                               .get<std::string>());
  EXPECT_EQ(trust["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::123456789012:root");
  EXPECT_EQ(trust["Statement"][0]["Action"], "sts:AssumeRole");
  Result<Json> attached = iam::ListAttachedEntityPolicies(
      in_new, {{"RoleName", "OrganizationAccountAccessRole"}}, iam::kRoleRef);
  ASSERT_TRUE(attached.ok()) << Describe(attached.status());
  ASSERT_EQ((*attached)["AttachedPolicies"].size(), 1u);
  EXPECT_EQ((*attached)["AttachedPolicies"][0]["PolicyArn"],
            "arn:aws:iam::aws:policy/AdministratorAccess");
  // The management account's own IAM is untouched.
  EXPECT_TRUE(IsError(Call(&iam::GetRole, {{"RoleName", "OrganizationAccountAccessRole"}}),
                      "NoSuchEntity"));

  // The status is stored.
  Json described = Must(&DescribeCreateAccountStatus, {{"CreateAccountRequestId", status["Id"]}});
  EXPECT_EQ(described["CreateAccountStatus"], status);

  // And the account is listed and described.
  Json account = Must(&DescribeAccount, {{"AccountId", id}})["Account"];
  EXPECT_EQ(account["Id"], id);
  EXPECT_EQ(account["Arn"], "arn:aws:organizations::123456789012:account/" +
                                org_["Id"].get<std::string>() + "/" + id);
  EXPECT_EQ(account["Email"], "dev@example.com");
  EXPECT_EQ(account["Name"], "Development");
  EXPECT_EQ(account["Status"], "ACTIVE");
  EXPECT_EQ(account["State"], "ACTIVE");
  EXPECT_EQ(account["JoinedMethod"], "CREATED");
  EXPECT_EQ(account["JoinedTimestamp"], kNow);
}

TEST_F(OrganizationsTest, CreateAccountTakesAnotherRoleName) {
  Json status = Create("ops@example.com", "Ops", {{"RoleName", "Admin"}});
  ASSERT_EQ(status["State"], "SUCCEEDED");
  RequestContext in_new = ContextOf(status["AccountId"].get<std::string>());
  EXPECT_TRUE(iam::GetRole(in_new, {{"RoleName", "Admin"}}).ok());
  EXPECT_TRUE(IsError(iam::GetRole(in_new, {{"RoleName", "OrganizationAccountAccessRole"}}),
                      "NoSuchEntity"));
}

TEST_F(OrganizationsTest, ADuplicateEmailFailsInTheStatus) {
  ASSERT_EQ(Create("Dev@Example.com", "One")["State"], "SUCCEEDED");
  Json failed = Create("dev@example.COM", "Two");
  EXPECT_EQ(failed["State"], "FAILED");
  EXPECT_EQ(failed["FailureReason"], "EMAIL_ALREADY_EXISTS");
  EXPECT_FALSE(failed.contains("AccountId"));
  // The placeholder addresses of operator-made accounts count too.
  EXPECT_EQ(Create("210987654321@bulwark.invalid", "Three")["FailureReason"],
            "EMAIL_ALREADY_EXISTS");
  // No account was made, and the failure is on record.
  auto accounts = store().Scan(kAccountsPrefix);
  ASSERT_TRUE(accounts.ok());
  EXPECT_EQ(accounts->size(), 3u);
  Json described = Must(&DescribeCreateAccountStatus, {{"CreateAccountRequestId", failed["Id"]}});
  EXPECT_EQ(described["CreateAccountStatus"]["State"], "FAILED");
}

TEST_F(OrganizationsTest, DuplicateTagKeysAreRefused) {
  EXPECT_TRUE(
      IsError(CallAs(kAccount, &CreateAccount,
                     {{"Email", "t@example.com"},
                      {"AccountName", "T"},
                      {"Tags", {{{"Key", "a"}, {"Value", "1"}}, {{"Key", "a"}, {"Value", "2"}}}}}),
              "InvalidInputException"));
}

TEST_F(OrganizationsTest, UnknownStatusAndAccount) {
  EXPECT_TRUE(IsError(CallAs(kAccount, &DescribeCreateAccountStatus,
                             {{"CreateAccountRequestId", "car-0123456789abcdef"}}),
                      "CreateAccountStatusNotFoundException"));
  EXPECT_TRUE(IsError(CallAs(kAccount, &DescribeAccount, {{"AccountId", "555555555555"}}),
                      "AccountNotFoundException", "You specified an account that doesn't exist."));
}

TEST_F(OrganizationsTest, ListAccountsPagesEveryAccount) {
  std::set<std::string> expected = {kManagement, kMember};
  for (int i = 0; i < 3; ++i) {
    expected.insert(
        Create("a" + std::to_string(i) + "@example.com", "A" + std::to_string(i))["AccountId"]);
  }
  std::vector<std::string> seen;
  Json input = {{"MaxResults", 2}};
  for (int page = 0; page < 10; ++page) {
    Json out = Must(&ListAccounts, input);
    EXPECT_LE(out["Accounts"].size(), 2u);
    for (const Json& a : out["Accounts"]) seen.push_back(a["Id"]);
    if (!out.contains("NextToken")) break;
    input["NextToken"] = out["NextToken"];
  }
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
  EXPECT_EQ(seen.size(), expected.size());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  // The management account's record predates Organizations: placeholders.
  Json all = Must(&ListAccounts, Json::object())["Accounts"];
  ASSERT_EQ(all.size(), 5u);
  for (const Json& a : all) {
    if (a["Id"] == kManagement) {
      EXPECT_EQ(a["Name"], "default");
      EXPECT_EQ(a["Email"], "123456789012@bulwark.invalid");
      EXPECT_EQ(a["JoinedMethod"], "INVITED");
      EXPECT_EQ(a["JoinedTimestamp"], kNow - 1000);
    }
    if (a["Id"] == kMember) {
      EXPECT_EQ(a["Name"], "second");
      EXPECT_EQ(a["JoinedMethod"], "CREATED");
      EXPECT_EQ(a["JoinedTimestamp"], kNow - 100);
    }
  }
  EXPECT_TRUE(IsError(CallAs(kAccount, &ListAccounts, {{"NextToken", "bm90IGFuIGlk"}}),
                      "InvalidInputException"));
  EXPECT_TRUE(
      IsError(CallAs(kAccount, &ListAccounts, {{"NextToken", "%%%"}}), "InvalidInputException"));
}

TEST_F(OrganizationsTest, ListCreateAccountStatusFiltersAndPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    set_now(kNow + i);
    ids.push_back(Create("s" + std::to_string(i) + "@example.com", "S")["Id"]);
  }
  set_now(kNow + 10);
  std::string failed = Create("s0@example.com", "Again")["Id"];

  Json all = Must(&ListCreateAccountStatus, Json::object())["CreateAccountStatuses"];
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0]["Id"], ids[0]);  // oldest first
  EXPECT_EQ(all[3]["Id"], failed);

  Json only_failed =
      Must(&ListCreateAccountStatus, {{"States", {"FAILED"}}})["CreateAccountStatuses"];
  ASSERT_EQ(only_failed.size(), 1u);
  EXPECT_EQ(only_failed[0]["Id"], failed);
  EXPECT_EQ(
      Must(&ListCreateAccountStatus, {{"States", {"IN_PROGRESS"}}})["CreateAccountStatuses"].size(),
      0u);

  std::vector<std::string> paged;
  Json input = {{"MaxResults", 1}, {"States", {"SUCCEEDED"}}};
  for (int page = 0; page < 10; ++page) {
    Json out = Must(&ListCreateAccountStatus, input);
    for (const Json& s : out["CreateAccountStatuses"]) paged.push_back(s["Id"]);
    if (!out.contains("NextToken")) break;
    input["NextToken"] = out["NextToken"];
  }
  EXPECT_EQ(paged, ids);
  EXPECT_TRUE(IsError(CallAs(kAccount, &ListCreateAccountStatus, {{"NextToken", "Zm9v"}}),
                      "InvalidInputException"));
}

TEST_F(OrganizationsTest, MemberAccountsAreRefusedWhatOnlyTheManagementAccountMayDo) {
  Json status = Create("m@example.com", "M");
  EXPECT_TRUE(IsAccessDenied(
      CallAs(kMember, &CreateAccount, {{"Email", "x@example.com"}, {"AccountName", "X"}})));
  EXPECT_TRUE(IsAccessDenied(CallAs(kMember, &ListAccounts, Json::object())));
  EXPECT_TRUE(IsAccessDenied(CallAs(kMember, &DescribeAccount, {{"AccountId", kMember}})));
  EXPECT_TRUE(IsAccessDenied(
      CallAs(kMember, &DescribeCreateAccountStatus, {{"CreateAccountRequestId", status["Id"]}})));
  EXPECT_TRUE(IsAccessDenied(CallAs(kMember, &ListCreateAccountStatus, Json::object())));
  // An account the organization created is a member like any other.
  EXPECT_TRUE(IsAccessDenied(
      CallAs(status["AccountId"].get<std::string>(), &ListAccounts, Json::object())));
  // Nothing was created by the refused request.
  auto accounts = store().Scan(kAccountsPrefix);
  ASSERT_TRUE(accounts.ok());
  EXPECT_EQ(accounts->size(), 3u);
}

TEST_F(OrganizationsTest, WithoutAnOrganizationNothingIsInUse) {
  ASSERT_TRUE(store().Delete(kOrganizationKey).ok());
  EXPECT_TRUE(IsError(CallAs(kAccount, &DescribeOrganization, Json::object()),
                      "AWSOrganizationsNotInUseException"));
  EXPECT_TRUE(IsError(CallAs(kAccount, &ListAccounts, Json::object()),
                      "AWSOrganizationsNotInUseException"));
}

TEST_F(OrganizationsTest, AuthorizationHook) {
  const ServiceSpec& service = Service();
  auto row = [&](std::string_view name) -> const OperationSpec& {
    for (const OperationSpec& op : service.operations) {
      if (op.name == name) return op;
    }
    ADD_FAILURE() << name;
    return service.operations[0];
  };
  RequestContext ctx = ContextOf(kAccount);
  AuthorizationRequest tagged;
  ASSERT_TRUE(CompleteAuthorization(
                  ctx, row("CreateAccount"),
                  {{"Email", "e@example.com"}, {"AccountName", "E"}, {"Tags", Json::array()}},
                  &tagged)
                  .ok());
  EXPECT_EQ(tagged.additional_actions, std::vector<std::string>{"organizations:TagResource"});
  AuthorizationRequest untagged;
  ASSERT_TRUE(CompleteAuthorization(ctx, row("CreateAccount"),
                                    {{"Email", "e@example.com"}, {"AccountName", "E"}}, &untagged)
                  .ok());
  EXPECT_TRUE(untagged.additional_actions.empty());
  AuthorizationRequest describe;
  ASSERT_TRUE(
      CompleteAuthorization(ctx, row("DescribeAccount"), {{"AccountId", kMember}}, &describe).ok());
  EXPECT_EQ(describe.context.resource, "arn:aws:organizations::123456789012:account/" +
                                           org_["Id"].get<std::string>() + "/210987654321");
}

}  // namespace
}  // namespace bulwark::organizations
