// Parser: real policies from the corpus must parse; malformed ones fail with IAM's
// MalformedPolicyDocument and message.
#include "policy/parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace bulwark::policy {
namespace {

using nlohmann::json;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return json::parse(in);
}

// The strict kind a stored policy is: statements with a principal make it a
// resource-based (or, without Resource, a trust) policy.
PolicyKind InferKind(const json& doc) {
  json statements =
      doc["Statement"].is_array() ? doc["Statement"] : json::array({doc["Statement"]});
  bool principal = false, resource = false;
  for (const json& s : statements) {
    principal = principal || s.contains("Principal") || s.contains("NotPrincipal");
    resource = resource || s.contains("Resource") || s.contains("NotResource");
  }
  if (!principal) return PolicyKind::kIdentity;
  return resource ? PolicyKind::kResource : PolicyKind::kTrust;
}

TEST(ParserCorpus, IamUserGuideExamplesParse) {
  json all = ReadJson(std::string(BULWARK_CORPUS_DIR) +
                      "/iam/derived/iam-doc-example-policies.json")["policies"];
  ASSERT_EQ(all.size(), 112u);
  for (const json& entry : all) {
    const json& doc = entry["policy"];
    Result<Policy> p = ParsePolicy(doc.dump(2), {.kind = InferKind(doc)});
    EXPECT_TRUE(p.ok()) << entry["doc"] << ": " << p.status().message() << "\n" << doc.dump();
    if (p.ok()) {
      EXPECT_FALSE(p->statements.empty());
    }
  }
}

TEST(ParserCorpus, ManagedPoliciesParseWithinQuota) {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(std::string(BULWARK_CORPUS_DIR) +
                                                           "/iam/iam-dataset/managedpolicies")) {
    if (f.path().extension() != ".json") continue;
    json doc = ReadJson(f.path().string())["document"];
    std::string text = doc.dump();
    Result<Policy> p = ParsePolicy(text, {.kind = PolicyKind::kIdentity});
    EXPECT_TRUE(p.ok()) << f.path() << ": " << p.status().message();
    ++n;
  }
  EXPECT_GE(n, 38);
}

TEST(ParserCorpus, CloudsplainingAccountPoliciesParse) {
  json details =
      ReadJson(std::string(BULWARK_CORPUS_DIR) + "/iam/cloudsplaining/examples/files/example.json");
  int n = 0;
  for (const json& pol : details["Policies"]) {
    for (const json& version : pol["PolicyVersionList"]) {
      Result<Policy> p = ParsePolicy(version["Document"].dump(), {.kind = PolicyKind::kIdentity});
      EXPECT_TRUE(p.ok()) << pol["PolicyName"] << ": " << p.status().message();
      ++n;
    }
  }
  EXPECT_GT(n, 80);
}

struct MalformedCase {
  const char* name;
  PolicyKind kind;
  const char* document;
  const char* message;
};

