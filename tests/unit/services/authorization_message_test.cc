// Encoded authorization messages: they round-trip for their account only, within their
// lifetime, and anything altered, truncated or foreign is the caller's error.
#include "services/authorization_message.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "storage/sealer.h"

namespace bulwark::authorization_message {
namespace {

constexpr int64_t kNow = 1704164645;

storage::Sealer MakeSealer(char fill) {
  return storage::Sealer(SecretBytes::FromView(std::string(32, fill)));
}

bool IsInvalid(const Result<std::string>& r) {
  return !r.ok() && r.status().kind() == ErrorKind::kService &&
         r.status().code() == "InvalidAuthorizationMessageException";
}

TEST(AuthorizationMessageTest, RoundTripsForItsAccountOnly) {
  storage::Sealer sealer = MakeSealer('k');
  const Json decoded = {{"allowed", false}, {"context", {{"action", "iam:ListUsers"}}}};
  Result<std::string> encoded = Encode(sealer, "123456789012", decoded, kNow);
  ASSERT_TRUE(encoded.ok());
  // URL-safe text, nothing of the message readable in it.
  EXPECT_EQ(encoded->find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(encoded->find("ListUsers"), std::string::npos);

  Result<std::string> back = Decode(sealer, "123456789012", *encoded, kNow + 60);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(Json::parse(*back), decoded);

  EXPECT_TRUE(IsInvalid(Decode(sealer, "210987654321", *encoded, kNow)));
  EXPECT_TRUE(IsInvalid(Decode(MakeSealer('j'), "123456789012", *encoded, kNow)));
}

TEST(AuthorizationMessageTest, ExpiresAfterItsLifetime) {
  storage::Sealer sealer = MakeSealer('k');
  Result<std::string> encoded = Encode(sealer, "123456789012", Json{{"allowed", false}}, kNow);
  ASSERT_TRUE(encoded.ok());
  EXPECT_TRUE(Decode(sealer, "123456789012", *encoded, kNow + kLifetimeSeconds).ok());
  EXPECT_TRUE(IsInvalid(Decode(sealer, "123456789012", *encoded, kNow + kLifetimeSeconds + 1)));
  // Nor from far in the future of the decoder's clock.
  EXPECT_TRUE(IsInvalid(Decode(sealer, "123456789012", *encoded, kNow - 3600)));
}

TEST(AuthorizationMessageTest, AlteredTruncatedAndGarbageAreRefused) {
  storage::Sealer sealer = MakeSealer('k');
  Result<std::string> encoded = Encode(sealer, "123456789012", Json{{"allowed", false}}, kNow);
  ASSERT_TRUE(encoded.ok());
  for (size_t i = 0; i < encoded->size(); i += 7) {
    std::string altered = *encoded;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_TRUE(IsInvalid(Decode(sealer, "123456789012", altered, kNow))) << i;
  }
  EXPECT_TRUE(IsInvalid(Decode(sealer, "123456789012", encoded->substr(0, 20), kNow)));
  EXPECT_TRUE(IsInvalid(Decode(sealer, "123456789012", "", kNow)));
  EXPECT_TRUE(IsInvalid(Decode(sealer, "123456789012", "not base64!", kNow)));
  EXPECT_TRUE(IsInvalid(Decode(sealer, "123456789012", std::string(100000, 'A'), kNow)));
  // A sealed value that is not an envelope.
  Result<std::string> other = sealer.Seal("sts/authorization-message/123456789012", "[1,2]");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(IsInvalid(Decode(sealer, "123456789012", crypto::Base64UrlEncode(*other), kNow)));
}

}  // namespace
}  // namespace bulwark::authorization_message
