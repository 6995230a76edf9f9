// JWT / JWS verification: keys made and tokens signed by the openssl CLI, so that the
// verifier is checked against an independent signer.
#include "auth/jwt.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "crypto/crypto.h"

namespace bulwark::jwt {
namespace {

using Json = nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/bulwark-jwt-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + dir_ +
       "/rsa.pem 2>/dev/null");
    std::string mod = Sh("openssl rsa -in " + dir_ + "/rsa.pem -noout -modulus 2>/dev/null");
    mod = mod.substr(mod.find('=') + 1);
    while (!mod.empty() && (mod.back() == '\n' || mod.back() == '\r')) mod.pop_back();
    for (char& c : mod) c = static_cast<char>(std::tolower(c));
    rsa_n_ = *crypto::HexDecode(mod);
    Sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + dir_ +
       "/ec.pem 2>/dev/null");
    Sh("openssl pkey -in " + dir_ + "/ec.pem -pubout -outform DER -out " + dir_ + "/ec.der");
    std::string der = ReadFile(dir_ + "/ec.der");
    // The SubjectPublicKeyInfo of a P-256 key ends with the point 04 || X || Y.
    std::string point = der.substr(der.size() - 65);
    ec_x_ = point.substr(1, 32);
    ec_y_ = point.substr(33, 32);
  }

  static std::string SignWith(const std::string& key, std::string_view input) {
    WriteFile(dir_ + "/in", input);
    Sh("openssl dgst -sha256 -sign " + dir_ + "/" + key + " -out " + dir_ + "/sig " + dir_ + "/in");
    return ReadFile(dir_ + "/sig");
  }

  // DER ECDSA-Sig-Value to JWS's R || S (32 bytes each).
  static std::string RawEcSignature(const std::string& der) {
    size_t i = 2;
    if (static_cast<uint8_t>(der[1]) & 0x80) i += static_cast<uint8_t>(der[1]) & 0x7f;
    std::string out;
    for (int k = 0; k < 2; ++k) {
      size_t len = static_cast<uint8_t>(der[i + 1]);
      std::string v = der.substr(i + 2, len);
      while (v.size() > 32 && v[0] == '\0') v.erase(0, 1);
      out += std::string(32 - v.size(), '\0') + v;
      i += 2 + len;
    }
    return out;
  }

  static std::string Token(const Json& header, const Json& claims) {
    std::string input =
        crypto::Base64UrlEncode(header.dump()) + "." + crypto::Base64UrlEncode(claims.dump());
    std::string alg = header.value("alg", "");
    std::string sig;
    if (alg == "RS256") sig = SignWith("rsa.pem", input);
    if (alg == "ES256") sig = RawEcSignature(SignWith("ec.pem", input));
    return input + "." + crypto::Base64UrlEncode(sig);
  }

  std::vector<Jwk> Keys() const {
    std::string jwks = Json{{"keys",
                             {{{"kty", "RSA"},
                               {"kid", "r1"},
                               {"use", "sig"},
                               {"n", crypto::Base64UrlEncode(rsa_n_)},
                               {"e", "AQAB"}},
                              {{"kty", "EC"},
                               {"kid", "e1"},
                               {"crv", "P-256"},
                               {"x", crypto::Base64UrlEncode(ec_x_)},
                               {"y", crypto::Base64UrlEncode(ec_y_)}}}}}
                           .dump();
    return ParseJwks(jwks).value();
  }

  static Json Claims() {
    return {{"iss", "https://idp.example.com/t"},
            {"aud", "client"},
            {"sub", "u1"},
            {"iat", kNow - 10},
            {"exp", kNow + 600}};
  }

  static Expectations Expect() {
    Expectations e;
    e.issuer = "https://idp.example.com/t";
    e.audiences = {"other", "client"};
    e.now = kNow;
    return e;
  }

  // Parses, verifies and checks; returns the error code or "" on success.
  std::string CodeOf(const std::string& token) const {
    Result<ParsedToken> parsed = Parse(token);
    if (!parsed.ok()) return parsed.status().code();
    Status st = VerifySignature(*parsed, Keys());
    if (!st.ok()) return st.code();
    Result<jwt::Claims> claims = CheckClaims(*parsed, Expect());
    if (!claims.ok()) return claims.status().code();
    return "";
  }

  static constexpr int64_t kNow = 1'800'000'000;
  static inline std::string dir_;
  static inline std::string rsa_n_, ec_x_, ec_y_;
};

