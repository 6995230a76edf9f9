// Small file-system helpers the layers share.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace bulwark {

// Writes `data` to `path` so that a crash leaves either the old file or the new one:
// to PATH.tmp (mode 0600), fsync'd, renamed over `path`, the directory fsync'd. With
// `create_parents`, missing parent directories are made (mode 0700).
Status WriteFileAtomically(const std::string& path, std::string_view data,
                           bool create_parents = false);

}  // namespace bulwark
