// Alerts: the inbox (/alerts) with filters and acknowledging several at once, and an alert
// (/alerts/ID) with its history and the forms to acknowledge, resolve and assign it
// (docs/web-alertpages.md).
//
// Reads are listAlerts, resolveAlert and caseShow (for the alert's history); writes are
// appends of alert.acknowledged / alert.resolved / alert.assigned, each built by the HTTPS
// API's own route (daemon/http_routes.cc), so the web, the API and the CLI accept and refuse
// the same things.
#include <capnp/message.h>

#include <cctype>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/http_routes.h"
#include "daemon/safe_text.h"
#include "daemon/web/web_app.h"
#include "eventstore/ids.h"

namespace holdfast::web {
namespace {

constexpr uint32_t kInboxPageSize = 25;

// ---- what the pages show of an alert -------------------------------------------------------

std::string SeverityTag(std::string_view severity) {
  const char* colour = severity == "high" ? "red" : severity == "medium" ? "orange" : "grey";
  std::string text(severity);
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return Tag(text, colour);
}

std::string StatusTag(std::string_view status) {
  const char* colour = status == "open"           ? "blue"
                       : status == "acknowledged" ? "yellow"
                       : status == "resolved"     ? "green"
                                                  : "grey";
  std::string text(status);
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return Tag(text, colour);
}

// "non_engagement" -> "Non-engagement" (the rule as a person reads it).
std::string RuleName(std::string_view rule) {
  static const std::map<std::string, std::string, std::less<>> names = {
      {"non_engagement", "Non-engagement"},
      {"no_contact", "No contact"},
      {"reoffending", "Reoffending"},
      {"breach", "Breach"},
      {"dropout", "Dropout"},
      {"risk_escalation", "Risk escalation"}};
  auto it = names.find(rule);
  return it == names.end() ? std::string(rule) : it->second;
}

const std::vector<Option>& RuleOptions() {
  static const std::vector<Option> options = {{"", "Any rule", ""},
                                              {"non_engagement", "Non-engagement", ""},
                                              {"no_contact", "No contact", ""},
                                              {"reoffending", "Reoffending", ""},
                                              {"breach", "Breach", ""},
                                              {"dropout", "Dropout", ""},
                                              {"risk_escalation", "Risk escalation", ""}};
  return options;
}

std::string CaseLink(api::AlertInfo::Reader a) {
  std::string html = Link("/cases/" + UrlEncode(a.getCaseId().cStr()), a.getCaseId().cStr());
  if (a.getCaseClosed()) html += " " + Tag("Closed", "grey");
  return html;
}

bool MayTriage(schema::Role role) {
  return MayAppend(role, EventType::ALERT_ACKNOWLEDGED) ||
         MayAppend(role, EventType::ALERT_RESOLVED) || MayAppend(role, EventType::ALERT_ASSIGNED);
}

// ---- writing: the HTTPS API's routes build the events ---------------------------------------

// The /v1/ route that builds `pattern`'s request (POST).
const Route& ApiRoute(std::string_view pattern) {
  for (const auto& route : Routes()) {
    if (std::string_view(route.method) == "POST" && route.pattern == pattern) return route;
  }
  throw std::logic_error("no API route " + std::string(pattern));
}

// The whole id of the alert `given` names, as the signed-in person may see it (resolveAlert).
Result<std::string> WholeAlertId(const WebContext& ctx, const std::string& given) {
  Answer answer = ctx.Ask([&](api::Request::Builder r) { r.setResolveAlert(given); });
  if (!answer.ok()) return answer.status();
  if (!answer.response().isAlert()) return Status::IoError("unexpected answer to resolveAlert");
  return std::string(answer.response().getAlert().getAlert().cStr());
}

// The alert.* event of one action (ack, resolve, assign) on `alert` with the JSON body
// `fields`, built by the API's route into `out` (one event), or the route's refusal.
Status BuildAction(const WebContext& ctx, std::string_view action, const std::string& alert,
                   const std::map<std::string, std::string>& fields,
                   capnp::MallocMessageBuilder* out) {
  std::string body = "{";
  for (const auto& [name, value] : fields) {
    if (body.size() > 1) body += ",";
    body += JsonString(name) + ":" + JsonString(value, InvalidUtf8::kKeep);
  }
  body += "}";
  HttpCall call;
  call.params = {alert};
  call.body = body;
  call.whole_alert_id = [&](const std::string& given) { return WholeAlertId(ctx, given); };
  const Route& route = ApiRoute("/v1/alerts/{id}/" + std::string(action));
  return route.build(call, out->initRoot<api::Request>());
}

// Appends the events of `built` (each one request with one append of one event) as one
// append: all are written or none.
Answer AppendAll(const WebContext& ctx,
                 const std::vector<std::unique_ptr<capnp::MallocMessageBuilder>>& built,
                 const std::vector<std::string>& labels) {
  return ctx.Ask([&](api::Request::Builder r) {
    auto append = r.initAppend();
    auto events = append.initEvents(static_cast<unsigned>(built.size()));
    auto names = append.initLabels(static_cast<unsigned>(labels.size()));
    for (unsigned i = 0; i < built.size(); ++i) {
      events.setWithCaveats(
          i, built[i]->getRoot<api::Request>().asReader().getAppend().getEvents()[0]);
      names.set(i, labels[i]);
    }
  });
}

// ---- the inbox -----------------------------------------------------------------------------

struct InboxFilter {
  std::string status = "open";
  std::string rule;
  std::vector<std::string> severity;
  std::string since;  // as typed
  bool mine = false;
  std::string after;  // the page's cursor
  std::string trail;  // the earlier pages' cursors, comma separated ("start" for the first)

