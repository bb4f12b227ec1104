// The session register (/sessions/ID/register): a group's roster as one form marking every
// attendee, saved as one atomic append of session.held and every attendance.recorded (all
// rows or none), as `holdfast session register` does (cli/session_register.cc). Starting a
// register: /sessions/new. Notes: docs/web-register.md.
#include <capnp/message.h>
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "daemon/web/web_app.h"
#include "eventstore/event.h"
#include "eventstore/ids.h"
#include "eventstore/validate.h"

namespace holdfast::web {
namespace {

// The namespace of the web register's record ids (as the CLI's kRegisterNamespace, another
// value): a form sent twice is the same events, recorded once.
constexpr Uuid kWebRegisterNamespace{0x6b1f2e9d4c3a4e71ULL, 0x9d2c5a7e3b1f8c46ULL};

// The most rows one register takes (a group is about a dozen people).
constexpr size_t kMaxRows = 500;

const std::vector<Option>& Outcomes() {
  static const std::vector<Option> outcomes = {
      {"attended", "Attended", ""},
      {"late", "Late", ""},
      {"left_early", "Left early", ""},
      {"absent_acceptable", "Absent (acceptable)", ""},
      {"absent_unacceptable", "Absent (unacceptable)", ""}};
  return outcomes;
}

std::string OutcomeText(std::string_view value) {
  for (const auto& o : Outcomes()) {
    if (o.value == value) return o.text;
  }
  return std::string(value);
}

bool OutcomeOf(std::string_view value, schema::AttendanceOutcome* out) {
  using O = schema::AttendanceOutcome;
  static const std::map<std::string_view, O> by_name = {
      {"attended", O::ATTENDED},
      {"late", O::LATE},
      {"left_early", O::LEFT_EARLY},
      {"absent_acceptable", O::ABSENT_ACCEPTABLE},
      {"absent_unacceptable", O::ABSENT_UNACCEPTABLE}};
  auto it = by_name.find(value);
  if (it == by_name.end()) return false;
  *out = it->second;
  return true;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Unix nanoseconds as a person types a time in the node's zone: "2026-12-07 18:05:09". To
// the second, rounded up: a register opened in the minute (or the second) a person started
// in the group must still list them, and the roster lists those started at or before it.
std::string InputTime(const WebContext& ctx, int64_t unix_ns) {
  const auto t = date::ceil<std::chrono::seconds>(
      date::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(unix_ns)));
  try {
    const auto zoned = date::make_zoned(ctx.app.options().timezone, t);
    return date::format("%Y-%m-%d %H:%M:%S", zoned.get_local_time());
  } catch (const std::exception&) {
    return date::format("%Y-%m-%d %H:%M:%S", t);
  }
}

// A session id or group id the register's address can carry: letters, digits and ._-:@.
bool IsAddressId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == ':' || c == '@';
    if (!ok) return false;
  }
  return true;
}

// What the register form holds: its fields as typed, and a row per attendee.
struct RegisterRow {
  std::string case_id, intervention, outcome, reason;
  bool concern = false;
  // From the roster (shown; not sent back).
  std::string subject, last_outcome;
  int64_t last_at = -1;
  uint32_t unacceptable = 0;
  bool on_roster = true;  // false: the roster read after a refusal no longer lists it
};

struct RegisterForm {
  std::string session, group, at, module, facilitator, token;
  std::vector<RegisterRow> rows;
};

// The session's own fields, on the register and on the page that starts one: when, the
// module, and who ran it.
std::string SessionFields(const std::string& when, const std::string& module_name,
                          const std::string& facilitator_id,
                          const std::vector<FieldError>& errors) {
  Field at("at", "Date and time", when, ErrorFor(errors, "at"));
  at.hint = "For example, 2026-12-07 18:00";
  at.width = "govuk-input--width-10";
  Field module("module", "Module", module_name, ErrorFor(errors, "module"));
  module.width = "govuk-input--width-20";
  Field facilitator("facilitator", "Facilitator", facilitator_id, ErrorFor(errors, "facilitator"));
  facilitator.width = "govuk-input--width-10";
  return TextInput(at) + TextInput(module) + TextInput(facilitator);
}

std::string RowField(size_t n) { return "outcome-" + std::to_string(n); }

