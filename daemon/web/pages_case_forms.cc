// A case's forms (/cases/ID/...): record attendance, a breach, a risk change, a closure and a
// void, each refusal of the checks at entry shown in the form (docs/web-caseforms.md).
//
// Each form builds its one event as the CLI's verb builds it (cli/event_verbs.cc): its JSON
// form through the import parser (EventFromJson), then the request table's `append`, as the
// signed-in user. So the web, the CLI and the API accept and refuse exactly the same things;
// this file only checks first that the fields a person must fill in are filled in.
#include <capnp/dynamic.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <optional>

#include "daemon/handler.h"
#include "daemon/rights.h"
#include "daemon/safe_text.h"
#include "daemon/web/web_app.h"
#include "eventstore/event_json.h"
#include "eventstore/ids.h"
#include "eventstore/validate.h"

namespace holdfast::web {
namespace {

// What a form shows after a refusal: every error in the summary, each linking to a field;
// those that name a field also on it.
struct Problems {
  std::vector<FieldError> summary;
  std::vector<FieldError> on_fields;
  bool any() const { return !summary.empty(); }
  void Add(const std::string& field, const std::string& message) {
    summary.push_back({field, message});
    on_fields.push_back({field, message});
  }
  // An error no field answers for: in the summary alone, linking to the form's first field.
  void AddToSummary(const std::string& first_field, const std::string& message) {
    summary.push_back({first_field, message});
  }
  std::string On(std::string_view field) const { return ErrorFor(on_fields, field); }
};

// --- the case ------------------------------------------------------------------------------

// The case as the signed-in person may read it (caseShow): its header, interventions and, in
// `timeline`, every entry of every frame. A refusal (a case this person may not read, or none
// such) is the table's, and the page says only that.
struct CaseData {
  Answer answer;
  std::vector<api::TimelineEntry::Reader> timeline;
  api::CaseView::Reader view() const { return answer.response().getCaseView(); }
  std::string id() const { return view().getHeader().getCaseId(); }
  bool closed() const { return std::string(view().getHeader().getStatus().cStr()) == "closed"; }
};

std::optional<WebReply> LoadCase(WebContext& ctx, CaseData* out) {
  const std::string id = ctx.params[0];
  out->answer = ctx.Ask([&](api::Request::Builder r) { r.setCaseShow(id); });
  if (!out->answer.ok()) return ctx.RefusedCase(out->answer.status());
  if (!out->answer.response().isCaseView()) {
    return ctx.Refused(Status::IoError("the node answered the case's request with something else"));
  }
  for (auto frame : out->answer.frames()) {
    if (!frame.isCaseView()) continue;
    for (auto t : frame.getCaseView().getTimeline()) out->timeline.push_back(t);
  }
  for (auto t : out->view().getTimeline()) out->timeline.push_back(t);
  return std::nullopt;
}

// The 403 page for a role that may not record this (before anything is read).
std::optional<WebReply> RoleMayNot(WebContext& ctx, EventType type, std::string_view doing) {
  if (MayAppend(ctx.session.role, type)) return std::nullopt;
  return ctx.Refused(Status::PermissionDenied(
      "Your role (" + RoleName(ctx.session.role) + ") cannot " + std::string(doing) +
      ". Users with a role that records " + std::string(EventTypeName(type)) + " can."));
}

// --- appending -----------------------------------------------------------------------------

// `"name":"value"` members of an event's data.
class Data {
 public:
  Data& Text(const char* name, const std::string& value) {
    Member(name, JsonString(value, InvalidUtf8::kKeep));
    return *this;
  }
  Data& Bool(const char* name, bool value) {
    Member(name, value ? "true" : "false");
    return *this;
  }
  const std::string& json() const { return json_; }