constexpr MalformedCase kMalformed[] = {
    {"not json", PolicyKind::kIdentity, "{\"Version\": ", "Syntax errors in policy."},
    {"not an object", PolicyKind::kIdentity, "[]", "Syntax errors in policy."},
    {"empty", PolicyKind::kIdentity, "", "Syntax errors in policy."},
    {"no statement", PolicyKind::kIdentity, R"({"Version":"2012-10-17"})",
     "Syntax errors in policy."},
    {"bad version", PolicyKind::kIdentity,
     R"({"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})",
     "The policy failed legacy parsing"},
    {"unknown top-level element", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"},"Foo":1})",
     "Syntax errors in policy."},
    {"missing effect", PolicyKind::kIdentity, R"({"Statement":{"Action":"s3:*","Resource":"*"}})",
     "Missing required field Effect"},
    {"bad effect", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}})",
     "Syntax errors in policy."},
    {"principal in identity policy", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}})",
     "Policy document should not specify a principal."},
    {"notprincipal in boundary", PolicyKind::kPermissionsBoundary,
     R"({"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}})",
     "Policy document should not specify a principal."},
    {"principal missing in resource policy", PolicyKind::kResource,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})",
     "Missing required field Principal"},
    {"resource in trust policy", PolicyKind::kTrust,
     R"({"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}})",
     "Has prohibited field Resource"},
    {"missing action", PolicyKind::kIdentity, R"({"Statement":{"Effect":"Allow","Resource":"*"}})",
     "Policy statement must contain actions."},
    {"missing resource", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*"}})",
     "Policy statement must contain resources."},
    {"action without vendor", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}})",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
    {"condition key without vendor", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"username":"x"}}}})",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
    {"resource not an arn", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}})",
     "Resource bucket must be in ARN format or \"*\"."},
    {"unknown condition operator", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"x"}}}})",
     "Invalid Condition type : StringEqualz"},
    {"NullIfExists", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}})",
     "Invalid Condition type : NullIfExists"},
    {"invalid aws principal", PolicyKind::kResource,
     R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"*"}})",
     "Invalid principal in policy: \"AWS\":\"alice\""},
    {"unknown principal type", PolicyKind::kResource,
     R"({"Statement":{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"s3:*","Resource":"*"}})",
     "Syntax errors in policy."},
    {"both Action and NotAction", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}})",
     "Syntax errors in policy."},
    {"duplicate key", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}})",
     "Syntax errors in policy."},
    {"duplicate sid", PolicyKind::kIdentity,
     R"({"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]})",
     "Statement IDs (SID) in a single policy must be unique."},
    {"empty action list", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}})", "Syntax errors in policy."},
    {"non-string action", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}})", "Syntax errors in policy."},
    {"null condition value", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":null}}}})",
     "Syntax errors in policy."},
    {"nested condition value", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":[["true"]]}}}})",
     "Syntax errors in policy."},
    {"statement is a string", PolicyKind::kIdentity, R"({"Statement":"Allow"})",
     "Syntax errors in policy."},
    {"empty statement list", PolicyKind::kIdentity, R"({"Statement":[]})",
     "Syntax errors in policy."},
    {"trailing garbage", PolicyKind::kIdentity,
     R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}} x)",
     "Syntax errors in policy."},
};

TEST(ParserMalformed, MessagesMatchIam) {
  for (const MalformedCase& c : kMalformed) {
    Result<Policy> p = ParsePolicy(c.document, {.kind = c.kind});
    ASSERT_FALSE(p.ok()) << c.name;
    EXPECT_EQ(p.status().kind(), ErrorKind::kService) << c.name;
    EXPECT_EQ(p.status().code(), "MalformedPolicyDocument") << c.name;
    EXPECT_EQ(p.status().http_status(), 400) << c.name;
    EXPECT_EQ(p.status().message(), c.message) << c.name;
  }
}

TEST(ParserLimits, PolicySizeQuotaCountsNonWhitespace) {
  std::string actions;
  for (int i = 0; i < 400; ++i) actions += "\"s3:GetObject" + std::to_string(i) + "\",";
  actions.pop_back();
  std::string doc = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[)" +
                    actions + R"(],"Resource":"*"}})";
  ASSERT_GT(PolicySizeChars(doc), 6144u);
  Result<Policy> p = ParsePolicy(doc, {.kind = PolicyKind::kIdentity, .max_policy_chars = 6144});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), "LimitExceeded");
  EXPECT_EQ(p.status().message(), "Cannot exceed quota for PolicySize: 6144");
  // Whitespace does not count.
  std::string small = R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})";
  std::string padded = small + std::string(10000, ' ');
  EXPECT_TRUE(ParsePolicy(padded, {.max_policy_chars = 100}).ok());
  EXPECT_EQ(PolicySizeChars(" a \t\nb\r"), 2u);
}

TEST(ParserLimits, RawSizeDepthAndListBounds) {
  std::string huge(2 << 20, ' ');
  EXPECT_FALSE(ParsePolicy(huge).ok());
  std::string deep(100000, '[');
  Result<Policy> p = ParsePolicy(deep);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "Syntax errors in policy.");
  std::string deep_condition =
      R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:x":)" +
      std::string(20, '[') + std::string(20, ']') + "}}}}";
  EXPECT_FALSE(ParsePolicy(deep_condition).ok());
  std::string many = R"({"Statement":{"Effect":"Allow","Action":[)";
  for (int i = 0; i < 20; ++i) many += "\"s3:A\",";
  many.back() = ']';
  many += R"(,"Resource":"*"}})";
  EXPECT_TRUE(ParsePolicy(many).ok());
  EXPECT_FALSE(ParsePolicy(many, {.max_list_items = 10}).ok());
}

