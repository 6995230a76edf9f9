#include <gtest/gtest.h>

#include "protocol/protocol.h"
#include "test_util.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;
using testing::RestRequest;
using testing::Service;

TEST(RestJsonDecodeTest, RoutesByMethodAndTemplate) {
  const ServiceModel& gd = Service("guardduty");
  struct Case {
    const char* method;
    const char* target;
    const char* op;
  } cases[] = {
      {"GET", "/detector", "ListDetectors"},
      {"POST", "/detector", "CreateDetector"},
      {"GET", "/detector/abc", "GetDetector"},
      {"GET", "/detector/abc/", "GetDetector"},
      {"DELETE", "/detector/abc", "DeleteDetector"},
      {"POST", "/detector/abc/findings", "ListFindings"},
      {"POST", "/detector/abc/findings/get", "GetFindings"},
      {"POST", "/detector/abc/findings/archive", "ArchiveFindings"},
      {"GET", "/tags/arn%3Aaws%3Aguardduty%3A%3A1%3Adetector%2Fabc", "ListTagsForResource"},
  };
  for (const Case& c : cases) {
    auto r = DecodeRequest(gd, RestRequest(c.method, c.target));
    ASSERT_TRUE(r.ok()) << c.method << " " << c.target << ": " << r.status().message();
    EXPECT_EQ(r->operation->name(), c.op) << c.method << " " << c.target;
  }
  auto r =
      DecodeRequest(gd, RestRequest("GET", "/tags/arn%3Aaws%3Aguardduty%3A%3A1%3Adetector%2Fabc"));
  EXPECT_EQ(r->input["ResourceArn"], "arn:aws:guardduty::1:detector/abc");
}

TEST(RestJsonDecodeTest, NoRoute) {
  const ServiceModel& gd = Service("guardduty");
  for (auto [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"PATCH", "/detector"},
           {"GET", "/"},
           {"GET", "/nope"},
           {"GET", "/detector/a/b/c/d/e"},
           {"GET", "/detector//"},
           {"POST", "/detector/abc/findings/get/extra"},
           {"", ""}}) {
    auto r = DecodeRequest(gd, RestRequest(method, target));
    ASSERT_FALSE(r.ok()) << method << " " << target;
    EXPECT_EQ(r.status().kind(), ErrorKind::kNotFoundRoute) << method << " " << target;
  }
}

TEST(RestJsonDecodeTest, QueryStringBindings) {
  const ServiceModel& gd = Service("guardduty");
  auto r = DecodeRequest(gd, RestRequest("GET", "/detector?maxResults=10&nextToken=a%2Bb+c&x=1"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->input, json({{"MaxResults", 10}, {"NextToken", "a+b+c"}}));

  r = DecodeRequest(gd, RestRequest("DELETE", "/tags/arn1?tagKeys=a&tagKeys=b%20c"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->input, json({{"ResourceArn", "arn1"}, {"TagKeys", {"a", "b c"}}}));

  r = DecodeRequest(gd, RestRequest("GET", "/detector/%ff%fe"));
  EXPECT_EQ(r.status().kind(), ErrorKind::kSerialization);
  r = DecodeRequest(gd, RestRequest("GET", "/detector/%zz"));
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFoundRoute);

  for (std::string bad : {"/detector?maxResults=ten", "/detector?maxResults=%zz",
                          "/detector?maxResults=99999999999", "/detector?nextToken=%ff"}) {
    r = DecodeRequest(gd, RestRequest("GET", bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), ErrorKind::kSerialization) << bad;
  }
}

TEST(RestJsonDecodeTest, BodyMembersUseLocationNames) {
  const ServiceModel& gd = Service("guardduty");
  auto r = DecodeRequest(gd, RestRequest("POST", "/detector",
                                         R"({"enable":true,"findingPublishingFrequency":"SIX_HOURS",
                                             "tags":{"a":"b"},"Enable":false})"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->input, json({{"Enable", true},
                            {"FindingPublishingFrequency", "SIX_HOURS"},
                            {"Tags", {{"a", "b"}}}}));
  r = DecodeRequest(gd, RestRequest("POST", "/detector", R"({"enable":"yes"})"));
  EXPECT_EQ(r.status().kind(), ErrorKind::kSerialization);
  r = DecodeRequest(gd, RestRequest("POST", "/detector", R"([1])"));
  EXPECT_EQ(r.status().kind(), ErrorKind::kSerialization);
  r = DecodeRequest(gd, RestRequest("POST", "/detector", std::string(1000, '{')));
  EXPECT_EQ(r.status().kind(), ErrorKind::kSerialization);
}