 private:
  void Member(const char* name, const std::string& value) {
    json_ += (json_.empty() ? "" : ",") + JsonString(name) + ":" + value;
  }
  std::string json_;
};

// Each case form carries a token made when it is shown (and kept when it is shown again with
// errors). The event's id is named by the token and the person, so a form sent twice (a
// double click, a reload that sends it again) is one event: the same content is the same
// event to the store, and a second send refused (its "now" fell in the next second, so the
// store sees other content under that id; or the entry checks refuse what the first send
// did, such as closing a closed case) finds the first send's event held, and is done.
constexpr Uuid kWebCaseFormNamespace{0x3c8e5a1f7b2d4e90ULL, 0xa4f1c6d83e5b2a17ULL};

// The token of the form being sent (POST) or a new one for a form being shown.
std::string FormToken(const WebContext& ctx) {
  if (ctx.request.method == "POST") {
    if (auto token = ParseUuid(ctx.form.Get("token"))) return FormatUuid(*token);
  }
  return FormatUuid(RandomUuid());
}

// A case form: its CSRF token and its form token, then `html`.
std::string CaseForm(const WebContext& ctx, const std::string& action, const std::string& html) {
  return PostForm(
      action, ctx.csrf(),
      "<input type=\"hidden\" name=\"token\"" + Attr("value", FormToken(ctx)) + ">" + html);
}

// Appends one event of `type` with `data`, at `at` (unix nanoseconds), through the request
// table; the refusal's status otherwise (nothing is written then). The author is the
// daemon's to set (the signed-in user): what is here is a placeholder it replaces. Ok when
// this form was recorded by an earlier send.
Status AppendEvent(WebContext& ctx, EventType type, const Data& data, int64_t at,
                   bool unlisted_session = false) {
  const auto token = ParseUuid(ctx.form.Get("token"));
  const Uuid id =
      token ? NameUuid(kWebCaseFormNamespace, JoinNameParts({FormatUuid(*token), ctx.session.user}))
            : RandomUuid();
  const std::string json = "{\"id\":" + JsonString(FormatUuid(id)) +
                           ",\"type\":" + JsonString(std::string(EventTypeName(type))) +
                           ",\"occurred_at\":" + JsonString(FormatRfc3339(at)) +
                           ",\"author\":{\"user\":\"-\",\"role\":\"probation\",\"agency\":\"-\"},"
                           "\"data\":{" +
                           data.json() + "}}";
  auto event = EventFromJson(json);
  if (!event.ok()) return event.status();
  const Answer answer = ctx.Ask([&](api::Request::Builder r) {
    auto append = r.initAppend();
    append.initEvents(1).setWithCaveats(0, event->reader());
    if (type == EventType::ATTENDANCE_RECORDED) append.setUnlistedSession(unlisted_session);
  });
  if (token && !answer.ok() && ctx.app.handler()->Holds(id)) return Status::Ok();
  return answer.status();
}

int64_t NowSeconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count() * 1000000000LL;
}

// The time in the form's "when" field (empty: now), or an error on that field.
int64_t WhenOf(WebContext& ctx, Problems* p) {
  const std::string text = ctx.form.Get("when");
  if (text.find_first_not_of(' ') == std::string::npos) return NowSeconds();
  auto t = ctx.ParseTime(text);
  if (t.ok()) return *t;
  const std::string& m = t.status().message();
  p->Add("when", m.rfind("give a date", 0) == 0
                     ? "Enter the date and time as 2026-12-07 18:00, or just the date"
                     : m);
  return 0;
}

// A refusal as a person at a web form reads it: the command-line words in the table's
// messages ("--at", "holdfast record void --event ID --reason TEXT") in the form's terms.
std::string ForTheWeb(std::string m) {
  if (size_t in = m.find(" (in "); in != std::string::npos && m.back() == ')') m.erase(in);
  // "(holdfast record void --event ID --reason TEXT)" -> "(void record ID from the case's
  // timeline)", each time it occurs.
  const std::string head = "(holdfast record void --event ", tail = " --reason TEXT)";
  for (size_t at = m.find(head); at != std::string::npos; at = m.find(head, at + 1)) {
    const size_t id = at + head.size();
    size_t end = id;
    while (end < m.size() && (std::isxdigit(static_cast<unsigned char>(m[end])) || m[end] == '-')) {
      ++end;
    }
    if (end == id || m.compare(end, tail.size(), tail) != 0) continue;
    m.replace(at, end + tail.size() - at,
              "(void record " + m.substr(id, end - id) + " from the case's timeline)");
  }
  static const std::pair<const char*, const char*> words[] = {
      {"give --unlisted-session for a one-to-one appointment",
       "tick \"One-to-one appointment\" if it was not a group session"},
      {"check --at", "check the date and time"},
      {"log the session first (holdfast session log, or session register)",
       "register the session first"},
      {"(holdfast case show --case ", "(see case "},
  };
  for (const auto& [from, to] : words) {
    if (size_t at = m.find(from); at != std::string::npos) m.replace(at, std::strlen(from), to);
  }
  return m;
}

// Puts a refusal of the table (or of the event parser) on the field it names. `fields` maps
// what messages name ("session", "at", "reason") to the form's field ids; a message naming
// none goes in the summary alone, linking to `first_field`.
void AddRefusal(const Status& status,
                const std::vector<std::pair<std::string, std::string>>& fields,
                const std::string& first_field, Problems* p) {
  std::string m = status.message();
  std::string named;
  const size_t colon = m.find(": ");
  if (m.rfind("data.", 0) == 0 && colon != std::string::npos) {
    named = m.substr(5, colon - 5);
    m = m.substr(colon + 2);
  } else if (m.rfind("--", 0) == 0 && colon != std::string::npos) {
    named = m.substr(2, colon - 2);
    m = m.substr(colon + 2);
  } else if (m.rfind("occurred_at: ", 0) == 0) {
    named = "at";
    m = m.substr(13);
  } else if (m.find("check --at") != std::string::npos) {
    named = "at";
  } else {
    named = m.substr(0, m.find(' '));  // "session S is not logged ...", "intervention I of ..."
  }
  m = ForTheWeb(m);
  for (const auto& [name, field] : fields) {
    if (name == named) {
      p->Add(field, m);
      return;
    }
  }
  p->AddToSummary(first_field, m);
}

// --- rendering -----------------------------------------------------------------------------

std::string Humanise(std::string text) {
  for (char& c : text) {
    if (c == '_') c = ' ';
  }
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 32);
  return text;
}

