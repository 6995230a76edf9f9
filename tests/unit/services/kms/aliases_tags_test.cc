// KMS aliases and tags, through their handlers: alias names and their rules, the 50
// aliases of a key, aliases followed by every KeyId, moved, listed page by page and
// destroyed with their key; tags merged, limited, listed page by page; and what the
// authorization hook adds for them.
#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/crypto.h"
#include "services/iam/fixture.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"
#include "services/kms/kms.h"
#include "storage/sealer.h"

namespace bulwark::kms {
namespace {

using iam::testutil::IsError;
using iam::testutil::kAccount;
using iam::testutil::kNow;

constexpr int64_t kDay = 86400;

class KmsAliasesTagsTest : public iam::testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    env().sealer = &sealer_;
  }

  std::string NewKey(const Json& input = Json::object()) {
    return Ok(&CreateKey, input, "CreateKey")["KeyMetadata"].value("KeyId", "");
  }

  std::string KeyArnOf(std::string_view key_id) {
    return "arn:aws:kms:us-east-1:" + std::string(kAccount) + ":key/" + std::string(key_id);
  }

  std::string AliasArnOf(std::string_view name) {
    return "arn:aws:kms:us-east-1:" + std::string(kAccount) + ":" + std::string(name);
  }

  // The key id a KeyId resolves to ("" when it names nothing).
  std::string Resolve(std::string_view key_id) {
    RequestContext ctx = MakeContext();
    auto txn = store().BeginReadOnly();
    EXPECT_TRUE(txn.ok());
    Result<std::optional<KeyRef>> ref = ResolveKeyId(**txn, ctx, key_id);
    EXPECT_TRUE(ref.ok());
    return ref.ok() && *ref ? (*ref)->record_id : std::string();
  }

  // Every alias name ListAliases returns, following its markers with `limit`.
  std::vector<std::string> AllAliases(Json input, size_t limit, size_t* pages = nullptr) {
    std::vector<std::string> names;
    input["Limit"] = limit;
    size_t count = 0;
    for (;;) {
      Json page = Ok(&ListAliases, input, "ListAliases");
      ++count;
      EXPECT_LE(page["Aliases"].size(), limit);
      for (const Json& a : page["Aliases"]) names.push_back(a.value("AliasName", ""));
      if (!page.value("Truncated", false)) break;
      input["Marker"] = page["NextMarker"];
      if (count > 100) break;
    }
    if (pages) *pages = count;
    return names;
  }

  static bool IsValidation(const Result<Json>& r, std::string_view message = {}) {
    return !r.ok() && r.status().kind() == ErrorKind::kValidation &&
           (message.empty() || r.status().message() == message);
  }

  storage::Sealer sealer_{SecretBytes::FromView(std::string(32, 'r'))};
};

TEST_F(KmsAliasesTagsTest, AnAliasNamesItsKeyEverywhere) {
  const std::string key_id = NewKey();
  Ok(&CreateAlias, {{"AliasName", "alias/app/db"}, {"TargetKeyId", key_id}});
  EXPECT_EQ(Resolve("alias/app/db"), key_id);
  EXPECT_EQ(Resolve(AliasArnOf("alias/app/db")), key_id);
  EXPECT_EQ(Ok(&DescribeKey, {{"KeyId", "alias/app/db"}})["KeyMetadata"]["KeyId"], key_id);
  Json blob = Ok(&Encrypt, {{"KeyId", AliasArnOf("alias/app/db")},
                            {"Plaintext", BinaryOf("hello")}})["CiphertextBlob"];
  Json back = Ok(&Decrypt, {{"CiphertextBlob", blob}, {"KeyId", "alias/app/db"}});
  EXPECT_EQ(BlobOf(back, "Plaintext"), "hello");

  Json listed = Ok(&ListAliases, Json::object());
  ASSERT_EQ(listed["Aliases"].size(), 1u);
  const Json& entry = listed["Aliases"][0];
  EXPECT_EQ(entry["AliasName"], "alias/app/db");
  EXPECT_EQ(entry["AliasArn"], AliasArnOf("alias/app/db"));
  EXPECT_EQ(entry["TargetKeyId"], key_id);
  EXPECT_EQ(entry["CreationDate"], kNow);
  EXPECT_EQ(entry["LastUpdatedDate"], kNow);
  EXPECT_EQ(listed["Truncated"], false);
  EXPECT_FALSE(listed.contains("NextMarker"));
}