std::string RegisterHref(const RegisterForm& f) {
  return "/sessions/" + UrlEncode(f.session) + "/register?group=" + UrlEncode(f.group) +
         "&module=" + UrlEncode(f.module) + "&at=" + UrlEncode(f.at) +
         "&facilitator=" + UrlEncode(f.facilitator);
}

Status RefuseUnlessFacilitator(const WebContext& ctx) {
  if (ctx.session.role == schema::Role::FACILITATOR) return Status::Ok();
  return Status::PermissionDenied(
      "The session register is for facilitators: only they may record a session held (your "
      "role is " +
      RoleName(ctx.session.role) +
      "). A probation officer records one person's attendance on "
      "the case's page.");
}

// The roster's facts for each row (subject, last outcome, absences), by case and intervention.
void Decorate(const api::Roster::Reader& roster, std::vector<RegisterRow>* rows) {
  for (auto& row : *rows) {
    row.on_roster = false;
    for (auto m : roster.getMembers()) {
      if (m.getCaseId() != row.case_id || m.getIntervention() != row.intervention) continue;
      row.on_roster = true;
      row.subject = m.getSubject();
      row.last_outcome = m.getLastOutcome();
      row.last_at = m.getLastAt();
      row.unacceptable = m.getUnacceptableAbsences();
    }
  }
}

