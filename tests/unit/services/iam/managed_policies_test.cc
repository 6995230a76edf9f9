// The embedded catalogue of AWS managed policies: it is the file in catalog/, every
// document is a valid identity policy for Bulwark's parser, the policies our services
// need are there under their real paths, ids are stable, and the evaluator gives the
// decisions AWS documents for them.
#include "services/iam/managed_policies.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "policy/evaluator.h"
#include "policy/parser.h"

namespace bulwark::iam {
namespace {

using policy::Decision;

constexpr char kPrefix[] = "arn:aws:iam::aws:policy";
constexpr char kAccount[] = "111122223333";

const AwsManagedPolicy* ByName(std::string_view name) {
  for (const AwsManagedPolicy& p : AwsManagedPolicies()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ManagedPolicies, EmbeddedCatalogueIsTheCommittedFile) {
  std::string file =
      ReadFile(std::string(BULWARK_SOURCE_DIR) + "/catalog/iam/managed-policies.json");
  ASSERT_FALSE(file.empty());
  EXPECT_TRUE(EmbeddedManagedPoliciesJson() == file)
      << "rebuild: the embedded catalogue differs from catalog/iam/managed-policies.json";
  // And the parsed entries carry the file's documents, member order included.
  nlohmann::ordered_json entries = nlohmann::ordered_json::parse(file);
  ASSERT_EQ(entries.size(), AwsManagedPolicies().size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const AwsManagedPolicy& p = AwsManagedPolicies()[i];
    EXPECT_EQ(p.name, entries[i]["PolicyName"]);
    EXPECT_EQ(p.document_json, entries[i]["Document"].dump()) << p.name;
    EXPECT_EQ(p.description, entries[i].value("Description", "")) << p.name;
  }
}

TEST(ManagedPolicies, EveryDocumentParsesAsAnIdentityPolicy) {
  ASSERT_GE(AwsManagedPolicies().size(), 46u);
  for (const AwsManagedPolicy& p : AwsManagedPolicies()) {
    // AWS managed policies are not bound by the 6,144-character quota of customer
    // managed ones (ReadOnlyAccess is far larger), so no quota here.
    Result<policy::Policy> parsed =
        policy::ParsePolicy(p.document_json, {.kind = policy::PolicyKind::kIdentity});
    ASSERT_TRUE(parsed.ok()) << p.name << ": " << parsed.status().message();
    EXPECT_FALSE(parsed->statements.empty()) << p.name;
    EXPECT_EQ(parsed->version, policy::PolicyVersion::k2012_10_17) << p.name;
  }
}

TEST(ManagedPolicies, DocumentTextIsAwsText) {
  // AWS's published form of AdministratorAccess, member order and scalar values kept.
  ASSERT_NE(ByName("AdministratorAccess"), nullptr);
  EXPECT_EQ(
      ByName("AdministratorAccess")->document_json,
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})");
  // A single Statement object (not an array), as AWS publishes AWSPrivateCAReadOnly.
  ASSERT_NE(ByName("AWSPrivateCAReadOnly"), nullptr);
  EXPECT_NE(ByName("AWSPrivateCAReadOnly")->document_json.find(R"("Statement":{"Effect")"),
            std::string::npos);
}

// The full-access and read-only policies AWS has for each of Bulwark's services (AWS
// managed policy reference and the services' "AWS managed policies" pages). Where AWS
// has none, the entry says so and lists what it has instead.
struct ServicePolicies {
  const char* service;
  std::vector<const char*> full_access;  // empty: AWS has none
  std::vector<const char*> read_only;    // empty: AWS has none
  std::vector<const char*> others;       // other AWS managed policies of the service we ship
};

const std::vector<ServicePolicies>& Required() {
  static const std::vector<ServicePolicies> kRequired = {
      {"account-wide",
       {"AdministratorAccess", "PowerUserAccess"},
       {"ReadOnlyAccess"},
       {"SecurityAudit", "ViewOnlyAccess", "AWSDenyAll"}},
      {"iam",
       {"IAMFullAccess"},
       {"IAMReadOnlyAccess"},
       {"IAMUserChangePassword", "IAMSelfManageServiceSpecificCredentials",
        "AWSCompromisedKeyQuarantineV2", "AWSCompromisedKeyQuarantineV3"}},
      // KMS: no full-access or read-only policy exists; AWS offers a power-user policy.
      {"kms",
       {},
       {},
       {"AWSKeyManagementServicePowerUser",
        "AWSKeyManagementServiceMultiRegionKeysServiceRolePolicy"}},
      // Secrets Manager: a single AWS managed policy, read/write.
      {"secretsmanager", {"SecretsManagerReadWrite"}, {}, {}},
      {"ssm", {"AmazonSSMFullAccess"}, {"AmazonSSMReadOnlyAccess"}, {}},
      {"acm", {"AWSCertificateManagerFullAccess"}, {"AWSCertificateManagerReadOnly"}, {}},
      {"acm-pca",
       {"AWSPrivateCAFullAccess", "AWSCertificateManagerPrivateCAFullAccess"},
       {"AWSPrivateCAReadOnly"},
       {}},
      {"wafv2", {"AWSWAFFullAccess"}, {"AWSWAFReadOnlyAccess"}, {}},
      // Shield: only the DDoS Response Team's service role policy (and a service-linked
      // role policy, not shipped).
      {"shield", {}, {}, {"AWSShieldDRTAccessPolicy"}},
      {"cloudtrail", {"AWSCloudTrail_FullAccess"}, {"AWSCloudTrail_ReadOnlyAccess"}, {}},
      // Config: no full-access or read-only policy; AWSConfigUserAccess is "access to use
      // AWS Config" (mostly read), AWS_ConfigRole the recorder's service role policy.
      {"config", {}, {}, {"AWSConfigUserAccess", "AWS_ConfigRole"}},
      {"guardduty",
       {"AmazonGuardDutyFullAccess_v2", "AmazonGuardDutyFullAccess"},
       {"AmazonGuardDutyReadOnlyAccess"},
       {}},
      {"inspector2",
       {"AmazonInspector2FullAccess_v2", "AmazonInspector2FullAccess"},
       {"AmazonInspector2ReadOnlyAccess"},
       {}},
      {"macie2", {"AmazonMacieFullAccess"}, {"AmazonMacieReadOnlyAccess"}, {}},
      {"securityhub", {"AWSSecurityHubFullAccess"}, {"AWSSecurityHubReadOnlyAccess"}, {}},
      // Detective: full access only (its other policies are member/investigator roles).
      {"detective", {"AmazonDetectiveFullAccess"}, {}, {}},
      {"access-analyzer", {"IAMAccessAnalyzerFullAccess"}, {"IAMAccessAnalyzerReadOnlyAccess"}, {}},
  };
  return kRequired;
}

TEST(ManagedPolicies, RequiredPoliciesArePresent) {
  for (const ServicePolicies& s : Required()) {
    for (const auto* list : {&s.full_access, &s.read_only, &s.others}) {
      for (const char* name : *list) {
        const AwsManagedPolicy* p = ByName(name);
        ASSERT_NE(p, nullptr) << s.service << ": " << name;
        EXPECT_EQ(FindAwsManagedPolicy(p->arn), p) << name;
      }
    }
  }
}

TEST(ManagedPolicies, ArnsIncludeTheirPaths) {
  const std::map<std::string, std::string> kPaths = {
      {"AdministratorAccess", "/"},
      {"PowerUserAccess", "/"},
      {"IAMReadOnlyAccess", "/"},
      {"AWS_ConfigRole", "/service-role/"},
      {"AWSShieldDRTAccessPolicy", "/service-role/"},
      {"AWSKeyManagementServiceMultiRegionKeysServiceRolePolicy", "/aws-service-role/"},
      {"ViewOnlyAccess", "/job-function/"},
  };
  for (const auto& [name, path] : kPaths) {
    const AwsManagedPolicy* p = ByName(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_EQ(p->path, path) << name;
    EXPECT_EQ(p->arn, kPrefix + path + name);
  }
  EXPECT_NE(FindAwsManagedPolicy("arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"), nullptr);
  // Without its path, or in another case, an ARN names no policy.
  EXPECT_EQ(FindAwsManagedPolicy("arn:aws:iam::aws:policy/AWS_ConfigRole"), nullptr);
  EXPECT_EQ(FindAwsManagedPolicy("arn:aws:iam::aws:policy/administratoraccess"), nullptr);
  EXPECT_EQ(FindAwsManagedPolicy("arn:aws:iam::111122223333:policy/AdministratorAccess"), nullptr);
  EXPECT_EQ(FindAwsManagedPolicy(""), nullptr);

  for (const AwsManagedPolicy& p : AwsManagedPolicies()) {
    EXPECT_EQ(p.arn, kPrefix + p.path + p.name);
    EXPECT_EQ(FindAwsManagedPolicy(p.arn), &p);
  }
}

TEST(ManagedPolicies, MetadataIsWellFormed) {
  const std::regex kDate(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  const std::regex kVersion(R"(v[1-9][0-9]*)");
  std::string previous;
  for (const AwsManagedPolicy& p : AwsManagedPolicies()) {
    EXPECT_LT(previous, p.name) << "sorted by name, no duplicates";
    previous = p.name;
    EXPECT_TRUE(std::regex_match(p.create_date, kDate)) << p.name << " " << p.create_date;
    EXPECT_TRUE(std::regex_match(p.update_date, kDate)) << p.name << " " << p.update_date;
    EXPECT_LE(p.create_date, p.update_date) << p.name;
    EXPECT_TRUE(std::regex_match(p.default_version_id, kVersion)) << p.name;
    EXPECT_LE(p.description.size(), 1000u) << p.name;  // IAM's limit on descriptions
  }
  // Dates from the sources, not the corpus's version dates.
  EXPECT_EQ(ByName("IAMReadOnlyAccess")->create_date, "2015-02-06T18:40:39Z");
  EXPECT_EQ(ByName("IAMReadOnlyAccess")->update_date, "2018-01-25T19:11:27Z");
  EXPECT_EQ(ByName("IAMReadOnlyAccess")->default_version_id, "v4");
  EXPECT_EQ(ByName("AdministratorAccess")->default_version_id, "v1");
  EXPECT_EQ(ByName("PowerUserAccess")->description,
            "Provides full access to AWS services and resources, but does not allow management "
            "of Users and groups.");
}

TEST(ManagedPolicies, IdsAreStableAndWellFormed) {
  // Independent vectors: "ANPA" + base64.b32encode(hashlib.sha256(arn).digest())[:17].
  EXPECT_EQ(PolicyIdForArn("arn:aws:iam::aws:policy/AdministratorAccess"), "ANPAXUEARDEVTUHKHZ23E");
  EXPECT_EQ(PolicyIdForArn("arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"),
            "ANPAZBLYQZXIOUXZNXU6V");
  EXPECT_EQ(ByName("AdministratorAccess")->policy_id, "ANPAXUEARDEVTUHKHZ23E");

  const std::regex kId("ANPA[A-Z2-7]{17}");
  std::set<std::string> ids;
  for (const AwsManagedPolicy& p : AwsManagedPolicies()) {
    EXPECT_TRUE(std::regex_match(p.policy_id, kId)) << p.name << " " << p.policy_id;
    EXPECT_EQ(p.policy_id, PolicyIdForArn(p.arn));
    EXPECT_TRUE(ids.insert(p.policy_id).second) << "duplicate id " << p.policy_id;
  }
}

TEST(ManagedPolicies, ParserRejectsBrokenCatalogues) {
  EXPECT_FALSE(ParseAwsManagedPolicies("not json").ok());
  EXPECT_FALSE(ParseAwsManagedPolicies("{}").ok());
  EXPECT_TRUE(ParseAwsManagedPolicies("[]").ok());
  auto entry = [](std::string name, std::string path, std::string arn) {
    return R"({"PolicyName":")" + name + R"(","Path":")" + path + R"(","Arn":")" + arn +
           R"(","DefaultVersionId":"v1","CreateDate":"2015-02-06T18:39:46Z",)"
           R"("UpdateDate":"2015-02-06T18:39:46Z","Document":{"Version":"2012-10-17",)"
           R"("Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}})";
  };
  std::string a = entry("A", "/", "arn:aws:iam::aws:policy/A");
  std::string b = entry("B", "/x/", "arn:aws:iam::aws:policy/x/B");
  Result<std::vector<AwsManagedPolicy>> good = ParseAwsManagedPolicies("[" + a + "," + b + "]");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ((*good)[1].arn, "arn:aws:iam::aws:policy/x/B");
  EXPECT_EQ(
      (*good)[1].document_json,
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})");
  EXPECT_FALSE(ParseAwsManagedPolicies("[" + b + "," + a + "]").ok());  // unsorted
  EXPECT_FALSE(ParseAwsManagedPolicies("[" + a + "," + a + "]").ok());  // repeated
  EXPECT_FALSE(ParseAwsManagedPolicies("[" + entry("A", "/", "arn:aws:iam::aws:policy/x/A") + "]")
                   .ok());  // ARN without the path
  EXPECT_FALSE(ParseAwsManagedPolicies("[" + entry("A", "x", "arn:aws:iam::aws:policyxA") + "]")
                   .ok());  // path not /.../
  std::string no_document = a.substr(0, a.find(R"(,"Document")")) + "}";
  EXPECT_FALSE(ParseAwsManagedPolicies("[" + no_document + "]").ok());
}

