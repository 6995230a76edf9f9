// OpenSSL 3 implementations of asymmetric.h, with the EVP_PKEY interface only (no RSA_*
// or EC_KEY_* calls). Keys are parsed from DER for each operation: KMS keys are stored
// sealed and opened per request, so nothing here caches key objects.
#include "crypto/asymmetric.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>
#include <memory>
#include <utility>

#include "crypto/crypto.h"
#include "crypto/evp_util.h"

namespace bulwark::crypto {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
  void operator()(OSSL_ENCODER_CTX* p) const { OSSL_ENCODER_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Deleter>;

enum class KeyKind { kRsa, kEc };

// Anything the caller passed that is not usable. OpenSSL's error queue is dropped so that
// it does not leak into unrelated later calls on this thread.
Status Invalid(std::string message) {
  ERR_clear_error();
  return Status(ErrorKind::kValidation, std::move(message));
}

Status Internal(std::string message) {
  ERR_clear_error();
  return Status(ErrorKind::kInternalFailure, std::move(message));
}

Status DecryptFailure() { return Invalid("RSA decryption failed"); }
Status UnwrapFailure() { return Invalid("key material could not be unwrapped"); }

bool IsKind(const EVP_PKEY* pkey, KeyKind kind) {
  // "RSA" does not match id-RSASSA-PSS keys, which KMS never hands out.
  return EVP_PKEY_is_a(pkey, kind == KeyKind::kRsa ? "RSA" : "EC") == 1;
}

// OpenSSL 3.0 builds a decoder context for every d2i call, which costs far more than an
// ECDSA signature (about half a millisecond). One context per thread and structure,
// built once and reused, decodes without that cost.
class Decoder {
 public:
  Decoder(const char* structure, int selection)
      : ctx_(OSSL_DECODER_CTX_new_for_pkey(&out_, "DER", structure, nullptr, selection, nullptr,
                                           nullptr)) {}
  ~Decoder() {
    OSSL_DECODER_CTX_free(ctx_);
    EVP_PKEY_free(out_);
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // The key `der` holds, all of it, or null.
  Ptr<EVP_PKEY> Decode(std::string_view der) {
    EVP_PKEY_free(out_);
    out_ = nullptr;
    const unsigned char* p = Bytes(der);
    size_t left = der.size();
    if (ctx_ == nullptr || OSSL_DECODER_from_data(ctx_, &p, &left) != 1 || left != 0) {
      EVP_PKEY_free(out_);
      out_ = nullptr;
      ERR_clear_error();
      return nullptr;
    }
    Ptr<EVP_PKEY> pkey(out_);
    out_ = nullptr;
    return pkey;
  }

 private:
  EVP_PKEY* out_ = nullptr;
  OSSL_DECODER_CTX* ctx_;
};

Result<Ptr<EVP_PKEY>> ParsePrivateKey(std::string_view der) {
  if (der.empty() || der.size() > static_cast<size_t>(LONG_MAX)) {
    return Invalid("private key is not PKCS#8 DER");
  }
  // PKCS#8 and nothing else (the decoder would take SEC 1 and PKCS #1 keys too): its
  // ASN.1 structure first, with the cheap template parser.
  const unsigned char* p = Bytes(der);
  Ptr<PKCS8_PRIV_KEY_INFO> p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (!p8 || p != Bytes(der) + der.size()) return Invalid("private key is not PKCS#8 DER");
  p8.reset();
  thread_local Decoder decoder("PrivateKeyInfo", EVP_PKEY_KEYPAIR);
  Ptr<EVP_PKEY> pkey = decoder.Decode(der);
  if (!pkey) return Invalid("private key is not PKCS#8 DER");
  if (!IsKind(pkey.get(), KeyKind::kRsa) && !IsKind(pkey.get(), KeyKind::kEc)) {
    return Invalid("private key is neither an RSA nor an EC key");
  }
  return pkey;
}

Result<Ptr<EVP_PKEY>> ParsePrivateKey(const SecretBytes& der) {
  return ParsePrivateKey(der.view());
}

Result<Ptr<EVP_PKEY>> ParsePublicKey(std::string_view der) {
  if (der.empty() || der.size() > static_cast<size_t>(LONG_MAX)) {
    return Invalid("public key is not SubjectPublicKeyInfo DER");
  }
  thread_local Decoder decoder("SubjectPublicKeyInfo", EVP_PKEY_PUBLIC_KEY);
  Ptr<EVP_PKEY> pkey = decoder.Decode(der);
  if (!pkey) return Invalid("public key is not SubjectPublicKeyInfo DER");
  if (!IsKind(pkey.get(), KeyKind::kRsa) && !IsKind(pkey.get(), KeyKind::kEc)) {
    return Invalid("public key is neither an RSA nor an EC key");
  }
  return pkey;
}

// PKCS#8 DER through OpenSSL's encoder, whose buffer is wiped before it is freed.
Result<SecretBytes> EncodePrivateKey(const EVP_PKEY* pkey) {
  Ptr<OSSL_ENCODER_CTX> ctx(
      OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", nullptr));
  unsigned char* der = nullptr;
  size_t len = 0;
  if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0 ||
      OSSL_ENCODER_to_data(ctx.get(), &der, &len) != 1 || der == nullptr) {
    return Internal("cannot encode the private key");
  }
  SecretBytes out(der, len);
  OPENSSL_clear_free(der, len);
  return out;
}

Result<std::string> EncodePublicKey(const EVP_PKEY* pkey) {
  int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return Internal("cannot encode the public key");
  std::string out(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_PUBKEY(pkey, &p) != len) return Internal("cannot encode the public key");
  return out;
}

Result<KeySpec> SpecOf(const EVP_PKEY* pkey) {
  if (IsKind(pkey, KeyKind::kRsa)) {
    switch (EVP_PKEY_get_bits(pkey)) {
      case 2048:
        return KeySpec::kRsa2048;
      case 3072:
        return KeySpec::kRsa3072;
      case 4096:
        return KeySpec::kRsa4096;
      default:
        return Invalid("RSA key size is not 2048, 3072 or 4096 bits");
    }
  }
  char group[64] = {0};
  size_t len = 0;
  if (!IsKind(pkey, KeyKind::kEc) ||
      EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) != 1) {
    return Invalid("key is not an RSA key or an EC key on a named curve");
  }
  const std::string_view name(group, len);
  if (name == "prime256v1" || name == "P-256") return KeySpec::kEccNistP256;
  if (name == "secp384r1" || name == "P-384") return KeySpec::kEccNistP384;
  if (name == "secp521r1" || name == "P-521") return KeySpec::kEccNistP521;
  if (name == "secp256k1") return KeySpec::kEccSecgP256k1;
  return Invalid("EC key is not on P-256, P-384, P-521 or secp256k1");
}

// OpenSSL's name of an ECC key spec's curve.
const char* CurveName(KeySpec spec) {
  switch (spec) {
    case KeySpec::kEccNistP256:
      return "P-256";
    case KeySpec::kEccNistP384:
      return "P-384";
    case KeySpec::kEccNistP521:
      return "P-521";
    default:
      return "secp256k1";
  }
}

bool IsPss(SigningAlgorithm alg) {
  return alg == SigningAlgorithm::kRsassaPssSha256 || alg == SigningAlgorithm::kRsassaPssSha384 ||
         alg == SigningAlgorithm::kRsassaPssSha512;
}

bool IsEcdsa(SigningAlgorithm alg) {
  return alg == SigningAlgorithm::kEcdsaSha256 || alg == SigningAlgorithm::kEcdsaSha384 ||
         alg == SigningAlgorithm::kEcdsaSha512;
}

Status CheckSigningKey(const EVP_PKEY* pkey, SigningAlgorithm alg) {
  const KeyKind want = IsEcdsa(alg) ? KeyKind::kEc : KeyKind::kRsa;
  if (!IsKind(pkey, want)) {
    return Invalid(std::string("key does not support signing algorithm ") +
                   std::string(SigningAlgorithmName(alg)));
  }
  return Status::Ok();
}

// The value that is signed: the message's digest, or the caller's digest checked for size.
Result<std::string> ToBeSigned(SigningAlgorithm alg, MessageType type, std::string_view message) {
  const HashAlgorithm hash = SigningHash(alg);
  if (type == MessageType::kRaw) return Digest(hash, message);
  if (message.size() != DigestSize(hash)) {
    return Invalid("Digest is invalid length for algorithm " +
                   std::string(SigningAlgorithmName(alg)) + ".");
  }
  return std::string(message);
}

// Padding, hash and (for PSS) MGF1 hash and salt length on an initialised sign/verify
// context.
bool ConfigureSignature(EVP_PKEY_CTX* ctx, SigningAlgorithm alg) {
  const EVP_MD* md = EvpMd(SigningHash(alg));
  if (IsEcdsa(alg)) return EVP_PKEY_CTX_set_signature_md(ctx, md) > 0;
  if (IsPss(alg)) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_signature_md(ctx, md) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) > 0;
  }
  return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
         EVP_PKEY_CTX_set_signature_md(ctx, md) > 0;
}