TEST(Base64UrlTest, Rfc4648Vectors) {
  EXPECT_EQ(crypto::Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(crypto::Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(crypto::Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*crypto::Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_EQ(*crypto::Base64UrlDecode("Zm9vYg"), "foob");
  EXPECT_FALSE(crypto::Base64UrlDecode("Zm9vYg==").has_value());  // no padding in JOSE
  EXPECT_FALSE(crypto::Base64UrlDecode("Zm9vYh").has_value());    // non-zero spare bits
  EXPECT_FALSE(crypto::Base64UrlDecode("Z").has_value());
  EXPECT_FALSE(crypto::Base64UrlDecode("a+b/").has_value());
  EXPECT_EQ(*crypto::Base64UrlDecode(""), "");
}

TEST_F(JwtTest, Rs256Verifies) {
  std::string token = Token({{"alg", "RS256"}, {"kid", "r1"}}, Claims());
  ASSERT_EQ(CodeOf(token), "");
  auto parsed = Parse(token);
  auto claims = CheckClaims(*parsed, Expect());
  EXPECT_EQ(claims->subject, "u1");
  EXPECT_EQ(claims->audience, "client");
}

TEST_F(JwtTest, Es256Verifies) {
  EXPECT_EQ(CodeOf(Token({{"alg", "ES256"}, {"kid", "e1"}}, Claims())), "");
  // Without a kid, the key that suits the algorithm is found.
  EXPECT_EQ(CodeOf(Token({{"alg", "ES256"}}, Claims())), "");
}

TEST_F(JwtTest, TamperedPayloadFails) {
  for (const char* alg : {"RS256", "ES256"}) {
    std::string token = Token({{"alg", alg}}, Claims());
    Json evil = Claims();
    evil["sub"] = "admin";
    size_t d1 = token.find('.'), d2 = token.rfind('.');
    std::string forged =
        token.substr(0, d1 + 1) + crypto::Base64UrlEncode(evil.dump()) + token.substr(d2);
    EXPECT_EQ(CodeOf(forged), "InvalidIdentityToken") << alg;
  }
}

TEST_F(JwtTest, WrongKidFails) {
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}, {"kid", "unknown"}}, Claims())),
            "InvalidIdentityToken");
  // The EC key's kid with an RSA signature.
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}, {"kid", "e1"}}, Claims())), "InvalidIdentityToken");
}

TEST_F(JwtTest, AlgNoneAndHmacRefused) {
  std::string body = crypto::Base64UrlEncode(Claims().dump());
  EXPECT_EQ(CodeOf(crypto::Base64UrlEncode(R"({"alg":"none"})") + "." + body + "."),
            "InvalidIdentityToken");
  EXPECT_EQ(CodeOf(crypto::Base64UrlEncode(R"({"alg":"HS256"})") + "." + body + ".AAAA"),
            "InvalidIdentityToken");
  EXPECT_EQ(CodeOf(crypto::Base64UrlEncode(R"({"typ":"JWT"})") + "." + body + ".AAAA"),
            "InvalidIdentityToken");
}

TEST_F(JwtTest, MalformedTokensRefused) {
  EXPECT_EQ(CodeOf("abc"), "InvalidIdentityToken");
  EXPECT_EQ(CodeOf("a.b.c.d"), "InvalidIdentityToken");
  EXPECT_EQ(CodeOf(std::string(kMaxTokenChars + 1, 'a')), "InvalidIdentityToken");
  std::string token = Token({{"alg", "RS256"}, {"crit", {"exp"}}}, Claims());
  EXPECT_EQ(CodeOf(token), "InvalidIdentityToken");
}

TEST_F(JwtTest, ClaimChecks) {
  Json c = Claims();
  c["exp"] = kNow - 1;
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "ExpiredTokenException");
  c = Claims();
  c.erase("exp");
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "InvalidIdentityToken");
  c = Claims();
  c["aud"] = "stranger";
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "InvalidIdentityToken");
  c["aud"] = {"stranger", "client"};
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "");
  c = Claims();
  c["iss"] = "https://evil.example.com/t";
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "InvalidIdentityToken");
  c = Claims();
  c["nbf"] = kNow + 301;
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "InvalidIdentityToken");
  c["nbf"] = kNow + 299;  // within the skew
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "");
  c = Claims();
  c["iat"] = kNow + 3600;
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "InvalidIdentityToken");
  c = Claims();
  c.erase("sub");
  EXPECT_EQ(CodeOf(Token({{"alg", "RS256"}}, c)), "InvalidIdentityToken");
}

TEST(JwsTest, KeyTypeMustSuitAlgorithm) {
  crypto::JwkPublicKey ec{"EC", "P-256", "", "", std::string(32, '\1'), std::string(32, '\2')};
  EXPECT_FALSE(crypto::VerifyJwsSignature("RS256", ec, "x", "y").ok());
  // A point that is not on the curve is no key.
  EXPECT_FALSE(crypto::VerifyJwsSignature("ES256", ec, "x", std::string(64, '\0')).ok());
  crypto::JwkPublicKey small{"RSA", "", std::string(64, '\xff'), "\x01\x00\x01", "", ""};
  EXPECT_FALSE(crypto::VerifyJwsSignature("RS256", small, "x", "y").ok());
  EXPECT_FALSE(crypto::VerifyJwsSignature("PS256", small, "x", "y").ok());
}

// RFC 7515 appendix A.2: the published RS256 example and its key.
TEST(JwsTest, Rfc7515AppendixA2) {
  const std::string token =
      "eyJhbGciOiJSUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
      "cnVlfQ"
      ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2F"
      "p5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMH"
      "lb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9"
      "QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
  const std::string jwks = R"({"keys":[{"kty":"RSA","e":"AQAB","n":")"
                           "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
                           "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
                           "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
                           "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
                           "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
                           "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\"}]}";
  Result<std::vector<Jwk>> keys = ParseJwks(jwks);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  Result<ParsedToken> parsed = Parse(token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->claims.value("iss", ""), "joe");
  EXPECT_TRUE(VerifySignature(*parsed, *keys).ok());
  // One changed signature byte.
  std::string bad = token;
  bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';
  Result<ParsedToken> tampered = Parse(bad);
  ASSERT_TRUE(tampered.ok());
  EXPECT_EQ(VerifySignature(*tampered, *keys).code(), "InvalidIdentityToken");
}

}  // namespace
}  // namespace bulwark::jwt