// A submit button the design system's JavaScript keeps from being sent twice by a double click
// (a breach sent twice would be two breaches).
std::string SubmitButton(std::string_view text, std::string_view variant = "") {
  std::string cls = "govuk-button";
  if (!variant.empty()) cls.append(" govuk-button--").append(variant);
  return Html()
      .Raw("<button type=\"submit\"")
      .Raw(Attr("class", cls))
      .Raw(" data-module=\"govuk-button\" data-prevent-double-click=\"true\">")
      .Text(text)
      .Raw("</button>")
      .Take();
}

std::string WhenField(WebContext& ctx, const Problems& p, std::string_view what) {
  Field when("when", "When " + std::string(what) + " (optional)", ctx.form.Get("when"),
             p.On("when"));
  when.hint = "For example, 2026-12-07 18:00 (" + ctx.app.options().timezone +
              " time). Leave it empty for now.";
  when.width = "govuk-input--width-10";
  when.autocomplete = "off";
  return TextInput(when);
}

// The page around a form: a back link to the case, the error summary, the case's id over the
// heading, then `body`.
WebReply FormPage(WebContext& ctx, const CaseData& c, const std::string& title, const Problems& p,
                  const std::string& body) {
  Html h;
  h.Raw(BackLink("/cases/" + c.id(), "Back to case " + c.id()));
  h.Raw("<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
  h.Raw(ErrorSummary(p.summary));
  h.Element("span", " class=\"govuk-caption-l\"", "Case " + c.id());
  h.Element("h1", " class=\"govuk-heading-l\"", title);
  h.Raw(body);
  h.Raw("</div></div>");
  WebReply reply = ctx.Page(title + " - case " + c.id(), h.str(), p.any());
  return reply;
}

std::string ClosedNote(WebContext& ctx, const CaseData& c) {
  if (!c.closed()) return "";
  return InsetText(
      Html()
          .Text("This case was closed on " + ctx.Date(c.view().getHeader().getClosedAt()) +
                ". A closed case takes no new records; if it was closed by mistake, void its "
                "closing from the case's timeline first.")
          .Take());
}

std::string FormAction(const CaseData& c, std::string_view form) {
  return "/cases/" + c.id() + "/" + std::string(form);
}

// --- attendance ----------------------------------------------------------------------------

// The outcomes, as the schema names them. The reason box stands on its own under them rather
// than revealed by the absences (the design system's conditional reveal): its script sets
// aria-expanded on radio buttons, which WCAG 2.2's ARIA rules (and axe) do not allow there.
const std::vector<Option> kOutcomes = {
    {"attended", "Attended", ""},
    {"late", "Late", ""},
    {"left_early", "Left early", ""},
    {"absent_acceptable", "Absent, acceptable",
     "For example, illness with a note, or a clash agreed in advance"},
    {"absent_unacceptable", "Absent, unacceptable", ""},
};

WebReply AttendanceForm(WebContext& ctx, const CaseData& c, const Problems& p) {
  auto interventions = c.view().getInterventions();
  std::vector<Option> options{{"", "Choose an intervention", ""}};
  std::string only_running;
  int running = 0;
  for (auto i : interventions) {
    const std::string id = i.getIntervention();
    std::string text = id;
    if (i.getProgramme().size() > 0) text += " - " + Humanise(i.getProgramme());
    if (i.getProvider().size() > 0) text += " (" + std::string(i.getProvider().cStr()) + ")";
    text += ", " + std::string(i.getState().cStr());
    options.push_back({id, text, ""});
    if (std::string(i.getState().cStr()) == "started") {
      ++running;
      only_running = id;
    }
  }
  Field intervention(
      "intervention", "Intervention",
      ctx.request.method == "GET" && running == 1 ? only_running : ctx.form.Get("intervention"),
      p.On("intervention"));
  Field session("session", "Session ID", ctx.form.Get("session"), p.On("session"));
  session.hint = "As the session was logged, for example S-2026-12-07-grpA";
  session.width = "govuk-input--width-20";
  session.autocomplete = "off";
  const std::vector<std::string> unlisted = ctx.form.Get("unlisted") == "yes"
                                                ? std::vector<std::string>{"yes"}
                                                : std::vector<std::string>{};
  const std::vector<std::string> concern = ctx.form.Get("concern") == "yes"
                                               ? std::vector<std::string>{"yes"}
                                               : std::vector<std::string>{};
  Html body;
  body.Raw(ClosedNote(ctx, c));
  body.Raw(Select(intervention, options));
  body.Raw(TextInput(session));
  body.Raw(Checkboxes(Field("unlisted", "", "", p.On("unlisted")),
                      {{"yes", "One-to-one appointment (no group session)",
                        "Tick this when the session is not logged on this node as a group "
                        "session, for example a one-to-one appointment"}},
                      unlisted, true));
  body.Raw(
      Radios(Field("outcome", "Outcome", ctx.form.Get("outcome"), p.On("outcome")), kOutcomes));
  Field reason("reason", "Reason (optional)", ctx.form.Get("reason"), p.On("reason"));
  reason.hint =
      "Why they were absent, late or left early, for example hospital appointment, "
      "letter seen";
  body.Raw(Textarea(reason, 3));
  body.Raw(Checkboxes(Field("concern", "", "", p.On("concern")),
                      {{"yes", "Behaviour concern", "Something in the session worried you"}},
                      concern, true));
  body.Raw(WhenField(ctx, p, "the session was"));
  body.Raw(SubmitButton("Record attendance"));
  return FormPage(ctx, c, "Record attendance", p,
                  CaseForm(ctx, FormAction(c, "attendance"), body.str()));
}

WebReply ShowAttendance(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::ATTENDANCE_RECORDED, "record attendance")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  return AttendanceForm(ctx, c, {});
}

