// X.509: CSRs made and parsed, a root and a subordinate CA and an end-entity certificate
// issued from them, checked here and by the openssl command line (verify, x509 -text,
// req -verify), and every kind of bad input refused.
#include "crypto/x509.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/asymmetric.h"
#include "crypto/crypto.h"

namespace bulwark::crypto {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1796400000;  // 2026-12-04T16:00:00Z
constexpr int64_t kYear = 365 * 86400;

struct Ca {
  KeyPair key;
  DistinguishedName name;
  std::string pem;
};

std::string Serial() {
  std::string s(16, '\0');
  RandomBytes(s.data(), s.size());
  s[0] = static_cast<char>(s[0] & 0x7f);
  if (s[0] == 0) s[0] = 1;
  return s;
}

Ca MakeRoot(KeySpec spec, CertSigningAlgorithm alg) {
  Ca ca;
  auto key = GenerateKeyPair(spec);
  EXPECT_TRUE(key.ok());
  ca.key = std::move(key).value();
  ca.name = {{"C", "US"}, {"O", "Example Corp"}, {"CN", "Example Root CA"}};
  CertificateSpec s;
  s.subject = ca.name;
  s.issuer = ca.name;
  s.public_key = ca.key.public_key;
  s.issuer_private_key = &ca.key.private_key;
  s.issuer_public_key = ca.key.public_key;
  s.serial = Serial();
  s.not_before = kNow - 3600;
  s.not_after = kNow + 10 * kYear;
  s.algorithm = alg;
  s.ca = true;
  s.path_length = 1;
  s.key_usage = kDigitalSignature | kKeyCertSign | kCrlSign;
  auto pem = IssueCertificate(s);
  EXPECT_TRUE(pem.ok()) << pem.status().message();
  ca.pem = pem.ok() ? *pem : "";
  return ca;
}

// A certificate for `subject_key` issued by `issuer`.
CertificateSpec IssuedBy(const Ca& issuer, const DistinguishedName& subject,
                         const std::string& subject_key, CertSigningAlgorithm alg) {
  CertificateSpec s;
  s.subject = subject;
  s.issuer = issuer.name;
  s.public_key = subject_key;
  s.issuer_private_key = &issuer.key.private_key;
  s.issuer_public_key = issuer.key.public_key;
  s.serial = Serial();
  s.not_before = kNow - 60;
  s.not_after = kNow + kYear;
  s.algorithm = alg;
  return s;
}

TEST(X509Test, SigningAlgorithmNamesRoundTripAndFitKeys) {
  for (const char* name : {"SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA", "SHA256WITHECDSA",
                           "SHA384WITHECDSA", "SHA512WITHECDSA"}) {
    auto alg = CertSigningAlgorithmFromName(name);
    ASSERT_TRUE(alg.has_value()) << name;
    EXPECT_EQ(CertSigningAlgorithmName(*alg), name);
  }
  EXPECT_FALSE(CertSigningAlgorithmFromName("SHA1WITHRSA").has_value());
  EXPECT_TRUE(CertSigningAlgorithmFits(CertSigningAlgorithm::kSha256WithRsa, KeySpec::kRsa4096));
  EXPECT_FALSE(
      CertSigningAlgorithmFits(CertSigningAlgorithm::kSha256WithRsa, KeySpec::kEccNistP256));
  EXPECT_TRUE(
      CertSigningAlgorithmFits(CertSigningAlgorithm::kSha384WithEcdsa, KeySpec::kEccNistP384));
}

TEST(X509Test, CsrRoundTripsAndItsSignatureIsChecked) {
  auto key = GenerateKeyPair(KeySpec::kEccNistP256);
  ASSERT_TRUE(key.ok());
  const DistinguishedName subject = {
      {"C", "DE"}, {"ST", "Berlin"}, {"O", "Bülow & Söhne"}, {"CN", "Sub CA"}};
  auto pem = MakeCsr(key->private_key, subject, CertSigningAlgorithm::kSha256WithEcdsa);
  ASSERT_TRUE(pem.ok()) << pem.status().message();
  EXPECT_EQ(pem->rfind("-----BEGIN CERTIFICATE REQUEST-----", 0), 0u);
  auto csr = ParseCsr(*pem);
  ASSERT_TRUE(csr.ok()) << csr.status().message();
  EXPECT_EQ(csr->subject, subject);
  EXPECT_EQ(csr->public_key, key->public_key);
  EXPECT_EQ(DistinguishedNameText(subject), "CN=Sub CA,O=Bülow & Söhne,ST=Berlin,C=DE");

  // The signature covers the request: one byte of the signature changed is refused.
  const size_t body = pem->find('\n') + 1;
  const size_t end = pem->find("-----END");
  std::string b64;
  for (char c : pem->substr(body, end - body)) {
    if (c != '\n') b64.push_back(c);
  }
  auto der = Base64Decode(b64);
  ASSERT_TRUE(der.has_value());
  (*der)[der->size() - 1] ^= 0x01;
  std::string bad = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64Encode(*der) +
                    "\n-----END CERTIFICATE REQUEST-----\n";
  EXPECT_EQ(ParseCsr(bad).status().kind(), ErrorKind::kValidation);

  // An RSA algorithm for an EC key is refused.
  EXPECT_EQ(
      MakeCsr(key->private_key, subject, CertSigningAlgorithm::kSha256WithRsa).status().kind(),
      ErrorKind::kValidation);
  // An attribute OpenSSL does not know is refused.
  EXPECT_EQ(
      MakeCsr(key->private_key, {{"NotAnAttribute", "x"}}, CertSigningAlgorithm::kSha256WithEcdsa)
          .status()
          .kind(),
      ErrorKind::kValidation);
}

TEST(X509Test, BadPemIsRefused) {
  auto key = GenerateKeyPair(KeySpec::kEccNistP256);
  ASSERT_TRUE(key.ok());
  auto pem = MakeCsr(key->private_key, {{"CN", "x"}}, CertSigningAlgorithm::kSha256WithEcdsa);
  ASSERT_TRUE(pem.ok());
  const std::string oversized(kMaxCsrPem + 1, 'A');
  for (const std::string& bad :
       {std::string(), std::string("not pem"), "junk\n" + *pem, *pem + *pem, oversized,
        std::string(
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
        std::string("-----BEGIN CERTIFICATE REQUEST-----\nMIIB"),
        std::string("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}) {
    EXPECT_EQ(ParseCsr(bad).status().kind(), ErrorKind::kValidation) << bad.substr(0, 40);
    EXPECT_EQ(ParseCertificate(bad).status().kind(), ErrorKind::kValidation);
  }
  // A CSR is not a certificate, nor a chain.
  EXPECT_EQ(ParseCertificate(*pem).status().kind(), ErrorKind::kValidation);
  EXPECT_EQ(SplitCertificateChain(*pem).status().kind(), ErrorKind::kValidation);
}

TEST(X509Test, RootSubordinateAndEndEntityChainVerifies) {
  const Ca root = MakeRoot(KeySpec::kRsa2048, CertSigningAlgorithm::kSha256WithRsa);
  ASSERT_FALSE(root.pem.empty());
  auto root_cert = ParseCertificate(root.pem);
  ASSERT_TRUE(root_cert.ok()) << root_cert.status().message();
  EXPECT_TRUE(root_cert->ca);
  EXPECT_EQ(root_cert->path_length, 1);
  EXPECT_TRUE(root_cert->self_signed);
  EXPECT_EQ(root_cert->subject, root.name);
  EXPECT_EQ(root_cert->issuer, root.name);
  EXPECT_EQ(root_cert->key_spec, KeySpec::kRsa2048);
  EXPECT_EQ(root_cert->not_after, kNow + 10 * kYear);
  EXPECT_EQ(root_cert->serial_hex.size(), 16u * 3 - 1);

  // A subordinate CA with an EC key, path length 0.
  Ca sub;
  auto sub_key = GenerateKeyPair(KeySpec::kEccNistP384);
  ASSERT_TRUE(sub_key.ok());
  sub.key = std::move(sub_key).value();
  sub.name = {{"O", "Example Corp"}, {"CN", "Example Issuing CA"}};
  CertificateSpec sub_spec =
      IssuedBy(root, sub.name, sub.key.public_key, CertSigningAlgorithm::kSha256WithRsa);
  sub_spec.ca = true;
  sub_spec.path_length = 0;
  sub_spec.key_usage = kDigitalSignature | kKeyCertSign | kCrlSign;
  sub_spec.crl_url = "http://127.0.0.1:4566/crl/ca-1.crl";
  auto sub_pem = IssueCertificate(sub_spec);
  ASSERT_TRUE(sub_pem.ok()) << sub_pem.status().message();
  sub.pem = *sub_pem;
  auto sub_cert = ParseCertificate(sub.pem);
  ASSERT_TRUE(sub_cert.ok());
  EXPECT_TRUE(sub_cert->ca);
  EXPECT_EQ(sub_cert->path_length, 0);
  EXPECT_FALSE(sub_cert->self_signed);

  // An end entity from a CSR with a subjectAltName.
  auto leaf_key = GenerateKeyPair(KeySpec::kEccNistP256);
  ASSERT_TRUE(leaf_key.ok());
  CertificateSpec leaf_spec = IssuedBy(sub, {{"CN", "www.example.com"}}, leaf_key->public_key,
                                       CertSigningAlgorithm::kSha384WithEcdsa);
  leaf_spec.key_usage = kDigitalSignature | kKeyEncipherment;
  leaf_spec.extended_key_usage = {"serverAuth", "clientAuth"};
  leaf_spec.dns_names = {"www.example.com", "example.com"};
  auto leaf_pem = IssueCertificate(leaf_spec);
  ASSERT_TRUE(leaf_pem.ok()) << leaf_pem.status().message();
  auto leaf = ParseCertificate(*leaf_pem);
  ASSERT_TRUE(leaf.ok());
  EXPECT_FALSE(leaf->ca);
  EXPECT_EQ(leaf->dns_names, (std::vector<std::string>{"www.example.com", "example.com"}));
  EXPECT_EQ(leaf->issuer, sub.name);

  EXPECT_TRUE(VerifyCertificateChain(*leaf_pem, sub.pem, root.pem, kNow).ok());
  // Not yet valid, expired, or without its intermediate: refused.
  EXPECT_FALSE(VerifyCertificateChain(*leaf_pem, sub.pem, root.pem, kNow - 7200).ok());
  EXPECT_FALSE(VerifyCertificateChain(*leaf_pem, sub.pem, root.pem, kNow + 2 * kYear).ok());
  EXPECT_FALSE(VerifyCertificateChain(*leaf_pem, "", root.pem, kNow).ok());
  // Under another root: refused.
  const Ca other = MakeRoot(KeySpec::kEccNistP256, CertSigningAlgorithm::kSha256WithEcdsa);
  Status wrong = VerifyCertificateChain(*leaf_pem, sub.pem, other.pem, kNow);
  EXPECT_EQ(wrong.kind(), ErrorKind::kValidation);
  // A path length of 0 allows no further CA below the subordinate.
  CertificateSpec too_deep = IssuedBy(sub, {{"CN", "Too Deep CA"}}, leaf_key->public_key,
                                      CertSigningAlgorithm::kSha384WithEcdsa);
  too_deep.ca = true;
  too_deep.key_usage = kKeyCertSign;
  auto deep_pem = IssueCertificate(too_deep);
  ASSERT_TRUE(deep_pem.ok());
  CertificateSpec below =
      IssuedBy(sub, {{"CN", "x"}}, leaf_key->public_key, CertSigningAlgorithm::kSha384WithEcdsa);
  below.issuer = too_deep.subject;
  below.issuer_private_key = &leaf_key->private_key;
  below.issuer_public_key = leaf_key->public_key;
  auto below_pem = IssueCertificate(below);
  ASSERT_TRUE(below_pem.ok());
  EXPECT_FALSE(VerifyCertificateChain(*below_pem, sub.pem + *deep_pem, root.pem, kNow).ok());

  // The chain splits into its certificates, in order.
  auto chain = SplitCertificateChain(sub.pem + "\n" + root.pem);
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[0], sub.pem);
  EXPECT_EQ((*chain)[1], root.pem);
}

TEST(X509Test, IssueRefusesBadSpecifications) {
  const Ca root = MakeRoot(KeySpec::kEccNistP256, CertSigningAlgorithm::kSha256WithEcdsa);
  auto key = GenerateKeyPair(KeySpec::kEccNistP256);
  ASSERT_TRUE(key.ok());
  const CertificateSpec good =
      IssuedBy(root, {{"CN", "a"}}, key->public_key, CertSigningAlgorithm::kSha256WithEcdsa);
  ASSERT_TRUE(IssueCertificate(good).ok());
  auto refused = [&](auto change) {
    CertificateSpec s = good;
    change(s);
    return IssueCertificate(s).status().kind() == ErrorKind::kValidation;
  };
  EXPECT_TRUE(refused([](CertificateSpec& s) { s.serial = ""; }));
  EXPECT_TRUE(refused([](CertificateSpec& s) { s.serial = std::string(21, '\x01'); }));
  EXPECT_TRUE(refused([](CertificateSpec& s) { s.serial = "\x80"; }));
  EXPECT_TRUE(refused([](CertificateSpec& s) { s.not_after = s.not_before; }));
  EXPECT_TRUE(
      refused([](CertificateSpec& s) { s.algorithm = CertSigningAlgorithm::kSha256WithRsa; }));
  EXPECT_TRUE(refused([](CertificateSpec& s) { s.public_key = "not a key"; }));
  EXPECT_TRUE(refused([](CertificateSpec& s) { s.issuer_private_key = nullptr; }));
  EXPECT_TRUE(refused([](CertificateSpec& s) { s.extended_key_usage = {"no such usage"}; }));
  EXPECT_TRUE(refused([](CertificateSpec& s) { s.subject = {{"CN", ""}}; }));
}

// --- The openssl command line agrees --------------------------------------------------

class X509Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "openssl command not installed";
    }
    std::string suffix(8, '\0');
    RandomBytes(suffix.data(), suffix.size());
    dir_ = fs::temp_directory_path() / ("bulwark_x509_" + HexEncode(suffix));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void Write(const std::string& name, std::string_view data) const {
    std::ofstream out(dir_ / name, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool Run(const std::string& command) const {
    const std::string full = "cd '" + dir_.string() + "' && " + command + " 2>/dev/null";
    return std::system(full.c_str()) == 0;
  }
  fs::path dir_;
};

TEST_F(X509Cli, OpensslVerifiesTheChainAndReadsTheExtensions) {
  const Ca root = MakeRoot(KeySpec::kRsa3072, CertSigningAlgorithm::kSha384WithRsa);
  // The end entity's key and CSR come from the openssl command line.
  ASSERT_TRUE(
      Run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key "
          "-subj '/CN=api.example.com/O=Example' -addext 'subjectAltName=DNS:api.example.com' "
          "-out leaf.csr >/dev/null"));
  auto csr = ParseCsr(Read("leaf.csr"));
  ASSERT_TRUE(csr.ok()) << csr.status().message();
  EXPECT_EQ(csr->dns_names, std::vector<std::string>{"api.example.com"});
  EXPECT_EQ(csr->subject, (DistinguishedName{{"CN", "api.example.com"}, {"O", "Example"}}));
  CertificateSpec spec =
      IssuedBy(root, csr->subject, csr->public_key, CertSigningAlgorithm::kSha384WithRsa);
  spec.key_usage = kDigitalSignature | kKeyAgreement;
  spec.extended_key_usage = {"serverAuth"};
  spec.dns_names = csr->dns_names;
  spec.crl_url = "http://127.0.0.1:4566/crl/x.crl";
  auto leaf = IssueCertificate(spec);
  ASSERT_TRUE(leaf.ok()) << leaf.status().message();
  Write("root.pem", root.pem);
  Write("leaf.pem", *leaf);
  EXPECT_TRUE(Run("openssl verify -attime " + std::to_string(kNow) +
                  " -CAfile root.pem leaf.pem >/dev/null"));
  EXPECT_FALSE(Run("openssl verify -attime " + std::to_string(kNow) +
                   " -CAfile leaf.pem leaf.pem >/dev/null"));
  ASSERT_TRUE(Run("openssl x509 -in root.pem -noout -text > root.txt"));
  ASSERT_TRUE(Run("openssl x509 -in leaf.pem -noout -text > leaf.txt"));
  const std::string root_text = Read("root.txt");
  const std::string leaf_text = Read("leaf.txt");
  EXPECT_NE(root_text.find("CA:TRUE, pathlen:1"), std::string::npos) << root_text;
  EXPECT_NE(root_text.find("Certificate Sign, CRL Sign"), std::string::npos) << root_text;
  EXPECT_NE(root_text.find("sha384WithRSAEncryption"), std::string::npos);
  EXPECT_NE(leaf_text.find("TLS Web Server Authentication"), std::string::npos) << leaf_text;
  EXPECT_NE(leaf_text.find("DNS:api.example.com"), std::string::npos);
  EXPECT_NE(leaf_text.find("URI:http://127.0.0.1:4566/crl/x.crl"), std::string::npos);
  EXPECT_NE(leaf_text.find("X509v3 Authority Key Identifier"), std::string::npos);
  EXPECT_NE(leaf_text.find("X509v3 Subject Key Identifier"), std::string::npos);
  // The CSR Bulwark makes verifies with openssl too.
  auto own = MakeCsr(root.key.private_key, root.name, CertSigningAlgorithm::kSha512WithRsa);
  ASSERT_TRUE(own.ok());
  Write("own.csr", *own);
  EXPECT_TRUE(Run("openssl req -in own.csr -noout -verify >/dev/null"));
}

TEST_F(X509Cli, CrlListsRevokedSerialsAndOpensslHonoursIt) {
  const Ca root = MakeRoot(KeySpec::kEccNistP256, CertSigningAlgorithm::kSha256WithEcdsa);
  auto key = GenerateKeyPair(KeySpec::kEccNistP256);
  ASSERT_TRUE(key.ok());
  CertificateSpec revoked_spec =
      IssuedBy(root, {{"CN", "revoked"}}, key->public_key, CertSigningAlgorithm::kSha256WithEcdsa);
  CertificateSpec kept_spec =
      IssuedBy(root, {{"CN", "kept"}}, key->public_key, CertSigningAlgorithm::kSha256WithEcdsa);
  auto revoked = IssueCertificate(revoked_spec);
  auto kept = IssueCertificate(kept_spec);
  ASSERT_TRUE(revoked.ok() && kept.ok());
  CrlSpec crl;
  crl.issuer = root.name;
  crl.issuer_private_key = &root.key.private_key;
  crl.issuer_public_key = root.key.public_key;
  crl.algorithm = CertSigningAlgorithm::kSha256WithEcdsa;
  crl.number = 7;
  crl.this_update = kNow - 60;
  crl.next_update = kNow + 7 * 86400;
  crl.revoked = {{revoked_spec.serial, kNow - 30, 1}};
  auto der = MakeCrl(crl);
  ASSERT_TRUE(der.ok()) << der.status().message();
  Write("crl.der", *der);
  Write("root.pem", root.pem);
  Write("revoked.pem", *revoked);
  Write("kept.pem", *kept);
  ASSERT_TRUE(Run("openssl crl -inform DER -in crl.der -noout -text > crl.txt"));
  const std::string text = Read("crl.txt");
  EXPECT_NE(text.find("Key Compromise"), std::string::npos) << text;
  EXPECT_NE(text.find("X509v3 CRL Number"), std::string::npos) << text;
  std::string serial_hex = HexEncode(revoked_spec.serial);  // openssl prints upper case
  for (char& c : serial_hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(text.find(serial_hex.substr(2)), std::string::npos) << text;
  ASSERT_TRUE(Run("openssl crl -inform DER -in crl.der -out crl.pem"));
  EXPECT_TRUE(Run("openssl crl -in crl.pem -CAfile root.pem -noout"));
  const std::string check = "openssl verify -attime " + std::to_string(kNow) +
                            " -crl_check -CAfile root.pem "
                            "-CRLfile crl.pem ";
  EXPECT_FALSE(Run(check + "revoked.pem >/dev/null"));
  EXPECT_TRUE(Run(check + "kept.pem >/dev/null"));
  // Bad specifications are refused.
  CrlSpec bad = crl;
  bad.next_update = bad.this_update;
  EXPECT_EQ(MakeCrl(bad).status().kind(), ErrorKind::kValidation);
  bad = crl;
  bad.revoked = {{std::string(), kNow, 1}};
  EXPECT_EQ(MakeCrl(bad).status().kind(), ErrorKind::kValidation);
  bad = crl;
  bad.algorithm = CertSigningAlgorithm::kSha256WithRsa;
  EXPECT_EQ(MakeCrl(bad).status().kind(), ErrorKind::kValidation);
}

}  // namespace
}  // namespace bulwark::crypto
