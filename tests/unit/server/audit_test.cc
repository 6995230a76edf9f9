// Audit records: AWS's record shape for each kind of caller, secrets never recorded,
// cross-account copies, and the values as CloudTrail writes them.
#include "server/audit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "protocol/protocol.h"
#include "services/cloudtrail/event_log.h"

namespace bulwark::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kMarker[] = "MARKER-7f3a9c-secret";

const protocol::Shape* InputOf(std::string_view service, std::string_view op) {
  const protocol::ServiceModel* model = protocol::ModelRegistry::Instance().Find(service);
  EXPECT_NE(model, nullptr);
  const protocol::OperationModel* o = model->FindOperation(op);
  EXPECT_NE(o, nullptr);
  return o->input();
}

const protocol::Shape* OutputOf(std::string_view service, std::string_view op) {
  return protocol::ModelRegistry::Instance().Find(service)->FindOperation(op)->output();
}

json View(const protocol::Shape* shape, const json& value) {
  std::string text;
  AppendAuditValue(shape, value, &text);
  return json::parse(text);  // throws (fails) on invalid JSON
}

TEST(AuditValueTest, BlobsAreLeftOutAndNamesLowerCamelCased) {
  json input = {{"KeyId", "alias/app"},
                {"Plaintext", json::binary({'s', 'e', 'c'})},
                {"EncryptionContext", {{"Dept", "HR"}}},
                {"GrantTokens", {"t1"}}};
  json v = View(InputOf("kms", "Encrypt"), input);
  EXPECT_EQ(v, (json{{"keyId", "alias/app"},
                     {"encryptionContext", {{"Dept", "HR"}}},
                     {"grantTokens", {"t1"}}}));
}

TEST(AuditValueTest, SensitiveMembersAreHidden) {
  // A SecureString's value (a sensitive shape in the SSM model).
  json v = View(InputOf("ssm", "PutParameter"),
                {{"Name", "/app/db"}, {"Value", kMarker}, {"Type", "SecureString"}});
  EXPECT_EQ(v["value"], "HIDDEN_DUE_TO_SECURITY_REASONS");
  EXPECT_EQ(v["name"], "/app/db");
  // A secret string, and an STS session token (not sensitive in the model).
  v = View(InputOf("secretsmanager", "PutSecretValue"),
           {{"SecretId", "s"}, {"SecretString", kMarker}});
  EXPECT_EQ(v["secretString"], "HIDDEN_DUE_TO_SECURITY_REASONS");
  v = View(OutputOf("sts", "AssumeRole"), {{"Credentials",
                                            {{"AccessKeyId", "ASIAEXAMPLE"},
                                             {"SecretAccessKey", kMarker},
                                             {"SessionToken", kMarker},
                                             {"Expiration", 1796323206}}}});
  EXPECT_EQ(v["credentials"]["accessKeyId"], "ASIAEXAMPLE");
  EXPECT_EQ(v["credentials"]["sessionToken"], "HIDDEN_DUE_TO_SECURITY_REASONS");
  EXPECT_EQ(v["credentials"]["secretAccessKey"], "HIDDEN_DUE_TO_SECURITY_REASONS");
  EXPECT_EQ(v["credentials"]["expiration"], "2026-12-03T18:40:06Z");
  // An IAM user's password.
  v = View(InputOf("iam", "CreateLoginProfile"), {{"UserName", "bob"}, {"Password", kMarker}});
  EXPECT_EQ(v["password"], "HIDDEN_DUE_TO_SECURITY_REASONS");
  EXPECT_EQ(v.dump().find(kMarker), std::string::npos);
}

TEST(AuditValueTest, HostileStringsStayValidJsonAndHugeValuesBecomeNull) {
  json v = View(InputOf("kms", "CreateKey"), {{"Description", "a\"b\n\x01"}});
  EXPECT_EQ(v["description"], "a\"b\n\x01");
  v = View(InputOf("kms", "CreateKey"), {{"Description", std::string(kMaxAuditValueBytes, 'x')}});
  EXPECT_TRUE(v.is_null());
}

class AuditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bulwark-audit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    cloudtrail::EventLog::Options options;
    options.dir = dir_.string();
    log_ = std::move(cloudtrail::EventLog::Open(options)).value();
    ctx_.request_id = "req-1";
    ctx_.region = "eu-west-1";
    ctx_.operation = "Decrypt";
    ctx_.source_ip = "192.0.2.7";
    ctx_.user_agent = "aws-cli/2";
  }
  void TearDown() override {
    log_.reset();
    fs::remove_all(dir_);
  }

  // The records written, newest first, with their index.
  std::vector<std::pair<cloudtrail::EventIndex, json>> Records() {
    EXPECT_TRUE(log_->Flush().ok());
    std::vector<std::pair<cloudtrail::EventIndex, json>> out;
    EXPECT_TRUE(
        log_->ScanBackward({}, "",
                           [&](const cloudtrail::EventView& e, const cloudtrail::Position&) {
                             cloudtrail::EventIndex x;
                             x.account = e.account;
                             x.username = e.username;
                             x.read_only = e.read_only;
                             x.event_id = e.event_id;
                             out.emplace_back(x, json::parse(e.record));
                             return true;
                           })
            .ok());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<cloudtrail::EventLog> log_;
  RequestContext ctx_;
};

TEST_F(AuditorTest, AssumedRoleWithMfaAndAnError) {
  ctx_.caller.type = Principal::Type::kAssumedRole;
  ctx_.caller.account_id = "111122223333";
  ctx_.caller.arn = "arn:aws:sts::111122223333:assumed-role/admin/s1";
  ctx_.caller.user_id = "AROAEXAMPLEID:s1";
  ctx_.caller.access_key_id = "ASIAEXAMPLE";
  ctx_.caller.session.issued = 1796320800;
  ctx_.caller.session.mfa_authenticated = true;
  ctx_.caller.session.role_arn = "arn:aws:iam::111122223333:role/ops/admin";
  ctx_.caller.session.session_name = "s1";
  ctx_.resource_arns = {"arn:aws:kms:eu-west-1:111122223333:key/k1"};
  AuditFacts facts;
  facts.event_source = "kms.amazonaws.com";
  facts.authenticated = true;
  facts.known_operation = true;
  facts.request_parameters = R"({"keyId":"k1"})";
  facts.error_code = "AccessDeniedException";
  facts.error_message = "denied";
  Auditor auditor(log_.get());
  ASSERT_TRUE(auditor.Record(ctx_, facts, 1796323206123).ok());
  auto records = Records();
  ASSERT_EQ(records.size(), 1u);
  const json& r = records[0].second;
  EXPECT_EQ(r["eventVersion"], "1.11");
  EXPECT_EQ(r["eventTime"], "2026-12-03T18:40:06Z");
  EXPECT_EQ(r["eventSource"], "kms.amazonaws.com");
  EXPECT_EQ(r["eventName"], "Decrypt");
  EXPECT_EQ(r["awsRegion"], "eu-west-1");
  EXPECT_EQ(r["sourceIPAddress"], "192.0.2.7");
  EXPECT_EQ(r["userAgent"], "aws-cli/2");
  EXPECT_EQ(r["errorCode"], "AccessDeniedException");
  EXPECT_EQ(r["errorMessage"], "denied");
  EXPECT_EQ(r["requestParameters"], (json{{"keyId", "k1"}}));
  EXPECT_TRUE(r["responseElements"].is_null());
  EXPECT_EQ(r["requestID"], "req-1");
  EXPECT_EQ(r["eventID"], records[0].first.event_id);
  EXPECT_EQ(r["readOnly"], true);
  EXPECT_EQ(r["eventType"], "AwsApiCall");
  EXPECT_EQ(r["managementEvent"], true);
  EXPECT_EQ(r["recipientAccountId"], "111122223333");
  EXPECT_EQ(r["eventCategory"], "Management");
  EXPECT_EQ(r["resources"],
            (json::array({{{"accountId", "111122223333"},
                           {"type", "AWS::KMS::Key"},
                           {"ARN", "arn:aws:kms:eu-west-1:111122223333:key/k1"}}})));
  const json& id = r["userIdentity"];
  EXPECT_EQ(id["type"], "AssumedRole");
  EXPECT_EQ(id["principalId"], "AROAEXAMPLEID:s1");
  EXPECT_EQ(id["arn"], "arn:aws:sts::111122223333:assumed-role/admin/s1");
  EXPECT_EQ(id["accessKeyId"], "ASIAEXAMPLE");
  EXPECT_EQ(id["sessionContext"]["sessionIssuer"],
            (json{{"type", "Role"},
                  {"principalId", "AROAEXAMPLEID"},
                  {"arn", "arn:aws:iam::111122223333:role/ops/admin"},
                  {"accountId", "111122223333"},
                  {"userName", "admin"}}));
  EXPECT_EQ(id["sessionContext"]["attributes"],
            (json{{"creationDate", "2026-12-03T18:00:00Z"}, {"mfaAuthenticated", "true"}}));
  EXPECT_EQ(records[0].first.username, "s1");
  EXPECT_TRUE(records[0].first.read_only);
}

