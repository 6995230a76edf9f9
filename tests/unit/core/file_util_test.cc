// WriteFileAtomically: the whole new content or the old, private modes, parents made.
#include "core/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace bulwark {
namespace {

namespace fs = std::filesystem;

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bulwark_file_util_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static unsigned Mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }

  fs::path dir_;
};

TEST_F(FileUtilTest, WritesAndReplacesWithModeOwnerOnly) {
  const fs::path p = dir_ / "f";
  ASSERT_TRUE(WriteFileAtomically(p.string(), "first").ok());
  EXPECT_EQ(Read(p), "first");
  EXPECT_EQ(Mode(p), 0600u);
  ASSERT_TRUE(WriteFileAtomically(p.string(), std::string("a\0b", 3)).ok());
  EXPECT_EQ(Read(p), std::string("a\0b", 3));
  EXPECT_FALSE(fs::exists(p.string() + ".tmp"));
}

TEST_F(FileUtilTest, MakesMissingParentsOnlyWhenAsked) {
  const fs::path p = dir_ / "a" / "b" / "f";
  Status refused = WriteFileAtomically(p.string(), "x");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("create"), std::string::npos) << refused.message();
  ASSERT_TRUE(WriteFileAtomically(p.string(), "x", /*create_parents=*/true).ok());
  EXPECT_EQ(Read(p), "x");
  EXPECT_EQ(Mode(dir_ / "a"), 0700u);
  EXPECT_EQ(Mode(dir_ / "a" / "b"), 0700u);
}

TEST_F(FileUtilTest, AParentThatIsAFileIsAnError) {
  ASSERT_TRUE(WriteFileAtomically((dir_ / "plain").string(), "x").ok());
  EXPECT_FALSE(
      WriteFileAtomically((dir_ / "plain" / "f").string(), "y", /*create_parents=*/true).ok());
  EXPECT_EQ(Read(dir_ / "plain"), "x");
}

}  // namespace
}  // namespace bulwark
