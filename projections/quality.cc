#include "projections/quality.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "eventstore/ids.h"
#include "projections/fold.h"
#include "projections/rules.h"

namespace holdfast {
namespace {

bool IsCaseEvent(const Fact& f) { return !f.case_id.empty() && !IsAlertType(f.type); }

// "4 days", "3 hours", "20 minutes", "45 seconds": how far ahead a time is.
std::string Span(int64_t nanos) {
  const int64_t seconds = nanos / 1000000000LL;
  auto unit = [](int64_t n, const char* name) {
    return std::to_string(n) + " " + name + (n == 1 ? "" : "s");
  };
  if (seconds >= 2 * 86400) return unit(seconds / 86400, "day");
  if (seconds >= 2 * 3600) return unit(seconds / 3600, "hour");
  if (seconds >= 120) return unit(seconds / 60, "minute");
  return unit(seconds, "second");
}

std::string TypeName(EventType type) { return std::string(EventTypeName(type)); }

Anomaly Of(AnomalyKind kind, const Fact& f, std::string detail) {
  Anomaly a;
  a.kind = kind;
  a.case_id = f.case_id;
  a.event = f.id;
  a.type = f.type;
  a.occurred_at = f.occurred_at;
  a.intervention = f.intervention;
  a.detail = std::move(detail);
  return a;
}

// Why an attendance at `t` falls outside its intervention's [start, ending).
std::string WhyNotActive(const Fact& f, const CaseContext::Interval& i) {
  const std::string what = "attendance for intervention " + f.intervention + " at " +
                           FormatRfc3339(f.occurred_at) + ", when it was ";
  const std::string fix = ": void it if the intervention or the date is wrong";
  if (i.start == nullptr) return what + "never started" + fix + ", or record the start";
  if (f.occurred_at < i.start->occurred_at) {
    return what + "not yet started (it started " + FormatRfc3339(i.start->occurred_at) + ")" + fix;
  }
  return what + "over (it ended " + FormatRfc3339(i.end->occurred_at) + " with " +
         TypeName(i.end->type) + ")" + fix;
}

}  // namespace

std::string_view AnomalyKindName(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kCaseReopened:
      return "case_reopened";
    case AnomalyKind::kCaseSubjectConflict:
      return "case_subject_conflict";
    case AnomalyKind::kAfterClose:
      return "after_close";
    case AnomalyKind::kNotReferred:
      return "not_referred";
    case AnomalyKind::kNotStarted:
      return "not_started";
    case AnomalyKind::kEndedTwice:
      return "ended_twice";
    case AnomalyKind::kNotActive:
      return "not_active";
    case AnomalyKind::kUnknownSession:
      return "unknown_session";
    case AnomalyKind::kFutureDated:
      return "future_dated";
    case AnomalyKind::kUnknownCase:
      return "unknown_case";
    case AnomalyKind::kVoidTargetMissing:
      return "void_target_missing";
  }
  return "unknown";
}

const std::vector<AnomalyKind>& AllAnomalyKinds() {
  using K = AnomalyKind;
  static const std::vector<AnomalyKind> kinds = {
      K::kCaseReopened, K::kCaseSubjectConflict, K::kAfterClose,       K::kNotReferred,
      K::kNotStarted,   K::kEndedTwice,          K::kNotActive,        K::kUnknownSession,
      K::kFutureDated,  K::kUnknownCase,         K::kVoidTargetMissing};
  return kinds;
}

bool AnomalyLess(const Anomaly& a, const Anomaly& b) {
  return std::tie(a.case_id, a.occurred_at, a.event, a.kind) <
         std::tie(b.case_id, b.occurred_at, b.event, b.kind);
}

void SortAnomalies(std::vector<Anomaly>* anomalies) {
  std::sort(anomalies->begin(), anomalies->end(), AnomalyLess);
}

bool FutureDated(const Fact& f, const QualityConfig& config, Anomaly* out) {
  const bool judged =
      IsCaseEvent(f) || f.type == EventType::SESSION_HELD || f.type == EventType::INCIDENT_REPORTED;
  if (!judged || f.recorded_at == 0) return false;
  const int64_t recorded = static_cast<int64_t>(HlcPhysicalMs(f.recorded_at)) * 1000000LL;
  const int64_t ahead = f.occurred_at - recorded;
  if (ahead <= config.max_future_nanos) return false;
  std::string what = TypeName(f.type);
  if (f.type == EventType::SESSION_HELD) what += " of session " + f.session;
  if (f.type == EventType::INCIDENT_REPORTED) what += " " + f.incident + " of subject " + f.subject;
  *out = Of(AnomalyKind::kFutureDated, f,
            what + " is dated " + FormatRfc3339(f.occurred_at) + ", " + Span(ahead) +
                " after it was recorded (" + FormatRfc3339(recorded) +
                "): void it and record it again with the right date");
  return true;
}

Anomaly VoidTargetMissing(const Fact& v) {
  Anomaly a = Of(AnomalyKind::kVoidTargetMissing, v,
                 "record.voided names event " + FormatUuid(v.voided) +
                     ", which this node does not hold: it may not have arrived yet; if the id "
                     "is mistyped, the void does nothing and the event meant is still counted");
  a.case_id.clear();
  return a;
}

