// A small county whose indicators are worked out by hand (SPEC "Indicators"), for the
// indicator tests: tests/projections/indicators_test.cc feeds it to a projector, and
// tests/daemon/indicators_test.cc imports it into a real holdfastd. The expected values,
// with their arithmetic, are in tests/projections/indicators_test.cc.
//
// It is recorded in three steps, as a node would see it: `first`, then `corrections` (later
// records of sessions in `first`, so they stand), then the acknowledgements in `acks`
// (their alert ids are derived, so a test looks them up). Every time is 2025 UTC.
//
//   case (subject)  what happens
//   C-1 (P-1)   referred 03-01 00:00:00 (the period's first instant); started 03-03 18:00;
//               S-1 attended 03-03, S-2 late 03-10, S-3 left_early 03-17, S-4
//               absent_unacceptable 03-24, S-5 attended 03-30 (each 18:00); completed
//               03-31 18:00. Corrections: S-4 attended (03-24 18:00); S-5
//               absent_unacceptable, at 04-02 18:00 (moved out of March, after the end).
//   C-2 (P-2)   referred 03-02 and again 03-25; started 03-04 18:00; S-1
//               absent_unacceptable 03-04, S-2 absent_acceptable 03-11, S-3
//               absent_unacceptable 03-18 (each 18:00): non_engagement at 03-18 18:00;
//               exited non_compliance 03-20 12:00: dropout at 03-20 12:00.
//   C-3 (P-3)   referred 01-20; started 02-03 18:00; S-1 attended 02-03 18:00; S-2
//               absent_unacceptable 02-24 18:00; no contact for 21 days after 02-03 18:00:
//               no_contact at 02-24 18:00; exited moved_area 03-10 12:00. Correction: S-2
//               attended, at 03-01 10:00 (moved into March; too late for the no_contact).
//   C-4 (P-4)   opened at medium risk; risk high 03-05 09:00: risk_escalation then; breach
//               03-31 23:59:59 and 04-01 00:00:00: breach alerts then; referred 03-31
//               23:59:59; started 04-01 00:00:00 (the period's end); completed 04-10.
//   C-5 (P-5)   closed 02-15. Incidents of P-5: INC-1 domestic_abuse 03-02 10:00, INC-2
//               sexual_offence 03-09 10:00 and again 03-10 10:00: reoffending at 03-02
//               10:00 and 03-09 10:00 (closed at most 365 days before).
//   C-6 (P-6)   referred 02-20; started 03-02 18:00; S-1 absent_unacceptable 03-02 18:00,
//               S-2 absent_unacceptable 03-09 18:00: non_engagement at 03-09 18:00;
//               completed 03-16 18:00. Correction: S-2 attended: the alert is withdrawn.
//   C-7 (P-7)   referred 01-10; exited withdrew 02-28 23:59:59, never started: dropout then.
//   C-8 (P-8)   started 03-01 00:00:00, no contact; completed 03-28: no_contact at 03-22
//               00:00.
//   P-90        no case: INC-5 domestic_abuse 02-27, INC-3 domestic_abuse 03-03, INC-4
//               other 03-04.
//   P-91        no case: INC-6 domestic_abuse 03-05, INC-7 domestic_abuse 03-31 23:59:59,
//               INC-8 domestic_abuse 04-01 00:00:00.
//
// Acknowledgements (earliest counts): C-2's non_engagement at 03-19 06:00 and 03-20
// 00:00; C-4's first breach at 04-01 01:59:59; C-5's reoffending for INC-1 at 03-03 16:00;
// C-8's no_contact at 03-22 05:00; C-3's no_contact at 03-01 00:00; C-6's non_engagement
// (before its withdrawal) at 03-10 18:00.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eventstore/ids.h"
#include "tests/eventstore/test_events.h"

