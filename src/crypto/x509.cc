// OpenSSL 3 implementations of x509.h. Extensions are built as ASN.1 structures (never
// from OpenSSL's configuration strings, so that no caller-given text is interpreted).
#include "crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cctype>
#include <climits>
#include <ctime>
#include <memory>

#include "crypto/evp_util.h"

namespace bulwark::crypto {
namespace {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  // ASN1_INTEGER, ASN1_OCTET_STRING, ASN1_BIT_STRING, ASN1_TIME, ASN1_ENUMERATED: all
  // ASN1_STRING.
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
  void operator()(BASIC_CONSTRAINTS* p) const { BASIC_CONSTRAINTS_free(p); }
  void operator()(AUTHORITY_KEYID* p) const { AUTHORITY_KEYID_free(p); }
  void operator()(EXTENDED_KEY_USAGE* p) const { EXTENDED_KEY_USAGE_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(CRL_DIST_POINTS* p) const { CRL_DIST_POINTS_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
  void operator()(X509_REVOKED* p) const { X509_REVOKED_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509_EXTENSION) * p) const {
    sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free);
  }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

Status Invalid(std::string message) {
  ERR_clear_error();
  return Status(ErrorKind::kValidation, std::move(message));
}

Status Internal(std::string message) {
  ERR_clear_error();
  return Status(ErrorKind::kInternalFailure, std::move(message));
}

const EVP_MD* DigestOf(CertSigningAlgorithm alg) {
  switch (alg) {
    case CertSigningAlgorithm::kSha256WithRsa:
    case CertSigningAlgorithm::kSha256WithEcdsa:
      return EVP_sha256();
    case CertSigningAlgorithm::kSha384WithRsa:
    case CertSigningAlgorithm::kSha384WithEcdsa:
      return EVP_sha384();
    case CertSigningAlgorithm::kSha512WithRsa:
    case CertSigningAlgorithm::kSha512WithEcdsa:
      return EVP_sha512();
  }
  return EVP_sha256();
}

bool IsRsa(CertSigningAlgorithm alg) {
  return alg == CertSigningAlgorithm::kSha256WithRsa ||
         alg == CertSigningAlgorithm::kSha384WithRsa || alg == CertSigningAlgorithm::kSha512WithRsa;
}

Result<Ptr<X509_NAME>> ToName(const DistinguishedName& dn) {
  Ptr<X509_NAME> name(X509_NAME_new());
  if (!name) return Internal("X509_NAME_new");
  for (const auto& [field, value] : dn) {
    if (field.empty() || value.empty() || value.size() > 64 * 1024) {
      return Invalid("distinguished name attribute " + field + " is empty or too long");
    }
    if (X509_NAME_add_entry_by_txt(name.get(), field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      return Invalid("distinguished name attribute " + field + " is not valid");
    }
  }
  return name;
}

DistinguishedName FromName(const X509_NAME* name) {
  DistinguishedName out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(entry);
    std::string field;
    const int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef && OBJ_nid2sn(nid) != nullptr) {
      field = OBJ_nid2sn(nid);
    } else {
      char buf[128];
      const int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
      field = n > 0 && n < static_cast<int>(sizeof(buf)) ? std::string(buf, n) : "?";
    }
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    std::string value = len >= 0 ? std::string(reinterpret_cast<char*>(utf8), len) : "";
    OPENSSL_free(utf8);
    out.emplace_back(std::move(field), std::move(value));
  }
  return out;
}

std::string NameText(const X509_NAME* name) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return {};
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The PEM blocks of `text` with one of `labels`, each from its BEGIN line to the end of
// its END line; anything else in the text but whitespace makes it invalid.
Result<std::vector<std::string_view>> PemBlocks(std::string_view text,
                                                std::initializer_list<std::string_view> labels,
                                                const char* what) {
  std::vector<std::string_view> blocks;
  size_t at = 0;
  while (true) {
    const size_t begin = text.find("-----BEGIN ", at);
    if (!IsBlank(text.substr(at, begin == std::string_view::npos ? text.npos : begin - at))) {
      return Invalid(std::string(what) + " is not PEM: text outside its blocks");
    }
    if (begin == std::string_view::npos) break;
    bool found = false;
    for (std::string_view label : labels) {
      const std::string head = "-----BEGIN " + std::string(label) + "-----";
      const std::string tail = "-----END " + std::string(label) + "-----";
      if (text.compare(begin, head.size(), head) != 0) continue;
      const size_t end = text.find(tail, begin + head.size());
      if (end == std::string_view::npos) break;
      at = end + tail.size();
      blocks.push_back(text.substr(begin, at - begin));
      found = true;
      break;
    }
    if (!found) return Invalid(std::string(what) + " holds a PEM block of another kind");
  }
  if (blocks.empty()) return Invalid(std::string(what) + " is not PEM");
  return blocks;
}

std::string ToPem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<Ptr<X509>> ReadCertificate(std::string_view block) {
  Ptr<BIO> bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
  if (!bio) return Internal("BIO_new_mem_buf");
  Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Invalid("certificate does not parse");
  return cert;
}

// RFC 5280's key identifier, method 1: SHA-1 of the subjectPublicKey bits.
Result<Ptr<ASN1_OCTET_STRING>> KeyIdentifier(std::string_view public_key) {
  const unsigned char* p = Bytes(public_key);
  X509_PUBKEY* pub = d2i_X509_PUBKEY(nullptr, &p, static_cast<long>(public_key.size()));
  if (pub == nullptr) return Invalid("public key is not SubjectPublicKeyInfo DER");
  const unsigned char* bits = nullptr;
  int bits_len = 0;
  if (X509_PUBKEY_get0_param(nullptr, &bits, &bits_len, nullptr, pub) != 1) {
    X509_PUBKEY_free(pub);
    return Invalid("public key is not SubjectPublicKeyInfo DER");
  }
  std::array<unsigned char, SHA_DIGEST_LENGTH> id{};
  SHA1(bits, static_cast<size_t>(bits_len), id.data());
  X509_PUBKEY_free(pub);
  Ptr<ASN1_OCTET_STRING> out(ASN1_OCTET_STRING_new());
  if (!out || ASN1_OCTET_STRING_set(out.get(), id.data(), static_cast<int>(id.size())) != 1) {
    return Internal("key identifier");
  }
  return out;
}

Result<Ptr<GENERAL_NAMES>> Names(const std::vector<std::string>& values, int type) {
  Ptr<GENERAL_NAMES> names(GENERAL_NAMES_new());
  if (!names) return Internal("GENERAL_NAMES_new");
  for (const std::string& v : values) {
    if (v.empty() || v.size() > 4096) return Invalid("a subject alternative name is not valid");
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (text == nullptr || name == nullptr ||
        ASN1_STRING_set(text, v.data(), static_cast<int>(v.size())) != 1) {
      ASN1_IA5STRING_free(text);
      GENERAL_NAME_free(name);
      return Internal("GENERAL_NAME");
    }
    GENERAL_NAME_set0_value(name, type, text);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  return names;
}

std::vector<std::string> DnsNames(const GENERAL_NAMES* names) {
  std::vector<std::string> out;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    int type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
    if (type == GEN_DNS && value != nullptr) {
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                       static_cast<size_t>(ASN1_STRING_length(value)));
    }
  }
  return out;
}