// Evaluates one request by an IAM user of kAccount against the named managed policies
// (attached to the user, no other policy).
Decision Decide(std::vector<std::string> names, std::string action, std::string resource,
                std::map<std::string, std::string> keys = {}) {
  std::vector<policy::Policy> parsed;
  parsed.reserve(names.size());
  for (const std::string& name : names) {
    const AwsManagedPolicy* p = ByName(name);
    EXPECT_NE(p, nullptr) << name;
    if (p == nullptr) return Decision::kImplicitDeny;
    Result<policy::Policy> r = policy::ParsePolicy(p->document_json);
    EXPECT_TRUE(r.ok()) << name;
    if (!r.ok()) return Decision::kImplicitDeny;
    parsed.push_back(std::move(r).value());
  }
  policy::PolicySet set;
  for (const policy::Policy& p : parsed) set.identity.push_back(&p);
  policy::RequestContext rc;
  rc.SetPrincipal(std::string("arn:aws:iam::") + kAccount + ":user/alice");
  rc.action = std::move(action);
  rc.resource = std::move(resource);
  rc.resource_account = kAccount;
  rc.SetKey("aws:username", "alice");
  for (auto& [k, v] : keys) rc.SetKey(k, v);
  return policy::Evaluate(set, rc);
}

const std::string kUserBob = std::string("arn:aws:iam::") + kAccount + ":user/bob";
const std::string kUserAlice = std::string("arn:aws:iam::") + kAccount + ":user/alice";
const std::string kKey =
    std::string("arn:aws:kms:us-east-1:") + kAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab";
