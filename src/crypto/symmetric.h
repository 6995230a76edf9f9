// Symmetric primitives for KMS: SHA-1/SHA-2 digests, HMAC (GenerateMac/VerifyMac),
// AES-GCM with a caller-given IV, and AES key wrap with padding (RFC 5649, the format of
// ImportKeyMaterial's RSA_AES_KEY_WRAP_* algorithms). crypto.h's AesGcmSeal/AesGcmOpen are
// built on AesGcmEncrypt/AesGcmDecrypt.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "core/status.h"

namespace bulwark::crypto {

enum class HashAlgorithm { kSha1, kSha224, kSha256, kSha384, kSha512 };

// Output size in bytes (20, 28, 32, 48, 64).
size_t DigestSize(HashAlgorithm hash);
// "SHA-1", "SHA-224", ... (the names Wycheproof and OpenSSL use).
std::string_view HashName(HashAlgorithm hash);
std::optional<HashAlgorithm> HashFromName(std::string_view name);
// The digest of `data`, raw bytes.
std::string Digest(HashAlgorithm hash, std::string_view data);

// --- HMAC (RFC 2104) ------------------------------------------------------------------

// KMS's MacAlgorithmSpec.
enum class MacAlgorithm { kHmacSha224, kHmacSha256, kHmacSha384, kHmacSha512 };
std::string_view MacAlgorithmName(MacAlgorithm alg);  // "HMAC_SHA_256"
std::optional<MacAlgorithm> MacAlgorithmFromName(std::string_view name);
HashAlgorithm MacHash(MacAlgorithm alg);

// The full-length tag (DigestSize(MacHash(alg)) bytes). kValidation for an empty key.
Result<std::string> GenerateMac(const SecretBytes& key, MacAlgorithm alg, std::string_view message);
// OK(true) when `mac` is the full-length tag of `message`, compared in constant time
// (CRYPTO_memcmp; the length is not secret). OK(false) for any other `mac`, including a
// truncated one. kValidation only for an empty key.
Result<bool> VerifyMac(const SecretBytes& key, MacAlgorithm alg, std::string_view message,
                       std::string_view mac);

// --- AES-GCM with a caller-chosen IV -------------------------------------------------

inline constexpr size_t kAesGcmTagSize = 16;
inline constexpr size_t kAesGcmMaxIvSize = 128;  // OpenSSL 3.0's limit for GCM IVs

// AES-GCM with a 16, 24 or 32-byte key and an IV of 1..kAesGcmMaxIvSize bytes (12 is the
// only size anything in Bulwark should choose; others are for interoperability). Returns
// ciphertext || tag(16). kValidation for a bad key or IV size or oversized input.
// Never reuse an IV with the same key.
Result<std::string> AesGcmEncrypt(const SecretBytes& key, std::string_view iv, std::string_view aad,
                                  std::string_view plaintext);
// Opens ciphertext || tag(16). Every failure of authentication, or input shorter than the
// tag, is the same Status(kValidation, "AES-GCM authentication failed"); unauthenticated
// plaintext never leaves the function.
Result<SecretBytes> AesGcmDecrypt(const SecretBytes& key, std::string_view iv, std::string_view aad,
                                  std::string_view ciphertext_and_tag);

// --- AES key wrap with padding (RFC 5649, OpenSSL's AES-*-WRAP-PAD) -----------------

// Wraps 1..2^31 bytes of key material with a 16, 24 or 32-byte key-encryption key.
Result<std::string> AesKeyWrapPad(const SecretBytes& kek, const SecretBytes& key_material);
// Unwraps and checks the RFC 5649 integrity block and padding. Every failure that depends
// on `wrapped` is the same Status(kValidation, "AES key unwrap failed").
Result<SecretBytes> AesKeyUnwrapPad(const SecretBytes& kek, std::string_view wrapped);

}  // namespace bulwark::crypto
