// Known-answer and hostile-input tests for crypto/: SHA-256 (FIPS 180-2 examples),
// HMAC-SHA256 (RFC 4231), hex and base64 (RFC 4648), AES-256-GCM (GCM spec test cases
// 13 and 14) with tamper detection, constant-time comparison, randomness.
#include "crypto/crypto.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace bulwark::crypto {
namespace {

std::string Unhex(std::string_view hex) {
  std::optional<std::string> s = HexDecode(hex);
  EXPECT_TRUE(s.has_value()) << hex;
  return s.value_or("");
}

SecretBytes Key32(char fill = 0) {
  std::string k(32, fill);
  return SecretBytes::FromView(k);
}

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  Sha256Digest d = Sha256("abc");
  EXPECT_EQ(HexEncode(d.data(), d.size()), Sha256Hex("abc"));
}

struct HmacCase {
  std::string key;
  std::string data;
  const char* mac;
};

TEST(HmacSha256, Rfc4231Vectors) {
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4.push_back(static_cast<char>(i));
  const HmacCase cases[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {key4, std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const HmacCase& c : cases) {
    Sha256Digest mac = HmacSha256(c.key, c.data);
    EXPECT_EQ(HexEncode(mac.data(), mac.size()), c.mac);
  }
  // Empty key and empty data are valid inputs.
  Sha256Digest empty = HmacSha256("", "");
  EXPECT_EQ(HexEncode(empty.data(), empty.size()),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Hex, RoundTripAndBadInput) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(HexDecode(HexEncode(all)), all);
  EXPECT_EQ(HexEncode(std::string_view("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(HexDecode("00FFaB"), std::string("\x00\xff\xab", 3));
  EXPECT_EQ(HexDecode(""), std::string());
  for (const char* bad : {"0", "abc", "zz", "0g", " 00", "00 ", "0x00", "-1"}) {
    EXPECT_FALSE(HexDecode(bad).has_value()) << bad;
  }
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::string(plain));
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 17) {
    EXPECT_EQ(Base64Decode(Base64Encode(all.substr(0, n))), all.substr(0, n));
  }
  EXPECT_EQ(Base64Encode("\xff\xfe"), "//4=");
}

TEST(Base64, RejectsMalformedInput) {
  for (const char* bad : {"Z", "Zg", "Zg=", "Z===", "====", "Zm9v\n", " Zm9v", "Zm=v", "Zg==Zm9v",
                          "Zm9vYg=a", "Zh==", "Zm9=", "Zm9v-_==", "Zm9v*A==", "=Zm9"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(ConstantTimeEquals, Basics) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(Random, PooledDrawsAreNeverRepeatedAcrossRefillsThreadsOrForks) {
  // Past several refills of the 4 KiB buffer, on two threads: no 16-byte draw twice.
  std::set<std::string> seen;
  std::mutex mu;
  auto draw = [&] {
    for (int i = 0; i < 1000; ++i) {
      std::string d(16, '\0');
      PooledRandomBytes(d.data(), d.size());
      std::lock_guard lock(mu);
      EXPECT_TRUE(seen.insert(d).second);
    }
  };
  std::thread other(draw);
  draw();
  other.join();
  EXPECT_EQ(seen.size(), 2000u);
  // A large draw bypasses the buffer.
  std::string big(4096, '\0');
  PooledRandomBytes(big.data(), big.size());
  EXPECT_NE(big, std::string(4096, '\0'));

  // A forked child draws what its parent does not: not the rest of the parent's buffer.
  std::string warm(16, '\0');
  PooledRandomBytes(warm.data(), warm.size());  // the buffer now holds unused bytes
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char d[16];
    PooledRandomBytes(d, sizeof(d));
    _exit(::write(fds[1], d, sizeof(d)) == sizeof(d) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string from_child(16, '\0');
  ASSERT_EQ(::read(fds[0], from_child.data(), from_child.size()), 16);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::string mine(16, '\0');
  PooledRandomBytes(mine.data(), mine.size());
  EXPECT_NE(from_child, mine);
}

TEST(Random, BytesAndStrings) {
  std::string a(32, '\0'), b(32, '\0');
  RandomBytes(a.data(), a.size());
  RandomBytes(b.data(), b.size());
  EXPECT_NE(a, b);
  RandomBytes(nullptr, 0);  // no-op

  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string s = RandomString(alphabet, 4096);
  ASSERT_EQ(s.size(), 4096u);
  std::set<char> seen(s.begin(), s.end());
  for (char c : seen) EXPECT_NE(alphabet.find(c), std::string::npos);
  EXPECT_EQ(seen.size(), alphabet.size());  // 4096 draws cover 32 symbols
  EXPECT_EQ(RandomString(alphabet, 0), "");
  EXPECT_EQ(RandomString("x", 5), "xxxxx");
}

TEST(AesGcm, SealOpenRoundTrip) {
  SecretBytes key = Key32('k');
  for (std::string plain : {std::string(), std::string("secret value"), std::string(100000, 'z'),
                            std::string("\0\1\2", 3)}) {
    Result<std::string> sealed = AesGcmSeal(key, plain, "path/to/value");
    ASSERT_TRUE(sealed.ok()) << sealed.status().message();
    ASSERT_EQ(sealed->size(), plain.size() + 29);
    EXPECT_EQ((*sealed)[0], '\x01');
    Result<SecretBytes> opened = AesGcmOpen(key, *sealed, "path/to/value");
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    EXPECT_EQ(opened->view(), plain);
  }
  // Fresh nonce each time.
  Result<std::string> s1 = AesGcmSeal(key, "same", "");
  Result<std::string> s2 = AesGcmSeal(key, "same", "");
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_NE(*s1, *s2);
}

// [INVARIANT] Any change to the sealed bytes, the AAD or the key is detected.
TEST(AesGcm, TamperingIsDetected) {
  SecretBytes key = Key32('k');
  Result<std::string> sealed = AesGcmSeal(key, "attack at dawn", "kms/key/1");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (uint8_t bit : {0x01, 0x80}) {
      std::string t = *sealed;
      t[i] = static_cast<char>(t[i] ^ bit);
      Result<SecretBytes> opened = AesGcmOpen(key, t, "kms/key/1");
      ASSERT_FALSE(opened.ok()) << "byte " << i;
      EXPECT_EQ(opened.status().kind(), ErrorKind::kValidation);
    }
  }
  EXPECT_FALSE(AesGcmOpen(key, *sealed, "kms/key/2").ok());
  EXPECT_FALSE(AesGcmOpen(key, *sealed, "").ok());
  EXPECT_FALSE(AesGcmOpen(Key32('K'), *sealed, "kms/key/1").ok());
  EXPECT_FALSE(AesGcmOpen(key, sealed->substr(0, sealed->size() - 1), "kms/key/1").ok());
  EXPECT_FALSE(AesGcmOpen(key, *sealed + "x", "kms/key/1").ok());
  for (size_t n = 0; n < 29; ++n) {
    EXPECT_EQ(AesGcmOpen(key, sealed->substr(0, n), "kms/key/1").status().kind(),
              ErrorKind::kValidation);
  }
}

TEST(AesGcm, RejectsWrongKeySize) {
  SecretBytes short_key = SecretBytes::FromView("0123456789abcdef");
  EXPECT_FALSE(AesGcmSeal(short_key, "x", "").ok());
  EXPECT_FALSE(AesGcmSeal(SecretBytes(), "x", "").ok());
  Result<std::string> sealed = AesGcmSeal(Key32(), "x", "");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(AesGcmOpen(short_key, *sealed, "").status().kind(), ErrorKind::kValidation);
}

// GCM specification (McGrew & Viega) test cases 13 and 14: 256-bit zero key, zero IV.
TEST(AesGcm, OpensKnownAnswerVectors) {
  SecretBytes key = Key32(0);
  const std::string version_and_iv = std::string(1, '\x01') + std::string(12, '\0');
  Result<SecretBytes> empty =
      AesGcmOpen(key, version_and_iv + Unhex("530f8afbc74536b9a963b4f1c4cb738b"), "");
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_TRUE(empty->empty());
  Result<SecretBytes> block = AesGcmOpen(
      key,
      version_and_iv + Unhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
      "");
  ASSERT_TRUE(block.ok()) << block.status().message();
  EXPECT_EQ(block->view(), std::string(16, '\0'));
  // A wrong version byte is refused even with a valid tag.
  EXPECT_FALSE(AesGcmOpen(key,
                          std::string(1, '\x02') + version_and_iv.substr(1) +
                              Unhex("530f8afbc74536b9a963b4f1c4cb738b"),
                          "")
                   .ok());
}

TEST(SecureWipe, ZeroesMemory) {
  char buf[16] = "sensitive-bytes";
  SecureWipe(buf, sizeof(buf));
  for (char c : buf) EXPECT_EQ(c, 0);
  SecureWipe(nullptr, 0);  // no-op
  SecretBytes s = SecretBytes::FromView("key material");
  SecretBytes moved = std::move(s);
  EXPECT_EQ(moved.view(), "key material");
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace bulwark::crypto
