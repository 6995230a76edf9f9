// X.509 for ACM Private CA and ACM: certificate signing requests, certificates issued
// from a specification (the templates' extensions are the caller's), parsing, and chain
// verification. Certificates and CSRs travel as PEM, keys as in asymmetric.h (PKCS#8 DER
// in SecretBytes, SubjectPublicKeyInfo DER).
//
// Error kinds: kValidation for anything the caller passed (a PEM that does not parse, a
// CSR whose signature does not verify, a chain that does not verify); kInternalFailure
// when OpenSSL fails on valid input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/secret.h"
#include "core/status.h"
#include "crypto/asymmetric.h"

namespace bulwark::crypto {

// ACM Private CA's SigningAlgorithm values.
enum class CertSigningAlgorithm {
  kSha256WithRsa,
  kSha384WithRsa,
  kSha512WithRsa,
  kSha256WithEcdsa,
  kSha384WithEcdsa,
  kSha512WithEcdsa,
};
std::string_view CertSigningAlgorithmName(CertSigningAlgorithm alg);  // "SHA256WITHRSA"...
std::optional<CertSigningAlgorithm> CertSigningAlgorithmFromName(std::string_view name);
// RSA algorithms need an RSA key, ECDSA ones an EC key.
bool CertSigningAlgorithmFits(CertSigningAlgorithm alg, KeySpec key);

// A distinguished name: its attributes in order, each a short name OpenSSL knows (C, ST,
// L, O, OU, CN, serialNumber, title, SN, GN, initials, pseudonym, generationQualifier,
// dnQualifier) or a dotted OID, with a UTF-8 value.
using DistinguishedName = std::vector<std::pair<std::string, std::string>>;
// As OpenSSL prints it in RFC 2253 order and escaping ("CN=a,O=b").
std::string DistinguishedNameText(const DistinguishedName& name);

// Largest PEM input taken: a CSR, a certificate, a chain (ACM's limit for a chain).
inline constexpr size_t kMaxCsrPem = 64 * 1024;
inline constexpr size_t kMaxCertificatePem = 64 * 1024;
inline constexpr size_t kMaxChainPem = 2 * 1024 * 1024;

// A PEM CSR for `subject`, signed with the PKCS#8 key.
Result<std::string> MakeCsr(const SecretBytes& private_key, const DistinguishedName& subject,
                            CertSigningAlgorithm alg);

struct CertificateRequest {
  DistinguishedName subject;
  std::string public_key;              // SubjectPublicKeyInfo DER
  std::vector<std::string> dns_names;  // from a requested subjectAltName
};
// One PEM CSR ("CERTIFICATE REQUEST"), its self-signature verified. RSA and EC keys
// only.
Result<CertificateRequest> ParseCsr(std::string_view pem);

// RFC 5280's keyUsage bits.
enum KeyUsage : uint32_t {
  kDigitalSignature = 1u << 0,
  kNonRepudiation = 1u << 1,
  kKeyEncipherment = 1u << 2,
  kDataEncipherment = 1u << 3,
  kKeyAgreement = 1u << 4,
  kKeyCertSign = 1u << 5,
  kCrlSign = 1u << 6,
  kEncipherOnly = 1u << 7,
  kDecipherOnly = 1u << 8,
};

struct CertificateSpec {
  DistinguishedName subject;
  std::string public_key;  // SubjectPublicKeyInfo DER of the subject's key
  DistinguishedName issuer;
  // The issuer's key signs; its public key gives the authorityKeyIdentifier. For a
  // self-signed certificate, the subject's own.
  const SecretBytes* issuer_private_key = nullptr;
  std::string issuer_public_key;
  std::string serial;                     // big-endian bytes, 1-20 of them, the first below 0x80
  int64_t not_before = 0, not_after = 0;  // Unix seconds
  CertSigningAlgorithm algorithm = CertSigningAlgorithm::kSha256WithRsa;
  bool ca = false;                              // basicConstraints CA:TRUE (critical)
  int path_length = -1;                         // with ca: pathLenConstraint, -1 for none
  uint32_t key_usage = 0;                       // KeyUsage bits (critical); 0: no extension
  std::vector<std::string> extended_key_usage;  // OIDs or serverAuth, clientAuth...
  std::vector<std::string> dns_names;           // subjectAltName dNSName entries
  std::string crl_url;                          // cRLDistributionPoints, if any
};
// The certificate, X.509 v3 with subjectKeyIdentifier and authorityKeyIdentifier, as PEM.
Result<std::string> IssueCertificate(const CertificateSpec& spec);

struct Certificate {
  DistinguishedName subject, issuer;
  std::string serial_hex;  // lowercase, colon-separated pairs as AWS shows serials
  int64_t not_before = 0, not_after = 0;
  std::string public_key;  // SubjectPublicKeyInfo DER
  KeySpec key_spec = KeySpec::kRsa2048;
  bool ca = false;
  int path_length = -1;
  bool self_signed = false;  // issuer equals subject and the signature verifies by itself
  std::vector<std::string> dns_names;
  std::string der;
};
// One PEM certificate (nothing else in the text but surrounding whitespace).
Result<Certificate> ParseCertificate(std::string_view pem);
// The certificates of a PEM chain, in order, each as its own PEM text; kValidation when
// any block is not a certificate or the chain is empty.
Result<std::vector<std::string>> SplitCertificateChain(std::string_view pem);

// A certificate revocation list (RFC 5280 v2), DER: the issuer's, numbered, valid from
// this_update to next_update, listing each revoked serial with its time and reason
// (CRLReason code: 0 unspecified, 1 keyCompromise, 2 cACompromise, 3 affiliationChanged,
// 4 superseded, 5 cessationOfOperation, 9 privilegeWithdrawn, 10 aACompromise), with the
// authorityKeyIdentifier and cRLNumber extensions.
struct RevokedCertificate {
  std::string serial;  // big-endian bytes
  int64_t revoked_at = 0;
  int reason = 0;
};
struct CrlSpec {
  DistinguishedName issuer;
  const SecretBytes* issuer_private_key = nullptr;
  std::string issuer_public_key;  // SubjectPublicKeyInfo DER
  CertSigningAlgorithm algorithm = CertSigningAlgorithm::kSha256WithRsa;
  uint64_t number = 1;
  int64_t this_update = 0, next_update = 0;
  std::vector<RevokedCertificate> revoked;
};
Result<std::string> MakeCrl(const CrlSpec& spec);

// OK when `leaf` chains through `intermediates` (PEM, any order) to `root` (PEM, a
// self-signed CA certificate) at time `at`; kValidation with OpenSSL's reason otherwise.
Status VerifyCertificateChain(std::string_view leaf, std::string_view intermediates,
                              std::string_view root, int64_t at);

}  // namespace bulwark::crypto