WebReply RecordAttendance(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::ATTENDANCE_RECORDED, "record attendance")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  Problems p;
  const std::string intervention = ctx.form.Get("intervention");
  const std::string session = ctx.form.Get("session");
  const std::string outcome = ctx.form.Get("outcome");
  if (intervention.empty()) p.Add("intervention", "Select an intervention");
  if (session.find_first_not_of(' ') == std::string::npos) {
    p.Add("session", "Enter the session ID");
  }
  if (outcome.empty()) p.Add("outcome", "Select an outcome");
  const int64_t at = WhenOf(ctx, &p);
  if (p.any()) return AttendanceForm(ctx, c, p);
  Data data;
  data.Text("case", c.id()).Text("intervention", intervention).Text("session", session);
  data.Text("outcome", outcome);
  const std::string reason = ctx.form.Get("reason");
  if (!reason.empty()) data.Text("reason", reason);
  if (ctx.form.Get("concern") == "yes") data.Bool("concern", true);
  const Status s =
      AppendEvent(ctx, EventType::ATTENDANCE_RECORDED, data, at, ctx.form.Get("unlisted") == "yes");
  if (s.ok()) return ctx.Redirect("/cases/" + c.id() + "?done=attendance");
  AddRefusal(s,
             {{"intervention", "intervention"},
              {"session", "session"},
              {"unlisted-session", "unlisted"},
              {"outcome", "outcome"},
              {"reason", "reason"},
              {"concern", "concern"},
              {"at", "when"}},
             "intervention", &p);
  return AttendanceForm(ctx, c, p);
}