const std::string kSecret =
    std::string("arn:aws:secretsmanager:us-east-1:") + kAccount + ":secret:db-AbCdEf";

TEST(ManagedPolicyDecisions, IamReadOnlyAccess) {
  EXPECT_EQ(Decide({"IAMReadOnlyAccess"}, "iam:ListUsers", "*"), Decision::kAllow);
  EXPECT_EQ(Decide({"IAMReadOnlyAccess"}, "iam:GetUser", kUserBob), Decision::kAllow);
  EXPECT_EQ(Decide({"IAMReadOnlyAccess"}, "iam:CreateUser", kUserBob), Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"IAMReadOnlyAccess"}, "iam:CreateAccessKey", kUserBob),
            Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"IAMFullAccess"}, "iam:CreateUser", kUserBob), Decision::kAllow);
  EXPECT_EQ(Decide({"IAMFullAccess"}, "kms:Decrypt", kKey), Decision::kImplicitDeny);
}

TEST(ManagedPolicyDecisions, AdministratorAndPowerUser) {
  EXPECT_EQ(Decide({"AdministratorAccess"}, "kms:Decrypt", kKey), Decision::kAllow);
  EXPECT_EQ(Decide({"AdministratorAccess"}, "iam:CreateUser", kUserBob), Decision::kAllow);

  EXPECT_EQ(Decide({"PowerUserAccess"}, "kms:CreateKey", "*"), Decision::kAllow);
  EXPECT_EQ(Decide({"PowerUserAccess"}, "secretsmanager:GetSecretValue", kSecret),
            Decision::kAllow);
  EXPECT_EQ(Decide({"PowerUserAccess"}, "iam:CreateUser", kUserBob), Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"PowerUserAccess"}, "iam:AttachUserPolicy", kUserBob), Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"PowerUserAccess"}, "organizations:LeaveOrganization", "*"),
            Decision::kImplicitDeny);
  // The IAM, Organizations and Account actions it grants back.
  EXPECT_EQ(Decide({"PowerUserAccess"}, "iam:CreateServiceLinkedRole", "*"), Decision::kAllow);
  EXPECT_EQ(Decide({"PowerUserAccess"}, "iam:ListRoles", "*"), Decision::kAllow);
  EXPECT_EQ(Decide({"PowerUserAccess"}, "organizations:DescribeOrganization", "*"),
            Decision::kAllow);
  EXPECT_EQ(Decide({"PowerUserAccess"}, "account:ListRegions", "*"), Decision::kAllow);

  // AWSDenyAll wins over anything.
  EXPECT_EQ(Decide({"AdministratorAccess", "AWSDenyAll"}, "kms:Decrypt", kKey),
            Decision::kExplicitDeny);
}