bool ConfigureOaep(EVP_PKEY_CTX* ctx, HashAlgorithm oaep_hash, HashAlgorithm mgf1_hash,
                   std::string_view label) {
  if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EvpMd(oaep_hash)) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EvpMd(mgf1_hash)) <= 0) {
    return false;
  }
  if (label.empty()) return true;
  if (label.size() > static_cast<size_t>(INT_MAX)) return false;
  // set0 takes ownership of the copy on success only.
  void* copy = OPENSSL_memdup(label.data(), label.size());
  if (copy == nullptr) return false;
  if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, copy, static_cast<int>(label.size())) <= 0) {
    OPENSSL_free(copy);
    return false;
  }
  return true;
}

size_t OaepCapacity(size_t modulus_bytes, HashAlgorithm hash) {
  const size_t overhead = 2 * DigestSize(hash) + 2;
  return modulus_bytes > overhead ? modulus_bytes - overhead : 0;
}

Result<std::string> OaepEncrypt(EVP_PKEY* pkey, HashAlgorithm oaep_hash, HashAlgorithm mgf1_hash,
                                std::string_view label, std::string_view plaintext) {
  if (!IsKind(pkey, KeyKind::kRsa)) return Invalid("key is not an RSA key");
  const int size = EVP_PKEY_get_size(pkey);
  if (size <= 0) return Internal("cannot size the RSA key");
  const size_t k = static_cast<size_t>(size);
  if (plaintext.size() > OaepCapacity(k, oaep_hash) || k < 2 * DigestSize(oaep_hash) + 2) {
    return Invalid("plaintext is too long for the RSA key and encryption algorithm");
  }
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
      !ConfigureOaep(ctx.get(), oaep_hash, mgf1_hash, label)) {
    return Internal("RSA-OAEP setup failed");
  }
  std::string out(k, '\0');
  size_t out_len = out.size();
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len,
                       Bytes(plaintext), plaintext.size()) <= 0 ||
      out_len != k) {
    return Internal("RSA-OAEP encryption failed");
  }
  return out;
}

