// A trail's event selectors: PutEventSelectors' checks of basic and advanced selectors,
// and which events they select. Every event Bulwark records is a management event: data
// selectors (S3 objects, Lambda functions, DynamoDB tables) are accepted and select none.
#pragma once

#include <functional>

#include "core/status.h"
#include "services/cloudtrail/event_log.h"
#include "services/service.h"

namespace bulwark::cloudtrail {

// InvalidEventSelectorsException for what AWS refuses.
Status CheckEventSelectors(const Json& selectors);
Status CheckAdvancedEventSelectors(const Json& selectors);
// Basic selectors with AWS's defaults filled in (ReadWriteType All,
// IncludeManagementEvents true, empty DataResources and ExcludeManagementEventSources).
Json NormalizedEventSelectors(const Json& selectors);
// What a trail has without PutEventSelectors: every management event.
Json DefaultEventSelectors();

// Whether `trail`'s selectors take the event. `record` gives the event's parsed record,
// for the fields the index does not hold (userIdentity.arn, errorCode).
bool SelectsEvent(const Json& trail, const EventView& event,
                  const std::function<const Json&()>& record);

}  // namespace bulwark::cloudtrail