// --- breach --------------------------------------------------------------------------------

WebReply BreachForm(WebContext& ctx, const CaseData& c, const Problems& p) {
  Html body;
  body.Raw(ClosedNote(ctx, c));
  body.Raw(Radios(Field("kind", "What kind of breach?", ctx.form.Get("kind"), p.On("kind")),
                  {{"failure_to_comply", "Failure to comply", ""},
                   {"order_breach", "Breach of the order", ""},
                   {"dvpo_breach", "Breach of a DVPO", ""},
                   {"recall", "Recall", ""}}));
  Field detail("detail", "Details (optional)", ctx.form.Get("detail"), p.On("detail"));
  detail.hint = "Police are told that a breach was reported, not these details.";
  body.Raw(Textarea(detail));
  body.Raw(WhenField(ctx, p, "it happened"));
  body.Raw(WarningText("Each breach reported raises a high alert, which police see."));
  body.Raw(SubmitButton("Report breach"));
  return FormPage(ctx, c, "Report a breach", p, CaseForm(ctx, FormAction(c, "breach"), body.str()));
}

WebReply ShowBreach(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::BREACH_REPORTED, "report a breach")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  return BreachForm(ctx, c, {});
}

WebReply ReportBreach(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::BREACH_REPORTED, "report a breach")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  Problems p;
  const std::string kind = ctx.form.Get("kind");
  if (kind.empty()) p.Add("kind", "Select the kind of breach");
  const int64_t at = WhenOf(ctx, &p);
  if (p.any()) return BreachForm(ctx, c, p);
  Data data;
  data.Text("case", c.id()).Text("kind", kind);
  if (!ctx.form.Get("detail").empty()) data.Text("detail", ctx.form.Get("detail"));
  const Status s = AppendEvent(ctx, EventType::BREACH_REPORTED, data, at);
  if (s.ok()) return ctx.Redirect("/cases/" + c.id() + "?done=breach");
  AddRefusal(s, {{"kind", "kind"}, {"detail", "detail"}, {"at", "when"}}, "kind", &p);
  return BreachForm(ctx, c, p);
}

// --- risk ----------------------------------------------------------------------------------