Result<SecretBytes> OaepDecrypt(EVP_PKEY* pkey, HashAlgorithm oaep_hash, HashAlgorithm mgf1_hash,
                                std::string_view label, std::string_view ciphertext) {
  if (!IsKind(pkey, KeyKind::kRsa)) return Invalid("key is not an RSA key");
  const int size = EVP_PKEY_get_size(pkey);
  if (size <= 0) return Internal("cannot size the RSA key");
  const size_t k = static_cast<size_t>(size);
  // RFC 8017 7.1.2 step 1: the ciphertext is exactly k bytes. OpenSSL would take shorter
  // input as a number with leading zeros; KMS ciphertexts never are.
  if (ciphertext.size() != k) return DecryptFailure();
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      !ConfigureOaep(ctx.get(), oaep_hash, mgf1_hash, label)) {
    return Internal("RSA-OAEP setup failed");
  }
  SecretBytes buffer(k);
  size_t out_len = buffer.size();
  if (EVP_PKEY_decrypt(ctx.get(), buffer.data(), &out_len, Bytes(ciphertext), ciphertext.size()) <=
          0 ||
      out_len > k) {
    return DecryptFailure();
  }
  return SecretBytes(buffer.data(), out_len);
}

HashAlgorithm WrappingHash(WrappingAlgorithm alg) {
  return alg == WrappingAlgorithm::kRsaesOaepSha1 || alg == WrappingAlgorithm::kRsaAesKeyWrapSha1
             ? HashAlgorithm::kSha1
             : HashAlgorithm::kSha256;
}

bool IsKeyWrap(WrappingAlgorithm alg) {
  return alg == WrappingAlgorithm::kRsaAesKeyWrapSha1 ||
         alg == WrappingAlgorithm::kRsaAesKeyWrapSha256;
}

