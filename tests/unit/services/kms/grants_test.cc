// KMS grants through their handlers and the authorization hook: which requests a grant
// allows (its operations, its grantee — a user, a role and its sessions, an account —
// and its encryption-context constraints), what a grantee may grant on, the checks
// CreateGrant makes, name idempotency, listing, retiring and revoking.
#include <gtest/gtest.h>

#include <set>

#include "services/iam/fixture.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"
#include "services/kms/kms.h"
#include "storage/sealer.h"

namespace bulwark::kms {
namespace {

using Grant = AuthorizationRequest::Grant;
using iam::testutil::IsError;
using iam::testutil::kAccount;

const std::string kUser = "arn:aws:iam::" + std::string(kAccount) + ":user/alice";
const std::string kRole = "arn:aws:iam::" + std::string(kAccount) + ":role/app";
const std::string kRoot = "arn:aws:iam::" + std::string(kAccount) + ":root";

class KmsGrantsTest : public iam::testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    env().sealer = &sealer_;
    key_id_ = Ok(&CreateKey, Json::object())["KeyMetadata"].value("KeyId", "");
  }

  Json NewGrant(Json input) {
    if (!input.contains("KeyId")) input["KeyId"] = key_id_;
    return Ok(&CreateGrant, input, "CreateGrant");
  }

  // What the hook decides of `operation` with `input` for `ctx`'s caller.
  Grant Decide(RequestContext ctx, std::string_view operation, Json input) {
    if (!input.contains("KeyId") && !input.contains("CiphertextBlob")) input["KeyId"] = key_id_;
    const OperationSpec* op = nullptr;
    for (const OperationSpec& row : Service().operations) {
      if (row.name == operation) op = &row;
    }
    EXPECT_NE(op, nullptr) << operation;
    if (!op) return Grant::kNone;
    AuthorizationRequest authz;
    Status st = CompleteAuthorization(ctx, *op, input, &authz);
    EXPECT_TRUE(st.ok()) << st.message();
    return authz.grant;
  }

  RequestContext Session(std::string_view role_arn) {
    RequestContext ctx = MakeContext();
    ctx.caller.type = Principal::Type::kAssumedRole;
    ctx.caller.arn = "arn:aws:sts::" + std::string(kAccount) + ":assumed-role/app/s1";
    ctx.caller.session.role_arn = std::string(role_arn);
    return ctx;
  }

  storage::Sealer sealer_{SecretBytes::FromView(std::string(32, 'r'))};
  std::string key_id_;
};

TEST_F(KmsGrantsTest, AGrantAllowsItsGranteeItsOperations) {
  RequestContext alice = MakeUserContext("alice");
  RequestContext bob = MakeUserContext("bob");
  EXPECT_EQ(Decide(alice, "Encrypt", Json::object()), Grant::kNone);
  NewGrant({{"GranteePrincipal", kUser}, {"Operations", {"Encrypt", "DescribeKey"}}});
  EXPECT_EQ(Decide(alice, "Encrypt", Json::object()), Grant::kPrincipal);
  EXPECT_EQ(Decide(alice, "DescribeKey", Json::object()), Grant::kPrincipal);
  EXPECT_EQ(Decide(alice, "GenerateDataKey", Json::object()), Grant::kNone);
  EXPECT_EQ(Decide(bob, "Encrypt", Json::object()), Grant::kNone);

  // A grant to a role serves its sessions; a grant to the account defers to its policies.
  NewGrant({{"GranteePrincipal", kRole}, {"Operations", {"Decrypt"}}});
  EXPECT_EQ(Decide(Session(kRole), "Decrypt", {{"KeyId", key_id_}}), Grant::kPrincipal);
  EXPECT_EQ(Decide(Session(kRole + "-other"), "Decrypt", {{"KeyId", key_id_}}), Grant::kNone);
  NewGrant({{"GranteePrincipal", kRoot}, {"Operations", {"GenerateDataKey"}}});
  EXPECT_EQ(Decide(bob, "GenerateDataKey", Json::object()), Grant::kAccount);
}

