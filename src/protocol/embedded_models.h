// The service models compiled into the binary (see CMakeLists.txt and models/).
#pragma once

#include <span>
#include <string_view>

namespace bulwark::protocol {

struct EmbeddedModel {
  const char* name;   // file stem, e.g. "kms", "acm-pca"
  const char* begin;  // JSON text
  const char* end;
  std::string_view text() const { return {begin, static_cast<size_t>(end - begin)}; }
};

std::span<const EmbeddedModel> EmbeddedModels();

}  // namespace bulwark::protocol
