// Round trips and contracts of asymmetric.h and symmetric.h: key generation per KMS key
// spec (DER shapes, spec detection), sign/verify for every algorithm a spec takes in RAW
// and DIGEST mode, RSA-OAEP at KMS's size limits, key material unwrapping for import,
// HMAC key sizes, and interoperability with the OpenSSL command line (signatures verified
// by `openssl dgst`, ciphertexts and wrapped key material made by `openssl pkeyutl`/`enc`
// as AWS's import instructions do). Each key spec's key pair is generated once per test
// (RSA-4096 takes a second or more).
#include "crypto/asymmetric.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "crypto/crypto.h"
#include "crypto/symmetric.h"

namespace bulwark::crypto {
namespace {

namespace fs = std::filesystem;

std::string Unhex(std::string_view hex) {
  std::optional<std::string> s = HexDecode(hex);
  EXPECT_TRUE(s.has_value()) << hex;
  return s.value_or("");
}

std::string Flip(std::string s, size_t index) {
  s[index % s.size()] ^= 0x01;
  return s;
}

// DER object identifiers (content bytes) that must appear in the encodings.
const std::string kRsaEncryptionOid = Unhex("2a864886f70d010101");
const std::string kEcPublicKeyOid = Unhex("2a8648ce3d0201");

std::string CurveOid(KeySpec spec) {
  switch (spec) {
    case KeySpec::kEccNistP256:
      return Unhex("2a8648ce3d030107");
    case KeySpec::kEccNistP384:
      return Unhex("2b81040022");
    case KeySpec::kEccNistP521:
      return Unhex("2b81040023");
    case KeySpec::kEccSecgP256k1:
      return Unhex("2b8104000a");
    default:
      return "";
  }
}

std::string SpecName(const ::testing::TestParamInfo<KeySpec>& info) {
  return std::string(KeySpecName(info.param));
}

TEST(KeySpecs, NamesRoundTrip) {
  for (const char* name :
       {"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
        "ECC_SECG_P256K1", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"}) {
    std::optional<KeySpec> spec = KeySpecFromName(name);
    ASSERT_TRUE(spec.has_value()) << name;
    EXPECT_EQ(KeySpecName(*spec), name);
  }
  EXPECT_FALSE(KeySpecFromName("SYMMETRIC_DEFAULT").has_value());
  EXPECT_FALSE(KeySpecFromName("rsa_2048").has_value());
  for (const char* name :
       {"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
        "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
        "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512"}) {
    std::optional<SigningAlgorithm> alg = SigningAlgorithmFromName(name);
    ASSERT_TRUE(alg.has_value()) << name;
    EXPECT_EQ(SigningAlgorithmName(*alg), name);
  }
  EXPECT_FALSE(SigningAlgorithmFromName("SM2DSA").has_value());
  for (const char* name : {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}) {
    ASSERT_TRUE(EncryptionAlgorithmFromName(name).has_value()) << name;
    EXPECT_EQ(EncryptionAlgorithmName(*EncryptionAlgorithmFromName(name)), name);
  }
  EXPECT_FALSE(EncryptionAlgorithmFromName("SYMMETRIC_DEFAULT").has_value());
  for (const char* name : {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                           "RSA_AES_KEY_WRAP_SHA_256"}) {
    ASSERT_TRUE(WrappingAlgorithmFromName(name).has_value()) << name;
    EXPECT_EQ(WrappingAlgorithmName(*WrappingAlgorithmFromName(name)), name);
  }
  EXPECT_FALSE(WrappingAlgorithmFromName("RSAES_PKCS1_V1_5").has_value());
  for (const char* name : {"HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"}) {
    ASSERT_TRUE(MacAlgorithmFromName(name).has_value()) << name;
    EXPECT_EQ(MacAlgorithmName(*MacAlgorithmFromName(name)), name);
  }
}

TEST(KeySpecs, KmsTables) {
  // AWS's documented maximum plaintext sizes for RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256.
  EXPECT_EQ(MaxRsaPlaintextSize(KeySpec::kRsa2048, EncryptionAlgorithm::kRsaesOaepSha1), 214u);
  EXPECT_EQ(MaxRsaPlaintextSize(KeySpec::kRsa2048, EncryptionAlgorithm::kRsaesOaepSha256), 190u);
  EXPECT_EQ(MaxRsaPlaintextSize(KeySpec::kRsa3072, EncryptionAlgorithm::kRsaesOaepSha1), 342u);
  EXPECT_EQ(MaxRsaPlaintextSize(KeySpec::kRsa3072, EncryptionAlgorithm::kRsaesOaepSha256), 318u);
  EXPECT_EQ(MaxRsaPlaintextSize(KeySpec::kRsa4096, EncryptionAlgorithm::kRsaesOaepSha1), 470u);
  EXPECT_EQ(MaxRsaPlaintextSize(KeySpec::kRsa4096, EncryptionAlgorithm::kRsaesOaepSha256), 446u);
  EXPECT_EQ(MaxRsaPlaintextSize(KeySpec::kEccNistP256, EncryptionAlgorithm::kRsaesOaepSha1), 0u);

  EXPECT_EQ(SigningAlgorithmsFor(KeySpec::kRsa3072).size(), 6u);
  EXPECT_EQ(SigningAlgorithmsFor(KeySpec::kEccNistP256),
            std::vector<SigningAlgorithm>{SigningAlgorithm::kEcdsaSha256});
  EXPECT_EQ(SigningAlgorithmsFor(KeySpec::kEccSecgP256k1),
            std::vector<SigningAlgorithm>{SigningAlgorithm::kEcdsaSha256});
  EXPECT_EQ(SigningAlgorithmsFor(KeySpec::kEccNistP384),
            std::vector<SigningAlgorithm>{SigningAlgorithm::kEcdsaSha384});
  EXPECT_EQ(SigningAlgorithmsFor(KeySpec::kEccNistP521),
            std::vector<SigningAlgorithm>{SigningAlgorithm::kEcdsaSha512});
  EXPECT_TRUE(SigningAlgorithmsFor(KeySpec::kHmac256).empty());

  EXPECT_TRUE(IsRsaKeySpec(KeySpec::kRsa4096));
  EXPECT_TRUE(IsEccKeySpec(KeySpec::kEccSecgP256k1));
  EXPECT_TRUE(IsHmacKeySpec(KeySpec::kHmac224));
  EXPECT_FALSE(IsHmacKeySpec(KeySpec::kRsa2048));
}

TEST(HmacKeys, SizesAndMacs) {
  const std::pair<KeySpec, size_t> sizes[] = {{KeySpec::kHmac224, 28},
                                              {KeySpec::kHmac256, 32},
                                              {KeySpec::kHmac384, 48},
                                              {KeySpec::kHmac512, 64}};
  for (const auto& [spec, size] : sizes) {
    EXPECT_EQ(HmacKeySize(spec), size);
    Result<SecretBytes> a = GenerateHmacKey(spec);
    Result<SecretBytes> b = GenerateHmacKey(spec);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->size(), size);
    EXPECT_NE(a->view(), b->view());
  }
  EXPECT_EQ(GenerateHmacKey(KeySpec::kRsa2048).status().kind(), ErrorKind::kValidation);
  EXPECT_EQ(GenerateKeyPair(KeySpec::kHmac256).status().kind(), ErrorKind::kValidation);

  // RFC 4231 test case 2 for all four hashes, then GenerateMac/VerifyMac contracts.
  const SecretBytes jefe = SecretBytes::FromView("Jefe");
  const std::string data = "what do ya want for nothing?";
  EXPECT_EQ(HexEncode(*GenerateMac(jefe, MacAlgorithm::kHmacSha224, data)),
            "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44");
  EXPECT_EQ(HexEncode(*GenerateMac(jefe, MacAlgorithm::kHmacSha256, data)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(*GenerateMac(jefe, MacAlgorithm::kHmacSha384, data)),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649");
  EXPECT_EQ(HexEncode(*GenerateMac(jefe, MacAlgorithm::kHmacSha512, data)),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  Result<std::string> mac = GenerateMac(jefe, MacAlgorithm::kHmacSha256, data);
  ASSERT_TRUE(mac.ok());
  EXPECT_TRUE(*VerifyMac(jefe, MacAlgorithm::kHmacSha256, data, *mac));
  EXPECT_FALSE(*VerifyMac(jefe, MacAlgorithm::kHmacSha384, data, *mac));
  EXPECT_FALSE(*VerifyMac(jefe, MacAlgorithm::kHmacSha256, data + ".", *mac));
  EXPECT_FALSE(*VerifyMac(jefe, MacAlgorithm::kHmacSha256, data, mac->substr(0, 16)));
  EXPECT_FALSE(*VerifyMac(jefe, MacAlgorithm::kHmacSha256, data, *mac + "x"));
  EXPECT_FALSE(*VerifyMac(jefe, MacAlgorithm::kHmacSha256, data, ""));
  for (size_t i = 0; i < mac->size(); i += 7) {
    EXPECT_FALSE(*VerifyMac(jefe, MacAlgorithm::kHmacSha256, data, Flip(*mac, i))) << i;
  }
  EXPECT_EQ(GenerateMac(SecretBytes(), MacAlgorithm::kHmacSha256, data).status().kind(),
            ErrorKind::kValidation);
  EXPECT_EQ(VerifyMac(SecretBytes(), MacAlgorithm::kHmacSha256, data, *mac).status().kind(),
            ErrorKind::kValidation);
}

TEST(AesGcmWithIv, ContractsAndSealCompatibility) {
  const SecretBytes key = SecretBytes::FromView(std::string(32, 'k'));
  const std::string iv(12, 'i');
  Result<std::string> ct = AesGcmEncrypt(key, iv, "aad", "plaintext");
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->size(), 9 + kAesGcmTagSize);
  Result<SecretBytes> pt = AesGcmDecrypt(key, iv, "aad", *ct);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(pt->view(), "plaintext");
  // Every failure is the same error.
  for (const Result<SecretBytes>& bad :
       {AesGcmDecrypt(key, iv, "aad!", *ct), AesGcmDecrypt(key, iv, "aad", Flip(*ct, 0)),
        AesGcmDecrypt(key, iv, "aad", ct->substr(0, 15)), AesGcmDecrypt(key, iv, "aad", ""),
        AesGcmDecrypt(key, std::string(12, 'j'), "aad", *ct)}) {
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().kind(), ErrorKind::kValidation);
    EXPECT_EQ(bad.status().message(), "AES-GCM authentication failed");
  }
  EXPECT_EQ(AesGcmEncrypt(SecretBytes::FromView("short"), iv, "", "x").status().kind(),
            ErrorKind::kValidation);
  EXPECT_EQ(AesGcmEncrypt(key, "", "", "x").status().kind(), ErrorKind::kValidation);
  EXPECT_EQ(AesGcmEncrypt(key, std::string(129, 'i'), "", "x").status().kind(),
            ErrorKind::kValidation);
  EXPECT_TRUE(AesGcmEncrypt(key, std::string(128, 'i'), "", "x").ok());

  // AesGcmSeal's format is version || nonce || AesGcmEncrypt's output.
  Result<std::string> sealed = AesGcmSeal(key, "sealed value", "path");
  ASSERT_TRUE(sealed.ok());
  Result<SecretBytes> opened =
      AesGcmDecrypt(key, sealed->substr(1, 12), "path", sealed->substr(13));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->view(), "sealed value");
}

TEST(AesKeyWrapPad, Rfc5649Examples) {
  // RFC 5649 section 6: 20 and 7 octets of key data under a 192-bit KEK.
  const SecretBytes kek =
      SecretBytes::FromView(Unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"));
  const std::pair<const char*, const char*> cases[] = {
      {"c37b7e6492584340bed12207808941155068f738",
       "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
      {"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
  };
  for (const auto& [key_hex, wrapped_hex] : cases) {
    Result<std::string> wrapped = AesKeyWrapPad(kek, SecretBytes::FromView(Unhex(key_hex)));
    ASSERT_TRUE(wrapped.ok());
    EXPECT_EQ(HexEncode(*wrapped), wrapped_hex);
    Result<SecretBytes> unwrapped = AesKeyUnwrapPad(kek, Unhex(wrapped_hex));
    ASSERT_TRUE(unwrapped.ok());
    EXPECT_EQ(HexEncode(unwrapped->view()), key_hex);
  }
  EXPECT_EQ(AesKeyWrapPad(kek, SecretBytes()).status().kind(), ErrorKind::kValidation);
  EXPECT_EQ(AesKeyUnwrapPad(SecretBytes::FromView("short"), std::string(24, 'x')).status().kind(),
            ErrorKind::kValidation);
}

TEST(KeyParsing, RejectsWhatIsNotOneDerKey) {
  Result<KeyPair> pair = GenerateKeyPair(KeySpec::kEccNistP256);
  ASSERT_TRUE(pair.ok());
  const std::string priv(pair->private_key.view());
  const std::string& pub = pair->public_key;
  for (const std::string& bad :
       {std::string(), std::string("not a key"), priv + std::string(1, '\0'), priv.substr(1),
        priv.substr(0, priv.size() - 1), pub}) {
    EXPECT_EQ(KeySpecOfPrivateKey(SecretBytes::FromView(bad)).status().kind(),
              ErrorKind::kValidation);
    EXPECT_EQ(
        Sign(SecretBytes::FromView(bad), SigningAlgorithm::kEcdsaSha256, MessageType::kRaw, "m")
            .status()
            .kind(),
        ErrorKind::kValidation);
  }
  for (const std::string& bad : {std::string(), pub + "x", pub.substr(0, pub.size() - 1), priv}) {
    EXPECT_EQ(KeySpecOfPublicKey(bad).status().kind(), ErrorKind::kValidation);
    EXPECT_EQ(
        Verify(bad, SigningAlgorithm::kEcdsaSha256, MessageType::kRaw, "m", "sig").status().kind(),
        ErrorKind::kValidation);
  }
}

// One key pair per KMS asymmetric key spec, exercised through everything it supports.
class KeyPairRoundTrip : public ::testing::TestWithParam<KeySpec> {};

TEST_P(KeyPairRoundTrip, GenerateSignVerifyEncryptUnwrap) {
  const KeySpec spec = GetParam();
  Result<KeyPair> generated = GenerateKeyPair(spec);
  ASSERT_TRUE(generated.ok()) << generated.status().message();
  const KeyPair& pair = *generated;
  const SecretBytes& priv = pair.private_key;
  const std::string& pub = pair.public_key;

  // DER shapes: SEQUENCEs naming the algorithm (and curve).
  ASSERT_FALSE(priv.empty());
  ASSERT_FALSE(pub.empty());
  EXPECT_EQ(priv.data()[0], 0x30);
  EXPECT_EQ(static_cast<uint8_t>(pub[0]), 0x30);
  if (IsRsaKeySpec(spec)) {
    EXPECT_NE(pub.find(kRsaEncryptionOid), std::string::npos);
    EXPECT_NE(priv.view().find(kRsaEncryptionOid), std::string::npos);
  } else {
    EXPECT_NE(pub.find(kEcPublicKeyOid), std::string::npos);
    EXPECT_NE(pub.find(CurveOid(spec)), std::string::npos);
    EXPECT_NE(priv.view().find(CurveOid(spec)), std::string::npos);
  }
  EXPECT_EQ(*KeySpecOfPrivateKey(priv), spec);
  EXPECT_EQ(*KeySpecOfPublicKey(pub), spec);
  Result<std::string> derived = PublicKeyFromPrivateKey(priv);
  ASSERT_TRUE(derived.ok());
  EXPECT_EQ(*derived, pub);

  // A second generation gives a different key.
  if (!IsRsaKeySpec(spec)) {
    Result<KeyPair> other = GenerateKeyPair(spec);
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->public_key, pub);
  }

  const std::string message = "Bulwark KMS " + std::string(KeySpecName(spec));
  for (SigningAlgorithm alg : SigningAlgorithmsFor(spec)) {
    SCOPED_TRACE(std::string(SigningAlgorithmName(alg)));
    const std::string digest = Digest(SigningHash(alg), message);
    Result<std::string> raw_sig = Sign(priv, alg, MessageType::kRaw, message);
    ASSERT_TRUE(raw_sig.ok()) << raw_sig.status().message();
    Result<std::string> digest_sig = Sign(priv, alg, MessageType::kDigest, digest);
    ASSERT_TRUE(digest_sig.ok()) << digest_sig.status().message();
    if (IsRsaKeySpec(spec)) {
      EXPECT_EQ(raw_sig->size(), static_cast<size_t>(MaxRsaPlaintextSize(
                                     spec, EncryptionAlgorithm::kRsaesOaepSha1)) +
                                     42);  // the modulus size
    } else {
      EXPECT_EQ(static_cast<uint8_t>((*raw_sig)[0]), 0x30);  // DER SEQUENCE { r, s }
    }
    // RAW and DIGEST sign the same value, so each verifies the other way too.
    for (const std::string* sig : {&*raw_sig, &*digest_sig}) {
      EXPECT_TRUE(*Verify(pub, alg, MessageType::kRaw, message, *sig));
      EXPECT_TRUE(*Verify(pub, alg, MessageType::kDigest, digest, *sig));
    }
    // Deterministic only for PKCS#1 v1.5.
    const bool deterministic = SigningAlgorithmName(alg).find("PKCS1") != std::string::npos;
    EXPECT_EQ(*raw_sig == *digest_sig, deterministic);
    // Anything else fails as OK(false).
    EXPECT_FALSE(*Verify(pub, alg, MessageType::kRaw, message + "!", *raw_sig));
    EXPECT_FALSE(*Verify(pub, alg, MessageType::kDigest, Flip(digest, 3), *raw_sig));
    for (size_t i = 0; i < raw_sig->size(); i += raw_sig->size() / 5 + 1) {
      EXPECT_FALSE(*Verify(pub, alg, MessageType::kRaw, message, Flip(*raw_sig, i))) << i;
    }
    EXPECT_FALSE(*Verify(pub, alg, MessageType::kRaw, message, ""));
    EXPECT_FALSE(*Verify(pub, alg, MessageType::kRaw, message, raw_sig->substr(1)));
    EXPECT_FALSE(*Verify(pub, alg, MessageType::kRaw, message, *raw_sig + '\0'));
    EXPECT_FALSE(*Verify(pub, alg, MessageType::kRaw, message, std::string(1000, '\x30')));
    // A digest of the wrong length is an error, not a signature.
    for (const std::string& bad_digest : {digest + "x", digest.substr(1), message}) {
      Result<std::string> s = Sign(priv, alg, MessageType::kDigest, bad_digest);
      EXPECT_EQ(s.status().kind(), ErrorKind::kValidation);
      EXPECT_EQ(s.status().message(), "Digest is invalid length for algorithm " +
                                          std::string(SigningAlgorithmName(alg)) + ".");
      EXPECT_EQ(Verify(pub, alg, MessageType::kDigest, bad_digest, *raw_sig).status().kind(),
                ErrorKind::kValidation);
    }
  }
  // Algorithms of the other family are refused.
  const SigningAlgorithm foreign =
      IsRsaKeySpec(spec) ? SigningAlgorithm::kEcdsaSha256 : SigningAlgorithm::kRsassaPssSha256;
  EXPECT_EQ(Sign(priv, foreign, MessageType::kRaw, message).status().kind(),
            ErrorKind::kValidation);
  EXPECT_EQ(Verify(pub, foreign, MessageType::kRaw, message, "x").status().kind(),
            ErrorKind::kValidation);

  if (!IsRsaKeySpec(spec)) {
    EXPECT_EQ(RsaEncrypt(pub, EncryptionAlgorithm::kRsaesOaepSha256, "x").status().kind(),
              ErrorKind::kValidation);
    EXPECT_EQ(RsaDecrypt(priv, EncryptionAlgorithm::kRsaesOaepSha256, "x").status().kind(),
              ErrorKind::kValidation);
    return;
  }

  for (EncryptionAlgorithm alg :
       {EncryptionAlgorithm::kRsaesOaepSha1, EncryptionAlgorithm::kRsaesOaepSha256}) {
    SCOPED_TRACE(std::string(EncryptionAlgorithmName(alg)));
    const size_t max = MaxRsaPlaintextSize(spec, alg);
    for (size_t size : {size_t{0}, size_t{1}, size_t{32}, max}) {
      std::string plaintext(size, '\0');
      RandomBytes(plaintext.data(), plaintext.size());
      Result<std::string> ct = RsaEncrypt(pub, alg, plaintext);
      ASSERT_TRUE(ct.ok()) << size << ": " << ct.status().message();
      Result<SecretBytes> pt = RsaDecrypt(priv, alg, *ct);
      ASSERT_TRUE(pt.ok()) << size;
      EXPECT_EQ(pt->view(), plaintext);
    }
    EXPECT_EQ(RsaEncrypt(pub, alg, std::string(max + 1, 'x')).status().kind(),
              ErrorKind::kValidation);
    Result<std::string> ct = RsaEncrypt(pub, alg, "secret");
    ASSERT_TRUE(ct.ok());
    const EncryptionAlgorithm other = alg == EncryptionAlgorithm::kRsaesOaepSha1
                                          ? EncryptionAlgorithm::kRsaesOaepSha256
                                          : EncryptionAlgorithm::kRsaesOaepSha1;
    // One uniform error for every bad ciphertext.
    for (const Result<SecretBytes>& bad :
         {RsaDecrypt(priv, alg, Flip(*ct, 0)), RsaDecrypt(priv, alg, Flip(*ct, 100)),
          RsaDecrypt(priv, alg, ct->substr(1)), RsaDecrypt(priv, alg, *ct + "x"),
          RsaDecrypt(priv, alg, ""), RsaDecrypt(priv, alg, std::string(ct->size(), '\xff')),
          RsaDecrypt(priv, other, *ct)}) {
      ASSERT_FALSE(bad.ok());
      EXPECT_EQ(bad.status().kind(), ErrorKind::kValidation);
      EXPECT_EQ(bad.status().message(), "RSA decryption failed");
    }
  }

  // ImportKeyMaterial: this pair as the wrapping key.
  SecretBytes material(32);
  RandomBytes(material.data(), material.size());
  for (WrappingAlgorithm alg :
       {WrappingAlgorithm::kRsaesOaepSha1, WrappingAlgorithm::kRsaesOaepSha256,
        WrappingAlgorithm::kRsaAesKeyWrapSha1, WrappingAlgorithm::kRsaAesKeyWrapSha256}) {
    SCOPED_TRACE(std::string(WrappingAlgorithmName(alg)));
    Result<std::string> wrapped = WrapKeyMaterial(pub, alg, material);
    ASSERT_TRUE(wrapped.ok()) << wrapped.status().message();
    const bool key_wrap = WrappingAlgorithmName(alg).starts_with("RSA_AES");
    // RSA part only, or RSA part + KWP of 32 bytes (40 bytes).
    EXPECT_EQ(wrapped->size(), MaxRsaPlaintextSize(spec, EncryptionAlgorithm::kRsaesOaepSha1) + 42 +
                                   (key_wrap ? 40 : 0));
    Result<SecretBytes> unwrapped = UnwrapKeyMaterial(priv, alg, *wrapped);
    ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().message();
    EXPECT_EQ(unwrapped->view(), material.view());
    for (const std::string& bad :
         {Flip(*wrapped, 5), Flip(*wrapped, wrapped->size() - 1), wrapped->substr(1),
          *wrapped + std::string(8, '\0'), std::string()}) {
      Result<SecretBytes> r = UnwrapKeyMaterial(priv, alg, bad);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().message(), "key material could not be unwrapped");
    }
  }
  // Larger material (an RSA private key) needs the AES key wrap.
  Result<std::string> big =
      WrapKeyMaterial(pub, WrappingAlgorithm::kRsaAesKeyWrapSha256, priv.Clone());
  ASSERT_TRUE(big.ok());
  Result<SecretBytes> big_back =
      UnwrapKeyMaterial(priv, WrappingAlgorithm::kRsaAesKeyWrapSha256, *big);
  ASSERT_TRUE(big_back.ok());
  EXPECT_EQ(big_back->view(), priv.view());
  EXPECT_FALSE(WrapKeyMaterial(pub, WrappingAlgorithm::kRsaesOaepSha256, priv.Clone()).ok());
}

INSTANTIATE_TEST_SUITE_P(Specs, KeyPairRoundTrip,
                         ::testing::Values(KeySpec::kRsa2048, KeySpec::kRsa3072, KeySpec::kRsa4096,
                                           KeySpec::kEccNistP256, KeySpec::kEccNistP384,
                                           KeySpec::kEccNistP521, KeySpec::kEccSecgP256k1),
                         SpecName);

// --- OpenSSL command-line interoperability ---------------------------------------------

class OpensslCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "openssl command not installed";
    }
    std::string suffix(8, '\0');
    RandomBytes(suffix.data(), suffix.size());
    dir_ = fs::temp_directory_path() / ("bulwark_openssl_" + HexEncode(suffix));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

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

