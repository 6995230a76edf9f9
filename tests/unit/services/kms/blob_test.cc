// KMS ciphertext blobs: self-identifying (key id and material version in the header),
// bound to the encryption context, refused on any change, and still readable after the
// key gains a new material version.
#include <gtest/gtest.h>

#include "services/iam/fixture.h"
#include "services/kms/common.h"
#include "storage/sealer.h"

namespace bulwark::kms {
namespace {

constexpr char kKeyId[] = "1234abcd-12ab-34cd-56ef-1234567890ab";

class BlobTest : public iam::testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    env().sealer = &sealer_;
    key_ = {{"KeyId", kKeyId}, {"KeyState", "Enabled"}};
    ctx_ = MakeContext();
    ASSERT_TRUE(AddMaterialVersion(ctx_, key_, RandomSecret(32), iam::testutil::kNow).ok());
  }

  static bool IsInvalidCiphertext(const Result<SecretBytes>& r) {
    return !r.ok() && r.status().kind() == ErrorKind::kService &&
           r.status().code() == "InvalidCiphertextException";
  }

  storage::Sealer sealer_{SecretBytes::FromView(std::string(32, 'r'))};
  Json key_;
  RequestContext ctx_;
};

TEST_F(BlobTest, RoundTripsAndNamesItsKey) {
  const Json context = {{"b", "2"}, {"a", "1"}};
  Result<std::string> blob = SealBlob(ctx_, key_, "secret data", context);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->find("secret data"), std::string::npos);
  std::optional<BlobHeader> header = ParseBlobHeader(*blob);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->key_id, kKeyId);
  EXPECT_EQ(header->version, 1u);
  Result<SecretBytes> back = OpenBlob(ctx_, key_, *blob, Json{{"a", "1"}, {"b", "2"}});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->view(), "secret data");
}

TEST_F(BlobTest, ContextIsBoundExactly) {
  Result<std::string> blob = SealBlob(ctx_, key_, "x", Json{{"a", "1"}});
  ASSERT_TRUE(blob.ok());
  for (const Json& other : {Json::object(), Json{{"a", "2"}}, Json{{"A", "1"}},
                            Json{{"a", "1"}, {"b", ""}}, Json{{"a1", ""}}}) {
    EXPECT_TRUE(IsInvalidCiphertext(OpenBlob(ctx_, key_, *blob, other))) << other.dump();
  }
}

TEST_F(BlobTest, EveryAlteredByteIsRefused) {
  Result<std::string> blob = SealBlob(ctx_, key_, "payload", Json::object());
  ASSERT_TRUE(blob.ok());
  for (size_t i = 0; i < blob->size(); ++i) {
    std::string altered = *blob;
    altered[i] = static_cast<char>(altered[i] ^ 0x40);
    EXPECT_TRUE(IsInvalidCiphertext(OpenBlob(ctx_, key_, altered, Json::object()))) << i;
  }
  EXPECT_TRUE(IsInvalidCiphertext(OpenBlob(ctx_, key_, blob->substr(0, 45), Json::object())));
  EXPECT_FALSE(ParseBlobHeader("").has_value());
  EXPECT_FALSE(ParseBlobHeader("KB\x01short").has_value());
}

TEST_F(BlobTest, OldVersionsStillDecryptAfterRotation) {
  Result<std::string> old_blob = SealBlob(ctx_, key_, "before", Json::object());
  ASSERT_TRUE(old_blob.ok());
  ASSERT_TRUE(AddMaterialVersion(ctx_, key_, RandomSecret(32), iam::testutil::kNow + 1).ok());
  Result<std::string> new_blob = SealBlob(ctx_, key_, "after", Json::object());
  ASSERT_TRUE(new_blob.ok());
  EXPECT_EQ(ParseBlobHeader(*new_blob)->version, 2u);
  Result<SecretBytes> a = OpenBlob(ctx_, key_, *old_blob, Json::object());
  Result<SecretBytes> b = OpenBlob(ctx_, key_, *new_blob, Json::object());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->view(), "before");
  EXPECT_EQ(b->view(), "after");
  // Material sealed at rest: the record holds no plaintext key bytes.
  Result<SecretBytes> material = Material(ctx_, key_, 1);
  ASSERT_TRUE(material.ok());
  EXPECT_EQ(key_.dump().find(std::string(material->view())), std::string::npos);
}

TEST_F(BlobTest, AnotherKeysBlobIsRefused) {
  Json other = {{"KeyId", "00000000-0000-4000-8000-000000000000"}, {"KeyState", "Enabled"}};
  ASSERT_TRUE(AddMaterialVersion(ctx_, other, RandomSecret(32), iam::testutil::kNow).ok());
  Result<std::string> blob = SealBlob(ctx_, other, "x", Json::object());
  ASSERT_TRUE(blob.ok());
  EXPECT_TRUE(IsInvalidCiphertext(OpenBlob(ctx_, key_, *blob, Json::object())));
}

}  // namespace
}  // namespace bulwark::kms
