#include "ops/sample/case_story.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>

#include "ops/sample/calendar.h"
#include "ops/sample/portable_random.h"
#include "ops/sample/programmes.h"

namespace holdfast::sample {
namespace {

constexpr uint64_t kCaseTag = 0xca5e;
constexpr uint64_t kSubjectTag = 0x5b1ec7;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// Incident references are numbered case * kIncidentsPerCase + n, so they never collide.
constexpr int kIncidentsPerCase = 8;

// How the person responds to the programme; drawn once per case.
enum class Profile {
  kEngaged,      // attends and completes
  kWobbly,       // completes, after unacceptable absences and a few weeks without contact
  kDisengaging,  // turns away part-way: unacceptable absences, often a breach, then an exit
  kLeaves,       // moves out of the area or is taken into custody part-way
  kNeverStarts,  // referred, then withdraws before the first session
  kNotReferred,  // transferred to another area before any referral
};

enum class Order { kCommunityOrder, kSuspendedSentence, kLicence, kDvpo, kVoluntary };
constexpr const char* kOrderNames[] = {"community_order", "suspended_sentence", "licence", "dvpo",
                                       "voluntary"};

enum Risk { kStandard, kMedium, kHigh, kVeryHigh };
constexpr const char* kRiskNames[] = {"standard", "medium", "high", "very_high"};

enum class Outcome { kAttended, kLate, kLeftEarly, kAbsentAcceptable, kAbsentUnacceptable };
constexpr const char* kOutcomeNames[] = {"attended", "late", "left_early", "absent_acceptable",
                                         "absent_unacceptable"};
bool IsPositive(Outcome o) { return o <= Outcome::kLeftEarly; }

const char* const kAcceptableReasons[] = {
    "GP appointment, evidence provided",
    "Childcare emergency, phoned ahead",
    "Hospital admission",
    "Shift at work agreed with offender manager",
    "Bereavement in the family",
    "Court appearance as a witness",
    "Covid-like symptoms, stayed home on advice",
};
const char* const kUnacceptableReasons[] = {
    "No contact",
    "No show; phone switched off",
    "Said he forgot",
    "Refused to attend",
    "Claimed illness, no evidence provided",
    "Arrived intoxicated and was sent home",
};
const char* const kLateReasons[] = {"Bus delayed", "Work ran over", "Could not find parking"};
const char* const kLeftEarlyReasons[] = {
    "Left at the break after a disagreement",
    "Childcare pick-up, agreed with facilitator",
    "Became agitated and walked out",
};
const char* const kConcernNotes[] = {
    "Blamed partner for the index offence",
    "Disclosed contact with the victim despite restrictions",
    "Minimised physical violence; raised with offender manager",
    "Hostile towards a female facilitator",
    "Mentioned a new relationship; disclosure check advised",
};
const char* const kBreachDetails[] = {
    "Second unacceptable absence from the programme",
    "Failed to attend the programme and offender manager appointments",
    "No contact for three weeks despite letters and calls",
};

// The subject of a case: usually its own person, sometimes someone with an earlier case.
int64_t SubjectNumber(uint64_t seed, int64_t case_number) {
  int64_t k = case_number;
  while (k > 20) {
    const uint64_t h = MixAll({seed, static_cast<uint64_t>(k), kSubjectTag});
    if (h % 100 >= 4) break;
    const int64_t back = std::min<int64_t>(k - 1, 150);
    k -= 1 + static_cast<int64_t>((h >> 8) % static_cast<uint64_t>(back));
  }
  return k;
}

std::string Numbered(const char* format, int64_t n) {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, static_cast<long long>(n));
  return buf;
}

struct Appointment {
  int64_t at;
  std::string session;
  std::string facilitator;
};

// The sessions a person is booked into: a group's held meetings week by week, or individual
// appointments at the programme's interval.
class AppointmentBook {
 public:
  // A place in a rolling group, from its first meeting at or after from.
  AppointmentBook(const CountyPlan& plan, int group, int64_t from)
      : plan_(plan), group_(group), week_(plan.groups.FirstWeekFrom(group, from)) {}
  // Individual appointments with a keyworker, the first at first_at.
  AppointmentBook(const CountyPlan& plan, const Programme& programme, std::string keyworker,
                  std::string case_id, int64_t first_at)
      : plan_(plan),
        interval_(programme.interval_days * kDay),
        keyworker_(std::move(keyworker)),
        case_id_(std::move(case_id)),
        next_at_(first_at) {}