  // Runs a shell command in the scratch folder; true when it exits 0.
  bool Run(const std::string& command) const {
    const std::string full = "cd '" + dir_.string() + "' && " + command + " >/dev/null 2>&1";
    return std::system(full.c_str()) == 0;
  }

  // SubjectPublicKeyInfo DER as a PEM "PUBLIC KEY" file.
  void WritePem(const std::string& name, const std::string& spki) const {
    std::string b64 = Base64Encode(spki);
    std::string pem = "-----BEGIN PUBLIC KEY-----\n";
    for (size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
    pem += "-----END PUBLIC KEY-----\n";
    Write(name, pem);
  }

  fs::path dir_;
};

TEST_F(OpensslCli, SignaturesVerifyWithOpensslDgst) {
  Result<KeyPair> ec = GenerateKeyPair(KeySpec::kEccNistP384);
  Result<KeyPair> rsa = GenerateKeyPair(KeySpec::kRsa2048);
  ASSERT_TRUE(ec.ok() && rsa.ok());
  WritePem("ec.pem", ec->public_key);
  WritePem("rsa.pem", rsa->public_key);
  const std::string message = "signed by Bulwark, verified by OpenSSL";
  Write("msg.bin", message);
  Write("other.bin", message + ".");
  struct Case {
    const KeyPair* pair;
    const char* pem;
    SigningAlgorithm alg;
    const char* options;
  };
  const Case cases[] = {
      {&*ec, "ec.pem", SigningAlgorithm::kEcdsaSha384, "-sha384"},
      {&*rsa, "rsa.pem", SigningAlgorithm::kRsassaPkcs1V15Sha256, "-sha256"},
      {&*rsa, "rsa.pem", SigningAlgorithm::kRsassaPkcs1V15Sha512, "-sha512"},
      // Salt length -1: the digest's length, as KMS uses.
      {&*rsa, "rsa.pem", SigningAlgorithm::kRsassaPssSha256,
       "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1"},
      {&*rsa, "rsa.pem", SigningAlgorithm::kRsassaPssSha384,
       "-sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(SigningAlgorithmName(c.alg)));
    Result<std::string> sig = Sign(c.pair->private_key, c.alg, MessageType::kRaw, message);
    ASSERT_TRUE(sig.ok());
    Write("sig.bin", *sig);
    const std::string verify =
        std::string("openssl dgst ") + c.options + " -verify " + c.pem + " -signature sig.bin ";
    EXPECT_TRUE(Run(verify + "msg.bin"));
    EXPECT_FALSE(Run(verify + "other.bin"));
  }
  // Our PKCS#8 output is a private key OpenSSL reads, and its public half is ours.
  Write("ec.der", ec->private_key.view());
  ASSERT_TRUE(Run("openssl pkey -inform DER -in ec.der -pubout -outform DER -out ec_pub.der"));
  EXPECT_EQ(Read("ec_pub.der"), ec->public_key);
}

TEST_F(OpensslCli, OpensslKeysCiphertextsAndSignaturesWorkHere) {
  // A key pair made by OpenSSL: we read its PKCS#8, sign, and verify its signature.
  // OpenSSL 3.0 writes EC keys as SEC 1 ECPrivateKey, which is not PKCS#8: refused until
  // converted.
  ASSERT_TRUE(
      Run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
          "-outform DER -out k.der"));
  EXPECT_EQ(KeySpecOfPrivateKey(SecretBytes::FromView(Read("k.der"))).status().kind(),
            ErrorKind::kValidation);
  ASSERT_TRUE(Run("openssl pkcs8 -topk8 -nocrypt -inform DER -in k.der -outform DER -out k8.der"));
  const SecretBytes ec_priv = SecretBytes::FromView(Read("k8.der"));
  Result<KeySpec> ec_spec = KeySpecOfPrivateKey(ec_priv);
  ASSERT_TRUE(ec_spec.ok()) << ec_spec.status().message();
  EXPECT_EQ(*ec_spec, KeySpec::kEccNistP256);
  Result<std::string> ec_pub = PublicKeyFromPrivateKey(ec_priv);
  ASSERT_TRUE(ec_pub.ok());
  Write("msg.bin", "signed by OpenSSL");
  ASSERT_TRUE(Run("openssl dgst -sha256 -keyform DER -sign k.der -out sig.bin msg.bin"));
  EXPECT_TRUE(*Verify(*ec_pub, SigningAlgorithm::kEcdsaSha256, MessageType::kRaw,
                      "signed by OpenSSL", Read("sig.bin")));
  EXPECT_FALSE(*Verify(*ec_pub, SigningAlgorithm::kEcdsaSha256, MessageType::kRaw,
                       "signed by OpenSSL?", Read("sig.bin")));

  // RSASSA-PSS from `openssl dgst`: KMS's salt length (the digest's) verifies, another
  // salt length does not.
  Result<KeyPair> rsa = GenerateKeyPair(KeySpec::kRsa2048);
  ASSERT_TRUE(rsa.ok());
  WritePem("rsa.pem", rsa->public_key);
  Write("rsa.der", rsa->private_key.view());
  const std::string pss_sign =
      "openssl dgst -sha256 -keyform DER -sign rsa.der -sigopt rsa_padding_mode:pss ";
  ASSERT_TRUE(Run(pss_sign + "-sigopt rsa_pss_saltlen:32 -out pss32.bin msg.bin"));
  ASSERT_TRUE(Run(pss_sign + "-sigopt rsa_pss_saltlen:20 -out pss20.bin msg.bin"));
  EXPECT_TRUE(*Verify(rsa->public_key, SigningAlgorithm::kRsassaPssSha256, MessageType::kRaw,
                      "signed by OpenSSL", Read("pss32.bin")));
  EXPECT_FALSE(*Verify(rsa->public_key, SigningAlgorithm::kRsassaPssSha256, MessageType::kRaw,
                       "signed by OpenSSL", Read("pss20.bin")));
  ASSERT_TRUE(Run("openssl dgst -sha512 -keyform DER -sign rsa.der -out pkcs1.bin msg.bin"));
  EXPECT_TRUE(*Verify(rsa->public_key, SigningAlgorithm::kRsassaPkcs1V15Sha512, MessageType::kRaw,
                      "signed by OpenSSL", Read("pkcs1.bin")));
  EXPECT_FALSE(*Verify(rsa->public_key, SigningAlgorithm::kRsassaPssSha512, MessageType::kRaw,
                       "signed by OpenSSL", Read("pkcs1.bin")));

  // RSAES_OAEP_SHA_256 ciphertext from `openssl pkeyutl` decrypts here.
  const std::string oaep =
      "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256";
  Write("plain.bin", "encrypted by OpenSSL");
  ASSERT_TRUE(
      Run("openssl pkeyutl -encrypt -pubin -inkey rsa.pem -in plain.bin -out ct.bin " + oaep));
  Result<SecretBytes> plain =
      RsaDecrypt(rsa->private_key, EncryptionAlgorithm::kRsaesOaepSha256, Read("ct.bin"));
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->view(), "encrypted by OpenSSL");

