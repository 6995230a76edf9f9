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
// Plain SHA-1, only where AWS defines an identifier with it (certificate thumbprints of
// OIDC providers; SAML's NameQualifier,
// BASE64(SHA1(issuer + account + "/" + provider))); never for anything secret.
Sha1Digest Sha1(std::string_view data);

std::string HexEncode(const void* data, size_t size);  // lowercase
inline std::string HexEncode(std::string_view s) { return HexEncode(s.data(), s.size()); }
std::optional<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view data);
std::optional<std::string> Base64Decode(std::string_view b64);

// Constant-time comparison (CRYPTO_memcmp); sizes are not secret.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// CSPRNG (RAND_bytes). Aborts the process if the generator fails: no weak fallback.
void RandomBytes(void* out, size_t size);
// The same CSPRNG for small draws on the request path (ids, nonces): from a per-thread
// buffer of its output, refilled 4 KiB at a time, since a RAND_bytes call costs more
// than the AES-GCM seal it makes a nonce for. Each byte is handed out once and wiped; a
// forked child never hands out bytes of its parent's buffer.
void PooledRandomBytes(void* out, size_t size);
// A random string of `length` characters drawn uniformly from `alphabet`.
std::string RandomString(std::string_view alphabet, size_t length);

// AES-256-GCM with a random 96-bit nonce. Output: version byte 0x01 || nonce(12) ||
// ciphertext || tag(16). `key` must be 32 bytes.
Result<std::string> AesGcmSeal(const SecretBytes& key, std::string_view plaintext,
                               std::string_view aad);
// Fails with kInternalFailure-free Status(kValidation) style errors on any tampering.
Result<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view aad);

// scrypt (RFC 7914, EVP_PBE_scrypt): `length` bytes derived from `password` and `salt`
// with cost N (a power of two, at least 2), block size r and parallelism p. kValidation
// for parameters OpenSSL refuses or that would need more than 256 MiB.
Result<SecretBytes> Scrypt(std::string_view password, std::string_view salt, uint64_t n, uint64_t r,
                           uint64_t p, size_t length);

// Password hashes (IAM login profiles), as PHC strings:
//   $scrypt$ln=15,r=8,p=1$<16-byte salt>$<32-byte hash>   (unpadded base64)
// N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds) are the parameters the scrypt
// author and Go's x/crypto recommend for interactive logins; the salt is fresh from the
// CSPRNG. Parameters travel in the string, so hashes made with other costs still verify.
Result<std::string> HashPassword(std::string_view password);
// Recomputes the hash with the string's own salt and parameters and compares in constant
// time. False for anything that is not such a string, or whose parameters are outside
// sane bounds (ln 1..20, r 1..32, p 1..16: a tampered record must not cost gigabytes).
bool VerifyPassword(std::string_view password, std::string_view encoded);

// --- JSON Web Signatures (RFC 7515/7518), for OpenID Connect ID tokens ----------------

// RFC 4648 section 5 base64url without padding, as JOSE uses it. Decoding is strict:
// no padding, no whitespace, zero unused bits.
std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// The public part of a JWK (RFC 7517/7518), members already base64url-decoded:
// kty "RSA" with n and e, or kty "EC" with crv ("P-256", "P-384"), x and y.
struct JwkPublicKey {
  std::string kty;
  std::string crv;
  std::string n;
  std::string e;
  std::string x;
  std::string y;
};

// Verifies a JWS signature over `signing_input` (ASCII(header "." payload)) with
// alg RS256/RS384/RS512 (RSASSA-PKCS1-v1_5) or ES256/ES384 (ECDSA, the signature is
// R || S of the curve's size). OK(true) when it verifies, OK(false) when it does not;
// kValidation for an unsupported alg, a key that does not suit it, or an unusable key
// (RSA moduli outside 2048..8192 bits, points not on the curve).
Result<bool> VerifyJwsSignature(std::string_view alg, const JwkPublicKey& key,
                                std::string_view signing_input, std::string_view signature);

}  // namespace bulwark::crypto