constexpr KeySpec kAllSpecs[] = {
    KeySpec::kRsa2048,     KeySpec::kRsa3072,     KeySpec::kRsa4096,       KeySpec::kEccNistP256,
    KeySpec::kEccNistP384, KeySpec::kEccNistP521, KeySpec::kEccSecgP256k1, KeySpec::kHmac224,
    KeySpec::kHmac256,     KeySpec::kHmac384,     KeySpec::kHmac512,
};

constexpr SigningAlgorithm kAllSigningAlgorithms[] = {
    SigningAlgorithm::kRsassaPssSha256,      SigningAlgorithm::kRsassaPssSha384,
    SigningAlgorithm::kRsassaPssSha512,      SigningAlgorithm::kRsassaPkcs1V15Sha256,
    SigningAlgorithm::kRsassaPkcs1V15Sha384, SigningAlgorithm::kRsassaPkcs1V15Sha512,
    SigningAlgorithm::kEcdsaSha256,          SigningAlgorithm::kEcdsaSha384,
    SigningAlgorithm::kEcdsaSha512,
};

}  // namespace

Result<PkeyPtr> LoadPrivateKey(const SecretBytes& der) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePrivateKey(der));
  return PkeyPtr(pkey.release());
}

Result<PkeyPtr> LoadPublicKey(std::string_view der) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePublicKey(der));
  return PkeyPtr(pkey.release());
}

Result<std::string> PublicKeyDer(EVP_PKEY* pkey) { return EncodePublicKey(pkey); }

// --- Key specs ------------------------------------------------------------------------

std::string_view KeySpecName(KeySpec spec) {
  switch (spec) {
    case KeySpec::kRsa2048:
      return "RSA_2048";
    case KeySpec::kRsa3072:
      return "RSA_3072";
    case KeySpec::kRsa4096:
      return "RSA_4096";
    case KeySpec::kEccNistP256:
      return "ECC_NIST_P256";
    case KeySpec::kEccNistP384:
      return "ECC_NIST_P384";
    case KeySpec::kEccNistP521:
      return "ECC_NIST_P521";
    case KeySpec::kEccSecgP256k1:
      return "ECC_SECG_P256K1";
    case KeySpec::kHmac224:
      return "HMAC_224";
    case KeySpec::kHmac256:
      return "HMAC_256";
    case KeySpec::kHmac384:
      return "HMAC_384";
    case KeySpec::kHmac512:
      return "HMAC_512";
  }
  return "";
}

std::optional<KeySpec> KeySpecFromName(std::string_view name) {
  for (KeySpec spec : kAllSpecs) {
    if (KeySpecName(spec) == name) return spec;
  }
  return std::nullopt;
}

bool IsRsaKeySpec(KeySpec spec) {
  return spec == KeySpec::kRsa2048 || spec == KeySpec::kRsa3072 || spec == KeySpec::kRsa4096;
}

bool IsEccKeySpec(KeySpec spec) {
  return spec == KeySpec::kEccNistP256 || spec == KeySpec::kEccNistP384 ||
         spec == KeySpec::kEccNistP521 || spec == KeySpec::kEccSecgP256k1;
}

bool IsHmacKeySpec(KeySpec spec) { return HmacKeySize(spec) != 0; }

Result<KeyPair> GenerateKeyPair(KeySpec spec) {
  if (!IsRsaKeySpec(spec) && !IsEccKeySpec(spec)) {
    return Invalid("key spec " + std::string(KeySpecName(spec)) + " has no key pair");
  }
  Ptr<EVP_PKEY_CTX> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, IsRsaKeySpec(spec) ? "RSA" : "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0) return Internal("key generation setup failed");
  if (IsRsaKeySpec(spec)) {
    const int bits = spec == KeySpec::kRsa2048 ? 2048 : spec == KeySpec::kRsa3072 ? 3072 : 4096;
    Ptr<BIGNUM> e(BN_new());
    if (!e || BN_set_word(e.get(), RSA_F4) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) <= 0 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) <= 0) {
      return Internal("RSA key generation setup failed");
    }
  } else {
    if (EVP_PKEY_CTX_set_group_name(ctx.get(), CurveName(spec)) <= 0) {
      return Internal("EC key generation setup failed");
    }
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) <= 0) return Internal("key generation failed");
  Ptr<EVP_PKEY> pkey(raw);
  KeyPair pair;
  ASSIGN_OR_RETURN(pair.private_key, EncodePrivateKey(pkey.get()));
  ASSIGN_OR_RETURN(pair.public_key, EncodePublicKey(pkey.get()));
  return pair;
}