TEST(RestJsonDecodeTest, GreedyLabelsAndSpecificity) {
  const ServiceModel& hub = Service("securityhub");
  auto r = DecodeRequest(
      hub,
      RestRequest("GET", "/insights/results/arn:aws:securityhub:us-east-1:1:insight/1/custom/x"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->operation->name(), "GetInsightResults");
  EXPECT_EQ(r->input["InsightArn"], "arn:aws:securityhub:us-east-1:1:insight/1/custom/x");

  r = DecodeRequest(hub, RestRequest("DELETE", "/insights/arn:aws:securityhub:::insight/a/b"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->operation->name(), "DeleteInsight");
  EXPECT_EQ(r->input["InsightArn"], "arn:aws:securityhub:::insight/a/b");
}

// A synthetic model exercising bindings the embedded models use little or not at all.
constexpr const char* kTestModel = R"({
  "metadata": {"protocol": "rest-json", "apiVersion": "2020-01-01", "signingName": "test",
               "endpointPrefix": "test"},
  "operations": {
    "PutThing": {"name": "PutThing", "http": {"method": "PUT", "requestUri": "/things/{Name}?v=2",
                 "responseCode": 201},
                 "input": {"shape": "PutThingRequest"}, "output": {"shape": "PutThingResponse"}},
    "PutThingV1": {"name": "PutThingV1", "http": {"method": "PUT", "requestUri": "/things/{Name}"},
                 "input": {"shape": "PutThingRequest"}},
    "GetBlob": {"name": "GetBlob", "http": {"method": "GET", "requestUri": "/blobs/{Key+}"},
                "input": {"shape": "GetBlobRequest"}, "output": {"shape": "GetBlobResponse"}},
    "PutBlob": {"name": "PutBlob", "http": {"method": "POST", "requestUri": "/blobs/{Key+}"},
                "input": {"shape": "PutBlobRequest"}}
  },
  "shapes": {
    "PutThingRequest": {"type": "structure", "required": ["Name"], "members": {
      "Name": {"shape": "Str", "location": "uri", "locationName": "Name"},
      "Count": {"shape": "Int", "location": "header", "locationName": "x-count"},
      "Flag": {"shape": "Bool", "location": "querystring", "locationName": "flag"},
      "When": {"shape": "Time", "location": "header", "locationName": "x-when"},
      "Meta": {"shape": "StrMap", "location": "headers", "locationName": "x-meta-"},
      "Extra": {"shape": "StrMap", "location": "querystring"},
      "Body": {"shape": "Str", "locationName": "body"},
      "Stamp": {"shape": "IsoTime", "locationName": "stamp"}}},
    "PutThingResponse": {"type": "structure", "members": {
      "ETag": {"shape": "Str", "location": "header", "locationName": "ETag"},
      "Modified": {"shape": "Time", "location": "header", "locationName": "Last-Modified"},
      "Code": {"shape": "Int", "location": "statusCode"},
      "Meta": {"shape": "StrMap", "location": "headers", "locationName": "x-meta-"},
      "Stamp": {"shape": "IsoTime", "locationName": "stamp"},
      "Epoch": {"shape": "Time", "locationName": "epoch"},
      "Data": {"shape": "Blob", "locationName": "data"}}},
    "GetBlobRequest": {"type": "structure", "members": {
      "Key": {"shape": "Str", "location": "uri", "locationName": "Key"}}},
    "GetBlobResponse": {"type": "structure", "payload": "Data", "members": {
      "Data": {"shape": "Blob"},
      "Type": {"shape": "Str", "location": "header", "locationName": "Content-Type"}}},
    "PutBlobRequest": {"type": "structure", "payload": "Data", "members": {
      "Key": {"shape": "Str", "location": "uri", "locationName": "Key"},
      "Data": {"shape": "Blob"}}},
    "Str": {"type": "string"},
    "Int": {"type": "integer"},
    "Bool": {"type": "boolean"},
    "Blob": {"type": "blob"},
    "Time": {"type": "timestamp"},
    "IsoTime": {"type": "timestamp", "timestampFormat": "iso8601"},
    "StrMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}}
  }
})";

