// A case's forms (/cases/ID/...): record attendance, a breach, a risk change, a closure and a
// void, each refusal of the checks at entry shown in the form.
#include "daemon/web/web_app.h"

namespace holdfast::web {

std::vector<Page> CaseFormPages() { return {}; }

}  // namespace holdfast::web