size_t HmacKeySize(KeySpec spec) {
  switch (spec) {
    case KeySpec::kHmac224:
      return 28;
    case KeySpec::kHmac256:
      return 32;
    case KeySpec::kHmac384:
      return 48;
    case KeySpec::kHmac512:
      return 64;
    default:
      return 0;
  }
}

Result<SecretBytes> GenerateHmacKey(KeySpec spec) {
  const size_t size = HmacKeySize(spec);
  if (size == 0) return Invalid("key spec " + std::string(KeySpecName(spec)) + " is not HMAC");
  SecretBytes key(size);
  RandomBytes(key.data(), key.size());
  return key;
}

Result<std::string> PublicKeyFromPrivateKey(const SecretBytes& private_key) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePrivateKey(private_key));
  return EncodePublicKey(pkey.get());
}

Result<KeySpec> KeySpecOfPrivateKey(const SecretBytes& private_key) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePrivateKey(private_key));
  return SpecOf(pkey.get());
}

Result<KeySpec> KeySpecOfPublicKey(std::string_view public_key) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePublicKey(public_key));
  return SpecOf(pkey.get());
}

// --- Signatures -----------------------------------------------------------------------

std::string_view SigningAlgorithmName(SigningAlgorithm alg) {
  switch (alg) {
    case SigningAlgorithm::kRsassaPssSha256:
      return "RSASSA_PSS_SHA_256";
    case SigningAlgorithm::kRsassaPssSha384:
      return "RSASSA_PSS_SHA_384";
    case SigningAlgorithm::kRsassaPssSha512:
      return "RSASSA_PSS_SHA_512";
    case SigningAlgorithm::kRsassaPkcs1V15Sha256:
      return "RSASSA_PKCS1_V1_5_SHA_256";
    case SigningAlgorithm::kRsassaPkcs1V15Sha384:
      return "RSASSA_PKCS1_V1_5_SHA_384";
    case SigningAlgorithm::kRsassaPkcs1V15Sha512:
      return "RSASSA_PKCS1_V1_5_SHA_512";
    case SigningAlgorithm::kEcdsaSha256:
      return "ECDSA_SHA_256";
    case SigningAlgorithm::kEcdsaSha384:
      return "ECDSA_SHA_384";
    case SigningAlgorithm::kEcdsaSha512:
      return "ECDSA_SHA_512";
  }
  return "";
}

std::optional<SigningAlgorithm> SigningAlgorithmFromName(std::string_view name) {
  for (SigningAlgorithm alg : kAllSigningAlgorithms) {
    if (SigningAlgorithmName(alg) == name) return alg;
  }
  return std::nullopt;
}

HashAlgorithm SigningHash(SigningAlgorithm alg) {
  switch (alg) {
    case SigningAlgorithm::kRsassaPssSha256:
    case SigningAlgorithm::kRsassaPkcs1V15Sha256:
    case SigningAlgorithm::kEcdsaSha256:
      return HashAlgorithm::kSha256;
    case SigningAlgorithm::kRsassaPssSha384:
    case SigningAlgorithm::kRsassaPkcs1V15Sha384:
    case SigningAlgorithm::kEcdsaSha384:
      return HashAlgorithm::kSha384;
    case SigningAlgorithm::kRsassaPssSha512:
    case SigningAlgorithm::kRsassaPkcs1V15Sha512:
    case SigningAlgorithm::kEcdsaSha512:
      return HashAlgorithm::kSha512;
  }
  return HashAlgorithm::kSha256;
}

std::vector<SigningAlgorithm> SigningAlgorithmsFor(KeySpec spec) {
  if (IsRsaKeySpec(spec)) {
    return {SigningAlgorithm::kRsassaPssSha256,      SigningAlgorithm::kRsassaPssSha384,
            SigningAlgorithm::kRsassaPssSha512,      SigningAlgorithm::kRsassaPkcs1V15Sha256,
            SigningAlgorithm::kRsassaPkcs1V15Sha384, SigningAlgorithm::kRsassaPkcs1V15Sha512};
  }
  switch (spec) {
    case KeySpec::kEccNistP256:
    case KeySpec::kEccSecgP256k1:
      return {SigningAlgorithm::kEcdsaSha256};
    case KeySpec::kEccNistP384:
      return {SigningAlgorithm::kEcdsaSha384};
    case KeySpec::kEccNistP521:
      return {SigningAlgorithm::kEcdsaSha512};
    default:
      return {};
  }
}

