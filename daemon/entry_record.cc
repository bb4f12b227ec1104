// ReadHeldRecord (daemon/entry_checks.h): what the checks at entry read of the store.
#include "daemon/entry_checks.h"
#include "eventstore/event_store.h"
#include "projections/case_reader.h"
#include "projections/projector.h"

namespace holdfast {

Result<HeldRecord> ReadHeldRecord(const EventStore& store, const Projector& projector,
                                  const std::vector<Fact>& offered) {
  HeldRecord held;
  std::set<std::string> cases, sessions, subjects;
  for (const Fact& f : offered) {
    if (!CaseNamedBy(f).empty()) cases.insert(CaseNamedBy(f));
    if (f.type == EventType::ATTENDANCE_RECORDED) sessions.insert(f.session);
    if (f.type == EventType::INCIDENT_REPORTED) subjects.insert(f.subject);
    if (f.type != EventType::RECORD_VOIDED || held.void_targets.count(f.voided)) continue;
    auto target = store.Get(f.voided);
    if (!target.ok()) {
      if (target.status().code() == Status::Code::kNotFound) continue;
      return target.status();
    }
    HeldRecord::VoidTarget t;
    t.event = FactOf(target->reader());
    t.agency = target->reader().getAuthor().getAgency();
    auto voided = IsVoided(projector, t.event.id, t.event.type);
    if (!voided.ok()) return voided.status();
    t.voided = *voided;
    if (!CaseNamedBy(t.event).empty()) cases.insert(CaseNamedBy(t.event));
    held.void_targets.emplace(f.voided, std::move(t));
  }
  for (const auto& c : cases) {
    HOLDFAST_RETURN_IF_ERROR(ReadCaseFacts(store, projector, c, &held.cases[c]));
  }
  for (const auto& s : sessions) {
    std::vector<Fact> facts;
    HOLDFAST_RETURN_IF_ERROR(ReadStreamFacts(store, projector, "session/" + s, &facts));
    for (const Fact& f : facts) {
      if (f.type == EventType::SESSION_HELD) held.sessions.insert(s);
    }
  }
  for (const auto& subject : subjects) {
    // A subject is known when a case's standing opening (not voided) names it: the subject
    // index lists the cases any opening named, and each one's row says which stands.
    Status row_status;
    HOLDFAST_RETURN_IF_ERROR(projector.ScanSubjectCases(subject, [&](std::string_view case_id) {
      auto row = projector.GetCase(std::string(case_id));
      if (!row.ok()) {
        row_status = row.status();
        return false;
      }
      if (*row && (*row)->has_opened && (*row)->subject == subject) {
        held.subjects.insert(subject);
        return false;
      }
      return true;
    }));
    HOLDFAST_RETURN_IF_ERROR(row_status);
  }
  return held;
}

}  // namespace holdfast
