#include <gtest/gtest.h>

#include <vector>

#include "protocol/internal.h"
#include "protocol/protocol.h"

namespace bulwark::protocol {
namespace {

TEST(TimestampTest, Iso8601) {
  EXPECT_EQ(ParseIso8601("2024-01-02T03:04:05Z"), 1704164645.0);
  EXPECT_EQ(ParseIso8601("2024-01-02T03:04:05.250Z"), 1704164645.25);
  EXPECT_EQ(ParseIso8601("2024-01-02T05:04:05+02:00"), 1704164645.0);
  EXPECT_EQ(ParseIso8601("2024-01-02T03:04:05"), 1704164645.0);
  EXPECT_EQ(ParseIso8601("1970-01-01"), 0.0);
  EXPECT_EQ(ParseIso8601("1969-12-31T23:59:59Z"), -1.0);
  EXPECT_EQ(ParseIso8601("2024-02-29T00:00:00Z"), 1709164800.0);
  for (const char* bad : {"", "2024", "2024-13-01", "2023-02-29T00:00:00Z", "2024-01-02T25:00:00Z",
                          "2024-01-02T03:04:05Zjunk", "2024-01-02T03:04:05.Z", "abcd-ef-gh",
                          "2024-01-02T03:04:05+99:00"}) {
    EXPECT_EQ(ParseIso8601(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(FormatIso8601(1704164645), "2024-01-02T03:04:05Z");
  EXPECT_EQ(FormatIso8601(1704164645.5), "2024-01-02T03:04:05.500Z");
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601(1e300), "9999-12-31T23:59:59Z");  // clamped, no overflow
}

TEST(TimestampTest, Rfc822AndNumbers) {
  EXPECT_EQ(ParseRfc822("Tue, 02 Jan 2024 03:04:05 GMT"), 1704164645.0);
  EXPECT_EQ(ParseRfc822("Tue, 02 Foo 2024 03:04:05 GMT"), std::nullopt);
  EXPECT_EQ(FormatRfc822(1704164645), "Tue, 02 Jan 2024 03:04:05 GMT");
  EXPECT_EQ(FormatRfc822(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(ParseTimestampString("1704164645"), 1704164645.0);
  EXPECT_EQ(ParseTimestampString("1704164645.5"), 1704164645.5);
  EXPECT_EQ(ParseTimestampString("1e400"), std::nullopt);
  EXPECT_EQ(ParseTimestampString("NaN"), std::nullopt);
  EXPECT_EQ(EpochJson(5.0), nlohmann::json(5));
  EXPECT_TRUE(EpochJson(5.5).is_number_float());
}

TEST(FormTest, ParsesAndDecodes) {
  auto r = ParseFormEncoded("a=1&b=x+y%2Bz&c&=e&&d=%C3%A9");
  ASSERT_TRUE(r.ok());
  std::vector<std::pair<std::string, std::string>> want = {
      {"a", "1"}, {"b", "x y+z"}, {"c", ""}, {"", "e"}, {"d", "\xc3\xa9"}};
  EXPECT_EQ(*r, want);
  EXPECT_FALSE(ParseFormEncoded("a=%").ok());
  EXPECT_FALSE(ParseFormEncoded("a=%2").ok());
  EXPECT_FALSE(ParseFormEncoded("a=%g0").ok());
  EXPECT_FALSE(ParseFormEncoded("a=%c3").ok());  // truncated UTF-8
  EXPECT_TRUE(ParseFormEncoded("").ok());
}

TEST(Utf8Test, Validation) {
  EXPECT_TRUE(IsValidUtf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  for (std::string bad :
       {"\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
  EXPECT_EQ(Utf16Length("a\xc3\xa9\xf0\x9f\x98\x80"), 4u);
}

TEST(NumberTest, Parsing) {
  EXPECT_EQ(ParseInteger("2147483647", ShapeType::kInteger), 2147483647);
  EXPECT_EQ(ParseInteger("2147483648", ShapeType::kInteger), std::nullopt);
  EXPECT_EQ(ParseInteger("2147483648", ShapeType::kLong), 2147483648LL);
  EXPECT_EQ(ParseInteger("-5", ShapeType::kInteger), -5);
  EXPECT_EQ(ParseInteger("+5", ShapeType::kInteger), 5);
  for (const char* bad : {"", "5x", "1.0", " 5", "99999999999999999999999"}) {
    EXPECT_EQ(ParseInteger(bad, ShapeType::kLong), std::nullopt) << bad;
  }
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_EQ(ParseDouble("inf"), std::nullopt);
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(3), "3");
}

TEST(JsonDepthTest, CountsOutsideStrings) {
  EXPECT_EQ(JsonNestingDepth("{\"a\":[{}]}", 64), 3);
  EXPECT_EQ(JsonNestingDepth("{\"a\":\"[[[[\\\"[[\"}", 64), 1);
  EXPECT_EQ(JsonNestingDepth(std::string(1000000, '['), 64), 65);  // stops early
}

TEST(XmlTest, Escaping) {
  EXPECT_EQ(XmlEscape("<a href='x'>&\"</a>"), "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(XmlEscape(std::string("a\x00\x1f\tb", 5)), "a\tb");
}

TEST(WipeJsonTest, EveryStringAndBinaryIsZeroedInPlaceAndNothingElse) {
  nlohmann::json tree = {
      {"Plaintext", nlohmann::json::binary({0xde, 0xad, 0xbe, 0xef})},
      {"SecretString", "hunter2"},
      {"Nested", {{"List", {"a-secret", 42, true, nlohmann::json::binary({1, 2})}}}},
      {"Count", 7}};
  { JsonWiper wipe(tree); }
  auto bytes = [](const nlohmann::json& v) {
    return std::vector<uint8_t>(v.get_binary().begin(), v.get_binary().end());
  };
  EXPECT_EQ(bytes(tree["Plaintext"]), std::vector<uint8_t>(4, 0));
  EXPECT_EQ(tree["SecretString"], std::string(7, '\0'));
  EXPECT_EQ(tree["Nested"]["List"][0], std::string(8, '\0'));
  EXPECT_EQ(tree["Nested"]["List"][1], 42);
  EXPECT_EQ(tree["Nested"]["List"][2], true);
  EXPECT_EQ(bytes(tree["Nested"]["List"][3]), std::vector<uint8_t>(2, 0));
  EXPECT_EQ(tree["Count"], 7);
  // Keys are names, not values: they stay.
  EXPECT_TRUE(tree.contains("SecretString"));
}

}  // namespace
}  // namespace bulwark::protocol
