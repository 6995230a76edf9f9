// Secrets Manager through its handlers: the KMS key uses each read and write asks the
// pipeline to authorize (and what a denial answers), staging labels, the version quota,
// the end of a recovery window, ListSecrets' filters and GetRandomPassword's character
// sets.
#include <gtest/gtest.h>

#include <ctime>
#include <optional>
#include <set>
#include <vector>

#include "services/iam/fixture.h"
#include "services/kms/handlers.h"
#include "services/secretsmanager/common.h"
#include "services/secretsmanager/handlers.h"
#include "services/secretsmanager/schedule.h"
#include "storage/sealer.h"

namespace bulwark::secretsmanager {
namespace {

using iam::testutil::IsError;
using iam::testutil::kAccount;

constexpr int64_t kDay = 86400;

// Allows what it is asked (unless told to deny key uses) and remembers the key uses.
class RecordingAuthorizer final : public RequestAuthorizer {
 public:
  Status AuthorizeOperation(RequestContext&, const OperationSpec& op, const Json&) override {
    operations.emplace_back(op.name);
    return Status::Ok();
  }
  Status AuthorizeUse(RequestContext&, AuthorizationRequest::OtherResource use) override {
    uses.push_back(std::move(use));
    if (deny_uses) return Status(ErrorKind::kAccessDenied, "denied");
    return Status::Ok();
  }
  std::vector<std::string> operations;
  std::vector<AuthorizationRequest::OtherResource> uses;
  bool deny_uses = false;
};

std::string KeyOf(const AuthorizationRequest::OtherResource& use, std::string_view name) {
  for (const auto& [k, v] : use.keys) {
    if (k == name) return v;
  }
  return "<unset>";
}

class SecretsManagerTest : public iam::testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    env().sealer = &sealer_;
  }

  Result<Json> Run(OperationHandler handler, const Json& input) {
    RequestContext ctx = MakeContext();
    ctx.service = "secretsmanager";
    ctx.authorizer = &authorizer_;
    return handler(ctx, input);
  }

  Json Must(OperationHandler handler, const Json& input) {
    Result<Json> r = Run(handler, input);
    EXPECT_TRUE(r.ok()) << input.dump() << ": " << iam::testutil::Describe(r.status());
    return r.ok() ? std::move(r).value() : Json();
  }

  Json StoredSecret(std::string_view name) {
    auto raw = store().Get(SecretKey(kAccount, "us-east-1", name));
    EXPECT_TRUE(raw.ok() && raw->has_value());
    return raw.ok() && raw->has_value() ? Json::parse(**raw) : Json();
  }

  RecordingAuthorizer authorizer_;
  storage::Sealer sealer_{SecretBytes::FromView(std::string(32, 'r'))};
};

TEST_F(SecretsManagerTest, EveryValueUsesTheKeyWithTheVersionsEncryptionContext) {
  Json created = Must(&CreateSecret, {{"Name", "db"}, {"SecretString", "hunter2"}});
  ASSERT_EQ(authorizer_.uses.size(), 1u);
  const AuthorizationRequest::OtherResource write = authorizer_.uses[0];
  EXPECT_EQ(write.action, "kms:GenerateDataKey");
  EXPECT_EQ(KeyOf(write, "kms:ViaService"), "secretsmanager.us-east-1.amazonaws.com");
  EXPECT_EQ(KeyOf(write, "kms:CallerAccount"), kAccount);
  EXPECT_EQ(KeyOf(write, "kms:EncryptionContext:SecretARN"), created["ARN"]);
  EXPECT_EQ(KeyOf(write, "kms:EncryptionContext:SecretVersionId"), created["VersionId"]);
  EXPECT_TRUE(
      write.resource.starts_with("arn:aws:kms:us-east-1:" + std::string(kAccount) + ":key/"));

  Json got = Must(&GetSecretValue, {{"SecretId", "db"}});
  EXPECT_EQ(got["SecretString"], "hunter2");
  ASSERT_EQ(authorizer_.uses.size(), 2u);
  EXPECT_EQ(authorizer_.uses[1].action, "kms:Decrypt");
  EXPECT_EQ(authorizer_.uses[1].resource, write.resource);

  // Without kms:Decrypt the value stays sealed, and the answer says why as AWS does.
  authorizer_.deny_uses = true;
  Result<Json> denied = Run(&GetSecretValue, {{"SecretId", "db"}});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().kind(), ErrorKind::kAccessDenied);
  EXPECT_EQ(denied.status().message(), "Access to KMS is not allowed");
  EXPECT_EQ(Run(&PutSecretValue, {{"SecretId", "db"}, {"SecretString", "x"}}).status().kind(),
            ErrorKind::kAccessDenied);
  authorizer_.deny_uses = false;
  // The denied write left nothing behind.
  EXPECT_EQ(StoredSecret("db")["Versions"].size(), 1u);
}

