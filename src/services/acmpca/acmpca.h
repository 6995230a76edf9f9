// AWS Private Certificate Authority (awsJson 1.1, target prefix ACMPrivateCA).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "services/service.h"

namespace bulwark::acmpca {

const ServiceSpec& Service();

// A published CRL's bytes, by BUCKET/KEY (as served at /_bulwark/pca-crl/BUCKET/KEY);
// nullopt when the path is not one a CA publishes to or holds no file.
std::optional<std::string> ReadPublishedCrl(const ServiceEnvironment& env,
                                            std::string_view object_path);

}  // namespace bulwark::acmpca
