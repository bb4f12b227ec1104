// The alert feed's JSON (SPEC "Alerts reach people"): one object per change of an alert, the
// same bytes wherever a change is told: the SSE feed's `data:`, a web hook's body, an exec
// hook's stdin and `alerts watch --format json`. docs/alert-feed.md documents each field.
#pragma once

#include <string>

#include "daemon/api.capnp.h"

namespace holdfast {

// One line, no newline:
//   {"cursor":42,"change":"raised","event":"<uuid>","alert":{"id":"<uuid>","rule":"breach",
//    "severity":"high","status":"open","case":"C-1","subject":"P-1","intervention":"",
//    "raised_at":"2026-03-04T18:00:00Z","trigger":"<uuid>","reason":"...",
//    "acknowledged":{"at":"...","by":"u-1","note":"..."} | null,
//    "resolved":{"at":"...","by":"u-1","action":"..."} | null,
//    "assigned":{"to":"u-2","by":"u-1","at":"...","note":"..."} | null,
//    "withdraw_reason":"..."}}
// A free-text field the reader may not see (api AlertInfo: unset) is absent.
std::string FeedItemJson(api::FeedItem::Reader item);

}  // namespace holdfast
