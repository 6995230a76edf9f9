// QrCodePng: the PNG's header and size follow the QR version that ISO/IEC 18004's byte-mode
// capacity table (level M) gives for the text's length; the decoded pixels are
// libqrencode's module grid at 6 px per module inside a 4-module white border; and zbarimg
// (Debian package zbar-tools, in the test set of scripts/install-deps.sh) reads the
// original text back from the PNG.
#include "services/iam/qr_png.h"

#include <gtest/gtest.h>
#include <png.h>
#include <qrencode.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::iam {
namespace {

struct QrCodeDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

uint32_t BigEndian32(std::string_view s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(s[at + 3])};
}

// Side of the PNG, in pixels, for a symbol of QR version `version`.
uint32_t SideForVersion(int version) {
  return static_cast<uint32_t>((17 + 4 * version + 2 * kQrQuietZone) * kQrScale);
}

struct Decoded {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> gray;  // 8-bit, row-major
};

// Decodes with libpng's simplified reader, converting whatever the PNG holds to 8-bit gray.
std::optional<Decoded> DecodePng(const std::string& png) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) return std::nullopt;
  image.format = PNG_FORMAT_GRAY;
  Decoded out;
  out.width = image.width;
  out.height = image.height;
  out.gray.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.gray.data(), 0, nullptr)) {
    png_image_free(&image);
    return std::nullopt;
  }
  return out;
}

