// The session register (/sessions/ID/register): a group's roster as one form marking every
// attendee.
#include "daemon/web/web_app.h"

namespace holdfast::web {

std::vector<Page> RegisterPages() { return {}; }

}  // namespace holdfast::web