TEST(RestJsonSyntheticTest, HeadersQueryMapsAndStaticQuery) {
  ServiceModel model("test", kTestModel);
  ASSERT_TRUE(model.valid());
  http::Request req = RestRequest("PUT", "/things/n%201?v=2&flag=true&a=1&b=2",
                                  R"({"body":"hello","stamp":"2024-01-02T03:04:05Z"})");
  req.headers.emplace_back("X-Count", "42");
  req.headers.emplace_back("x-when", "Tue, 02 Jan 2024 03:04:05 GMT");
  req.headers.emplace_back("X-Meta-Color", "blue");
  auto r = DecodeRequest(model, req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->operation->name(), "PutThing");  // the static "?v=2" route is more specific
  EXPECT_EQ(r->input, json::parse(R"({"Name":"n 1","Count":42,"Flag":true,"When":1704164645,
      "Meta":{"Color":"blue"},"Extra":{"a":"1","b":"2"},"Body":"hello","Stamp":1704164645})"));

  r = DecodeRequest(model, RestRequest("PUT", "/things/n1"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->operation->name(), "PutThingV1");

  req = RestRequest("PUT", "/things/n1");
  req.headers.emplace_back("x-count", "many");
  EXPECT_EQ(DecodeRequest(model, req).status().kind(), ErrorKind::kSerialization);
  req = RestRequest("PUT", "/things/n1");
  req.headers.emplace_back("x-when", "someday");
  EXPECT_EQ(DecodeRequest(model, req).status().kind(), ErrorKind::kSerialization);
}

TEST(RestJsonSyntheticTest, BlobPayloads) {
  ServiceModel model("test", kTestModel);
  http::Request req = RestRequest("POST", "/blobs/a/b/c.txt", std::string("\x00\xffraw", 5));
  auto r = DecodeRequest(model, req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->input["Key"], "a/b/c.txt");
  ASSERT_TRUE(r->input["Data"].is_binary());
  EXPECT_EQ(r->input["Data"].get_binary().size(), 5u);

  http::Response resp;
  std::string raw("\x01\x02", 2);
  EncodeResult(model, *model.FindOperation("GetBlob"),
               {{"Data", json::binary(json::binary_t::container_type(raw.begin(), raw.end()))},
                {"Type", "text/plain"}},
               "rid", &resp);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, raw);
  EXPECT_EQ(resp.Header("x-amzn-RequestId"), "rid");
}

TEST(RestJsonSyntheticTest, EncodesHeadersStatusAndBody) {
  ServiceModel model("test", kTestModel);
  http::Response resp;
  EncodeResult(model, *model.FindOperation("PutThing"),
               {{"ETag", "\"abc\"\r\nInjected: yes"},
                {"Modified", 1704164645},
                {"Meta", {{"Color", "blue"}}},
                {"Stamp", 1704164645.5},
                {"Epoch", 1704164645},
                {"Data", std::string("hi")}},
               "rid", &resp);
  EXPECT_EQ(resp.status, 201);
  EXPECT_EQ(resp.Header("ETag"), "\"abc\"  Injected: yes");
  EXPECT_EQ(resp.Header("Last-Modified"), "Tue, 02 Jan 2024 03:04:05 GMT");
  EXPECT_EQ(resp.Header("x-meta-Color"), "blue");
  EXPECT_EQ(resp.Header("Content-Type"), "application/json");
  EXPECT_EQ(
      json::parse(resp.body),
      json::parse(R"({"stamp":"2024-01-02T03:04:05.500Z","epoch":1704164645,"data":"aGk="})"));

  EncodeResult(model, *model.FindOperation("PutThing"), {{"Code", 202}}, "rid", &resp);
  EXPECT_EQ(resp.status, 202);
  EncodeResult(model, *model.FindOperation("PutThing"), {{"Code", 9999}}, "rid", &resp);
  EXPECT_EQ(resp.status, 201);
}

TEST(RestJsonEncodeTest, GuardDutyResponse) {
  const ServiceModel& gd = Service("guardduty");
  http::Response resp;
  EncodeResult(gd, *gd.FindOperation("CreateDetector"), {{"DetectorId", "d1"}}, "rid", &resp);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(json::parse(resp.body), json({{"detectorId", "d1"}}));

  EncodeResult(gd, *gd.FindOperation("TagResource"), json::object(), "rid", &resp);
  EXPECT_EQ(resp.status, 204);
}

}  // namespace
}  // namespace bulwark::protocol