Status AddExtension(X509* cert, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_REPLACE) != 1) {
    return Internal(std::string("extension ") + OBJ_nid2sn(nid));
  }
  return Status::Ok();
}

int64_t TimeOf(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

std::string_view CertSigningAlgorithmName(CertSigningAlgorithm alg) {
  switch (alg) {
    case CertSigningAlgorithm::kSha256WithRsa:
      return "SHA256WITHRSA";
    case CertSigningAlgorithm::kSha384WithRsa:
      return "SHA384WITHRSA";
    case CertSigningAlgorithm::kSha512WithRsa:
      return "SHA512WITHRSA";
    case CertSigningAlgorithm::kSha256WithEcdsa:
      return "SHA256WITHECDSA";
    case CertSigningAlgorithm::kSha384WithEcdsa:
      return "SHA384WITHECDSA";
    case CertSigningAlgorithm::kSha512WithEcdsa:
      return "SHA512WITHECDSA";
  }
  return "";
}

std::optional<CertSigningAlgorithm> CertSigningAlgorithmFromName(std::string_view name) {
  for (CertSigningAlgorithm alg :
       {CertSigningAlgorithm::kSha256WithRsa, CertSigningAlgorithm::kSha384WithRsa,
        CertSigningAlgorithm::kSha512WithRsa, CertSigningAlgorithm::kSha256WithEcdsa,
        CertSigningAlgorithm::kSha384WithEcdsa, CertSigningAlgorithm::kSha512WithEcdsa}) {
    if (CertSigningAlgorithmName(alg) == name) return alg;
  }
  return std::nullopt;
}

bool CertSigningAlgorithmFits(CertSigningAlgorithm alg, KeySpec key) {
  return IsRsa(alg) ? IsRsaKeySpec(key) : IsEccKeySpec(key);
}

std::string DistinguishedNameText(const DistinguishedName& name) {
  auto x = ToName(name);
  return x.ok() ? NameText(x->get()) : std::string();
}

Result<std::string> MakeCsr(const SecretBytes& private_key, const DistinguishedName& subject,
                            CertSigningAlgorithm alg) {
  ASSIGN_OR_RETURN(PkeyPtr key, LoadPrivateKey(private_key));
  if (EVP_PKEY_is_a(key.get(), IsRsa(alg) ? "RSA" : "EC") != 1) {
    return Invalid("the signing algorithm does not fit the key");
  }
  ASSIGN_OR_RETURN(Ptr<X509_NAME> name, ToName(subject));
  Ptr<X509_REQ> req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), DigestOf(alg)) <= 0) {
    return Internal("the CSR could not be signed");
  }
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) return Internal("CSR PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<CertificateRequest> ParseCsr(std::string_view pem) {
  if (pem.size() > kMaxCsrPem) return Invalid("CSR is larger than 64 KiB");
  ASSIGN_OR_RETURN(std::vector<std::string_view> blocks,
                   PemBlocks(pem, {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"}, "CSR"));
  if (blocks.size() != 1) return Invalid("CSR holds more than one PEM block");
  Ptr<BIO> bio(BIO_new_mem_buf(blocks[0].data(), static_cast<int>(blocks[0].size())));
  if (!bio) return Internal("BIO_new_mem_buf");
  Ptr<X509_REQ> req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return Invalid("CSR does not parse");
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || (EVP_PKEY_is_a(key, "RSA") != 1 && EVP_PKEY_is_a(key, "EC") != 1)) {
    return Invalid("CSR's key is neither an RSA nor an EC key");
  }
  if (X509_REQ_verify(req.get(), key) != 1) return Invalid("CSR's signature does not verify");
  CertificateRequest out;
  out.subject = FromName(X509_REQ_get_subject_name(req.get()));
  ASSIGN_OR_RETURN(out.public_key, PublicKeyDer(key));
  Ptr<STACK_OF(X509_EXTENSION)> exts(X509_REQ_get_extensions(req.get()));
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    if (!names) return Invalid("CSR's subjectAltName does not parse");
    out.dns_names = DnsNames(names.get());
  }
  ERR_clear_error();
  return out;
}

Result<std::string> IssueCertificate(const CertificateSpec& spec) {
  if (spec.issuer_private_key == nullptr) return Invalid("no issuer key");
  if (spec.serial.empty() || spec.serial.size() > 20 ||
      static_cast<unsigned char>(spec.serial[0]) >= 0x80) {
    return Invalid("serial must be 1-20 bytes and positive");
  }
  if (spec.not_after <= spec.not_before) return Invalid("validity ends before it begins");
  ASSIGN_OR_RETURN(PkeyPtr issuer_key, LoadPrivateKey(*spec.issuer_private_key));
  if (EVP_PKEY_is_a(issuer_key.get(), IsRsa(spec.algorithm) ? "RSA" : "EC") != 1) {
    return Invalid("the signing algorithm does not fit the issuer's key");
  }
  ASSIGN_OR_RETURN(PkeyPtr subject_key, LoadPublicKey(spec.public_key));
  ASSIGN_OR_RETURN(Ptr<X509_NAME> subject, ToName(spec.subject));
  ASSIGN_OR_RETURN(Ptr<X509_NAME> issuer, ToName(spec.issuer));
  Ptr<X509> cert(X509_new());
  Ptr<BIGNUM> serial_bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(spec.serial.data()),
                                  static_cast<int>(spec.serial.size()), nullptr));
  Ptr<ASN1_INTEGER> serial(serial_bn ? BN_to_ASN1_INTEGER(serial_bn.get(), nullptr) : nullptr);
  if (!cert || !serial || X509_set_version(cert.get(), 2) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer.get()) != 1 ||
      X509_set_pubkey(cert.get(), subject_key.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(spec.not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(spec.not_after)) ==
          nullptr) {
    return Internal("certificate fields");
  }
  if (spec.ca) {
    Ptr<BASIC_CONSTRAINTS> bc(BASIC_CONSTRAINTS_new());
    if (!bc) return Internal("BASIC_CONSTRAINTS_new");
    bc->ca = 1;
    if (spec.path_length >= 0) {
      bc->pathlen = ASN1_INTEGER_new();
      if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, spec.path_length) != 1) {
        return Internal("path length");
      }
    }
    RETURN_IF_ERROR(AddExtension(cert.get(), NID_basic_constraints, bc.get(), true));
  }
  if (spec.key_usage != 0) {
    Ptr<ASN1_BIT_STRING> bits(ASN1_BIT_STRING_new());
    if (!bits) return Internal("ASN1_BIT_STRING_new");
    for (int bit = 0; bit < 9; ++bit) {
      if ((spec.key_usage & (1u << bit)) != 0 && ASN1_BIT_STRING_set_bit(bits.get(), bit, 1) != 1) {
        return Internal("key usage");
      }
    }
    RETURN_IF_ERROR(AddExtension(cert.get(), NID_key_usage, bits.get(), true));
  }
  if (!spec.extended_key_usage.empty()) {
    Ptr<EXTENDED_KEY_USAGE> eku(sk_ASN1_OBJECT_new_null());
    if (!eku) return Internal("EXTENDED_KEY_USAGE");
    for (const std::string& usage : spec.extended_key_usage) {
      ASN1_OBJECT* obj = OBJ_txt2obj(usage.c_str(), 0);
      if (obj == nullptr) return Invalid("extended key usage " + usage + " is not valid");
      sk_ASN1_OBJECT_push(eku.get(), obj);
    }
    RETURN_IF_ERROR(AddExtension(cert.get(), NID_ext_key_usage, eku.get(), false));
  }
  if (!spec.dns_names.empty()) {
    ASSIGN_OR_RETURN(Ptr<GENERAL_NAMES> names, Names(spec.dns_names, GEN_DNS));
    RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_alt_name, names.get(), false));
  }
  ASSIGN_OR_RETURN(Ptr<ASN1_OCTET_STRING> ski, KeyIdentifier(spec.public_key));
  RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_key_identifier, ski.get(), false));
  {
    ASSIGN_OR_RETURN(Ptr<ASN1_OCTET_STRING> aki_id, KeyIdentifier(spec.issuer_public_key));
    Ptr<AUTHORITY_KEYID> aki(AUTHORITY_KEYID_new());
    if (!aki) return Internal("AUTHORITY_KEYID_new");
    aki->keyid = aki_id.release();
    RETURN_IF_ERROR(AddExtension(cert.get(), NID_authority_key_identifier, aki.get(), false));
  }
  if (!spec.crl_url.empty()) {
    ASSIGN_OR_RETURN(Ptr<GENERAL_NAMES> uri, Names({spec.crl_url}, GEN_URI));
    Ptr<CRL_DIST_POINTS> points(sk_DIST_POINT_new_null());
    DIST_POINT* point = DIST_POINT_new();
    if (!points || point == nullptr) {
      DIST_POINT_free(point);
      return Internal("CRL distribution point");
    }
    point->distpoint = DIST_POINT_NAME_new();
    if (point->distpoint == nullptr) {
      DIST_POINT_free(point);
      return Internal("CRL distribution point");
    }
    point->distpoint->type = 0;  // fullName
    point->distpoint->name.fullname = uri.release();
    sk_DIST_POINT_push(points.get(), point);
    RETURN_IF_ERROR(AddExtension(cert.get(), NID_crl_distribution_points, points.get(), false));
  }
  if (X509_sign(cert.get(), issuer_key.get(), DigestOf(spec.algorithm)) <= 0) {
    return Internal("the certificate could not be signed");
  }
  std::string pem = ToPem(cert.get());
  if (pem.empty()) return Internal("certificate PEM");
  return pem;
}