WebReply RiskForm(WebContext& ctx, const CaseData& c, const Problems& p) {
  const auto header = c.view().getHeader();
  Html body;
  body.Raw(ClosedNote(ctx, c));
  body.Raw(InsetText(Html()
                         .Text("The risk now: " + Humanise(header.getRisk()) +
                               (header.getMarac() ? ", referred to MARAC." : "."))
                         .Take()));
  Field risk("risk", "New risk level", ctx.form.Get("risk"), p.On("risk"));
  risk.hint =
      "Raising it to high or very high, or a MARAC referral, raises a risk escalation alert, "
      "which police see.";
  body.Raw(Radios(risk, {{"standard", "Standard", ""},
                         {"medium", "Medium", ""},
                         {"high", "High", ""},
                         {"very_high", "Very high", ""}}));
  body.Raw(Checkboxes(Field("marac", "", "", p.On("marac")),
                      {{"yes", "Referred to MARAC", "The multi-agency risk assessment conference"}},
                      ctx.form.Get("marac") == "yes" ? std::vector<std::string>{"yes"}
                                                     : std::vector<std::string>{}));
  body.Raw(WhenField(ctx, p, "the risk changed"));
  body.Raw(SubmitButton("Record risk change"));
  return FormPage(ctx, c, "Record a risk change", p,
                  CaseForm(ctx, FormAction(c, "risk"), body.str()));
}

WebReply ShowRisk(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::CASE_RISK_CHANGED, "record a risk change")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  return RiskForm(ctx, c, {});
}

WebReply ChangeRisk(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::CASE_RISK_CHANGED, "record a risk change")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  Problems p;
  const std::string risk = ctx.form.Get("risk");
  if (risk.empty()) p.Add("risk", "Select the new risk level");
  const int64_t at = WhenOf(ctx, &p);
  if (p.any()) return RiskForm(ctx, c, p);
  Data data;
  data.Text("case", c.id()).Text("risk", risk);
  if (ctx.form.Get("marac") == "yes") data.Bool("marac", true);
  const Status s = AppendEvent(ctx, EventType::CASE_RISK_CHANGED, data, at);
  if (s.ok()) return ctx.Redirect("/cases/" + c.id() + "?done=risk");
  AddRefusal(s, {{"risk", "risk"}, {"marac", "marac"}, {"at", "when"}}, "risk", &p);
  return RiskForm(ctx, c, p);
}

// --- close ---------------------------------------------------------------------------------

WebReply CloseForm(WebContext& ctx, const CaseData& c, const Problems& p) {
  Html body;
  body.Raw(ClosedNote(ctx, c));
  body.Raw(
      Radios(Field("reason", "Why is the case closing?", ctx.form.Get("reason"), p.On("reason")),
             {{"order_ended", "The order ended", ""},
              {"completed", "Completed", ""},
              {"revoked", "Revoked", ""},
              {"transferred", "Transferred", ""},
              {"other", "Other", ""}}));
  body.Raw(WhenField(ctx, p, "it closed"));
  // SPEC "Keeping the record right" and "Accountability alert rules": a closed case takes
  // nothing but voids and alert acknowledgements and resolutions; and an intervention stays
  // active until its own completion or exit, so closing does not end its alerts.
  std::string running;
  for (auto i : c.view().getInterventions()) {
    if (std::string(i.getState().cStr()) == "started") {
      running += (running.empty() ? "" : ", ") + std::string(i.getIntervention().cStr());
    }
  }
  if (!running.empty()) {
    body.Raw(WarningText("Intervention " + running +
                         " has not ended. Closing the case does not end it: record its "
                         "completion or exit first, or its no-contact alerts go on being "
                         "raised and can no longer be stopped from here."));
  }
  body.Raw(WarningText(
      "A closed case takes no new records, only voids and alert acknowledgements and "
      "resolutions. An incident reported for this person after closing still raises a "
      "reoffending alert for some time (365 days, unless this node's rules say otherwise)."));
  body.Raw(SubmitButton("Close case", "warning"));
  return FormPage(ctx, c, "Close the case", p, CaseForm(ctx, FormAction(c, "close"), body.str()));
}

WebReply ShowClose(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::CASE_CLOSED, "close a case")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  return CloseForm(ctx, c, {});
}

