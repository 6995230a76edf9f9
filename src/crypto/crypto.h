// Cryptographic primitives. crypto/ is the only folder that includes OpenSSL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "core/status.h"

namespace bulwark::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);  // lowercase hex
Sha256Digest HmacSha256(std::string_view key, std::string_view data);

using Sha1Digest = std::array<uint8_t, 20>;
// HMAC-SHA1, for HOTP/TOTP (RFC 4226/6238) only: authenticator apps and AWS virtual MFA
// devices are defined over SHA-1, where HMAC's security does not rest on collisions.
Sha1Digest HmacSha1(std::string_view key, std::string_view data);

std::string HexEncode(const void* data, size_t size);  // lowercase
inline std::string HexEncode(std::string_view s) { return HexEncode(s.data(), s.size()); }
std::optional<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view data);
std::optional<std::string> Base64Decode(std::string_view b64);

// Constant-time comparison (CRYPTO_memcmp); sizes are not secret.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// CSPRNG (RAND_bytes). Aborts the process if the generator fails: no weak fallback.
void RandomBytes(void* out, size_t size);
// A random string of `length` characters drawn uniformly from `alphabet`.
std::string RandomString(std::string_view alphabet, size_t length);

// AES-256-GCM with a random 96-bit nonce. Output: version byte 0x01 || nonce(12) ||
// ciphertext || tag(16). `key` must be 32 bytes.
Result<std::string> AesGcmSeal(const SecretBytes& key, std::string_view plaintext,
                               std::string_view aad);
// Fails with kInternalFailure-free Status(kValidation) style errors on any tampering.
Result<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view aad);

}  // namespace bulwark::crypto
