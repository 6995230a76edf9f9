// IAM SAML providers, called as handlers on a fresh store: AWS's shapes, error codes and
// messages, the metadata parsed at creation, and private keys sealed at rest. The IdP's
// certificate and the private keys are made with the openssl CLI.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/iam/fixture.h"
#include "services/iam/handlers.h"
#include "storage/sealer.h"

namespace bulwark::iam {
namespace {

using testutil::IamTest;
using testutil::IsError;
using testutil::kAccount;
using testutil::kNow;

const std::string kArn = "arn:aws:iam::123456789012:saml-provider/MyIdP";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Shell(const std::string& cmd) { return std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()); }

class SamlProviderTest : public IamTest {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/bulwark-saml-iam-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=idp -keyout " + dir_ +
          "/idp.key -out " + dir_ + "/idp.pem && openssl x509 -in " + dir_ +
          "/idp.pem -outform DER -out " + dir_ + "/idp.der");
    for (const char* name : {"k1", "k2", "k3"}) {
      Shell("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + dir_ + "/" +
            name + ".pem");
    }
    cert_b64_ = crypto::Base64Encode(ReadFile(dir_ + "/idp.der"));
  }
  static void TearDownTestSuite() { Shell("rm -rf " + dir_); }

  void SetUp() override {
    IamTest::SetUp();
    ASSERT_FALSE(cert_b64_.empty()) << "openssl could not make a certificate";
    sealer_ = std::make_unique<storage::Sealer>(SecretBytes(32));
    env().sealer = sealer_.get();
  }

  static std::string Metadata(std::string_view valid_until = "") {
    std::string attr =
        valid_until.empty() ? "" : " validUntil=\"" + std::string(valid_until) + "\"";
    return "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
           "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" "
           "entityID=\"https://idp.example.com/saml\"" +
           attr +
           "><md:IDPSSODescriptor "
           "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
           "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" +
           cert_b64_ +
           "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
           "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
           "Location=\"https://idp.example.com/sso\"/></md:IDPSSODescriptor>"
           "</md:EntityDescriptor>";
  }

  static std::string Key(const char* name) { return ReadFile(dir_ + "/" + name + ".pem"); }

  Json Create(const std::string& name = "MyIdP") {
    return Ok(&CreateSAMLProvider, {{"Name", name}, {"SAMLMetadataDocument", Metadata()}});
  }

  static inline std::string dir_;
  static inline std::string cert_b64_;
  std::unique_ptr<storage::Sealer> sealer_;
};

int64_t Utc(int year, int month, int day, int h, int m, int s) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  return timegm(&tm);
}

TEST_F(SamlProviderTest, CreateGetList) {
  Json created = Ok(&CreateSAMLProvider, {{"Name", "MyIdP"},
                                          {"SAMLMetadataDocument", Metadata()},
                                          {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}});
  EXPECT_EQ(created["SAMLProviderArn"], kArn);
  EXPECT_EQ(created["Tags"], Json::parse(R"([{"Key":"k","Value":"v"}])"));
  Json got = Ok(&GetSAMLProvider, {{"SAMLProviderArn", kArn}});
  EXPECT_EQ(got["SAMLMetadataDocument"], Metadata());
  EXPECT_EQ(got["CreateDate"], kNow);
  // No validUntil in the metadata: 100 years from creation, as AWS sets it.
  EXPECT_EQ(got["ValidUntil"], Utc(2124, 1, 2, 3, 4, 5));
  const std::string uuid = got["SAMLProviderUUID"].get<std::string>();
  EXPECT_GE(uuid.size(), 22u);
  EXPECT_TRUE(std::all_of(uuid.begin(), uuid.end(),
                          [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }));
  EXPECT_FALSE(got.contains("PrivateKeyList"));
  Json listed = Ok(&ListSAMLProviders, Json::object());
  EXPECT_EQ(listed["SAMLProviderList"],
            Json::parse(R"([{"Arn":")" + kArn + R"(","ValidUntil":)" +
                        std::to_string(Utc(2124, 1, 2, 3, 4, 5)) + R"(,"CreateDate":)" +
                        std::to_string(kNow) + "}]"));
  Json summary = Ok(&GetAccountSummary, Json::object());
  EXPECT_EQ(summary["SummaryMap"]["Providers"], 1);

  Ok(&CreateSAMLProvider,
     {{"Name", "Dated"}, {"SAMLMetadataDocument", Metadata("2030-01-01T00:00:00Z")}});
  EXPECT_EQ(Ok(&GetSAMLProvider, {{"SAMLProviderArn",
                                   "arn:aws:iam::123456789012:saml-provider/Dated"}})["ValidUntil"],
            Utc(2030, 1, 1, 0, 0, 0));
}