WebReply CloseCase(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::CASE_CLOSED, "close a case")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  Problems p;
  const std::string reason = ctx.form.Get("reason");
  if (reason.empty()) p.Add("reason", "Select why the case is closing");
  const int64_t at = WhenOf(ctx, &p);
  if (p.any()) return CloseForm(ctx, c, p);
  Data data;
  data.Text("case", c.id()).Text("reason", reason);
  const Status s = AppendEvent(ctx, EventType::CASE_CLOSED, data, at);
  if (s.ok()) return ctx.Redirect("/cases/" + c.id() + "?done=closed");
  AddRefusal(s, {{"reason", "reason"}, {"at", "when"}}, "reason", &p);
  return CloseForm(ctx, c, p);
}

// --- void ----------------------------------------------------------------------------------

// The timeline entry of event `id` in the case as this person sees it, or nullptr.
const api::TimelineEntry::Reader* FindEntry(const CaseData& c, const std::string& id) {
  const auto wanted = ParseUuid(id);
  if (!wanted) return nullptr;
  for (const auto& t : c.timeline) {
    if (ToUuid(t.getEvent().getId()) == *wanted) return &t;
  }
  return nullptr;
}

// What the record says, one summary row a field (fields withheld from this role are unset
// and left out; so is the case, which the page names).
std::vector<SummaryRow> Describe(WebContext& ctx, api::TimelineEntry::Reader t) {
  const auto e = t.getEvent();
  const auto author = e.getAuthor();
  auto roles = capnp::Schema::from<schema::Role>().getEnumerants();
  const auto role_index = static_cast<unsigned>(author.getRole());
  const std::string role = role_index < roles.size() ? JsonNameOf(roles[role_index]) : "";
  std::vector<SummaryRow> rows;
  auto row = [&](std::string key, const std::string& text) {
    rows.push_back({std::move(key), Escape(text), "", ""});
  };
  row("Record", std::string(EventTypeName(e.which())));
  row("When", ctx.Time(e.getOccurredAt().getUnixNanos()));
  row("Recorded by",
      std::string(author.getUser().cStr()) + " (" + role + ", " + author.getAgency().cStr() + ")");
  capnp::DynamicStruct::Reader dyn(e);
  KJ_IF_MAYBE (member, dyn.which()) {
    auto body = dyn.get(*member).as<capnp::DynamicStruct>();
    for (auto field : body.getSchema().getNonUnionFields()) {
      const std::string name = JsonNameOf(field);
      if (name == "case") continue;
      auto type = field.getType();
      std::string value;
      if (type.isText()) {
        value = body.get(field).as<capnp::Text>().cStr();
      } else if (type.isBool()) {
        if (body.get(field).as<bool>()) value = "Yes";
      } else if (type.isEnum()) {
        KJ_IF_MAYBE (en, body.get(field).as<capnp::DynamicEnum>().getEnumerant()) {
          value = Humanise(JsonNameOf(*en));
        }
      } else if (type.isStruct() && type.asStruct() == capnp::Schema::from<schema::Uuid>() &&
                 body.has(field)) {
        value = FormatUuid(ToUuid(body.get(field).as<schema::Uuid>()));
      }
      if (!value.empty()) row(Humanise(name), value);
    }
  }
  row("Record ID", FormatUuid(ToUuid(e.getId())));
  return rows;
}

WebReply VoidForm(WebContext& ctx, const CaseData& c, api::TimelineEntry::Reader t,
                  const Problems& p) {
  const std::string event = FormatUuid(ToUuid(t.getEvent().getId()));
  Html body;
  body.Raw("<h2 class=\"govuk-heading-m\">The record</h2>");
  body.Raw(SummaryList(Describe(ctx, t)));
  if (t.getVoided()) {
    body.Raw(InsetText(Html()
                           .Text("This record was voided on " + ctx.Date(t.getVoidedAt()) + " by " +
                                 t.getVoidedBy().cStr() +
                                 (t.hasVoidReason() ? ": " + std::string(t.getVoidReason().cStr())
                                                    : std::string(".")))
                           .Take()));
    return FormPage(ctx, c, "Void a record", p, body.str());
  }
  Field reason("reason", "Why is this record wrong?", ctx.form.Get("reason"), p.On("reason"));
  reason.hint =
      "For example, recorded against the wrong session. Everyone who can see the "
      "record sees this reason.";
  Html form;
  form.Raw(Textarea(reason, 3));
  form.Raw(WarningText(
      "Voiding is final. The record stays in the log, struck through, but every rule, list "
      "and report then treats it as if it had never been made."));
  form.Raw(SubmitButton("Void this record", "warning"));
  body.Raw(CaseForm(ctx, FormAction(c, "void") + "?event=" + UrlEncode(event), form.str()));
  return FormPage(ctx, c, "Void a record", p, body.str());
}

