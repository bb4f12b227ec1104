// Alerts: the inbox (/alerts) with filters and acknowledging several at once, and an alert
// (/alerts/ID).
#include "daemon/web/web_app.h"

namespace holdfast::web {

std::vector<Page> AlertPages() { return {}; }

}  // namespace holdfast::web