Result<Certificate> ParseCertificate(std::string_view pem) {
  if (pem.size() > kMaxCertificatePem) return Invalid("certificate is larger than 64 KiB");
  ASSIGN_OR_RETURN(std::vector<std::string_view> blocks,
                   PemBlocks(pem, {"CERTIFICATE"}, "certificate"));
  if (blocks.size() != 1) return Invalid("more than one certificate");
  ASSIGN_OR_RETURN(Ptr<X509> cert, ReadCertificate(blocks[0]));
  Certificate out;
  out.subject = FromName(X509_get_subject_name(cert.get()));
  out.issuer = FromName(X509_get_issuer_name(cert.get()));
  Ptr<BIGNUM> serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial) {
    char* hex = BN_bn2hex(serial.get());
    std::string digits = hex != nullptr ? hex : "";
    OPENSSL_free(hex);
    if (digits.size() % 2 == 1) digits.insert(digits.begin(), '0');
    for (size_t i = 0; i < digits.size(); i += 2) {
      if (i > 0) out.serial_hex.push_back(':');
      out.serial_hex.push_back(static_cast<char>(std::tolower(digits[i])));
      out.serial_hex.push_back(static_cast<char>(std::tolower(digits[i + 1])));
    }
  }
  out.not_before = TimeOf(X509_get0_notBefore(cert.get()));
  out.not_after = TimeOf(X509_get0_notAfter(cert.get()));
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) return Invalid("certificate's public key does not parse");
  ASSIGN_OR_RETURN(out.public_key, PublicKeyDer(key));
  auto spec = KeySpecOfPublicKey(out.public_key);
  if (!spec.ok()) return Invalid("certificate's key is not one of the supported key types");
  out.key_spec = *spec;
  out.ca = (X509_get_extension_flags(cert.get()) & EXFLAG_CA) != 0;
  out.path_length = out.ca ? static_cast<int>(X509_get_pathlen(cert.get())) : -1;
  out.self_signed = X509_self_signed(cert.get(), 1) == 1;
  Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  out.dns_names = DnsNames(names.get());
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert.get(), &der);
  if (n <= 0) return Internal("certificate DER");
  out.der.assign(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  ERR_clear_error();
  return out;
}