  // RSA_AES_KEY_WRAP_SHA_256 as AWS's import instructions build it with OpenSSL: OAEP of
  // an ephemeral AES-256 key, then `openssl enc -id-aes256-wrap-pad` of the material,
  // concatenated.
  std::string aes_key(32, '\0');
  RandomBytes(aes_key.data(), aes_key.size());
  Write("aes.bin", aes_key);
  std::string material(32, '\0');
  RandomBytes(material.data(), material.size());
  Write("material.bin", material);
  ASSERT_TRUE(
      Run("openssl pkeyutl -encrypt -pubin -inkey rsa.pem -in aes.bin -out aes_enc.bin " + oaep));
  ASSERT_TRUE(Run("openssl enc -id-aes256-wrap-pad -K " + HexEncode(aes_key) +
                  " -iv A65959A6 -in material.bin -out material_wrapped.bin"));
  const std::string encrypted_material = Read("aes_enc.bin") + Read("material_wrapped.bin");
  Result<SecretBytes> imported = UnwrapKeyMaterial(
      rsa->private_key, WrappingAlgorithm::kRsaAesKeyWrapSha256, encrypted_material);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  EXPECT_EQ(imported->view(), material);
  // The same bytes under the SHA-1 variant do not unwrap.
  EXPECT_FALSE(
      UnwrapKeyMaterial(rsa->private_key, WrappingAlgorithm::kRsaAesKeyWrapSha1, encrypted_material)
          .ok());
}

}  // namespace
}  // namespace bulwark::crypto