TEST_F(SecretsManagerTest, ATamperedValueRecordDoesNotDecrypt) {
  Json created = Must(&CreateSecret, {{"Name", "t"}, {"SecretString", "v"}});
  const std::string key = ValueKey(StoredSecret("t"), created["VersionId"].get<std::string>());
  Json record = Json::parse(**store().Get(key));
  std::string sealed = record["Sealed"];
  sealed[10] = sealed[10] == 'A' ? 'B' : 'A';
  record["Sealed"] = sealed;
  ASSERT_TRUE(store().Put(key, record.dump()).ok());
  EXPECT_TRUE(IsError(Run(&GetSecretValue, {{"SecretId", "t"}}), "DecryptionFailure"));
  // A value record moved under another version does not decrypt either (bound to it).
  Json other = Must(&PutSecretValue, {{"SecretId", "t"}, {"SecretString", "w"}});
  const std::string other_key = ValueKey(StoredSecret("t"), other["VersionId"].get<std::string>());
  ASSERT_TRUE(store().Put(other_key, **store().Get(key)).ok());
  EXPECT_TRUE(IsError(Run(&GetSecretValue, {{"SecretId", "t"}}), "DecryptionFailure"));
}

TEST_F(SecretsManagerTest, StagingLabelsMoveAsInAws) {
  Json secret = {{"Versions", Json::object()}};
  AddVersion(secret, "v1", Json(), 1);
  EXPECT_EQ(VersionWithStage(secret, kCurrent), "v1");
  AddVersion(secret, "v2", Json::array({"AWSPENDING"}), 2);
  EXPECT_EQ(VersionWithStage(secret, kCurrent), "v1");
  EXPECT_EQ(VersionWithStage(secret, kPending), "v2");
  MoveStage(secret, kCurrent, "v2");
  EXPECT_EQ(VersionIdsToStages(secret),
            Json::parse(R"({"v1":["AWSPREVIOUS"],"v2":["AWSPENDING","AWSCURRENT"]})"));
  AddVersion(secret, "v3", Json(), 3);
  EXPECT_EQ(VersionIdsToStages(secret),
            Json::parse(R"({"v2":["AWSPENDING","AWSPREVIOUS"],"v3":["AWSCURRENT"]})"));
  // Moving AWSCURRENT back onto the previous version swaps the two.
  MoveStage(secret, kCurrent, "v2");
  EXPECT_EQ(VersionIdsToStages(secret),
            Json::parse(R"({"v2":["AWSPENDING","AWSCURRENT"],"v3":["AWSPREVIOUS"]})"));
  RemoveStage(secret, kPending, "v2");
  EXPECT_EQ(VersionWithStage(secret, kPending), "");
}

