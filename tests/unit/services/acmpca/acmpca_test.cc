// AWS Private CA through its handlers with an injected clock: the CA's key sealed at rest,
// a root's own certificate and an end entity's, and a deleted CA destroyed (record, key
// material, certificates) by maintenance once its restore window ends, not before.
#include "services/acmpca/acmpca.h"

#include <gtest/gtest.h>

#include <ctime>

#include "crypto/asymmetric.h"
#include "crypto/x509.h"
#include "services/acmpca/handlers.h"
#include "services/iam/fixture.h"
#include "storage/sealer.h"

namespace bulwark::acmpca {
namespace {

using iam::testutil::kNow;

constexpr int64_t kDay = 86400;

Json Binary(std::string_view text) {
  return Json::binary(Json::binary_t::container_type(text.begin(), text.end()));
}

class AcmPcaTest : public iam::testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    env().sealer = &sealer_;
  }

  // An active root CA: its ARN.
  std::string ActiveRoot() {
    const std::string arn = Ok(&CreateCertificateAuthority,
                               {{"CertificateAuthorityType", "ROOT"},
                                {"CertificateAuthorityConfiguration",
                                 {{"KeyAlgorithm", "EC_prime256v1"},
                                  {"SigningAlgorithm", "SHA256WITHECDSA"},
                                  {"Subject", {{"CommonName", "Test Root"}}}}}},
                               "Create")
                                .value("CertificateAuthorityArn", "");
    const std::string csr =
        Ok(&GetCertificateAuthorityCsr, {{"CertificateAuthorityArn", arn}}, "Csr").value("Csr", "");
    const std::string cert_arn =
        Ok(&IssueCertificate,
           {{"CertificateAuthorityArn", arn},
            {"Csr", Binary(csr)},
            {"SigningAlgorithm", "SHA256WITHECDSA"},
            {"TemplateArn", "arn:aws:acm-pca:::template/RootCACertificate/V1"},
            {"Validity", {{"Value", 5}, {"Type", "YEARS"}}}},
           "IssueRoot")
            .value("CertificateArn", "");
    const std::string cert =
        Ok(&GetCertificate, {{"CertificateAuthorityArn", arn}, {"CertificateArn", cert_arn}},
           "GetRoot")
            .value("Certificate", "");
    Ok(&ImportCertificateAuthorityCertificate,
       {{"CertificateAuthorityArn", arn}, {"Certificate", Binary(cert)}}, "Import");
    return arn;
  }

  size_t Rows(const std::string& prefix) {
    auto txn = store().BeginReadOnly();
    EXPECT_TRUE(txn.ok());
    auto rows = (*txn)->Scan(prefix);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? rows->size() : 0;
  }

  storage::Sealer sealer_{SecretBytes::FromView(std::string(32, 'r'))};
};

TEST_F(AcmPcaTest, KeyIsSealedAndIssuesCertificatesUnderTheRoot) {
  const std::string arn = ActiveRoot();
  const std::string id = arn.substr(arn.rfind('/') + 1);
  RequestContext ctx = MakeContext();
  auto txn = store().BeginReadOnly();
  ASSERT_TRUE(txn.ok());
  auto sealed = (*txn)->Get(CaKeyMaterialKey(ctx, id));
  ASSERT_TRUE(sealed.ok() && sealed->has_value());
  // Not a key as stored; the key once opened, and it is the certificate's.
  EXPECT_FALSE(crypto::PublicKeyFromPrivateKey(SecretBytes::FromView(**sealed)).ok());
  auto key = sealer_.Open(CaKeyMaterialKey(ctx, id), **sealed);
  ASSERT_TRUE(key.ok());
  auto public_key = crypto::PublicKeyFromPrivateKey(*key);
  ASSERT_TRUE(public_key.ok());
  const Json ca_cert = Ok(&GetCertificateAuthorityCertificate, {{"CertificateAuthorityArn", arn}});
  auto parsed = crypto::ParseCertificate(ca_cert.value("Certificate", ""));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->public_key, *public_key);
  EXPECT_TRUE(parsed->self_signed && parsed->ca);
  // Five calendar years from now (leap days included), an hour of backdating before.
  std::time_t now = kNow;
  std::tm tm{};
  gmtime_r(&now, &tm);
  tm.tm_year += 5;
  EXPECT_EQ(parsed->not_after, static_cast<int64_t>(timegm(&tm)));
  EXPECT_EQ(parsed->not_before, kNow - 3600);

  auto leaf_key = crypto::GenerateKeyPair(crypto::KeySpec::kRsa2048);
  ASSERT_TRUE(leaf_key.ok());
  auto csr = crypto::MakeCsr(leaf_key->private_key, {{"CN", "leaf"}},
                             crypto::CertSigningAlgorithm::kSha256WithRsa);
  ASSERT_TRUE(csr.ok());
  const std::string leaf_arn =
      Ok(&IssueCertificate, {{"CertificateAuthorityArn", arn},
                             {"Csr", Binary(*csr)},
                             {"SigningAlgorithm", "SHA256WITHECDSA"},
                             {"Validity", {{"Value", 20261231235959}, {"Type", "END_DATE"}}}})
          .value("CertificateArn", "");
  const Json leaf =
      Ok(&GetCertificate, {{"CertificateAuthorityArn", arn}, {"CertificateArn", leaf_arn}});
  auto leaf_cert = crypto::ParseCertificate(leaf.value("Certificate", ""));
  ASSERT_TRUE(leaf_cert.ok());
  EXPECT_EQ(leaf_cert->not_after, 1798761599);  // 2026-12-31T23:59:59Z
  EXPECT_EQ(leaf_cert->not_before, kNow - 3600);
  EXPECT_TRUE(crypto::VerifyCertificateChain(leaf.value("Certificate", ""), "",
                                             leaf.value("CertificateChain", ""), kNow)
                  .ok());
}