TEST_F(AuditorTest, CrossAccountResourceGetsACopyInItsOwnersAccount) {
  ctx_.caller.type = Principal::Type::kIAMUser;
  ctx_.caller.account_id = "111122223333";
  ctx_.caller.arn = "arn:aws:iam::111122223333:user/dev/alice";
  ctx_.caller.user_id = "AIDAEXAMPLE";
  ctx_.caller.access_key_id = "AKIAEXAMPLE";
  ctx_.resource_arns = {"arn:aws:kms:eu-west-1:444455556666:key/k2"};
  AuditFacts facts;
  facts.event_source = "kms.amazonaws.com";
  facts.known_operation = true;
  facts.mutates = true;
  Auditor auditor(log_.get());
  ASSERT_TRUE(auditor.Record(ctx_, facts, 1796323206000).ok());
  auto records = Records();
  ASSERT_EQ(records.size(), 2u);
  const json& own = records[0].second;  // written last
  const json& theirs = records[1].second;
  EXPECT_EQ(own["recipientAccountId"], "111122223333");
  EXPECT_EQ(own["userIdentity"]["type"], "IAMUser");
  EXPECT_EQ(own["userIdentity"]["userName"], "alice");
  EXPECT_FALSE(own["userIdentity"].contains("sessionContext"));
  EXPECT_EQ(own["readOnly"], false);
  EXPECT_EQ(theirs["recipientAccountId"], "444455556666");
  EXPECT_EQ(theirs["userIdentity"], (json{{"type", "AWSAccount"},
                                          {"principalId", "AIDAEXAMPLE"},
                                          {"accountId", "111122223333"}}));
  EXPECT_EQ(own["sharedEventID"], theirs["sharedEventID"]);
  EXPECT_NE(own["eventID"], theirs["eventID"]);
  EXPECT_EQ(records[1].first.account, "444455556666");
}

TEST_F(AuditorTest, UnknownCallerAndRootAndWebIdentity) {
  AuditFacts facts;
  facts.access_key_id = "AKIANOSUCHKEY";
  facts.error_code = "InvalidClientTokenId";
  Auditor auditor(log_.get());
  ASSERT_TRUE(auditor.Record(ctx_, facts, 1796323206000).ok());
  ctx_.caller.type = Principal::Type::kRoot;
  ctx_.caller.account_id = "111122223333";
  ctx_.caller.arn = "arn:aws:iam::111122223333:root";
  ctx_.caller.user_id = "111122223333";
  ASSERT_TRUE(auditor.Record(ctx_, AuditFacts(), 1796323206000).ok());
  AuditFacts web;
  web.unsigned_identity = UnsignedCallerIdentity(
      "AssumeRoleWithWebIdentity",
      {{"SubjectFromWebIdentityToken", "sub-1"}, {"Provider", "idp.example"}, {"Audience", "app"}});
  web.account = "444455556666";
  ctx_.caller = Principal();
  ASSERT_TRUE(auditor.Record(ctx_, web, 1796323206000).ok());
  auto records = Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].second["userIdentity"],
            (json{{"type", "Unknown"}, {"accessKeyId", "AKIANOSUCHKEY"}}));
  EXPECT_FALSE(records[2].second.contains("recipientAccountId"));
  EXPECT_EQ(records[2].first.account, "");
  EXPECT_EQ(records[1].second["userIdentity"]["type"], "Root");
  EXPECT_EQ(records[1].first.username, "root");
  EXPECT_EQ(records[0].second["userIdentity"], (json{{"type", "WebIdentityUser"},
                                                     {"principalId", "idp.example:app:sub-1"},
                                                     {"userName", "sub-1"},
                                                     {"identityProvider", "idp.example"}}));
  EXPECT_EQ(records[0].second["recipientAccountId"], "444455556666");
}

}  // namespace
}  // namespace bulwark::server
