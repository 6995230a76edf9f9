// Typed value conversions and the matching primitives.
#include <gtest/gtest.h>

#include "policy/match.h"
#include "policy/values.h"

namespace bulwark::policy {
namespace {

TEST(Values, Numbers) {
  EXPECT_EQ(ParseNumber("10"), 10.0);
  EXPECT_EQ(ParseNumber("-1.5"), -1.5);
  EXPECT_EQ(ParseNumber("+2"), 2.0);
  EXPECT_EQ(ParseNumber("6e1"), 60.0);
  EXPECT_EQ(ParseNumber(".5"), 0.5);
  for (const char* bad : {"", "-", "1.2.3", "1e", "0x10", " 1", "1 ", "nan", "inf", "1e999"}) {
    EXPECT_FALSE(ParseNumber(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseNumber(std::string(100, '1')).has_value());
}

TEST(ValuesTest, FormatDateIsWhatDateConditionsParse) {
  EXPECT_EQ(FormatDate(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatDate(1577836800), "2020-01-01T00:00:00Z");
  EXPECT_EQ(ParseDateMs(FormatDate(1714564800)), 1714564800000LL);
}

TEST(Values, Dates) {
  EXPECT_EQ(ParseDateMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseDateMs("2020-01-01"), 1577836800000LL);
  EXPECT_EQ(ParseDateMs("2020-01-01T00:00:00.5Z"), 1577836800500LL);
  EXPECT_EQ(ParseDateMs("2020-01-01T02:00:00+02:00"), 1577836800000LL);
  EXPECT_EQ(ParseDateMs("2019-12-31T22:00:00-0200"), 1577836800000LL);
  EXPECT_EQ(ParseDateMs("2020-01-01T00:00Z"), 1577836800000LL);
  EXPECT_EQ(ParseDateMs("1577836800"), 1577836800000LL);
  EXPECT_EQ(ParseDateMs("1969-12-31T23:59:59Z"), -1000);
  for (const char* bad : {"", "2020-13-01", "2020-02-30", "2021-02-29", "2020-01-01T24:00:00Z",
                          "2020-01-01T00:00:00Q", "2020-1-1", "yesterday", "99999999999999",
                          "2020-01-01T00:00:00.Z", "2020-01-01T00:00:00+2"}) {
    EXPECT_FALSE(ParseDateMs(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseDateMs("2024-02-29"), 1709164800000LL);
}

TEST(Values, Bools) {
  EXPECT_EQ(ParseBool("true"), true);
  EXPECT_EQ(ParseBool("FALSE"), false);
  EXPECT_FALSE(ParseBool("1").has_value());
  EXPECT_FALSE(ParseBool("").has_value());
}

TEST(Values, Cidrs) {
  auto net = ParseCidr("192.0.2.0/24");
  ASSERT_TRUE(net.has_value());
  EXPECT_EQ(net->prefix_bits, 120);
  EXPECT_TRUE(CidrContains(*net, *ParseCidr("192.0.2.255")));
  EXPECT_FALSE(CidrContains(*net, *ParseCidr("192.0.3.0")));
  auto v6 = ParseCidr("2001:DB8::/32");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(CidrContains(*v6, *ParseCidr("2001:db8:ffff::1")));
  EXPECT_FALSE(CidrContains(*v6, *ParseCidr("2001:db9::1")));
  EXPECT_FALSE(CidrContains(*v6, *ParseCidr("192.0.2.1")));
  // IPv4-mapped IPv6 is the same address as its IPv4 form.
  EXPECT_TRUE(CidrContains(*net, *ParseCidr("::ffff:192.0.2.7")));
  EXPECT_TRUE(ParseCidr("::").has_value());
  EXPECT_TRUE(ParseCidr("1:2:3:4:5:6:7:8").has_value());
  EXPECT_TRUE(ParseCidr("1::8/128").has_value());
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/33", "01.2.3.4",
                          "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:2:3:4:5:6:7:8/129", "g::1",
                          "1.2.3.4/", "1.2.3.4/x", "12345::1", "1:", "::1.2.3"}) {
    EXPECT_FALSE(ParseCidr(bad).has_value()) << bad;
  }
  auto all = ParseCidr("0.0.0.0/0");
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(CidrContains(*all, *ParseCidr("255.255.255.255")));
  EXPECT_FALSE(CidrContains(*all, *ParseCidr("::2")));
}

TEST(Match, Wildcards) {
  EXPECT_TRUE(WildcardMatch("*", "", CaseMode::kSensitive));
  EXPECT_TRUE(WildcardMatch("a*b*c", "aXXbYYc", CaseMode::kSensitive));
  EXPECT_FALSE(WildcardMatch("a*b*c", "aXXbYY", CaseMode::kSensitive));
  EXPECT_TRUE(WildcardMatch("a?c", "abc", CaseMode::kSensitive));
  EXPECT_FALSE(WildcardMatch("a?c", "ac", CaseMode::kSensitive));
  EXPECT_TRUE(WildcardMatch("s3:get*", "S3:GetObject", CaseMode::kInsensitive));
  EXPECT_FALSE(WildcardMatch("s3:get*", "S3:GetObject", CaseMode::kSensitive));
  // Pathological backtracking stays linear-ish (single-star backtracking).
  std::string text(5000, 'a');
  EXPECT_FALSE(WildcardMatch("*a*a*a*a*a*a*a*b", text, CaseMode::kSensitive));
}

TEST(Match, ArnSegments) {
  EXPECT_TRUE(ArnMatch("arn:aws:s3:::b/*", "arn:aws:s3:::b/x:y:z"));
  EXPECT_TRUE(
      ArnMatch("arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1"));
  EXPECT_FALSE(ArnMatch("arn:aws:ec2:*:111122223333:instance/*",
                        "arn:aws:ec2:us-east-1:x:111122223333:instance/i-1"));
  EXPECT_TRUE(
      ArnMatch("arn:aws:*", "arn:aws:iam::1:user/x"));  // not six segments: whole-string glob
  EXPECT_FALSE(ArnMatch("arn:aws:s3:::b", "arn:aws:s3:::B"));
  EXPECT_FALSE(ArnMatch("arn:aws:s3:::*", "not-an-arn"));
  std::array<uint32_t, 5> pc{}, tc{};
  ASSERT_TRUE(SplitArn("arn:aws:s3:::b/*", &pc));
  ASSERT_TRUE(SplitArn("arn:aws:s3:::b/k", &tc));
  EXPECT_TRUE(ArnMatchSplit("arn:aws:s3:::b/*", pc, "arn:aws:s3:::b/k", tc));
  EXPECT_FALSE(SplitArn("arn:aws:s3", &pc));
}

TEST(Match, Variables) {
  RequestContext rc;
  rc.SetKey("aws:username", "a*b");
  rc.SetMultiValuedKey("aws:TagKeys", {"x", "y"});
  std::vector<PatternChar> out;
  ASSERT_TRUE(ExpandVariables("home/${aws:UserName}/*", rc, &out));
  EXPECT_TRUE(WildcardMatch(out, "home/a*b/anything", CaseMode::kSensitive));
  EXPECT_FALSE(WildcardMatch(out, "home/aXXb/anything", CaseMode::kSensitive));
  ASSERT_TRUE(ExpandVariables("${ missing , 'dflt' }", rc, &out));
  EXPECT_TRUE(WildcardMatch(out, "dflt", CaseMode::kSensitive));
  EXPECT_FALSE(ExpandVariables("${missing}", rc, &out));
  EXPECT_FALSE(ExpandVariables("${aws:TagKeys}", rc, &out));
  EXPECT_FALSE(ExpandVariables("${missing, dflt}", rc, &out));  // default must be quoted
  ASSERT_TRUE(ExpandVariables("${unclosed", rc, &out));         // not a variable: literal
  EXPECT_TRUE(WildcardMatch(out, "${unclosed", CaseMode::kSensitive));
  EXPECT_TRUE(ContainsVariable("a${b}c"));
  EXPECT_FALSE(ContainsVariable("a${b"));
}

TEST(Context, PrincipalClassification) {
  EXPECT_EQ(ClassifyPrincipal(""), PrincipalKind::kAnonymous);
  EXPECT_EQ(ClassifyPrincipal("arn:aws:iam::111122223333:root"), PrincipalKind::kAccountRoot);
  EXPECT_EQ(ClassifyPrincipal("arn:aws:iam::111122223333:user/a/b"), PrincipalKind::kIamUser);
  EXPECT_EQ(ClassifyPrincipal("arn:aws:iam::111122223333:role/r"), PrincipalKind::kIamRole);
  EXPECT_EQ(ClassifyPrincipal("arn:aws:sts::111122223333:assumed-role/r/s"),
            PrincipalKind::kAssumedRole);
  EXPECT_EQ(ClassifyPrincipal("arn:aws:sts::111122223333:federated-user/f"),
            PrincipalKind::kFederatedUser);
  EXPECT_EQ(ClassifyPrincipal("lambda.amazonaws.com"), PrincipalKind::kService);
  RequestContext rc;
  rc.SetPrincipal("arn:aws:sts::444455556666:assumed-role/r/s");
  EXPECT_EQ(rc.principal_account, "444455556666");
  rc.SetKey("AWS:SourceIP", "1.2.3.4");
  ASSERT_NE(rc.Find("aws:sourceip"), nullptr);
  EXPECT_EQ(rc.Find("AWS:SourceIP"), nullptr);  // Find takes the lowercase name
}

}  // namespace
}  // namespace bulwark::policy
