// Test helpers for the event store: valid events of every type, built directly on the
// Cap'n Proto builder (no JSON parsing, so tests can make thousands quickly), and a
// temporary directory that removes itself.
//
// Every Make* function gives an event with a fresh random id, a fixed occurred_at, an
// author and every required body field set, and no provenance: ready for Append. Two calls
// with the same arguments differ only in their id; WithId fixes it, which makes the same
// event twice (same id, same content).
//
// Header-only and free of Catch2, so helper binaries such as crash_child can use it too.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/event_store.h"
#include "eventstore/ids.h"

namespace holdfast::testing {

// 2025-03-04T18:00:00Z, the SPEC's example instant.
inline constexpr int64_t kOccurredAtNanos = 1741111200LL * 1000000000LL;

// An event with its envelope (id, occurred_at, author) set and no body yet.
inline Event MakeEnvelope(schema::Role role = schema::Role::FACILITATOR) {
  Event e;
  auto b = e.builder();
  SetUuid(b.initId(), RandomUuid());
  b.initOccurredAt().setUnixNanos(kOccurredAtNanos);
  auto author = b.initAuthor();
  author.setUser("jsmith");
  author.setRole(role);
  author.setAgency("provider-a");
  return e;
}

inline Event WithId(Event e, const Uuid& id) {
  SetUuid(e.builder().getId(), id);
  return e;
}

inline Uuid IdOf(const Event& e) { return ToUuid(e.reader().getId()); }

inline Event MakeCaseOpened(const std::string& case_id, const std::string& subject = "P-1") {
  Event e = MakeEnvelope(schema::Role::PROBATION);
  auto d = e.builder().initCaseOpened();
  d.setCaseId(case_id);
  d.setSubject(subject);
  d.setOrder(schema::OrderKind::COMMUNITY_ORDER);
  d.setRisk(schema::RiskLevel::MEDIUM);
  d.setLeadAgency("probation");
  return e;
}

inline Event MakeRiskChanged(const std::string& case_id,
                             schema::RiskLevel risk = schema::RiskLevel::HIGH) {
  Event e = MakeEnvelope(schema::Role::PROBATION);
  auto d = e.builder().initCaseRiskChanged();
  d.setCaseId(case_id);
  d.setRisk(risk);
  return e;
}

inline Event MakeCaseClosed(const std::string& case_id) {
  Event e = MakeEnvelope(schema::Role::PROBATION);
  auto d = e.builder().initCaseClosed();
  d.setCaseId(case_id);
  d.setReason(schema::CloseReason::COMPLETED);
  return e;
}

inline Event MakeReferred(const std::string& case_id, const std::string& intervention = "I-1") {
  Event e = MakeEnvelope(schema::Role::PROBATION);
  auto d = e.builder().initInterventionReferred();
  d.setCaseId(case_id);
  d.setIntervention(intervention);
  d.setProgramme("building_choices");
  d.setProvider("provider-a");
  return e;
}

inline Event MakeStarted(const std::string& case_id, const std::string& intervention = "I-1") {
  Event e = MakeEnvelope();
  auto d = e.builder().initInterventionStarted();
  d.setCaseId(case_id);
  d.setIntervention(intervention);
  return e;
}

inline Event MakeCompleted(const std::string& case_id, const std::string& intervention = "I-1") {
  Event e = MakeEnvelope();
  auto d = e.builder().initInterventionCompleted();
  d.setCaseId(case_id);
  d.setIntervention(intervention);
  return e;
}

inline Event MakeExited(const std::string& case_id, const std::string& intervention = "I-1",
                        schema::ExitReason reason = schema::ExitReason::WITHDREW) {
  Event e = MakeEnvelope();
  auto d = e.builder().initInterventionExited();
  d.setCaseId(case_id);
  d.setIntervention(intervention);
  d.setReason(reason);
  return e;
}

inline Event MakeSessionHeld(const std::string& session = "S-1") {
  Event e = MakeEnvelope();
  auto d = e.builder().initSessionHeld();
  d.setSession(session);
  d.setGroup("grpA");
  d.setModule("Module 3: consequences");
  d.setFacilitator("jsmith");
  return e;
}

inline Event MakeAttendance(
    const std::string& case_id, const std::string& intervention = "I-1",
    const std::string& session = "S-1",
    schema::AttendanceOutcome outcome = schema::AttendanceOutcome::ATTENDED) {
  Event e = MakeEnvelope();
  auto d = e.builder().initAttendanceRecorded();
  d.setCaseId(case_id);
  d.setIntervention(intervention);
  d.setSession(session);
  d.setOutcome(outcome);
  return e;
}

inline Event MakeBreach(const std::string& case_id) {
  Event e = MakeEnvelope(schema::Role::PROBATION);
  auto d = e.builder().initBreachReported();
  d.setCaseId(case_id);
  d.setKind(schema::BreachKind::FAILURE_TO_COMPLY);
  return e;
}

inline Event MakeIncident(const std::string& subject = "P-1",
                          const std::string& incident = "INC-1") {
  Event e = MakeEnvelope(schema::Role::POLICE);
  auto d = e.builder().initIncidentReported();
  d.setSubject(subject);
  d.setIncident(incident);
  d.setCategory(schema::IncidentCategory::DOMESTIC_ABUSE);
  d.setCrime(true);
  return e;
}

inline Event MakeAlertRaised(const std::string& case_id, const Uuid& alert,
                             const std::string& subject = "P-1") {
  Event e = MakeEnvelope(schema::Role::SYSTEM);
  auto d = e.builder().initAlertRaised();
  SetUuid(d.initAlert(), alert);
  d.setRule(schema::AlertRule::BREACH);
  d.setCaseId(case_id);
  d.setSubject(subject);
  d.setSeverity(schema::Severity::HIGH);
  SetUuid(d.initTrigger(), RandomUuid());
  d.setReason("breach reported");
  return e;
}

inline Event MakeAlertAcknowledged(const Uuid& alert) {
  Event e = MakeEnvelope(schema::Role::POLICE);
  SetUuid(e.builder().initAlertAcknowledged().initAlert(), alert);
  return e;
}

inline Event MakeAlertResolved(const Uuid& alert) {
  Event e = MakeEnvelope(schema::Role::POLICE);
  auto d = e.builder().initAlertResolved();
  SetUuid(d.initAlert(), alert);
  d.setAction("visited the subject");
  return e;
}

inline Event MakeAlertAssigned(const Uuid& alert, const std::string& to = "pc-1") {
  Event e = MakeEnvelope(schema::Role::POLICE);
  auto d = e.builder().initAlertAssigned();
  SetUuid(d.initAlert(), alert);
  d.setTo(to);
  return e;
}

inline Event MakeAlertWithdrawn(const Uuid& alert) {
  Event e = MakeEnvelope(schema::Role::SYSTEM);
  auto d = e.builder().initAlertWithdrawn();
  SetUuid(d.initAlert(), alert);
  d.setReason("later attendance records");
  return e;
}

inline Event MakeSubjectErased(const std::string& subject = "P-1") {
  Event e = MakeEnvelope(schema::Role::OPERATOR);
  e.builder().initSubjectErased().setSubject(subject);
  return e;
}

inline Event MakeRecordVoided(const Uuid& voided) {
  Event e = MakeEnvelope(schema::Role::PROBATION);
  auto d = e.builder().initRecordVoided();
  SetUuid(d.initEvent(), voided);
  d.setReason("recorded against the wrong case");
  return e;
}

// One valid event of the given type, about case `case_id` where the type names a case.
inline Event MakeEventOfType(EventType type, const std::string& case_id = "C-1") {
  using W = schema::Event::Which;
  const Uuid alert = NameUuid(Uuid{}, "alert-of-" + case_id);
  switch (type) {
    case W::CASE_OPENED:
      return MakeCaseOpened(case_id);
    case W::CASE_RISK_CHANGED:
      return MakeRiskChanged(case_id);
    case W::CASE_CLOSED:
      return MakeCaseClosed(case_id);
    case W::INTERVENTION_REFERRED:
      return MakeReferred(case_id);
    case W::INTERVENTION_STARTED:
      return MakeStarted(case_id);
    case W::INTERVENTION_COMPLETED:
      return MakeCompleted(case_id);
    case W::INTERVENTION_EXITED:
      return MakeExited(case_id);
    case W::SESSION_HELD:
      return MakeSessionHeld();
    case W::ATTENDANCE_RECORDED:
      return MakeAttendance(case_id);
    case W::BREACH_REPORTED:
      return MakeBreach(case_id);
    case W::INCIDENT_REPORTED:
      return MakeIncident();
    case W::ALERT_RAISED:
      return MakeAlertRaised(case_id, alert);
    case W::ALERT_ACKNOWLEDGED:
      return MakeAlertAcknowledged(alert);
    case W::ALERT_RESOLVED:
      return MakeAlertResolved(alert);
    case W::ALERT_WITHDRAWN:
      return MakeAlertWithdrawn(alert);
    case W::ALERT_ASSIGNED:
      return MakeAlertAssigned(alert);
    case W::SUBJECT_ERASED:
      return MakeSubjectErased();
    case W::RECORD_VOIDED:
      return MakeRecordVoided(NameUuid(Uuid{}, "voided-in-" + case_id));
  }
  throw std::invalid_argument("MakeEventOfType: a type the helper does not know yet");
}

// The argument list of Append: {e}. (A braced list cannot hold move-only events.)
inline std::vector<Event> Single(Event e) {
  std::vector<Event> v;
  v.push_back(std::move(e));
  return v;
}

// The shape of a store's log, read back in log order: what the crash and concurrency tests
// hold the store to (positions 1..N with no gap; one origin's seqs exactly 1..N; its
// recorded_at growing with seq).
struct LogSummary {
  Status scan;                            // the ScanLog status
  uint64_t events = 0;                    // entries in the log
  uint64_t first_gap = 0;                 // the first position out of sequence, 0 if none
  size_t other_origins = 0;               // events whose origin is not the one asked about
  std::vector<uint64_t> seqs;             // that origin's seqs, ascending
  size_t recorded_at_not_increasing = 0;  // seq-order neighbours whose recorded_at does not grow