  bool individual() const { return group_ < 0; }

  // The next appointment, or nullopt once they run past the county's span.
  std::optional<Appointment> Next() {
    if (individual()) {
      while (InWinterClosure(next_at_)) next_at_ += kWeek;
      if (next_at_ >= plan_.horizon) return std::nullopt;
      Appointment a{next_at_, "S-" + FormatDate(next_at_) + "-" + case_id_, keyworker_};
      next_at_ += interval_;
      return a;
    }
    const GroupSchedule& groups = plan_.groups;
    while (groups.MeetingTime(group_, week_) < plan_.horizon && !groups.IsHeld(group_, week_)) {
      ++week_;
    }
    if (groups.MeetingTime(group_, week_) >= plan_.horizon) return std::nullopt;
    Appointment a{groups.MeetingTime(group_, week_), groups.SessionId(group_, week_),
                  groups.Facilitator(group_, week_)};
    ++week_;
    return a;
  }

 private:
  const CountyPlan& plan_;
  int group_ = -1;
  int64_t week_ = 0;
  int64_t interval_ = 0;
  std::string keyworker_;
  std::string case_id_;
  int64_t next_at_ = 0;
};

enum class Ending { kCompleted, kExited, kStillRunning };

struct InterventionResult {
  Ending ending = Ending::kStillRunning;
  std::string exit_reason;      // when exited
  int64_t started_at = kNever;  // kNever: never started
  int64_t ended_at = kNever;    // completion or exit; kNever while still running
  bool breached = false;
};

struct AttendanceRecord {
  int64_t at;
  std::string intervention;
  std::string session;
  std::string facilitator;
  Outcome outcome;
};

class CaseStory {
 public:
  CaseStory(const CountyPlan& plan, int64_t number)
      : plan_(plan),
        number_(number),
        rng_(MixAll({plan.seed, static_cast<uint64_t>(number), kCaseTag})),
        case_id_(Numbered("C-%05lld", number)),
        subject_(Numbered("P-%05lld", SubjectNumber(plan.seed, number))),
        officer_(Numbered("po-%03lld", 1 + static_cast<int64_t>(rng_.Below(plan.officers)))),
        id_prefix_(std::to_string(plan.seed) + "/" + std::to_string(plan.start) + "/" +
                   std::to_string(plan.cases) + "/" + std::to_string(number) + "/") {}

  std::vector<SampleEvent> Tell();

 private:
  void Add(int64_t at, SampleType type, const std::string& user, std::vector<DataField> data);
  // An office-hours time (09:00 to 16:55 on a weekday) min_days to max_days after t's day.
  int64_t OfficeTime(int64_t t, int min_days, int max_days);
  // A time to the minute, uniformly in [from, until); until must exceed from by a minute.
  int64_t AnyTime(int64_t from, int64_t until);

  int64_t OpeningTime();
  const Programme& ChooseProgramme();
  struct Closure {
    int64_t at = kNever;  // kNever: still open at the end of the span
    const char* reason = "";
  };
  Closure DecideClosure(Profile profile, int64_t open_at, const InterventionResult& result,
                        bool revoked);
  InterventionResult Refer(int n, const Programme& programme, Profile profile, int64_t at);
  InterventionResult RunIntervention(const std::string& intervention, const Programme& programme,
                                     Profile profile, int64_t referred_at);
  Outcome DrawOutcome(Profile profile, int session, int turn, int gap_at, int gap_length);
  void RecordAttendance(const std::string& intervention, const Appointment& appointment,
                        Outcome outcome);
  void Exit(const std::string& intervention, int64_t at, const std::string& reason,
            InterventionResult* result);
  void MaybeCorrectAttendance();
  void ReportBreach(int64_t at);