TEST(QrCodePng, SignatureAndHeader) {
  Result<std::string> png = QrCodePng("HELLO WORLD");
  ASSERT_TRUE(png.ok()) << png.status().message();
  ASSERT_GT(png->size(), 33u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // IHDR is the first chunk: length 13, then width, height, bit depth 8, colour type 0
  // (grayscale), compression 0, filter 0, interlace 0.
  EXPECT_EQ(BigEndian32(*png, 8), 13u);
  EXPECT_EQ(png->substr(12, 4), "IHDR");
  // 11 bytes fit version 1 (21 modules): (21 + 8) * 6 = 174 pixels.
  EXPECT_EQ(BigEndian32(*png, 16), 174u);
  EXPECT_EQ(BigEndian32(*png, 20), 174u);
  EXPECT_EQ(png->substr(24, 5), std::string("\x08\x00\x00\x00\x00", 5));
  EXPECT_EQ(png->substr(png->size() - 8, 4), "IEND");
}

TEST(QrCodePng, VersionFollowsTheByteModeCapacityTable) {
  // ISO/IEC 18004 Table 7: byte-mode capacity at error correction level M.
  const int kCapacityM[] = {0, 14, 26, 42, 62, 84, 106, 122, 152, 180, 213};
  for (int v = 1; v <= 10; ++v) {
    for (int extra : {0, 1}) {
      const int len = kCapacityM[v] + extra;
      const int expected_version = v + extra;
      Result<std::string> png = QrCodePng(std::string(static_cast<size_t>(len), 'x'));
      ASSERT_TRUE(png.ok()) << len;
      EXPECT_EQ(BigEndian32(*png, 16), SideForVersion(expected_version)) << "len " << len;
      EXPECT_EQ(BigEndian32(*png, 20), SideForVersion(expected_version)) << "len " << len;
    }
  }
  // Version 40 holds 2331 bytes at level M, and that is the limit.
  Result<std::string> largest = QrCodePng(std::string(2331, 'x'));
  ASSERT_TRUE(largest.ok());
  EXPECT_EQ(BigEndian32(*largest, 16), SideForVersion(40));
}

TEST(QrCodePng, RefusesEmptyAndOversizedText) {
  EXPECT_EQ(QrCodePng("").status().kind(), ErrorKind::kValidation);
  EXPECT_EQ(QrCodePng(std::string(2332, 'x')).status().kind(), ErrorKind::kValidation);
  EXPECT_EQ(QrCodePng(std::string(100000, 'x')).status().kind(), ErrorKind::kValidation);
}

// Every pixel of the decoded PNG is the colour of its module in libqrencode's matrix
// (black = 0, white = 255), with the quiet zone white.
void ExpectPixelsMatchMatrix(std::string_view text) {
  SCOPED_TRACE(std::string(text));
  Result<std::string> png = QrCodePng(text);
  ASSERT_TRUE(png.ok()) << png.status().message();
  std::optional<Decoded> img = DecodePng(*png);
  ASSERT_TRUE(img.has_value());
  std::unique_ptr<QRcode, QrCodeDeleter> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
  ASSERT_TRUE(code);
  const int n = code->width;
  ASSERT_EQ(img->width, static_cast<uint32_t>((n + 2 * kQrQuietZone) * kQrScale));
  ASSERT_EQ(img->height, img->width);
  int mismatches = 0;
  for (uint32_t y = 0; y < img->height; ++y) {
    for (uint32_t x = 0; x < img->width; ++x) {
      const int mx = static_cast<int>(x) / kQrScale - kQrQuietZone;
      const int my = static_cast<int>(y) / kQrScale - kQrQuietZone;
      const bool dark =
          mx >= 0 && my >= 0 && mx < n && my < n && (code->data[my * n + mx] & 1) != 0;
      if (img->gray[y * img->width + x] != (dark ? 0 : 255)) ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0);
  // The top-left finder pattern, checked without libqrencode: a dark 7x7 ring, a light
  // ring inside it and a dark 3x3 centre.
  auto pixel_dark = [&](int mx, int my) {
    const int px = (mx + kQrQuietZone) * kQrScale + kQrScale / 2;
    const int py = (my + kQrQuietZone) * kQrScale + kQrScale / 2;
    return img->gray[static_cast<size_t>(py) * img->width + static_cast<size_t>(px)] == 0;
  };
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(pixel_dark(i, 0) && pixel_dark(i, 6) && pixel_dark(0, i) && pixel_dark(6, i));
  }
  for (int i = 1; i < 6; ++i) {
    EXPECT_FALSE(pixel_dark(i, 1) || pixel_dark(i, 5) || pixel_dark(1, i) || pixel_dark(5, i));
  }
  for (int y = 2; y < 5; ++y) {
    for (int x = 2; x < 5; ++x) EXPECT_TRUE(pixel_dark(x, y));
  }
  EXPECT_FALSE(pixel_dark(7, 7));  // the separator
}

TEST(QrCodePng, PixelsAreTheModuleGrid) {
  ExpectPixelsMatchMatrix("HELLO WORLD");
  ExpectPixelsMatchMatrix(
      "otpauth://totp/Bulwark:alice@123456789012?secret="
      "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Bulwark");
  ExpectPixelsMatchMatrix(std::string_view("nul\0inside", 10));
  ExpectPixelsMatchMatrix(std::string(500, '\xff'));
}

bool HaveZbarimg() { return std::system("command -v zbarimg >/dev/null 2>&1") == 0; }

// Writes the PNG to a temporary file, runs zbarimg on it, returns what it read.
std::optional<std::string> ScanWithZbarimg(const std::string& png) {
  char path[] = "/tmp/bulwark_qr_test_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return std::nullopt;
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(png.data(), static_cast<std::streamsize>(png.size()));
  }
  std::string cmd = std::string("zbarimg --quiet --raw ") + path + " 2>/dev/null";
  std::optional<std::string> result;
  if (FILE* pipe = popen(cmd.c_str(), "r")) {
    std::string text;
    char buf[512];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) text.append(buf, n);
    if (pclose(pipe) == 0) {
      // --raw prints each symbol's data followed by a newline.
      if (!text.empty() && text.back() == '\n') text.pop_back();
      result = text;
    }
  }
  unlink(path);
  return result;
}

TEST(QrCodePng, ZbarimgReadsTheTextBack) {
  if (!HaveZbarimg()) {
    GTEST_SKIP() << "zbarimg is not installed (Debian package zbar-tools; "
                    "scripts/install-deps.sh test installs it)";
  }
  const std::string kTexts[] = {
      "HELLO WORLD",
      "otpauth://totp/Bulwark:alice@123456789012?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
      "&issuer=Bulwark",
      "otpauth://totp/Amazon%20Web%20Services:mfa-device@alice?secret="
      "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=Amazon%20Web%20Services",
      std::string(1000, 'Q'),
  };
  for (const std::string& text : kTexts) {
    Result<std::string> png = QrCodePng(text);
    ASSERT_TRUE(png.ok());
    EXPECT_EQ(ScanWithZbarimg(*png), text);
  }
}

}  // namespace
}  // namespace bulwark::iam
