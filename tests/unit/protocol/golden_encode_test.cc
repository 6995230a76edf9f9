// Encodes an output for every operation with an output shape (tests/data/protocol/
// responses.jsonl, generated from the models) and checks the wire form. With
// BULWARK_DUMP_RESPONSES=<file> the responses are also written out for
// tests/data/protocol/check_responses.py, which parses them with botocore itself.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "crypto/crypto.h"
#include "protocol/protocol.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;

// {"$blob": base64} back to binary values.
json Denormalize(const json& v) {
  if (v.is_object()) {
    if (v.size() == 1 && v.contains("$blob")) {
      auto raw = crypto::Base64Decode(v["$blob"].get<std::string>());
      return json::binary(json::binary_t::container_type(raw->begin(), raw->end()));
    }
    json out = json::object();
    for (const auto& [k, x] : v.items()) out[k] = Denormalize(x);
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const json& x : v) out.push_back(Denormalize(x));
    return out;
  }
  return v;
}

TEST(GoldenEncodeTest, EveryOperationOutputEncodes) {
  std::ifstream in(std::string(BULWARK_SOURCE_DIR) + "/tests/data/protocol/responses.jsonl");
  const char* dump_path = std::getenv("BULWARK_DUMP_RESPONSES");
  std::ofstream dump;
  if (dump_path != nullptr) dump.open(dump_path);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    json c = json::parse(line);
    const ServiceModel* service = ModelRegistry::Instance().Find(c["service"].get<std::string>());
    ASSERT_NE(service, nullptr);
    const OperationModel* op = service->FindOperation(c["operation"].get<std::string>());
    ASSERT_NE(op, nullptr);
    http::Response resp;
    EncodeResult(*service, *op, Denormalize(c["output"]), "req-123", &resp);
    ++count;
    EXPECT_EQ(resp.Header("x-amzn-RequestId"), "req-123");
    if (service->protocol() == Protocol::kQuery) {
      std::string open = "<" + std::string(op->name()) + "Response xmlns=\"";
      EXPECT_EQ(resp.body.rfind(open, 0), 0u) << resp.body.substr(0, 200);
      EXPECT_NE(resp.body.find("<RequestId>req-123</RequestId>"), std::string::npos);
    } else if (!resp.body.empty()) {
      EXPECT_TRUE(json::accept(resp.body)) << c["operation"];
    }
    EXPECT_EQ(resp.status, op->response_code());
    if (dump.is_open()) {
      json headers = json::object();
      for (const auto& [k, v] : resp.headers) headers[k] = v;
      dump << json({{"service", c["service"]},
                    {"operation", c["operation"]},
                    {"status", resp.status},
                    {"headers", headers},
                    {"body", resp.body},
                    {"output", c["output"]}})
                  .dump(-1, ' ', false, json::error_handler_t::replace)
           << "\n";
    }
  }
  EXPECT_EQ(count, 965);
}

}  // namespace
}  // namespace bulwark::protocol
