// The QRCodePNG of CreateVirtualMFADevice: a QR code of the otpauth:// URI, as PNG bytes.
// The matrix comes from libqrencode and the PNG from libpng; neither header leaks out.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace bulwark::iam {

// Pixels per QR module: a 100-byte URI (version 6, 41 modules) becomes 294 px square,
// large enough to scan from a screen, small enough for an API response.
inline constexpr int kQrScale = 6;
// The white border, in modules, that ISO/IEC 18004 requires around the symbol.
inline constexpr int kQrQuietZone = 4;

// PNG bytes (8-bit grayscale, black modules on white) of a QR code that encodes `text`
// in byte mode with error correction level M, at the smallest version that holds it.
// kValidation if `text` is empty or longer than a QR code holds (2331 bytes at level M).
Result<std::string> QrCodePng(std::string_view text);

}  // namespace bulwark::iam