TEST_F(SamlProviderTest, Errors) {
  Create();
  EXPECT_TRUE(
      IsError(Call(&CreateSAMLProvider, {{"Name", "myidp"}, {"SAMLMetadataDocument", Metadata()}}),
              "EntityAlreadyExists", "Provider with name myidp already exists."));
  std::string bad = Metadata();
  bad.replace(bad.find(cert_b64_), 20, std::string(20, 'A'));
  EXPECT_TRUE(IsError(Call(&CreateSAMLProvider, {{"Name", "Bad"}, {"SAMLMetadataDocument", bad}}),
                      "InvalidInput", "Could not parse metadata."));
  EXPECT_TRUE(
      IsError(Call(&CreateSAMLProvider,
                   {{"Name", "Bad"}, {"SAMLMetadataDocument", "<x/>" + std::string(1000, ' ')}}),
              "InvalidInput", "Could not parse metadata."));
  EXPECT_TRUE(IsError(
      Call(&GetSAMLProvider, {{"SAMLProviderArn", "arn:aws:iam::123456789012:saml-provider/None"}}),
      "NoSuchEntity"));
  EXPECT_TRUE(IsError(Call(&GetSAMLProvider,
                           {{"SAMLProviderArn", "arn:aws:iam::999999999999:saml-provider/MyIdP"}}),
                      "InvalidInput"));
  EXPECT_TRUE(IsError(Call(&UpdateSAMLProvider, {{"SAMLProviderArn", kArn}}), "InvalidInput",
                      "Unable to update identity provider. No updates are defined for metadata "
                      "or encryption assertion."));
  EXPECT_TRUE(
      IsError(Call(&UpdateSAMLProvider, {{"SAMLProviderArn", kArn},
                                         {"AddPrivateKey", Key("k1")},
                                         {"RemovePrivateKey", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}}),
              "InvalidInput",
              "Unable to add and remove private keys in the same request. Set a value "
              "for only one of the two parameters."));
  EXPECT_TRUE(IsError(Call(&UpdateSAMLProvider,
                           {{"SAMLProviderArn", kArn}, {"AssertionEncryptionMode", "Required"}}),
                      "InvalidInput",
                      "Unable to set assertion encryption mode to Required because no private key "
                      "is provided."));
  EXPECT_TRUE(IsError(Call(&UpdateSAMLProvider,
                           {{"SAMLProviderArn", kArn}, {"AddPrivateKey", "-----BEGIN nothing"}}),
                      "InvalidInput", "Invalid private key."));
  // The certificate is public: it is not a private key either.
  EXPECT_TRUE(IsError(Call(&UpdateSAMLProvider, {{"SAMLProviderArn", kArn},
                                                 {"AddPrivateKey", ReadFile(dir_ + "/idp.pem")}}),
                      "InvalidInput", "Invalid private key."));
}