  Risk RiskAt(int64_t t) const;
  void RaiseRisk(int64_t at, bool marac);
  void LowerRisk(int64_t at);

  void Incident(int64_t at);
  void MaybeIndexIncident(int64_t open_at);
  void IncidentsWhileOpen(int64_t open_at, int64_t close_at, Profile profile);
  void IncidentsAfterClosure(int64_t close_at, bool revoked);

  const CountyPlan& plan_;
  const int64_t number_;
  PortableRandom rng_;
  const std::string case_id_;
  const std::string subject_;
  const std::string officer_;
  const std::string id_prefix_;
  Order order_ = Order::kCommunityOrder;
  int seq_ = 0;
  int incidents_ = 0;
  int64_t latest_ = 0;  // the latest occurred_at told so far
  std::vector<std::pair<int64_t, Risk>> risk_levels_;
  std::vector<AttendanceRecord> attendance_;
  std::vector<SampleEvent> events_;
};

void CaseStory::Add(int64_t at, SampleType type, const std::string& user,
                    std::vector<DataField> data) {
  // Numbered even when outside the span, so that an event's id never depends on the span.
  std::string id_name = id_prefix_ + std::to_string(seq_++);
  if (at < plan_.start || at >= plan_.horizon) return;
  latest_ = std::max(latest_, at);
  events_.push_back(SampleEvent{at, type, user, std::move(data), std::move(id_name)});
}

int64_t CaseStory::OfficeTime(int64_t t, int min_days, int max_days) {
  int64_t day = DayStart(t) + rng_.Between(min_days, max_days) * kDay;
  while (WeekdayOf(day) >= 5) day += kDay;
  return day + 9 * kHour + static_cast<int64_t>(rng_.Below(96)) * 5 * kMinute;
}

int64_t CaseStory::AnyTime(int64_t from, int64_t until) {
  return from + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>((until - from) / kMinute))) *
                    kMinute;
}

int64_t CaseStory::OpeningTime() {
  // Cases open in number order, spread evenly over the opening months.
  const int64_t opening_days = (plan_.opens_until - plan_.start) / kDay;
  const int64_t day =
      plan_.start + (number_ - 1) * opening_days / plan_.cases * kDay + rng_.Between(0, 2) * kDay;
  return OfficeTime(day - kDay, 1, 1);
}

const Programme& CaseStory::ChooseProgramme() {
  static const ProgrammeId kIds[] = {ProgrammeId::kBuildingChoices, ProgrammeId::kRespectDvpp,
                                     ProgrammeId::kDrive, ProgrammeId::kOneToOne};
  size_t pick;
  if (order_ == Order::kVoluntary || order_ == Order::kDvpo) {
    pick = rng_.Weighted({0, 65, 0, 35});
  } else if (RiskAt(latest_) >= kHigh) {
    pick = rng_.Weighted({30, 25, 30, 15});  // DRIVE works with high-harm cases
  } else {
    pick = rng_.Weighted({45, 35, 0, 20});
  }
  return ProgrammeOf(kIds[pick]);
}

