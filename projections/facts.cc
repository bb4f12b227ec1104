#include "projections/facts.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace holdfast {

Fact FactOf(schema::Event::Reader e) {
  Fact f;
  f.id = ToUuid(e.getId());
  f.type = e.which();
  f.occurred_at = e.getOccurredAt().getUnixNanos();
  if (e.hasProvenance()) {
    f.recorded_at = e.getProvenance().getRecordedAt().getValue();
    f.origin = e.getProvenance().getOrigin();
  }
  f.user = e.getAuthor().getUser();
  using W = schema::Event::Which;
  switch (e.which()) {
    case W::CASE_OPENED: {
      auto b = e.getCaseOpened();
      f.case_id = b.getCaseId();
      f.subject = b.getSubject();
      f.order = b.getOrder();
      f.risk = b.getRisk();
      f.lead_agency = b.getLeadAgency();
      break;
    }
    case W::CASE_RISK_CHANGED: {
      auto b = e.getCaseRiskChanged();
      f.case_id = b.getCaseId();
      f.risk = b.getRisk();
      f.marac = b.getMarac();
      break;
    }
    case W::CASE_CLOSED: {
      auto b = e.getCaseClosed();
      f.case_id = b.getCaseId();
      f.close_reason = b.getReason();
      break;
    }
    case W::INTERVENTION_REFERRED: {
      auto b = e.getInterventionReferred();
      f.case_id = b.getCaseId();
      f.intervention = b.getIntervention();
      f.programme = b.getProgramme();
      break;
    }
    case W::INTERVENTION_STARTED:
      f.case_id = e.getInterventionStarted().getCaseId();
      f.intervention = e.getInterventionStarted().getIntervention();
      break;
    case W::INTERVENTION_COMPLETED:
      f.case_id = e.getInterventionCompleted().getCaseId();
      f.intervention = e.getInterventionCompleted().getIntervention();
      break;
    case W::INTERVENTION_EXITED: {
      auto b = e.getInterventionExited();
      f.case_id = b.getCaseId();
      f.intervention = b.getIntervention();
      f.exit_reason = b.getReason();
      break;
    }
    case W::SESSION_HELD:
      f.session = e.getSessionHeld().getSession();
      break;
    case W::ATTENDANCE_RECORDED: {
      auto b = e.getAttendanceRecorded();
      f.case_id = b.getCaseId();
      f.intervention = b.getIntervention();
      f.session = b.getSession();
      f.outcome = b.getOutcome();
      break;
    }
    case W::BREACH_REPORTED:
      f.case_id = e.getBreachReported().getCaseId();
      f.breach_kind = e.getBreachReported().getKind();
      break;
    case W::INCIDENT_REPORTED: {
      auto b = e.getIncidentReported();
      f.subject = b.getSubject();
      f.incident = b.getIncident();
      f.category = b.getCategory();
      f.crime = b.getCrime();
      break;
    }
    case W::ALERT_RAISED: {
      auto b = e.getAlertRaised();
      f.alert = ToUuid(b.getAlert());
      f.rule = b.getRule();
      f.case_id = b.getCaseId();
      f.subject = b.getSubject();
      f.intervention = b.getIntervention();
      f.severity = b.getSeverity();
      f.trigger = ToUuid(b.getTrigger());
      f.text = b.getReason();
      break;
    }
    case W::ALERT_ACKNOWLEDGED:
      f.alert = ToUuid(e.getAlertAcknowledged().getAlert());
      f.text = e.getAlertAcknowledged().getNote();
      break;
    case W::ALERT_RESOLVED:
      f.alert = ToUuid(e.getAlertResolved().getAlert());
      f.text = e.getAlertResolved().getAction();
      break;
    case W::ALERT_WITHDRAWN:
      f.alert = ToUuid(e.getAlertWithdrawn().getAlert());
      f.text = e.getAlertWithdrawn().getReason();
      break;
    case W::SUBJECT_ERASED:
      f.subject = e.getSubjectErased().getSubject();
      break;
  }
  return f;
}

bool CanonicalLess(const Fact& a, const Fact& b) {
  return std::tie(a.occurred_at, a.recorded_at, a.id) <
         std::tie(b.occurred_at, b.recorded_at, b.id);
}

void SortCanonical(std::vector<Fact>* facts) {
  std::sort(facts->begin(), facts->end(), CanonicalLess);
}

bool IsPositive(schema::AttendanceOutcome o) {
  using O = schema::AttendanceOutcome;
  return o == O::ATTENDED || o == O::LATE || o == O::LEFT_EARLY;
}

std::vector<Fact> StandingAttendance(const std::vector<Fact>& facts) {
  std::map<std::pair<std::string, std::string>, const Fact*> standing;
  for (const Fact& f : facts) {
    if (f.type != EventType::ATTENDANCE_RECORDED) continue;
    const Fact*& held = standing[{f.case_id, f.session}];
    if (held == nullptr || std::tie(held->recorded_at, held->id) < std::tie(f.recorded_at, f.id)) {
      held = &f;
    }
  }
  std::vector<Fact> out;
  out.reserve(standing.size());
  for (const auto& [key, f] : standing) out.push_back(*f);
  SortCanonical(&out);
  return out;
}

}  // namespace holdfast