Result<std::string> Sign(const SecretBytes& private_key, SigningAlgorithm alg, MessageType type,
                         std::string_view message) {
  ASSIGN_OR_RETURN(std::string tbs, ToBeSigned(alg, type, message));
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePrivateKey(private_key));
  RETURN_IF_ERROR(CheckSigningKey(pkey.get(), alg));
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 || !ConfigureSignature(ctx.get(), alg)) {
    return Internal("signature setup failed");
  }
  size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, Bytes(tbs), tbs.size()) <= 0 || len == 0) {
    return Internal("signing failed");
  }
  std::string signature(len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, Bytes(tbs),
                    tbs.size()) <= 0) {
    return Internal("signing failed");
  }
  signature.resize(len);  // ECDSA's DER length varies with r and s
  return signature;
}

Result<bool> Verify(std::string_view public_key, SigningAlgorithm alg, MessageType type,
                    std::string_view message, std::string_view signature) {
  ASSIGN_OR_RETURN(std::string tbs, ToBeSigned(alg, type, message));
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePublicKey(public_key));
  RETURN_IF_ERROR(CheckSigningKey(pkey.get(), alg));
  const int max_size = EVP_PKEY_get_size(pkey.get());
  if (max_size <= 0) return Internal("cannot size the key");
  // RSA signatures are exactly the modulus size (RFC 8017 8.1.2/8.2.2 step 1); OpenSSL
  // would read a shorter one as a number with leading zeros. ECDSA signatures are at most
  // the key's maximal DER signature size.
  if (IsKind(pkey.get(), KeyKind::kRsa) ? signature.size() != static_cast<size_t>(max_size)
                                        : signature.size() > static_cast<size_t>(max_size)) {
    return false;
  }
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) <= 0 || !ConfigureSignature(ctx.get(), alg)) {
    return Internal("signature verification setup failed");
  }
  // 1 is a valid signature; 0 a wrong one and negative values a malformed one.
  const int rc =
      EVP_PKEY_verify(ctx.get(), Bytes(signature), signature.size(), Bytes(tbs), tbs.size());
  ERR_clear_error();
  return rc == 1;
}

// --- RSA encryption -------------------------------------------------------------------

std::string_view EncryptionAlgorithmName(EncryptionAlgorithm alg) {
  return alg == EncryptionAlgorithm::kRsaesOaepSha1 ? "RSAES_OAEP_SHA_1" : "RSAES_OAEP_SHA_256";
}

std::optional<EncryptionAlgorithm> EncryptionAlgorithmFromName(std::string_view name) {
  if (name == "RSAES_OAEP_SHA_1") return EncryptionAlgorithm::kRsaesOaepSha1;
  if (name == "RSAES_OAEP_SHA_256") return EncryptionAlgorithm::kRsaesOaepSha256;
  return std::nullopt;
}

HashAlgorithm EncryptionHash(EncryptionAlgorithm alg) {
  return alg == EncryptionAlgorithm::kRsaesOaepSha1 ? HashAlgorithm::kSha1 : HashAlgorithm::kSha256;
}

size_t MaxRsaPlaintextSize(KeySpec spec, EncryptionAlgorithm alg) {
  size_t modulus_bytes = 0;
  switch (spec) {
    case KeySpec::kRsa2048:
      modulus_bytes = 256;
      break;
    case KeySpec::kRsa3072:
      modulus_bytes = 384;
      break;
    case KeySpec::kRsa4096:
      modulus_bytes = 512;
      break;
    default:
      return 0;
  }
  return OaepCapacity(modulus_bytes, EncryptionHash(alg));
}

Result<std::string> RsaOaepEncrypt(std::string_view public_key, HashAlgorithm oaep_hash,
                                   HashAlgorithm mgf1_hash, std::string_view label,
                                   std::string_view plaintext) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePublicKey(public_key));
  return OaepEncrypt(pkey.get(), oaep_hash, mgf1_hash, label, plaintext);
}

