#include <gtest/gtest.h>

#include "protocol/protocol.h"
#include "test_util.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;
using testing::JsonRequest;
using testing::Service;

TEST(JsonDecodeTest, DecodesTypedMembers) {
  auto r = DecodeRequest(
      Service("kms"),
      JsonRequest("TrentService.Encrypt",
                  R"({"KeyId":"alias/x","Plaintext":"aGVsbG8=","EncryptionContext":{"a":"b"},
                      "GrantTokens":["t1"],"Unknown":{"deep":[1,2]}})"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->operation->name(), "Encrypt");
  EXPECT_EQ(r->input["KeyId"], "alias/x");
  ASSERT_TRUE(r->input["Plaintext"].is_binary());
  const auto& bin = r->input["Plaintext"].get_binary();
  EXPECT_EQ(std::string(bin.begin(), bin.end()), "hello");
  EXPECT_EQ(r->input["EncryptionContext"], json({{"a", "b"}}));
  EXPECT_EQ(r->input["GrantTokens"], json({"t1"}));
  EXPECT_FALSE(r->input.contains("Unknown"));  // unknown members are ignored
}

TEST(JsonDecodeTest, EmptyBodyIsEmptyObject) {
  for (std::string body : {"", "   ", "{}", " \r\n{ } "}) {
    auto r = DecodeRequest(Service("kms"), JsonRequest("TrentService.ListKeys", body));
    ASSERT_TRUE(r.ok()) << body;
    EXPECT_EQ(r->input, json::object());
  }
}

TEST(JsonDecodeTest, NullMembersAreAbsent) {
  auto r = DecodeRequest(Service("kms"),
                         JsonRequest("TrentService.ListKeys", R"({"Limit":null,"Marker":"m"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->input, json({{"Marker", "m"}}));
}

TEST(JsonDecodeTest, TimestampsAcceptEpochNumbers) {
  auto r = DecodeRequest(Service("kms"), JsonRequest("TrentService.ImportKeyMaterial",
                                                     R"({"KeyId":"k","ValidTo":1700000000.5,
                                         "ImportToken":"AA==","EncryptedKeyMaterial":"AA=="})"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_DOUBLE_EQ(r->input["ValidTo"].get<double>(), 1700000000.5);
}

TEST(JsonDecodeTest, UnknownOperation) {
  for (std::string target : {"TrentService.NoSuchThing", "", "TrentService", "Other.ListKeys",
                             ".ListKeys", "TrentService."}) {
    auto r = DecodeRequest(Service("kms"), JsonRequest(target, "{}"));
    ASSERT_FALSE(r.ok()) << target;
    EXPECT_EQ(r.status().kind(), ErrorKind::kUnknownOperation) << target;
  }
  http::Request no_header = JsonRequest("x", "{}");
  no_header.headers.clear();
  EXPECT_EQ(DecodeRequest(Service("kms"), no_header).status().kind(), ErrorKind::kUnknownOperation);
}

TEST(JsonDecodeTest, TargetPrefixWithDots) {
  auto r = DecodeRequest(
      Service("cloudtrail"),
      JsonRequest("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails", ""));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->operation->name(), "DescribeTrails");
}

struct BadBody {
  const char* target;
  const char* body;
};

class JsonMalformedTest : public ::testing::TestWithParam<BadBody> {};

TEST_P(JsonMalformedTest, IsSerializationError) {
  auto r = DecodeRequest(Service("kms"), JsonRequest(GetParam().target, GetParam().body));
  ASSERT_FALSE(r.ok()) << GetParam().body;
  EXPECT_EQ(r.status().kind(), ErrorKind::kSerialization) << GetParam().body;
  EXPECT_FALSE(r.status().message().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, JsonMalformedTest,
    ::testing::Values(
        BadBody{"TrentService.ListKeys", "{"}, BadBody{"TrentService.ListKeys", "[]"},
        BadBody{"TrentService.ListKeys", "\"x\""}, BadBody{"TrentService.ListKeys", "null"},
        BadBody{"TrentService.ListKeys", "{} {}"},
        BadBody{"TrentService.ListKeys", "{\"Limit\":\"10\"}"},
        BadBody{"TrentService.ListKeys", "{\"Limit\":1.5}"},
        BadBody{"TrentService.ListKeys", "{\"Limit\":true}"},
        BadBody{"TrentService.ListKeys", "{\"Limit\":{}}"},
        BadBody{"TrentService.ListKeys", "{\"Limit\":2147483648}"},
        BadBody{"TrentService.ListKeys", "{\"Limit\":-2147483649}"},
        BadBody{"TrentService.ListKeys", "{\"Limit\":99999999999999999999999999}"},
        BadBody{"TrentService.ListKeys", "{\"Marker\":5}"},
        BadBody{"TrentService.ListKeys", "{\"Marker\":[\"a\"]}"},
        BadBody{"TrentService.Encrypt", "{\"KeyId\":\"k\",\"Plaintext\":\"not base64!\"}"},
        BadBody{"TrentService.Encrypt", "{\"KeyId\":\"k\",\"Plaintext\":5}"},
        BadBody{"TrentService.Encrypt", "{\"KeyId\":\"k\",\"EncryptionContext\":[]}"},
        BadBody{"TrentService.Encrypt", "{\"KeyId\":\"k\",\"EncryptionContext\":{\"a\":1}}"},
        BadBody{"TrentService.Encrypt", "{\"KeyId\":\"k\",\"GrantTokens\":\"t\"}"},
        BadBody{"TrentService.CreateKey", "{\"BypassPolicyLockoutSafetyCheck\":\"true\"}"},
        BadBody{"TrentService.CreateKey", "{\"Tags\":[{\"TagKey\":1}]}"},
        BadBody{"TrentService.ImportKeyMaterial", "{\"ValidTo\":\"yesterday\"}"},
        BadBody{"TrentService.ImportKeyMaterial", "{\"ValidTo\":1e300}"},
        // Invalid UTF-8 inside a string, and a lone surrogate escape.
        BadBody{"TrentService.ListKeys", "{\"Marker\":\"\xff\xfe\"}"},
        BadBody{"TrentService.ListKeys", "{\"Marker\":\"\xc0\xaf\"}"},
        BadBody{"TrentService.ListKeys", "{\"Marker\":\"\\ud800\"}"},
        BadBody{"TrentService.ListKeys", "{\"Marker\":\"a\0b\"}"}));

TEST(JsonDecodeTest, DeepNestingIsRejected) {
  std::string deep(100000, '[');
  auto r = DecodeRequest(Service("kms"), JsonRequest("TrentService.ListKeys", "{\"a\":" + deep));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kSerialization);

  std::string ok = "{\"a\":" + std::string(60, '[') + std::string(60, ']') + "}";
  EXPECT_TRUE(DecodeRequest(Service("kms"), JsonRequest("TrentService.ListKeys", ok)).ok());

  // Brackets inside strings do not count.
  std::string in_string = "{\"Marker\":\"" + std::string(1000, '[') + "\"}";
  EXPECT_TRUE(DecodeRequest(Service("kms"), JsonRequest("TrentService.ListKeys", in_string)).ok());
}

TEST(JsonDecodeTest, DocumentMembersPassThrough) {
  const ServiceModel& hub = Service("securityhub");
  // OcsfFinding is a document shape; any JSON goes through unchanged.
  const Shape* doc = hub.FindShape("OcsfFinding");
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(doc->document);
}

TEST(JsonEncodeTest, EncodesOutput) {
  const ServiceModel& kms = Service("kms");
  const OperationModel* op = kms.FindOperation("DescribeKey");
  json out = {{"KeyMetadata",
               {{"KeyId", "1234"},
                {"CreationDate", 1700000000.25},
                {"Enabled", true},
                {"KeySpec", "SYMMETRIC_DEFAULT"},
                {"EncryptionAlgorithms", {"SYMMETRIC_DEFAULT"}},
                {"Internal", "must not leak"}}},
              {"NotInModel", 1}};
  http::Response resp;
  EncodeResult(kms, *op, out, "req-1", &resp);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.Header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(resp.Header("x-amzn-RequestId"), "req-1");
  json body = json::parse(resp.body);
  EXPECT_EQ(body, json::parse(R"({"KeyMetadata":{"KeyId":"1234","CreationDate":1700000000.25,
      "Enabled":true,"KeySpec":"SYMMETRIC_DEFAULT","EncryptionAlgorithms":["SYMMETRIC_DEFAULT"]}})"));
}

