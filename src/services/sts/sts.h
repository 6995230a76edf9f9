// AWS Security Token Service.
#pragma once

#include "services/service.h"

namespace bulwark::sts {

const ServiceSpec& Service();

}  // namespace bulwark::sts