TEST(ManagedPolicyDecisions, ServicePolicies) {
  EXPECT_EQ(Decide({"AWSKeyManagementServicePowerUser"}, "kms:CreateKey", "*"), Decision::kAllow);
  EXPECT_EQ(Decide({"AWSKeyManagementServicePowerUser"}, "kms:Decrypt", kKey),
            Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"ReadOnlyAccess"}, "kms:DescribeKey", kKey), Decision::kAllow);
  EXPECT_EQ(Decide({"ReadOnlyAccess"}, "kms:Decrypt", kKey), Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"SecretsManagerReadWrite"}, "secretsmanager:GetSecretValue", kSecret),
            Decision::kAllow);
  EXPECT_EQ(Decide({"SecretsManagerReadWrite"}, "iam:CreateUser", kUserBob),
            Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"AWSPrivateCAReadOnly"}, "acm-pca:ListCertificateAuthorities", "*"),
            Decision::kAllow);
  EXPECT_EQ(Decide({"AWSPrivateCAReadOnly"}, "acm-pca:IssueCertificate", "*"),
            Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"SecurityAudit"}, "guardduty:ListDetectors", "*"), Decision::kAllow);
  EXPECT_EQ(Decide({"SecurityAudit"}, "guardduty:DeleteDetector", "*"), Decision::kImplicitDeny);
}

