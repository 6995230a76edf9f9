// What trails decide without a server: name rules, event selectors (checks and
// matching), gzip round trips and refusals, and the digest's signed string.
#include <gtest/gtest.h>

#include "services/cloudtrail/common.h"
#include "services/cloudtrail/delivery.h"
#include "services/cloudtrail/selectors.h"

namespace bulwark::cloudtrail {
namespace {

bool Code(const Status& st, std::string_view code) {
  return !st.ok() && st.kind() == ErrorKind::kService && st.code() == code;
}

TEST(TrailRulesTest, Names) {
  for (const char* ok : {"abc", "my-trail_1.x", "A1b"}) EXPECT_TRUE(CheckTrailName(ok).ok()) << ok;
  for (const char* bad : {"ab", "-abc", "abc.", "a b", "a._b", "a--b", "192.168.0.1", "a/b"}) {
    EXPECT_TRUE(Code(CheckTrailName(bad), "InvalidTrailNameException")) << bad;
  }
  EXPECT_TRUE(Code(CheckTrailName(std::string(129, 'a')), "InvalidTrailNameException"));
  EXPECT_TRUE(CheckTrailName(std::string(128, 'a')).ok());
}

EventView View(bool read_only, std::string_view source, std::string_view name) {
  EventView e;
  e.read_only = read_only;
  e.event_source = source;
  e.event_name = name;
  e.resources =
      "AWS::KMS::Key\x1f"
      "arn:aws:kms:us-east-1:111122223333:key/k";
  return e;
}

TEST(TrailRulesTest, BasicSelectors) {
  const Json none;
  const auto record = [&]() -> const Json& { return none; };
  Json trail = Json::object();
  EXPECT_TRUE(SelectsEvent(trail, View(true, "kms.amazonaws.com", "ListKeys"), record));
  trail["EventSelectors"] = NormalizedEventSelectors(Json::parse(
      R"([{"ReadWriteType":"WriteOnly","ExcludeManagementEventSources":["kms.amazonaws.com"]}])"));
  EXPECT_FALSE(SelectsEvent(trail, View(true, "iam.amazonaws.com", "ListUsers"), record));
  EXPECT_TRUE(SelectsEvent(trail, View(false, "iam.amazonaws.com", "CreateUser"), record));
  EXPECT_FALSE(SelectsEvent(trail, View(false, "kms.amazonaws.com", "CreateKey"), record));
  trail["EventSelectors"] =
      NormalizedEventSelectors(Json::parse(R"([{"IncludeManagementEvents":false}])"));
  EXPECT_FALSE(SelectsEvent(trail, View(false, "iam.amazonaws.com", "CreateUser"), record));
  EXPECT_TRUE(
      Code(CheckEventSelectors(Json::parse(R"([{"DataResources":[{"Type":"AWS::EC2::X"}]}])")),
           "InvalidEventSelectorsException"));
  EXPECT_TRUE(
      CheckEventSelectors(
          Json::parse(
              R"([{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}])"))
          .ok());
}

TEST(TrailRulesTest, AdvancedSelectors) {
  Json parsed = Json::parse(R"({"userIdentity":{"arn":"arn:aws:iam::111122223333:user/bob"}})");
  int parses = 0;
  const auto record = [&]() -> const Json& {
    ++parses;
    return parsed;
  };
  Json trail = {{"AdvancedEventSelectors", Json::parse(R"([
    {"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},
                       {"Field":"readOnly","Equals":["false"]},
                       {"Field":"eventSource","NotEquals":["kms.amazonaws.com"]}]}])")}};
  EXPECT_TRUE(CheckAdvancedEventSelectors(trail["AdvancedEventSelectors"]).ok());
  EXPECT_TRUE(SelectsEvent(trail, View(false, "iam.amazonaws.com", "CreateUser"), record));
  EXPECT_FALSE(SelectsEvent(trail, View(true, "iam.amazonaws.com", "ListUsers"), record));
  EXPECT_FALSE(SelectsEvent(trail, View(false, "kms.amazonaws.com", "CreateKey"), record));
  EXPECT_EQ(parses, 0);  // the index held every field these selectors name
  // Data selectors select no management event.
  trail["AdvancedEventSelectors"] = Json::parse(R"([
    {"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},
                       {"Field":"resources.type","Equals":["AWS::S3::Object"]}]}])");
  EXPECT_TRUE(CheckAdvancedEventSelectors(trail["AdvancedEventSelectors"]).ok());
  EXPECT_FALSE(SelectsEvent(trail, View(false, "iam.amazonaws.com", "CreateUser"), record));
  // Refused: no category, a field management events do not have, an operator-less field.
  for (
      const char* bad :
      {R"([{"FieldSelectors":[{"Field":"readOnly","Equals":["true"]}]}])",
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventName","Equals":["X"]}]}])",
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly"}]}])",
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["maybe"]}]}])",
       R"([])"}) {
    EXPECT_TRUE(
        Code(CheckAdvancedEventSelectors(Json::parse(bad)), "InvalidEventSelectorsException"))
        << bad;
  }
}

TEST(TrailRulesTest, GzipRoundTripAndRefusals) {
  const std::string text(100000, 'x');
  auto gz = Gzip(text);
  ASSERT_TRUE(gz.ok());
  EXPECT_LT(gz->size(), text.size() / 10);
  auto back = Gunzip(*gz, text.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, text);
  EXPECT_FALSE(Gunzip(*gz, text.size() - 1).ok());                    // larger than allowed: a bomb
  EXPECT_FALSE(Gunzip(gz->substr(0, gz->size() / 2), 1 << 20).ok());  // truncated
  EXPECT_FALSE(Gunzip("not gzip at all", 1 << 20).ok());
}

TEST(TrailRulesTest, DigestSigningStringIsAws) {
  EXPECT_EQ(
      DigestSigningString("2026-12-03T19:00:00Z", "bucket", "AWSLogs/1/x.json.gz", "ab12", "null"),
      "2026-12-03T19:00:00Z\nbucket/AWSLogs/1/x.json.gz\nab12\nnull");
}

}  // namespace
}  // namespace bulwark::cloudtrail
