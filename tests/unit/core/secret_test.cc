// SecretBytes: move-only, explicit copies, redacted printing.
#include "core/secret.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace bulwark {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(!std::is_convertible_v<SecretBytes, std::string>);
static_assert(!std::is_convertible_v<SecretBytes, std::string_view>);

TEST(SecretBytesTest, HoldsBytes) {
  SecretBytes s = SecretBytes::FromView(std::string_view("k\0ey", 4));
  EXPECT_EQ(s.size(), 4u);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.view(), std::string_view("k\0ey", 4));
  SecretBytes zeros(8);
  EXPECT_EQ(zeros.view(), std::string(8, '\0'));
  EXPECT_TRUE(SecretBytes().empty());
}

TEST(SecretBytesTest, MoveEmptiesTheSource) {
  SecretBytes a = SecretBytes::FromView("root key material");
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.view(), "root key material");

  SecretBytes c = SecretBytes::FromView("old");
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.view(), "root key material");
}

TEST(SecretBytesTest, SelfMoveAssignmentKeepsTheValue) {
  SecretBytes a = SecretBytes::FromView("keep me");
  SecretBytes& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.view(), "keep me");
}

TEST(SecretBytesTest, CloneIsAnIndependentCopy) {
  SecretBytes a = SecretBytes::FromView("abc");
  SecretBytes b = a.Clone();
  EXPECT_EQ(a.view(), b.view());
  EXPECT_NE(a.data(), b.data());
  b.data()[0] = 'X';
  EXPECT_EQ(a.view(), "abc");
  EXPECT_EQ(b.view(), "Xbc");
  EXPECT_TRUE(SecretBytes().Clone().empty());
}

TEST(SecretBytesTest, PrintsRedacted) {
  SecretBytes s = SecretBytes::FromView("hunter2-super-secret");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "[redacted]");
  EXPECT_EQ(os.str().find("hunter2"), std::string::npos);
  // GoogleTest's printer goes through operator<< too, so failing assertions stay clean.
  EXPECT_EQ(testing::PrintToString(s), "[redacted]");
}

TEST(SecretBytesTest, DestructionAndReassignmentWipe) {
  // SecureWipe is what the destructor and assignment call; check it really zeroes.
  std::string buf = "sensitive";
  SecureWipe(buf.data(), buf.size());
  EXPECT_EQ(buf, std::string(9, '\0'));
  SecretBytes a = SecretBytes::FromView("first");
  a = SecretBytes::FromView("second");
  EXPECT_EQ(a.view(), "second");
}

}  // namespace
}  // namespace bulwark
