// Parameter Store through its handlers: names and their canonical form, the KMS key use
// of a SecureString (and what a denial answers), selectors, filters, and the Expiration
// policy carried out by the maintenance hook.
#include <gtest/gtest.h>

#include <vector>

#include "services/iam/fixture.h"
#include "services/ssm/common.h"
#include "services/ssm/handlers.h"
#include "storage/sealer.h"

namespace bulwark::ssm {
namespace {

using iam::testutil::IsError;
using iam::testutil::kAccount;
using iam::testutil::kNow;

class RecordingAuthorizer final : public RequestAuthorizer {
 public:
  Status AuthorizeOperation(RequestContext&, const OperationSpec&, const Json&) override {
    return Status::Ok();
  }
  Status AuthorizeUse(RequestContext&, AuthorizationRequest::OtherResource use) override {
    uses.push_back(std::move(use));
    return deny ? Status(ErrorKind::kAccessDenied, "denied") : Status::Ok();
  }
  std::vector<AuthorizationRequest::OtherResource> uses;
  bool deny = false;
};

class SsmTest : public iam::testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    env().sealer = &sealer_;
  }
  RequestContext Ctx() {
    RequestContext ctx = MakeContext();
    ctx.service = "ssm";
    ctx.authorizer = &authorizer_;
    return ctx;
  }
  Result<Json> Run(OperationHandler handler, const Json& input) {
    RequestContext ctx = Ctx();
    return handler(ctx, input);
  }
  Json Must(OperationHandler handler, const Json& input) {
    Result<Json> r = Run(handler, input);
    EXPECT_TRUE(r.ok()) << input.dump() << ": " << iam::testutil::Describe(r.status());
    return r.ok() ? std::move(r).value() : Json();
  }
  RecordingAuthorizer authorizer_;
  storage::Sealer sealer_{SecretBytes::FromView(std::string(32, 'r'))};
};

TEST_F(SsmTest, NamesHaveOneCanonicalForm) {
  RequestContext ctx = Ctx();
  const std::string arn = "arn:aws:ssm:us-east-1:" + std::string(kAccount) + ":parameter";
  struct Case {
    const char* name;
    const char* canonical;  // "" when invalid
  } cases[] = {
      {"a", "a"},     {"/a", "a"},   {"/a/b", "/a/b"}, {"a.b-c_d", "a.b-c_d"},
      {"a/b", ""},    {"/a//b", ""}, {"/a/", ""},      {"aws", ""},
      {"/SSM/x", ""}, {"a b", ""},   {"", ""},         {"/", ""},
  };
  for (const Case& c : cases) {
    Result<std::string> got = CanonicalName(ctx, c.name);
    if (*c.canonical) {
      EXPECT_TRUE(got.ok() && *got == c.canonical) << c.name;
    } else {
      EXPECT_FALSE(got.ok()) << c.name << " → " << (got.ok() ? *got : "");
    }
  }
  EXPECT_EQ(*CanonicalName(ctx, arn + "/a"), "a");
  EXPECT_EQ(*CanonicalName(ctx, arn + "/a/b"), "/a/b");
  EXPECT_FALSE(
      CanonicalName(ctx, "arn:aws:ssm:eu-west-1:" + std::string(kAccount) + ":parameter/a").ok());
  EXPECT_EQ(ParameterArn(ctx, "a"), arn + "/a");
  EXPECT_EQ(ParameterArn(ctx, "/a/b"), arn + "/a/b");
}

TEST_F(SsmTest, ASecureStringUsesItsKeyForTheCallerWithTheParameterArn) {
  Must(&PutParameter, {{"Name", "/s"}, {"Value", "hunter2"}, {"Type", "SecureString"}});
  ASSERT_EQ(authorizer_.uses.size(), 1u);
  EXPECT_EQ(authorizer_.uses[0].action, "kms:Encrypt");
  bool via = false, context = false;
  for (const auto& [k, v] : authorizer_.uses[0].keys) {
    via = via || (k == "kms:ViaService" && v == "ssm.us-east-1.amazonaws.com");
    context = context || (k == "kms:EncryptionContext:PARAMETER_ARN" &&
                          v == "arn:aws:ssm:us-east-1:" + std::string(kAccount) + ":parameter/s");
  }
  EXPECT_TRUE(via);
  EXPECT_TRUE(context);
  Json plain = Must(&GetParameter, {{"Name", "s"}, {"WithDecryption", true}});
  EXPECT_EQ(plain["Parameter"]["Value"], "hunter2");
  EXPECT_EQ(authorizer_.uses.back().action, "kms:Decrypt");
  // Without decryption nothing is asked of KMS.
  const size_t asked = authorizer_.uses.size();
  Json sealed = Must(&GetParameter, {{"Name", "s"}});
  EXPECT_NE(sealed["Parameter"]["Value"], "hunter2");
  EXPECT_EQ(authorizer_.uses.size(), asked);
  authorizer_.deny = true;
  Result<Json> denied = Run(&GetParameter, {{"Name", "s"}, {"WithDecryption", true}});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().kind(), ErrorKind::kAccessDenied);
  EXPECT_EQ(
      Run(&PutParameter, {{"Name", "/s"}, {"Value", "x"}, {"Overwrite", true}}).status().kind(),
      ErrorKind::kAccessDenied);
  authorizer_.deny = false;
  EXPECT_EQ(Must(&GetParameter, {{"Name", "s"}})["Parameter"]["Version"], 1);
}