TEST_F(KmsGrantsTest, ConstraintsBindTheEncryptionContext) {
  RequestContext alice = MakeUserContext("alice");
  NewGrant({{"GranteePrincipal", kUser},
            {"Operations", {"Encrypt", "DescribeKey"}},
            {"Constraints", {{"EncryptionContextSubset", {{"Dept", "IT"}}}}}});
  struct Case {
    Json context;
    Grant expected;
  };
  const Case subset[] = {
      {Json::object(), Grant::kNone},
      {{{"Dept", "IT"}}, Grant::kPrincipal},
      {{{"dept", "IT"}}, Grant::kPrincipal},  // keys without regard to case
      {{{"Dept", "it"}}, Grant::kNone},       // values exactly
      {{{"Dept", "IT"}, {"Other", "x"}}, Grant::kPrincipal},
      {{{"Other", "x"}}, Grant::kNone},
  };
  for (const Case& c : subset) {
    EXPECT_EQ(Decide(alice, "Encrypt", {{"EncryptionContext", c.context}}), c.expected)
        << c.context.dump();
  }
  // DescribeKey has no encryption context: the constraint does not apply.
  EXPECT_EQ(Decide(alice, "DescribeKey", Json::object()), Grant::kPrincipal);

  RequestContext bob = MakeUserContext("bob");
  NewGrant({{"GranteePrincipal", "arn:aws:iam::" + std::string(kAccount) + ":user/bob"},
            {"Operations", {"Decrypt"}},
            {"Constraints", {{"EncryptionContextEquals", {{"Dept", "IT"}, {"Team", "a"}}}}}});
  const Case equals[] = {
      {{{"Dept", "IT"}, {"Team", "a"}}, Grant::kPrincipal},
      {{{"Team", "a"}, {"dept", "IT"}}, Grant::kPrincipal},
      {{{"Dept", "IT"}}, Grant::kNone},
      {{{"Dept", "IT"}, {"Team", "a"}, {"More", "b"}}, Grant::kNone},
  };
  for (const Case& c : equals) {
    EXPECT_EQ(Decide(bob, "Decrypt", {{"KeyId", key_id_}, {"EncryptionContext", c.context}}),
              c.expected)
        << c.context.dump();
  }
}

TEST_F(KmsGrantsTest, AGranteeGrantsNoMoreThanItHas) {
  RequestContext alice = MakeUserContext("alice");
  NewGrant({{"GranteePrincipal", kUser},
            {"Operations", {"Encrypt", "Decrypt", "CreateGrant"}},
            {"Constraints", {{"EncryptionContextSubset", {{"a", "1"}}}}}});
  auto sub = [&](Json ops, Json constraints) {
    Json input = {{"GranteePrincipal", kRole}, {"Operations", std::move(ops)}};
    if (!constraints.is_null()) input["Constraints"] = std::move(constraints);
    return Decide(alice, "CreateGrant", input);
  };
  const Json same = {{"EncryptionContextSubset", {{"a", "1"}}}};
  EXPECT_EQ(sub({"Encrypt"}, same), Grant::kPrincipal);
  EXPECT_EQ(sub({"Encrypt"}, {{"EncryptionContextSubset", {{"a", "1"}, {"b", "2"}}}}),
            Grant::kPrincipal);
  EXPECT_EQ(sub({"Decrypt"}, {{"EncryptionContextEquals", {{"a", "1"}}}}), Grant::kPrincipal);
  EXPECT_EQ(sub({"Encrypt", "GenerateDataKey"}, same), Grant::kNone);  // wider operations
  EXPECT_EQ(sub({"Encrypt"}, Json()), Grant::kNone);                   // no constraint
  EXPECT_EQ(sub({"Encrypt"}, {{"EncryptionContextSubset", {{"b", "2"}}}}), Grant::kNone);
}

