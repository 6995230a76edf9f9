// The request pipeline in process, without a network: a real store, real credentials
// and real SigV4 signatures.
#include "server/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <string>

#include "auth/sigv4.h"
#include "core/secret.h"
#include "server/access_log.h"
#include "server/bootstrap.h"
#include "server/metrics.h"
#include "services/cloudtrail/event_log.h"
#include "storage/kv.h"

namespace bulwark::server {
namespace {

constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bulwark-pipeline-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    DataDirOptions options;
    options.path = dir_.string();
    auto opened = OpenDataDir(options);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    data_ = std::move(opened).value();
    secret_ = std::string(data_.new_root_secret.view());
    env_.store = data_.store.get();
    env_.sealer = data_.sealer.get();
    env_.credentials = data_.credentials.get();
    env_.now_unix = [] { return kNow; };
    auto log = AccessLog::Open("off");
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
    metrics_ = std::make_unique<Metrics>(Registry::Default());
    pipeline_ = std::make_unique<Pipeline>(Registry::Default(), &env_, data_.credentials.get(),
                                           metrics_.get(), log_.get());
    pipeline_->SetReady(true);
  }
  void TearDown() override {
    pipeline_.reset();
    data_.store.reset();
    std::filesystem::remove_all(dir_);
  }

  // A Query request signed in the Authorization header.
  http::Request SignedStsRequest(std::string body, const std::string& secret, int64_t when = kNow,
                                 const char* service = "sts") {
    http::Request req;
    req.method = "POST";
    req.target = "/";
    req.body = std::move(body);
    req.remote_addr = "127.0.0.1";
    req.headers = {{"Host", "127.0.0.1:4566"},
                   {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    sigv4::SignRequest(&req, data_.root_access_key_id, secret, "us-east-1", service, when);
    return req;
  }

  std::filesystem::path dir_;
  DataDir data_;
  std::string secret_;
  ServiceEnvironment env_;
  std::unique_ptr<AccessLog> log_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, GetCallerIdentityAnswersWithTheRootUser) {
  http::Request req = SignedStsRequest("Action=GetCallerIdentity&Version=2011-06-15", secret_);
  http::Response resp = pipeline_->Handle(req);
  ASSERT_EQ(resp.status, 200) << resp.body;
  EXPECT_NE(resp.body.find("<GetCallerIdentityResult>"), std::string::npos);
  EXPECT_NE(resp.body.find("<Account>" + data_.account_id + "</Account>"), std::string::npos);
  EXPECT_NE(resp.body.find("arn:aws:iam::" + data_.account_id + ":root"), std::string::npos);
  EXPECT_EQ(resp.Header("x-amzn-RequestId").size(), 36u);
  EXPECT_NE(metrics_->Render().find("operation=\"GetCallerIdentity\",code=\"2xx\"} 1"),
            std::string::npos);
}

// A mutating call whose audit record cannot be written fails, with InternalFailure; a
// read's record is written later, so the read answers.
TEST_F(PipelineTest, MutationFailsWhenItsAuditRecordCannotBeWritten) {
  auto journal = cloudtrail::EventLog::Open({(dir_ / "events").string()});
  ASSERT_TRUE(journal.ok());
  env_.audit_log = journal->get();
  pipeline_ = std::make_unique<Pipeline>(Registry::Default(), &env_, data_.credentials.get(),
                                         metrics_.get(), log_.get());
  pipeline_->SetReady(true);
  // This hour's journal file (and the next's) cannot be opened: they are directories.
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (int64_t h : {0, 1}) {
    std::filesystem::create_directories(dir_ / "events" /
                                        cloudtrail::EventLog::SegmentOf(now_ms + h * 3600000));
  }
  http::Request read = SignedStsRequest("Action=GetCallerIdentity&Version=2011-06-15", secret_);
  EXPECT_EQ(pipeline_->Handle(read).status, 200);
  http::Request write =
      SignedStsRequest("Action=CreateUser&Version=2010-05-08&UserName=u1", secret_, kNow, "iam");
  http::Response resp = pipeline_->Handle(write);
  EXPECT_EQ(resp.status, 500) << resp.body;
  EXPECT_NE(resp.body.find("InternalFailure"), std::string::npos) << resp.body;
  pipeline_.reset();
  env_.audit_log = nullptr;
}

// With async durability, a mutation's response comes back at once with `defer` set; the
// listener's callback gets nothing to change once the record is on disk, and an
// InternalFailure to send instead when it could not be written. Reads are not deferred.
TEST_F(PipelineTest, AsyncDurabilitySendsAMutationOnceItsRecordIsOnDisk) {
  auto journal = cloudtrail::EventLog::Open({(dir_ / "events").string()});
  ASSERT_TRUE(journal.ok());
  env_.audit_log = journal->get();
  pipeline_ = std::make_unique<Pipeline>(Registry::Default(), &env_, data_.credentials.get(),
                                         metrics_.get(), log_.get());
  pipeline_->SetReady(true);
  pipeline_->SetAsyncDurability(true);
  const auto settle = [](http::Response& resp) {
    std::promise<std::optional<http::Response>> sent;
    resp.defer([&](std::optional<http::Response> instead) { sent.set_value(std::move(instead)); });
    auto result = sent.get_future();
    EXPECT_EQ(result.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return result.get();
  };

  http::Request read = SignedStsRequest("Action=GetCallerIdentity&Version=2011-06-15", secret_);
  http::Response answer = pipeline_->Handle(read);
  EXPECT_EQ(answer.status, 200);
  EXPECT_FALSE(answer.defer);

  http::Request write =
      SignedStsRequest("Action=CreateUser&Version=2010-05-08&UserName=u1", secret_, kNow, "iam");
  http::Response made = pipeline_->Handle(write);
  EXPECT_EQ(made.status, 200) << made.body;
  ASSERT_TRUE(made.defer);
  EXPECT_FALSE(settle(made).has_value());
  // On disk before the callback ran: read back without a Flush.
  std::string journal_text;
  for (const auto& f : std::filesystem::directory_iterator(dir_ / "events")) {
    std::ifstream in(f.path());
    journal_text.append(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(journal_text.find("\"eventName\":\"CreateUser\""), std::string::npos);

  // A journal whose files for this hour and the next cannot be opened: directories.
  pipeline_.reset();
  auto bad = cloudtrail::EventLog::Open({(dir_ / "bad-events").string()});
  ASSERT_TRUE(bad.ok());
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (int64_t h : {0, 1}) {
    std::filesystem::create_directories(dir_ / "bad-events" /
                                        cloudtrail::EventLog::SegmentOf(now_ms + h * 3600000));
  }
  env_.audit_log = bad->get();
  pipeline_ = std::make_unique<Pipeline>(Registry::Default(), &env_, data_.credentials.get(),
                                         metrics_.get(), log_.get());
  pipeline_->SetReady(true);
  pipeline_->SetAsyncDurability(true);
  http::Request refused =
      SignedStsRequest("Action=CreateUser&Version=2010-05-08&UserName=u2", secret_, kNow, "iam");
  http::Response pending = pipeline_->Handle(refused);
  ASSERT_TRUE(pending.defer);
  std::optional<http::Response> instead = settle(pending);
  ASSERT_TRUE(instead.has_value());
  EXPECT_EQ(instead->status, 500);
  EXPECT_NE(instead->body.find("InternalFailure"), std::string::npos) << instead->body;
  pipeline_.reset();
  env_.audit_log = nullptr;
}

TEST_F(PipelineTest, WrongSecretIsRefused) {
  http::Request req =
      SignedStsRequest("Action=GetCallerIdentity&Version=2011-06-15", std::string(40, 'x'));
  http::Response resp = pipeline_->Handle(req);
  EXPECT_EQ(resp.status, 403);
  EXPECT_NE(resp.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos);
  EXPECT_EQ(resp.body.find(secret_), std::string::npos);
}

TEST_F(PipelineTest, SkewedClockIsRefused) {
  http::Request req =
      SignedStsRequest("Action=GetCallerIdentity&Version=2011-06-15", secret_, kNow - 16 * 60);
  http::Response resp = pipeline_->Handle(req);
  EXPECT_EQ(resp.status, 403);
  EXPECT_NE(resp.body.find("Signature expired"), std::string::npos);
}

TEST_F(PipelineTest, UnsignedRequestIsRefused) {
  http::Request req;
  req.method = "POST";
  req.target = "/";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "Action=GetCallerIdentity&Version=2011-06-15";
  http::Response resp = pipeline_->Handle(req);
  EXPECT_EQ(resp.status, 403);
  EXPECT_NE(resp.body.find("MissingAuthenticationToken"), std::string::npos);
}

TEST_F(PipelineTest, UnimplementedOperationOfAKnownServiceIsInvalidAction) {
  http::Request req = SignedStsRequest(
      "Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=123456789012", secret_);
  http::Response resp = pipeline_->Handle(req);
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("<Code>InvalidAction</Code>"), std::string::npos);
}

TEST_F(PipelineTest, HealthAndRejection) {
  http::Request health;
  health.method = "GET";
  health.target = "/_bulwark/health";
  EXPECT_EQ(pipeline_->Handle(health).status, 200);
  pipeline_->SetReady(false);
  EXPECT_EQ(pipeline_->Handle(health).status, 503);

  http::Request big;
  big.method = "POST";
  big.target = "/";
  big.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  http::Response resp =
      pipeline_->Reject(big, Status(ErrorKind::kRequestEntityTooLarge, "too large"));
  EXPECT_EQ(resp.status, 413);
  EXPECT_NE(resp.body.find("RequestEntityTooLarge"), std::string::npos);
}

TEST_F(PipelineTest, ReopeningTheDataDirKeepsAccountAndCredentials) {
  std::string account = data_.account_id;
  std::string key_id = data_.root_access_key_id;
  pipeline_.reset();
  data_.store.reset();
  DataDirOptions options;
  options.path = dir_.string();
  auto reopened = OpenDataDir(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  EXPECT_EQ(reopened->account_id, account);
  EXPECT_EQ(reopened->root_access_key_id, key_id);
  EXPECT_TRUE(reopened->new_root_secret.empty());
  auto cred = reopened->credentials->Lookup(key_id);
  ASSERT_TRUE(cred.ok());
  ASSERT_TRUE(cred->has_value());
  EXPECT_EQ((*cred)->secret_access_key.view(), secret_);
  EXPECT_EQ((*cred)->principal.arn, "arn:aws:iam::" + account + ":root");
}

}  // namespace
}  // namespace bulwark::server