std::vector<SampleEvent> CaseStory::Tell() {
  const int64_t open_at = OpeningTime();
  order_ = static_cast<Order>(rng_.Weighted({45, 20, 25, 3, 7}));
  const Risk risk = static_cast<Risk>(rng_.Weighted({22, 45, 27, 6}));
  risk_levels_.emplace_back(open_at, risk);
  Add(open_at, SampleType::kCaseOpened, officer_,
      {Text("case", case_id_), Text("subject", subject_),
       Text("order", kOrderNames[static_cast<int>(order_)]), Text("risk", kRiskNames[risk]),
       Text("lead_agency", "probation-ce")});
  MaybeIndexIncident(open_at);

  const Profile profile = static_cast<Profile>(rng_.Weighted({52, 16, 18, 7, 4, 3}));
  InterventionResult result;
  if (profile != Profile::kNotReferred) {
    result = Refer(1, ChooseProgramme(), profile, OfficeTime(open_at, 3, 21));
  }
  const bool dropped_out =
      result.ending == Ending::kExited &&
      (result.exit_reason == "non_compliance" || result.exit_reason == "withdrew");
  const bool revoked = dropped_out && result.breached && rng_.Percent(50);
  if (dropped_out && !revoked && result.started_at != kNever && rng_.Percent(25)) {
    // A second chance: re-referred after a warning, to the same kind of programme or one to one.
    const Profile second = static_cast<Profile>(rng_.Weighted({50, 30, 20}));
    const Programme& programme =
        rng_.Percent(50) ? ChooseProgramme() : ProgrammeOf(ProgrammeId::kOneToOne);
    InterventionResult again = Refer(2, programme, second, OfficeTime(result.ended_at, 21, 60));
    again.breached = again.breached || result.breached;
    result = again;
  }

  // The closure, once every other event of the open case is known.
  Closure closure = DecideClosure(profile, open_at, result, revoked);
  if (result.ending == Ending::kCompleted && rng_.Percent(30)) {
    LowerRisk(OfficeTime(result.ended_at, 7, 30));
  }
  if (closure.at != kNever && closure.at <= latest_) closure.at = OfficeTime(latest_, 1, 3);

  IncidentsWhileOpen(open_at, closure.at, profile);
  if (closure.at != kNever && closure.at < plan_.horizon) {
    Add(closure.at, SampleType::kCaseClosed, officer_,
        {Text("case", case_id_), Text("reason", closure.reason)});
    IncidentsAfterClosure(closure.at, revoked);
  }
  std::stable_sort(events_.begin(), events_.end(),
                   [](const SampleEvent& a, const SampleEvent& b) { return a.at < b.at; });
  return std::move(events_);
}

CaseStory::Closure CaseStory::DecideClosure(Profile profile, int64_t open_at,
                                            const InterventionResult& result, bool revoked) {
  const int64_t order_end = order_ == Order::kVoluntary ? kNever
                            : order_ == Order::kLicence ? open_at + rng_.Between(180, 540) * kDay
                            : order_ == Order::kDvpo    ? open_at + rng_.Between(60, 150) * kDay
                                                        : open_at + rng_.Between(365, 730) * kDay;
  const int64_t end = result.ended_at;
  const bool exited = result.ending == Ending::kExited;
  if (profile == Profile::kNotReferred) return {OfficeTime(open_at, 14, 60), "transferred"};
  if (exited && result.exit_reason == "moved_area") return {OfficeTime(end, 7, 30), "transferred"};
  if (exited && result.exit_reason == "custody") {
    return {OfficeTime(end, 7, 40), rng_.Percent(60) ? "revoked" : "other"};
  }
  if (revoked) return {OfficeTime(end, 14, 56), "revoked"};
  if (result.ending == Ending::kStillRunning) return {};
  if (result.ending == Ending::kCompleted && (order_end == kNever || rng_.Percent(30))) {
    return {OfficeTime(end, 14, 60), "completed"};  // discharged early for good progress
  }
  if (order_end == kNever) return {OfficeTime(end, 14, 60), "other"};
  return {OfficeTime(std::max(order_end, end + 14 * kDay) - kDay, 1, 1), "order_ended"};
}