TEST_F(SecretsManagerTest, VersionsWithoutLabelsArePrunedPastTheQuotaOnceADayOld) {
  Must(&CreateSecret, {{"Name", "many"}, {"SecretString", "0"}});
  for (int i = 1; i < 100; ++i) {
    Must(&PutSecretValue, {{"SecretId", "many"}, {"SecretString", std::to_string(i)}});
  }
  EXPECT_EQ(StoredSecret("many")["Versions"].size(), 100u);
  // All but two have lost their labels, but are less than a day old.
  EXPECT_TRUE(IsError(Run(&PutSecretValue, {{"SecretId", "many"}, {"SecretString", "x"}}),
                      "LimitExceededException"));
  set_now(iam::testutil::kNow + kDay + 1);
  Json put = Must(&PutSecretValue, {{"SecretId", "many"}, {"SecretString", "new"}});
  Json stored = StoredSecret("many");
  EXPECT_EQ(stored["Versions"].size(), 100u);
  EXPECT_TRUE(stored["Versions"].contains(put["VersionId"].get<std::string>()));
  auto values = store().Scan("secretsmanager/" + std::string(kAccount) + "/us-east-1/value/many/");
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->size(), 100u);  // the pruned versions' values went with them
  EXPECT_EQ(Must(&GetSecretValue, {{"SecretId", "many"}})["SecretString"], "new");
}

TEST_F(SecretsManagerTest, TheRecoveryWindowEndsInAPurge) {
  Must(&CreateSecret, {{"Name", "old"}, {"SecretString", "v"}});
  Json deleted = Must(&DeleteSecret, {{"SecretId", "old"}, {"RecoveryWindowInDays", 7}});
  EXPECT_EQ(deleted["DeletionDate"], iam::testutil::kNow + 7 * kDay);
  set_now(iam::testutil::kNow + 7 * kDay - 1);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_TRUE(IsError(Run(&GetSecretValue, {{"SecretId", "old"}}), "InvalidRequestException"));
  set_now(iam::testutil::kNow + 7 * kDay);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_TRUE(IsError(Run(&DescribeSecret, {{"SecretId", "old"}}), "ResourceNotFoundException"));
  auto rest = store().Scan("secretsmanager/");
  ASSERT_TRUE(rest.ok());
  for (const auto& row : rest.value()) ADD_FAILURE() << "left behind: " << row.key;
  // A restored secret is not purged when its old window would have ended.
  Must(&CreateSecret, {{"Name", "kept"}, {"SecretString", "v"}});
  Must(&DeleteSecret, {{"SecretId", "kept"}, {"RecoveryWindowInDays", 7}});
  Must(&RestoreSecret, {{"SecretId", "kept"}});
  set_now(iam::testutil::kNow + 30 * kDay);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_EQ(Must(&GetSecretValue, {{"SecretId", "kept"}})["SecretString"], "v");
}

TEST_F(SecretsManagerTest, ListFiltersMatchAsDocumented) {
  Must(&CreateSecret, {{"Name", "prod/db-main"},
                       {"Description", "Main Postgres"},
                       {"Tags", Json::parse(R"([{"Key":"Env","Value":"prod"}])")}});
  Must(&CreateSecret, {{"Name", "dev/cache"}, {"Description", "redis"}});
  auto names = [&](const char* filters) {
    Json out = Must(&ListSecrets, {{"Filters", Json::parse(filters)}});
    std::set<std::string> got;
    for (const Json& s : out["SecretList"]) got.insert(s["Name"].get<std::string>());
    return got;
  };
  using Names = std::set<std::string>;
  EXPECT_EQ(names(R"([{"Key":"name","Values":["prod"]}])"), Names{"prod/db-main"});
  EXPECT_EQ(names(R"([{"Key":"name","Values":["db"]}])"), Names{});  // a prefix, not a word
  EXPECT_EQ(names(R"([{"Key":"all","Values":["db"]}])"), Names{"prod/db-main"});
  EXPECT_EQ(names(R"([{"Key":"all","Values":["POSTGRES"]}])"), Names{"prod/db-main"});
  EXPECT_EQ(names(R"([{"Key":"description","Values":["main"]}])"), Names{"prod/db-main"});
  EXPECT_EQ(names(R"([{"Key":"tag-key","Values":["env"]}])"), Names{});  // case-sensitive
  EXPECT_EQ(names(R"([{"Key":"tag-key","Values":["Env"]}])"), Names{"prod/db-main"});
  EXPECT_EQ(names(R"([{"Key":"tag-key","Values":["!Env"]}])"), Names{"dev/cache"});
  EXPECT_EQ(names(R"([{"Key":"name","Values":["dev","prod"]}])"),
            (Names{"dev/cache", "prod/db-main"}));
  EXPECT_EQ(names(R"([{"Key":"name","Values":["dev"]},{"Key":"description","Values":["main"]}])"),
            Names{});
  EXPECT_TRUE(
      IsError(Run(&ListSecrets, {{"Filters", Json::parse(R"([{"Key":"x","Values":["a"]}])")}}),
              "InvalidParameterException"));
}

