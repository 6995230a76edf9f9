#include <gtest/gtest.h>

#include "protocol/internal.h"
#include "protocol/protocol.h"
#include "test_util.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;
using testing::Service;

Status Validate(std::string_view service, std::string_view op, const json& input) {
  const ServiceModel& s = Service(service);
  const OperationModel* o = s.FindOperation(op);
  if (o == nullptr) std::abort();
  return ValidateInput(s, *o, input);
}

void ExpectError(const Status& s, const std::string& message) {
  EXPECT_EQ(s.kind(), ErrorKind::kValidation);
  EXPECT_EQ(s.message(), message);
}

TEST(ValidationTest, ValidInputPasses) {
  EXPECT_TRUE(Validate("kms", "DescribeKey", {{"KeyId", "alias/x"}}).ok());
  EXPECT_TRUE(
      Validate("iam", "CreateUser", {{"UserName", "alice+bob@x.y"}, {"Path", "/a/b/"}}).ok());
  EXPECT_TRUE(Validate("kms", "ListKeys", json::object()).ok());
  EXPECT_TRUE(Validate("kms", "ListKeys", json()).ok());  // null input: nothing set
}

TEST(ValidationTest, Required) {
  ExpectError(Validate("kms", "DescribeKey", json::object()),
              "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: "
              "Member must not be null");
  ExpectError(Validate("kms", "DescribeKey", {{"KeyId", nullptr}}),
              "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: "
              "Member must not be null");
}

TEST(ValidationTest, StringLength) {
  ExpectError(Validate("kms", "DescribeKey", {{"KeyId", std::string(2049, 'a')}}),
              "1 validation error detected: Value '" + std::string(1024, 'a') +
                  "...' at 'keyId' failed to satisfy constraint: Member must have length less "
                  "than or equal to 2048");
  ExpectError(Validate("kms", "DescribeKey", {{"KeyId", ""}}),
              "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: "
              "Member must have length greater than or equal to 1");
  // Length counts UTF-16 code units, as Java does: 2048 two-byte characters are fine.
  std::string e_acute;
  for (int i = 0; i < 2048; ++i) e_acute += "\xc3\xa9";
  EXPECT_TRUE(Validate("kms", "DescribeKey", {{"KeyId", e_acute}}).ok());
}

TEST(ValidationTest, NumericRange) {
  ExpectError(Validate("kms", "ListKeys", {{"Limit", 0}}),
              "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
              "Member must have value greater than or equal to 1");
  ExpectError(Validate("kms", "ListKeys", {{"Limit", 1001}}),
              "1 validation error detected: Value '1001' at 'limit' failed to satisfy "
              "constraint: Member must have value less than or equal to 1000");
  EXPECT_TRUE(Validate("kms", "ListKeys", {{"Limit", 1000}}).ok());
}

TEST(ValidationTest, Enum) {
  ExpectError(Validate("kms", "CreateKey", {{"KeyUsage", "BOGUS"}}),
              "1 validation error detected: Value 'BOGUS' at 'keyUsage' failed to satisfy "
              "constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, "
              "GENERATE_VERIFY_MAC, KEY_AGREEMENT]");
  EXPECT_TRUE(Validate("kms", "CreateKey", {{"KeyUsage", "SIGN_VERIFY"}}).ok());
}

