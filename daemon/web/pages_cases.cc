// Cases: the list with search and filters (/cases), a case (/cases/ID) with links to its
// forms (daemon/web/pages_case_forms.cc), and a subject (/subjects/ID). docs/web-casepages.md.
//
// Every page reads through the request table as the signed-in person (listCases, caseShow,
// subjectShow): what a role may not see is left out by the daemon, which says what in the
// view's `withheld`; these pages only lay it out.
#include <capnp/schema.h>

#include <algorithm>
#include <cctype>

#include "daemon/web/web_app.h"
#include "eventstore/event.h"
#include "eventstore/ids.h"
#include "eventstore/validate.h"

namespace holdfast::web {
namespace {

using W = schema::Event::Which;

// --- Words for the data -------------------------------------------------------------------

// "community_order" -> "Community order"; "" stays "".
std::string Words(std::string_view name) {
  if (name == "dvpo") return "DVPO";
  if (name == "marac") return "MARAC";
  std::string out(name);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

template <typename E>
std::string NameOf(E value) {
  auto e = capnp::Schema::from<E>().getEnumerants();
  const auto i = static_cast<unsigned>(value);
  return i < e.size() ? JsonNameOf(e[i]) : "unknown";
}

std::string RiskTag(std::string_view risk, bool marac = false) {
  const std::string_view colour = risk == "very_high" ? "red"
                                  : risk == "high"    ? "orange"
                                  : risk == "medium"  ? "yellow"
                                                      : "grey";
  std::string out = Tag(Words(risk), colour);
  if (marac) out += " " + Tag("MARAC", "purple");
  return out;
}

std::string CaseStatusTag(bool closed) {
  return closed ? Tag("Closed", "grey") : Tag("Open", "blue");
}

std::string InterventionStateTag(std::string_view state) {
  const std::string_view colour = state == "completed"  ? "green"
                                  : state == "exited"   ? "red"
                                  : state == "started"  ? "blue"
                                  : state == "referred" ? "light-blue"
                                                        : "grey";
  return Tag(Words(state), colour);
}

std::string SeverityTag(std::string_view severity) {
  const std::string_view colour = severity == "high"     ? "red"
                                  : severity == "medium" ? "orange"
                                                         : "grey";
  return Tag(Words(severity), colour);
}

std::string AlertStatusTag(std::string_view status) {
  const std::string_view colour = status == "open"           ? "red"
                                  : status == "acknowledged" ? "yellow"
                                  : status == "resolved"     ? "green"
                                                             : "grey";
  return Tag(Words(status), colour);
}

std::string Escaped(std::string_view text) { return Escape(text); }

// What a timeline entry's type is, in words.
std::string EventWords(W type) {
  switch (type) {
    case W::CASE_OPENED:
      return "Case opened";
    case W::CASE_RISK_CHANGED:
      return "Risk changed";
    case W::CASE_CLOSED:
      return "Case closed";
    case W::INTERVENTION_REFERRED:
      return "Referred to an intervention";
    case W::INTERVENTION_STARTED:
      return "Intervention started";
    case W::INTERVENTION_COMPLETED:
      return "Intervention completed";
    case W::INTERVENTION_EXITED:
      return "Intervention exited";
    case W::SESSION_HELD:
      return "Session held";
    case W::ATTENDANCE_RECORDED:
      return "Attendance recorded";
    case W::BREACH_REPORTED:
      return "Breach reported";
    case W::INCIDENT_REPORTED:
      return "Incident reported";
    case W::ALERT_RAISED:
      return "Alert raised";
    case W::ALERT_ACKNOWLEDGED:
      return "Alert acknowledged";
    case W::ALERT_RESOLVED:
      return "Alert resolved";
    case W::ALERT_WITHDRAWN:
      return "Alert withdrawn";
    case W::ALERT_ASSIGNED:
      return "Alert assigned";
    case W::SUBJECT_ERASED:
      return "Subject erased";
    case W::RECORD_VOIDED:
      return "Record voided";
  }
  return std::string(EventTypeName(type));
}

// A link to an alert's page, by its id.
std::string AlertLink(const std::string& alert, std::string_view text) {
  return Link("/alerts/" + UrlEncode(alert), text);
}

// A timeline entry's detail, as markup (its text escaped): the fields a person reads, the
// ones the reader's role may not see left out (the daemon leaves them unset).
std::string EventDetail(schema::Event::Reader e) {
  Html h;
  switch (e.which()) {
    case W::CASE_OPENED: {
      auto d = e.getCaseOpened();
      h.Text("Subject ").Text(d.getSubject().cStr()).Text(", ").Text(Words(NameOf(d.getOrder())));
      h.Text(", risk ").Text(Words(NameOf(d.getRisk())));
      h.Text(", lead agency ").Text(d.getLeadAgency().cStr());
      break;
    }
    case W::CASE_RISK_CHANGED: {
      auto d = e.getCaseRiskChanged();
      h.Text("Risk ").Text(Words(NameOf(d.getRisk())));
      if (d.getMarac()) h.Text(", MARAC");
      break;
    }
    case W::CASE_CLOSED:
      h.Text("Reason: ").Text(Words(NameOf(e.getCaseClosed().getReason())));
      break;
    case W::INTERVENTION_REFERRED: {
      auto d = e.getInterventionReferred();
      h.Text(d.getIntervention().cStr()).Text(": ").Text(Words(d.getProgramme().cStr()));
      h.Text(", provider ").Text(d.getProvider().cStr());
      break;
    }
    case W::INTERVENTION_STARTED: {
      auto d = e.getInterventionStarted();
      h.Text(d.getIntervention().cStr());
      if (d.hasGroup() && d.getGroup().size() > 0) h.Text(", group ").Text(d.getGroup().cStr());
      break;
    }
    case W::INTERVENTION_COMPLETED:
      h.Text(e.getInterventionCompleted().getIntervention().cStr());
      break;
    case W::INTERVENTION_EXITED: {
      auto d = e.getInterventionExited();
      h.Text(d.getIntervention().cStr()).Text(": ").Text(Words(NameOf(d.getReason())));
      break;
    }
    case W::SESSION_HELD: {
      auto d = e.getSessionHeld();
      h.Text("Session ").Text(d.getSession().cStr()).Text(", group ").Text(d.getGroup().cStr());
      break;
    }
    case W::ATTENDANCE_RECORDED: {
      auto d = e.getAttendanceRecorded();
      h.Text(d.getIntervention().cStr()).Text(", session ").Text(d.getSession().cStr()).Text(": ");
      h.Text(Words(NameOf(d.getOutcome())));
      if (d.hasReason() && d.getReason().size() > 0)
        h.Text(" (").Text(d.getReason().cStr()).Text(")");
      if (d.getConcern()) h.Text("; a concern was raised");
      break;
    }
    case W::BREACH_REPORTED: {
      auto d = e.getBreachReported();
      h.Text(Words(NameOf(d.getKind())));
      if (d.hasDetail() && d.getDetail().size() > 0) h.Text(": ").Text(d.getDetail().cStr());
      break;
    }
    case W::INCIDENT_REPORTED: {
      auto d = e.getIncidentReported();
      h.Text("Incident ")
          .Text(d.getIncident().cStr())
          .Text(": ")
          .Text(Words(NameOf(d.getCategory())));
      h.Text(d.getCrime() ? ", a crime" : ", not a crime");
      break;
    }
    case W::ALERT_RAISED: {
      auto d = e.getAlertRaised();
      const std::string id = FormatUuid(ToUuid(d.getAlert()));
      h.Raw(AlertLink(id, Words(NameOf(d.getRule())) + " alert"));
      h.Text(", ").Text(NameOf(d.getSeverity())).Text(" severity");
      break;
    }
    case W::ALERT_ACKNOWLEDGED: {
      auto d = e.getAlertAcknowledged();
      h.Raw(AlertLink(FormatUuid(ToUuid(d.getAlert())), "The alert"));
      if (d.hasNote() && d.getNote().size() > 0) h.Text(". Note: ").Text(d.getNote().cStr());
      break;
    }
    case W::ALERT_RESOLVED: {
      auto d = e.getAlertResolved();
      h.Raw(AlertLink(FormatUuid(ToUuid(d.getAlert())), "The alert"));
      if (d.hasAction()) h.Text(". Action: ").Text(d.getAction().cStr());
      break;
    }
    case W::ALERT_WITHDRAWN: {
      auto d = e.getAlertWithdrawn();
      h.Raw(AlertLink(FormatUuid(ToUuid(d.getAlert())), "The alert"));
      if (d.hasReason()) h.Text(". Reason: ").Text(d.getReason().cStr());
      break;
    }
    case W::ALERT_ASSIGNED: {
      auto d = e.getAlertAssigned();
      h.Raw(AlertLink(FormatUuid(ToUuid(d.getAlert())), "The alert"));
      h.Text(" to ").Text(d.getTo().cStr());
      if (d.hasNote() && d.getNote().size() > 0) h.Text(". Note: ").Text(d.getNote().cStr());
      break;
    }
    case W::SUBJECT_ERASED:
      h.Text("Subject ").Text(e.getSubjectErased().getSubject().cStr());
      break;
    case W::RECORD_VOIDED: {
      auto d = e.getRecordVoided();
      h.Text("Event ").Text(FormatUuid(ToUuid(d.getEvent())));
      if (d.hasReason()) h.Text(": ").Text(d.getReason().cStr());
      break;
    }
  }
  return h.Take();
}

// A phrase of a view's `withheld` (daemon/read_scope.h) as a person reads it; a phrase not
// known here is shown as the daemon put it.
std::string WithheldWords(std::string_view phrase) {
  static const std::pair<const char*, const char*> kWords[] = {
      {"intervention.*", "Interventions: referrals, starts and endings"},
      {"attendance.recorded", "Attendance details"},
      {"breach.reported", "Breaches"},
      {"breach.reported detail", "The details of breaches"},
      {"case.risk_changed", "Risk changes"},
      {"alert.raised reason of non_engagement, no_contact and dropout alerts",
       "Why non-engagement, no-contact and dropout alerts were raised"},
  };
  for (const auto& [from, to] : kWords) {
    if (phrase == from) return to;
  }
  return Words(phrase);
}

// "Not shown to police: ..." from a view's `withheld`; "" when nothing is withheld.
std::string WithheldInset(WebContext& ctx, capnp::List<capnp::Text>::Reader withheld) {
  if (withheld.size() == 0) return "";
  Html h;
  h.Raw("<p class=\"govuk-body\">").Text("Not shown to " + RoleName(ctx.session.role) + ":");
  h.Raw("</p><ul class=\"govuk-list govuk-list--bullet\">");
  for (auto w : withheld) h.Element("li", "", WithheldWords(w.cStr()));
  h.Raw("</ul>");
  return InsetText(h.str());
}

std::string AlertsTable(WebContext& ctx, capnp::List<api::AlertInfo>::Reader alerts, bool with_case,
                        std::string_view caption) {
  std::vector<std::vector<std::string>> rows;
  for (auto a : alerts) {
    std::vector<std::string> row;
    row.push_back(AlertLink(a.getAlert(), Words(a.getRule().cStr())));
    if (with_case)
      row.push_back(Link("/cases/" + UrlEncode(a.getCaseId().cStr()), a.getCaseId().cStr()));
    row.push_back(SeverityTag(a.getSeverity().cStr()));
    row.push_back(Escaped(ctx.Time(a.getRaisedAt())));
    row.push_back(AlertStatusTag(a.getStatus().cStr()));
    row.push_back(a.getAssignedTo().size() > 0 ? Escaped(a.getAssignedTo().cStr())
                                               : "Not assigned");
    rows.push_back(std::move(row));
  }
  std::vector<std::string> headers = {"Rule"};
  if (with_case) headers.push_back("Case");
  for (const char* header : {"Severity", "Raised", "Status", "Assigned to"}) {
    headers.push_back(header);
  }
  return Table(caption, headers, rows);
}

std::string Section(std::string_view id, std::string_view heading) {
  return Html().Element("h2", " class=\"govuk-heading-m\"" + Attr("id", id), heading).Take();
}

std::string Empty(std::string_view text) {
  return Html().Element("p", " class=\"govuk-body\"", text).Take();
}

// --- /cases -------------------------------------------------------------------------------

constexpr uint32_t kDefaultLimit = 25;
constexpr uint32_t kMaxLimit = 500;
// When the page filters what the daemon sends (a search, closed cases), it asks for the
// cases in chunks of this many until it has a page's worth.
constexpr uint32_t kScanChunk = 500;

bool StartsWithFolded(std::string_view text, std::string_view prefix) {
  if (prefix.size() > text.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

struct CaseFilters {
  std::string q, status = "open", agency;
  uint32_t limit = kDefaultLimit;
  std::string after;

  // The listing's address with these filters and `after_cursor`.
  std::string Href(std::string_view after_cursor) const {
    std::string out = "/cases?q=" + UrlEncode(q) + "&status=" + UrlEncode(status) +
                      "&agency=" + UrlEncode(agency);
    if (limit != kDefaultLimit) out += "&limit=" + std::to_string(limit);
    if (!after_cursor.empty()) out += "&after=" + UrlEncode(after_cursor);
    return out;
  }
};

struct CaseRowData {
  std::string case_id, subject, order, risk, lead_agency;
  int64_t opened_at = 0;
  bool closed = false;
};

// One page of the listing: the cases and the cursor for the next page ("" at the end).
struct CasePage {
  std::vector<CaseRowData> cases;
  std::string next;
};

Result<CasePage> ListCasePage(WebContext& ctx, const CaseFilters& f) {
  // The daemon filters open cases and the lead agency; a search and "closed" are filtered
  // here, over the cases in id order from `after`, which keeps the cursor right: the next
  // page starts after the last case shown.
  const bool filter_here = !f.q.empty() || f.status == "closed";
  auto matches = [&](api::CaseSummary::Reader c) {
    if (f.status == "closed" && !c.getClosed()) return false;
    if (!f.q.empty() && !StartsWithFolded(c.getCaseId().cStr(), f.q) &&
        !StartsWithFolded(c.getSubject().cStr(), f.q)) {
      return false;
    }
    return true;
  };
  CasePage out;
  std::string cursor = f.after;
  for (;;) {
    Answer answer = ctx.Ask([&](api::Request::Builder r) {
      auto list = r.initListCases();
      list.setOpenOnly(f.status == "open");
      list.setAgency(f.agency);
      list.setAfter(cursor);
      list.setLimit(filter_here ? kScanChunk : f.limit);
    });
    if (!answer.ok()) return answer.status();
    std::vector<api::Response::Reader> pages = answer.frames();
    pages.push_back(answer.response());
    std::string next;
    for (auto response : pages) {
      if (!response.isPage()) continue;
      auto page = response.getPage();
      if (page.getLast()) next = page.getNext();
      if (!page.isCases()) continue;
      for (auto c : page.getCases()) {
        if (filter_here && !matches(c)) continue;
        if (out.cases.size() == f.limit) {
          // One more than a page: the next page starts after the last one shown.
          out.next = out.cases.back().case_id;
          return out;
        }
        out.cases.push_back({c.getCaseId(), c.getSubject(), NameOf(c.getOrder()),
                             NameOf(c.getRisk()), c.getLeadAgency(), c.getOpenedAt(),
                             c.getClosed()});
      }
    }
    if (!filter_here) {
      out.next = next;
      return out;
    }
    if (next.empty()) return out;
    cursor = next;
  }
}

Status ReadFilters(const Params& query, CaseFilters* f) {
  f->q = query.Get("q");
  while (!f->q.empty() && f->q.back() == ' ') f->q.pop_back();
  while (!f->q.empty() && f->q.front() == ' ') f->q.erase(0, 1);
  if (query.Has("status")) f->status = query.Get("status");
  if (f->status != "open" && f->status != "closed" && f->status != "all") {
    return Status::InvalidArgument("status: choose open, closed or all");
  }
  f->agency = query.Get("agency");
  while (!f->agency.empty() && f->agency.back() == ' ') f->agency.pop_back();
  f->after = query.Get("after");
  if (query.Has("limit")) {
    const std::string text = query.Get("limit");
    uint64_t value = 0;
    bool digits = !text.empty() && text.size() <= 6;
    for (char c : text) {
      digits = digits && c >= '0' && c <= '9';
      if (digits) value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (!digits || value < 1 || value > kMaxLimit) {
      return Status::InvalidArgument("limit: give a whole number of cases per page, 1 to " +
                                     std::to_string(kMaxLimit));
    }
    f->limit = static_cast<uint32_t>(value);
  }
  return Status::Ok();
}

WebReply CasesPage(WebContext& ctx) {
  CaseFilters f;
  const Status read = ReadFilters(ctx.query, &f);
  if (!read.ok()) return ctx.Refused(read);
  auto page = ListCasePage(ctx, f);
  if (!page.ok()) return ctx.Refused(page.status());

  Html h;
  h.Raw("<h1 class=\"govuk-heading-l\">Cases</h1>");
  // The filters: a GET form, so a search is an address a person can keep.
  Html form;
  form.Raw("<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-one-third\">");
  Field search("q", "Search by case or subject", f.q);
  search.hint = "A case id or subject id, or how it starts";
  search.type = "search";
  form.Raw(TextInput(search));
  form.Raw("</div><div class=\"govuk-grid-column-one-third\">");
  form.Raw(Select(Field("status", "Status", f.status),
                  {{"open", "Open", ""}, {"closed", "Closed", ""}, {"all", "All", ""}}));
  form.Raw("</div><div class=\"govuk-grid-column-one-third\">");
  Field agency("agency", "Lead agency", f.agency);
  agency.hint = "An agency id, for example probation-ce";
  form.Raw(TextInput(agency));
  form.Raw("</div></div>");
  if (f.limit != kDefaultLimit) {
    form.Raw("<input type=\"hidden\" name=\"limit\"")
        .Raw(Attr("value", std::to_string(f.limit)))
        .Raw(">");
  }
  form.Raw("<div class=\"govuk-button-group\">")
      .Raw(Button("Apply filters", "secondary"))
      .Raw(Link("/cases", "Clear filters"))
      .Raw("</div>");
  h.Raw(GetForm("/cases", form.str()));

  if (page->cases.empty()) {
    h.Raw(Empty(f.after.empty() ? "No cases match these filters." : "No more cases."));
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : page->cases) {
      rows.push_back({Link("/cases/" + UrlEncode(c.case_id), c.case_id),
                      Link("/subjects/" + UrlEncode(c.subject), c.subject), Escaped(Words(c.order)),
                      RiskTag(c.risk), Escaped(c.lead_agency), Escaped(ctx.Date(c.opened_at)),
                      CaseStatusTag(c.closed)});
    }
    std::string caption = std::to_string(page->cases.size()) +
                          (page->cases.size() == 1 ? " case" : " cases") +
                          (f.after.empty() ? "" : " after " + f.after);
    h.Raw(Table(caption, {"Case", "Subject", "Order", "Risk", "Lead agency", "Opened", "Status"},
                rows));
  }
  h.Raw(Pagination("", page->next.empty() ? "" : f.Href(page->next)));
  if (!f.after.empty()) {
    h.Raw("<p class=\"govuk-body\">").Raw(Link(f.Href(""), "Back to the first page")).Raw("</p>");
  }
  return ctx.Page("Cases", h.str());
}

// --- /cases/{id} --------------------------------------------------------------------------

// The banner after a case's form (its fixed ?done= word); "" for none or a word not known.
std::string DoneBanner(std::string_view done) {
  const char* text = done == "attendance" ? "Attendance recorded"
                     : done == "breach"   ? "Breach reported"
                     : done == "risk"     ? "Risk level changed"
                     : done == "closed"   ? "Case closed"
                     : done == "voided"   ? "Record voided"
                                          : nullptr;
  if (text == nullptr) return "";
  return NotificationBanner(
      "Success", Html().Element("h3", " class=\"govuk-notification-banner__heading\"", text).Take(),
      /*success=*/true);
}

std::string TimelineTable(WebContext& ctx, const std::string& case_id,
                          const std::vector<api::TimelineEntry::Reader>& timeline,
                          bool may_void_any) {
  std::vector<std::vector<std::string>> rows;
  for (auto t : timeline) {
    auto e = t.getEvent();
    const W type = e.which();
    std::vector<std::string> row;
    row.push_back(Escaped(ctx.Time(e.getOccurredAt().getUnixNanos())));
    Html what, detail;
    if (t.getVoided()) {
      what.Raw("<del class=\"hf-voided\">").Text(EventWords(type)).Raw("</del>");
      detail.Raw("<del class=\"hf-voided\">").Raw(EventDetail(e)).Raw("</del>");
      detail.Raw("<p class=\"govuk-body-s govuk-!-margin-top-1 govuk-!-margin-bottom-0\">")
          .Raw(Tag("Voided", "grey"))
          .Text(" Voided by " + std::string(t.getVoidedBy()) + " at " + ctx.Time(t.getVoidedAt()));
      if (t.hasVoidReason()) detail.Text(": ").Text(t.getVoidReason().cStr());
      detail.Raw("</p>");
    } else {
      what.Text(EventWords(type));
      detail.Raw(EventDetail(e));
      if (t.getCorrectedBy().size() > 0) {
        detail.Raw("<p class=\"govuk-body-s govuk-!-margin-top-1 govuk-!-margin-bottom-0\">")
            .Raw(Tag("Replaced", "grey"))
            .Text(" Replaced by a later record")
            .Raw("</p>");
      } else if (t.getReplaces().size() > 0) {
        detail.Raw("<p class=\"govuk-body-s govuk-!-margin-top-1 govuk-!-margin-bottom-0\">")
            .Raw(Tag("Correction", "turquoise"))
            .Text(" Corrects an earlier record")
            .Raw("</p>");
      }
    }
    if (t.getSource() == "subject") what.Raw(" ").Raw(Tag("Subject", "purple"));
    row.push_back(what.Take());
    row.push_back(detail.Take());
    row.push_back(Escaped(std::string(e.getAuthor().getUser()) + " (" +
                          RoleName(e.getAuthor().getRole()) + ")"));
    if (may_void_any) {
      std::string action;
      if (!t.getVoided() && MayVoid(ctx.session.role, type)) {
        const std::string event = FormatUuid(ToUuid(e.getId()));
        action = Html()
                     .Raw("<a class=\"govuk-link\"")
                     .Raw(Attr("href",
                               "/cases/" + UrlEncode(case_id) + "/void?event=" + UrlEncode(event)))
                     .Raw(">Void<span class=\"govuk-visually-hidden\"> ")
                     .Text(EventWords(type) + " of " + ctx.Time(e.getOccurredAt().getUnixNanos()))
                     .Raw("</span></a>")
                     .Take();
      }
      row.push_back(action);
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> headers = {"When", "What", "Detail", "By"};
  if (may_void_any) headers.push_back("Action");
  return Table("", headers, rows);
}

WebReply CasePage(WebContext& ctx) {
  const std::string& case_id = ctx.params[0];
  Answer answer = ctx.Ask([&](api::Request::Builder r) { r.setCaseShow(case_id); });
  if (!answer.ok()) return ctx.RefusedCase(answer.status(), "cases");
  // A long case comes in parts: the timeline's first parts in frames, then the rest and
  // every other section in the final response.
  std::vector<api::TimelineEntry::Reader> timeline;
  for (auto frame : answer.frames()) {
    if (!frame.isCaseView()) continue;
    for (auto t : frame.getCaseView().getTimeline()) timeline.push_back(t);
  }
  if (!answer.response().isCaseView()) {
    return ctx.Refused(Status::IoError("the node answered a case with something else"));
  }
  auto v = answer.response().getCaseView();
  for (auto t : v.getTimeline()) timeline.push_back(t);
  auto header = v.getHeader();
  const schema::Role role = ctx.session.role;
  const bool open = header.getStatus() == "open";
  const std::string base = "/cases/" + UrlEncode(case_id);

  Html h;
  h.Raw(DoneBanner(ctx.query.Get("done")));
  h.Raw("<span class=\"govuk-caption-l\">Case</span>");
  h.Element("h1", " class=\"govuk-heading-l\"", header.getCaseId().cStr());

  std::vector<SummaryRow> rows;
  rows.push_back(
      {"Subject",
       Link("/subjects/" + UrlEncode(header.getSubject().cStr()), header.getSubject().cStr()), "",
       ""});
  rows.push_back({"Order", Escaped(Words(header.getOrder().cStr())), "", ""});
  rows.push_back({"Risk", RiskTag(header.getRisk().cStr()), "", ""});
  rows.push_back({"MARAC", header.getMarac() ? "Yes" : "No", "", ""});
  rows.push_back({"Lead agency", Escaped(header.getLeadAgency().cStr()), "", ""});
  rows.push_back({"Opened", Escaped(ctx.Time(header.getOpenedAt())), "", ""});
  rows.push_back({"Status", CaseStatusTag(!open), "", ""});
  if (!open) {
    rows.push_back({"Closed", Escaped(ctx.Time(header.getClosedAt())), "", ""});
    rows.push_back({"Reason for closing", Escaped(Words(header.getCloseReason().cStr())), "", ""});
  }
  h.Raw(SummaryList(rows));

  // The case's forms (daemon/web/pages_case_forms.cc), for a role that may append each, and
  // while the case is open (SPEC "Checks at entry": a closed case takes only voids and
  // alert acknowledgements).
  if (open) {
    Html buttons;
    if (MayAppend(role, W::ATTENDANCE_RECORDED)) {
      buttons.Raw(ButtonLink("Record attendance", base + "/attendance", "secondary"));
    }
    if (MayAppend(role, W::BREACH_REPORTED)) {
      buttons.Raw(ButtonLink("Report a breach", base + "/breach", "secondary"));
    }
    if (MayAppend(role, W::CASE_RISK_CHANGED)) {
      buttons.Raw(ButtonLink("Change risk", base + "/risk", "secondary"));
    }
    if (MayAppend(role, W::CASE_CLOSED)) {
      buttons.Raw(ButtonLink("Close case", base + "/close", "warning"));
    }
    if (!buttons.str().empty()) {
      h.Raw("<div class=\"govuk-button-group\">").Raw(buttons.str()).Raw("</div>");
    }
  }
  h.Raw(WithheldInset(ctx, v.getWithheld()));
  bool interventions_withheld = false;  // police: the sections say so, not "none"
  for (auto w : v.getWithheld()) {
    interventions_withheld = interventions_withheld || w == "interventions and attendance counts";
  }
  const std::string role_name = RoleName(role);

  // Interventions.
  h.Raw(Section("interventions", "Interventions"));
  if (interventions_withheld) {
    h.Raw(Empty("Interventions are not shown to " + role_name + "."));
  } else if (v.getInterventions().size() == 0) {
    h.Raw(Empty("No interventions to show."));
  } else {
    std::vector<std::vector<std::string>> table;
    for (auto i : v.getInterventions()) {
      std::string ended = Escaped(ctx.Date(i.getEndedAt()));
      if (i.getExitReason().size() > 0) {
        ended += " (" + Escaped(Words(i.getExitReason().cStr())) + ")";
      }
      table.push_back({Escaped(i.getIntervention().cStr()), Escaped(Words(i.getProgramme().cStr())),
                       Escaped(i.getProvider().cStr()), Escaped(i.getGroup().cStr()),
                       InterventionStateTag(i.getState().cStr()),
                       Escaped(ctx.Date(i.getReferredAt())), Escaped(ctx.Date(i.getStartedAt())),
                       ended});
    }
    h.Raw(Table(
        "",
        {"Intervention", "Programme", "Provider", "Group", "State", "Referred", "Started", "Ended"},
        table));
  }

  // Attendance: standing records only (after corrections; voided records left out).
  h.Raw(Section("attendance", "Attendance"));
  if (interventions_withheld) {
    h.Raw(Empty("Attendance details are not shown to " + role_name + "."));
  } else if (v.getAttendance().size() == 0) {
    h.Raw(Empty("No attendance to show."));
  } else {
    std::vector<std::vector<std::string>> table;
    for (auto a : v.getAttendance()) {
      const uint32_t counted = a.getSessions() - a.getAbsentAcceptable();
      const uint32_t positive = a.getAttended() + a.getLate() + a.getLeftEarly();
      table.push_back({Escaped(a.getIntervention().cStr()), std::to_string(a.getSessions()),
                       std::to_string(a.getAttended()), std::to_string(a.getLate()),
                       std::to_string(a.getLeftEarly()), std::to_string(a.getAbsentAcceptable()),
                       std::to_string(a.getAbsentUnacceptable()),
                       counted ? std::to_string(positive * 100 / counted) + "%" : "None"});
    }
    h.Raw(Table("",
                {"Intervention", "#Sessions", "#Attended", "#Late", "#Left early",
                 "#Absent, acceptable", "#Absent, unacceptable", "#Attendance rate"},
                table));
  }

  // Alerts, each linked to its page (acknowledge, resolve, assign: daemon/web/pages_alerts.cc).
  h.Raw(Section("alerts", "Alerts"));
  if (v.getAlerts().size() == 0) {
    h.Raw(Empty("No alerts to show."));
  } else {
    h.Raw(AlertsTable(ctx, v.getAlerts(), /*with_case=*/false, ""));
  }

  // The timeline, voids and corrections marked.
  h.Raw(Section("timeline", "Timeline"));
  if (timeline.empty()) {
    h.Raw(Empty("Nothing to show."));
  } else {
    bool may_void_any = false;
    for (auto t : timeline) {
      may_void_any = may_void_any || (!t.getVoided() && MayVoid(role, t.getEvent().which()));
    }
    h.Raw(TimelineTable(ctx, case_id, timeline, may_void_any));
  }
  return ctx.Page("Case " + std::string(header.getCaseId()), h.str());
}

// --- /subjects/{id} -----------------------------------------------------------------------

WebReply SubjectPage(WebContext& ctx) {
  const std::string& subject = ctx.params[0];
  Answer answer = ctx.Ask([&](api::Request::Builder r) { r.setSubjectShow(subject); });
  if (!answer.ok()) return ctx.RefusedCase(answer.status(), "subjects");
  if (!answer.response().isSubjectView()) {
    return ctx.Refused(Status::IoError("the node answered a subject with something else"));
  }
  auto v = answer.response().getSubjectView();
  Html h;
  h.Raw("<span class=\"govuk-caption-l\">Subject</span>");
  h.Element("h1", " class=\"govuk-heading-l\"", v.getSubject().cStr());
  h.Raw(WithheldInset(ctx, v.getWithheld()));

  h.Raw(Section("cases", "Cases"));
  if (v.getCases().size() == 0) {
    h.Raw(Empty("No cases to show."));
  } else {
    std::vector<std::vector<std::string>> rows;
    for (auto c : v.getCases()) {
      std::string status = CaseStatusTag(c.getStatus() == "closed");
      if (c.getStatus() == "closed") {
        status += " " + Escaped(ctx.Date(c.getClosedAt()) + " (" +
                                Words(c.getCloseReason().cStr()) + ")");
      }
      rows.push_back({Link("/cases/" + UrlEncode(c.getCaseId().cStr()), c.getCaseId().cStr()),
                      Escaped(Words(c.getOrder().cStr())),
                      RiskTag(c.getRisk().cStr(), c.getMarac()), Escaped(c.getLeadAgency().cStr()),
                      Escaped(ctx.Date(c.getOpenedAt())), status});
    }
    h.Raw(Table("", {"Case", "Order", "Risk", "Lead agency", "Opened", "Status"}, rows));
  }

  h.Raw(Section("incidents", "Incidents"));
  if (v.getIncidents().size() == 0) {
    h.Raw(Empty("No incidents to show."));
  } else {
    std::vector<std::vector<std::string>> rows;
    for (auto t : v.getIncidents()) {
      auto e = t.getEvent();
      Html detail;
      if (t.getVoided()) {
        detail.Raw("<del class=\"hf-voided\">").Raw(EventDetail(e)).Raw("</del>");
        detail.Raw("<p class=\"govuk-body-s govuk-!-margin-top-1 govuk-!-margin-bottom-0\">")
            .Raw(Tag("Voided", "grey"))
            .Text(" Voided by " + std::string(t.getVoidedBy()) + " at " +
                  ctx.Time(t.getVoidedAt()));
        if (t.hasVoidReason()) detail.Text(": ").Text(t.getVoidReason().cStr());
        detail.Raw("</p>");
      } else {
        detail.Raw(EventDetail(e));
      }
      rows.push_back({Escaped(ctx.Time(e.getOccurredAt().getUnixNanos())), detail.Take(),
                      Escaped(std::string(e.getAuthor().getUser()) + " (" +
                              std::string(e.getAuthor().getAgency()) + ")")});
    }
    h.Raw(Table("", {"When", "Incident", "Reported by"}, rows));
  }

  h.Raw(Section("alerts", "Alerts"));
  if (v.getAlerts().size() == 0) {
    h.Raw(Empty("No alerts to show."));
  } else {
    h.Raw(AlertsTable(ctx, v.getAlerts(), /*with_case=*/true, ""));
  }
  return ctx.Page("Subject " + std::string(v.getSubject()), h.str());
}

}  // namespace

std::vector<Page> CasePages() {
  return {
      {"GET", "/cases", Right::kReadCases, "cases", CasesPage},
      {"GET", "/cases/{id}", Right::kReadCases, "cases", CasePage},
      {"GET", "/subjects/{id}", Right::kReadCases, "cases", SubjectPage},
  };
}

}  // namespace holdfast::web