TEST(JsonEncodeTest, BlobsAndTimestamps) {
  const ServiceModel& kms = Service("kms");
  const OperationModel* op = kms.FindOperation("Decrypt");
  std::string raw("\x00\x01\xff", 3);
  json out = {{"KeyId", "k"},
              {"Plaintext", json::binary(json::binary_t::container_type(raw.begin(), raw.end()))}};
  http::Response resp;
  EncodeResult(kms, *op, out, "r", &resp);
  EXPECT_EQ(json::parse(resp.body)["Plaintext"], "AAH/");

  // Strings of raw bytes are accepted for blobs, and ISO strings for timestamps.
  out["Plaintext"] = std::string("hi");
  EncodeResult(kms, *op, out, "r", &resp);
  EXPECT_EQ(json::parse(resp.body)["Plaintext"], "aGk=");

  const OperationModel* describe = kms.FindOperation("DescribeKey");
  EncodeResult(kms, *describe,
               {{"KeyMetadata", {{"KeyId", "k"}, {"CreationDate", "2024-01-02T03:04:05Z"}}}}, "r",
               &resp);
  EXPECT_EQ(json::parse(resp.body)["KeyMetadata"]["CreationDate"], 1704164645);
}

TEST(JsonEncodeTest, NoOutputShapeGivesEmptyObject) {
  const ServiceModel& kms = Service("kms");
  const OperationModel* op = kms.FindOperation("EnableKey");
  ASSERT_EQ(op->output(), nullptr);
  http::Response resp;
  EncodeResult(kms, *op, json::object(), "r", &resp);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "{}");
}

TEST(JsonEncodeTest, InvalidUtf8InOutputDoesNotThrow) {
  const ServiceModel& kms = Service("kms");
  http::Response resp;
  EncodeResult(kms, *kms.FindOperation("DescribeKey"),
               {{"KeyMetadata", {{"KeyId", std::string("\xff\xfe")}}}}, "r", &resp);
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(json::accept(resp.body));
}

TEST(JsonRoundTripTest, DecodeOfEncodedInputIsIdentity) {
  // Encode a decoded input with the input shape, decode again: same value.
  const ServiceModel& sm = Service("secretsmanager");
  auto r = DecodeRequest(sm, JsonRequest("secretsmanager.CreateSecret",
                                         R"({"Name":"n","SecretBinary":"AAEC","Tags":[
                                            {"Key":"k","Value":"v"}],"ForceOverwriteReplicaSecret":true,
                                            "AddReplicaRegions":[{"Region":"us-east-1"}]})"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->input["Tags"][0]["Key"], "k");
  EXPECT_EQ(r->input["ForceOverwriteReplicaSecret"], true);
  EXPECT_EQ(r->input["SecretBinary"].get_binary().size(), 3u);
}

}  // namespace
}  // namespace bulwark::protocol