  // The query string of these filters (without paging).
  std::string Query() const {
    std::string q = "status=" + UrlEncode(status);
    if (!rule.empty()) q += "&rule=" + UrlEncode(rule);
    for (const auto& s : severity) q += "&severity=" + UrlEncode(s);
    if (!since.empty()) q += "&since=" + UrlEncode(since);
    if (mine) q += "&mine=1";
    return q;
  }
};

InboxFilter FilterOf(const Params& query) {
  InboxFilter f;
  if (query.Has("status")) f.status = query.Get("status");
  f.rule = query.Get("rule");
  f.severity = query.All("severity");
  f.since = query.Get("since");
  f.mine = query.Get("mine") == "1";
  f.after = query.Get("after");
  f.trail = query.Get("trail");
  return f;
}

std::string FilterForm(const InboxFilter& f, const std::vector<FieldError>& errors) {
  Html h;
  h.Raw("<div class=\"hf-filters\"><h2 class=\"govuk-heading-m\">Filter alerts</h2>");
  h.Raw("<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-one-quarter\">");
  Field status("status", "Status", f.status, ErrorFor(errors, "status"));
  h.Raw(Select(status, {{"open", "Open", ""},
                        {"acknowledged", "Acknowledged", ""},
                        {"resolved", "Resolved", ""},
                        {"withdrawn", "Withdrawn", ""},
                        {"all", "All", ""}}));
  h.Raw("</div><div class=\"govuk-grid-column-one-quarter\">");
  Field rule("rule", "Rule", f.rule, ErrorFor(errors, "rule"));
  h.Raw(Select(rule, RuleOptions()));
  h.Raw("</div><div class=\"govuk-grid-column-one-quarter\">");
  Field severity("severity", "Severity", "", ErrorFor(errors, "severity"));
  h.Raw(Checkboxes(severity, {{"high", "High", ""}, {"medium", "Medium", ""}, {"low", "Low", ""}},
                   f.severity, true));
  h.Raw("</div><div class=\"govuk-grid-column-one-quarter\">");
  Field since("since", "Raised since", f.since, ErrorFor(errors, "since"));
  since.hint = "For example, 2026-12-01";
  since.width = "govuk-input--width-10";
  h.Raw(TextInput(since));
  Field mine("mine", "", "", "");
  h.Raw(Checkboxes(mine, {{"1", "Assigned to me", ""}},
                   f.mine ? std::vector<std::string>{"1"} : std::vector<std::string>{}, true));
  h.Raw("</div></div>");
  h.Raw(Button("Apply filters", "secondary"));
  h.Raw(" <a class=\"govuk-link hf-clear-filters\" href=\"/alerts\">Clear filters</a></div>");
  return GetForm("/alerts", h.str());
}

// The daemon's refusal of a filter ("--severity: ...") on the filter it names.
FieldError FilterError(const Status& s) {
  std::string field = FieldOf(s.message());
  std::string message = s.message();
  if (!field.empty()) {
    const size_t colon = message.find(':');
    message = message.substr(colon + 1);
    while (!message.empty() && message[0] == ' ') message.erase(0, 1);
  }
  if (field != "status" && field != "rule" && field != "severity" && field != "since") field = "";
  return {field, message};
}

struct InboxForm {
  std::string note;
  std::vector<std::string> selected;
};

WebReply RenderInbox(WebContext& ctx, const InboxForm& form, std::vector<FieldError> errors) {
  const InboxFilter f = FilterOf(ctx.query);
  std::vector<FieldError> filter_errors;
  int64_t since = 0;
  if (!f.since.empty()) {
    auto t = ctx.ParseTime(f.since);
    if (!t.ok()) {
      filter_errors.push_back({"since", "Raised since: " + t.status().message()});
    } else {
      since = *t;
    }
  }
  Answer answer;
  if (filter_errors.empty()) {
    std::string severity;
    for (const auto& s : f.severity) severity += (severity.empty() ? "" : ",") + s;
    answer = ctx.Ask([&](api::Request::Builder r) {
      auto list = r.initListAlerts();
      list.setStatus(f.status);
      list.setRule(f.rule);
      list.setSeverity(severity);
      if (!f.since.empty()) {
        list.setSince(since);
        list.setHasSince(true);
      }
      list.setMine(f.mine);
      list.setAfter(f.after);
      list.setLimit(kInboxPageSize);
    });
    if (!answer.ok()) {
      if (answer.status().code() != Status::Code::kInvalidArgument) {
        return ctx.Refused(answer.status());
      }
      filter_errors.push_back(FilterError(answer.status()));
    }
  }
  const bool may_triage = MayTriage(ctx.session.role);

  Html h;
  std::vector<FieldError> all_errors = filter_errors;
  all_errors.insert(all_errors.end(), errors.begin(), errors.end());
  h.Raw(ErrorSummary(all_errors));
  const std::string done = ctx.query.Get("done");
  if (done == "acknowledged" && all_errors.empty()) {
    std::string n = ctx.query.Get("n");
    if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos) {
      n = "";
    }
    h.Raw(NotificationBanner(
        "Success",
        "<p class=\"govuk-notification-banner__heading\">" +
            (n.empty() ? std::string("Alerts acknowledged")
                       : n + (n == "1" ? " alert" : " alerts") + " acknowledged") +
            "</p>",
        true));
  }
  h.Raw("<h1 class=\"govuk-heading-l\">Alerts</h1>");
  h.Raw(FilterForm(f, filter_errors));