Result<std::vector<std::string>> SplitCertificateChain(std::string_view pem) {
  if (pem.size() > kMaxChainPem) return Invalid("certificate chain is larger than 2 MiB");
  ASSIGN_OR_RETURN(std::vector<std::string_view> blocks,
                   PemBlocks(pem, {"CERTIFICATE"}, "certificate chain"));
  std::vector<std::string> out;
  for (std::string_view block : blocks) {
    ASSIGN_OR_RETURN(Ptr<X509> cert, ReadCertificate(block));
    out.emplace_back(ToPem(cert.get()));
  }
  return out;
}

Result<std::string> MakeCrl(const CrlSpec& spec) {
  if (spec.issuer_private_key == nullptr) return Invalid("no issuer key");
  if (spec.next_update <= spec.this_update) return Invalid("the CRL expires before it begins");
  ASSIGN_OR_RETURN(PkeyPtr key, LoadPrivateKey(*spec.issuer_private_key));
  if (EVP_PKEY_is_a(key.get(), IsRsa(spec.algorithm) ? "RSA" : "EC") != 1) {
    return Invalid("the signing algorithm does not fit the issuer's key");
  }
  ASSIGN_OR_RETURN(Ptr<X509_NAME> issuer, ToName(spec.issuer));
  Ptr<X509_CRL> crl(X509_CRL_new());
  Ptr<ASN1_TIME> this_update(ASN1_TIME_set(nullptr, static_cast<time_t>(spec.this_update)));
  Ptr<ASN1_TIME> next_update(ASN1_TIME_set(nullptr, static_cast<time_t>(spec.next_update)));
  if (!crl || !this_update || !next_update || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), issuer.get()) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    return Internal("CRL fields");
  }
  for (const RevokedCertificate& r : spec.revoked) {
    if (r.serial.empty() || r.serial.size() > 20 || r.reason < 0 || r.reason > 10 ||
        r.reason == 7) {
      return Invalid("a revoked serial or reason is not valid");
    }
    Ptr<X509_REVOKED> entry(X509_REVOKED_new());
    Ptr<BIGNUM> bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(r.serial.data()),
                             static_cast<int>(r.serial.size()), nullptr));
    Ptr<ASN1_STRING> serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    Ptr<ASN1_TIME> when(ASN1_TIME_set(nullptr, static_cast<time_t>(r.revoked_at)));
    Ptr<ASN1_ENUMERATED> reason(ASN1_ENUMERATED_new());
    if (!entry || !serial || !when || !reason ||
        X509_REVOKED_set_serialNumber(entry.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(entry.get(), when.get()) != 1 ||
        ASN1_ENUMERATED_set(reason.get(), r.reason) != 1 ||
        X509_REVOKED_add1_ext_i2d(entry.get(), NID_crl_reason, reason.get(), 0, 0) != 1 ||
        X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
      return Internal("CRL entry");
    }
    entry.release();  // the CRL owns it now
  }
  ASSIGN_OR_RETURN(Ptr<ASN1_OCTET_STRING> aki_id, KeyIdentifier(spec.issuer_public_key));
  Ptr<AUTHORITY_KEYID> aki(AUTHORITY_KEYID_new());
  Ptr<ASN1_STRING> number(ASN1_INTEGER_new());
  if (!aki || !number || ASN1_INTEGER_set_uint64(number.get(), spec.number) != 1) {
    return Internal("CRL extensions");
  }
  aki->keyid = aki_id.release();
  if (X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, aki.get(), 0, 0) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1 ||
      X509_CRL_sort(crl.get()) != 1 ||
      X509_CRL_sign(crl.get(), key.get(), DigestOf(spec.algorithm)) <= 0) {
    return Internal("the CRL could not be signed");
  }
  unsigned char* der = nullptr;
  const int n = i2d_X509_CRL(crl.get(), &der);
  if (n <= 0) return Internal("CRL DER");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