TEST_F(KmsAliasesTagsTest, AliasNamesFollowAwsRules) {
  const std::string key_id = NewKey();
  auto create = [&](std::string name) {
    return Call(&CreateAlias, {{"AliasName", std::move(name)}, {"TargetKeyId", key_id}});
  };
  EXPECT_TRUE(IsValidation(create("app"),
                           "Alias must start with the prefix \"alias/\". Please see "
                           "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"));
  EXPECT_TRUE(
      IsValidation(create("alias/a:b"), "alias/a:b contains invalid characters for an alias"));
  EXPECT_TRUE(IsError(create("alias/"), "InvalidAliasNameException"));
  EXPECT_TRUE(IsError(create("alias/aws/s3"), "NotAuthorizedException"));
  // "aws" alone is no reserved prefix.
  Ok(&CreateAlias, {{"AliasName", "alias/aws"}, {"TargetKeyId", key_id}});
  Ok(&CreateAlias, {{"AliasName", "alias/awsome"}, {"TargetKeyId", key_id}});
  EXPECT_TRUE(IsError(create("alias/aws"), "AlreadyExistsException",
                      "An alias with the name " + AliasArnOf("alias/aws") + " already exists"));
  EXPECT_TRUE(IsError(Call(&UpdateAlias, {{"AliasName", "alias/aws/s3"}, {"TargetKeyId", key_id}}),
                      "NotAuthorizedException"));
  EXPECT_TRUE(IsValidation(Call(&DeleteAlias, {{"AliasName", AliasArnOf("alias/aws")}})));
}