TEST_F(KmsGrantsTest, CreateGrantChecksWhatItIsGiven) {
  Result<Json> only_create =
      Call(&CreateGrant,
           {{"KeyId", key_id_}, {"GranteePrincipal", kUser}, {"Operations", {"CreateGrant"}}});
  ASSERT_FALSE(only_create.ok());
  EXPECT_EQ(only_create.status().kind(), ErrorKind::kValidation);
  EXPECT_EQ(only_create.status().message(),
            "Grants must not contain only the CreateGrant operation.");
  // Operations must fit the key: no Sign on a symmetric key, no data keys on an RSA key.
  Result<Json> sign = Call(
      &CreateGrant, {{"KeyId", key_id_}, {"GranteePrincipal", kUser}, {"Operations", {"Sign"}}});
  ASSERT_FALSE(sign.ok());
  EXPECT_EQ(sign.status().kind(), ErrorKind::kValidation);
  const std::string rsa =
      Ok(&CreateKey, {{"KeySpec", "RSA_2048"}, {"KeyUsage", "SIGN_VERIFY"}})["KeyMetadata"].value(
          "KeyId", "");
  Result<Json> data_key =
      Call(&CreateGrant,
           {{"KeyId", rsa}, {"GranteePrincipal", kUser}, {"Operations", {"GenerateDataKey"}}});
  EXPECT_FALSE(data_key.ok());
  // Constraints only on symmetric keys, one kind at a time.
  Result<Json> constrained =
      Call(&CreateGrant, {{"KeyId", rsa},
                          {"GranteePrincipal", kUser},
                          {"Operations", {"Sign"}},
                          {"Constraints", {{"EncryptionContextSubset", {{"a", "b"}}}}}});
  EXPECT_FALSE(constrained.ok());
  Result<Json> both = Call(
      &CreateGrant,
      {{"KeyId", key_id_},
       {"GranteePrincipal", kUser},
       {"Operations", {"Encrypt"}},
       {"Constraints",
        {{"EncryptionContextSubset", {{"a", "b"}}}, {"EncryptionContextEquals", {{"a", "b"}}}}}});
  EXPECT_FALSE(both.ok());
  // Not through an alias.
  Ok(&CreateAlias, {{"AliasName", "alias/g"}, {"TargetKeyId", key_id_}});
  EXPECT_TRUE(IsError(
      Call(&CreateGrant,
           {{"KeyId", "alias/g"}, {"GranteePrincipal", kUser}, {"Operations", {"Encrypt"}}}),
      "NotFoundException"));
  // DryRun checks, and makes nothing.
  EXPECT_TRUE(IsError(Call(&CreateGrant, {{"KeyId", key_id_},
                                          {"GranteePrincipal", kUser},
                                          {"Operations", {"Encrypt"}},
                                          {"DryRun", true}}),
                      "DryRunOperationException",
                      "The request would have succeeded, but the DryRun option is set."));
  EXPECT_TRUE(Ok(&ListGrants, {{"KeyId", key_id_}})["Grants"].empty());
}

TEST_F(KmsGrantsTest, ANameMakesCreateGrantIdempotent) {
  const Json input = {
      {"GranteePrincipal", kUser}, {"Operations", {"Encrypt", "Decrypt"}}, {"Name", "app-grant"}};
  Json first = NewGrant(input);
  Json again = NewGrant(
      {{"GranteePrincipal", kUser}, {"Operations", {"Decrypt", "Encrypt"}}, {"Name", "app-grant"}});
  EXPECT_EQ(again["GrantId"], first["GrantId"]);
  EXPECT_NE(again["GrantToken"], first["GrantToken"]);
  EXPECT_EQ(Ok(&ListGrants, {{"KeyId", key_id_}})["Grants"].size(), 1u);
  // Other parameters under the same name: another grant.
  Json other =
      NewGrant({{"GranteePrincipal", kUser}, {"Operations", {"Encrypt"}}, {"Name", "app-grant"}});
  EXPECT_NE(other["GrantId"], first["GrantId"]);
  EXPECT_EQ(first["GrantId"].get<std::string>().size(), 64u);
}

