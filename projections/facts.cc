#include "projections/facts.h"

#include <algorithm>
#include <tuple>

namespace holdfast {

namespace {

void Set(std::string* s, capnp::Text::Reader t) { s->assign(t.begin(), t.size()); }

}  // namespace

void ClearFact(Fact* f) {
  f->id = Uuid();
  f->type = EventType::CASE_OPENED;
  f->occurred_at = 0;
  f->recorded_at = 0;
  for (std::string* s : {&f->origin, &f->case_id, &f->subject, &f->intervention, &f->session,
                         &f->incident, &f->lead_agency, &f->programme, &f->provider, &f->group,
                         &f->text, &f->user, &f->assignee}) {
    s->clear();
  }
  f->order = schema::OrderKind::COMMUNITY_ORDER;
  f->risk = schema::RiskLevel::STANDARD;
  f->marac = false;
  f->close_reason = schema::CloseReason::OTHER;
  f->exit_reason = schema::ExitReason::OTHER;
  f->outcome = schema::AttendanceOutcome::ATTENDED;
  f->breach_kind = schema::BreachKind::FAILURE_TO_COMPLY;
  f->category = schema::IncidentCategory::OTHER;
  f->crime = false;
  f->alert = Uuid();
  f->rule = schema::AlertRule::BREACH;
  f->severity = schema::Severity::MEDIUM;
  f->trigger = Uuid();
  f->rank = 0;
  f->voided = Uuid();
  f->position = 0;
}

Fact FactOf(schema::Event::Reader e) {
  Fact f;
  FactInto(e, &f);
  return f;
}

void FactInto(schema::Event::Reader e, Fact* out) {
  ClearFact(out);
  Fact& f = *out;
  f.id = ToUuid(e.getId());
  f.type = e.which();
  f.occurred_at = e.getOccurredAt().getUnixNanos();
  if (e.hasProvenance()) {
    f.recorded_at = e.getProvenance().getRecordedAt().getValue();
    Set(&f.origin, e.getProvenance().getOrigin());
  }
  Set(&f.user, e.getAuthor().getUser());
  using W = schema::Event::Which;
  switch (e.which()) {
    case W::CASE_OPENED: {
      auto b = e.getCaseOpened();
      Set(&f.case_id, b.getCaseId());
      Set(&f.subject, b.getSubject());
      f.order = b.getOrder();
      f.risk = b.getRisk();
      Set(&f.lead_agency, b.getLeadAgency());
      break;
    }
    case W::CASE_RISK_CHANGED: {
      auto b = e.getCaseRiskChanged();
      Set(&f.case_id, b.getCaseId());
      f.risk = b.getRisk();
      f.marac = b.getMarac();
      break;
    }
    case W::CASE_CLOSED: {
      auto b = e.getCaseClosed();
      Set(&f.case_id, b.getCaseId());
      f.close_reason = b.getReason();
      break;
    }
    case W::INTERVENTION_REFERRED: {
      auto b = e.getInterventionReferred();
      Set(&f.case_id, b.getCaseId());
      Set(&f.intervention, b.getIntervention());
      Set(&f.programme, b.getProgramme());
      Set(&f.provider, b.getProvider());
      break;
    }
    case W::INTERVENTION_STARTED:
      Set(&f.case_id, e.getInterventionStarted().getCaseId());
      Set(&f.intervention, e.getInterventionStarted().getIntervention());
      Set(&f.group, e.getInterventionStarted().getGroup());
      break;
    case W::INTERVENTION_COMPLETED:
      Set(&f.case_id, e.getInterventionCompleted().getCaseId());
      Set(&f.intervention, e.getInterventionCompleted().getIntervention());
      break;
    case W::INTERVENTION_EXITED: {
      auto b = e.getInterventionExited();
      Set(&f.case_id, b.getCaseId());
      Set(&f.intervention, b.getIntervention());
      f.exit_reason = b.getReason();
      break;
    }
    case W::SESSION_HELD:
      Set(&f.session, e.getSessionHeld().getSession());
      Set(&f.group, e.getSessionHeld().getGroup());
      break;
    case W::ATTENDANCE_RECORDED: {
      auto b = e.getAttendanceRecorded();
      Set(&f.case_id, b.getCaseId());
      Set(&f.intervention, b.getIntervention());
      Set(&f.session, b.getSession());
      f.outcome = b.getOutcome();
      break;
    }
    case W::BREACH_REPORTED:
      Set(&f.case_id, e.getBreachReported().getCaseId());
      f.breach_kind = e.getBreachReported().getKind();
      break;
    case W::INCIDENT_REPORTED: {
      auto b = e.getIncidentReported();
      Set(&f.subject, b.getSubject());
      Set(&f.incident, b.getIncident());
      f.category = b.getCategory();
      f.crime = b.getCrime();
      break;
    }
    case W::ALERT_RAISED: {
      auto b = e.getAlertRaised();
      f.alert = ToUuid(b.getAlert());
      f.rule = b.getRule();
      Set(&f.case_id, b.getCaseId());
      Set(&f.subject, b.getSubject());
      Set(&f.intervention, b.getIntervention());
      f.severity = b.getSeverity();
      f.trigger = ToUuid(b.getTrigger());
      Set(&f.text, b.getReason());
      if (b.hasBasis()) f.rank = b.getBasis().getRank();
      break;
    }
    case W::ALERT_ACKNOWLEDGED:
      f.alert = ToUuid(e.getAlertAcknowledged().getAlert());
      Set(&f.text, e.getAlertAcknowledged().getNote());
      break;
    case W::ALERT_RESOLVED:
      f.alert = ToUuid(e.getAlertResolved().getAlert());
      Set(&f.text, e.getAlertResolved().getAction());
      break;
    case W::ALERT_WITHDRAWN:
      f.alert = ToUuid(e.getAlertWithdrawn().getAlert());
      Set(&f.text, e.getAlertWithdrawn().getReason());
      if (e.getAlertWithdrawn().hasBasis()) f.rank = e.getAlertWithdrawn().getBasis().getRank();
      break;
    case W::ALERT_ASSIGNED:
      f.alert = ToUuid(e.getAlertAssigned().getAlert());
      Set(&f.assignee, e.getAlertAssigned().getTo());
      Set(&f.text, e.getAlertAssigned().getNote());
      break;
    case W::SUBJECT_ERASED:
      Set(&f.subject, e.getSubjectErased().getSubject());
      break;
    case W::RECORD_VOIDED:
      f.voided = ToUuid(e.getRecordVoided().getEvent());
      Set(&f.text, e.getRecordVoided().getReason());
      break;
  }
}

std::vector<Fact> WithoutVoided(const std::vector<Fact>& events, const std::vector<Fact>& voids) {
  std::unordered_set<Uuid, UuidHash> voided;
  for (const auto* list : {&events, &voids}) {
    for (const Fact& f : *list) {
      if (f.type == EventType::RECORD_VOIDED) voided.insert(f.voided);
    }
  }
  std::vector<Fact> out;
  out.reserve(events.size());
  for (const Fact& f : events) {
    if (f.type == EventType::RECORD_VOIDED) continue;
    if (IsVoidable(f.type) && voided.count(f.id) > 0) continue;
    out.push_back(f);
  }
  return out;
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
  std::vector<const Fact*> records;
  records.reserve(facts.size());
  for (const Fact& f : facts) records.push_back(&f);
  return StandingAttendance(std::move(records));
}

std::vector<Fact> StandingAttendance(std::vector<const Fact*> records) {
  records.erase(
      std::remove_if(records.begin(), records.end(),
                     [](const Fact* f) { return f->type != EventType::ATTENDANCE_RECORDED; }),
      records.end());
  // Grouped by (case, session), the standing record last in each group.
  auto order = [](const Fact* f) {
    return std::tuple_cat(std::tie(f->case_id, f->session), CorrectionOrder(f->recorded_at, f->id));
  };
  std::sort(records.begin(), records.end(),
            [&](const Fact* a, const Fact* b) { return order(a) < order(b); });
  std::vector<Fact> out;
  out.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const bool last_of_group = i + 1 == records.size() ||
                               records[i + 1]->case_id != records[i]->case_id ||
                               records[i + 1]->session != records[i]->session;
    if (last_of_group) out.push_back(*records[i]);
  }
  SortCanonical(&out);
  return out;
}

}  // namespace holdfast
