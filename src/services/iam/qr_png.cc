#include "services/iam/qr_png.h"

#include <png.h>
#include <qrencode.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

namespace bulwark::iam {
namespace {

struct QrCodeDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

// Byte mode keeps every input encodable (even NUL) and makes the version a function of
// the length alone; an otpauth URI gains little from mixed modes.
std::unique_ptr<QRcode, QrCodeDeleter> Encode(std::string_view text) {
  errno = 0;
  return std::unique_ptr<QRcode, QrCodeDeleter>(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
}

}  // namespace

Result<std::string> QrCodePng(std::string_view text) {
  // 2331 bytes is byte mode's capacity at version 40, level M; refusing longer input here
  // also keeps the int conversion for libqrencode safe.
  constexpr size_t kMaxBytes = 2331;
  if (text.empty()) return Status(ErrorKind::kValidation, "QR code text must not be empty");
  if (text.size() > kMaxBytes) {
    return Status(ErrorKind::kValidation, "Text is too long for a QR code");
  }
  std::unique_ptr<QRcode, QrCodeDeleter> code = Encode(text);
  if (!code) {
    if (errno == ERANGE) return Status(ErrorKind::kValidation, "Text is too long for a QR code");
    return Status(ErrorKind::kInternalFailure, "QR code encoding failed");
  }

  const int modules = code->width + 2 * kQrQuietZone;
  const int side = modules * kQrScale;
  std::vector<png_byte> pixels(static_cast<size_t>(side) * static_cast<size_t>(side), 0xff);
  for (int y = 0; y < code->width; ++y) {
    for (int x = 0; x < code->width; ++x) {
      // Bit 0 of each libqrencode byte is the module's colour (1 = dark).
      if ((code->data[y * code->width + x] & 1) == 0) continue;
      const int px = (x + kQrQuietZone) * kQrScale;
      const int py = (y + kQrQuietZone) * kQrScale;
      for (int dy = 0; dy < kQrScale; ++dy) {
        png_byte* row = pixels.data() + static_cast<size_t>(py + dy) * side + px;
        std::fill(row, row + kQrScale, png_byte{0});
      }
    }
  }

  // libpng's simplified API reports errors through the png_image instead of longjmp, so
  // no C++ object is ever jumped over.
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(side);
  image.height = static_cast<png_uint_32>(side);
  image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), side, nullptr)) {
    png_image_free(&image);
    return Status(ErrorKind::kInternalFailure,
                  std::string("PNG encoding failed: ") + image.message);
  }
  std::string png(size, '\0');
  if (!png_image_write_to_memory(&image, png.data(), &size, 0, pixels.data(), side, nullptr)) {
    png_image_free(&image);
    return Status(ErrorKind::kInternalFailure,
                  std::string("PNG encoding failed: ") + image.message);
  }
  png.resize(size);
  return png;
}

}  // namespace bulwark::iam