namespace holdfast::testing {

// An RFC 3339 time as unix nanoseconds.
inline int64_t Utc(const std::string& rfc3339) {
  const auto t = ParseRfc3339(rfc3339);
  if (!t) throw std::invalid_argument("not an RFC 3339 time: " + rfc3339);
  return *t;
}

struct IndicatorCounty {
  // An acknowledgement of the alert of `rule` on `case_id` raised at `raised_at`.
  struct Ack {
    schema::AlertRule rule;
    std::string case_id;
    int64_t raised_at;
    int64_t at;
    bool before_corrections;  // made between `first` and `corrections`
  };
  std::vector<Event> first, corrections;
  std::vector<Ack> acks;
};

inline IndicatorCounty MakeIndicatorCounty() {
  using O = schema::AttendanceOutcome;
  using X = schema::ExitReason;
  using R = schema::AlertRule;
  IndicatorCounty county;
  uint64_t n = 0;
  std::vector<Event>* to = &county.first;
  auto add = [&](Event e, const std::string& at) {
    e.builder().getOccurredAt().setUnixNanos(Utc(at));
    // 0x1d1c0000-0000-4000-8000-<n>: ids in the order recorded.
    to->push_back(WithId(std::move(e),
                         Uuid{(uint64_t{0x1d1c0000} << 32) | 0x4000, 0x8000000000000000ULL | ++n}));
  };
  auto opened = [&](const std::string& c, const std::string& at) {
    add(MakeCaseOpened(c, "P-" + c.substr(2)), at);
  };
  auto att = [&](const std::string& c, const std::string& session, O outcome,
                 const std::string& at) {
    add(MakeAttendance(c, "I-" + c.substr(2), session, outcome), at);
  };
  auto referred = [&](const std::string& c, const std::string& at) {
    add(MakeReferred(c, "I-" + c.substr(2)), at);
  };
  auto started = [&](const std::string& c, const std::string& at) {
    add(MakeStarted(c, "I-" + c.substr(2)), at);
  };
  auto completed = [&](const std::string& c, const std::string& at) {
    add(MakeCompleted(c, "I-" + c.substr(2)), at);
  };
  auto exited = [&](const std::string& c, X reason, const std::string& at) {
    add(MakeExited(c, "I-" + c.substr(2), reason), at);
  };
  auto incident = [&](const std::string& subject, const std::string& ref,
                      schema::IncidentCategory category, const std::string& at) {
    Event e = MakeIncident(subject, ref);
    e.builder().getIncidentReported().setCategory(category);
    add(std::move(e), at);
  };
  const auto da = schema::IncidentCategory::DOMESTIC_ABUSE;

  opened("C-1", "2025-01-10T09:00:00Z");
  referred("C-1", "2025-03-01T00:00:00Z");
  started("C-1", "2025-03-03T18:00:00Z");
  att("C-1", "S-1", O::ATTENDED, "2025-03-03T18:00:00Z");
  att("C-1", "S-2", O::LATE, "2025-03-10T18:00:00Z");
  att("C-1", "S-3", O::LEFT_EARLY, "2025-03-17T18:00:00Z");
  att("C-1", "S-4", O::ABSENT_UNACCEPTABLE, "2025-03-24T18:00:00Z");
  att("C-1", "S-5", O::ATTENDED, "2025-03-30T18:00:00Z");
  completed("C-1", "2025-03-31T18:00:00Z");

  opened("C-2", "2025-01-10T09:00:00Z");
  referred("C-2", "2025-03-02T09:00:00Z");
  started("C-2", "2025-03-04T18:00:00Z");
  att("C-2", "S-1", O::ABSENT_UNACCEPTABLE, "2025-03-04T18:00:00Z");
  att("C-2", "S-2", O::ABSENT_ACCEPTABLE, "2025-03-11T18:00:00Z");
  att("C-2", "S-3", O::ABSENT_UNACCEPTABLE, "2025-03-18T18:00:00Z");
  exited("C-2", X::NON_COMPLIANCE, "2025-03-20T12:00:00Z");
  referred("C-2", "2025-03-25T09:00:00Z");

  opened("C-3", "2025-01-05T09:00:00Z");
  referred("C-3", "2025-01-20T09:00:00Z");
  started("C-3", "2025-02-03T18:00:00Z");
  att("C-3", "S-1", O::ATTENDED, "2025-02-03T18:00:00Z");
  att("C-3", "S-2", O::ABSENT_UNACCEPTABLE, "2025-02-24T18:00:00Z");
  exited("C-3", X::MOVED_AREA, "2025-03-10T12:00:00Z");

  opened("C-4", "2025-02-01T09:00:00Z");
  add(MakeRiskChanged("C-4", schema::RiskLevel::HIGH), "2025-03-05T09:00:00Z");
  add(MakeBreach("C-4"), "2025-03-31T23:59:59Z");
  add(MakeBreach("C-4"), "2025-04-01T00:00:00Z");
  referred("C-4", "2025-03-31T23:59:59Z");
  started("C-4", "2025-04-01T00:00:00Z");
  completed("C-4", "2025-04-10T09:00:00Z");

  opened("C-5", "2025-01-02T09:00:00Z");
  add(MakeCaseClosed("C-5"), "2025-02-15T09:00:00Z");
  incident("P-5", "INC-1", da, "2025-03-02T10:00:00Z");
  incident("P-5", "INC-2", schema::IncidentCategory::SEXUAL_OFFENCE, "2025-03-09T10:00:00Z");
  incident("P-5", "INC-2", schema::IncidentCategory::SEXUAL_OFFENCE, "2025-03-10T10:00:00Z");

  opened("C-6", "2025-01-01T09:00:00Z");
  referred("C-6", "2025-02-20T09:00:00Z");
  started("C-6", "2025-03-02T18:00:00Z");
  att("C-6", "S-1", O::ABSENT_UNACCEPTABLE, "2025-03-02T18:00:00Z");
  att("C-6", "S-2", O::ABSENT_UNACCEPTABLE, "2025-03-09T18:00:00Z");
  completed("C-6", "2025-03-16T18:00:00Z");

  opened("C-7", "2025-01-03T09:00:00Z");
  referred("C-7", "2025-01-10T09:00:00Z");
  exited("C-7", X::WITHDREW, "2025-02-28T23:59:59Z");

  opened("C-8", "2025-01-01T09:00:00Z");
  started("C-8", "2025-03-01T00:00:00Z");
  completed("C-8", "2025-03-28T00:00:00Z");

  incident("P-90", "INC-5", da, "2025-02-27T10:00:00Z");
  incident("P-90", "INC-3", da, "2025-03-03T10:00:00Z");
  incident("P-90", "INC-4", schema::IncidentCategory::OTHER, "2025-03-04T10:00:00Z");
  incident("P-91", "INC-6", da, "2025-03-05T10:00:00Z");
  incident("P-91", "INC-7", da, "2025-03-31T23:59:59Z");
  incident("P-91", "INC-8", da, "2025-04-01T00:00:00Z");

  to = &county.corrections;
  att("C-1", "S-4", O::ATTENDED, "2025-03-24T18:00:00Z");
  att("C-1", "S-5", O::ABSENT_UNACCEPTABLE, "2025-04-02T18:00:00Z");
  att("C-3", "S-2", O::ATTENDED, "2025-03-01T10:00:00Z");
  att("C-6", "S-2", O::ATTENDED, "2025-03-09T18:00:00Z");

  county.acks = {
      {R::NON_ENGAGEMENT, "C-6", Utc("2025-03-09T18:00:00Z"), Utc("2025-03-10T18:00:00Z"), true},
      {R::NON_ENGAGEMENT, "C-2", Utc("2025-03-18T18:00:00Z"), Utc("2025-03-20T00:00:00Z"), false},
      {R::NON_ENGAGEMENT, "C-2", Utc("2025-03-18T18:00:00Z"), Utc("2025-03-19T06:00:00Z"), false},
      {R::BREACH, "C-4", Utc("2025-03-31T23:59:59Z"), Utc("2025-04-01T01:59:59Z"), false},
      {R::REOFFENDING, "C-5", Utc("2025-03-02T10:00:00Z"), Utc("2025-03-03T16:00:00Z"), false},
      {R::NO_CONTACT, "C-8", Utc("2025-03-22T00:00:00Z"), Utc("2025-03-22T05:00:00Z"), false},
      {R::NO_CONTACT, "C-3", Utc("2025-02-24T18:00:00Z"), Utc("2025-03-01T00:00:00Z"), false},
  };
  return county;
}

}  // namespace holdfast::testing
