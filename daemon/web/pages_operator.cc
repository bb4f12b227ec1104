// Operator pages (/operator/...): sync status per peer, users, hooks and an audit search.
// Read-only but for disabling and enabling a user: the rest of changing peers, users and
// hooks stays in the CLI (docs/web-reports.md). Every
// figure comes from the request table as the signed-in operator (syncStatus, usersList,
// hooksList + hooksStatus, auditList), which checks the role again and audits as it does
// for the CLI.
#include <map>

#include "daemon/web/web_app.h"

namespace holdfast::web {
namespace {

constexpr uint32_t kAuditPageSize = 50;

std::string YesNo(bool yes) { return yes ? "Yes" : "No"; }

std::string Number(uint64_t n) { return Escape(std::to_string(n)); }

std::string TimeOrNever(const WebContext& ctx, int64_t ns, const char* never = "never") {
  const std::string t = ctx.Time(ns);
  return Escape(t.empty() ? never : t);
}

// ---- sync --------------------------------------------------------------------------------

std::string PeerState(api::PeerInfo::Reader p) {
  if (p.getConnected()) return Tag("Connected", "green");
  if (p.getLastError().size() > 0) return Tag("Failing", "red");
  if (p.getLastContact() == 0) return Tag("Never reached", "grey");
  return Tag("Not connected", "grey");
}

std::string SyncTable(const WebContext& ctx, api::Response::Reader response, bool details) {
  std::vector<std::vector<std::string>> rows;
  for (auto p : response.getPeers()) {
    std::vector<std::string> row = {
        Escape(p.getId().cStr()),
        Escape(p.getAddress().size() ? p.getAddress().cStr() : "(accepts only)"),
        TimeOrNever(ctx, p.getLastContact()),
        Number(p.getBehindIn()),
        Number(p.getBehindOut()),
        PeerState(p)};
    if (details) {
      std::string problem = Escape(p.getLastError().cStr());
      for (auto c : p.getConflicts()) {
        problem +=
            (problem.empty() ? "" : "<br>") + Escape("Not taken (conflict): " + std::string(c));
      }
      row.push_back(Escape(p.getSend().cStr()));
      row.push_back(Number(p.getEventsIn()) + " / " + Number(p.getEventsOut()));
      row.push_back(problem);
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> headers = {
      "Peer", "Address", "Last contact", "#Behind coming in", "#Behind going out", "State"};
  if (details) {
    headers.push_back("Agreement");
    headers.push_back("#Events in / out");
    headers.push_back("Last error");
  }
  return Table("Sync status per peer", headers, rows);
}

WebReply SyncPage(WebContext& ctx) {
  Answer answer = ctx.Ask([](api::Request::Builder r) { r.setSyncStatus(); });
  if (!answer.ok()) return ctx.Refused(answer.status());
  auto response = answer.response();
  Html h;
  h.Raw(BackLink("/operator", "Operator"));
  h.Raw("<h1 class=\"govuk-heading-l\">Sync status</h1>");
  if (response.getPeers().size() == 0) {
    h.Raw(InsetText(
        "<p class=\"govuk-body\">This node has no peers. Add one with <code>holdfast peers add "
        "--id NODE --address HOST:PORT --send AGREEMENT</code>.</p>"));
    return ctx.Page("Sync status", h.Take());
  }
  std::string certificate;
  for (auto p : response.getPeers()) {
    if (p.getCertificate().size() > 0) certificate = p.getCertificate();
  }
  if (!certificate.empty()) h.Raw(WarningText(certificate));
  h.Raw(SyncTable(ctx, response, true));
  for (auto p : response.getPeers()) {
    if (p.getNote().size() == 0) continue;
    h.Raw("<p class=\"govuk-body\"><strong>").Text(p.getId().cStr()).Raw(":</strong> ");
    h.Text(p.getNote().cStr()).Raw("</p>");
  }
  h.Raw(
      "<p class=\"govuk-body\">To link now and wait until each peer is in step: <code>holdfast "
      "sync now</code>.</p>");
  return ctx.Page("Sync status", h.Take());
}

// ---- users -------------------------------------------------------------------------------

// A user's Disable or Enable button: a POST form of its own, named for the user (the
// button's id is what an error summary links to).
std::string UserChangeForm(const WebContext& ctx, const std::string& id, bool disabled,
                           const std::string& error) {
  const std::string action = disabled ? "enable" : "disable";
  Html body;
  if (!error.empty()) {
    body.Raw("<p class=\"govuk-error-message\"")
        .Raw(Attr("id", "user-" + id + "-error"))
        .Raw("><span class=\"govuk-visually-hidden\">Error:</span> ")
        .Text(error)
        .Raw("</p>");
  }
  body.Raw(
          "<button type=\"submit\" class=\"govuk-button govuk-button--secondary "
          "govuk-!-margin-bottom-0\" data-module=\"govuk-button\"")
      .Raw(Attr("id", "user-" + id));
  if (!error.empty()) body.Raw(Attr("aria-describedby", "user-" + id + "-error"));
  body.Raw(">")
      .Text(disabled ? "Enable" : "Disable")
      .Raw("<span class=\"govuk-visually-hidden\"> ")
      .Text(id)
      .Raw("</span></button>");
  return PostForm("/operator/users/" + UrlEncode(id) + "/" + action, ctx.csrf(), body.Take());
}

// The users table, with each user's Disable/Enable form; `errors` from a refused change.
WebReply UsersList(WebContext& ctx, const std::vector<FieldError>& errors) {
  Answer answer = ctx.Ask([](api::Request::Builder r) { r.setUsersList(); });
  if (!answer.ok()) return ctx.Refused(answer.status());
  std::vector<std::vector<std::string>> rows;
  // A banner only for a user this node knows: nothing from the query is echoed as it is.
  const std::string done = ctx.query.Get("done"), done_user = ctx.query.Get("user");
  std::string banner;
  for (auto u : answer.response().getUsers()) {
    const std::string id = u.getId();
    if (id == done_user && (done == "disabled" || done == "enabled")) {
      banner = NotificationBanner(
          "Success",
          "<p class=\"govuk-notification-banner__heading\">" + Escape(id) +
              (done == "disabled" ? " is disabled: their sessions and tokens stopped working"
                                  : " is enabled again") +
              "</p>",
          true);
    }
    rows.push_back({Escape(id), Escape(RoleName(u.getRole())), Escape(u.getName().cStr()),
                    Escape(u.getUnixUser().size() ? u.getUnixUser().cStr() : "none"),
                    u.getDisabled() ? Tag("Disabled", "grey") : Tag("Active", "green"),
                    Escape(YesNo(u.getHasPassword())), Escape(YesNo(u.getHasToken())),
                    Escape(ctx.Date(u.getChangedAt())),
                    UserChangeForm(ctx, id, u.getDisabled(), ErrorFor(errors, "user-" + id))});
  }
  Html h;
  h.Raw(BackLink("/operator", "Operator"));
  h.Raw(ErrorSummary(errors));
  h.Raw(banner);
  h.Raw("<h1 class=\"govuk-heading-l\">Users</h1>");
  h.Raw(Table("The users this node knows",
              {"User ID", "Role", "Name", "Unix user", "Status", "Password", "API token",
               "Last changed", "Change"},
              rows));
  h.Raw(
      "<p class=\"govuk-body\">Adding users, roles, passwords and API tokens stay with the "
      "CLI: <code>holdfast users add|role|password|token</code>. Every change is audited.</p>");
  return ctx.Page("Users", h.Take(), !errors.empty());
}

WebReply UsersPage(WebContext& ctx) { return UsersList(ctx, {}); }

// POST /operator/users/{id}/disable|enable: the usersChange request, as `users disable|enable`.
WebReply ChangeUser(WebContext& ctx, bool disable) {
  const std::string id = ctx.params.at(0);
  Answer answer = ctx.Ask([&](api::Request::Builder r) {
    auto change = r.initUsersChange();
    change.setId(id);
    if (disable) {
      change.setDisable();
    } else {
      change.setEnable();
    }
  });
  if (!answer.ok()) {
    // The daemon's refusal of the change itself (the last operator who can manage the node)
    // shows at the user's button; anything else (no such user, not an operator) is a page.
    if (answer.status().code() != Status::Code::kInvalidArgument) {
      return ctx.Refused(answer.status());
    }
    return UsersList(ctx, {{"user-" + id, answer.status().message()}});
  }
  return ctx.Redirect("/operator/users?done=" + std::string(disable ? "disabled" : "enabled") +
                      "&user=" + UrlEncode(id));
}

WebReply DisableUser(WebContext& ctx) { return ChangeUser(ctx, true); }
WebReply EnableUser(WebContext& ctx) { return ChangeUser(ctx, false); }

// ---- hooks -------------------------------------------------------------------------------

std::string HookState(api::HookStatus::Reader s) {
  if (s.getParked() > 0) return Tag("Parked", "red");
  if (s.getLastErrorAt() > s.getLastSuccessAt() && (s.getPending() > 0 || s.getNextAttemptAt() > 0))
    return Tag("Failing", "orange");
  if (s.getDelivered() == 0 && s.getPending() == 0) return Tag("Nothing sent yet", "grey");
  if (s.getPending() > 0) return Tag("Delivering", "blue");
  return Tag("Delivered", "green");
}

struct HookRows {
  std::vector<std::vector<std::string>> rows;
  size_t failing = 0, parked = 0;
};

Result<HookRows> AskHooks(const WebContext& ctx, bool details) {
  Answer list = ctx.Ask([](api::Request::Builder r) { r.setHooksList(); });
  if (!list.ok()) return list.status();
  Answer status = ctx.Ask([](api::Request::Builder r) { r.setHooksStatus(); });
  if (!status.ok()) return status.status();
  std::map<std::string, api::HookStatus::Reader> by_id;
  for (auto s : status.response().getHookStatus()) by_id.emplace(s.getId().cStr(), s);
  HookRows out;
  for (auto hook : list.response().getHooks()) {
    const bool web = hook.getUrl().size() > 0;
    std::string rules;
    for (auto r : hook.getRules()) rules += (rules.empty() ? "" : ", ") + std::string(r);
    std::string severity;
    for (auto s : hook.getSeverity()) severity += (severity.empty() ? "" : ", ") + std::string(s);
    std::vector<std::string> row = {Escape(hook.getId().cStr()), Escape(web ? "web" : "exec"),
                                    Escape(web ? hook.getUrl().cStr() : hook.getExec().cStr()),
                                    Escape((rules.empty() ? "all rules" : rules) + "; " +
                                           (severity.empty() ? "every severity" : severity))};
    auto it = by_id.find(hook.getId().cStr());
    if (it == by_id.end()) {
      row.push_back(Tag("Unknown", "grey"));
      for (int i = 0; i < (details ? 6 : 2); ++i) row.push_back("");
    } else {
      auto s = it->second;
      if (s.getParked() > 0) ++out.parked;
      if (s.getLastErrorAt() > s.getLastSuccessAt()) ++out.failing;
      row.push_back(HookState(s));
      row.push_back(Number(s.getDelivered()));
      row.push_back(Number(s.getParked()));
      if (details) {
        row.push_back(Number(s.getPending()));
        row.push_back(Number(s.getFailedAttempts()));
        row.push_back(s.getLastError().size() ? Escape(s.getLastError().cStr()) + "<br>" +
                                                    TimeOrNever(ctx, s.getLastErrorAt())
                                              : Escape("none"));
        row.push_back(TimeOrNever(ctx, s.getLastSuccessAt()));
      }
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::vector<std::string> HookHeaders(bool details) {
  std::vector<std::string> headers = {"Hook",   "Kind",       "Target", "Takes",
                                      "Status", "#Delivered", "#Parked"};
  if (details) {
    for (const char* h : {"#Waiting", "#Failed attempts", "Last error", "Last delivered"}) {
      headers.push_back(h);
    }
  }
  return headers;
}

WebReply HooksPage(WebContext& ctx) {
  auto hooks = AskHooks(ctx, true);
  if (!hooks.ok()) return ctx.Refused(hooks.status());
  Html h;
  h.Raw(BackLink("/operator", "Operator"));
  h.Raw("<h1 class=\"govuk-heading-l\">Hooks</h1>");
  if (hooks->rows.empty()) {
    h.Raw(InsetText(
        "<p class=\"govuk-body\">This node has no hooks. Add one with <code>holdfast hooks "
        "add</code> (docs/hooks.md).</p>"));
    return ctx.Page("Hooks", h.Take());
  }
  h.Raw(Table("Where this node delivers alert changes", HookHeaders(true), hooks->rows));
  h.Raw(
      "<p class=\"govuk-body\">A parked delivery failed for 24 hours; <code>holdfast hooks "
      "retry --id HOOK</code> queues it again.</p>");
  return ctx.Page("Hooks", h.Take());
}

// ---- audit -------------------------------------------------------------------------------

// The audit search's filters as typed; the page's own links carry them on.
struct AuditFilters {
  std::string user, case_id, verb, outcome, since, until;
  std::string Query() const {
    std::string q;
    const auto add = [&](const char* name, const std::string& value) {
      if (value.empty()) return;
      q += (q.empty() ? "" : "&") + std::string(name) + "=" + UrlEncode(value);
    };
    add("user", user);
    add("case", case_id);
    add("verb", verb);
    add("outcome", outcome);
    add("since", since);
    add("until", until);
    return q;
  }
};

// "--verb: ..." -> "verb" (the form's field), as the daemon names what was wrong.
std::string FieldOfMessage(const std::string& message) {
  for (const char* f : {"user", "case", "verb", "outcome", "since", "until"}) {
    if (message.rfind("--" + std::string(f) + ":", 0) == 0) return f;
  }
  return "";
}

WebReply AuditPage(WebContext& ctx) {
  AuditFilters f{ctx.query.Get("user"),    ctx.query.Get("case"),  ctx.query.Get("verb"),
                 ctx.query.Get("outcome"), ctx.query.Get("since"), ctx.query.Get("until")};
  const std::string after = ctx.query.Get("after");
  std::vector<FieldError> errors;
  int64_t since = 0, until = 0;
  if (!f.since.empty()) {
    auto t = ctx.ParseTime(f.since);
    if (t.ok()) {
      since = *t;
    } else {
      errors.push_back({"since", "From: " + t.status().message()});
    }
  }
  if (!f.until.empty()) {
    auto t = ctx.ParseTime(f.until);
    if (t.ok()) {
      until = *t;
    } else {
      errors.push_back({"until", "Until: " + t.status().message()});
    }
  }
  std::vector<std::vector<std::string>> rows;
  std::string next;
  if (errors.empty()) {
    Answer answer = ctx.Ask([&](api::Request::Builder r) {
      auto list = r.initAuditList();
      list.setLimit(kAuditPageSize);
      list.setAfter(after);
      list.setUser(f.user);
      list.setCaseId(f.case_id);
      list.setVerb(f.verb);
      list.setOutcome(f.outcome);
      list.setSince(since);
      list.setUntil(until);
    });
    if (!answer.ok()) {
      if (answer.status().code() != Status::Code::kInvalidArgument) {
        return ctx.Refused(answer.status());
      }
      const std::string message = answer.status().message();
      std::string field = FieldOfMessage(message);
      errors.push_back({field.empty() ? "user" : field, message});
    } else {
      std::vector<api::Response::Reader> frames = answer.frames();
      frames.push_back(answer.response());
      for (auto frame : frames) {
        if (!frame.isPage()) continue;
        auto page = frame.getPage();
        if (page.isAudit()) {
          for (auto e : page.getAudit()) {
            const std::string outcome = e.getOutcome();
            rows.push_back({Escape(ctx.Time(e.getAt())), Escape(e.getUser().cStr()),
                            Escape(e.getRole().cStr()), Escape(e.getVerb().cStr()),
                            Escape(e.getTarget().cStr()),
                            outcome == "ok" ? Tag("Allowed", "green") : Tag(outcome, "red"),
                            Escape(e.getCredential().cStr())});
          }
        }
        if (page.getLast()) next = page.getNext();
      }
    }
  }

  Html form;
  form.Raw("<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-one-third\">");
  Field user("user", "User ID", f.user, ErrorFor(errors, "user"));
  form.Raw(TextInput(user)).Raw("</div><div class=\"govuk-grid-column-one-third\">");
  Field case_id("case", "Case", f.case_id, ErrorFor(errors, "case"));
  form.Raw(TextInput(case_id)).Raw("</div><div class=\"govuk-grid-column-one-third\">");
  Field verb("verb", "Verb", f.verb, ErrorFor(errors, "verb"));
  verb.hint = "As listed: sign-in, case-show, append";
  form.Raw(TextInput(verb)).Raw("</div></div>");
  form.Raw("<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-one-third\">");
  Field outcome("outcome", "Outcome", f.outcome, ErrorFor(errors, "outcome"));
  form.Raw(
      Select(outcome, {{"", "Any", ""}, {"allowed", "Allowed", ""}, {"refused", "Refused", ""}}));
  form.Raw("</div><div class=\"govuk-grid-column-one-third\">");
  Field since_field("since", "From", f.since, ErrorFor(errors, "since"));
  since_field.hint = "As 2026-12-07 or 2026-12-07 18:05";
  form.Raw(TextInput(since_field)).Raw("</div><div class=\"govuk-grid-column-one-third\">");
  Field until_field("until", "Until", f.until, ErrorFor(errors, "until"));
  until_field.hint = "Included; as 2026-12-07 18:05";
  form.Raw(TextInput(until_field)).Raw("</div></div>");
  form.Raw(Button("Search the audit log", "secondary"));

  Html h;
  h.Raw(BackLink("/operator", "Operator"));
  h.Raw(ErrorSummary(errors));
  h.Raw("<h1 class=\"govuk-heading-l\">Audit log</h1>");
  h.Raw(
      "<p class=\"govuk-body\">Who read or wrote case data, and every sign-in, newest first. "
      "<code>holdfast audit verify</code> checks that no entry was changed or removed.</p>");
  h.Raw(GetForm("/operator/audit", form.Take()));
  if (!errors.empty()) return ctx.Page("Audit log", h.Take(), true);
  if (rows.empty()) {
    h.Raw(InsetText("<p class=\"govuk-body\">No audit entries match.</p>"));
  } else {
    h.Raw(Table(after.empty() ? "Audit entries, newest first" : "Older audit entries",
                {"Time", "User", "Role", "Verb", "Target", "Outcome", "Identified by"}, rows));
  }
  const std::string query = f.Query();
  const std::string base = "/operator/audit?" + query + (query.empty() ? "" : "&");
  h.Raw(Pagination("", next.empty() ? "" : base + "after=" + UrlEncode(next)));
  if (!after.empty()) {
    h.Raw("<p class=\"govuk-body\">")
        .Raw(Link("/operator/audit" + (query.empty() ? "" : "?" + query),
                  "Back to the newest entries"))
        .Raw("</p>");
  }
  return ctx.Page("Audit log", h.Take());
}

// ---- /operator: a summary with links -----------------------------------------------------

WebReply OperatorPage(WebContext& ctx) {
  Answer sync = ctx.Ask([](api::Request::Builder r) { r.setSyncStatus(); });
  if (!sync.ok()) return ctx.Refused(sync.status());
  Answer users = ctx.Ask([](api::Request::Builder r) { r.setUsersList(); });
  if (!users.ok()) return ctx.Refused(users.status());
  auto hooks = AskHooks(ctx, false);
  if (!hooks.ok()) return ctx.Refused(hooks.status());

  size_t peers = 0, connected = 0;
  for (auto p : sync.response().getPeers()) {
    ++peers;
    if (p.getConnected()) ++connected;
  }
  size_t user_count = 0, disabled = 0;
  for (auto u : users.response().getUsers()) {
    ++user_count;
    if (u.getDisabled()) ++disabled;
  }
  const auto plural = [](size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  Html h;
  h.Raw("<h1 class=\"govuk-heading-l\">Operator</h1>");
  h.Raw(SummaryList({
      {"Peers",
       Escape(plural(peers, "peer", "peers") + ", " + std::to_string(connected) + " connected"),
       "/operator/sync", "Sync status"},
      {"Users",
       Escape(plural(user_count, "user", "users") + ", " + std::to_string(disabled) + " disabled"),
       "/operator/users", "Users"},
      {"Hooks",
       Escape(plural(hooks->rows.size(), "hook", "hooks") + ", " + std::to_string(hooks->failing) +
              " failing, " + std::to_string(hooks->parked) + " with parked deliveries"),
       "/operator/hooks", "Hooks"},
      {"Audit log", Escape("Who read or wrote case data, and every sign-in"), "/operator/audit",
       "Search"},
  }));
  h.Raw("<h2 class=\"govuk-heading-m\">Sync status</h2>");
  if (peers == 0) {
    h.Raw("<p class=\"govuk-body\">This node has no peers.</p>");
  } else {
    h.Raw(SyncTable(ctx, sync.response(), false));
  }
  if (!hooks->rows.empty()) {
    h.Raw("<h2 class=\"govuk-heading-m\">Hooks</h2>");
    h.Raw(Table("", HookHeaders(false), hooks->rows));
  }
  return ctx.Page("Operator", h.Take());
}

}  // namespace

std::vector<Page> OperatorPages() {
  return {
      {"GET", "/operator", Right::kOperator, "operator", OperatorPage},
      {"GET", "/operator/sync", Right::kOperator, "operator", SyncPage},
      {"GET", "/operator/users", Right::kOperator, "operator", UsersPage},
      {"POST", "/operator/users/{id}/disable", Right::kOperator, "operator", DisableUser},
      {"POST", "/operator/users/{id}/enable", Right::kOperator, "operator", EnableUser},
      {"GET", "/operator/hooks", Right::kOperator, "operator", HooksPage},
      {"GET", "/operator/audit", Right::kOperator, "operator", AuditPage},
  };
}

}  // namespace holdfast::web
