// AWS Private CA's operation handlers (authorities.cc, certificates.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::acmpca {

// authorities.cc
Result<Json> CreateCertificateAuthority(RequestContext& ctx, const Json& input);
Result<Json> DescribeCertificateAuthority(RequestContext& ctx, const Json& input);
Result<Json> ListCertificateAuthorities(RequestContext& ctx, const Json& input);
Result<Json> GetCertificateAuthorityCsr(RequestContext& ctx, const Json& input);
Result<Json> ImportCertificateAuthorityCertificate(RequestContext& ctx, const Json& input);
Result<Json> GetCertificateAuthorityCertificate(RequestContext& ctx, const Json& input);
Result<Json> UpdateCertificateAuthority(RequestContext& ctx, const Json& input);
Result<Json> DeleteCertificateAuthority(RequestContext& ctx, const Json& input);
Result<Json> RestoreCertificateAuthority(RequestContext& ctx, const Json& input);
Result<Json> TagCertificateAuthority(RequestContext& ctx, const Json& input);
Result<Json> UntagCertificateAuthority(RequestContext& ctx, const Json& input);
Result<Json> ListTags(RequestContext& ctx, const Json& input);
// certificates.cc
Result<Json> IssueCertificate(RequestContext& ctx, const Json& input);
Result<Json> GetCertificate(RequestContext& ctx, const Json& input);
// crl.cc
Result<Json> RevokeCertificate(RequestContext& ctx, const Json& input);
// A RevocationConfiguration Bulwark can carry out: CRLs (complete, to a valid bucket
// name and path), no OCSP; InvalidArgsException otherwise.
Status CheckRevocationConfiguration(const Json& input);
// The CRL distribution point for the CA's certificates ("" when none).
std::string CrlUrl(const ServiceEnvironment& env, const Json& ca);
// Writes the CA's CRL (when it has a CRL configuration and a certificate) and notes its
// number and time in `ca`.
Status PublishCrl(const ServiceEnvironment& env, storage::Transaction& txn,
                  std::string_view material_key, Json& ca, int64_t now);
// Whether the CA's CRL is due again (half its validity gone).
bool CrlDue(const Json& ca, int64_t now);

// operations.cc: republishes CRLs that are due; destroys the CAs whose restore window
// has ended, with their key material and every certificate they issued.
Status Maintain(ServiceEnvironment& env);

// Shared by the files.
Status Error(std::string code, std::string message);
// The CA's id from its ARN (of the caller's account and Region), or InvalidArnException.
Result<std::string> CaIdOf(const RequestContext& ctx, std::string_view arn);
std::string CaKey(const RequestContext& ctx, std::string_view id);
std::string CaKeyMaterialKey(const RequestContext& ctx, std::string_view id);
std::string CertKey(const RequestContext& ctx, std::string_view id, std::string_view serial);
// The CA record an ARN names, or ResourceNotFoundException (a CA whose restore window
// has ended is gone).
Result<Json> LoadCa(storage::Transaction& txn, const RequestContext& ctx, std::string_view arn);
// The CA's certificate followed by its chain (PEM), as GetCertificate's chain.
std::string CaChain(const Json& ca);

}  // namespace bulwark::acmpca