TEST_F(SamlProviderTest, PrivateKeysAreSealedAndLimited) {
  Create();
  Ok(&UpdateSAMLProvider, {{"SAMLProviderArn", kArn}, {"AddPrivateKey", Key("k1")}});
  Ok(&UpdateSAMLProvider, {{"SAMLProviderArn", kArn},
                           {"AddPrivateKey", Key("k2")},
                           {"AssertionEncryptionMode", "Required"}});
  EXPECT_TRUE(
      IsError(Call(&UpdateSAMLProvider, {{"SAMLProviderArn", kArn}, {"AddPrivateKey", Key("k3")}}),
              "LimitExceeded", "Private key limit of 2 is reached."));
  Json got = Ok(&GetSAMLProvider, {{"SAMLProviderArn", kArn}});
  EXPECT_EQ(got["AssertionEncryptionMode"], "Required");
  ASSERT_EQ(got["PrivateKeyList"].size(), 2u);
  EXPECT_EQ(got["PrivateKeyList"][0]["Timestamp"], kNow);
  const std::string first = got["PrivateKeyList"][0]["KeyId"].get<std::string>();
  EXPECT_TRUE(
      IsError(Call(&UpdateSAMLProvider,
                   {{"SAMLProviderArn", kArn}, {"RemovePrivateKey", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ"}}),
              "InvalidInput",
              "Failed to remove private key because the Key ID does not match a private "
              "key."));

  // The keys open to what was given, and the store holds no key in plaintext.
  {
    auto txn = store().BeginReadOnly();
    ASSERT_TRUE(txn.ok());
    Result<std::optional<Json>> record = LoadSamlProvider(**txn, kArn);
    ASSERT_TRUE(record.ok() && record->has_value());
    RequestContext ctx = MakeContext();
    Result<std::vector<SecretBytes>> keys = SamlProviderPrivateKeys(ctx, **record);
    ASSERT_TRUE(keys.ok()) << keys.status().message();
    ASSERT_EQ(keys->size(), 2u);
    EXPECT_EQ((*keys)[0].view(), Key("k1"));
    EXPECT_EQ((*keys)[1].view(), Key("k2"));
    EXPECT_EQ((**record).dump().find("PRIVATE KEY"), std::string::npos);
    // The ARN must name the provider exactly as created.
    Result<std::optional<Json>> other_case =
        LoadSamlProvider(**txn, "arn:aws:iam::123456789012:saml-provider/myidp");
    ASSERT_TRUE(other_case.ok());
    EXPECT_FALSE(other_case->has_value());
  }

  Ok(&UpdateSAMLProvider, {{"SAMLProviderArn", kArn}, {"RemovePrivateKey", first}});
  got = Ok(&GetSAMLProvider, {{"SAMLProviderArn", kArn}});
  ASSERT_EQ(got["PrivateKeyList"].size(), 1u);
  EXPECT_NE(got["PrivateKeyList"][0]["KeyId"], first);
}

TEST_F(SamlProviderTest, TagsUpdateDelete) {
  Create();
  Ok(&TagSAMLProvider,
     {{"SAMLProviderArn", kArn},
      {"Tags", {{{"Key", "a"}, {"Value", "1"}}, {{"Key", "b"}, {"Value", "2"}}}}});
  Ok(&UntagSAMLProvider, {{"SAMLProviderArn", kArn}, {"TagKeys", {"A"}}});
  EXPECT_EQ(Ok(&ListSAMLProviderTags, {{"SAMLProviderArn", kArn}})["Tags"],
            Json::parse(R"([{"Key":"b","Value":"2"}])"));
  Json updated =
      Ok(&UpdateSAMLProvider,
         {{"SAMLProviderArn", kArn}, {"SAMLMetadataDocument", Metadata("2031-02-03T04:05:06Z")}});
  EXPECT_EQ(updated["SAMLProviderArn"], kArn);
  EXPECT_EQ(Ok(&GetSAMLProvider, {{"SAMLProviderArn", kArn}})["ValidUntil"],
            Utc(2031, 2, 3, 4, 5, 6));
  Ok(&DeleteSAMLProvider, {{"SAMLProviderArn", kArn}});
  EXPECT_TRUE(IsError(Call(&DeleteSAMLProvider, {{"SAMLProviderArn", kArn}}), "NoSuchEntity"));
  EXPECT_EQ(Ok(&ListSAMLProviders, Json::object())["SAMLProviderList"], Json::array());
}

}  // namespace
}  // namespace bulwark::iam