  // The listing.
  std::vector<std::vector<std::string>> rows;
  std::string next;
  if (filter_errors.empty()) {
    auto add_page = [&](api::Response::Reader response) {
      if (!response.isPage()) return;
      auto page = response.getPage();
      if (!page.isAlerts()) return;
      for (auto a : page.getAlerts()) {
        const std::string id = a.getAlert().cStr();
        std::vector<std::string> row;
        if (may_triage) {
          Html box;
          const std::string box_id = "alert-" + id;
          bool checked = false;
          for (const auto& s : form.selected) checked = checked || s == id;
          box.Raw(
              "<div class=\"govuk-checkboxes govuk-checkboxes--small\" "
              "data-module=\"govuk-checkboxes\"><div class=\"govuk-checkboxes__item\"><input "
              "class=\"govuk-checkboxes__input\" type=\"checkbox\" name=\"alert\"");
          box.Raw(Attr("id", box_id)).Raw(Attr("value", id));
          if (checked) box.Raw(" checked");
          box.Raw("><label class=\"govuk-label govuk-checkboxes__label\"")
              .Raw(Attr("for", box_id))
              .Raw("><span class=\"govuk-visually-hidden\">Select alert ")
              .Text(id.substr(0, 8))
              .Raw("</span></label></div></div>");
          row.push_back(box.Take());
        }
        row.push_back("<span class=\"hf-nowrap\">" +
                      Link("/alerts/" + id, RuleName(a.getRule().cStr())) + "</span>");
        row.push_back(SeverityTag(a.getSeverity().cStr()));
        row.push_back(CaseLink(a));
        row.push_back("<span class=\"hf-nowrap\">" + Escape(a.getSubject().cStr()) + "</span>");
        row.push_back(Escape(ctx.Time(a.getRaisedAt())));
        row.push_back(StatusTag(a.getStatus().cStr()));
        row.push_back(a.getAssignedTo().size() ? Escape(a.getAssignedTo().cStr())
                                               : "<span class=\"govuk-hint\">Not assigned</span>");
        rows.push_back(std::move(row));
      }
      if (page.getLast()) next = page.getNext();
    };
    for (auto frame : answer.frames()) add_page(frame);
    add_page(answer.response());
  }