void CaseAnomalies(const std::vector<Fact>& case_events, const SessionHeld& session_held,
                   const QualityConfig& config, std::vector<Anomaly>* out) {
  const CaseContext c = BuildCaseContext(case_events);  // canonical order, alert.* left out
  Anomaly future;
  for (const Fact* f : c.events) {
    if (FutureDated(*f, config, &future)) out->push_back(std::move(future));
  }
  if (c.opened == nullptr) {
    for (const Fact* f : c.events) {
      out->push_back(Of(AnomalyKind::kUnknownCase, *f,
                        TypeName(f->type) + " names case " + f->case_id +
                            ", which this node holds no case.opened for: it may not have "
                            "arrived yet; if the case id is mistyped, void this and record it "
                            "on the right case"));
    }
    return;
  }
  std::set<std::string> referred;
  for (const Fact* f : c.events) {
    if (f->type == EventType::INTERVENTION_REFERRED) referred.insert(f->intervention);
  }
  const Fact* opened = c.opened;
  const Fact* closed = c.closed;
  for (const Fact* f : c.events) {
    const Fact& e = *f;
    const std::string type = TypeName(e.type);
    if (e.type == EventType::CASE_OPENED) {
      if (&e == opened) continue;
      if (e.subject == opened->subject) {
        out->push_back(Of(AnomalyKind::kCaseReopened, e,
                          "case " + e.case_id + " opened again; its first opening (" +
                              FormatRfc3339(opened->occurred_at) +
                              ") stands: void this one, and re-open a case under a new case id"));
      } else {
        out->push_back(Of(AnomalyKind::kCaseSubjectConflict, e,
                          "case " + e.case_id + " opened again for subject " + e.subject +
                              ", but it was first opened for subject " + opened->subject +
                              ": void the wrong opening"));
      }
      continue;
    }
    if (closed != nullptr && &e != closed && e.occurred_at > closed->occurred_at) {
      out->push_back(Of(AnomalyKind::kAfterClose, e,
                        type + " dated after the case was closed (" +
                            FormatRfc3339(closed->occurred_at) +
                            "): void it if it belongs to another case or the date is wrong"));
    }
    if (e.type == EventType::ATTENDANCE_RECORDED && !session_held(e.session)) {
      out->push_back(Of(AnomalyKind::kUnknownSession, e,
                        "attendance names session " + e.session +
                            ", which this node holds no session.held for: record the session, "
                            "or void the attendance if the session id is mistyped"));
    }
    const bool names_intervention =
        e.type == EventType::INTERVENTION_STARTED || e.type == EventType::INTERVENTION_COMPLETED ||
        e.type == EventType::INTERVENTION_EXITED || e.type == EventType::ATTENDANCE_RECORDED;
    if (!names_intervention) continue;
    if (referred.count(e.intervention) == 0) {
      out->push_back(Of(AnomalyKind::kNotReferred, e,
                        type + " names intervention " + e.intervention +
                            ", which was never referred in this case: record the referral, or "
                            "void this if the intervention id is mistyped"));
      continue;
    }
    const auto found = c.interventions.find(e.intervention);
    const CaseContext::Interval interval =
        found == c.interventions.end() ? CaseContext::Interval{} : found->second;
    if (e.type == EventType::INTERVENTION_COMPLETED &&
        (interval.start == nullptr || interval.start->occurred_at > e.occurred_at)) {
      out->push_back(
          Of(AnomalyKind::kNotStarted, e,
             "intervention " + e.intervention + " completed " +
                 (interval.start == nullptr
                      ? std::string("but never started")
                      : "before it started (" + FormatRfc3339(interval.start->occurred_at) + ")") +
                 ": record the start, or void whichever date is wrong"));
    }
    if ((e.type == EventType::INTERVENTION_COMPLETED || e.type == EventType::INTERVENTION_EXITED) &&
        interval.end != &e) {
      out->push_back(Of(AnomalyKind::kEndedTwice, e,
                        "intervention " + e.intervention + " had already ended (" +
                            TypeName(interval.end->type) + ", " +
                            FormatRfc3339(interval.end->occurred_at) +
                            "), and the first ending stands: void the one that is wrong"));
    }
    if (e.type == EventType::ATTENDANCE_RECORDED && !interval.Active(e.occurred_at)) {
      out->push_back(Of(AnomalyKind::kNotActive, e, WhyNotActive(e, interval)));
    }
  }
}

std::vector<Anomaly> FindAnomalies(const std::vector<Fact>& events, const QualityConfig& config) {
  // One fact per id (the same id is the same event).
  std::map<Uuid, const Fact*> by_id;
  for (const Fact& f : events) by_id.emplace(f.id, &f);
  std::vector<Fact> held;
  held.reserve(by_id.size());
  for (const auto& [id, f] : by_id) held.push_back(*f);

  std::vector<Anomaly> out;
  for (const Fact& f : held) {
    if (f.type == EventType::RECORD_VOIDED && by_id.count(f.voided) == 0) {
      out.push_back(VoidTargetMissing(f));
    }
  }
  // What is left once every voided event is absent (the voids too), as the rules see it.
  std::set<std::string> sessions;
  std::map<std::string, std::vector<Fact>> cases;
  Anomaly future;
  for (Fact& f : WithoutVoided(held)) {
    if (f.type == EventType::SESSION_HELD) {
      sessions.insert(f.session);
      if (FutureDated(f, config, &future)) out.push_back(future);
    } else if (f.type == EventType::INCIDENT_REPORTED) {
      if (FutureDated(f, config, &future)) out.push_back(future);
    } else if (IsCaseEvent(f)) {
      cases[f.case_id].push_back(std::move(f));
    }
  }
  const SessionHeld session_held = [&](const std::string& s) { return sessions.count(s) > 0; };
  for (const auto& [case_id, case_events] : cases) {
    CaseAnomalies(case_events, session_held, config, &out);
  }
  SortAnomalies(&out);
  return out;
}

}  // namespace holdfast