InterventionResult CaseStory::Refer(int n, const Programme& programme, Profile profile,
                                    int64_t at) {
  const std::string intervention = Numbered("I-%05lld-", number_) + std::to_string(n);
  Add(at, SampleType::kInterventionReferred, officer_,
      {Text("case", case_id_), Text("intervention", intervention),
       Text("programme", std::string(programme.name)), Text("provider", "provider-ce")});
  InterventionResult result;
  if (profile == Profile::kNeverStarts) {
    Exit(intervention, OfficeTime(at, 14, 42), rng_.Percent(80) ? "withdrew" : "moved_area",
         &result);
    return result;
  }
  attendance_.clear();
  result = RunIntervention(intervention, programme, profile, at);
  MaybeCorrectAttendance();
  if (result.started_at != kNever && rng_.Percent(8) && !attendance_.empty()) {
    // Something in a session or at home raises the officer's concern part-way.
    const int64_t at_risk = OfficeTime(attendance_[rng_.Below(attendance_.size())].at, 1, 4);
    if (at_risk < result.ended_at) RaiseRisk(at_risk, rng_.Percent(40));
  }
  return result;
}

InterventionResult CaseStory::RunIntervention(const std::string& intervention,
                                              const Programme& programme, Profile profile,
                                              int64_t referred_at) {
  InterventionResult result;
  std::optional<AppointmentBook> book;
  if (programme.in_groups) {
    const std::vector<int>& groups = plan_.groups.GroupsRunning(programme.id);
    const int group = groups[rng_.Below(groups.size())];
    book.emplace(plan_, group, referred_at + rng_.Between(7, 35) * kDay);
  } else {
    const int keyworker =
        2 * plan_.groups.size() + 1 + static_cast<int>(rng_.Below(plan_.keyworkers));
    int64_t first_at = OfficeTime(referred_at, 7, 28);
    first_at = DayStart(first_at) + rng_.Between(10, 15) * kHour;
    book.emplace(plan_, programme, Numbered("fac-%03lld", keyworker), case_id_, first_at);
  }
  std::optional<Appointment> appointment = book->Next();
  if (!appointment) return result;
  result.started_at = appointment->at - 30 * kMinute;  // the induction, before the first session
  Add(result.started_at, SampleType::kInterventionStarted, appointment->facilitator,
      {Text("case", case_id_), Text("intervention", intervention)});

  // The shape of this person's attendance, decided up front.
  const int sessions = programme.sessions;
  const int turn = static_cast<int>(rng_.Between(1, sessions / 2));
  const int exit_after = static_cast<int>(rng_.Between(3, 4));
  const bool breach_planned = order_ != Order::kVoluntary && rng_.Percent(60);
  const int leave_at = static_cast<int>(rng_.Between(2, sessions - 3));
  const bool leaves_for_custody = rng_.Percent(40);
  const int gap_at = static_cast<int>(rng_.Between(sessions / 4, 3 * sessions / 4));
  const int gap_length = rng_.Percent(35) ? 2 : 3;  // 2 weekly absences: exactly 21 days

  int unacceptable_since_turn = 0;
  for (int i = 0; i < sessions; ++i) {
    if (i > 0) appointment = book->Next();
    if (!appointment) return result;  // still running at the end of the span
    const Appointment& a = *appointment;
    if (book->individual()) {
      Add(a.at, SampleType::kSessionHeld, a.facilitator,
          {Text("session", a.session), Text("group", "individual"),
           Text("module", ModuleTitle(programme, i)), Text("facilitator", a.facilitator)});
    }
    if (profile == Profile::kLeaves && i == leave_at) {
      if (leaves_for_custody) {
        Incident(AnyTime(a.at - 6 * kDay, a.at - kHour));
        RecordAttendance(intervention, a, Outcome::kAbsentAcceptable);
        Exit(intervention, OfficeTime(a.at, 1, 4), "custody", &result);
      } else {
        RecordAttendance(intervention, a, Outcome::kAbsentUnacceptable);
        Exit(intervention, OfficeTime(a.at, 1, 4), "moved_area", &result);
      }
      return result;
    }
    const Outcome outcome = DrawOutcome(profile, i, turn, gap_at, gap_length);
    RecordAttendance(intervention, a, outcome);
    if (profile != Profile::kDisengaging || i < turn || outcome != Outcome::kAbsentUnacceptable) {
      continue;
    }
    ++unacceptable_since_turn;
    if (unacceptable_since_turn == 2 && breach_planned) {
      const int64_t breach_at = OfficeTime(a.at, 1, 3);
      ReportBreach(breach_at);
      result.breached = true;
      if (order_ == Order::kLicence) {  // recalled to prison the same day
        Exit(intervention, breach_at + rng_.Between(2, 8) * kHour, "custody", &result);
        return result;
      }
    }
    if (unacceptable_since_turn == exit_after) {
      Exit(intervention, OfficeTime(a.at, 1, 4), rng_.Percent(75) ? "non_compliance" : "withdrew",
           &result);
      return result;
    }
  }
  result.ending = Ending::kCompleted;
  result.ended_at = OfficeTime(appointment->at, 1, 4);
  Add(result.ended_at, SampleType::kInterventionCompleted, officer_,
      {Text("case", case_id_), Text("intervention", intervention)});
  return result;
}