  if (filter_errors.empty()) {
    std::vector<std::string> headers = {"Rule",   "Severity", "Case",       "Subject",
                                        "Raised", "Status",   "Assigned to"};
    if (may_triage) headers.insert(headers.begin(), "Select");
    std::string caption =
        rows.empty() ? "No alerts match these filters"
                     : std::to_string(rows.size()) + (rows.size() == 1 ? " alert" : " alerts") +
                           (next.empty() && f.after.empty() ? "" : " on this page");
    std::string table;
    if (rows.empty()) {
      table = Html().Element("p", " class=\"govuk-body\"", caption).Take();
    } else {
      table = Table(caption, headers, rows);
    }
    if (may_triage && !rows.empty()) {
      Html body;
      const std::string error = ErrorFor(errors, "alert");
      body.Raw(error.empty() ? "<div class=\"govuk-form-group\" id=\"alert-group\">"
                             : "<div class=\"govuk-form-group govuk-form-group--error\" "
                               "id=\"alert-group\">");
      // The anchor the error summary's "Select at least one alert" links to.
      body.Raw("<span id=\"alert\" tabindex=\"-1\"></span>");
      if (!error.empty()) {
        body.Raw(
                "<p id=\"alert-error\" class=\"govuk-error-message\"><span "
                "class=\"govuk-visually-hidden\">Error:</span> ")
            .Text(error)
            .Raw("</p>");
      }
      // "Select all": only with JavaScript (holdfast.js shows it).
      body.Raw(
          "<div class=\"govuk-checkboxes govuk-checkboxes--small hf-select-all\" "
          "data-module=\"govuk-checkboxes\" hidden><div class=\"govuk-checkboxes__item\"><input "
          "class=\"govuk-checkboxes__input\" type=\"checkbox\" id=\"select-all\" "
          "data-hf-select-all=\"alert\"><label class=\"govuk-label govuk-checkboxes__label\" "
          "for=\"select-all\">Select all alerts on this page</label></div></div>");
      body.Raw(table).Raw("</div>");
      Field note("note", "Acknowledgement note (optional)", form.note, ErrorFor(errors, "note"));
      note.hint = "Recorded on each alert you select, for example what you have done";
      body.Raw(Textarea(note, 3));
      body.Raw(Button("Acknowledge selected"));
      h.Raw("<div class=\"hf-inbox\">");
      h.Raw(PostForm("/alerts/acknowledge?" + f.Query() +
                         (f.after.empty() ? "" : "&after=" + UrlEncode(f.after)),
                     ctx.csrf(), body.str()));
      h.Raw("</div>");
    } else {
      h.Raw("<div class=\"hf-inbox\">").Raw(table).Raw("</div>");
    }
    // Paging: `after` is this page's cursor; `trail` the earlier pages' (previous).
    std::string previous, following;
    if (!f.after.empty()) {
      std::string trail = f.trail, back = "";
      const size_t comma = trail.rfind(',');
      back = comma == std::string::npos ? trail : trail.substr(comma + 1);
      trail = comma == std::string::npos ? "" : trail.substr(0, comma);
      previous = "/alerts?" + f.Query();
      if (!back.empty() && back != "start") previous += "&after=" + UrlEncode(back);
      if (!trail.empty()) previous += "&trail=" + UrlEncode(trail);
    }
    if (!next.empty()) {
      const std::string trail =
          (f.trail.empty() ? "" : f.trail + ",") + (f.after.empty() ? "start" : f.after);
      following =
          "/alerts?" + f.Query() + "&after=" + UrlEncode(next) + "&trail=" + UrlEncode(trail);
    }
    h.Raw(Pagination(previous, following));
  }
  if (!all_errors.empty()) return ctx.Page("Alerts", h.str(), true);
  return ctx.Page("Alerts", h.str());
}

WebReply Inbox(WebContext& ctx) { return RenderInbox(ctx, {}, {}); }

// POST /alerts/acknowledge: the selected alerts acknowledged with one note, in one append
// (all or none), then back to the inbox with its filters.
WebReply AcknowledgeSelected(WebContext& ctx) {
  if (!MayAppend(ctx.session.role, EventType::ALERT_ACKNOWLEDGED)) {
    return ctx.Refused(Status::PermissionDenied("the " + RoleName(ctx.session.role) +
                                                " role may not acknowledge alerts"));
  }
  InboxForm form{ctx.form.Get("note"), ctx.form.All("alert")};
  if (form.selected.empty()) {
    return RenderInbox(ctx, form, {{"alert", "Select at least one alert"}});
  }
  std::map<std::string, std::string> fields;
  if (!form.note.empty()) fields["note"] = form.note;
  std::vector<std::unique_ptr<capnp::MallocMessageBuilder>> built;
  std::vector<std::string> labels;
  for (const auto& alert : form.selected) {
    auto message = std::make_unique<capnp::MallocMessageBuilder>();
    Status s = BuildAction(ctx, "ack", alert, fields, message.get());
    if (!s.ok()) {
      if (s.code() == Status::Code::kPermissionDenied) return ctx.Refused(s);
      const std::string field = FieldOf(s.message());
      return RenderInbox(ctx, form, {{field == "note" ? "note" : "alert", s.message()}});
    }
    built.push_back(std::move(message));
    labels.push_back("alert " + alert.substr(0, 8));
  }
  Answer answer = AppendAll(ctx, built, labels);
  if (!answer.ok()) {
    if (answer.status().code() == Status::Code::kPermissionDenied) {
      return ctx.Refused(answer.status());
    }
    return RenderInbox(ctx, form, {{"alert", answer.status().message()}});
  }
  const InboxFilter f = FilterOf(ctx.query);
  return ctx.Redirect("/alerts?" + f.Query() +
                      (f.after.empty() ? "" : "&after=" + UrlEncode(f.after)) +
                      "&done=acknowledged&n=" + std::to_string(built.size()));
}

// ---- one alert -----------------------------------------------------------------------------

// What a form on the alert page was sent with, and what was refused.
struct AlertForms {
  std::string which;  // acknowledge, resolve, assign: the form the errors are of
  std::string note, action, to, assign_note;
  std::vector<FieldError> errors;
};

// The alert's history: its raising and the acknowledgements, assignments, resolutions and
// withdrawals of it, as the reader may see them (caseShow's timeline). Empty when the case
// view cannot be read.
std::string History(const WebContext& ctx, api::AlertInfo::Reader alert) {
  const std::string id = alert.getAlert().cStr();
  Answer answer = ctx.Ask([&](api::Request::Builder r) { r.setCaseShow(alert.getCaseId()); });
  if (!answer.ok()) return "";
  struct Item {
    std::string title, by, time, text;
  };
  std::vector<Item> items;
  auto read = [&](api::Response::Reader response) {
    if (!response.isCaseView()) return;
    for (auto entry : response.getCaseView().getTimeline()) {
      auto e = entry.getEvent();
      Item item;
      item.by = e.getAuthor().getUser().cStr();
      item.time = ctx.Time(e.getOccurredAt().getUnixNanos());
      switch (e.which()) {
        case EventType::ALERT_RAISED:
          if (FormatUuid(ToUuid(e.getAlertRaised().getAlert())) != id) continue;
          item.title = "Raised";
          item.by = "";
          if (e.getAlertRaised().hasReason()) item.text = e.getAlertRaised().getReason();
          break;
        case EventType::ALERT_ACKNOWLEDGED:
          if (FormatUuid(ToUuid(e.getAlertAcknowledged().getAlert())) != id) continue;
          item.title = "Acknowledged";
          if (e.getAlertAcknowledged().hasNote()) item.text = e.getAlertAcknowledged().getNote();
          break;
        case EventType::ALERT_RESOLVED:
          if (FormatUuid(ToUuid(e.getAlertResolved().getAlert())) != id) continue;
          item.title = "Resolved";
          if (e.getAlertResolved().hasAction()) item.text = e.getAlertResolved().getAction();
          break;
        case EventType::ALERT_ASSIGNED:
          if (FormatUuid(ToUuid(e.getAlertAssigned().getAlert())) != id) continue;
          item.title = "Assigned to " + std::string(e.getAlertAssigned().getTo().cStr());
          if (e.getAlertAssigned().hasNote()) item.text = e.getAlertAssigned().getNote();
          break;
        case EventType::ALERT_WITHDRAWN:
          if (FormatUuid(ToUuid(e.getAlertWithdrawn().getAlert())) != id) continue;
          item.title = "Withdrawn";
          item.by = "";
          if (e.getAlertWithdrawn().hasReason()) item.text = e.getAlertWithdrawn().getReason();
          break;
        default:
          continue;
      }
      items.push_back(std::move(item));
    }
  };
  for (auto frame : answer.frames()) read(frame);
  read(answer.response());
  if (items.empty()) return "";
  Html h;
  h.Raw("<h2 class=\"govuk-heading-m\">History</h2><div class=\"moj-timeline\">");
  for (const auto& item : items) {
    h.Raw("<div class=\"moj-timeline__item\"><div class=\"moj-timeline__header\">");
    h.Element("h3", " class=\"moj-timeline__title\"", item.title);
    if (!item.by.empty())
      h.Raw(" ").Element("p", " class=\"moj-timeline__byline\"", "by " + item.by);
    h.Raw("</div><p class=\"moj-timeline__date\">").Text(item.time).Raw("</p>");
    if (!item.text.empty()) {
      h.Raw("<div class=\"moj-timeline__description\">")
          .Element("p", " class=\"govuk-body\"", item.text)
          .Raw("</div>");
    }
    h.Raw("</div>");
  }
  h.Raw("</div>");
  return h.Take();
}

std::string Details(const WebContext& ctx, api::AlertInfo::Reader a) {
  std::vector<SummaryRow> rows;
  auto text = [](std::string_view t) { return Escape(t); };
  rows.push_back({"Rule", text(RuleName(a.getRule().cStr())), "", ""});
  rows.push_back({"Severity", SeverityTag(a.getSeverity().cStr()), "", ""});
  rows.push_back({"Status", StatusTag(a.getStatus().cStr()), "", ""});
  rows.push_back({"Case", CaseLink(a), "", ""});
  rows.push_back({"Subject",
                  Link("/subjects/" + UrlEncode(a.getSubject().cStr()), a.getSubject().cStr()), "",
                  ""});
  if (a.getIntervention().size()) {
    std::string iv = text(a.getIntervention().cStr());
    if (a.getInterventionEnded()) iv += " " + Tag("Ended", "grey");
    rows.push_back({"Intervention", iv, "", ""});
  }
  rows.push_back({"Raised", text(ctx.Time(a.getRaisedAt())), "", ""});
  if (a.hasReason()) rows.push_back({"Reason", text(a.getReason().cStr()), "", ""});
  if (a.getAcknowledgedAt() >= 0) {
    rows.push_back({"Acknowledged",
                    text(ctx.Time(a.getAcknowledgedAt()) + " by " + a.getAcknowledgedBy().cStr()),
                    "", ""});
  }
  if (a.hasNote() && a.getNote().size()) {
    rows.push_back({"Acknowledgement note", text(a.getNote().cStr()), "", ""});
  }
  if (a.getResolvedAt() >= 0) {
    rows.push_back({"Resolved",
                    text(ctx.Time(a.getResolvedAt()) + " by " + a.getResolvedBy().cStr()), "", ""});
  }
  if (a.hasAction() && a.getAction().size()) {
    rows.push_back({"Action taken", text(a.getAction().cStr()), "", ""});
  }
  if (a.hasWithdrawReason() && a.getWithdrawReason().size()) {
    rows.push_back({"Withdrawn because", text(a.getWithdrawReason().cStr()), "", ""});
  }
  if (a.getAssignedTo().size()) {
    rows.push_back({"Assigned to",
                    text(std::string(a.getAssignedTo().cStr()) + " (by " +
                         a.getAssignedBy().cStr() + ", " + ctx.Time(a.getAssignedAt()) + ")"),
                    "", ""});
  } else {
    rows.push_back({"Assigned to", "Not assigned", "", ""});
  }
  if (a.hasAssignNote() && a.getAssignNote().size()) {
    rows.push_back({"Assignment note", text(a.getAssignNote().cStr()), "", ""});
  }
  rows.push_back(
      {"Alert ID", "<code class=\"hf-id\">" + text(a.getAlert().cStr()) + "</code>", "", ""});
  rows.push_back(
      {"Trigger", "<code class=\"hf-id\">" + text(a.getTrigger().cStr()) + "</code>", "", ""});
  return SummaryList(rows);
}

std::string ActionForms(const WebContext& ctx, const std::string& id, const std::string& status,
                        const AlertForms& forms) {
  const schema::Role role = ctx.session.role;
  const auto errors_of = [&](const char* which) {
    return forms.which == which ? forms.errors : std::vector<FieldError>{};
  };
  Html h;
  if (MayAppend(role, EventType::ALERT_ACKNOWLEDGED)) {
    const auto errors = errors_of("acknowledge");
    Html body;
    body.Raw("<h2 class=\"govuk-heading-m\" id=\"acknowledge\">Acknowledge</h2>");
    Field note("note", "Note (optional)", forms.note, ErrorFor(errors, "note"));
    note.hint = "What you have seen or done, for the people who read this alert";
    body.Raw(Textarea(note, 3)).Raw(Button("Acknowledge alert"));
    h.Raw(PostForm("/alerts/" + id + "/acknowledge", ctx.csrf(), body.str()));
  }
  // Resolving a resolved alert again is not refused (it is another event), but it is not
  // what a person means: the form is left out once the alert is resolved.
  if (MayAppend(role, EventType::ALERT_RESOLVED) && status != "resolved") {
    const auto errors = errors_of("resolve");
    Html body;
    body.Raw("<h2 class=\"govuk-heading-m\" id=\"resolve\">Resolve</h2>");
    Field action("action", "Action taken", forms.action, ErrorFor(errors, "action"));
    action.hint = "For example, home visit made, contact re-established";
    body.Raw(Textarea(action, 3)).Raw(Button("Resolve alert"));
    h.Raw(PostForm("/alerts/" + id + "/resolve", ctx.csrf(), body.str()));
  }
  if (MayAppend(role, EventType::ALERT_ASSIGNED)) {
    const auto errors = errors_of("assign");
    Html body;
    body.Raw("<h2 class=\"govuk-heading-m\" id=\"assign\">Assign</h2>");
    Field to("to", "Assign to (user ID)", forms.to, ErrorFor(errors, "to"));
    to.hint = "The user ID of the person who is to act on this alert, for example pc-1";
    to.width = "govuk-input--width-20";
    to.autocomplete = "off";
    body.Raw(TextInput(to));
    Field note("assign_note", "Note (optional)", forms.assign_note,
               ErrorFor(errors, "assign_note"));
    body.Raw(Textarea(note, 2)).Raw(Button("Assign alert", "secondary"));
    h.Raw(PostForm("/alerts/" + id + "/assign", ctx.csrf(), body.str()));
  }
  return h.Take();
}

// The alert page for `given` (a whole id: prefixes were redirected), with `forms`' values
// and errors.
WebReply RenderAlert(WebContext& ctx, const std::string& given, const AlertForms& forms) {
  Answer answer = ctx.Ask([&](api::Request::Builder r) { r.setResolveAlert(given); });
  if (!answer.ok()) return ctx.Refused(answer.status());
  if (!answer.response().isAlert()) return ctx.Refused(Status::IoError("unexpected answer"));
  auto a = answer.response().getAlert();
  const std::string id = a.getAlert().cStr();
  Html h;
  h.Raw(BackLink("/alerts", "Alerts"));
  h.Raw("<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
  h.Raw(ErrorSummary(forms.errors));
  if (forms.errors.empty()) {
    const std::string done = ctx.query.Get("done");
    const char* banner = done == "acknowledged" ? "Alert acknowledged"
                         : done == "resolved"   ? "Alert resolved"
                         : done == "assigned"   ? "Alert assigned"
                                                : nullptr;
    if (banner != nullptr) {
      h.Raw(NotificationBanner(
          "Success",
          "<p class=\"govuk-notification-banner__heading\">" + std::string(banner) + "</p>", true));
    }
  }
  h.Raw("<span class=\"govuk-caption-l\">Alert ").Text(id.substr(0, 8)).Raw("</span>");
  h.Raw("<h1 class=\"govuk-heading-l\">")
      .Text(RuleName(a.getRule().cStr()) + " alert on case " + a.getCaseId().cStr())
      .Raw("</h1>");
  h.Raw(Details(ctx, a));
  h.Raw(History(ctx, a));
  h.Raw(ActionForms(ctx, id, a.getStatus().cStr(), forms));
  h.Raw("</div></div>");
  const std::string title = RuleName(a.getRule().cStr()) + " alert " + id.substr(0, 8);
  return ctx.Page(title, h.str(), !forms.errors.empty());
}

WebReply AlertPage(WebContext& ctx) {
  const std::string& given = ctx.params[0];
  auto parsed = ParseUuid(given);
  if (!parsed || FormatUuid(*parsed) != given) {
    // A prefix (or an id in capitals): the page's address is the whole id.
    auto whole = WholeAlertId(ctx, given);
    if (!whole.ok()) return ctx.Refused(whole.status());
    return ctx.Redirect("/alerts/" + *whole);
  }
  return RenderAlert(ctx, given, {});
}

// POST /alerts/{id}/acknowledge|resolve|assign.
WebReply AlertAction(WebContext& ctx, const char* which, const char* route, EventType type) {
  if (!MayAppend(ctx.session.role, type)) {
    return ctx.Refused(Status::PermissionDenied("the " + RoleName(ctx.session.role) +
                                                " role may not record " +
                                                std::string(EventTypeName(type))));
  }
  AlertForms forms;
  forms.which = which;
  forms.note = ctx.form.Get("note");
  forms.action = ctx.form.Get("action");
  forms.to = ctx.form.Get("to");
  forms.assign_note = ctx.form.Get("assign_note");
  std::map<std::string, std::string> fields;
  if (type == EventType::ALERT_ACKNOWLEDGED) {
    if (!forms.note.empty()) fields["note"] = forms.note;
  } else if (type == EventType::ALERT_RESOLVED) {
    if (forms.action.empty()) {
      forms.errors.push_back({"action", "Enter the action taken"});
    } else {
      fields["action"] = forms.action;
    }
  } else {
    if (forms.to.empty()) {
      forms.errors.push_back({"to", "Enter the user ID of the person to assign the alert to"});
    } else {
      fields["to"] = forms.to;
    }
    if (!forms.assign_note.empty()) fields["note"] = forms.assign_note;
  }
  const std::string& given = ctx.params[0];
  // The field of this form a refusal names ("to: ..." -> to; the assign form's note is
  // assign_note); anything else goes on the form's first field.
  const auto field_of = [&](const Status& s) {
    std::string field = FieldOf(s.message());
    const std::string first = type == EventType::ALERT_ACKNOWLEDGED ? "note"
                              : type == EventType::ALERT_RESOLVED   ? "action"
                                                                    : "to";
    if (type == EventType::ALERT_ASSIGNED && field == "note") return std::string("assign_note");
    if (field == "note" || field == "action" || field == "to") return field;
    return first;
  };
  // The daemon's message after the field it names, under the label the person sees
  // ("Assign to: not a valid identifier ..."), so the summary says which field it is.
  const auto message_of = [&](const Status& s) {
    std::string m = s.message();
    if (!FieldOf(m).empty()) {
      m = m.substr(m.find(':') + 1);
      while (!m.empty() && m[0] == ' ') m.erase(0, 1);
    }
    const std::string field = field_of(s);
    const char* label = field == "to" ? "Assign to" : field == "action" ? "Action taken" : "Note";
    return std::string(label) + ": " + m;
  };
  if (forms.errors.empty()) {
    capnp::MallocMessageBuilder message;
    Status built = BuildAction(ctx, route, given, fields, &message);
    if (!built.ok()) {
      if (built.code() == Status::Code::kPermissionDenied ||
          built.code() == Status::Code::kNotFound) {
        return ctx.Refused(built);
      }
      forms.errors.push_back({field_of(built), message_of(built)});
    } else {
      std::vector<std::unique_ptr<capnp::MallocMessageBuilder>> one;
      auto copy = std::make_unique<capnp::MallocMessageBuilder>();
      copy->setRoot(message.getRoot<api::Request>().asReader());
      one.push_back(std::move(copy));
      Answer answer = AppendAll(ctx, one, {"alert"});
      if (answer.ok()) {
        auto whole = WholeAlertId(ctx, given);
        const std::string done = type == EventType::ALERT_ACKNOWLEDGED ? "acknowledged"
                                 : type == EventType::ALERT_RESOLVED   ? "resolved"
                                                                       : "assigned";
        return ctx.Redirect("/alerts/" + (whole.ok() ? *whole : given) + "?done=" + done);
      }
      if (answer.status().code() == Status::Code::kPermissionDenied ||
          answer.status().code() == Status::Code::kNotFound) {
        return ctx.Refused(answer.status());
      }
      forms.errors.push_back({field_of(answer.status()), message_of(answer.status())});
    }
  }
  return RenderAlert(ctx, given, forms);
}

WebReply Acknowledge(WebContext& ctx) {
  return AlertAction(ctx, "acknowledge", "ack", EventType::ALERT_ACKNOWLEDGED);
}
WebReply Resolve(WebContext& ctx) {
  return AlertAction(ctx, "resolve", "resolve", EventType::ALERT_RESOLVED);
}
WebReply Assign(WebContext& ctx) {
  return AlertAction(ctx, "assign", "assign", EventType::ALERT_ASSIGNED);
}

}  // namespace

std::vector<Page> AlertPages() {
  return {
      {"GET", "/alerts", Right::kReadCases, "alerts", Inbox},
      {"POST", "/alerts/acknowledge", Right::kCaseWork, "alerts", AcknowledgeSelected},
      {"GET", "/alerts/{id}", Right::kReadCases, "alerts", AlertPage},
      {"POST", "/alerts/{id}/acknowledge", Right::kCaseWork, "alerts", Acknowledge},
      {"POST", "/alerts/{id}/resolve", Right::kCaseWork, "alerts", Resolve},
      {"POST", "/alerts/{id}/assign", Right::kCaseWork, "alerts", Assign},
  };
}

}  // namespace holdfast::web
