// Known-answer tests for auth/totp: HMAC-SHA1 (RFC 2202), Base32 (RFC 4648 section 10),
// HOTP (RFC 4226 Appendix D), TOTP with SHA-1 (RFC 6238 Appendix B), the two-code and
// one-code checks behind IAM's MFA operations, the otpauth:// URI, and a cross-check of
// random seeds against oathtool (Debian package oathtool, in the test set of
// scripts/install-deps.sh).
#include "auth/totp.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/crypto.h"

namespace bulwark::totp {
namespace {

// RFC 4226 Appendix D and RFC 6238 Appendix B use this ASCII seed for SHA-1.
SecretBytes RfcSeed() { return SecretBytes::FromView("12345678901234567890"); }

std::string Hex(const crypto::Sha1Digest& d) { return crypto::HexEncode(d.data(), d.size()); }

std::string DecodeToString(std::string_view text) {
  std::optional<SecretBytes> s = Base32Decode(text);
  EXPECT_TRUE(s.has_value()) << text;
  return s ? std::string(s->view()) : std::string("<invalid>");
}

TEST(HmacSha1, Rfc2202Vectors) {
  EXPECT_EQ(Hex(crypto::HmacSha1(std::string(20, '\x0b'), "Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(Hex(crypto::HmacSha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(Hex(crypto::HmacSha1(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  // A key longer than SHA-1's 64-byte block is hashed first.
  EXPECT_EQ(Hex(crypto::HmacSha1(std::string(80, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  // Empty key and data must not trip over null pointers.
  EXPECT_EQ(Hex(crypto::HmacSha1("", "")), "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
}

TEST(Base32, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kCases[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& [plain, encoded] : kCases) {
    EXPECT_EQ(Base32Encode(plain), encoded);
    EXPECT_EQ(DecodeToString(encoded), plain) << encoded;
  }
}

TEST(Base32, DecodeAcceptsLowerCaseAndMissingPadding) {
  EXPECT_EQ(DecodeToString("mzxw6ytboi"), "foobar");
  EXPECT_EQ(DecodeToString("MzXw6YtBoI======"), "foobar");
  EXPECT_EQ(DecodeToString("MY"), "f");
  EXPECT_EQ(DecodeToString("MZXQ"), "fo");
  EXPECT_EQ(DecodeToString("MZXW6"), "foo");
  EXPECT_EQ(DecodeToString("MZXW6YQ"), "foob");
  EXPECT_EQ(DecodeToString("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "12345678901234567890");
}

TEST(Base32, DecodeRejectsBadInput) {
  const std::string_view kBad[] = {
      "MZXW6YT1",          // '1' is not in the alphabet (nor 0, 8, 9)
      "MZXW6YT0",          //
      "MZXW6YT8",          //
      "MZXW6YT ",          // whitespace
      " MZXW6YT",          //
      "MZXW6YT\n",         //
      "MZ=W6YTB",          // padding inside the data
      "=MZXW6YT",          //
      "M",                 // 1, 3 or 6 characters cannot end a group
      "MZX",               //
      "MZXW6Y",            //
      "MY=====",           // padding that does not complete the group
      "MY=======",         // too much padding
      "MZXW6====",         //
      "MZXW6YTB========",  // a whole group of padding
      "========",          //
      "MZ",                // non-zero unused bits: not a canonical encoding
      "MZXR",              //
      "MZXW6YTBOJ",        //
      "MZXW6YT-",          // base64 characters
      "mzxw6yt+",          //
  };
  for (std::string_view s : kBad) EXPECT_FALSE(Base32Decode(s).has_value()) << s;
  EXPECT_FALSE(Base32Decode(std::string_view("MZ\0W6YTB", 8)).has_value());
  EXPECT_FALSE(Base32Decode("MZXW6Y\xc2\xa0").has_value());
}

TEST(Base32, RoundTripsEveryLength) {
  for (size_t n = 0; n <= 64; ++n) {
    std::string data(n, '\0');
    if (n > 0) crypto::RandomBytes(data.data(), n);
    std::string enc = Base32Encode(data);
    EXPECT_EQ(enc.size() % 8, 0u);
    EXPECT_EQ(DecodeToString(enc), data) << n;
  }
}

TEST(Hotp, Rfc4226AppendixD) {
  const char* kExpected[] = {"755224", "287082", "359152", "969429", "338314",
                             "254676", "287922", "162583", "399871", "520489"};
  SecretBytes seed = RfcSeed();
  for (uint64_t count = 0; count < 10; ++count) {
    EXPECT_EQ(Hotp(seed, count), kExpected[count]) << count;
  }
  // The intermediate HMAC values the appendix lists for counts 0 and 1.
  std::string c0(8, '\0'), c1(8, '\0');
  c1[7] = 1;
  EXPECT_EQ(Hex(crypto::HmacSha1(seed.view(), c0)), "cc93cf18508d94934c64b65d8ba7667fb7cde4b0");
  EXPECT_EQ(Hex(crypto::HmacSha1(seed.view(), c1)), "75a48a19d4cbe100644e8ac1397eea747a2d33ab");
}

TEST(Hotp, DigitsOutOfRangeGiveNoCode) {
  SecretBytes seed = RfcSeed();
  EXPECT_EQ(Hotp(seed, 0, 0), "");
  EXPECT_EQ(Hotp(seed, 0, 11), "");
  EXPECT_EQ(Hotp(seed, 0, -6), "");
  // Count 0 truncates to 1284755224 (RFC 4226 Appendix D).
  EXPECT_EQ(Hotp(seed, 0, 10), "1284755224");
  EXPECT_EQ(Hotp(seed, 0, 1), "4");
}

TEST(Totp, Rfc6238AppendixBSha1) {
  struct Case {
    int64_t time;
    int64_t step;
    const char* code;
  };
  const Case kCases[] = {
      {59, 0x1, "94287082"},
      {1111111109, 0x23523EC, "07081804"},
      {1111111111, 0x23523ED, "14050471"},
      {1234567890, 0x273EF07, "89005924"},
      {2000000000, 0x3F940AA, "69279037"},
      {20000000000, 0x27BC86AA, "65353130"},
  };
  SecretBytes seed = RfcSeed();
  for (const Case& c : kCases) {
    EXPECT_EQ(TimeStep(c.time), c.step) << c.time;
    EXPECT_EQ(Code(seed, c.time, 8), c.code) << c.time;
    EXPECT_EQ(CodeAtStep(seed, c.step, 8), c.code) << c.time;
    // Six digits are the last six of the eight.
    EXPECT_EQ(Code(seed, c.time), std::string(c.code).substr(2)) << c.time;
  }
}

TEST(Totp, StepBoundariesAndInvalidArguments) {
  SecretBytes seed = RfcSeed();
  EXPECT_EQ(Code(seed, 0), Code(seed, 29));
  EXPECT_NE(Code(seed, 29), Code(seed, 30));
  EXPECT_EQ(Code(seed, 60, 6, 60), Hotp(seed, 1));
  EXPECT_EQ(TimeStep(-1), -1);
  EXPECT_EQ(TimeStep(-30), -1);
  EXPECT_EQ(TimeStep(-31), -2);
  EXPECT_EQ(Code(seed, -1), "");  // no HOTP counter before the epoch
  EXPECT_EQ(Code(seed, 59, 6, 0), "");
  EXPECT_EQ(Code(seed, 59, 6, -30), "");
}

TEST(Totp, NewSeedIs160RandomBits) {
  SecretBytes a = NewSeed();
  SecretBytes b = NewSeed();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_EQ(b.size(), 20u);
  EXPECT_NE(a.view(), b.view());
  EXPECT_NE(a.view(), std::string(20, '\0'));
  // A 160-bit seed is exactly 32 Base32 characters, with no padding.
  EXPECT_EQ(Base32Encode(a).size(), 32u);
  EXPECT_EQ(Base32Encode(a).find('='), std::string::npos);
}

constexpr int64_t kNow = 1111111111;  // step 0x23523ED

class VerifyTest : public ::testing::Test {
 protected:
  std::string At(int64_t offset) { return CodeAtStep(seed_, TimeStep(kNow) + offset); }
  SecretBytes seed_ = RfcSeed();
};

TEST_F(VerifyTest, ConsecutiveCodesMatchAndReturnTheLaterStep) {
  const int64_t now_step = TimeStep(kNow);
  EXPECT_EQ(VerifyConsecutive(seed_, At(0), At(1), kNow), now_step + 1);
  EXPECT_EQ(VerifyConsecutive(seed_, At(-1), At(0), kNow), now_step);
  EXPECT_EQ(VerifyConsecutive(seed_, At(-10), At(-9), kNow), now_step - 9);
  EXPECT_EQ(VerifyConsecutive(seed_, At(10), At(11), kNow), now_step + 11);
  EXPECT_EQ(kConsecutiveWindow, 10);
}

TEST_F(VerifyTest, ConsecutiveCodesOutsideTheWindowAreRefused) {
  EXPECT_FALSE(VerifyConsecutive(seed_, At(-11), At(-10), kNow));
  EXPECT_FALSE(VerifyConsecutive(seed_, At(11), At(12), kNow));
  EXPECT_FALSE(VerifyConsecutive(seed_, At(-2), At(-1), kNow, /*window=*/1));
  EXPECT_TRUE(VerifyConsecutive(seed_, At(-1), At(0), kNow, /*window=*/1));
  EXPECT_TRUE(VerifyConsecutive(seed_, At(0), At(1), kNow, /*window=*/0));
  EXPECT_FALSE(VerifyConsecutive(seed_, At(1), At(2), kNow, /*window=*/0));
}

TEST_F(VerifyTest, ConsecutiveCodesMustBeInOrderAndAdjacent) {
  ASSERT_NE(At(0), At(1));
  EXPECT_FALSE(VerifyConsecutive(seed_, At(1), At(0), kNow));  // swapped
  EXPECT_FALSE(VerifyConsecutive(seed_, At(0), At(0), kNow));  // same code twice
  EXPECT_FALSE(VerifyConsecutive(seed_, At(0), At(2), kNow));  // a step skipped
  EXPECT_FALSE(VerifyConsecutive(seed_, At(0), "000000", kNow));
  SecretBytes other = SecretBytes::FromView("another seed of twenty");
  EXPECT_FALSE(VerifyConsecutive(other, At(0), At(1), kNow));  // another device's codes
}

TEST_F(VerifyTest, ConsecutiveCodesCannotBeReplayed) {
  std::optional<int64_t> used = VerifyConsecutive(seed_, At(0), At(1), kNow);
  ASSERT_TRUE(used);
  EXPECT_FALSE(VerifyConsecutive(seed_, At(0), At(1), kNow, kConsecutiveWindow, *used));
  EXPECT_FALSE(VerifyCode(seed_, At(1), kNow + 30, kSignInWindow, *used));
  EXPECT_FALSE(VerifyCode(seed_, At(0), kNow, kSignInWindow, *used));
  // The pair after the used step is still good.
  EXPECT_EQ(VerifyConsecutive(seed_, At(2), At(3), kNow, kConsecutiveWindow, *used), *used + 2);
}

TEST_F(VerifyTest, MalformedCodesAreRefused) {
  std::string code = At(0);
  const std::string kBad[] = {
      "",         code.substr(1), code + "0", std::string(1, ' ').append(code, 1),
      "12345a",   "+12345",       "-12345",   CodeAtStep(seed_, 0, 8),
      code + '\0'};
  for (const std::string& bad : kBad) {
    EXPECT_FALSE(VerifyCode(seed_, bad, kNow)) << bad;
    EXPECT_FALSE(VerifyConsecutive(seed_, bad, At(1), kNow)) << bad;
    EXPECT_FALSE(VerifyConsecutive(seed_, code, bad, kNow)) << bad;
  }
}

TEST_F(VerifyTest, SignInCodeWithinOneStep) {
  const int64_t now_step = TimeStep(kNow);
  EXPECT_EQ(VerifyCode(seed_, At(0), kNow), now_step);
  EXPECT_EQ(VerifyCode(seed_, At(-1), kNow), now_step - 1);
  EXPECT_EQ(VerifyCode(seed_, At(1), kNow), now_step + 1);
  EXPECT_FALSE(VerifyCode(seed_, At(-2), kNow));
  EXPECT_FALSE(VerifyCode(seed_, At(2), kNow));
  EXPECT_FALSE(VerifyCode(seed_, At(1), kNow, /*window=*/0));
  EXPECT_EQ(VerifyCode(seed_, At(-3), kNow, /*window=*/3), now_step - 3);
}

TEST_F(VerifyTest, SignInCodeCannotBeReplayedNorGoBackInTime) {
  std::optional<int64_t> used = VerifyCode(seed_, At(0), kNow);
  ASSERT_TRUE(used);
  EXPECT_FALSE(VerifyCode(seed_, At(0), kNow, kSignInWindow, *used));       // replay
  EXPECT_FALSE(VerifyCode(seed_, At(0), kNow + 20, kSignInWindow, *used));  // same step later
  EXPECT_FALSE(VerifyCode(seed_, At(-1), kNow, kSignInWindow, *used));      // older code
  EXPECT_EQ(VerifyCode(seed_, At(1), kNow, kSignInWindow, *used), *used + 1);
}

TEST_F(VerifyTest, NearTheEpochAndExtremeTimes) {
  EXPECT_EQ(VerifyCode(seed_, CodeAtStep(seed_, 0), 5), 0);
  EXPECT_EQ(VerifyConsecutive(seed_, CodeAtStep(seed_, 0), CodeAtStep(seed_, 1), 5), 1);
  EXPECT_FALSE(VerifyCode(seed_, "000000", -1000));
  // No overflow at the far end of int64_t time.
  const int64_t max = std::numeric_limits<int64_t>::max();
  std::string code = Code(seed_, max);
  EXPECT_EQ(VerifyCode(seed_, code, max), TimeStep(max));
  EXPECT_FALSE(VerifyCode(seed_, code, std::numeric_limits<int64_t>::min()));
  EXPECT_FALSE(VerifyConsecutive(seed_, code, code, max, 1000));
}

// The comparisons against a caller's code must be constant-time: this guards the source
// against a plain == creeping in.
TEST(Totp, CodesAreComparedInConstantTime) {
  std::ifstream in(std::string(BULWARK_SOURCE_DIR) + "/src/auth/totp.cc");
  ASSERT_TRUE(in) << "cannot read src/auth/totp.cc";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string src = ss.str();
  size_t uses = 0;
  for (size_t p = src.find("crypto::ConstantTimeEquals("); p != std::string::npos;
       p = src.find("crypto::ConstantTimeEquals(", p + 1)) {
    ++uses;
  }
  EXPECT_EQ(uses, 3u);
  for (const char* plain : {"== code", "code ==", "code1 ==", "code2 ==", "== code1", "== code2",
                            "!= code", "code !=", ".compare("}) {
    EXPECT_EQ(src.find(plain), std::string::npos) << plain;
  }
}

TEST(ProvisioningUri, IssuerAndAccountLabel) {
  EXPECT_EQ(ProvisioningUri("alice@123456789012", "Bulwark", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Bulwark:alice@123456789012?secret=JBSWY3DPEHPK3PXP&issuer=Bulwark");
  EXPECT_EQ(ProvisioningUri("mfa-alice@alice", "Amazon Web Services", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Amazon%20Web%20Services:mfa-alice@alice"
            "?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services");
}

TEST(ProvisioningUri, EmptyIssuerGivesAwsDocumentedForm) {
  EXPECT_EQ(ProvisioningUri("BobsMFADevice@Bob", "", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/BobsMFADevice@Bob?secret=JBSWY3DPEHPK3PXP");
}

TEST(ProvisioningUri, EscapesEverythingButUnreservedAndAt) {
  // IAM names allow + = , . @ _ -; ':' would be read as the issuer separator.
  EXPECT_EQ(ProvisioningUri("a+b=c,d.e_f-g~h@i:j/k?l&m#n%o p", "Is:su&er", "MZXW6YQ="),
            "otpauth://totp/Is%3Asu%26er:a%2Bb%3Dc%2Cd.e_f-g~h@i%3Aj%2Fk%3Fl%26m%23n%25o%20p"
            "?secret=MZXW6YQ&issuer=Is%3Asu%26er");
  EXPECT_EQ(ProvisioningUri("\xc3\xa9", "", "MY======"), "otpauth://totp/%C3%A9?secret=MY");
}

// Runs oathtool and returns its first output line, or nullopt if it could not run.
std::optional<std::string> RunOathtool(const std::string& args) {
  std::string cmd = "oathtool " + args + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return std::nullopt;
  char buf[128];
  std::string out;
  while (fgets(buf, sizeof(buf), pipe.get()) != nullptr) out += buf;
  if (pclose(pipe.release()) != 0) return std::nullopt;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

bool HaveOathtool() { return std::system("command -v oathtool >/dev/null 2>&1") == 0; }

TEST(Totp, MatchesOathtool) {
  if (!HaveOathtool()) {
    GTEST_SKIP() << "oathtool is not installed (Debian package oathtool; "
                    "scripts/install-deps.sh test installs it)";
  }
  // The RFC seed first, so a broken oathtool invocation shows up as such.
  ASSERT_EQ(RunOathtool("--totp --base32 --digits=8 --now=@59 " + Base32Encode(RfcSeed())),
            "94287082");
  const int64_t kTimes[] = {0, 59, 1111111109, 1700000000, 1700000029, 1700000030, 4102444800};
  for (int i = 0; i < 8; ++i) {
    SecretBytes seed = NewSeed();
    std::string b32 = Base32Encode(seed);
    for (int64_t t : kTimes) {
      for (int digits : {6, 8}) {
        std::string args = "--totp --base32 --digits=" + std::to_string(digits) + " --now=@" +
                           std::to_string(t) + " " + b32;
        EXPECT_EQ(RunOathtool(args), Code(seed, t, digits)) << "t=" << t;
      }
    }
    // HOTP too, at a counter beyond 32 bits.
    EXPECT_EQ(RunOathtool("--hotp --base32 --counter=4294967301 " + b32),
              Hotp(seed, 4294967301ull));
  }
}

}  // namespace
}  // namespace bulwark::totp