TEST_F(SsmTest, SelectorsNameVersionsAndLabels) {
  Must(&PutParameter, {{"Name", "/p/x"}, {"Value", "one"}, {"Type", "String"}});
  Must(&PutParameter, {{"Name", "/p/x"}, {"Value", "two"}, {"Overwrite", true}});
  Must(&LabelParameterVersion, {{"Name", "/p/x"}, {"ParameterVersion", 1}, {"Labels", {"old"}}});
  EXPECT_EQ(Must(&GetParameter, {{"Name", "/p/x:1"}})["Parameter"]["Value"], "one");
  EXPECT_EQ(Must(&GetParameter, {{"Name", "/p/x:old"}})["Parameter"]["Selector"], ":old");
  EXPECT_EQ(Must(&GetParameter, {{"Name", "/p/x"}})["Parameter"]["Value"], "two");
  EXPECT_TRUE(IsError(Run(&GetParameter, {{"Name", "/p/x:3"}}), "ParameterVersionNotFound"));
  EXPECT_TRUE(IsError(Run(&GetParameter, {{"Name", "/p/x:new"}}), "ParameterNotFound"));
}

TEST_F(SsmTest, TheExpirationPolicyDeletesTheParameterWhenItComes) {
  const char* policies =
      R"([{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2024-01-03T00:00:00Z"}}])";
  Must(&PutParameter, {{"Name", "/e"},
                       {"Value", "v"},
                       {"Type", "String"},
                       {"Tier", "Advanced"},
                       {"Policies", policies}});
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_TRUE(Run(&GetParameter, {{"Name", "/e"}}).ok());  // not yet (kNow is Jan 2)
  set_now(kNow + 86400);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_TRUE(IsError(Run(&GetParameter, {{"Name", "/e"}}), "ParameterNotFound"));
  auto rest = store().Scan("ssm/");
  ASSERT_TRUE(rest.ok());
  for (const auto& row : rest.value()) ADD_FAILURE() << "left behind: " << row.key;
  // An overwrite without the policy cancels it.
  set_now(kNow);
  Must(&PutParameter, {{"Name", "/f"},
                       {"Value", "v"},
                       {"Type", "String"},
                       {"Tier", "Advanced"},
                       {"Policies", policies}});
  Must(&PutParameter, {{"Name", "/f"}, {"Value", "w"}, {"Overwrite", true}, {"Policies", "[]"}});
  set_now(kNow + 86400);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_EQ(Must(&GetParameter, {{"Name", "/f"}})["Parameter"]["Value"], "w");
}

TEST_F(SsmTest, FiltersMatchAsDocumented) {
  Json p = {{"Name", "/a/b/c"},
            {"Type", "String"},
            {"Tier", "Standard"},
            {"Labels", Json::parse(R"({"live":1})")},
            {"Tags", Json::parse(R"([{"Key":"env","Value":"prod"}])")}};
  auto match = [&](const char* filters) {
    return MatchesParameterFilters(p, Json::parse(filters));
  };
  EXPECT_TRUE(match(R"([{"Key":"Path","Values":["/a/b"]}])"));
  EXPECT_FALSE(match(R"([{"Key":"Path","Values":["/a"]}])"));
  EXPECT_TRUE(match(R"([{"Key":"Path","Option":"Recursive","Values":["/a"]}])"));
  EXPECT_TRUE(match(R"([{"Key":"Name","Values":["a/b/c"]}])"));
  EXPECT_TRUE(match(R"([{"Key":"Name","Option":"BeginsWith","Values":["/a/b"]}])"));
  EXPECT_TRUE(match(R"([{"Key":"Name","Option":"Contains","Values":["b/c"]}])"));
  EXPECT_FALSE(match(R"([{"Key":"Type","Values":["SecureString"]}])"));
  EXPECT_TRUE(match(R"([{"Key":"Label","Values":["live"]}])"));
  EXPECT_TRUE(match(R"([{"Key":"tag:env","Values":["prod","dev"]}])"));
  EXPECT_TRUE(match(R"([{"Key":"tag:env"}])"));
  EXPECT_FALSE(match(R"([{"Key":"tag:team"}])"));
  EXPECT_FALSE(
      match(R"([{"Key":"Type","Values":["String"]},{"Key":"Tier","Values":["Advanced"]}])"));
  EXPECT_FALSE(
      CheckParameterFilters(Json::parse(R"([{"Key":"Label","Values":["x"]}])"), false).ok());
  EXPECT_TRUE(CheckParameterFilters(Json::parse(R"([{"Key":"Label","Values":["x"]}])"), true).ok());
  EXPECT_FALSE(CheckParameterFilters(Json::parse(R"([{"Key":"Path","Values":["/"]}])"), true).ok());
  EXPECT_FALSE(
      CheckParameterFilters(
          Json::parse(R"([{"Key":"Type","Values":["String"]},{"Key":"Type","Values":["String"]}])"),
          false)
          .ok());
  // Filters not of the model's shape are refused, not thrown on (found by fuzzing).
  for (const char* bad : {R"([{"Key":["v"]}])", R"([7])", R"([{"Values":["x"]}])",
                          R"([{"Key":"Type","Option":1,"Values":["String"]}])",
                          R"([{"Key":"Type","Values":"String"}])"}) {
    for (bool by_path : {false, true}) {
      Status st = CheckParameterFilters(Json::parse(bad), by_path);
      EXPECT_EQ(st.kind(), ErrorKind::kValidation) << bad;
    }
  }
}

}  // namespace
}  // namespace bulwark::ssm
