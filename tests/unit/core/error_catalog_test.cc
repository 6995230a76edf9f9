// Walks the whole error catalogue: one row per ErrorKind, consistent statuses.
#include "core/error_catalog.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace bulwark {
namespace {

// The last enumerator: update together with status.h (the test below fails if a kind
// is added after it without a row).
constexpr ErrorKind kLastKind = ErrorKind::kService;

bool IsValidStatus(int status) { return status >= 400 && status <= 599; }

TEST(ErrorCatalogTest, EveryKindExceptOkAndServiceHasExactlyOneRow) {
  std::map<ErrorKind, int> counts;
  for (const ErrorRow& row : AllErrorRows()) ++counts[row.kind];
  EXPECT_EQ(counts.count(ErrorKind::kOk), 0u);
  EXPECT_EQ(counts.count(ErrorKind::kService), 0u);
  for (uint16_t k = static_cast<uint16_t>(ErrorKind::kOk) + 1; k < static_cast<uint16_t>(kLastKind);
       ++k) {
    EXPECT_EQ(counts[static_cast<ErrorKind>(k)], 1) << "ErrorKind " << k;
  }
  EXPECT_EQ(AllErrorRows().size(), static_cast<size_t>(kLastKind) - 1);
}

TEST(ErrorCatalogTest, RowsAreWellFormed) {
  for (const ErrorRow& row : AllErrorRows()) {
    SCOPED_TRACE(std::string(row.json_code));
    EXPECT_FALSE(row.json_code.empty());
    EXPECT_FALSE(row.query_code.empty());
    EXPECT_EQ(row.json_code.find_first_of(" \t\r\n\"<>&"), std::string_view::npos);
    EXPECT_EQ(row.query_code.find_first_of(" \t\r\n\"<>&"), std::string_view::npos);
    EXPECT_TRUE(IsValidStatus(row.json_status)) << row.json_status;
    EXPECT_TRUE(IsValidStatus(row.query_status)) << row.query_status;
    // Sender faults are 4xx, server faults 5xx, in both protocol families.
    EXPECT_EQ(row.sender_fault, row.json_status < 500) << row.json_status;
    EXPECT_EQ(row.sender_fault, row.query_status < 500) << row.query_status;
  }
}

TEST(ErrorCatalogTest, LookupFindsEachRow) {
  for (const ErrorRow& row : AllErrorRows()) {
    const ErrorRow& found = LookupError(row.kind);
    EXPECT_EQ(&found, &row);
  }
}

TEST(ErrorCatalogTest, WellKnownRowsMatchAws) {
  const ErrorRow& internal = LookupError(ErrorKind::kInternalFailure);
  EXPECT_EQ(internal.json_code, "InternalFailure");
  EXPECT_EQ(internal.json_status, 500);
  EXPECT_FALSE(internal.sender_fault);
  const ErrorRow& validation = LookupError(ErrorKind::kValidation);
  EXPECT_EQ(validation.json_code, "ValidationException");
  EXPECT_EQ(validation.query_code, "ValidationError");
  EXPECT_EQ(validation.json_status, 400);
  const ErrorRow& signature = LookupError(ErrorKind::kSignatureDoesNotMatch);
  EXPECT_EQ(signature.query_code, "SignatureDoesNotMatch");
  EXPECT_EQ(signature.query_status, 403);
  const ErrorRow& missing = LookupError(ErrorKind::kMissingAuthenticationToken);
  EXPECT_EQ(missing.json_status, 403);
}

TEST(ErrorCatalogTest, KindsWithoutRowsFallBackToInternalFailure) {
  EXPECT_EQ(LookupError(ErrorKind::kService).kind, ErrorKind::kInternalFailure);
  EXPECT_EQ(LookupError(ErrorKind::kOk).kind, ErrorKind::kInternalFailure);
  EXPECT_EQ(LookupError(static_cast<ErrorKind>(0xFFFF)).kind, ErrorKind::kInternalFailure);
}

}  // namespace
}  // namespace bulwark
