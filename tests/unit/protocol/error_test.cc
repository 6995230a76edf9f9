#include <gtest/gtest.h>

#include "core/error_catalog.h"
#include "protocol/protocol.h"
#include "test_util.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;
using testing::Service;

TEST(EncodeErrorTest, JsonShape) {
  http::Response resp;
  EncodeError(&Service("kms"), Protocol::kJson,
              Status(ErrorKind::kValidation, "1 validation error detected: x"), "rid", &resp);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.Header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(resp.Header("x-amzn-RequestId"), "rid");
  EXPECT_EQ(json::parse(resp.body), json({{"__type", "ValidationException"},
                                          {"message", "1 validation error detected: x"}}));
}

TEST(EncodeErrorTest, JsonUnknownOperationHasNoMessage) {
  http::Response resp;
  EncodeError(&Service("kms"), Protocol::kJson, Status(ErrorKind::kUnknownOperation, ""), "r",
              &resp);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(json::parse(resp.body), json({{"__type", "UnknownOperationException"}}));
}

TEST(EncodeErrorTest, ServiceErrorsCarryTheirOwnCodeAndStatus) {
  http::Response resp;
  EncodeError(&Service("kms"), Protocol::kJson,
              Status::Service("NotFoundException", 400, "Key 'x' does not exist"), "r", &resp);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(json::parse(resp.body),
            json({{"__type", "NotFoundException"}, {"message", "Key 'x' does not exist"}}));

  EncodeError(&Service("iam"), Protocol::kQuery,
              Status::Service("NoSuchEntity", 404, "The user with name x cannot be found."), "r2",
              &resp);
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.Header("Content-Type"), "text/xml");
  EXPECT_EQ(resp.Header("x-amzn-RequestId"), "r2");
  EXPECT_EQ(resp.body,
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>"
            "<Type>Sender</Type><Code>NoSuchEntity</Code>"
            "<Message>The user with name x cannot be found.</Message></Error>"
            "<RequestId>r2</RequestId></ErrorResponse>");

  EncodeError(&Service("iam"), Protocol::kQuery,
              Status::Service("ServiceFailure", 500, "boom", /*sender_fault=*/false), "r", &resp);
  EXPECT_NE(resp.body.find("<Type>Receiver</Type>"), std::string::npos);
}

TEST(EncodeErrorTest, QueryUsesQueryCodes) {
  http::Response resp;
  EncodeError(
      &Service("sts"), Protocol::kQuery,
      Status(ErrorKind::kInvalidAction, "Could not find operation Nope for version 2011-06-15"),
      "r", &resp);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body,
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
            "<Type>Sender</Type><Code>InvalidAction</Code>"
            "<Message>Could not find operation Nope for version 2011-06-15</Message></Error>"
            "<RequestId>r</RequestId></ErrorResponse>");

  EncodeError(&Service("iam"), Protocol::kQuery, Status(ErrorKind::kAccessDenied, "User: x <y>"),
              "r", &resp);
  EXPECT_EQ(resp.status, 403);
  EXPECT_NE(resp.body.find("<Code>AccessDenied</Code><Message>User: x &lt;y&gt;</Message>"),
            std::string::npos);
}

TEST(EncodeErrorTest, RestJsonShape) {
  http::Response resp;
  EncodeError(&Service("guardduty"), Protocol::kRestJson,
              Status::Service("BadRequestException", 400, "The request is rejected."), "r", &resp);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.Header("x-amzn-ErrorType"), "BadRequestException");
  EXPECT_EQ(resp.Header("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(resp.body),
            json({{"__type", "BadRequestException"}, {"message", "The request is rejected."}}));
}

TEST(EncodeErrorTest, NullServiceUsesTheGivenProtocol) {
  http::Response resp;
  EncodeError(nullptr, Protocol::kQuery, Status(ErrorKind::kNotFoundRoute, ""), "r", &resp);
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.body.rfind("<ErrorResponse><Error>", 0), 0u) << resp.body;
  EncodeError(nullptr, Protocol::kJson, Status(ErrorKind::kMissingAuthenticationToken, ""), "r",
              &resp);
  EXPECT_EQ(resp.status, 403);
  EXPECT_EQ(resp.Header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(json::parse(resp.body)["__type"], "MissingAuthenticationTokenException");
  EXPECT_EQ(json::parse(resp.body)["message"], "Missing Authentication Token");
}

TEST(EncodeErrorTest, InternalFailureNeverLeaksDetails) {
  for (Protocol p : {Protocol::kJson, Protocol::kQuery, Protocol::kRestJson}) {
    http::Response resp;
    EncodeError(nullptr, p, Status(ErrorKind::kInternalFailure, "sqlite: disk I/O at /var/x"), "r",
                &resp);
    EXPECT_EQ(resp.status, 500);
    EXPECT_EQ(resp.body.find("sqlite"), std::string::npos);
    EXPECT_NE(resp.body.find("InternalFailure"), std::string::npos);
    EXPECT_NE(resp.body.find(std::string(LookupError(ErrorKind::kInternalFailure).default_message)),
              std::string::npos);
  }
  // An OK status passed by mistake is an internal failure too.
  http::Response resp;
  EncodeError(nullptr, Protocol::kJson, Status::Ok(), "r", &resp);
  EXPECT_EQ(resp.status, 500);
}

TEST(EncodeErrorTest, EveryCatalogueRowEncodesInEveryProtocol) {
  for (const ErrorRow& row : AllErrorRows()) {
    for (Protocol p : {Protocol::kJson, Protocol::kQuery, Protocol::kRestJson}) {
      http::Response resp;
      EncodeError(nullptr, p, Status(row.kind, ""), "rid", &resp);
      const bool query = p == Protocol::kQuery;
      EXPECT_EQ(resp.status, query ? row.query_status : row.json_status);
      EXPECT_EQ(resp.Header("x-amzn-RequestId"), "rid");
      if (query) {
        EXPECT_NE(resp.body.find("<Code>" + std::string(row.query_code) + "</Code>"),
                  std::string::npos);
        EXPECT_NE(
            resp.body.find(row.sender_fault ? "<Type>Sender</Type>" : "<Type>Receiver</Type>"),
            std::string::npos);
        EXPECT_NE(resp.body.find("<RequestId>rid</RequestId>"), std::string::npos);
      } else {
        json body = json::parse(resp.body);
        EXPECT_EQ(body["__type"], row.json_code);
        if (!row.default_message.empty()) {
          EXPECT_EQ(body["message"], row.default_message);
        }
        if (p == Protocol::kRestJson) {
          EXPECT_EQ(resp.Header("x-amzn-ErrorType"), row.json_code);
        }
      }
    }
  }
}

TEST(EncodeErrorTest, ReplacesEarlierHeaders) {
  http::Response resp;
  resp.SetHeader("x-amzn-ErrorType", "Stale");
  resp.SetHeader("x-amzn-RequestId", "old");
  EncodeError(&Service("kms"), Protocol::kJson, Status(ErrorKind::kThrottling, ""), "new", &resp);
  EXPECT_EQ(resp.Header("x-amzn-ErrorType"), "");
  EXPECT_EQ(resp.Header("x-amzn-RequestId"), "new");
  EXPECT_EQ(json::parse(resp.body)["message"], "Rate exceeded");
}

}  // namespace
}  // namespace bulwark::protocol