TEST_F(KmsAliasesTagsTest, TargetsMustBeUsableKeysOfTheAccount) {
  const std::string key_id = NewKey();
  Ok(&CreateAlias, {{"AliasName", "alias/first"}, {"TargetKeyId", KeyArnOf(key_id)}});
  EXPECT_EQ(Resolve("alias/first"), key_id);  // stored as the key id, not the ARN
  EXPECT_TRUE(IsValidation(
      Call(&CreateAlias, {{"AliasName", "alias/second"}, {"TargetKeyId", "alias/first"}}),
      "Aliases must refer to keys. Not aliases"));
  const std::string missing = "00000000-0000-4000-8000-000000000000";
  EXPECT_TRUE(IsError(Call(&CreateAlias, {{"AliasName", "alias/second"}, {"TargetKeyId", missing}}),
                      "NotFoundException", "Key '" + KeyArnOf(missing) + "' does not exist"));
  // Another Region's key, named by its ARN.
  const std::string west = "arn:aws:kms:us-west-2:" + std::string(kAccount) + ":key/" + key_id;
  EXPECT_TRUE(IsError(Call(&CreateAlias, {{"AliasName", "alias/second"}, {"TargetKeyId", west}}),
                      "NotFoundException"));
  // A disabled key takes aliases; a key pending deletion does not.
  Ok(&DisableKey, {{"KeyId", key_id}});
  Ok(&CreateAlias, {{"AliasName", "alias/disabled"}, {"TargetKeyId", key_id}});
  Ok(&ScheduleKeyDeletion, {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  EXPECT_TRUE(IsError(Call(&CreateAlias, {{"AliasName", "alias/late"}, {"TargetKeyId", key_id}}),
                      "KMSInvalidStateException", KeyArnOf(key_id) + " is pending deletion."));
  // Its aliases still name it, and can be deleted.
  EXPECT_EQ(Resolve("alias/disabled"), key_id);
  Ok(&DeleteAlias, {{"AliasName", "alias/disabled"}});
}

TEST_F(KmsAliasesTagsTest, FiftyAliasesPerKey) {
  const std::string key_id = NewKey();
  for (int i = 0; i < 50; ++i) {
    Ok(&CreateAlias, {{"AliasName", "alias/a" + std::to_string(i)}, {"TargetKeyId", key_id}});
  }
  EXPECT_TRUE(IsError(Call(&CreateAlias, {{"AliasName", "alias/more"}, {"TargetKeyId", key_id}}),
                      "LimitExceededException"));
  // Moving one of another key's aliases onto it is refused too.
  const std::string other = NewKey();
  Ok(&CreateAlias, {{"AliasName", "alias/other"}, {"TargetKeyId", other}});
  EXPECT_TRUE(IsError(Call(&UpdateAlias, {{"AliasName", "alias/other"}, {"TargetKeyId", key_id}}),
                      "LimitExceededException"));
  Ok(&DeleteAlias, {{"AliasName", "alias/a7"}});
  Ok(&UpdateAlias, {{"AliasName", "alias/other"}, {"TargetKeyId", key_id}});
}

TEST_F(KmsAliasesTagsTest, UpdateMovesAnAlias) {
  const std::string a = NewKey();
  const std::string b = NewKey();
  Ok(&CreateAlias, {{"AliasName", "alias/current"}, {"TargetKeyId", a}});
  set_now(kNow + 60);
  Ok(&UpdateAlias, {{"AliasName", "alias/current"}, {"TargetKeyId", KeyArnOf(b)}});
  EXPECT_EQ(Resolve("alias/current"), b);
  Json entry = Ok(&ListAliases, Json::object())["Aliases"][0];
  EXPECT_EQ(entry["TargetKeyId"], b);
  EXPECT_EQ(entry["CreationDate"], kNow);
  EXPECT_EQ(entry["LastUpdatedDate"], kNow + 60);
  EXPECT_TRUE(Ok(&ListAliases, {{"KeyId", a}})["Aliases"].empty());
  EXPECT_EQ(Ok(&ListAliases, {{"KeyId", b}})["Aliases"].size(), 1u);

  EXPECT_TRUE(IsError(Call(&UpdateAlias, {{"AliasName", "alias/none"}, {"TargetKeyId", a}}),
                      "NotFoundException", "Alias " + AliasArnOf("alias/none") + " is not found."));
  // The key it leaves may be pending deletion; the key it moves to may not.
  Ok(&ScheduleKeyDeletion, {{"KeyId", b}});
  Ok(&UpdateAlias, {{"AliasName", "alias/current"}, {"TargetKeyId", a}});
  EXPECT_TRUE(IsError(Call(&UpdateAlias, {{"AliasName", "alias/current"}, {"TargetKeyId", b}}),
                      "KMSInvalidStateException"));
  EXPECT_EQ(Resolve("alias/current"), a);
}

TEST_F(KmsAliasesTagsTest, DeleteRemovesTheName) {
  const std::string key_id = NewKey();
  Ok(&CreateAlias, {{"AliasName", "alias/gone"}, {"TargetKeyId", key_id}});
  Ok(&DeleteAlias, {{"AliasName", "alias/gone"}});
  EXPECT_EQ(Resolve("alias/gone"), "");
  EXPECT_TRUE(IsError(Call(&DescribeKey, {{"KeyId", "alias/gone"}}), "NotFoundException",
                      "Alias " + AliasArnOf("alias/gone") + " is not found."));
  EXPECT_TRUE(IsError(Call(&DeleteAlias, {{"AliasName", "alias/gone"}}), "NotFoundException",
                      "Alias " + AliasArnOf("alias/gone") + " is not found."));
  EXPECT_TRUE(Ok(&ListAliases, {{"KeyId", key_id}})["Aliases"].empty());
  // The name is free again.
  Ok(&CreateAlias, {{"AliasName", "alias/gone"}, {"TargetKeyId", key_id}});
}

TEST_F(KmsAliasesTagsTest, ListAliasesPagesInNameOrder) {
  const std::string a = NewKey();
  const std::string b = NewKey();
  std::vector<std::string> of_a, all;
  for (int i = 0; i < 7; ++i) {
    const std::string name = "alias/n" + std::to_string(i);
    const bool to_a = i % 2 == 0;
    Ok(&CreateAlias, {{"AliasName", name}, {"TargetKeyId", to_a ? a : b}});
    all.push_back(name);
    if (to_a) of_a.push_back(name);
  }
  size_t pages = 0;
  EXPECT_EQ(AllAliases(Json::object(), 3, &pages), all);
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(AllAliases({{"KeyId", a}}, 1, &pages), of_a);
  EXPECT_EQ(pages, 4u);
  EXPECT_EQ(AllAliases({{"KeyId", KeyArnOf(a)}}, 100), of_a);
  // Limit above 100 returns at most 100; the default is 50.
  EXPECT_EQ(Ok(&ListAliases, {{"Limit", 1000}})["Aliases"].size(), 7u);
  EXPECT_TRUE(
      IsError(Call(&ListAliases, {{"Marker", "!!not base64!!"}}), "InvalidMarkerException"));
  EXPECT_TRUE(IsError(Call(&ListAliases, {{"KeyId", "00000000-0000-4000-8000-000000000000"}}),
                      "NotFoundException"));
}

TEST_F(KmsAliasesTagsTest, DestroyedKeysTakeTheirAliases) {
  const std::string doomed = NewKey();
  const std::string kept = NewKey();
  Ok(&CreateAlias, {{"AliasName", "alias/d1"}, {"TargetKeyId", doomed}});
  Ok(&CreateAlias, {{"AliasName", "alias/d2/nested"}, {"TargetKeyId", doomed}});
  Ok(&CreateAlias, {{"AliasName", "alias/k"}, {"TargetKeyId", kept}});
  Ok(&ScheduleKeyDeletion, {{"KeyId", doomed}, {"PendingWindowInDays", 7}});
  set_now(kNow + 7 * kDay + 1);
  NewKey();  // a write that sweeps
  EXPECT_EQ(Resolve("alias/d1"), "");
  EXPECT_EQ(Resolve("alias/d2/nested"), "");
  EXPECT_EQ(Resolve("alias/k"), kept);
  EXPECT_EQ(AllAliases(Json::object(), 10), std::vector<std::string>{"alias/k"});
  // Nothing is left of the key's alias index.
  auto txn = store().BeginReadOnly();
  ASSERT_TRUE(txn.ok());
  Result<std::vector<storage::KeyValue>> rows = (*txn)->Scan("kms/key-aliases/" + doomed + "/");
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TEST_F(KmsAliasesTagsTest, TagsMergeAndAreListedInPages) {
  const std::string key_id = NewKey({{"Tags", {{{"TagKey", "team"}, {"TagValue", "a"}}}}});
  Ok(&TagResource, {{"KeyId", key_id},
                    {"Tags",
                     {{{"TagKey", "team"}, {"TagValue", "b"}},
                      {{"TagKey", "env"}, {"TagValue", ""}},
                      {{"TagKey", "cost"}, {"TagValue", "1"}}}}});
  Json listed = Ok(&ListResourceTags, {{"KeyId", key_id}});
  EXPECT_EQ(listed["Tags"], Json::parse(R"([{"TagKey":"cost","TagValue":"1"},
      {"TagKey":"env","TagValue":""},{"TagKey":"team","TagValue":"b"}])"));
  EXPECT_EQ(listed["Truncated"], false);

  Json first = Ok(&ListResourceTags, {{"KeyId", key_id}, {"Limit", 2}});
  ASSERT_EQ(first["Tags"].size(), 2u);
  EXPECT_EQ(first["Truncated"], true);
  Json second = Ok(&ListResourceTags, {{"KeyId", key_id}, {"Marker", first["NextMarker"]}});
  ASSERT_EQ(second["Tags"].size(), 1u);
  EXPECT_EQ(second["Tags"][0]["TagKey"], "team");

  EXPECT_TRUE(IsError(Call(&UntagResource, {{"KeyId", "alias/none-yet"}, {"TagKeys", {"env"}}}),
                      "NotFoundException"));
  Ok(&CreateAlias, {{"AliasName", "alias/tagged"}, {"TargetKeyId", key_id}});
  Ok(&UntagResource, {{"KeyId", "alias/tagged"}, {"TagKeys", {"env", "never-there"}}});
  EXPECT_EQ(Ok(&ListResourceTags, {{"KeyId", key_id}})["Tags"].size(), 2u);
}

TEST_F(KmsAliasesTagsTest, TagRules) {
  const std::string key_id = NewKey();
  auto tag = [&](Json tags) { return Call(&TagResource, {{"KeyId", key_id}, {"Tags", tags}}); };
  EXPECT_TRUE(IsError(tag({{{"TagKey", "aws:owner"}, {"TagValue", "x"}}}), "TagException"));
  EXPECT_TRUE(IsError(tag({{{"TagKey", "AWS:owner"}, {"TagValue", "x"}}}), "TagException"));
  EXPECT_TRUE(
      IsError(tag({{{"TagKey", "k"}, {"TagValue", "1"}}, {{"TagKey", "k"}, {"TagValue", "2"}}}),
              "TagException"));
  EXPECT_TRUE(
      IsError(Call(&UntagResource, {{"KeyId", key_id}, {"TagKeys", {"aws:x"}}}), "TagException"));
  Json fifty = Json::array();
  for (int i = 0; i < 50; ++i) {
    fifty.push_back({{"TagKey", std::string("k").append(std::to_string(i))}, {"TagValue", "v"}});
  }
  Json fifty_one = fifty;
  fifty_one.push_back({{"TagKey", "one-more"}, {"TagValue", "v"}});
  EXPECT_TRUE(IsError(tag(fifty_one), "TagException"));
  EXPECT_TRUE(IsError(Call(&CreateKey, {{"Tags", fifty_one}}), "TagException"));
  EXPECT_TRUE(IsError(Call(&CreateKey, {{"Tags", {{{"TagKey", "aws:x"}, {"TagValue", ""}}}}}),
                      "TagException"));
  Ok(&TagResource, {{"KeyId", key_id}, {"Tags", fifty}});
  // Overwriting keeps 50; one more would be 51.
  Ok(&TagResource, {{"KeyId", key_id}, {"Tags", {{{"TagKey", "k3"}, {"TagValue", "w"}}}}});
  EXPECT_TRUE(IsError(tag({{{"TagKey", "one-more"}, {"TagValue", "v"}}}), "TagException"));
  size_t total = 0;
  Json input = {{"KeyId", key_id}};
  for (int page = 0; page < 10; ++page) {
    Json out = Ok(&ListResourceTags, input);
    total += out["Tags"].size();
    if (!out.value("Truncated", false)) break;
    input["Marker"] = out["NextMarker"];
  }
  EXPECT_EQ(total, 50u);
  // A key pending deletion keeps its tags, which can be read but not changed.
  Ok(&ScheduleKeyDeletion, {{"KeyId", key_id}});
  EXPECT_TRUE(IsError(tag({{{"TagKey", "k1"}, {"TagValue", "x"}}}), "KMSInvalidStateException"));
  EXPECT_TRUE(IsError(Call(&UntagResource, {{"KeyId", key_id}, {"TagKeys", {"k1"}}}),
                      "KMSInvalidStateException"));
  EXPECT_EQ(Ok(&ListResourceTags, {{"KeyId", key_id}, {"Limit", 50}})["Tags"].size(), 50u);
  EXPECT_TRUE(IsError(Call(&ListResourceTags, {{"KeyId", "00000000-0000-4000-8000-000000000000"}}),
                      "NotFoundException"));
}

// The authorization hook, as the pipeline calls it.
class KmsAuthorizationTest : public KmsAliasesTagsTest {
 protected:
  const OperationSpec& Op(std::string_view name) {
    for (const OperationSpec& op : Service().operations) {
      if (op.name == name) return op;
    }
    ADD_FAILURE() << "no row " << name;
    return Service().operations.front();
  }

  AuthorizationRequest Complete(std::string_view op, const Json& input) {
    AuthorizationRequest authz;
    RequestContext ctx = MakeContext();
    Status s = Service().complete_authorization(ctx, Op(op), input, &authz);
    EXPECT_TRUE(s.ok()) << s.message();
    return authz;
  }
};

TEST_F(KmsAuthorizationTest, AliasOperationsAlsoNeedTheirKeys) {
  const std::string a = NewKey();
  const std::string b = NewKey({{"Tags", {{{"TagKey", "team"}, {"TagValue", "red"}}}}});
  EXPECT_EQ(Op("CreateAlias").resource_pattern, "arn:aws:kms:{region}:{account}:{AliasName}");

  AuthorizationRequest create =
      Complete("CreateAlias", {{"AliasName", "alias/x"}, {"TargetKeyId", a}});
  ASSERT_EQ(create.other_resources.size(), 1u);
  EXPECT_EQ(create.other_resources[0].action, "kms:CreateAlias");
  EXPECT_EQ(create.other_resources[0].resource, KeyArnOf(a));
  EXPECT_EQ(create.other_resources[0].resource_account, kAccount);
  EXPECT_NE(create.other_resources[0].resource_policy, nullptr);
  EXPECT_EQ(create.resource_policy, nullptr);  // the alias itself has none

  Ok(&CreateAlias, {{"AliasName", "alias/x"}, {"TargetKeyId", a}});
  AuthorizationRequest update =
      Complete("UpdateAlias", {{"AliasName", "alias/x"}, {"TargetKeyId", KeyArnOf(b)}});
  ASSERT_EQ(update.other_resources.size(), 2u);
  EXPECT_EQ(update.other_resources[0].resource, KeyArnOf(a));  // the current key
  EXPECT_EQ(update.other_resources[1].resource, KeyArnOf(b));  // the new one
  const auto& keys = update.other_resources[1].keys;
  EXPECT_NE(std::find(keys.begin(), keys.end(),
                      std::pair<std::string, std::string>("aws:ResourceTag/team", "red")),
            keys.end());

  AuthorizationRequest del = Complete("DeleteAlias", {{"AliasName", "alias/x"}});
  ASSERT_EQ(del.other_resources.size(), 1u);
  EXPECT_EQ(del.other_resources[0].action, "kms:DeleteAlias");
  EXPECT_EQ(del.other_resources[0].resource, KeyArnOf(a));
  // Unknown alias or key: nothing more (the handler answers NotFoundException).
  EXPECT_TRUE(Complete("DeleteAlias", {{"AliasName", "alias/none"}}).other_resources.empty());
}

TEST_F(KmsAuthorizationTest, TagOperationsCarryRequestTags) {
  const std::string key_id = NewKey();
  AuthorizationRequest tag = Complete(
      "TagResource",
      {{"KeyId", key_id},
       {"Tags",
        {{{"TagKey", "Env"}, {"TagValue", "prod"}}, {{"TagKey", "team"}, {"TagValue", "a"}}}}});
  const policy::ContextValue* value = tag.context.Find("aws:requesttag/env");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->values, std::vector<std::string>{"prod"});
  const policy::ContextValue* keys = tag.context.Find("aws:tagkeys");
  ASSERT_NE(keys, nullptr);
  EXPECT_TRUE(keys->multi_valued);
  EXPECT_EQ(keys->values, (std::vector<std::string>{"Env", "team"}));
  EXPECT_EQ(tag.context.resource, KeyArnOf(key_id));
  EXPECT_NE(tag.resource_policy, nullptr);

  AuthorizationRequest untag = Complete("UntagResource", {{"KeyId", key_id}, {"TagKeys", {"Env"}}});
  ASSERT_NE(untag.context.Find("aws:tagkeys"), nullptr);
  EXPECT_EQ(untag.context.Find("aws:tagkeys")->values, std::vector<std::string>{"Env"});
  EXPECT_EQ(untag.context.Find("aws:requesttag/env"), nullptr);
}

}  // namespace
}  // namespace bulwark::kms