Outcome CaseStory::DrawOutcome(Profile profile, int session, int turn, int gap_at, int gap_length) {
  if (profile == Profile::kWobbly && session >= gap_at && session < gap_at + gap_length) {
    return rng_.Percent(60) ? Outcome::kAbsentUnacceptable : Outcome::kAbsentAcceptable;
  }
  // Per mille: attended, late, left early, absent acceptably, absent unacceptably.
  size_t pick;
  switch (profile) {
    case Profile::kWobbly:
      pick = rng_.Weighted({700, 80, 50, 90, 80});
      break;
    case Profile::kDisengaging:
      pick = session < turn ? rng_.Weighted({760, 70, 40, 80, 50})
                            : rng_.Weighted({180, 40, 30, 100, 650});
      break;
    case Profile::kLeaves:
      pick = rng_.Weighted({820, 60, 30, 60, 30});
      break;
    default:
      pick = rng_.Weighted({880, 45, 20, 45, 10});
      break;
  }
  return static_cast<Outcome>(pick);
}

void CaseStory::RecordAttendance(const std::string& intervention, const Appointment& appointment,
                                 Outcome outcome) {
  std::vector<DataField> data = {Text("case", case_id_), Text("intervention", intervention),
                                 Text("session", appointment.session),
                                 Text("outcome", kOutcomeNames[static_cast<int>(outcome)])};
  std::string reason;
  bool concern = false;
  switch (outcome) {
    case Outcome::kAbsentAcceptable:
      reason = rng_.PickFrom(kAcceptableReasons);
      break;
    case Outcome::kAbsentUnacceptable:
      if (rng_.Percent(85)) reason = rng_.PickFrom(kUnacceptableReasons);
      concern = reason == "Arrived intoxicated and was sent home";
      break;
    case Outcome::kLate:
      if (rng_.Percent(30)) reason = rng_.PickFrom(kLateReasons);
      break;
    case Outcome::kLeftEarly:
      if (rng_.Percent(60)) reason = rng_.PickFrom(kLeftEarlyReasons);
      break;
    case Outcome::kAttended:
      break;
  }
  if (IsPositive(outcome) && rng_.Percent(2)) {
    reason = rng_.PickFrom(kConcernNotes);
    concern = true;
  }
  if (!reason.empty()) data.push_back(Text("reason", reason));
  data.push_back(Flag("concern", concern));
  Add(appointment.at, SampleType::kAttendanceRecorded, appointment.facilitator, std::move(data));
  attendance_.push_back(AttendanceRecord{appointment.at, intervention, appointment.session,
                                         appointment.facilitator, outcome});
}

