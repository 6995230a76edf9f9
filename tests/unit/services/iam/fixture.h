// A test fixture for IAM's handlers: a fresh SQLite store in a temporary directory, a
// service environment with a settable clock, and request contexts for the account's
// root user (or one of its IAM users). Handlers are called directly with their decoded
// JSON input, as the protocol layer would call them.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::iam::testutil {

inline constexpr std::string_view kAccount = "123456789012";
// 2024-01-02T03:04:05Z: fixed, so that CreateDate can be compared.
inline constexpr int64_t kNow = 1704164645;

// "Code: message" of a service error, "kind N: message" of any other.
inline std::string Describe(const Status& status) {
  if (status.ok()) return "OK";
  if (status.kind() == ErrorKind::kService) return status.code() + ": " + status.message();
  return "kind " + std::to_string(static_cast<int>(status.kind())) + ": " + status.message();
}

class IamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/bulwark_iam_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
    auto store = storage::OpenSqlite(dir_ + "/kv.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    env_.store = store_.get();
    env_.now_unix = [this] { return now_; };
  }

  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A request of the account's root user.
  RequestContext MakeContext() {
    RequestContext ctx;
    ctx.request_id = "00000000-0000-4000-8000-000000000000";
    ctx.region = "us-east-1";
    ctx.service = "iam";
    ctx.caller.type = Principal::Type::kRoot;
    ctx.caller.account_id = std::string(kAccount);
    ctx.caller.arn = "arn:aws:iam::" + std::string(kAccount) + ":root";
    ctx.caller.user_id = std::string(kAccount);
    ctx.env = &env_;
    return ctx;
  }

  // A request of the IAM user `name` (path /).
  RequestContext MakeUserContext(std::string_view name) {
    RequestContext ctx = MakeContext();
    ctx.caller.type = Principal::Type::kIAMUser;
    ctx.caller.arn = "arn:aws:iam::" + std::string(kAccount) + ":user/" + std::string(name);
    ctx.caller.user_id = "AIDAAAAAAAAAAAAAAAAA";
    return ctx;
  }

  // Calls a handler as the root user.
  Result<Json> Call(OperationHandler handler, const Json& input) {
    RequestContext ctx = MakeContext();
    return handler(ctx, input);
  }

  // Calls a handler that must succeed and returns its output (null after a failure,
  // which is reported at the caller's line through `where`).
  Json Ok(OperationHandler handler, const Json& input, std::string_view where = "") {
    Result<Json> result = Call(handler, input);
    if (!result.ok()) {
      ADD_FAILURE() << where << " input " << input.dump()
                    << " failed: " << Describe(result.status());
      return Json();
    }
    return std::move(result).value();
  }

  // The AWS error code of a failed call ("" when it succeeded or is not a service error).
  static std::string Code(const Result<Json>& result) {
    return result.ok() || result.status().kind() != ErrorKind::kService ? std::string()
                                                                        : result.status().code();
  }

  ServiceEnvironment& env() { return env_; }
  storage::KvStore& store() { return *store_; }
  void set_now(int64_t now) { now_ = now; }
  // The SQLite file behind store() (its WAL is db_path() + "-wal").
  std::string db_path() const { return dir_ + "/kv.db"; }

 private:
  std::string dir_;
  std::unique_ptr<storage::KvStore> store_;
  ServiceEnvironment env_;
  int64_t now_ = kNow;
};

// EXPECT_TRUE(IsError(result, "NoSuchEntity")) or, with the exact message,
// EXPECT_TRUE(IsError(result, "NoSuchEntity", "The user with name bob cannot be found.")).
inline ::testing::AssertionResult IsError(const Result<Json>& result, std::string_view code,
                                          std::optional<std::string_view> message = {}) {
  if (result.ok()) {
    return ::testing::AssertionFailure()
           << "succeeded with " << result->dump() << ", expected " << code;
  }
  const Status& status = result.status();
  if (status.kind() != ErrorKind::kService || status.code() != code ||
      (message && status.message() != *message)) {
    return ::testing::AssertionFailure()
           << "failed with " << Describe(status) << ", expected " << code
           << (message ? ": " + std::string(*message) : std::string());
  }
  return ::testing::AssertionSuccess();
}

}  // namespace bulwark::iam::testutil