  bool SeqsAreOneToN() const {
    for (size_t i = 0; i < seqs.size(); ++i) {
      if (seqs[i] != i + 1) return false;
    }
    return true;
  }
};

inline LogSummary SummarizeLog(const EventStore& store, const std::string& origin) {
  LogSummary summary;
  std::vector<std::pair<uint64_t, uint64_t>> seq_and_hlc;
  summary.scan = store.ScanLog(0, [&](uint64_t position, schema::Event::Reader event) {
    ++summary.events;
    if (position != summary.events && summary.first_gap == 0) summary.first_gap = position;
    auto p = event.getProvenance();
    if (std::string(p.getOrigin()) != origin) {
      ++summary.other_origins;
    } else {
      seq_and_hlc.emplace_back(p.getSeq(), p.getRecordedAt().getValue());
    }
    return true;
  });
  std::sort(seq_and_hlc.begin(), seq_and_hlc.end());
  for (size_t i = 0; i < seq_and_hlc.size(); ++i) {
    summary.seqs.push_back(seq_and_hlc[i].first);
    if (i > 0 && seq_and_hlc[i].second <= seq_and_hlc[i - 1].second) {
      ++summary.recorded_at_not_increasing;
    }
  }
  return summary;
}

// A fresh directory under /tmp, removed with everything in it when the helper goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "holdfast-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory (not created).
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace holdfast::testing