TEST_F(SecretsManagerTest, RandomPasswordsDrawFromExactlyTheIncludedCharacters) {
  Json out = Must(&GetRandomPassword, {{"PasswordLength", 4096},
                                       {"ExcludeUppercase", true},
                                       {"ExcludeLowercase", true},
                                       {"ExcludePunctuation", true},
                                       {"ExcludeCharacters", "13579"}});
  const std::string pw = out["RandomPassword"];
  ASSERT_EQ(pw.size(), 4096u);
  std::set<char> seen(pw.begin(), pw.end());
  EXPECT_EQ(seen, (std::set<char>{'0', '2', '4', '6', '8'}));
  // Every included type appears, even in the shortest password that can hold them all.
  for (int i = 0; i < 50; ++i) {
    const std::string p =
        Must(&GetRandomPassword, {{"PasswordLength", 5}, {"IncludeSpace", true}})["RandomPassword"];
    ASSERT_EQ(p.size(), 5u);
    EXPECT_NE(p.find(' '), std::string::npos) << p;
    EXPECT_TRUE(std::any_of(p.begin(), p.end(), ::isdigit)) << p;
    EXPECT_TRUE(std::any_of(p.begin(), p.end(), ::islower)) << p;
    EXPECT_TRUE(std::any_of(p.begin(), p.end(), ::isupper)) << p;
  }
  EXPECT_TRUE(IsError(Run(&GetRandomPassword, {{"ExcludeUppercase", true},
                                               {"ExcludeLowercase", true},
                                               {"ExcludePunctuation", true},
                                               {"ExcludeNumbers", true}}),
                      "InvalidParameterException"));
}

}  // namespace
}  // namespace bulwark::secretsmanager

