#include <gtest/gtest.h>

#include "protocol/protocol.h"
#include "test_util.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;
using testing::FormRequest;
using testing::Service;

TEST(QueryDecodeTest, DecodesListsOfStructures) {
  auto r = DecodeRequest(Service("iam"),
                         FormRequest("Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2F"
                                     "dev%2F&Tags.member.1.Key=team&Tags.member.1.Value=a+b"
                                     "&Tags.member.2.Key=env&Tags.member.2.Value=&Unknown=1"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->operation->name(), "CreateUser");
  EXPECT_EQ(r->input, json::parse(R"({"UserName":"alice","Path":"/dev/","Tags":[
      {"Key":"team","Value":"a b"},{"Key":"env","Value":""}]})"));
}

TEST(QueryDecodeTest, ListIndicesAreOrderedNumerically) {
  auto r =
      DecodeRequest(Service("iam"), FormRequest("Action=UntagUser&Version=2010-05-08&UserName=u"
                                                "&TagKeys.member.10=j&TagKeys.member.2=b"
                                                "&TagKeys.member.1=a"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input["TagKeys"], json({"a", "b", "j"}));
}

TEST(QueryDecodeTest, EmptyListParameter) {
  auto r = DecodeRequest(Service("iam"),
                         FormRequest("Action=UntagUser&Version=2010-05-08&UserName=u&TagKeys="));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input["TagKeys"], json::array());
}

