// Operator pages (/operator/...): sync status per peer, users, hooks and an audit search.
#include "daemon/web/web_app.h"

namespace holdfast::web {

std::vector<Page> OperatorPages() { return {}; }

}  // namespace holdfast::web