// The entry the form's ?event= names, if this person may void it; else the page saying why.
std::optional<WebReply> VoidTarget(WebContext& ctx, const CaseData& c,
                                   const api::TimelineEntry::Reader** out) {
  const std::string event = ctx.query.Get("event");
  *out = FindEntry(c, event);
  if (*out == nullptr) {
    return ctx.Refused(
        Status::NotFound("Case " + c.id() + " has no record " + event +
                         " that you can see. Choose the record to void from the case's timeline."));
  }
  const EventType type = (*out)->getEvent().which();
  if (!MayVoid(ctx.session.role, type)) {
    return ctx.Refused(Status::PermissionDenied(
        "This record is " + std::string(EventTypeName(type)) + ", which your role (" +
        RoleName(ctx.session.role) + ") cannot void: only a role that records " +
        std::string(EventTypeName(type)) + " may, and alerts, voids and erasures never."));
  }
  return std::nullopt;
}

WebReply ShowVoid(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::RECORD_VOIDED, "void records")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  const api::TimelineEntry::Reader* t = nullptr;
  if (auto refused = VoidTarget(ctx, c, &t)) return *refused;
  return VoidForm(ctx, c, *t, {});
}

WebReply VoidRecord(WebContext& ctx) {
  if (auto no = RoleMayNot(ctx, EventType::RECORD_VOIDED, "void records")) return *no;
  CaseData c;
  if (auto refused = LoadCase(ctx, &c)) return *refused;
  const api::TimelineEntry::Reader* t = nullptr;
  if (auto refused = VoidTarget(ctx, c, &t)) return *refused;
  Problems p;
  const std::string reason = ctx.form.Get("reason");
  if (reason.find_first_not_of(" \r\n\t") == std::string::npos) {
    p.Add("reason", "Enter why this record is wrong");
    return VoidForm(ctx, c, *t, p);
  }
  Data data;
  const std::string event = FormatUuid(ToUuid(t->getEvent().getId()));
  data.Text("event", event).Text("reason", reason);
  const Status s = AppendEvent(ctx, EventType::RECORD_VOIDED, data, NowSeconds());
  if (s.ok()) return ctx.Redirect("/cases/" + c.id() + "?done=voided");
  AddRefusal(s, {{"reason", "reason"}}, "reason", &p);
  return VoidForm(ctx, c, *t, p);
}

}  // namespace

std::vector<Page> CaseFormPages() {
  return {
      {"GET", "/cases/{id}/attendance", Right::kCaseWork, "cases", ShowAttendance},
      {"POST", "/cases/{id}/attendance", Right::kCaseWork, "cases", RecordAttendance},
      {"GET", "/cases/{id}/breach", Right::kCaseWork, "cases", ShowBreach},
      {"POST", "/cases/{id}/breach", Right::kCaseWork, "cases", ReportBreach},
      {"GET", "/cases/{id}/risk", Right::kCaseWork, "cases", ShowRisk},
      {"POST", "/cases/{id}/risk", Right::kCaseWork, "cases", ChangeRisk},
      {"GET", "/cases/{id}/close", Right::kCaseWork, "cases", ShowClose},
      {"POST", "/cases/{id}/close", Right::kCaseWork, "cases", CloseCase},
      {"GET", "/cases/{id}/void", Right::kCaseWork, "cases", ShowVoid},
      {"POST", "/cases/{id}/void", Right::kCaseWork, "cases", VoidRecord},
  };
}

}  // namespace holdfast::web
