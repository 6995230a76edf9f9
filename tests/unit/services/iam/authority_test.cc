// The policies the authority finds for federated users (STS GetFederationToken): the
// permissions of the user or root behind the session, narrowed by its session policies,
// and none without a session policy or once the user is gone.
#include "services/iam/authority.h"

#include "policy/context.h"
#include "policy/evaluator.h"
#include "services/iam/fixture.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

using testutil::kAccount;

constexpr std::string_view kUserPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*","iam:GetUser"],"Resource":"*"}]})";
constexpr std::string_view kSessionPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:ListKeys","s3:*"],"Resource":"*"}]})";

class FederatedAuthorityTest : public testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    Ok(CreateUser, {{"UserName", "bob"}});
    RequestContext ctx = MakeContext();
    ASSERT_TRUE(
        PutEntityPolicy(ctx,
                        {{"UserName", "bob"}, {"PolicyName", "p"}, {"PolicyDocument", kUserPolicy}},
                        kUserRef)
            .ok());
  }

  Principal Federated(std::string by, std::string session_policy,
                      std::string access_key_id = "ASIAFEDERATED0000001") {
    Principal p;
    p.type = Principal::Type::kFederatedUser;
    p.account_id = std::string(kAccount);
    p.arn = "arn:aws:sts::" + std::string(kAccount) + ":federated-user/fed";
    p.user_id = std::string(kAccount) + ":fed";
    p.access_key_id = std::move(access_key_id);
    p.session.issued = testutil::kNow;
    p.session.expires = testutil::kNow + 3600;
    p.session.federated_by = std::move(by);
    p.session.policy = std::move(session_policy);
    p.session.tags = {{"team", "red"}};
    return p;
  }

  // Whether `principal` may perform `action` on "*".
  bool Allowed(const Principal& principal, std::string action) {
    Result<std::shared_ptr<const PrincipalPolicies>> policies = authority_.PoliciesOf(principal);
    EXPECT_TRUE(policies.ok()) << policies.status().message();
    if (!policies.ok()) return false;
    policy::PolicySet set;
    for (const policy::Policy& p : (*policies)->identity) set.identity.push_back(&p);
    for (const policy::Policy& p : (*policies)->boundary) set.permissions_boundaries.push_back(&p);
    for (const policy::Policy& p : (*policies)->session) set.session.push_back(&p);
    policy::RequestContext request;
    request.SetPrincipal(principal.arn);
    request.action = std::move(action);
    request.resource = "*";
    request.resource_account = principal.account_id;
    return policy::Evaluate(set, request) == policy::Decision::kAllow;
  }

  std::string UserArn() { return "arn:aws:iam::" + std::string(kAccount) + ":user/bob"; }

  Authority authority_{&env()};
};

TEST_F(FederatedAuthorityTest, UserPermissionsNarrowedBySessionPolicy) {
  Principal fed = Federated(UserArn(), std::string(kSessionPolicy));
  EXPECT_TRUE(Allowed(fed, "kms:ListKeys"));   // both allow
  EXPECT_FALSE(Allowed(fed, "kms:Encrypt"));   // the user only
  EXPECT_FALSE(Allowed(fed, "iam:GetUser"));   // the user only
  EXPECT_FALSE(Allowed(fed, "s3:GetObject"));  // the session policy only
  auto policies = authority_.PoliciesOf(fed);
  ASSERT_TRUE(policies.ok());
  ASSERT_EQ((*policies)->tags.size(), 1u);
  EXPECT_EQ((*policies)->tags[0], (std::pair<std::string, std::string>{"team", "red"}));
}

TEST_F(FederatedAuthorityTest, WithoutSessionPolicyNothingIsAllowed) {
  Principal fed = Federated(UserArn(), "");
  EXPECT_FALSE(Allowed(fed, "kms:ListKeys"));
  EXPECT_FALSE(Allowed(fed, "iam:GetUser"));
}

TEST_F(FederatedAuthorityTest, RootFederationHasTheSessionPolicy) {
  Principal fed =
      Federated("arn:aws:iam::" + std::string(kAccount) + ":root", std::string(kSessionPolicy));
  EXPECT_TRUE(Allowed(fed, "kms:ListKeys"));
  EXPECT_TRUE(Allowed(fed, "s3:GetObject"));
  EXPECT_FALSE(Allowed(fed, "kms:Encrypt"));
  // Root of another account is not root here.
  Principal foreign = Federated("arn:aws:iam::210987654321:root", std::string(kSessionPolicy),
                                "ASIAFEDERATED0000002");
  EXPECT_FALSE(Allowed(foreign, "kms:ListKeys"));
}

TEST_F(FederatedAuthorityTest, DeletedOrReplacedUserEndsThePermissions) {
  Principal fed = Federated(UserArn(), std::string(kSessionPolicy));
  ASSERT_TRUE(Allowed(fed, "kms:ListKeys"));
  RequestContext ctx = MakeContext();
  ASSERT_TRUE(DeleteEntityPolicy(ctx, {{"UserName", "bob"}, {"PolicyName", "p"}}, kUserRef).ok());
  Ok(DeleteUser, {{"UserName", "bob"}});
  EXPECT_FALSE(Allowed(fed, "kms:ListKeys"));
  // A new user under another path is not the one the session was made by.
  Ok(CreateUser, {{"UserName", "bob"}, {"Path", "/other/"}});
  ASSERT_TRUE(PutEntityPolicy(
                  ctx, {{"UserName", "bob"}, {"PolicyName", "p"}, {"PolicyDocument", kUserPolicy}},
                  kUserRef)
                  .ok());
  EXPECT_FALSE(Allowed(fed, "kms:ListKeys"));
}

}  // namespace
}  // namespace bulwark::iam
