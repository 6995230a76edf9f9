// Data-driven SigV4 test over AWS's published signing test suite (corpus/sigv4): one
// case per folder and signing form. For each, the signed request must parse, reproduce
// the expected canonical request, string to sign and signature byte for byte, verify,
// and stop verifying after any single change.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "http/message.h"

namespace bulwark::sigv4 {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = fs::path(BULWARK_CORPUS_DIR) / "sigv4";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses the suite's raw HTTP/1.1 requests: "METHOD target HTTP/1.1" (the target may hold
// spaces and raw UTF-8), "Name:value" lines, continuation lines starting with whitespace
// (kept in the value, with their line break, for the canonicalizer to fold), a blank
// line, then the body.
http::Request ParseRawRequest(const std::string& raw) {
  http::Request req;
  size_t head_end = raw.find("\n\n");
  std::string head = head_end == std::string::npos ? raw : raw.substr(0, head_end);
  if (head_end != std::string::npos) req.body = raw.substr(head_end + 2);
  std::vector<std::string> lines;
  std::istringstream in(head);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  EXPECT_FALSE(lines.empty());
  const std::string& request_line = lines[0];
  size_t sp = request_line.find(' ');
  size_t version = request_line.rfind(" HTTP/");
  EXPECT_NE(sp, std::string::npos);
  EXPECT_NE(version, std::string::npos);
  req.method = request_line.substr(0, sp);
  req.target = request_line.substr(sp + 1, version - sp - 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      EXPECT_FALSE(req.headers.empty());
      req.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return req;
}

struct SuiteCase {
  std::string name;
  bool presigned;
};

std::vector<SuiteCase> AllCases() {
  std::vector<SuiteCase> cases;
  if (!fs::is_directory(kSuiteDir)) return cases;
  for (const auto& entry : fs::directory_iterator(kSuiteDir)) {
    if (!entry.is_directory()) continue;
    cases.push_back({entry.path().filename().string(), false});
    cases.push_back({entry.path().filename().string(), true});
  }
  std::sort(cases.begin(), cases.end(), [](const SuiteCase& a, const SuiteCase& b) {
    return std::tie(a.name, a.presigned) < std::tie(b.name, b.presigned);
  });
  return cases;
}

class Sigv4SuiteTest : public testing::TestWithParam<SuiteCase> {
 protected:
  void SetUp() override {
    dir_ = kSuiteDir / GetParam().name;
    prefix_ = GetParam().presigned ? "query-" : "header-";
    nlohmann::json ctx = nlohmann::json::parse(ReadFile(dir_ / "context.json"));
    secret_ = ctx["credentials"]["secret_access_key"].get<std::string>();
    access_key_ = ctx["credentials"]["access_key_id"].get<std::string>();
    if (ctx["credentials"].contains("token")) {
      token_ = ctx["credentials"]["token"].get<std::string>();
    }
    region_ = ctx["region"].get<std::string>();
    service_ = ctx["service"].get<std::string>();
    normalize_ = ctx["normalize"].get<bool>();
    std::string ts = ctx["timestamp"].get<std::string>();  // 2015-08-30T12:36:00Z
    std::string amz;
    for (char c : ts) {
      if (c != '-' && c != ':') amz.push_back(c);
    }
    now_ = ParseAmzDate(amz);
    ASSERT_GT(now_, 0) << ts;
    request_ = ParseRawRequest(ReadFile(dir_ / (prefix_ + "signed-request.txt")));
  }

  std::string Expected(const std::string& suffix) { return ReadFile(dir_ / (prefix_ + suffix)); }

  SecretBytes Key(const ParsedAuth& auth) {
    return DeriveSigningKey(secret_, auth.date, auth.region, auth.service);
  }

  // True when the server would refuse `req`: it does not parse, or does not verify.
  bool Rejected(const http::Request& req) {
    Result<ParsedAuth> auth = Parse(req);
    if (!auth.ok()) return true;
    return !Verify(req, *auth, Key(*auth), normalize_).ok();
  }

  fs::path dir_;
  std::string prefix_;
  std::string secret_, access_key_, token_, region_, service_;
  bool normalize_ = true;
  int64_t now_ = 0;
  http::Request request_;
};

TEST_P(Sigv4SuiteTest, ParsesCanonicalizesSignsAndVerifies) {
  Result<ParsedAuth> auth = Parse(request_);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  EXPECT_EQ(auth->presigned, GetParam().presigned);
  EXPECT_EQ(auth->access_key_id, access_key_);
  EXPECT_EQ(auth->region, region_);
  EXPECT_EQ(auth->service, service_);
  EXPECT_EQ(auth->request_time, now_);
  if (!token_.empty() && (GetParam().presigned || request_.HasHeader("X-Amz-Security-Token"))) {
    EXPECT_EQ(auth->session_token, token_);
  }
  EXPECT_TRUE(CheckTime(*auth, now_).ok());
  EXPECT_TRUE(CheckScope(*auth, service_).ok());

  if (GetParam().presigned && GetParam().name == "post-sts-header-after") {
    // The token was appended after signing: it is not part of the canonical query.
    auth->token_signed = false;
  }
  const std::string canonical = CanonicalRequest(request_, *auth, normalize_);
  EXPECT_EQ(canonical, Expected("canonical-request.txt"));
  const std::string sts = StringToSign(*auth, canonical);
  EXPECT_EQ(sts, Expected("string-to-sign.txt"));
  SecretBytes key = Key(*auth);
  EXPECT_EQ(Signature(key, sts), Expected("signature.txt"));
  EXPECT_EQ(auth->signature, Expected("signature.txt"));

  Status st = Verify(request_, *auth, key, normalize_);
  EXPECT_TRUE(st.ok()) << st.message();
  // The three-argument form picks normalization from the service ("service" != "s3").
  if (normalize_) {
    EXPECT_TRUE(Verify(request_, *auth, key).ok());
  }
}

TEST_P(Sigv4SuiteTest, WrongSecretIsRejected) {
  Result<ParsedAuth> auth = Parse(request_);
  ASSERT_TRUE(auth.ok());
  SecretBytes wrong = DeriveSigningKey(secret_ + "x", auth->date, auth->region, auth->service);
  Status st = Verify(request_, *auth, wrong, normalize_);
  EXPECT_EQ(st.kind(), ErrorKind::kSignatureDoesNotMatch);
  SecretBytes other_region = DeriveSigningKey(secret_, auth->date, "us-west-2", auth->service);
  EXPECT_FALSE(Verify(request_, *auth, other_region, normalize_).ok());
}

void AppendToPath(http::Request& req, std::string_view extra) {
  size_t q = req.target.find('?');
  req.target.insert(q == std::string::npos ? req.target.size() : q, extra);
}

// [INVARIANT] Changing any one signed element of the request breaks verification.
TEST_P(Sigv4SuiteTest, AnySingleChangeIsRejected) {
  ASSERT_FALSE(Rejected(request_));
  Result<ParsedAuth> original = Parse(request_);
  ASSERT_TRUE(original.ok());
  SecretBytes key = Key(*original);

  std::vector<std::pair<std::string, std::function<void(http::Request&)>>> mutations;
  for (const std::string& name : original->signed_headers) {
    mutations.emplace_back("header value " + name, [name](http::Request& r) {
      for (auto& [k, v] : r.headers) {
        if (http::HeaderNameEquals(k, name)) {
          v += "x";
          return;
        }
      }
      r.headers.emplace_back(name, "x");
    });
    mutations.emplace_back("drop header " + name, [name](http::Request& r) {
      auto it = std::find_if(r.headers.begin(), r.headers.end(),
                             [&](const auto& h) { return http::HeaderNameEquals(h.first, name); });
      if (it != r.headers.end()) r.headers.erase(it);
    });
  }
  mutations.emplace_back("method",
                         [](http::Request& r) { r.method = r.method == "GET" ? "PUT" : "GET"; });
  mutations.emplace_back("path", [](http::Request& r) { AppendToPath(r, "x"); });
  mutations.emplace_back("path segment", [](http::Request& r) { AppendToPath(r, "/extra"); });
  mutations.emplace_back("body", [](http::Request& r) { r.body += "x"; });
  mutations.emplace_back("added query parameter", [](http::Request& r) {
    r.target += r.target.find('?') == std::string::npos ? "?extra=1" : "&extra=1";
  });
  mutations.emplace_back("query value", [](http::Request& r) {
    size_t q = r.target.find('?');
    if (q == std::string::npos) {
      r.target += "?x=";
      return;
    }
    // Change the value of the first parameter that is not the signature itself.
    size_t start = q + 1;
    while (start < r.target.size()) {
      size_t amp = r.target.find('&', start);
      if (amp == std::string::npos) amp = r.target.size();
      if (r.target.compare(start, 16, "X-Amz-Signature=") != 0) {
        r.target.insert(amp, "0");
        return;
      }
      start = amp + 1;
    }
  });
  mutations.emplace_back("signature digit", [](http::Request& r) {
    auto flip = [](std::string& s, size_t pos) { s[pos] = s[pos] == '0' ? '1' : '0'; };
    size_t at = r.target.find("X-Amz-Signature=");
    if (at != std::string::npos) {
      flip(r.target, at + 16 + 10);
      return;
    }
    for (auto& [k, v] : r.headers) {
      if (http::HeaderNameEquals(k, "Authorization")) flip(v, v.find("Signature=") + 10 + 63);
    }
  });

  for (const auto& [what, mutate] : mutations) {
    http::Request changed = request_;
    mutate(changed);
    EXPECT_TRUE(Rejected(changed)) << "accepted after changing " << what;
    // The authenticator must not trust a ParsedAuth computed from other bytes either.
    if (what != "signature digit") {  // a stale ParsedAuth holds the original signature
      EXPECT_FALSE(Verify(changed, *original, key, normalize_).ok())
          << "stale ParsedAuth accepted after changing " << what;
    }
  }
}

std::string CaseName(const testing::TestParamInfo<SuiteCase>& info) {
  std::string name = info.param.name + (info.param.presigned ? "_query" : "_header");
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// SignRequest, given the unsigned request.txt, signs it the way the suite did whenever
// the suite signed every header the request has; what it signs always verifies.
TEST_P(Sigv4SuiteTest, SignRequestReproducesTheSuite) {
  if (GetParam().presigned) GTEST_SKIP() << "SignRequest uses the header form";
  http::Request unsigned_request = ParseRawRequest(ReadFile(dir_ / "request.txt"));
  http::Request signed_request = unsigned_request;
  SignRequest(&signed_request, access_key_, secret_, region_, service_, now_,
              request_.HasHeader("X-Amz-Security-Token") ? token_ : std::string());
  Result<ParsedAuth> ours = Parse(signed_request);
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  // SignRequest signs as every service but S3 does: with the path normalized.
  EXPECT_TRUE(Verify(signed_request, *ours, Key(*ours), /*normalize_path=*/true).ok());
  Result<ParsedAuth> theirs = Parse(request_);
  ASSERT_TRUE(theirs.ok());
  if (ours->signed_headers == theirs->signed_headers && normalize_) {
    EXPECT_EQ(signed_request.Header("Authorization"), request_.Header("Authorization"));
  }
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, Sigv4SuiteTest, testing::ValuesIn(AllCases()), CaseName);

TEST(Sigv4Suite, HasAllCases) {
  // 38 published cases, each in both forms.
  EXPECT_EQ(AllCases().size(), 2u * 38u);
}

}  // namespace
}  // namespace bulwark::sigv4
