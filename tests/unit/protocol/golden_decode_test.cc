// Decodes every request in tests/data/protocol/requests.jsonl — one per operation of every
// embedded model, serialized by botocore (see generate_requests.py) — and checks that the
// decoded input equals the parameters botocore was given.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "crypto/crypto.h"
#include "protocol/protocol.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;

// Binary values become {"$blob": base64}, as in the data file.
json Normalize(const json& v) {
  if (v.is_binary()) {
    const auto& b = v.get_binary();
    return json{{"$blob", crypto::Base64Encode(std::string(b.begin(), b.end()))}};
  }
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, x] : v.items()) out[k] = Normalize(x);
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const json& x : v) out.push_back(Normalize(x));
    return out;
  }
  return v;
}

std::vector<json> LoadCases() {
  std::ifstream in(std::string(BULWARK_SOURCE_DIR) + "/tests/data/protocol/requests.jsonl");
  std::vector<json> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) cases.push_back(json::parse(line));
  }
  return cases;
}

http::Request ToRequest(const json& c) {
  http::Request r;
  r.method = c["method"].get<std::string>();
  r.target = c["target"].get<std::string>();
  for (const auto& [k, v] : c["headers"].items()) r.headers.emplace_back(k, v.get<std::string>());
  r.body = c["body"].get<std::string>();
  return r;
}

TEST(GoldenDecodeTest, EveryBotocoreRequestDecodesToItsParameters) {
  std::vector<json> cases = LoadCases();
  ASSERT_EQ(cases.size(), 1118u);
  int failures = 0;
  for (const json& c : cases) {
    std::string service_name = c["service"].get<std::string>();
    std::string op_name = c["operation"].get<std::string>();
    const ServiceModel* service = ModelRegistry::Instance().Find(service_name);
    ASSERT_NE(service, nullptr) << service_name;
    http::Request request = ToRequest(c);
    auto decoded = DecodeRequest(*service, request);
    if (!decoded.ok()) {
      ADD_FAILURE() << service_name << " " << op_name << ": " << decoded.status().message();
      if (++failures > 20) return;
      continue;
    }
    ASSERT_NE(decoded->operation, nullptr);
    EXPECT_EQ(decoded->operation->name(), op_name)
        << service_name << " " << request.method << " " << request.target;
    json got = Normalize(decoded->input);
    if (got != c["input"]) {
      ADD_FAILURE() << service_name << " " << op_name << "\n got: " << got.dump()
                    << "\nwant: " << c["input"].dump();
      if (++failures > 20) return;
    }
  }
}

TEST(GoldenDecodeTest, DecodedInputsRoundTripThroughValidation) {
  // Validation must never crash on real inputs; it may report constraint failures since
  // the generated values ignore patterns.
  for (const json& c : LoadCases()) {
    const ServiceModel* service = ModelRegistry::Instance().Find(c["service"].get<std::string>());
    auto decoded = DecodeRequest(*service, ToRequest(c));
    if (!decoded.ok()) continue;
    Status s = ValidateInput(*service, *decoded->operation, decoded->input);
    if (!s.ok()) {
      EXPECT_EQ(s.kind(), ErrorKind::kValidation);
      EXPECT_NE(s.message().find("validation error"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace bulwark::protocol