Result<SecretBytes> RsaOaepDecrypt(const SecretBytes& private_key, HashAlgorithm oaep_hash,
                                   HashAlgorithm mgf1_hash, std::string_view label,
                                   std::string_view ciphertext) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePrivateKey(private_key));
  return OaepDecrypt(pkey.get(), oaep_hash, mgf1_hash, label, ciphertext);
}

Result<std::string> RsaEncrypt(std::string_view public_key, EncryptionAlgorithm alg,
                               std::string_view plaintext) {
  const HashAlgorithm hash = EncryptionHash(alg);
  return RsaOaepEncrypt(public_key, hash, hash, "", plaintext);
}

Result<SecretBytes> RsaDecrypt(const SecretBytes& private_key, EncryptionAlgorithm alg,
                               std::string_view ciphertext) {
  const HashAlgorithm hash = EncryptionHash(alg);
  return RsaOaepDecrypt(private_key, hash, hash, "", ciphertext);
}

// --- Key material import --------------------------------------------------------------

// --- Key agreement --------------------------------------------------------------------

Result<SecretBytes> DeriveSharedSecret(const SecretBytes& private_key,
                                       std::string_view peer_public_key) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> own, ParsePrivateKey(private_key));
  if (!IsKind(own.get(), KeyKind::kEc)) return Invalid("key agreement needs an EC private key");
  ASSIGN_OR_RETURN(KeySpec own_spec, SpecOf(own.get()));
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> peer, ParsePublicKey(peer_public_key));
  // Only a named curve, and the same one: explicit parameters (which OpenSSL matches to
  // a named curve even with a wrong cofactor) are refused.
  char encoding[32] = {0};
  size_t encoding_len = 0;
  Result<KeySpec> peer_spec = SpecOf(peer.get());
  if (!peer_spec.ok() || *peer_spec != own_spec ||
      EVP_PKEY_get_utf8_string_param(peer.get(), OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                     sizeof(encoding), &encoding_len) != 1 ||
      std::string_view(encoding, encoding_len) != OSSL_PKEY_EC_ENCODING_GROUP) {
    return Invalid("the public key is not on the curve of the private key");
  }
  Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, peer.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return Invalid("the public key is not a valid point of its curve");
  }
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0) return Internal("ECDH setup failed");
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) <= 0) {
    return Invalid("the public key cannot be used for key agreement");
  }
  size_t size = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &size) <= 0 || size == 0) {
    return Internal("ECDH failed");
  }
  SecretBytes secret(size);
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &size) <= 0) return Internal("ECDH failed");
  if (size != secret.size()) return SecretBytes(secret.data(), size);
  return secret;
}