Status VerifyCertificateChain(std::string_view leaf, std::string_view intermediates,
                              std::string_view root, int64_t at) {
  if (leaf.size() > kMaxCertificatePem || root.size() > kMaxCertificatePem ||
      intermediates.size() > kMaxChainPem) {
    return Invalid("certificate or chain too large");
  }
  ASSIGN_OR_RETURN(std::vector<std::string_view> leaf_blocks,
                   PemBlocks(leaf, {"CERTIFICATE"}, "certificate"));
  ASSIGN_OR_RETURN(std::vector<std::string_view> root_blocks,
                   PemBlocks(root, {"CERTIFICATE"}, "root certificate"));
  if (leaf_blocks.size() != 1 || root_blocks.size() != 1) {
    return Invalid("one certificate and one root, please");
  }
  ASSIGN_OR_RETURN(Ptr<X509> leaf_cert, ReadCertificate(leaf_blocks[0]));
  ASSIGN_OR_RETURN(Ptr<X509> root_cert, ReadCertificate(root_blocks[0]));
  if (X509_self_signed(root_cert.get(), 1) != 1) return Invalid("root is not self-signed");
  Ptr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  if (!untrusted) return Internal("sk_X509_new_null");
  if (!IsBlank(intermediates)) {
    ASSIGN_OR_RETURN(std::vector<std::string_view> blocks,
                     PemBlocks(intermediates, {"CERTIFICATE"}, "certificate chain"));
    for (std::string_view block : blocks) {
      ASSIGN_OR_RETURN(Ptr<X509> cert, ReadCertificate(block));
      sk_X509_push(untrusted.get(), cert.release());
    }
  }
  Ptr<X509_STORE> store(X509_STORE_new());
  Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), root_cert.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf_cert.get(), untrusted.get()) != 1) {
    return Internal("certificate store");
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(at));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    return Invalid(std::string("certificate chain does not verify: ") +
                   X509_verify_cert_error_string(error));
  }
  ERR_clear_error();
  return Status::Ok();
}

}  // namespace bulwark::crypto
