// Status, Result<T> and the propagation macros.
#include "core/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace bulwark {
namespace {

TEST(StatusTest, DefaultAndOkAreOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kOk);
  EXPECT_TRUE(s.message().empty());
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, ErrorCarriesKindAndMessage) {
  Status s(ErrorKind::kValidation, "1 validation error detected");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kValidation);
  EXPECT_EQ(s.message(), "1 validation error detected");
}

TEST(StatusTest, ServiceErrorCarriesCodeStatusAndFault) {
  Status s = Status::Service("NoSuchEntity", 404, "The user with name bob cannot be found.");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kService);
  EXPECT_EQ(s.code(), "NoSuchEntity");
  EXPECT_EQ(s.http_status(), 404);
  EXPECT_TRUE(s.sender_fault());
  EXPECT_EQ(s.message(), "The user with name bob cannot be found.");

  Status server = Status::Service("KMSInternalException", 500, "internal", false);
  EXPECT_FALSE(server.sender_fault());
  EXPECT_EQ(server.http_status(), 500);
}

TEST(ResultTest, HoldsAValue) {
  Result<std::string> r(std::string("value"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(*r, "value");
  EXPECT_EQ(r->size(), 5u);
  EXPECT_EQ(r.value(), "value");
  std::string moved = std::move(r).value();
  EXPECT_EQ(moved, "value");
}

TEST(ResultTest, HoldsAnError) {
  Result<int> r(Status(ErrorKind::kAccessDenied, "denied"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kAccessDenied);
  EXPECT_EQ(r.status().message(), "denied");
}

TEST(ResultTest, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

// Helpers that exercise the macros in realistic shapes.
Status FailIf(bool fail) {
  if (fail) return Status(ErrorKind::kThrottling, "slow down");
  return Status::Ok();
}

Result<int> ParsePositive(int v) {
  if (v <= 0) return Status(ErrorKind::kValidation, "must be positive");
  return v;
}

int g_steps_after_error = 0;

Status Chain(bool fail) {
  RETURN_IF_ERROR(FailIf(fail));
  ++g_steps_after_error;
  return Status::Ok();
}

Result<int> Sum(int a, int b) {
  ASSIGN_OR_RETURN(int x, ParsePositive(a));
  ASSIGN_OR_RETURN(int y, ParsePositive(b));  // two uses on different lines
  return x + y;
}

Result<std::vector<int>> AssignToExisting(int a) {
  std::vector<int> out;
  int value = 0;
  ASSIGN_OR_RETURN(value, ParsePositive(a));
  out.push_back(value);
  return out;
}

TEST(MacrosTest, ReturnIfErrorPropagatesAndStops) {
  g_steps_after_error = 0;
  Status s = Chain(true);
  EXPECT_EQ(s.kind(), ErrorKind::kThrottling);
  EXPECT_EQ(s.message(), "slow down");
  EXPECT_EQ(g_steps_after_error, 0);
  EXPECT_TRUE(Chain(false).ok());
  EXPECT_EQ(g_steps_after_error, 1);
}

TEST(MacrosTest, AssignOrReturnUnwrapsOrPropagates) {
  auto ok = Sum(2, 3);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 5);
  auto first = Sum(-1, 3);
  EXPECT_EQ(first.status().kind(), ErrorKind::kValidation);
  auto second = Sum(1, 0);
  EXPECT_EQ(second.status().message(), "must be positive");
  auto existing = AssignToExisting(4);
  ASSERT_TRUE(existing.ok());
  EXPECT_EQ(*existing, std::vector<int>{4});
  EXPECT_FALSE(AssignToExisting(-4).ok());
}

TEST(MacrosTest, ReturnIfErrorWorksInAnUnbracedIf) {
  auto f = [](bool fail) -> Status {
    if (fail)
      RETURN_IF_ERROR(FailIf(true));
    else
      return Status(ErrorKind::kInternalFailure, "else branch");
    return Status::Ok();
  };
  EXPECT_EQ(f(true).kind(), ErrorKind::kThrottling);
  EXPECT_EQ(f(false).kind(), ErrorKind::kInternalFailure);
}

}  // namespace
}  // namespace bulwark
