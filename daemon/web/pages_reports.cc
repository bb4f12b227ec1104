// Reports: indicators (/indicators) with charts, data tables and CSV, and the quality report
// (/quality).
#include "daemon/web/web_app.h"

namespace holdfast::web {

std::vector<Page> ReportPages() { return {}; }

}  // namespace holdfast::web