TEST(QueryDecodeTest, ScalarTypes) {
  auto r = DecodeRequest(Service("iam"),
                         FormRequest("Action=ListUsers&Version=2010-05-08&MaxItems=50&Marker=m"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input["MaxItems"], 50);
  r = DecodeRequest(Service("sts"),
                    FormRequest("Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=s"
                                "&DurationSeconds=3600"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input["DurationSeconds"], 3600);
  r = DecodeRequest(Service("iam"),
                    FormRequest("Action=UpdateAccountPasswordPolicy&Version=2010-05-08"
                                "&RequireSymbols=true&AllowUsersToChangePassword=false"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input["RequireSymbols"], true);
  EXPECT_EQ(r->input["AllowUsersToChangePassword"], false);
}

TEST(QueryDecodeTest, GetWithQueryString) {
  http::Request req;
  req.method = "GET";
  req.target = "/?Action=GetCallerIdentity&Version=2011-06-15";
  auto r = DecodeRequest(Service("sts"), req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->operation->name(), "GetCallerIdentity");
  EXPECT_EQ(r->input, json::object());
}

TEST(QueryDecodeTest, BodyParametersOverrideQueryString) {
  http::Request req = FormRequest("Action=GetUser&Version=2010-05-08&UserName=body");
  req.target = "/?UserName=query";
  auto r = DecodeRequest(Service("iam"), req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input["UserName"], "body");
}

TEST(QueryDecodeTest, MissingAction) {
  for (std::string body : {"", "Version=2010-05-08", "Action=&Version=2010-05-08", "&&&"}) {
    auto r = DecodeRequest(Service("iam"), FormRequest(body));
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().kind(), ErrorKind::kMissingAction) << body;
  }
}

TEST(QueryDecodeTest, InvalidActionAndVersion) {
  auto r = DecodeRequest(Service("iam"), FormRequest("Action=Nope&Version=2010-05-08"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidAction);
  EXPECT_EQ(r.status().message(), "Could not find operation Nope for version 2010-05-08");

  r = DecodeRequest(Service("sts"), FormRequest("Action=GetCallerIdentity&Version=2099-01-01"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Could not find operation GetCallerIdentity for version 2099-01-01");

  // A missing Version means the model's version.
  EXPECT_TRUE(DecodeRequest(Service("sts"), FormRequest("Action=GetCallerIdentity")).ok());
}

TEST(QueryDecodeTest, MalformedForms) {
  for (std::string body :
       {"Action=GetUser&UserName=%", "Action=GetUser&UserName=%zz", "Action=GetUser&UserName=%4",
        "Action=GetUser&UserName=%ff%fe", "Action=ListUsers&MaxItems=ten",
        "Action=ListUsers&MaxItems=", "Action=ListUsers&MaxItems=99999999999",
        "Action=UpdateAccountPasswordPolicy&RequireSymbols=yes"}) {
    auto r = DecodeRequest(Service("iam"), FormRequest(body));
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().kind(), ErrorKind::kSerialization) << body;
  }
}

TEST(QueryDecodeTest, HostileIndicesAndManyParameters) {
  std::string body = "Action=UntagUser&Version=2010-05-08&UserName=u";
  body +=
      "&TagKeys.member.99999999999999999999=x&TagKeys.member.0=y&TagKeys.member.-1=z"
      "&TagKeys.member.01=w&TagKeys.member.=v&TagKeys.member.1=ok";
  auto r = DecodeRequest(Service("iam"), FormRequest(body));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input["TagKeys"], json({"ok"}));

  std::string many = "Action=UntagUser&Version=2010-05-08&UserName=u";
  for (int i = 1; i <= 20000; ++i) many += "&TagKeys.member." + std::to_string(i) + "=k";
  r = DecodeRequest(Service("iam"), FormRequest(many));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input["TagKeys"].size(), 20000u);
}

TEST(QueryEncodeTest, WrapsResultAndRequestId) {
  const ServiceModel& iam = Service("iam");
  json out = {{"User",
               {{"UserName", "a<b>&\"'"},
                {"UserId", "AIDA"},
                {"Arn", "arn:aws:iam::123456789012:user/a"},
                {"Path", "/"},
                {"CreateDate", 1704164645},
                {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}}}};
  http::Response resp;
  EncodeResult(iam, *iam.FindOperation("CreateUser"), out, "rid-1", &resp);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.Header("Content-Type"), "text/xml");
  EXPECT_EQ(resp.Header("x-amzn-RequestId"), "rid-1");
  // Members appear in model order, which is AWS's order.
  EXPECT_EQ(resp.body,
            "<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
            "<CreateUserResult><User>"
            "<Path>/</Path><UserName>a&lt;b&gt;&amp;&quot;&apos;</UserName>"
            "<UserId>AIDA</UserId><Arn>arn:aws:iam::123456789012:user/a</Arn>"
            "<CreateDate>2024-01-02T03:04:05Z</CreateDate>"
            "<Tags><member><Key>k</Key><Value>v</Value></member></Tags></User>"
            "</CreateUserResult><ResponseMetadata><RequestId>rid-1</RequestId>"
            "</ResponseMetadata></CreateUserResponse>");
}

TEST(QueryEncodeTest, NoOutputShape) {
  const ServiceModel& iam = Service("iam");
  const OperationModel* op = iam.FindOperation("DeleteUser");
  ASSERT_EQ(op->output(), nullptr);
  http::Response resp;
  EncodeResult(iam, *op, json::object(), "r", &resp);
  EXPECT_EQ(resp.body,
            "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>");
}

TEST(QueryEncodeTest, MapsBooleansNumbersAndFractionalTimestamps) {
  const ServiceModel& iam = Service("iam");
  json out = {{"SummaryMap", {{"Users", 3}, {"Groups", 1}}}};
  http::Response resp;
  EncodeResult(iam, *iam.FindOperation("GetAccountSummary"), out, "r", &resp);
  EXPECT_NE(resp.body.find("<SummaryMap><entry><key>Groups</key><value>1</value></entry>"
                           "<entry><key>Users</key><value>3</value></entry></SummaryMap>"),
            std::string::npos)
      << resp.body;

  const ServiceModel& sts = Service("sts");
  json creds = {{"Credentials",
                 {{"AccessKeyId", "ASIA"},
                  {"SecretAccessKey", "s"},
                  {"SessionToken", "t"},
                  {"Expiration", 1704164645.5}}},
                {"AssumedRoleUser", {{"AssumedRoleId", "AROA:s"}, {"Arn", "arn"}}},
                {"PackedPolicySize", 6}};
  EncodeResult(sts, *sts.FindOperation("AssumeRole"), creds, "r", &resp);
  EXPECT_NE(resp.body.find("<Credentials><AccessKeyId>ASIA</AccessKeyId>"), std::string::npos)
      << resp.body;
  EXPECT_NE(resp.body.find("<Expiration>2024-01-02T03:04:05.500Z</Expiration>"), std::string::npos);
  EXPECT_NE(resp.body.find("<PackedPolicySize>6</PackedPolicySize>"), std::string::npos);
  EXPECT_NE(resp.body.find("xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\""),
            std::string::npos);
}

TEST(QueryEncodeTest, ControlCharactersAreNotEmitted) {
  const ServiceModel& iam = Service("iam");
  http::Response resp;
  EncodeResult(iam, *iam.FindOperation("GetUser"),
               {{"User", {{"UserName", std::string("a\x01\nb")}}}}, "r", &resp);
  EXPECT_NE(resp.body.find("<UserName>a&#xA;b</UserName>"), std::string::npos) << resp.body;
}

}  // namespace
}  // namespace bulwark::protocol
