// Today (/): the signed-in person's open and assigned alerts, cases with recent absences, and
// sessions to register. Roles without case data go to their own first page. Every section
// is what the request table gives this person (their role's read scope). docs/web-register.md.
#include <chrono>
#include <map>
#include <set>

#include "daemon/web/web_app.h"

namespace holdfast::web {
namespace {

// "Recent" absences: the non-engagement alerts raised in the last this many days.
constexpr int kRecentDays = 14;
// The open alerts Today lists (the inbox, /alerts, has them all).
constexpr uint32_t kOpenShown = 20;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Alerts {
  Status status;
  std::vector<api::AlertInfo::Reader> items;
  bool more = false;  // a limit cut the listing short
  Answer answer;      // owns what items read
};

// One listAlerts request, its pages gathered.
void ListAlerts(const WebContext& ctx, Alerts* out,
                const std::function<void(api::ListAlerts::Builder)>& build) {
  out->answer = ctx.Ask([&](api::Request::Builder r) { build(r.initListAlerts()); });
  out->status = out->answer.status();
  if (!out->status.ok()) return;
  auto take = [&](api::Response::Reader response) {
    if (!response.isPage()) return;
    auto page = response.getPage();
    if (!page.isAlerts()) return;
    for (auto a : page.getAlerts()) out->items.push_back(a);
    if (page.getLast() && page.getNext().size() != 0) out->more = true;
  };
  for (auto frame : out->answer.frames()) take(frame);
  take(out->answer.response());
}

std::string SeverityTag(std::string_view severity) {
  return Tag(severity, severity == "high" ? "red" : severity == "medium" ? "orange" : "grey");
}

std::string StatusTag(std::string_view status) {
  return Tag(status, status == "open" ? "blue" : status == "acknowledged" ? "yellow" : "grey");
}

std::string RuleText(std::string rule) {
  for (char& c : rule) {
    if (c == '_') c = ' ';
  }
  if (!rule.empty()) rule[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(rule[0])));
  return rule;
}

std::string AlertTable(const WebContext& ctx, std::string_view caption,
                       const std::vector<api::AlertInfo::Reader>& alerts) {
  std::vector<std::vector<std::string>> rows;
  for (auto a : alerts) {
    const std::string id = a.getAlert();
    const std::string case_id = a.getCaseId();
    rows.push_back({Link("/alerts/" + id, RuleText(a.getRule()) + " " + id.substr(0, 8)),
                    Link("/cases/" + case_id, case_id), SeverityTag(a.getSeverity().cStr()),
                    Escape(ctx.Time(a.getRaisedAt())), StatusTag(a.getStatus().cStr()),
                    Escape(a.getAssignedTo().size() ? a.getAssignedTo().cStr() : "—")});
  }
  return Table(caption, {"Alert", "Case", "Severity", "Raised", "Status", "Assigned to"}, rows);
}

void Section(Html& h, std::string_view heading, std::string_view id) {
  h.Raw("<h2 class=\"govuk-heading-m\"").Raw(Attr("id", id)).Raw(">").Text(heading).Raw("</h2>");
}

void Nothing(Html& h, std::string_view text) {
  h.Element("p", " class=\"govuk-body hf-nothing\"", text);
}

WebReply Today(WebContext& ctx) {
  if (!HasRight(ctx.session.role, Right::kReadCases)) {
    return ctx.Redirect(HasRight(ctx.session.role, Right::kReports) ? "/indicators" : "/operator");
  }
  const int64_t now = NowNanos();
  Html h;
  h.Element("h1", " class=\"govuk-heading-l\"", "Today");

  // Assigned to this person, still to be dealt with (open or acknowledged).
  Alerts mine;
  ListAlerts(ctx, &mine, [](api::ListAlerts::Builder l) {
    l.setStatus("all");
    l.setMine(true);
  });
  if (!mine.status.ok()) return ctx.Refused(mine.status);
  std::vector<api::AlertInfo::Reader> assigned;
  for (auto a : mine.items) {
    if (a.getStatus() == "open" || a.getStatus() == "acknowledged") assigned.push_back(a);
  }
  Section(h, "Alerts assigned to you", "assigned");
  if (assigned.empty()) {
    Nothing(h, "Nothing to do: no open alert is assigned to you.");
  } else {
    h.Raw(AlertTable(ctx, "", assigned));
  }

  Alerts open;
  ListAlerts(ctx, &open, [](api::ListAlerts::Builder l) {
    l.setStatus("open");
    l.setLimit(kOpenShown);
  });
  if (!open.status.ok()) return ctx.Refused(open.status);
  Section(h, "Open alerts", "open");
  if (open.items.empty()) {
    Nothing(h, "Nothing to do: no alert you can see is open.");
  } else {
    h.Element("p", " class=\"govuk-hint\"", "Longest waiting first.");
    h.Raw(AlertTable(ctx, "", open.items));
    h.Raw("<p class=\"govuk-body\">")
        .Raw(Link("/alerts?status=open",
                  open.more ? "See all open alerts" : "Open the alerts inbox"))
        .Raw("</p>");
  }

  // Recent absences, from the alerts: a case whose absences raised a non-engagement alert
  // in the last kRecentDays days (one request, whatever the caseload; docs/web-register.md).
  Alerts absences;
  ListAlerts(ctx, &absences, [&](api::ListAlerts::Builder l) {
    l.setStatus("all");
    l.setRule("non_engagement");
    l.setHasSince(true);
    l.setSince(now - int64_t{kRecentDays} * 24 * 3600 * 1'000'000'000);
  });
  if (!absences.status.ok()) return ctx.Refused(absences.status);
  struct CaseRow {
    std::string subject;
    int64_t latest = 0;
    int alerts = 0;
    bool open = false;
  };
  std::map<std::string, CaseRow> cases;
  for (auto a : absences.items) {
    if (a.getStatus() == "withdrawn") continue;  // the absences behind it were put right
    CaseRow& c = cases[a.getCaseId()];
    c.subject = a.getSubject();
    c.latest = std::max(c.latest, a.getRaisedAt());
    ++c.alerts;
    c.open = c.open || a.getStatus() == "open";
  }
  Section(h, "Cases with recent absences", "absences");
  h.Element("p", " class=\"govuk-hint\"",
            "Cases whose absences raised a non-engagement alert in the last " +
                std::to_string(kRecentDays) + " days.");
  if (cases.empty()) {
    Nothing(h, "Nothing to do: no case has had a non-engagement alert in the last " +
                   std::to_string(kRecentDays) + " days.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [id, c] : cases) {
      rows.push_back({Link("/cases/" + id, id), Escape(c.subject), Escape(ctx.Time(c.latest)),
                      std::to_string(c.alerts),
                      c.open ? Tag("open", "blue") : Tag("dealt with", "grey")});
    }
    h.Raw(Table("", {"Case", "Subject", "Latest alert", "#Alerts", "Alert status"}, rows));
  }

  if (ctx.session.role == schema::Role::FACILITATOR) {
    Section(h, "Sessions to register", "sessions");
    h.Element("p", " class=\"govuk-body\"",
              "Mark a group's session: name the group and the register lists everyone whose "
              "intervention in it is running.");
    Html form;
    Field group("group", "Group", "");
    group.hint = "For example, grpA";
    group.width = "govuk-input--width-10";
    form.Raw(TextInput(group));
    form.Raw(Button("Start a register", "secondary"));
    h.Raw(GetForm("/sessions/new", form.str()));
  }
  return ctx.Page("Today", h.str());
}

}  // namespace

std::vector<Page> TodayPages() { return {{"GET", "/", Right::kAnyRole, "today", Today}}; }

}  // namespace holdfast::web
