// JWS signature verification (RFC 7515/7518) with OpenSSL 3's EVP interface: keys are
// built from the JWK's raw numbers with EVP_PKEY_fromdata, never parsed from PEM/DER.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

#include "crypto/crypto.h"

namespace bulwark::crypto {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Deleter>;

Status BadKey(std::string message) { return Status(ErrorKind::kValidation, std::move(message)); }

Ptr<BIGNUM> Bn(std::string_view big_endian) {
  return Ptr<BIGNUM>(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                               static_cast<int>(big_endian.size()), nullptr));
}

Result<Ptr<EVP_PKEY>> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  Ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) {
    return BadKey("cannot build the key");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return BadKey("the JWK is not a usable public key");
  }
  return Ptr<EVP_PKEY>(raw);
}

Result<Ptr<EVP_PKEY>> RsaKey(const JwkPublicKey& key) {
  std::string_view n = key.n;
  while (!n.empty() && n.front() == '\0') n.remove_prefix(1);
  // RFC 7518 3.3: keys of 2048 bits or more; the upper bound keeps a hostile JWKS from
  // costing much CPU.
  if (n.size() < 256 || n.size() > 1024 || key.e.empty() || key.e.size() > 8) {
    return BadKey("unsupported RSA key size");
  }
  Ptr<BIGNUM> bn_n = Bn(n);
  Ptr<BIGNUM> bn_e = Bn(key.e);
  Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return BadKey("cannot build the RSA key");
  }
  return FromParams("RSA", bld.get());
}

Result<Ptr<EVP_PKEY>> EcKey(const JwkPublicKey& key, const char* group, size_t coord) {
  if (key.x.size() != coord || key.y.size() != coord) return BadKey("bad EC point size");
  std::string point = "\x04" + key.x + key.y;  // SEC 1 uncompressed point
  Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return BadKey("cannot build the EC key");
  }
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> pkey, FromParams("EC", bld.get()));
  // fromdata does not check that the point is on the curve.
  Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return BadKey("EC point not on curve");
  return pkey;
}

}  // namespace

Result<bool> VerifyJwsSignature(std::string_view alg, const JwkPublicKey& key,
                                std::string_view signing_input, std::string_view signature) {
  const EVP_MD* md = nullptr;
  Ptr<EVP_PKEY> pkey;
  std::string der;  // ECDSA signatures go to OpenSSL as DER
  if (alg == "RS256" || alg == "RS384" || alg == "RS512") {
    md = alg == "RS256" ? EVP_sha256() : alg == "RS384" ? EVP_sha384() : EVP_sha512();
    if (key.kty != "RSA") return BadKey("the key is not an RSA key");
    ASSIGN_OR_RETURN(pkey, RsaKey(key));
  } else if (alg == "ES256" || alg == "ES384") {
    const bool p256 = alg == "ES256";
    md = p256 ? EVP_sha256() : EVP_sha384();
    const size_t coord = p256 ? 32 : 48;
    if (key.kty != "EC" || key.crv != (p256 ? "P-256" : "P-384")) {
      return BadKey("the key is not an EC key of the algorithm's curve");
    }
    ASSIGN_OR_RETURN(pkey, EcKey(key, p256 ? "prime256v1" : "secp384r1", coord));
    if (signature.size() != 2 * coord) return false;
    Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()),
                          static_cast<int>(coord), nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + coord,
                          static_cast<int>(coord), nullptr);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
      BN_free(r);
      BN_free(s);
      return BadKey("cannot build the signature");
    }
    unsigned char* out = nullptr;
    int len = i2d_ECDSA_SIG(sig.get(), &out);
    if (len <= 0) return BadKey("cannot encode the signature");
    der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
    OPENSSL_free(out);
    signature = der;
  } else {
    return BadKey("unsupported JWS algorithm");
  }
  Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey.get()) != 1) {
    return BadKey("cannot initialise verification");
  }
  int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  return rc == 1;
}

}  // namespace bulwark::crypto
