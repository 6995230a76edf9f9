// One-time passwords for IAM virtual MFA devices: RFC 4648 Base32 (the form of AWS's
// Base32StringSeed), HOTP (RFC 4226) and TOTP (RFC 6238) over HMAC-SHA1, new seeds, the
// checks behind EnableMFADevice/ResyncMFADevice (two consecutive codes) and sign-in
// (one code, no replay), and the otpauth:// URI that the QR code carries.
//
// Time steps are counted as RFC 6238 does: step = floor(unix_time / 30) with T0 = 0.
// Callers store the last accepted step per device and pass it back, which is how a code
// that was already used is refused.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.h"

namespace bulwark::totp {

inline constexpr int kDefaultDigits = 6;
inline constexpr int kDefaultStep = 30;
// AWS virtual MFA seeds are 160 bits, the HMAC-SHA1 output size that RFC 4226 recommends.
inline constexpr size_t kSeedBytes = 20;
// Window for EnableMFADevice/ResyncMFADevice, in steps either side of now. Resync exists
// for devices whose clock has drifted, so this must reach further than the sign-in
// window: ±10 steps tolerates ±5 minutes of drift, which covers a phone that is merely
// badly set without reaching into codes from long ago. Two consecutive 6-digit codes
// are guessed with probability 10^-12 per candidate pair; 21 pairs keep that negligible.
inline constexpr int kConsecutiveWindow = 10;
// Sign-in (STS TokenCode): one step either side of now, as RFC 6238 section 5.2 suggests.
inline constexpr int kSignInWindow = 1;
// Passed as last_used_step when a device has never accepted a code.
inline constexpr int64_t kNoStepUsed = std::numeric_limits<int64_t>::min();
// Issuer shown by authenticator apps when the caller has none of its own.
inline constexpr std::string_view kDefaultIssuer = "Bulwark";

// RFC 4648 section 6: alphabet A-Z2-7, '=' padding to a multiple of 8 characters.
std::string Base32Encode(std::string_view data);
inline std::string Base32Encode(const SecretBytes& data) { return Base32Encode(data.view()); }
// Accepts upper or lower case, with or without padding; if padding is present it must
// complete the last 8-character group. Refuses any other character, an impossible length
// (1, 3 or 6 characters in the last group) and non-zero unused bits in the last
// character, so that every accepted input has exactly one canonical encoding.
std::optional<SecretBytes> Base32Decode(std::string_view text);

// The RFC 4226 HOTP value for `counter`, as `digits` decimal digits with leading zeros.
// `digits` must be in [1, 10]; otherwise the result is empty (which never verifies).
std::string Hotp(const SecretBytes& seed, uint64_t counter, int digits = kDefaultDigits);

// The RFC 6238 time step containing `unix_time` (floor division, so times before 1970
// fall in negative steps). `step` must be positive.
int64_t TimeStep(int64_t unix_time, int step = kDefaultStep);

// The TOTP code at `unix_time`: Hotp(seed, TimeStep(unix_time, step), digits). Empty if
// `step` is not positive or `digits` is out of range.
std::string Code(const SecretBytes& seed, int64_t unix_time, int digits = kDefaultDigits,
                 int step = kDefaultStep);
// The TOTP code of time step `t` (negative steps have no code: empty).
std::string CodeAtStep(const SecretBytes& seed, int64_t t, int digits = kDefaultDigits);

// A new random 160-bit seed from the crypto layer's CSPRNG.
SecretBytes NewSeed();

// EnableMFADevice/ResyncMFADevice: finds a step t within ±window steps of now where
// code1 is the code of t and code2 the code of t + 1, searching outward from now. Steps
// at or below last_used_step are never matched (neither code may have been used before).
// Returns t + 1, the later step: record it as the device's last used step so that neither
// code can be replayed. Codes must be exactly 6 ASCII digits; comparison is constant-time.
std::optional<int64_t> VerifyConsecutive(const SecretBytes& seed, std::string_view code1,
                                         std::string_view code2, int64_t now,
                                         int window = kConsecutiveWindow,
                                         int64_t last_used_step = kNoStepUsed);

// Sign-in (STS TokenCode, console): accepts the code of a step within ±window steps of
// now that is later than last_used_step, and returns that step for the caller to record.
// Refuses a replayed code, a code of a step at or before one already used, and malformed
// codes. Comparison is constant-time.
std::optional<int64_t> VerifyCode(const SecretBytes& seed, std::string_view code, int64_t now,
                                  int window = kSignInWindow, int64_t last_used_step = kNoStepUsed);

// The Key URI that authenticator apps read from a QR code:
//   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER
// AWS documents QRCodePNG as encoding otpauth://totp/$virtualMFADeviceName@$AccountName
// ?secret=$Base32String; pass account_name = "<device name>@<user name or account id>"
// to get that label. An empty issuer gives exactly AWS's documented form (no prefix, no
// issuer parameter). Issuer and account are percent-encoded (RFC 3986 unreserved
// characters and '@' stay literal; space becomes %20, ':' in either becomes %3A so the
// separator stays unambiguous). Base32 padding is dropped, as the Key URI format asks.
std::string ProvisioningUri(std::string_view account_name, std::string_view issuer,
                            std::string_view base32_seed);

}  // namespace bulwark::totp
