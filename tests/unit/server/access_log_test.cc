// The access log writes one valid JSON object per line, whatever bytes a client sent.
#include "server/access_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

namespace bulwark::server {
namespace {

std::vector<nlohmann::json> ReadLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(nlohmann::json::parse(line));  // throws (fails the test) if invalid
  }
  return lines;
}

TEST(AccessLogTest, HostileFieldsStayOneValidJsonLine) {
  auto path = std::filesystem::temp_directory_path() /
              ("bulwark-access-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  const std::string hostile_ua = std::string("evil\"agent\\\n{\"x\":1}\r\t\x01\xff\xc3\x28", 24);
  {
    auto log = AccessLog::Open(path.string());
    ASSERT_TRUE(log.ok());
    AccessRecord r;
    r.request_id = "rid-1";
    r.remote_addr = "127.0.0.1";
    r.method = "POST";
    r.path = "/a\"b";
    r.service = "sts";
    r.operation = "GetCallerIdentity";
    r.status = 200;
    r.latency_ms = 0.25;
    r.user_agent = hostile_ua;
    (*log)->Write(r);
    r.request_id = "rid-2";
    r.status = 403;
    r.error_code = "SignatureDoesNotMatch";
    r.user_agent = "";
    r.latency_ms = 1234.5678;
    (*log)->Write(r);
  }  // destruction flushes
  auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["request_id"], "rid-1");
  EXPECT_EQ(lines[0]["path"], "/a\"b");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_DOUBLE_EQ(lines[0]["latency_ms"].get<double>(), 0.25);
  EXPECT_TRUE(
      std::regex_match(lines[0]["time"].get<std::string>(),
                       std::regex(R"(20\d\d-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-6]\d\.\d{3}Z)")))
      << lines[0]["time"];
  EXPECT_EQ(lines[1]["status"], 403);
  EXPECT_DOUBLE_EQ(lines[1]["latency_ms"].get<double>(), 1234.568);
  EXPECT_EQ(lines[0]["operation"], "GetCallerIdentity");
  EXPECT_TRUE(lines[0]["user_agent"].get<std::string>().starts_with("evil\"agent\\\n{\"x\":1}"));
  EXPECT_FALSE(lines[0].contains("error_code"));
  EXPECT_EQ(lines[1]["error_code"], "SignatureDoesNotMatch");
  EXPECT_FALSE(lines[1].contains("user_agent"));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace bulwark::server