void CaseStory::Exit(const std::string& intervention, int64_t at, const std::string& reason,
                     InterventionResult* result) {
  Add(at, SampleType::kInterventionExited, officer_,
      {Text("case", case_id_), Text("intervention", intervention), Text("reason", reason)});
  result->ending = Ending::kExited;
  result->exit_reason = reason;
  result->ended_at = at;
}

// A few records are corrected days later: a second attendance.recorded for the same case and
// session with another outcome. Only records with two more after them are corrected, so the
// correction lands before the intervention ends.
void CaseStory::MaybeCorrectAttendance() {
  if (attendance_.size() < 4 || !rng_.Percent(5)) return;
  const size_t last_correctable = attendance_.size() - 3;
  std::vector<size_t> unacceptable;
  for (size_t i = 0; i <= last_correctable; ++i) {
    if (attendance_[i].outcome == Outcome::kAbsentUnacceptable) unacceptable.push_back(i);
  }
  // Mostly the corrections that matter to alerts: an unacceptable absence excused late.
  const size_t index = !unacceptable.empty() && rng_.Percent(60)
                           ? unacceptable[rng_.Below(unacceptable.size())]
                           : rng_.Below(last_correctable + 1);
  const AttendanceRecord& record = attendance_[index];
  Outcome corrected = Outcome::kAttended;
  const char* reason = "Corrected: recorded in error";
  switch (record.outcome) {
    case Outcome::kAbsentUnacceptable:
      corrected = Outcome::kAbsentAcceptable;
      reason = "Corrected: hospital letter received after the session";
      break;
    case Outcome::kAbsentAcceptable:
      corrected = Outcome::kAbsentUnacceptable;
      reason = "Corrected: claimed appointment could not be verified";
      break;
    case Outcome::kAttended:
      corrected = Outcome::kLate;
      reason = "Corrected: arrived 20 minutes late";
      break;
    case Outcome::kLate:
    case Outcome::kLeftEarly:
      break;
  }
  Add(OfficeTime(record.at, 1, 3), SampleType::kAttendanceRecorded, record.facilitator,
      {Text("case", case_id_), Text("intervention", record.intervention),
       Text("session", record.session), Text("outcome", kOutcomeNames[static_cast<int>(corrected)]),
       Text("reason", reason), Flag("concern", false)});
}

void CaseStory::ReportBreach(int64_t at) {
  const char* kind = "failure_to_comply";
  if (order_ == Order::kLicence) {
    kind = "recall";
  } else if (order_ == Order::kDvpo) {
    kind = "dvpo_breach";
  } else if (rng_.Percent(30)) {
    kind = "order_breach";
  }
  std::vector<DataField> data = {Text("case", case_id_), Text("kind", kind)};
  if (rng_.Percent(80)) data.push_back(Text("detail", rng_.PickFrom(kBreachDetails)));
  Add(at, SampleType::kBreachReported, officer_, std::move(data));
}

Risk CaseStory::RiskAt(int64_t t) const {
  Risk level = kMedium;
  int64_t since = std::numeric_limits<int64_t>::min();
  for (const auto& [at, risk] : risk_levels_) {
    if (at <= t && at >= since) level = risk, since = at;
  }
  return level;
}

void CaseStory::RaiseRisk(int64_t at, bool marac) {
  const Risk now = RiskAt(at);
  Risk next = kVeryHigh;
  if (now < kHigh) {
    next = rng_.Percent(75) ? kHigh : kVeryHigh;
  } else if (now == kHigh && rng_.Percent(50)) {
    next = kHigh;
    marac = true;  // the same level: only a MARAC referral makes it news
  }
  if (now == kVeryHigh) marac = true;
  risk_levels_.emplace_back(at, next);
  std::vector<DataField> data = {Text("case", case_id_), Text("risk", kRiskNames[next])};
  data.push_back(Flag("marac", marac));
  Add(at, SampleType::kCaseRiskChanged, officer_, std::move(data));
}

