#include "daemon/triage.h"

#include <cctype>
#include <chrono>
#include <sstream>

#include "daemon/handler.h"
#include "daemon/read_scope.h"
#include "daemon/users.h"
#include "projections/case_reader.h"
#include "projections/case_summary.h"

namespace holdfast {
namespace {

// The most alerts one prefix is looked up among: more than that is "at least".
constexpr size_t kMaxPrefixMatches = 1000;

Status ReadSeverities(const std::string& text, std::vector<schema::Severity>* out) {
  std::istringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    if (part == "low") {
      out->push_back(schema::Severity::LOW);
    } else if (part == "medium") {
      out->push_back(schema::Severity::MEDIUM);
    } else if (part == "high") {
      out->push_back(schema::Severity::HIGH);
    } else {
      return Status::InvalidArgument("--severity: \"" + part +
                                     "\" is not one of low, medium, high (give one, or several "
                                     "with commas: high,medium)");
    }
  }
  if (out->empty()) {
    return Status::InvalidArgument("--severity: give low, medium or high (or several with commas)");
  }
  return Status::Ok();
}

}  // namespace

Status ReadTriageFilter(api::ListAlerts::Reader list, const Caller& caller, AlertFilter* filter) {
  if (list.getSeverity().size() > 0) {
    HOLDFAST_RETURN_IF_ERROR(ReadSeverities(list.getSeverity(), &filter->severities));
  }
  if (list.getHasSince()) filter->since = list.getSince();
  filter->subject = list.getSubject();
  if (list.getMine()) {
    if (caller.user.empty()) return Status::InvalidArgument("--mine: the caller has no user id");
    filter->assigned_to = caller.user;
  }
  return Status::Ok();
}

Result<Uuid> ResolveAlertId(const Projector& projector, const ReadScope& scope,
                            const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c == '-') continue;
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isxdigit(static_cast<unsigned char>(lower)) || hex.size() == 32) {
      return Status::InvalidArgument(
          "--alert: \"" + text.substr(0, 40) +
          "\" is not an alert id: give the id as alerts list shows it, or its first " +
          std::to_string(kMinAlertPrefix) + " or more characters");
    }
    hex += lower;
  }
  if (hex.size() < kMinAlertPrefix) {
    return Status::InvalidArgument("--alert: give at least " + std::to_string(kMinAlertPrefix) +
                                   " characters of the alert id (\"" + text + "\" has " +
                                   std::to_string(hex.size()) + ")");
  }
  auto found = projector.FindAlertsByPrefix(hex, kMaxPrefixMatches);
  if (!found.ok()) return found.status();
  std::vector<Uuid> matches;
  for (const AlertState& a : *found) {
    if (!a.has_raised) continue;  // only acknowledgements held: not an alert this node knows
    auto visible = scope.MaySee(a);
    if (!visible.ok()) return visible.status();
    if (*visible) matches.push_back(a.alert);
  }
  if (matches.empty()) {
    return Status::NotFound("--alert: no alert on this node has an id starting with \"" + text +
                            "\": check the id with `holdfast alerts list --status all`");
  }
  if (matches.size() > 1) {
    return Status::InvalidArgument("--alert: \"" + text + "\" starts the ids of " +
                                   (found->size() == kMaxPrefixMatches ? "at least " : "") +
                                   std::to_string(matches.size()) +
                                   " alerts: give more characters of the id");
  }
  return matches[0];
}

Status AlertMarks::Fill(const AlertState& alert, api::AlertInfo::Builder out) {
  if (alert.case_id.empty()) return Status::Ok();
  auto it = cases_.find(alert.case_id);
  if (it == cases_.end()) {
    CaseMarks marks;
    auto row = projector_.GetCase(alert.case_id);
    if (!row.ok()) return row.status();
    marks.closed = *row && (*row)->has_closed && (*row)->closed_at <= as_of_;
    it = cases_.emplace(alert.case_id, std::move(marks)).first;
  }
  CaseMarks& marks = it->second;
  if (!alert.intervention.empty() && !marks.read_interventions) {
    // The case's standing events, voided ones left out (as every reader sees them).
    std::vector<Fact> facts;
    HOLDFAST_RETURN_IF_ERROR(ReadCaseFacts(store_, projector_, alert.case_id, &facts));
    const CaseSummary summary = SummarizeCase(alert.case_id, facts);
    for (const InterventionSummary& i : summary.interventions) {
      marks.ended[i.id] = i.ended() && i.ended_at <= as_of_;
    }
    marks.read_interventions = true;
  }
  out.setCaseClosed(marks.closed);
  if (!alert.intervention.empty()) {
    auto ended = marks.ended.find(alert.intervention);
    out.setInterventionEnded(ended != marks.ended.end() && ended->second);
  }
  return Status::Ok();
}

Status RequestHandler::HandleResolveAlert(const Caller& caller, const std::string& text,
                                          api::Response::Builder response) {
  Status caught_up = projector_->CatchUp();
  // While the store takes no writes (a full disk) the fold cannot be saved: answer from the
  // projections as they stand.
  if (!caught_up.ok() && store_->CanWrite().ok()) return caught_up;
  const ReadScope scope = ScopeOf(caller);
  auto id = ResolveAlertId(*projector_, scope, text);
  if (!id.ok()) return id.status();
  auto alert = projector_->GetAlert(*id);
  if (!alert.ok()) return alert.status();
  if (!*alert) return Status::NotFound("--alert: alert " + FormatUuid(*id) + " is gone");
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto info = response.initAlert();
  FillAlertInfo(**alert, StatusAsOf(**alert, now).value_or("open"), info,
                scope.WithheldOf(**alert));
  AlertMarks marks(*store_, *projector_, now);
  return marks.Fill(**alert, info);
}

std::string AssigneeWarning(const Users& users, schema::Event::Reader event) {
  if (!event.isAlertAssigned()) return "";
  const std::string to = event.getAlertAssigned().getTo();
  if (users.Find(to).ok()) return "";
  return "--to: " + to + " is not a user of this node; the alert is assigned to " + to +
         " all the same (an assignment may name another node's user: check the spelling)";
}

}  // namespace holdfast
