// Cases: the list with search and filters (/cases), a case (/cases/ID) with its forms, and a
// subject (/subjects/ID).
#include "daemon/web/web_app.h"

namespace holdfast::web {

std::vector<Page> CasePages() { return {}; }

}  // namespace holdfast::web