TEST(ManagedPolicyDecisions, ConditionsAndVariables) {
  // GuardDuty may pass roles only to its malware-protection services.
  const std::string role = std::string("arn:aws:iam::") + kAccount + ":role/scanner";
  EXPECT_EQ(Decide({"AmazonGuardDutyFullAccess_v2"}, "iam:PassRole", role,
                   {{"iam:PassedToService", "malware-protection-plan.guardduty.amazonaws.com"}}),
            Decision::kAllow);
  EXPECT_EQ(Decide({"AmazonGuardDutyFullAccess_v2"}, "iam:PassRole", role,
                   {{"iam:PassedToService", "ec2.amazonaws.com"}}),
            Decision::kImplicitDeny);
  EXPECT_EQ(Decide({"AmazonGuardDutyFullAccess_v2"}, "iam:PassRole", role),
            Decision::kImplicitDeny);
  // IAMUserChangePassword: a user may change only their own password (${aws:username}).
  EXPECT_EQ(Decide({"IAMUserChangePassword"}, "iam:ChangePassword", kUserAlice), Decision::kAllow);
  EXPECT_EQ(Decide({"IAMUserChangePassword"}, "iam:ChangePassword", kUserBob),
            Decision::kImplicitDeny);
}

}  // namespace
}  // namespace bulwark::iam