std::string RenderRow(const WebContext& ctx, const RegisterRow& row, size_t n,
                      const std::vector<FieldError>& errors) {
  const std::string ns = std::to_string(n);
  const std::string field = RowField(n);
  const std::string error = ErrorFor(errors, field);
  Html h;
  h.Raw("<div class=\"govuk-form-group hf-register-row");
  if (!error.empty()) h.Raw(" govuk-form-group--error");
  // The row's hint and error describe its fieldset (the radios' group), as GOV.UK's radios do.
  std::string described = field + "-hint";
  if (!error.empty()) described += " " + field + "-error";
  h.Raw("\"><fieldset class=\"govuk-fieldset\"").Raw(Attr("aria-describedby", described)).Raw(">");
  h.Raw("<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">");
  h.Text("Case " + row.case_id);
  if (!row.subject.empty()) h.Text(", subject " + row.subject);
  h.Raw("</legend>");
  std::string about = "Intervention " + row.intervention + ". ";
  if (!row.on_roster) {
    about += "No longer on the group's roster at this time.";
  } else {
    about += "Last: ";
    about += row.last_outcome.empty()
                 ? std::string("no attendance yet")
                 : OutcomeText(row.last_outcome) + " on " + ctx.Date(row.last_at);
    about += ". Unacceptable absences so far: " + std::to_string(row.unacceptable) + ".";
  }
  h.Element("div", Attr("id", field + "-hint") + " class=\"govuk-hint\"", about);
  if (!error.empty()) {
    h.Raw("<p").Raw(Attr("id", field + "-error"));
    h.Raw(" class=\"govuk-error-message\"><span class=\"govuk-visually-hidden\">Error:</span> ");
    h.Text(error).Raw("</p>");
  }
  h.Raw("<input type=\"hidden\"").Raw(Attr("name", "case-" + ns)).Raw(Attr("value", row.case_id));
  h.Raw("><input type=\"hidden\"")
      .Raw(Attr("name", "intervention-" + ns))
      .Raw(Attr("value", row.intervention))
      .Raw(">");
  h.Raw("<div class=\"hf-register-row__fields\">");
  h.Raw(Radios(Field(field, "", row.outcome), Outcomes(), true, true));
  Field reason("reason-" + ns, "Reason (optional)", row.reason, ErrorFor(errors, "reason-" + ns));
  reason.width = "govuk-input--width-20";
  h.Raw(TextInput(reason));
  h.Raw(Checkboxes(Field("concern-" + ns, ""), {{"yes", "Concern", ""}},
                   row.concern ? std::vector<std::string>{"yes"} : std::vector<std::string>{},
                   true));
  h.Raw("</div></fieldset></div>");
  return h.Take();
}

WebReply RenderRegister(WebContext& ctx, const RegisterForm& f,
                        const std::vector<FieldError>& errors, std::string_view note = "") {
  Html h;
  h.Raw(BackLink("/", "Back to Today"));
  h.Raw(ErrorSummary(errors));
  if (errors.empty() && ctx.query.Get("done") == "saved") {
    const std::string n = ctx.query.Get("n");
    const bool numeric =
        !n.empty() && n.size() < 7 && n.find_first_not_of("0123456789") == std::string::npos;
    h.Raw(NotificationBanner(
        "Success",
        "<p class=\"govuk-notification-banner__heading\">" +
            Escape("Register saved: " + (numeric ? n + (n == "1" ? " attendee" : " attendees")
                                                 : std::string("every attendee"))) +
            "</p>",
        true));
  }
  h.Raw("<span class=\"govuk-caption-l\">");
  h.Text("Group " + f.group);
  h.Raw("</span>");
  h.Element("h1", " class=\"govuk-heading-l\"", "Register for session " + f.session);
  if (!note.empty()) h.Raw(InsetText(Escape(note)));

  Html body;
  body.Raw("<input type=\"hidden\" name=\"group\"").Raw(Attr("value", f.group)).Raw(">");
  body.Raw("<input type=\"hidden\" name=\"token\"").Raw(Attr("value", f.token)).Raw(">");
  body.Raw("<input type=\"hidden\" name=\"rows\"")
      .Raw(Attr("value", std::to_string(f.rows.size())))
      .Raw(">");
  body.Raw("<div class=\"hf-register-session\">");
  body.Raw(SessionFields(f.at, f.module, f.facilitator, errors));
  body.Raw("</div>");
  body.Element("h2", " class=\"govuk-heading-m\"",
               "Attendees (" + std::to_string(f.rows.size()) + ")");
  if (f.rows.empty()) {
    body.Element("p", " class=\"govuk-body\"",
                 "No one is on this group's roster at this time: nobody's intervention in "
                 "group " +
                     f.group + " is active then. Saving records the session with no attendees.");
  } else {
    body.Element("p", " class=\"govuk-hint\"",
                 "Mark every person. Tab moves from person to person; the arrow keys choose "
                 "the outcome.");
  }
  for (size_t i = 0; i < f.rows.size(); ++i) body.Raw(RenderRow(ctx, f.rows[i], i + 1, errors));
  body.Raw(Button("Save register"));
  h.Raw(PostForm("/sessions/" + UrlEncode(f.session) + "/register", ctx.csrf(), body.str()));
  return ctx.Page("Register for session " + f.session, h.str(), !errors.empty());
}

Answer AskRoster(const WebContext& ctx, const std::string& group, int64_t at) {
  return ctx.Ask([&](api::Request::Builder r) {
    auto roster = r.initSessionRoster();
    roster.setGroup(group);
    roster.setAt(at);
  });
}

WebReply ShowRegister(WebContext& ctx) {
  if (Status s = RefuseUnlessFacilitator(ctx); !s.ok()) return ctx.Refused(s);
  RegisterForm f;
  f.session = ctx.params[0];
  f.group = ctx.query.Get("group");
  if (f.group.empty()) return ctx.Redirect("/sessions/new?session=" + UrlEncode(f.session));
  std::vector<FieldError> errors;
  if (!IsAddressId(f.group)) {
    return ctx.Refused(Status::InvalidArgument(
        "group: \"" + f.group + "\" is not a group id (letters, digits and . _ - : @ only)"));
  }
  f.module = ctx.query.Get("module");
  f.facilitator = ctx.query.Has("facilitator") ? ctx.query.Get("facilitator") : ctx.session.user;
  int64_t at = 0;
  if (ctx.query.Get("at").empty()) {
    f.at = InputTime(ctx, NowNanos());
  } else {
    f.at = ctx.query.Get("at");
    auto parsed = ctx.ParseTime(f.at);
    if (parsed.ok()) {
      at = *parsed;
    } else {
      errors.push_back({"at", "Date and time: " + parsed.status().message()});
    }
  }
  f.token = FormatUuid(RandomUuid());
  Answer roster = AskRoster(ctx, f.group, at);
  if (!roster.ok()) return ctx.Refused(roster.status());
  for (auto m : roster.response().getRoster().getMembers()) {
    RegisterRow row;
    row.case_id = m.getCaseId();
    row.intervention = m.getIntervention();
    f.rows.push_back(std::move(row));
  }
  Decorate(roster.response().getRoster(), &f.rows);
  WebReply reply = RenderRegister(ctx, f, errors);
  if (!errors.empty()) reply.status = 400;
  return reply;
}

// A daemon message as this form names things: "check --at" -> "check the date and time".
std::string AsFormMessage(std::string m) {
  for (size_t p = m.find("--at"); p != std::string::npos; p = m.find("--at", p)) {
    m.replace(p, 4, "the date and time");
  }
  return m;
}

// The daemon's one-line refusal of a register ("nothing was written: 2 of 13 refused; the
// session: --at: ...; attendee 3: ...") as errors on the fields and rows it names.
std::vector<FieldError> ErrorsOf(const Status& status, const RegisterForm& f) {
  const std::string& m = status.message();
  std::vector<FieldError> errors;
  auto add = [&](const std::string& field, const std::string& message) {
    for (const auto& e : errors) {
      if (e.field == field && e.message == message) return;
    }
    errors.push_back({field, message});
  };
  // A session-wide message: the field it names ("--at: ..." -> at).
  auto session_error = [&](const std::string& text) {
    std::string field = "at";
    for (const char* name : {"at", "module", "facilitator", "group", "session"}) {
      if (text.rfind(std::string("--") + name + ":", 0) == 0 ||
          text.rfind(std::string(name) + ":", 0) == 0) {
        field = name;
      }
    }
    if (field == "group" || field == "session") field = "at";
    const size_t colon = text.find(": ");
    const bool named = text.rfind("--", 0) == 0 && colon != std::string::npos && colon < 20;
    const std::string label = field == "at"       ? "Date and time"
                              : field == "module" ? "Module"
                                                  : "Facilitator";
    add(field, label + ": " + AsFormMessage(named ? text.substr(colon + 2) : text));
  };
  struct Mark {
    size_t at;
    size_t row;  // 0: the session
    size_t text;
  };
  std::vector<Mark> marks;
  auto find = [&](const std::string& label, size_t row) {
    const std::string needle = "; " + label + ": ";
    for (size_t p = m.find(needle); p != std::string::npos; p = m.find(needle, p + 1)) {
      marks.push_back({p, row, p + needle.size()});
    }
  };
  if (m.rfind("nothing was written:", 0) == 0) {
    find("the session", 0);
    for (size_t n = 1; n <= f.rows.size(); ++n) find("attendee " + std::to_string(n), n);
  }
  if (marks.empty()) {
    session_error(m);
    return errors;
  }
  std::sort(marks.begin(), marks.end(), [](const Mark& a, const Mark& b) { return a.at < b.at; });
  for (size_t k = 0; k < marks.size(); ++k) {
    const size_t end = k + 1 < marks.size() ? marks[k + 1].at : m.size();
    const std::string text = m.substr(marks[k].text, end - marks[k].text);
    if (marks[k].row == 0 || text.rfind("--at:", 0) == 0) {
      session_error(text);  // a time in the future is the session's, not each row's
    } else {
      const RegisterRow& row = f.rows[marks[k].row - 1];
      add(RowField(marks[k].row), "Case " + row.case_id + ": " + AsFormMessage(text));
    }
  }
  return errors;
}

WebReply SaveRegister(WebContext& ctx) {
  if (Status s = RefuseUnlessFacilitator(ctx); !s.ok()) return ctx.Refused(s);
  RegisterForm f;
  f.session = ctx.params[0];
  f.group = ctx.form.Get("group");
  f.at = ctx.form.Get("at");
  f.module = ctx.form.Get("module");
  f.facilitator = ctx.form.Get("facilitator");
  f.token = ctx.form.Get("token");
  std::vector<FieldError> errors;
  if (!IsAddressId(f.group)) {
    return ctx.Refused(Status::InvalidArgument(
        "group: \"" + f.group + "\" is not a group id (letters, digits and . _ - : @ only)"));
  }
  const std::string rows_text = ctx.form.Get("rows");
  size_t rows = 0;
  if (rows_text.empty() || rows_text.size() > 4 ||
      rows_text.find_first_not_of("0123456789") != std::string::npos ||
      (rows = std::stoul(rows_text)) > kMaxRows) {
    return ctx.Refused(Status::InvalidArgument(
        "rows: the register form is damaged (no count of its rows): reload the page"));
  }
  for (size_t n = 1; n <= rows; ++n) {
    const std::string ns = std::to_string(n);
    RegisterRow row;
    row.case_id = ctx.form.Get("case-" + ns);
    row.intervention = ctx.form.Get("intervention-" + ns);
    row.outcome = ctx.form.Get("outcome-" + ns);
    row.reason = ctx.form.Get("reason-" + ns);
    row.concern = ctx.form.Get("concern-" + ns) == "yes";
    f.rows.push_back(std::move(row));
  }

  int64_t at = 0;
  if (f.at.empty()) {
    errors.push_back(
        {"at", "Enter the date and time of the session, for example 2026-12-07 18:00"});
  } else if (auto parsed = ctx.ParseTime(f.at); parsed.ok()) {
    at = *parsed;
  } else {
    errors.push_back({"at", "Date and time: " + parsed.status().message()});
  }
  if (f.module.empty()) errors.push_back({"module", "Enter the module delivered"});
  if (!IsIdentifier(f.facilitator)) {
    errors.push_back({"facilitator", "Enter the facilitator's user id (no spaces)"});
  }
  auto token = ParseUuid(f.token);
  if (!token) {
    f.token = FormatUuid(RandomUuid());
    token = ParseUuid(f.token);
  }

  // Every event, built and checked here so each bad row is named at its row; then the
  // daemon checks them all at entry and writes all or none.
  std::vector<std::unique_ptr<capnp::MallocMessageBuilder>> events;
  std::vector<std::string> labels;
  const std::string at_text = FormatRfc3339(at);
  const Uuid held_id = NameUuid(
      kWebRegisterNamespace,
      JoinNameParts({FormatUuid(*token), f.session, f.group, f.module, f.facilitator, at_text}));
  auto start = [&](const Uuid& id) {
    events.push_back(std::make_unique<capnp::MallocMessageBuilder>());
    auto e = events.back()->initRoot<schema::Event>();
    SetUuid(e.initId(), id);
    e.initOccurredAt().setUnixNanos(at);
    auto author = e.initAuthor();
    author.setUser(ctx.session.user);
    author.setRole(ctx.session.role);
    author.setAgency(ctx.app.options().agency);
    return e;
  };
  {
    auto e = start(held_id);
    auto held = e.initSessionHeld();
    held.setSession(f.session);
    held.setGroup(f.group);
    held.setModule(f.module);
    held.setFacilitator(f.facilitator);
    labels.push_back("the session");
    if (errors.empty()) {
      Status s = ValidateEvent(e.asReader());
      if (!s.ok()) errors.push_back({"module", "Module: " + s.message()});
    }
  }
  for (size_t i = 0; i < f.rows.size(); ++i) {
    const RegisterRow& row = f.rows[i];
    const std::string field = RowField(i + 1);
    schema::AttendanceOutcome outcome;
    if (!OutcomeOf(row.outcome, &outcome)) {
      errors.push_back({field, "Case " + row.case_id +
                                   ": select an outcome (attended, late, left early, or absent)"});
      continue;
    }
    const Uuid id =
        NameUuid(kWebRegisterNamespace,
                 JoinNameParts({FormatUuid(held_id), row.case_id, row.intervention, row.outcome,
                                row.reason, row.concern ? "concern" : ""}));
    auto e = start(id);
    auto a = e.initAttendanceRecorded();
    a.setCaseId(row.case_id);
    a.setIntervention(row.intervention);
    a.setSession(f.session);
    a.setOutcome(outcome);
    if (!row.reason.empty()) a.setReason(row.reason);
    if (row.concern) a.setConcern(true);
    labels.push_back("attendee " + std::to_string(i + 1));
    Status s = ValidateEvent(e.asReader());
    if (!s.ok()) {
      std::string m = s.message();
      if (m.rfind("data.", 0) == 0) m = m.substr(5);
      const size_t in = m.find(" (in ");
      if (in != std::string::npos) m.erase(in);
      errors.push_back({m.rfind("reason", 0) == 0 ? "reason-" + std::to_string(i + 1) : field,
                        "Case " + row.case_id + ": " + m});
    }
  }
  Status refusal;
  if (errors.empty()) {
    Answer answer = ctx.Ask([&](api::Request::Builder r) {
      auto append = r.initAppend();
      auto list = append.initEvents(static_cast<unsigned>(events.size()));
      auto names = append.initLabels(static_cast<unsigned>(labels.size()));
      for (unsigned i = 0; i < events.size(); ++i) {
        list.setWithCaveats(i, events[i]->getRoot<schema::Event>().asReader());
        names.set(i, labels[i]);
      }
    });
    if (answer.ok()) {
      return ctx.Redirect(RegisterHref(f) + "&done=saved&n=" + std::to_string(f.rows.size()));
    }
    // A refusal of rows or fields is shown in the form; anything else (the role, a busy
    // node) is a page of its own.
    using C = Status::Code;
    const C code = answer.status().code();
    const bool of_rows = answer.status().message().rfind("nothing was written:", 0) == 0;
    if (!of_rows && code != C::kInvalidArgument && code != C::kConflict && code != C::kNotFound) {
      return ctx.Refused(answer.status());
    }
    errors = ErrorsOf(answer.status(), f);
  }
  // Re-shown as typed, with the roster's facts beside each row.
  Answer roster = AskRoster(ctx, f.group, at);
  if (roster.ok()) Decorate(roster.response().getRoster(), &f.rows);
  return RenderRegister(
      ctx, f, errors, "Nothing was saved. Put right what is shown, then save the register again.");
}

// GET /sessions/new: the group, time, module and facilitator of a session; with go=1, checked
// and sent on to the register.
WebReply NewSession(WebContext& ctx) {
  if (Status s = RefuseUnlessFacilitator(ctx); !s.ok()) return ctx.Refused(s);
  RegisterForm f;
  f.group = ctx.query.Get("group");
  f.session = ctx.query.Get("session");
  f.module = ctx.query.Get("module");
  f.facilitator = ctx.query.Has("facilitator") ? ctx.query.Get("facilitator") : ctx.session.user;
  f.at = ctx.query.Has("at") ? ctx.query.Get("at") : InputTime(ctx, NowNanos());
  std::vector<FieldError> errors;
  if (ctx.query.Get("go") == "1") {
    if (f.group.empty()) {
      errors.push_back({"group", "Enter the group, for example grpA"});
    } else if (!IsAddressId(f.group)) {
      errors.push_back({"group", "Group: use letters, digits and . _ - : @ only (no spaces)"});
    }
    if (f.at.empty()) {
      errors.push_back(
          {"at", "Enter the date and time of the session, for example 2026-12-07 18:00"});
    } else if (auto parsed = ctx.ParseTime(f.at); !parsed.ok()) {
      errors.push_back({"at", "Date and time: " + parsed.status().message()});
    }
    if (f.module.empty()) errors.push_back({"module", "Enter the module delivered"});
    if (!IsIdentifier(f.facilitator)) {
      errors.push_back({"facilitator", "Enter the facilitator's user id (no spaces)"});
    }
    if (f.session.empty() && errors.empty()) {
      f.session = "S-" + f.at.substr(0, 10) + "-" + f.group;  // S-2026-12-07-grpA
    }
    if (!f.session.empty() && !IsAddressId(f.session)) {
      errors.push_back(
          {"session", "Session id: use letters, digits and . _ - : @ only (no spaces)"});
    }
    if (errors.empty()) return ctx.Redirect(RegisterHref(f));
  }
  Html h;
  h.Raw(BackLink("/", "Back to Today"));
  h.Raw(ErrorSummary(errors));
  h.Element("h1", " class=\"govuk-heading-l\"", "Start a register");
  Html body;
  body.Raw("<input type=\"hidden\" name=\"go\" value=\"1\">");
  Field group("group", "Group", f.group, ErrorFor(errors, "group"));
  group.hint = "The programme group meeting, as named when each person started, for example grpA";
  group.width = "govuk-input--width-10";
  body.Raw(TextInput(group));
  body.Raw(SessionFields(f.at, f.module, f.facilitator, errors));
  Field session("session", "Session id (optional)", f.session, ErrorFor(errors, "session"));
  session.hint = "Leave blank for S-date-group, for example S-2026-12-07-grpA";
  session.width = "govuk-input--width-20";
  body.Raw(TextInput(session));
  body.Raw(Button("Open the register"));
  h.Raw(GetForm("/sessions/new", body.str()));
  return ctx.Page("Start a register", h.str(), !errors.empty());
}

}  // namespace

std::vector<Page> RegisterPages() {
  return {{"GET", "/sessions/new", Right::kCaseWork, "today", NewSession},
          {"GET", "/sessions/{id}/register", Right::kCaseWork, "today", ShowRegister},
          {"POST", "/sessions/{id}/register", Right::kCaseWork, "today", SaveRegister}};
}

}  // namespace holdfast::web
