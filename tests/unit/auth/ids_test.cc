// Identifier formats. The access key vectors are AWS keys whose accounts were published
// by the research that found the layout (Aidan Steele, "AWS Access Key ID formats",
// 2020; Tal Be'ery, "A short note on AWS KEY ID", 2023).
#include "auth/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace bulwark::ids {
namespace {

TEST(AccessKeyIdTest, DecodesThePublishedAwsKeys) {
  EXPECT_EQ(AccountOfAccessKeyId("ASIAY34FZKBOKMUTVV7A"), "609629065308");
  EXPECT_EQ(AccountOfAccessKeyId("ASIAQNZGKIQY56JQ7WML"), "029608264753");
}

TEST(AccessKeyIdTest, NewIdsCarryTheirAccount) {
  std::set<std::string> seen;
  for (std::string account : {"000000000001", "123456789012", "999999999999", "029608264753"}) {
    for (std::string_view prefix : {"AKIA", "ASIA"}) {
      std::string id = NewAccessKeyId(prefix, account);
      ASSERT_EQ(id.size(), 20u) << id;
      EXPECT_TRUE(id.starts_with(prefix));
      EXPECT_TRUE(IsAccessKeyId(id));
      EXPECT_EQ(AccountOfAccessKeyId(id), account) << id;
      EXPECT_TRUE(seen.insert(id).second);
    }
  }
  // The random part: two ids of one account differ.
  EXPECT_NE(NewAccessKeyId("AKIA", "123456789012"), NewAccessKeyId("AKIA", "123456789012"));
}

TEST(AccessKeyIdTest, RefusesIdsOfAnotherShape) {
  EXPECT_EQ(AccountOfAccessKeyId(""), std::nullopt);
  EXPECT_EQ(AccountOfAccessKeyId("AKIAIOSFODNN7EXAMPL"), std::nullopt);    // 19 characters
  EXPECT_EQ(AccountOfAccessKeyId("AKIAIOSFODNN7EXAMPLEX"), std::nullopt);  // 21
  EXPECT_EQ(AccountOfAccessKeyId("AKIA0OSFODNN7EXAMPLE"), std::nullopt);   // '0' is not Base32
  EXPECT_EQ(AccountOfAccessKeyId("AKIA1OSFODNN7EXAMPLE"), std::nullopt);   // nor is '1'
  // 40 bits can hold more than 12 digits: such an id names no account.
  EXPECT_EQ(AccountOfAccessKeyId("AKIA7777777777777777"), std::nullopt);
}

}  // namespace
}  // namespace bulwark::ids