TEST(ParserAst, ElementsAreNormalised) {
  Result<Policy> p = ParsePolicy(R"({
    "Version": "2012-10-17", "Id": "p1",
    "Statement": [{
      "Sid": "One", "Effect": "Deny",
      "NotAction": ["S3:Get*", "iam:PassRole"],
      "NotResource": "arn:aws:s3:::${aws:username}/*",
      "Condition": {
        "ForAnyValue:StringEqualsIgnoreCaseIfExists": {"AWS:TagKeys": ["Env", "Team"]},
        "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
        "Bool": {"aws:SecureTransport": false},
        "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}
      }
    }]})");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->version, PolicyVersion::k2012_10_17);
  EXPECT_EQ(p->id, "p1");
  ASSERT_EQ(p->statements.size(), 1u);
  const Statement& s = p->statements[0];
  EXPECT_EQ(s.sid, "One");
  EXPECT_EQ(s.effect, Effect::kDeny);
  EXPECT_TRUE(s.not_action);
  ASSERT_EQ(s.actions.size(), 2u);
  EXPECT_EQ(s.actions[0].text, "s3:get*");
  EXPECT_TRUE(s.actions[0].has_wildcard);
  EXPECT_FALSE(s.actions[1].has_wildcard);
  EXPECT_TRUE(s.not_resource);
  ASSERT_EQ(s.resources.size(), 1u);
  EXPECT_TRUE(s.resources[0].has_variable);
  EXPECT_TRUE(s.resources[0].has_wildcard);
  ASSERT_EQ(s.conditions.size(), 5u);
  for (const Condition& c : s.conditions) {
    if (c.op == ConditionOperator::kStringEqualsIgnoreCase) {
      EXPECT_EQ(c.qualifier, SetQualifier::kForAnyValue);
      EXPECT_TRUE(c.if_exists);
      EXPECT_EQ(c.key_lower, "aws:tagkeys");
      EXPECT_EQ(c.values[0].pattern.text, "env");
    } else if (c.op == ConditionOperator::kNumericLessThan) {
      ASSERT_TRUE(c.values[0].number.has_value());
      EXPECT_EQ(*c.values[0].number, 3600);
    } else if (c.op == ConditionOperator::kBool) {
      ASSERT_TRUE(c.values[0].boolean.has_value());
      EXPECT_FALSE(*c.values[0].boolean);
    } else if (c.op == ConditionOperator::kIpAddress) {
      ASSERT_EQ(c.values.size(), 2u);
      EXPECT_TRUE(c.values[0].cidr.has_value());
      EXPECT_TRUE(c.values[1].cidr.has_value());
    } else {
      EXPECT_EQ(c.op, ConditionOperator::kDateGreaterThan);
      EXPECT_EQ(c.values[0].epoch_ms, 1577836800000LL);
    }
  }
}

TEST(ParserAst, VariablesOnlyIn2012Version) {
  const char* doc =
      R"({"Version":"%s","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}})";
  char buf[256];
  snprintf(buf, sizeof buf, doc, "2008-10-17");
  Result<Policy> old = ParsePolicy(buf);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->statements[0].resources[0].has_variable);
  snprintf(buf, sizeof buf, doc, "2012-10-17");
  Result<Policy> current = ParsePolicy(buf);
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(current->statements[0].resources[0].has_variable);
  // No Version at all means 2008-10-17.
  Result<Policy> none = ParsePolicy(
      R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}})");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->version, PolicyVersion::k2008_10_17);
  EXPECT_FALSE(none->statements[0].resources[0].has_variable);
}

TEST(ParserAst, PrincipalForms) {
  Result<Policy> p = ParsePolicy(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},
    {"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r"],
      "Service":"ec2.amazonaws.com","Federated":"cognito-identity.amazonaws.com",
      "CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
     "Action":"s3:*","Resource":"*"},
    {"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}]})",
                                 {.kind = PolicyKind::kResource});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->statements[0].principal->wildcard);
  EXPECT_EQ(p->statements[1].principal->entries.size(), 5u);
  EXPECT_TRUE(p->statements[2].not_principal);
  // A bare ARN string is only accepted leniently.
  const char* bare =
      R"({"Statement":{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"s3:*","Resource":"*"}})";
  EXPECT_FALSE(ParsePolicy(bare, {.kind = PolicyKind::kResource}).ok());
  EXPECT_TRUE(ParsePolicy(bare, {.kind = PolicyKind::kAny}).ok());
}

}  // namespace
}  // namespace bulwark::policy
