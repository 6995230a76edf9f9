// Known-answer tests over Project Wycheproof's vectors (../shared/corpus/kms/wycheproof/
// testvectors_v1, read in place): AES-GCM, AES-KWP, HMAC-SHA2, RSAES-OAEP, RSASSA-PSS,
// RSASSA-PKCS1-v1_5 and ECDSA verification, and ECDH, through the functions KMS calls.
//
// Every "valid" vector must pass and every "invalid" one must fail. "acceptable" vectors
// (legal but dubious inputs) are run and their outcome is printed and pinned: RSA
// PKCS#1 v1.5 signatures without the NULL digest parameter are rejected (KMS never makes
// them), and OAEP ciphertexts whose value is a small integer decrypt like any other.
// The only vectors not run are AES-GCM IVs longer than 128 bytes, which OpenSSL 3.0 (and
// so AesGcmEncrypt) refuses; for those the refusal itself is checked.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "crypto/symmetric.h"

namespace bulwark::crypto {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kVectorDir = fs::path(BULWARK_CORPUS_DIR) / "kms" / "wycheproof" / "testvectors_v1";

json Load(const std::string& file) {
  std::ifstream in(kVectorDir / file, std::ios::binary);
  if (!in.good()) {
    ADD_FAILURE() << "cannot read " << (kVectorDir / file);
    return json::object();
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string Unhex(const json& value) {
  std::optional<std::string> s = HexDecode(value.get<std::string>());
  EXPECT_TRUE(s.has_value()) << value;
  return s.value_or("");
}

SecretBytes Secret(const json& hex) { return SecretBytes::FromView(Unhex(hex)); }

// Counts per file, printed so that the runs show how much of each file was exercised.
struct Tally {
  int valid = 0;
  int invalid = 0;
  int acceptable_accepted = 0;
  int acceptable_rejected = 0;
  int skipped = 0;

  int Run() const { return valid + invalid + acceptable_accepted + acceptable_rejected; }

  // Every vector of the file was run or deliberately skipped, and something ran.
  void Finish(const std::string& file, const json& doc) {
    std::printf(
        "[wycheproof] %s: %d run (%d valid, %d invalid, %d acceptable: %d accepted, %d "
        "rejected), %d skipped\n",
        file.c_str(), Run(), valid, invalid, acceptable_accepted + acceptable_rejected,
        acceptable_accepted, acceptable_rejected, skipped);
    EXPECT_GT(Run(), 0) << file;
    EXPECT_EQ(Run() + skipped, doc.value("numberOfTests", -1)) << file;
  }
};

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.find(".json"));
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// "valid" -> true, "invalid" -> false, "acceptable" -> nullopt.
std::optional<bool> Expected(const json& test) {
  const std::string result = test.at("result");
  if (result == "valid") return true;
  if (result == "invalid") return false;
  EXPECT_EQ(result, "acceptable") << test.at("tcId");
  return std::nullopt;
}

std::string Where(const std::string& file, const json& test) {
  return file + " tcId " + std::to_string(test.at("tcId").get<int>()) + " (" +
         test.value("comment", "") + ")";
}

// --- AES-GCM --------------------------------------------------------------------------

TEST(WycheproofAesGcm, AllVectors) {
  const std::string file = "aes_gcm_test.json";
  const json doc = Load(file);
  Tally tally;
  for (const json& group : doc.at("testGroups")) {
    for (const json& t : group.at("tests")) {
      const std::string where = Where(file, t);
      const SecretBytes key = Secret(t.at("key"));
      const std::string iv = Unhex(t.at("iv"));
      const std::string aad = Unhex(t.at("aad"));
      const std::string msg = Unhex(t.at("msg"));
      const std::string sealed = Unhex(t.at("ct")) + Unhex(t.at("tag"));
      const std::optional<bool> expected = Expected(t);
      ASSERT_TRUE(expected.has_value()) << where;
      if (iv.size() > kAesGcmMaxIvSize) {
        // Valid GCM, but beyond OpenSSL 3.0's IV limit: refused cleanly, never mis-computed.
        EXPECT_EQ(AesGcmEncrypt(key, iv, aad, msg).status().kind(), ErrorKind::kValidation);
        EXPECT_EQ(AesGcmDecrypt(key, iv, aad, sealed).status().kind(), ErrorKind::kValidation);
        ++tally.skipped;
        continue;
      }
      Result<SecretBytes> opened = AesGcmDecrypt(key, iv, aad, sealed);
      if (*expected) {
        Result<std::string> encrypted = AesGcmEncrypt(key, iv, aad, msg);
        ASSERT_TRUE(encrypted.ok()) << where << ": " << encrypted.status().message();
        EXPECT_EQ(HexEncode(*encrypted), HexEncode(sealed)) << where;
        ASSERT_TRUE(opened.ok()) << where << ": " << opened.status().message();
        EXPECT_EQ(HexEncode(opened->view()), HexEncode(msg)) << where;
        ++tally.valid;
      } else {
        EXPECT_FALSE(opened.ok()) << where;
        EXPECT_EQ(opened.status().kind(), ErrorKind::kValidation) << where;
        if (iv.empty()) {
          EXPECT_FALSE(AesGcmEncrypt(key, iv, aad, msg).ok()) << where;
        }
        ++tally.invalid;
      }
    }
  }
  tally.Finish(file, doc);
  EXPECT_EQ(tally.skipped, 3);  // the three 2056-bit IVs
}

// --- AES key wrap with padding ---------------------------------------------------------

TEST(WycheproofAesKwp, AllVectors) {
  const std::string file = "aes_kwp_test.json";
  const json doc = Load(file);
  Tally tally;
  std::set<std::string> failure_messages;
  for (const json& group : doc.at("testGroups")) {
    for (const json& t : group.at("tests")) {
      const std::string where = Where(file, t);
      const SecretBytes kek = Secret(t.at("key"));
      const std::string msg = Unhex(t.at("msg"));
      const std::string ct = Unhex(t.at("ct"));
      const std::optional<bool> expected = Expected(t);
      ASSERT_TRUE(expected.has_value()) << where;
      Result<SecretBytes> unwrapped = AesKeyUnwrapPad(kek, ct);
      if (*expected) {
        Result<std::string> wrapped = AesKeyWrapPad(kek, SecretBytes::FromView(msg));
        ASSERT_TRUE(wrapped.ok()) << where << ": " << wrapped.status().message();
        EXPECT_EQ(HexEncode(*wrapped), HexEncode(ct)) << where;
        ASSERT_TRUE(unwrapped.ok()) << where << ": " << unwrapped.status().message();
        EXPECT_EQ(HexEncode(unwrapped->view()), HexEncode(msg)) << where;
        ++tally.valid;
      } else {
        ASSERT_FALSE(unwrapped.ok()) << where;
        failure_messages.insert(unwrapped.status().message());
        EXPECT_EQ(unwrapped.status().kind(), ErrorKind::kValidation) << where;
        ++tally.invalid;
      }
    }
  }
  tally.Finish(file, doc);
  // One uniform error, whatever was wrong with the input.
  EXPECT_EQ(failure_messages, std::set<std::string>{"AES key unwrap failed"});
}

// --- HMAC -----------------------------------------------------------------------------

class WycheproofHmac : public ::testing::TestWithParam<std::string> {};

TEST_P(WycheproofHmac, AllVectors) {
  const std::string file = GetParam();
  const json doc = Load(file);
  const std::string algorithm = doc.value("algorithm", "");
  std::optional<MacAlgorithm> alg;
  if (algorithm == "HMACSHA224") alg = MacAlgorithm::kHmacSha224;
  if (algorithm == "HMACSHA256") alg = MacAlgorithm::kHmacSha256;
  if (algorithm == "HMACSHA384") alg = MacAlgorithm::kHmacSha384;
  if (algorithm == "HMACSHA512") alg = MacAlgorithm::kHmacSha512;
  ASSERT_TRUE(alg.has_value()) << algorithm;
  const size_t full = DigestSize(MacHash(*alg));
  Tally tally;
  for (const json& group : doc.at("testGroups")) {
    const size_t tag_size = group.at("tagSize").get<size_t>() / 8;
    for (const json& t : group.at("tests")) {
      const std::string where = Where(file, t);
      const SecretBytes key = Secret(t.at("key"));
      const std::string msg = Unhex(t.at("msg"));
      const std::string tag = Unhex(t.at("tag"));
      const std::optional<bool> expected = Expected(t);
      ASSERT_TRUE(expected.has_value()) << where;
      Result<std::string> mac = GenerateMac(key, *alg, msg);
      ASSERT_TRUE(mac.ok()) << where << ": " << mac.status().message();
      ASSERT_EQ(mac->size(), full);
      // Truncated-tag groups: compare the prefix (RFC 2104 section 5 truncation).
      EXPECT_EQ(mac->substr(0, tag_size) == tag, *expected) << where;
      Result<bool> verified = VerifyMac(key, *alg, msg, tag);
      ASSERT_TRUE(verified.ok()) << where;
      // VerifyMac takes full-length tags only, as KMS's VerifyMac does: a truncated tag,
      // even a correct prefix, does not verify.
      EXPECT_EQ(*verified, *expected && tag_size == full) << where;
      (*expected ? tally.valid : tally.invalid)++;
    }
  }
  tally.Finish(file, doc);
}

INSTANTIATE_TEST_SUITE_P(Files, WycheproofHmac,
                         ::testing::Values("hmac_sha224_test.json", "hmac_sha256_test.json",
                                           "hmac_sha384_test.json", "hmac_sha512_test.json"),
                         ParamName);

// --- RSAES-OAEP -----------------------------------------------------------------------

class WycheproofRsaOaep : public ::testing::TestWithParam<std::string> {};

TEST_P(WycheproofRsaOaep, AllVectors) {
  const std::string file = GetParam();
  const json doc = Load(file);
  Tally tally;
  std::set<std::string> failure_messages;
  for (const json& group : doc.at("testGroups")) {
    const std::optional<HashAlgorithm> hash = HashFromName(group.at("sha").get<std::string>());
    const std::optional<HashAlgorithm> mgf1 = HashFromName(group.at("mgfSha").get<std::string>());
    ASSERT_TRUE(hash && mgf1) << file << " " << group.at("sha") << "/" << group.at("mgfSha");
    ASSERT_EQ(group.at("mgf"), "MGF1");
    const SecretBytes private_key = Secret(group.at("privateKeyPkcs8"));
    Result<std::string> public_key = PublicKeyFromPrivateKey(private_key);
    ASSERT_TRUE(public_key.ok()) << file << ": " << public_key.status().message();
    // KMS's own algorithms: OAEP and MGF1 over the same SHA-1 or SHA-256, empty label.
    std::optional<EncryptionAlgorithm> kms_alg;
    if (*hash == *mgf1 && *hash == HashAlgorithm::kSha1) {
      kms_alg = EncryptionAlgorithm::kRsaesOaepSha1;
    }
    if (*hash == *mgf1 && *hash == HashAlgorithm::kSha256) {
      kms_alg = EncryptionAlgorithm::kRsaesOaepSha256;
    }
    bool round_tripped = false;
    for (const json& t : group.at("tests")) {
      const std::string where = Where(file, t);
      const std::string msg = Unhex(t.at("msg"));
      const std::string ct = Unhex(t.at("ct"));
      const std::string label = Unhex(t.at("label"));
      const std::optional<bool> expected = Expected(t);
      Result<SecretBytes> plain = RsaOaepDecrypt(private_key, *hash, *mgf1, label, ct);
      if (kms_alg && label.empty()) {
        // The KMS entry point must agree with the general one.
        Result<SecretBytes> kms_plain = RsaDecrypt(private_key, *kms_alg, ct);
        EXPECT_EQ(kms_plain.ok(), plain.ok()) << where;
        if (kms_plain.ok() && plain.ok()) {
          EXPECT_EQ(kms_plain->view(), plain->view()) << where;
        }
      }
      if (!expected.has_value()) {
        // Acceptable: pinned to what OpenSSL does (see the file comment).
        EXPECT_TRUE(plain.ok()) << where;
        if (plain.ok()) {
          EXPECT_EQ(HexEncode(plain->view()), HexEncode(msg)) << where;
        }
        (plain.ok() ? tally.acceptable_accepted : tally.acceptable_rejected)++;
        continue;
      }
      if (*expected) {
        ASSERT_TRUE(plain.ok()) << where << ": " << plain.status().message();
        EXPECT_EQ(HexEncode(plain->view()), HexEncode(msg)) << where;
        if (!round_tripped) {
          // And back, once per key (8192-bit decryptions are slow): our encryption of
          // the message decrypts to it.
          Result<std::string> again = RsaOaepEncrypt(*public_key, *hash, *mgf1, label, msg);
          ASSERT_TRUE(again.ok()) << where << ": " << again.status().message();
          Result<SecretBytes> round = RsaOaepDecrypt(private_key, *hash, *mgf1, label, *again);
          ASSERT_TRUE(round.ok()) << where;
          EXPECT_EQ(round->view(), msg) << where;
          round_tripped = true;
        }
        ++tally.valid;
      } else {
        ASSERT_FALSE(plain.ok()) << where;
        EXPECT_EQ(plain.status().kind(), ErrorKind::kValidation) << where;
        failure_messages.insert(plain.status().message());
        ++tally.invalid;
      }
    }
  }
  tally.Finish(file, doc);
  if (tally.invalid > 0) {
    // No padding oracle: every bad ciphertext fails the same way.
    EXPECT_EQ(failure_messages, std::set<std::string>{"RSA decryption failed"});
  }
}

INSTANTIATE_TEST_SUITE_P(Files, WycheproofRsaOaep,
                         ::testing::Values("rsa_oaep_2048_sha1_mgf1sha1_test.json",
                                           "rsa_oaep_2048_sha256_mgf1sha256_test.json",
                                           "rsa_oaep_3072_sha256_mgf1sha256_test.json",
                                           "rsa_oaep_4096_sha256_mgf1sha256_test.json",
                                           "rsa_oaep_misc_test.json"),
                         ParamName);

// --- Signature verification -----------------------------------------------------------

// The KMS signing algorithm for a file's scheme and hash.
std::optional<SigningAlgorithm> AlgorithmFor(const std::string& scheme, HashAlgorithm hash) {
  const std::string name = scheme + "_SHA_" + std::string(HashName(hash).substr(4));
  return SigningAlgorithmFromName(name);
}

class WycheproofSignature : public ::testing::TestWithParam<std::string> {};

TEST_P(WycheproofSignature, AllVectors) {
  const std::string file = GetParam();
  const json doc = Load(file);
  const std::string algorithm = doc.value("algorithm", "");
  std::string scheme;
  if (algorithm == "RSASSA-PSS") scheme = "RSASSA_PSS";
  if (algorithm == "RSASSA-PKCS1-v1_5") scheme = "RSASSA_PKCS1_V1_5";
  if (algorithm == "ECDSA") scheme = "ECDSA";
  ASSERT_FALSE(scheme.empty()) << file << ": " << algorithm;
  Tally tally;
  for (const json& group : doc.at("testGroups")) {
    const std::optional<HashAlgorithm> hash = HashFromName(group.at("sha").get<std::string>());
    ASSERT_TRUE(hash.has_value()) << file;
    if (scheme == "RSASSA_PSS") {
      // KMS's PSS: MGF1 over the message hash, salt as long as the hash.
      ASSERT_EQ(group.at("mgfSha"), group.at("sha")) << file;
      ASSERT_EQ(group.at("sLen").get<size_t>(), DigestSize(*hash)) << file;
    }
    const std::optional<SigningAlgorithm> alg = AlgorithmFor(scheme, *hash);
    ASSERT_TRUE(alg.has_value()) << file;
    const std::string public_key = Unhex(group.at("publicKeyDer"));
    for (const json& t : group.at("tests")) {
      const std::string where = Where(file, t);
      const std::string msg = Unhex(t.at("msg"));
      const std::string sig = Unhex(t.at("sig"));
      const std::optional<bool> expected = Expected(t);
      Result<bool> ok = Verify(public_key, *alg, MessageType::kRaw, msg, sig);
      ASSERT_TRUE(ok.ok()) << where << ": " << ok.status().message();
      // The same through MessageType DIGEST.
      Result<bool> ok_digest =
          Verify(public_key, *alg, MessageType::kDigest, Digest(*hash, msg), sig);
      ASSERT_TRUE(ok_digest.ok()) << where;
      EXPECT_EQ(*ok_digest, *ok) << where;
      if (!expected.has_value()) {
        // Acceptable (PKCS#1 v1.5 DigestInfo without NULL): pinned as rejected.
        EXPECT_FALSE(*ok) << where;
        (*ok ? tally.acceptable_accepted : tally.acceptable_rejected)++;
        continue;
      }
      EXPECT_EQ(*ok, *expected) << where;
      (*expected ? tally.valid : tally.invalid)++;
    }
  }
  tally.Finish(file, doc);
}

INSTANTIATE_TEST_SUITE_P(
    Files, WycheproofSignature,
    ::testing::Values(
        "rsa_pss_2048_sha256_mgf1_32_test.json", "rsa_pss_2048_sha384_mgf1_48_test.json",
        "rsa_pss_3072_sha256_mgf1_32_test.json", "rsa_pss_4096_sha256_mgf1_32_test.json",
        "rsa_pss_4096_sha384_mgf1_48_test.json", "rsa_pss_4096_sha512_mgf1_64_test.json",
        "rsa_signature_2048_sha256_test.json", "rsa_signature_2048_sha384_test.json",
        "rsa_signature_2048_sha512_test.json", "rsa_signature_3072_sha256_test.json",
        "rsa_signature_3072_sha384_test.json", "rsa_signature_3072_sha512_test.json",
        "rsa_signature_4096_sha256_test.json", "rsa_signature_4096_sha384_test.json",
        "rsa_signature_4096_sha512_test.json", "ecdsa_secp256r1_sha256_test.json",
        "ecdsa_secp384r1_sha384_test.json", "ecdsa_secp521r1_sha512_test.json",
        "ecdsa_secp256k1_sha256_test.json"),
    ParamName);

// --- ECDH (DeriveSharedSecret) --------------------------------------------------------

// KMS's key agreement: the private scalar as a PKCS#8 key of the file's curve, the peer
// as SubjectPublicKeyInfo DER. "acceptable" vectors (compressed points, unused or
// unnamed-curve parameters, DER quirks) run and are tallied either way: explicit curve
// parameters are refused, since KMS keys are on named curves only.
class WycheproofEcdh : public ::testing::TestWithParam<std::string> {};

TEST_P(WycheproofEcdh, AllVectors) {
  const std::string file = GetParam();
  const json doc = Load(file);
  Tally tally;
  for (const json& group : doc.at("testGroups")) {
    ASSERT_EQ(group.at("encoding"), "asn") << file;
    const std::string curve = group.at("curve");
    const std::optional<KeySpec> spec = curve == "secp256r1"   ? KeySpec::kEccNistP256
                                        : curve == "secp384r1" ? KeySpec::kEccNistP384
                                        : curve == "secp521r1" ? KeySpec::kEccNistP521
                                        : curve == "secp256k1"
                                            ? std::optional(KeySpec::kEccSecgP256k1)
                                            : std::nullopt;
    ASSERT_TRUE(spec.has_value()) << file << ": " << curve;
    for (const json& t : group.at("tests")) {
      const std::string where = Where(file, t);
      Result<SecretBytes> own = EcPrivateKeyFromScalar(*spec, Unhex(t.at("private")));
      ASSERT_TRUE(own.ok()) << where << ": " << own.status().message();
      Result<SecretBytes> shared = DeriveSharedSecret(*own, Unhex(t.at("public")));
      const std::optional<bool> expected = Expected(t);
      if (shared.ok()) {
        EXPECT_EQ(HexEncode(shared->view()), t.at("shared").get<std::string>()) << where;
      } else {
        EXPECT_EQ(shared.status().kind(), ErrorKind::kValidation) << where;
      }
      if (!expected.has_value()) {
        (shared.ok() ? tally.acceptable_accepted : tally.acceptable_rejected)++;
        continue;
      }
      EXPECT_EQ(shared.ok(), *expected)
          << where << ": " << (shared.ok() ? "" : shared.status().message());
      (*expected ? tally.valid : tally.invalid)++;
    }
  }
  tally.Finish(file, doc);
}

INSTANTIATE_TEST_SUITE_P(Files, WycheproofEcdh,
                         ::testing::Values("ecdh_secp256r1_test.json", "ecdh_secp384r1_test.json",
                                           "ecdh_secp521r1_test.json", "ecdh_secp256k1_test.json"),
                         ParamName);

}  // namespace
}  // namespace bulwark::crypto