TEST_F(KmsGrantsTest, ListingFiltersAndPages) {
  std::set<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    const std::string grantee = i % 2 ? kRole : kUser;
    ids.insert(NewGrant({{"GranteePrincipal", grantee},
                         {"Operations", {"Encrypt"}},
                         {"RetiringPrincipal", kRole}})["GrantId"]
                   .get<std::string>());
  }
  std::set<std::string> listed;
  Json input = {{"KeyId", key_id_}, {"Limit", 3}};
  for (int pages = 0; pages < 10; ++pages) {
    Json page = Ok(&ListGrants, input);
    EXPECT_LE(page["Grants"].size(), 3u);
    for (const Json& g : page["Grants"]) {
      listed.insert(g["GrantId"].get<std::string>());
      EXPECT_EQ(g["KeyId"], "arn:aws:kms:us-east-1:" + std::string(kAccount) + ":key/" + key_id_);
      EXPECT_EQ(g["IssuingAccount"], kRoot);
    }
    if (!page["Truncated"].get<bool>()) break;
    input["Marker"] = page["NextMarker"];
  }
  EXPECT_EQ(listed, ids);
  EXPECT_EQ(Ok(&ListGrants, {{"KeyId", key_id_}, {"GranteePrincipal", kRole}})["Grants"].size(),
            3u);
  EXPECT_EQ(Ok(&ListGrants, {{"KeyId", key_id_}, {"GrantId", *ids.begin()}})["Grants"].size(), 1u);
  EXPECT_EQ(Ok(&ListRetirableGrants, {{"RetiringPrincipal", kRole}})["Grants"].size(), 7u);
  EXPECT_TRUE(Ok(&ListRetirableGrants, {{"RetiringPrincipal", kUser}})["Grants"].empty());
  EXPECT_TRUE(IsError(Call(&ListGrants, {{"KeyId", key_id_}, {"Marker", "%%%"}}),
                      "InvalidMarkerException"));
}

TEST_F(KmsGrantsTest, RetireByTokenOrIdAndRevoke) {
  RequestContext role = Session(kRole);
  Json g1 = NewGrant(
      {{"GranteePrincipal", kUser}, {"Operations", {"Encrypt"}}, {"RetiringPrincipal", kRole}});
  // The retiring principal may retire it whatever its policies; alice may not.
  EXPECT_EQ(Decide(role, "RetireGrant", {{"GrantToken", g1["GrantToken"]}}), Grant::kPrincipal);
  EXPECT_EQ(Decide(MakeUserContext("alice"), "RetireGrant", {{"GrantToken", g1["GrantToken"]}}),
            Grant::kNone);
  Ok(&RetireGrant, {{"GrantToken", g1["GrantToken"]}});
  EXPECT_TRUE(Ok(&ListGrants, {{"KeyId", key_id_}})["Grants"].empty());
  EXPECT_TRUE(IsError(Call(&RetireGrant, {{"GrantToken", g1["GrantToken"]}}), "NotFoundException"));

  // A grantee whose grant includes RetireGrant may retire it.
  Json g2 = NewGrant({{"GranteePrincipal", kUser}, {"Operations", {"Encrypt", "RetireGrant"}}});
  EXPECT_EQ(Decide(MakeUserContext("alice"), "RetireGrant",
                   {{"KeyId", key_id_}, {"GrantId", g2["GrantId"]}}),
            Grant::kPrincipal);
  Ok(&RetireGrant, {{"KeyId", key_id_}, {"GrantId", g2["GrantId"]}});

  Json g3 = NewGrant({{"GranteePrincipal", kUser}, {"Operations", {"Decrypt"}}});
  Ok(&RevokeGrant, {{"KeyId", key_id_}, {"GrantId", g3["GrantId"]}});
  EXPECT_EQ(Decide(MakeUserContext("alice"), "Decrypt", {{"KeyId", key_id_}}), Grant::kNone);
  EXPECT_TRUE(IsError(Call(&RevokeGrant, {{"KeyId", key_id_}, {"GrantId", g3["GrantId"]}}),
                      "NotFoundException"));

  // Tokens are ours or refused, wherever they appear.
  EXPECT_TRUE(IsError(Call(&RetireGrant, {{"GrantToken", "bm90IGEgdG9rZW4"}}),
                      "InvalidGrantTokenException"));
  AuthorizationRequest authz;
  RequestContext ctx = MakeContext();
  const OperationSpec* encrypt = nullptr;
  for (const OperationSpec& row : Service().operations) {
    if (row.name == "Encrypt") encrypt = &row;
  }
  ASSERT_NE(encrypt, nullptr);
  Status st = CompleteAuthorization(ctx, *encrypt,
                                    {{"KeyId", key_id_}, {"GrantTokens", {"forged"}}}, &authz);
  EXPECT_EQ(st.code(), "InvalidGrantTokenException");
  st = CompleteAuthorization(ctx, *encrypt,
                             {{"KeyId", key_id_}, {"GrantTokens", {g3["GrantToken"]}}}, &authz);
  EXPECT_TRUE(st.ok()) << st.message();
}

}  // namespace
}  // namespace bulwark::kms