TEST_F(AcmPcaTest, DeletedCaIsDestroyedWhenItsWindowEnds) {
  const std::string arn = ActiveRoot();
  const std::string other = ActiveRoot();
  Ok(&UpdateCertificateAuthority, {{"CertificateAuthorityArn", arn}, {"Status", "DISABLED"}});
  Ok(&DeleteCertificateAuthority,
     {{"CertificateAuthorityArn", arn}, {"PermanentDeletionTimeInDays", 7}});
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_EQ(Rows("acm-pca/ca/"), 2u);
  EXPECT_EQ(Rows("acm-pca/key/"), 2u);
  EXPECT_EQ(Rows("acm-pca/cert/"), 2u);  // each root's own certificate

  set_now(kNow + 7 * kDay);
  // Past its window it is gone at once, maintenance or not...
  EXPECT_EQ(Code(Call(&DescribeCertificateAuthority, {{"CertificateAuthorityArn", arn}})),
            "ResourceNotFoundException");
  EXPECT_EQ(Code(Call(&RestoreCertificateAuthority, {{"CertificateAuthorityArn", arn}})),
            "ResourceNotFoundException");
  EXPECT_EQ(Ok(&ListCertificateAuthorities, Json::object())["CertificateAuthorities"].size(), 1u);
  // ...and maintenance destroys it: record, key material and certificates.
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_EQ(Rows("acm-pca/ca/"), 1u);
  EXPECT_EQ(Rows("acm-pca/key/"), 1u);
  EXPECT_EQ(Rows("acm-pca/cert/"), 1u);
  EXPECT_EQ(Ok(&DescribeCertificateAuthority,
               {{"CertificateAuthorityArn", other}})["CertificateAuthority"]
                .value("Status", ""),
            "ACTIVE");
}

// What a RevocationConfiguration may ask for: a complete CRL to a bucket and path that
// stay inside the CRL directory; no OCSP.
TEST(AcmPcaRevocationTest, ConfigurationsBulwarkCanCarryOut) {
  auto check = [](const Json& crl) {
    return CheckRevocationConfiguration({{"RevocationConfiguration", {{"CrlConfiguration", crl}}}});
  };
  EXPECT_TRUE(check({{"Enabled", false}}).ok());
  EXPECT_TRUE(check({{"Enabled", true}, {"S3BucketName", "my.crl-bucket"}}).ok());
  EXPECT_TRUE(
      check({{"Enabled", true}, {"S3BucketName", "b12"}, {"CustomPath", "pki/crl-v2"}}).ok());
  for (const Json& bad :
       {Json{{"Enabled", true}}, Json{{"Enabled", true}, {"S3BucketName", "ab"}},
        Json{{"Enabled", true}, {"S3BucketName", "Upper"}},
        Json{{"Enabled", true}, {"S3BucketName", ".."}},
        Json{{"Enabled", true}, {"S3BucketName", "a/b"}},
        Json{{"Enabled", true}, {"S3BucketName", "bucket"}, {"CustomPath", "../x"}},
        Json{{"Enabled", true}, {"S3BucketName", "bucket"}, {"CustomPath", "/x"}},
        Json{{"Enabled", true}, {"S3BucketName", "bucket"}, {"CustomPath", "a//b"}},
        Json{{"Enabled", true}, {"S3BucketName", "bucket"}, {"CrlType", "PARTITIONED"}}}) {
    Status st = check(bad);
    EXPECT_FALSE(st.ok()) << bad.dump();
    EXPECT_EQ(st.code(), "InvalidArgsException") << bad.dump();
  }
  EXPECT_FALSE(CheckRevocationConfiguration(
                   {{"RevocationConfiguration", {{"OcspConfiguration", {{"Enabled", true}}}}}})
                   .ok());
  // Served paths: only BUCKET/KEY.crl of the CRL directory.
  ServiceEnvironment env;
  env.pca_crl_dir = "/nonexistent-crl-dir";
  for (const char* path : {"../etc/passwd", "bucket/../../x.crl", "bucket/x.der", "bucket", ""}) {
    EXPECT_FALSE(ReadPublishedCrl(env, path).has_value()) << path;
  }
}

}  // namespace
}  // namespace bulwark::acmpca
