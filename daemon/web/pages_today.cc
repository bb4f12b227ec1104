// Today (/): the signed-in person's open and assigned alerts, cases with recent absences, and
// sessions to register. Roles without case data go to their own first page.
#include "daemon/web/web_app.h"

namespace holdfast::web {
namespace {

WebReply Today(WebContext& ctx) {
  if (!HasRight(ctx.session.role, Right::kReadCases)) {
    return ctx.Redirect(HasRight(ctx.session.role, Right::kReports) ? "/indicators" : "/operator");
  }
  Html h;
  h.Element("h1", " class=\"govuk-heading-l\"", "Today");
  return ctx.Page("Today", h.str());
}

}  // namespace

std::vector<Page> TodayPages() { return {{"GET", "/", Right::kAnyRole, "today", Today}}; }

}  // namespace holdfast::web