void CaseStory::LowerRisk(int64_t at) {
  const Risk now = RiskAt(at);
  if (now == kStandard) return;
  const Risk next = static_cast<Risk>(now - 1);
  risk_levels_.emplace_back(at, next);
  std::vector<DataField> data = {Text("case", case_id_), Text("risk", kRiskNames[next])};
  data.push_back(Flag("marac", false));
  Add(at, SampleType::kCaseRiskChanged, officer_, std::move(data));
}

void CaseStory::Incident(int64_t at) {
  if (incidents_ >= kIncidentsPerCase) return;
  const int64_t number = number_ * kIncidentsPerCase + incidents_++;
  const std::string incident =
      "INC-" + std::to_string(CivilDateOf(at).year) + Numbered("-%06lld", number);
  static const char* const kCategories[] = {"domestic_abuse", "sexual_offence", "other"};
  const size_t category = rng_.Weighted({80, 7, 13});
  const bool crime = category == 1 || rng_.Percent(category == 0 ? 70 : 50);
  const std::string officer =
      Numbered("pc-%04lld", 1 + static_cast<int64_t>(rng_.Below(plan_.police_officers)));
  Add(at, SampleType::kIncidentReported, officer,
      {Text("subject", subject_), Text("incident", incident),
       Text("category", kCategories[category]), Flag("crime", crime)});
}

// The incident that led to the order, some weeks before the case opened.
void CaseStory::MaybeIndexIncident(int64_t open_at) {
  if (!rng_.Percent(30)) return;
  const int64_t before = open_at - rng_.Between(10, 90) * kDay;
  Incident(AnyTime(before - kDay, before));
}

void CaseStory::IncidentsWhileOpen(int64_t open_at, int64_t close_at, Profile profile) {
  static const int kPercentByProfile[] = {7, 20, 40, 25, 25, 15};
  if (!rng_.Percent(kPercentByProfile[static_cast<int>(profile)])) return;
  const int64_t until = std::min(close_at, plan_.horizon);
  if (until - open_at < 2 * kDay) return;
  const int count = 1 + static_cast<int>(rng_.Weighted({75, 20, 5}));
  for (int i = 0; i < count; ++i) {
    const int64_t at = AnyTime(open_at + kDay, until);
    Incident(at);
    // Police share the incident; the officer often raises the risk, with a MARAC referral.
    if (rng_.Percent(40)) {
      const int64_t raised_at = OfficeTime(at, 1, 5);
      if (raised_at < close_at) RaiseRisk(raised_at, rng_.Percent(60));
    }
  }
}

// Reoffending after the case closed: sometimes within the 365-day window, sometimes exactly
// on its edge, sometimes beyond it. Cases closed early enough for the span to reach past the
// window get incidents more often, so that even a small county has some beyond it.
void CaseStory::IncidentsAfterClosure(int64_t close_at, bool revoked) {
  const bool span_reaches_past_window = close_at + 366 * kDay < plan_.horizon;
  if (!rng_.Percent(span_reaches_past_window ? 60 : revoked ? 40 : 25)) return;
  const int count = 1 + static_cast<int>(rng_.Weighted({80, 20}));
  for (int i = 0; i < count; ++i) {
    switch (rng_.Weighted({55, 10, 35})) {
      case 0:
        Incident(close_at + rng_.Between(7, 540) * kDay + rng_.Between(0, 24 * 60 - 1) * kMinute);
        break;
      case 1:
        Incident(close_at + 365 * kDay);
        break;
      default:
        Incident(close_at + 365 * kDay + rng_.Between(1, 30) * kDay);
        break;
    }
  }
}

}  // namespace

std::vector<SampleEvent> TellCaseStory(const CountyPlan& plan, int64_t case_number) {
  return CaseStory(plan, case_number).Tell();
}

}  // namespace holdfast::sample