namespace bulwark::secretsmanager {
namespace {

// 2024-01-02T03:04:05Z is a Tuesday.
constexpr int64_t kTuesday = iam::testutil::kNow;

int64_t At(int y, int mo, int d, int h, int mi) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return timegm(&tm);
}

std::optional<int64_t> Next(const char* expression, int64_t after = kTuesday) {
  Result<Schedule> s = ParseRotationRules({{"ScheduleExpression", expression}});
  EXPECT_TRUE(s.ok()) << expression << ": " << s.status().message();
  if (!s.ok()) return std::nullopt;
  return NextRotation(*s, after, after);
}

TEST(RotationSchedule, CronExpressionsComeDueWhenEventBridgeWouldFireThem) {
  EXPECT_EQ(Next("cron(0 16 1,15 * ? *)"), At(2024, 1, 15, 16, 0));
  EXPECT_EQ(Next("cron(0 8 ? * MON-FRI *)"), At(2024, 1, 2, 8, 0));  // later that Tuesday
  EXPECT_EQ(Next("cron(0 2 ? * MON-FRI *)"), At(2024, 1, 3, 2, 0));  // 02:00 has passed
  EXPECT_EQ(Next("cron(0 0 ? * SUN *)"), At(2024, 1, 7, 0, 0));
  EXPECT_EQ(Next("cron(30 4 L * ? *)"), At(2024, 1, 31, 4, 30));
  EXPECT_EQ(Next("cron(0 0 29 2 ? *)"), At(2024, 2, 29, 0, 0));      // a leap year
  EXPECT_EQ(Next("cron(0 0 29 2 ? *)", At(2024, 3, 1, 0, 0)), At(2028, 2, 29, 0, 0));
  EXPECT_EQ(Next("cron(0/30 10 * * ? 2025)"), At(2025, 1, 1, 10, 0));
  EXPECT_EQ(Next("cron(0 0 1 JAN ? 2023)"), std::nullopt);           // only in the past
  for (const char* bad : {"cron(0 0 * * * *)", "cron(0 0 1 * ?)", "cron(61 0 1 * ? *)",
                          "cron(0 0 1 13 ? *)", "cron(0 0 1 * ? 1800)", "cron(a b c d e f)",
                          "rate(3 hours)", "rate(0 days)", "rate(1001 days)", "rate(2 weeks)",
                          "every day"}) {
    EXPECT_FALSE(ParseRotationRules({{"ScheduleExpression", bad}}).ok()) << bad;
  }
}

TEST(RotationSchedule, IntervalsCountFromTheLastRotation) {
  Result<Schedule> days = ParseRotationRules({{"AutomaticallyAfterDays", 30}});
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(NextRotation(*days, kTuesday, kTuesday), kTuesday + 30 * 86400);
  EXPECT_EQ(NextRotation(*days, kTuesday, kTuesday + 31 * 86400), kTuesday + 60 * 86400);
  Result<Schedule> hours = ParseRotationRules({{"ScheduleExpression", "rate(4 hours)"}});
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(NextRotation(*hours, kTuesday, kTuesday), kTuesday + 4 * 3600);
  EXPECT_FALSE(ParseRotationRules({{"AutomaticallyAfterDays", 0}}).ok());
  EXPECT_FALSE(ParseRotationRules({{"AutomaticallyAfterDays", 5},
                                   {"ScheduleExpression", "rate(5 days)"}})
                   .ok());
  EXPECT_FALSE(ParseRotationRules({{"ScheduleExpression", "rate(4 hours)"}, {"Duration", "4h"}})
                   .ok());
  EXPECT_FALSE(ParseRotationRules({{"AutomaticallyAfterDays", 1}, {"Duration", "25h"}}).ok());
  EXPECT_TRUE(ParseRotationRules({{"AutomaticallyAfterDays", 2}, {"Duration", "3h"}}).ok());
}

TEST_F(SecretsManagerTest, AScheduledRotationHappensWhenItComesDue) {
  Must(&CreateSecret, {{"Name", "sched"},
                       {"SecretString", R"({"username":"u","password":"old"})"}});
  const std::string fn =
      "arn:aws:lambda:us-east-1:" + std::string(kAccount) + ":function:bulwark-rotate-random-password";
  Must(&RotateSecret, {{"SecretId", "sched"},
                       {"RotationLambdaARN", fn},
                       {"RotateImmediately", false},
                       {"RotationRules", {{"AutomaticallyAfterDays", 7}}}});
  Json described = Must(&DescribeSecret, {{"SecretId", "sched"}});
  EXPECT_EQ(described["NextRotationDate"], kTuesday + 7 * 86400);
  EXPECT_FALSE(described.contains("LastRotatedDate"));
  set_now(kTuesday + 7 * 86400 - 1);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_EQ(Json::parse(Must(&GetSecretValue, {{"SecretId", "sched"}})["SecretString"].get<std::string>())
                ["password"],
            "old");
  set_now(kTuesday + 7 * 86400);
  ASSERT_TRUE(Maintain(env()).ok());
  Json now = Json::parse(Must(&GetSecretValue, {{"SecretId", "sched"}})["SecretString"].get<std::string>());
  EXPECT_NE(now["password"], "old");
  EXPECT_EQ(now["username"], "u");
  described = Must(&DescribeSecret, {{"SecretId", "sched"}});
  EXPECT_EQ(described["LastRotatedDate"], kTuesday + 7 * 86400);
  EXPECT_EQ(described["NextRotationDate"], kTuesday + 14 * 86400);
  // Cancelled, it does not come again.
  Must(&CancelRotateSecret, {{"SecretId", "sched"}});
  set_now(kTuesday + 15 * 86400);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_EQ(Json::parse(Must(&GetSecretValue, {{"SecretId", "sched"}})["SecretString"].get<std::string>()),
            now);
}

}  // namespace
}  // namespace bulwark::secretsmanager
