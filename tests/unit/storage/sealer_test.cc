// Sealing values at rest: confidentiality, integrity, and binding to the storage path.
#include "storage/sealer.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/crypto.h"

namespace bulwark::storage {
namespace {

SecretBytes RandomKey() {
  SecretBytes key(32);
  crypto::RandomBytes(key.data(), key.size());
  return key;
}

constexpr std::string_view kPath = "secretsmanager/123456789012/secret/prod-db";
constexpr std::string_view kPlaintext =
    "{\"username\":\"admin\",\"password\":\"correct horse battery staple\"}";

TEST(SealerTest, RoundTrip) {
  Sealer sealer(RandomKey());
  auto sealed = sealer.Seal(kPath, kPlaintext);
  ASSERT_TRUE(sealed.ok()) << sealed.status().message();
  auto opened = sealer.Open(kPath, *sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(opened->view(), kPlaintext);
}

TEST(SealerTest, EmptyAndBinaryPlaintextsRoundTrip) {
  Sealer sealer(RandomKey());
  for (std::string plaintext :
       {std::string(), std::string("\x00\xff\x00", 3), std::string(100000, '\x01')}) {
    auto sealed = sealer.Seal(kPath, plaintext);
    ASSERT_TRUE(sealed.ok());
    auto opened = sealer.Open(kPath, *sealed);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->view(), plaintext);
  }
}

TEST(SealerTest, SealedOutputHidesThePlaintextAndIsFreshEachTime) {
  Sealer sealer(RandomKey());
  auto a = sealer.Seal(kPath, kPlaintext);
  auto b = sealer.Seal(kPath, kPlaintext);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->find(kPlaintext), std::string::npos);
  EXPECT_EQ(a->find("correct horse"), std::string::npos);
  EXPECT_EQ(a->find("password"), std::string::npos);
  // A random nonce: the same plaintext never seals to the same bytes.
  EXPECT_NE(*a, *b);
  // Version byte, 12-byte nonce, ciphertext, 16-byte tag.
  EXPECT_EQ(a->size(), 1 + 12 + kPlaintext.size() + 16);
}

TEST(SealerTest, ValueMovedToAnotherPathFailsToOpen) {
  Sealer sealer(RandomKey());
  auto sealed = sealer.Seal(kPath, kPlaintext);
  ASSERT_TRUE(sealed.ok());
  for (std::string_view other :
       {std::string_view("secretsmanager/123456789012/secret/prod-db2"),
        std::string_view("secretsmanager/123456789012/secret/prod-d"), std::string_view(""),
        std::string_view("secretsmanager/210987654321/secret/prod-db")}) {
    auto opened = sealer.Open(other, *sealed);
    EXPECT_FALSE(opened.ok()) << other;
    EXPECT_EQ(opened.status().kind(), ErrorKind::kInternalFailure);
  }
}

TEST(SealerTest, EveryTamperedByteFailsToOpen) {
  Sealer sealer(RandomKey());
  auto sealed = sealer.Seal(kPath, kPlaintext);
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string tampered = *sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    auto opened = sealer.Open(kPath, tampered);
    ASSERT_FALSE(opened.ok()) << "flipped byte " << i;
    // The error never carries the plaintext.
    EXPECT_EQ(opened.status().message().find("correct horse"), std::string::npos);
  }
}

TEST(SealerTest, TruncatedExtendedAndEmptyInputsFailToOpen) {
  Sealer sealer(RandomKey());
  auto sealed = sealer.Seal(kPath, kPlaintext);
  ASSERT_TRUE(sealed.ok());
  for (size_t len = 0; len < sealed->size(); ++len) {
    EXPECT_FALSE(sealer.Open(kPath, sealed->substr(0, len)).ok()) << "length " << len;
  }
  EXPECT_FALSE(sealer.Open(kPath, *sealed + "x").ok());
  EXPECT_FALSE(sealer.Open(kPath, std::string(1000, '\0')).ok());
}

TEST(SealerTest, WrongRootKeyFailsToOpen) {
  Sealer sealer(RandomKey());
  Sealer other(RandomKey());
  auto sealed = sealer.Seal(kPath, kPlaintext);
  ASSERT_TRUE(sealed.ok());
  auto opened = other.Open(kPath, *sealed);
  EXPECT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().kind(), ErrorKind::kInternalFailure);
}

TEST(SealerTest, SameKeyInAnotherSealerOpens) {
  SecretBytes key = RandomKey();
  Sealer a(key.Clone());
  Sealer b(std::move(key));
  auto sealed = a.Seal(kPath, kPlaintext);
  ASSERT_TRUE(sealed.ok());
  auto opened = b.Open(kPath, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->view(), kPlaintext);
}

TEST(SealerTest, RootKeyOfWrongSizeIsRefused) {
  for (size_t size : {size_t{0}, size_t{16}, size_t{31}, size_t{33}, size_t{64}}) {
    SecretBytes key(size);
    Sealer sealer(std::move(key));
    auto sealed = sealer.Seal(kPath, kPlaintext);
    EXPECT_FALSE(sealed.ok()) << size;
    EXPECT_EQ(sealed.status().kind(), ErrorKind::kInternalFailure);
    EXPECT_FALSE(sealer.Open(kPath, std::string(64, 'a')).ok());
  }
}

}  // namespace
}  // namespace bulwark::storage
