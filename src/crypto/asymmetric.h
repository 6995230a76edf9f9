// Asymmetric primitives for KMS: key generation per KMS key spec, RSASSA-PSS /
// RSASSA-PKCS1-v1_5 / ECDSA signatures, RSAES-OAEP encryption, and the unwrapping of
// key material for ImportKeyMaterial.
//
// Keys travel as DER: private keys as unencrypted PKCS#8 PrivateKeyInfo in SecretBytes,
// public keys as X.509 SubjectPublicKeyInfo (what KMS GetPublicKey and
// GenerateDataKeyPair return). Parsing is strict: the whole input must be one DER key.
// RSA keys are rsaEncryption keys (not id-RSASSA-PSS), EC keys use named curves.
//
// Error kinds: kValidation for anything the caller passed (a key that does not parse or
// does not suit the algorithm, a digest of the wrong length, a ciphertext that does not
// decrypt); kInternalFailure when OpenSSL fails on valid input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"
#include "core/status.h"
#include "crypto/symmetric.h"

namespace bulwark::crypto {

// --- Key specs ------------------------------------------------------------------------

// KMS's KeySpec values other than SYMMETRIC_DEFAULT (an AES key, see crypto.h) and those
// Bulwark does not implement (SM2, ML_DSA_*, ECC_NIST_EDWARDS25519).
enum class KeySpec {
  kRsa2048,
  kRsa3072,
  kRsa4096,
  kEccNistP256,
  kEccNistP384,
  kEccNistP521,
  kEccSecgP256k1,
  kHmac224,
  kHmac256,
  kHmac384,
  kHmac512,
};
std::string_view KeySpecName(KeySpec spec);  // "RSA_2048", "ECC_NIST_P256", "HMAC_256"...
std::optional<KeySpec> KeySpecFromName(std::string_view name);
bool IsRsaKeySpec(KeySpec spec);
bool IsEccKeySpec(KeySpec spec);
bool IsHmacKeySpec(KeySpec spec);

// A private key (PKCS#8 DER) and its public key (SubjectPublicKeyInfo DER).
struct KeyPair {
  SecretBytes private_key;
  std::string public_key;
};

// A fresh key pair for an RSA (e = 65537) or ECC key spec: CreateKey for asymmetric keys
// and GenerateDataKeyPair. kValidation for an HMAC spec.
Result<KeyPair> GenerateKeyPair(KeySpec spec);

// HMAC key sizes in bytes as KMS's HMAC key specs define them: 28, 32, 48, 64 (the
// digest size). 0 for a non-HMAC spec.
size_t HmacKeySize(KeySpec spec);
// Random key material of HmacKeySize(spec) bytes. kValidation for a non-HMAC spec.
Result<SecretBytes> GenerateHmacKey(KeySpec spec);

// The SubjectPublicKeyInfo of a PKCS#8 private key.
Result<std::string> PublicKeyFromPrivateKey(const SecretBytes& private_key);
// The KMS key spec a key has: RSA moduli of exactly 2048/3072/4096 bits, or one of the
// four curves. kValidation for a key that does not parse or fits no spec (e.g. imported
// key material for an asymmetric KMS key must match the key's spec).
Result<KeySpec> KeySpecOfPrivateKey(const SecretBytes& private_key);
Result<KeySpec> KeySpecOfPublicKey(std::string_view public_key);

// --- Signatures -----------------------------------------------------------------------

// KMS's SigningAlgorithmSpec (those Bulwark implements).
enum class SigningAlgorithm {
  kRsassaPssSha256,
  kRsassaPssSha384,
  kRsassaPssSha512,
  kRsassaPkcs1V15Sha256,
  kRsassaPkcs1V15Sha384,
  kRsassaPkcs1V15Sha512,
  kEcdsaSha256,
  kEcdsaSha384,
  kEcdsaSha512,
};
std::string_view SigningAlgorithmName(SigningAlgorithm alg);  // "RSASSA_PSS_SHA_256"...
std::optional<SigningAlgorithm> SigningAlgorithmFromName(std::string_view name);
HashAlgorithm SigningHash(SigningAlgorithm alg);
// KMS's pairing of key specs and signing algorithms: RSA keys take the six RSASSA_*
// algorithms; ECC_NIST_P256 and ECC_SECG_P256K1 take ECDSA_SHA_256, ECC_NIST_P384
// ECDSA_SHA_384, ECC_NIST_P521 ECDSA_SHA_512; HMAC keys none.
std::vector<SigningAlgorithm> SigningAlgorithmsFor(KeySpec spec);

// KMS's MessageType: RAW messages are hashed here; DIGEST messages are the hash already
// and must be exactly DigestSize(SigningHash(alg)) bytes.
enum class MessageType { kRaw, kDigest };

// Signs with a PKCS#8 private key. RSASSA-PSS uses MGF1 with the signature's hash and a
// salt as long as the digest (as KMS does); ECDSA signatures are DER-encoded
// Ecdsa-Sig-Value (SEQUENCE of r and s), as KMS returns them. kValidation when the key
// is not an RSA key for RSASSA_* or not an EC key for ECDSA_*, or for a digest of the
// wrong length. The key's curve is not matched against the hash here: use
// SigningAlgorithmsFor for KMS's rules.
Result<std::string> Sign(const SecretBytes& private_key, SigningAlgorithm alg, MessageType type,
                         std::string_view message);
// Verifies with a SubjectPublicKeyInfo. OK(true) when the signature is valid, OK(false)
// when it is not, however malformed (wrong length, bad DER, BER encodings, r or s out of
// range). Errors only for the key, the algorithm's fit and a DIGEST of the wrong length,
// as Sign.
Result<bool> Verify(std::string_view public_key, SigningAlgorithm alg, MessageType type,
                    std::string_view message, std::string_view signature);

// --- RSA encryption -------------------------------------------------------------------

// KMS's EncryptionAlgorithmSpec for RSA keys: RSAES-OAEP with MGF1 over the same hash and
// an empty label.
enum class EncryptionAlgorithm { kRsaesOaepSha1, kRsaesOaepSha256 };
std::string_view EncryptionAlgorithmName(EncryptionAlgorithm alg);  // "RSAES_OAEP_SHA_256"
std::optional<EncryptionAlgorithm> EncryptionAlgorithmFromName(std::string_view name);
HashAlgorithm EncryptionHash(EncryptionAlgorithm alg);

// The largest plaintext KMS accepts for an RSA key spec: modulus bytes - 2 * hash - 2,
// i.e. RSA_2048: 214 (SHA-1) / 190 (SHA-256), RSA_3072: 342 / 318, RSA_4096: 470 / 446.
// 0 for a non-RSA spec.
size_t MaxRsaPlaintextSize(KeySpec spec, EncryptionAlgorithm alg);

// Encrypts with the public key (SubjectPublicKeyInfo). kValidation for a non-RSA key or a
// plaintext longer than the modulus allows.
Result<std::string> RsaEncrypt(std::string_view public_key, EncryptionAlgorithm alg,
                               std::string_view plaintext);
// Decrypts with the PKCS#8 private key. Every failure that depends on the ciphertext
// (wrong length, value not below the modulus, bad OAEP padding or label hash) is the one
// Status(kValidation, "RSA decryption failed"), so callers cannot become padding oracles.
Result<SecretBytes> RsaDecrypt(const SecretBytes& private_key, EncryptionAlgorithm alg,
                               std::string_view ciphertext);

// General RSAES-OAEP (RFC 8017 7.1) with separate OAEP and MGF1 hashes and a label, on
// which RsaEncrypt/RsaDecrypt are built. Same error rules.
Result<std::string> RsaOaepEncrypt(std::string_view public_key, HashAlgorithm oaep_hash,
                                   HashAlgorithm mgf1_hash, std::string_view label,
                                   std::string_view plaintext);
Result<SecretBytes> RsaOaepDecrypt(const SecretBytes& private_key, HashAlgorithm oaep_hash,
                                   HashAlgorithm mgf1_hash, std::string_view label,
                                   std::string_view ciphertext);

// --- Key agreement (DeriveSharedSecret) -----------------------------------------------

// ECDH (SP 800-56A, the plain shared secret Z: the x-coordinate of d * Q, as long as the
// curve's field) between a PKCS#8 EC private key and a peer's SubjectPublicKeyInfo on
// the same named curve. kValidation for a peer key that does not parse, is not on a
// named curve, is on another curve than the private key, or is not a valid point.
Result<SecretBytes> DeriveSharedSecret(const SecretBytes& private_key,
                                       std::string_view peer_public_key);

// A PKCS#8 EC private key from its big-endian scalar (leading zero bytes allowed) on a
// KMS ECC key spec's curve: known-answer tests, and key material given as a raw scalar.
Result<SecretBytes> EcPrivateKeyFromScalar(KeySpec spec, std::string_view scalar);

// --- Key material import (GetParametersForImport / ImportKeyMaterial) ------------------

// KMS's AlgorithmSpec for wrapping key material (those Bulwark implements; not the
// deprecated RSAES_PKCS1_V1_5 or SM2PKE).
enum class WrappingAlgorithm {
  kRsaesOaepSha1,
  kRsaesOaepSha256,
  kRsaAesKeyWrapSha1,
  kRsaAesKeyWrapSha256,
};
std::string_view WrappingAlgorithmName(WrappingAlgorithm alg);  // "RSA_AES_KEY_WRAP_SHA_256"
std::optional<WrappingAlgorithm> WrappingAlgorithmFromName(std::string_view name);

// Unwraps EncryptedKeyMaterial with the wrapping key pair's PKCS#8 private key.
//  RSAES_OAEP_SHA_*: the key material RSA-OAEP-encrypted (MGF1 same hash, empty label).
//  RSA_AES_KEY_WRAP_SHA_*: RSA-OAEP(ephemeral AES key) || AES-KWP(key material) (RFC 5649
//    with the ephemeral 128/192/256-bit key), as OpenSSL's `-id-aes256-wrap-pad` makes it.
// Every failure that depends on the input is Status(kValidation, "key material could not be
// unwrapped").
Result<SecretBytes> UnwrapKeyMaterial(const SecretBytes& wrapping_private_key,
                                      WrappingAlgorithm alg, std::string_view wrapped);
// The client's side of the same (an ephemeral 256-bit AES key for RSA_AES_KEY_WRAP_*):
// for tests and tooling.
Result<std::string> WrapKeyMaterial(std::string_view wrapping_public_key, WrappingAlgorithm alg,
                                    const SecretBytes& key_material);

}  // namespace bulwark::crypto