Result<SecretBytes> EcPrivateKeyFromScalar(KeySpec spec, std::string_view scalar) {
  // The DER OID of each curve and its field size in bytes.
  struct Curve {
    std::string_view oid;
    size_t size;
  };
  Curve curve;
  switch (spec) {
    case KeySpec::kEccNistP256:
      curve = {std::string_view("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8), 32};
      break;
    case KeySpec::kEccNistP384:
      curve = {std::string_view("\x2b\x81\x04\x00\x22", 5), 48};
      break;
    case KeySpec::kEccNistP521:
      curve = {std::string_view("\x2b\x81\x04\x00\x23", 5), 66};
      break;
    case KeySpec::kEccSecgP256k1:
      curve = {std::string_view("\x2b\x81\x04\x00\x0a", 5), 32};
      break;
    default:
      return Invalid("not an ECC key spec");
  }
  while (!scalar.empty() && scalar.front() == '\0') scalar.remove_prefix(1);
  if (scalar.empty() || scalar.size() > curve.size) {
    return Invalid("the scalar is not a private key of the curve");
  }
  // RFC 5915 ECPrivateKey without its optional public key, which OpenSSL's decoder
  // computes from the scalar: SEQUENCE { INTEGER 1, OCTET STRING d, [0] OID }. Every
  // length here is below 128, so each fits one byte.
  SecretBytes der(2 + 3 + 2 + curve.size + 4 + curve.oid.size());
  uint8_t* out = der.data();
  size_t i = 0;
  out[i++] = 0x30;
  out[i++] = static_cast<uint8_t>(der.size() - 2);
  out[i++] = 0x02;
  out[i++] = 0x01;
  out[i++] = 0x01;
  out[i++] = 0x04;
  out[i++] = static_cast<uint8_t>(curve.size);
  std::memset(out + i, 0, curve.size - scalar.size());
  std::memcpy(out + i + curve.size - scalar.size(), scalar.data(), scalar.size());
  i += curve.size;
  out[i++] = 0xa0;
  out[i++] = static_cast<uint8_t>(curve.oid.size() + 2);
  out[i++] = 0x06;
  out[i++] = static_cast<uint8_t>(curve.oid.size());
  std::memcpy(out + i, curve.oid.data(), curve.oid.size());
  const unsigned char* p = der.data();
  Ptr<EVP_PKEY> pkey(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, static_cast<long>(der.size())));
  if (!pkey || p != der.data() + der.size()) {
    return Invalid("the scalar is not a private key of the curve");
  }
  return EncodePrivateKey(pkey.get());
}

std::string_view WrappingAlgorithmName(WrappingAlgorithm alg) {
  switch (alg) {
    case WrappingAlgorithm::kRsaesOaepSha1:
      return "RSAES_OAEP_SHA_1";
    case WrappingAlgorithm::kRsaesOaepSha256:
      return "RSAES_OAEP_SHA_256";
    case WrappingAlgorithm::kRsaAesKeyWrapSha1:
      return "RSA_AES_KEY_WRAP_SHA_1";
    case WrappingAlgorithm::kRsaAesKeyWrapSha256:
      return "RSA_AES_KEY_WRAP_SHA_256";
  }
  return "";
}

std::optional<WrappingAlgorithm> WrappingAlgorithmFromName(std::string_view name) {
  for (WrappingAlgorithm alg :
       {WrappingAlgorithm::kRsaesOaepSha1, WrappingAlgorithm::kRsaesOaepSha256,
        WrappingAlgorithm::kRsaAesKeyWrapSha1, WrappingAlgorithm::kRsaAesKeyWrapSha256}) {
    if (WrappingAlgorithmName(alg) == name) return alg;
  }
  return std::nullopt;
}

Result<SecretBytes> UnwrapKeyMaterial(const SecretBytes& wrapping_private_key,
                                      WrappingAlgorithm alg, std::string_view wrapped) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePrivateKey(wrapping_private_key));
  if (!IsKind(pkey.get(), KeyKind::kRsa)) return Invalid("wrapping key is not an RSA key");
  const HashAlgorithm hash = WrappingHash(alg);
  if (!IsKeyWrap(alg)) {
    Result<SecretBytes> material = OaepDecrypt(pkey.get(), hash, hash, "", wrapped);
    if (!material.ok() || material->empty()) return UnwrapFailure();
    return material;
  }
  // RSA-OAEP(ephemeral AES key), exactly one modulus long, then the RFC 5649 wrapping.
  const size_t k = static_cast<size_t>(EVP_PKEY_get_size(pkey.get()));
  if (wrapped.size() <= k) return UnwrapFailure();
  Result<SecretBytes> aes_key = OaepDecrypt(pkey.get(), hash, hash, "", wrapped.substr(0, k));
  if (!aes_key.ok()) return UnwrapFailure();
  const size_t aes_size = aes_key->size();
  if (aes_size != 16 && aes_size != 24 && aes_size != 32) return UnwrapFailure();
  Result<SecretBytes> material = AesKeyUnwrapPad(*aes_key, wrapped.substr(k));
  if (!material.ok()) return UnwrapFailure();
  return material;
}

Result<std::string> WrapKeyMaterial(std::string_view wrapping_public_key, WrappingAlgorithm alg,
                                    const SecretBytes& key_material) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, ParsePublicKey(wrapping_public_key));
  const HashAlgorithm hash = WrappingHash(alg);
  if (!IsKeyWrap(alg)) return OaepEncrypt(pkey.get(), hash, hash, "", key_material.view());
  SecretBytes aes_key(32);
  RandomBytes(aes_key.data(), aes_key.size());
  ASSIGN_OR_RETURN(std::string out, OaepEncrypt(pkey.get(), hash, hash, "", aes_key.view()));
  ASSIGN_OR_RETURN(std::string body, AesKeyWrapPad(aes_key, key_material));
  return out + body;
}

}  // namespace bulwark::crypto