TEST(ValidationTest, Pattern) {
  ExpectError(Validate("iam", "CreateUser", {{"UserName", "bad name"}}),
              "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy "
              "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  // Alternation and groups go through std::regex.
  ExpectError(Validate("iam", "CreateUser", {{"UserName", "a"}, {"Path", "nopath"}}),
              "1 validation error detected: Value 'nopath' at 'path' failed to satisfy "
              "constraint: Member must satisfy regular expression pattern: "
              "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
  // \p{L} accepts non-ASCII letters.
  EXPECT_TRUE(
      Validate("iam", "TagUser",
               {{"UserName", "u"}, {"Tags", {{{"Key", "\xc3\xa9t\xc3\xa9"}, {"Value", "v"}}}}})
          .ok());
}

TEST(ValidationTest, ListsAndNestedPaths) {
  json tags = json::array();
  tags.push_back({{"Key", "ok"}, {"Value", "v"}});
  tags.push_back({{"Key", std::string(129, 'k')}, {"Value", "v"}});
  tags.push_back({{"Value", "v"}});
  ExpectError(Validate("iam", "TagUser", {{"UserName", "u"}, {"Tags", tags}}),
              "2 validation errors detected: Value '" + std::string(129, 'k') +
                  "' at 'tags.2.member.key' failed to satisfy constraint: Member must have "
                  "length less than or equal to 128; Value null at 'tags.3.member.key' failed to "
                  "satisfy constraint: Member must not be null");

  json many = json::array();
  for (int i = 0; i < 11; ++i) many.push_back("t");
  ExpectError(Validate("kms", "DescribeKey", {{"KeyId", "k"}, {"GrantTokens", many}}),
              "1 validation error detected: Value '[t, t, t, t, t, t, t, t, t, t, t]' at "
              "'grantTokens' failed to satisfy constraint: Member must have length less than "
              "or equal to 10");

  ExpectError(Validate("kms", "DescribeKey", {{"KeyId", "k"}, {"GrantTokens", {nullptr}}}),
              "1 validation error detected: Value null at 'grantTokens.1.member' failed to "
              "satisfy constraint: Member must not be null");
}

TEST(ValidationTest, SensitiveValuesAreNotEchoed) {
  Status s = Validate("secretsmanager", "CreateSecret",
                      {{"Name", "n"}, {"SecretString", std::string(65537, 's')}});
  ExpectError(s,
              "1 validation error detected: Value at 'secretString' failed to satisfy "
              "constraint: Member must have length less than or equal to 65536");
  std::string empty;
  s = Validate("kms", "Encrypt",
               {{"KeyId", "k"}, {"Plaintext", json::binary(json::binary_t::container_type())}});
  ExpectError(s,
              "1 validation error detected: Value at 'plaintext' failed to satisfy "
              "constraint: Member must have length greater than or equal to 1");
}

TEST(ValidationTest, ManyErrorsAreAllReported) {
  Status s =
      Validate("kms", "CreateKey",
               {{"KeyUsage", "X"}, {"KeySpec", "Y"}, {"Description", std::string(8193, 'd')}});
  EXPECT_EQ(s.kind(), ErrorKind::kValidation);
  EXPECT_EQ(s.message().rfind("3 validation errors detected: ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("at 'keyUsage'"), std::string::npos);
  EXPECT_NE(s.message().find("at 'keySpec'"), std::string::npos);
  EXPECT_NE(s.message().find("at 'description'"), std::string::npos);
}

TEST(ValidationTest, WrongTypesDoNotCrash) {
  EXPECT_TRUE(Validate("kms", "DescribeKey", {{"KeyId", 5}}).ok());
  EXPECT_TRUE(Validate("kms", "DescribeKey", {{"KeyId", "k"}, {"GrantTokens", "x"}}).ok());
  EXPECT_TRUE(Validate("kms", "ListKeys", json::array()).ok());
}

TEST(ValidationTest, QueryServicesUseTheSameMessages) {
  ExpectError(Validate("sts", "AssumeRole", {{"RoleArn", "arn:aws:iam::1:role/r"}}),
              "1 validation error detected: Value null at 'roleSessionName' failed to satisfy "
              "constraint: Member must not be null");
}

TEST(PatternTest, SimpleClassesUseTheLinearMatcher) {
  auto m = PatternMatcher::Compile("[\\w+=,.@-]+");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->Matches(U"abc_+=,.@-"), true);
  EXPECT_EQ(m->Matches(U"a b"), false);
  EXPECT_EQ(m->Matches(U""), false);
  // A long value is matched without recursion.
  EXPECT_EQ(m->Matches(std::u32string(1 << 20, U'a')), true);

  auto ranged = PatternMatcher::Compile("^[a-z]{2,4}-[0-9]*$");
  ASSERT_NE(ranged, nullptr);
  EXPECT_EQ(ranged->Matches(U"ab-"), true);
  EXPECT_EQ(ranged->Matches(U"abcd-123"), true);
  EXPECT_EQ(ranged->Matches(U"a-1"), false);
  EXPECT_EQ(ranged->Matches(U"abcde-1"), false);

  auto unicode = PatternMatcher::Compile("[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
  ASSERT_NE(unicode, nullptr);
  EXPECT_EQ(unicode->Matches(U"{\"a\": \u00e9}"), true);
  EXPECT_EQ(unicode->Matches(U"\u0100"), false);
  EXPECT_EQ(unicode->Matches(U"\u0001"), false);

  auto dot = PatternMatcher::Compile("arn:aws:.*");
  EXPECT_EQ(dot->Matches(U"arn:aws:kms:x"), true);
  EXPECT_EQ(dot->Matches(U"arn:aws"), false);

  auto negated = PatternMatcher::Compile("[^/]+");
  EXPECT_EQ(negated->Matches(U"abc"), true);
  EXPECT_EQ(negated->Matches(U"a/c"), false);
}

TEST(PatternTest, GeneralRegexesAndUnsupportedOnes) {
  auto alt = PatternMatcher::Compile("(alias/[a-z]+)|([0-9a-f]{8})");
  ASSERT_NE(alt, nullptr);
  EXPECT_EQ(alt->Matches(U"alias/abc"), true);
  EXPECT_EQ(alt->Matches(U"deadbeef"), true);
  EXPECT_EQ(alt->Matches(U"alias/ABC"), false);
  // Too long for the recursive std::regex: not checked rather than risking the stack.
  EXPECT_EQ(alt->Matches(std::u32string(5000, U'a')), std::nullopt);
  // Broken patterns are skipped.
  EXPECT_EQ(PatternMatcher::Compile("(unclosed"), nullptr);
  EXPECT_EQ(PatternMatcher::Compile("(?<name>x)"), nullptr);
}

TEST(PatternTest, EveryModelPatternCompilesOrIsSkippedSafely) {
  int compiled = 0, linear_total = 0, skipped = 0;
  for (const ServiceModel* s : ModelRegistry::Instance().All()) {
    for (std::string_view op_name : s->OperationNames()) {
      const OperationModel* op = s->FindOperation(op_name);
      if (op->input() == nullptr) continue;
      for (const Member& m : op->input()->members) {
        if (m.shape->pattern.empty()) continue;
        ++linear_total;
        const PatternMatcher* p = m.shape->Pattern();
        if (p == nullptr) {
          ++skipped;
          continue;
        }
        ++compiled;
        // Must not crash or hang on hostile values.
        (void)p->Matches(std::u32string(3000, U'('));
        (void)p->Matches(U"");
      }
    }
  }
  EXPECT_GT(compiled, 100);
  EXPECT_LT(skipped * 20, linear_total) << skipped << " of " << linear_total << " skipped";
}

}  // namespace
}  // namespace bulwark::protocol
