// Hand-written JSON text stays valid JSON whatever the bytes, and keeps valid UTF-8.
#include "core/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace bulwark {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonTextTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quoted(std::string("\n\t\x01\x7f", 4)), R"("\u000a\u0009\u0001\u007f")");
}

TEST(JsonTextTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  // é, €, 😀 stay as they are.
  EXPECT_EQ(Quoted("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, a byte
  // above U+10FFFF: each invalid byte is U+FFFD.
  const std::string bad[] = {"\x80",         "\xe2\x82",         "\xc0\xaf",
                             "\xed\xa0\x80", "\xf5\x80\x80\x80", "\xff"};
  for (const std::string& s : bad) {
    const std::string text = Quoted("x" + s + "y");
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << text;
    const std::string v = parsed.get<std::string>();
    EXPECT_EQ(v.front(), 'x');
    EXPECT_EQ(v.back(), 'y');
    EXPECT_NE(v.find("\xef\xbf\xbd"), std::string::npos) << text;
  }
}

// Long strings are scanned 16 bytes at a time: a byte that needs escaping, or a
// multi-byte character, is found at every offset of a block and across block edges.
TEST(JsonTextTest, SpecialBytesAtEveryOffsetOfALongString) {
  const std::string specials[] = {"\"", "\\", "\n", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac"};
  const std::string plain(40, 'a');
  for (const std::string& special : specials) {
    for (size_t at = 0; at <= plain.size(); ++at) {
      const std::string input = plain.substr(0, at) + special + plain.substr(at);
      const std::string text = Quoted(input);
      auto parsed = nlohmann::json::parse(text, nullptr, false);
      ASSERT_FALSE(parsed.is_discarded()) << text;
      EXPECT_EQ(parsed.get<std::string>(), input) << "offset " << at;
    }
  }
  // An invalid byte at every offset becomes U+FFFD there, the rest kept.
  for (size_t at = 0; at <= plain.size(); ++at) {
    const std::string text = Quoted(plain.substr(0, at) + "\xff" + plain.substr(at));
    EXPECT_EQ(text, "\"" + plain.substr(0, at) + "\\ufffd" + plain.substr(at) + "\"");
  }
}

TEST(JsonTextTest, IsoTimes) {
  std::string out;
  AppendIsoTime(out, 0);
  EXPECT_EQ(out, "1970-01-01T00:00:00Z");
  out.clear();
  AppendIsoTime(out, 1796323206, 7);  // 2026-12-03T18:40:06Z
  EXPECT_EQ(out, "2026-12-03T18:40:06.007Z");
  // The same second again, another, and back: each text is its own.
  for (int64_t t :
       {int64_t{1796323206}, int64_t{1796323207}, int64_t{1796323206}, int64_t{253402300799}}) {
    out.clear();
    AppendIsoTime(out, t);
    EXPECT_EQ(out, t == 1796323206     ? "2026-12-03T18:40:06Z"
                   : t == 253402300799 ? "9999-12-31T23:59:59Z"
                                       : "2026-12-03T18:40:07Z");
  }
  out.clear();
  AppendDecimal(out, -42, 4);
  EXPECT_EQ(out, "-0042");
}

}  // namespace
}  // namespace bulwark
