#include "ops/sample/county.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "ops/sample/calendar.h"
#include "ops/sample/case_story.h"
#include "ops/sample/group_schedule.h"
#include "ops/sample/sample_event.h"

namespace holdfast::sample {
namespace {

// About a dozen people in each rolling group at any time.
constexpr int64_t kCasesPerGroup = 50;
// Cases in the pilot run that measures events per case for CasesForEventTarget.
constexpr int64_t kPilotCases = 2000;

int GroupCount(int64_t cases) {
  return static_cast<int>(std::max<int64_t>(6, (cases + kCasesPerGroup / 2) / kCasesPerGroup));
}

CountyPlan MakeCountyPlan(const CountyOptions& options) {
  CountyPlan plan;
  plan.seed = options.seed;
  plan.cases = std::max<int64_t>(1, options.cases);
  plan.start = DayStart(options.start);
  plan.opens_until = plan.start + kOpeningDays * kDay;
  plan.horizon = plan.start + kSpanDays * kDay;
  // Caseloads: about 35 cases per probation officer, 80 per keyworker, 40 per police officer.
  plan.officers = static_cast<int>(std::max<int64_t>(10, plan.cases / 35));
  plan.keyworkers = static_cast<int>(std::max<int64_t>(4, plan.cases / 80));
  plan.police_officers = static_cast<int>(std::max<int64_t>(8, plan.cases / 40));
  plan.groups = GroupSchedule(plan.seed, plan.start, plan.horizon, GroupCount(plan.cases));
  return plan;
}

// The groups' meetings in time order: week by week, and within a week in meeting order.
class SessionStream {
 public:
  explicit SessionStream(const GroupSchedule& groups) : groups_(groups) { SkipUnheld(); }

  bool Done() const { return week_ >= groups_.weeks(); }
  int64_t PeekTime() const { return groups_.MeetingTime(Group(), week_); }
  SampleEvent Next() {
    SampleEvent event = groups_.SessionHeld(Group(), week_);
    Advance();
    SkipUnheld();
    return event;
  }

 private:
  int Group() const { return groups_.MeetingOrder()[slot_]; }
  void Advance() {
    if (++slot_ == groups_.MeetingOrder().size()) {
      slot_ = 0;
      ++week_;
    }
  }
  void SkipUnheld() {
    while (!Done() && !groups_.IsHeld(Group(), week_)) Advance();
  }

  const GroupSchedule& groups_;
  int64_t week_ = 0;
  size_t slot_ = 0;
};

}  // namespace

std::string_view AgencyName(Agency agency) {
  switch (agency) {
    case Agency::kProbation:
      return "probation";
    case Agency::kProvider:
      return "provider";
    case Agency::kPolice:
      return "police";
  }
  return "unknown";
}

uint64_t GenerateCounty(const CountyOptions& options, const SampleSink& sink) {
  const CountyPlan plan = MakeCountyPlan(options);
  SessionStream sessions(plan.groups);
  uint64_t emitted = 0;
  auto emit = [&](const SampleEvent& event) {
    const std::string json = EventJson(event);
    ++emitted;
    return sink(SampleLine{json, TypeName(event.type), event.at, AgencyOf(event.type)});
  };
  for (int64_t k = 1; k <= plan.cases; ++k) {
    const std::vector<SampleEvent> story = TellCaseStory(plan, k);
    const int64_t first = story.empty() ? std::numeric_limits<int64_t>::max() : story[0].at;
    while (!sessions.Done() && sessions.PeekTime() <= first) {
      if (!emit(sessions.Next())) return emitted;
    }
    for (const SampleEvent& event : story) {
      if (!emit(event)) return emitted;
    }
  }
  while (!sessions.Done()) {
    if (!emit(sessions.Next())) return emitted;
  }
  return emitted;
}

std::vector<std::string> GenerateCountyLines(const CountyOptions& options) {
  std::vector<std::string> lines;
  GenerateCounty(options, [&lines](const SampleLine& line) {
    lines.emplace_back(line.json);
    return true;
  });
  return lines;
}

int64_t CasesForEventTarget(const CountyOptions& options, int64_t target_events) {
  // A case's story does not depend on the county's size (only its opening day scales with it),
  // so a pilot county gives the events per case; the groups' sessions are counted exactly. A
  // group is the same whatever the number of groups, so one schedule serves every size.
  CountyOptions pilot_options = options;
  pilot_options.cases = kPilotCases;
  const CountyPlan pilot = MakeCountyPlan(pilot_options);
  int64_t pilot_events = 0;
  for (int64_t k = 1; k <= kPilotCases; ++k) {
    pilot_events += static_cast<int64_t>(TellCaseStory(pilot, k).size());
  }
  const int64_t max_cases = std::max<int64_t>(1, target_events);  // a case has 1 event or more
  const GroupSchedule groups(options.seed, pilot.start, pilot.horizon, GroupCount(max_cases));
  std::vector<int64_t> sessions_of_first(groups.size() + 1, 0);  // prefix sums
  for (int g = 0; g < groups.size(); ++g) {
    sessions_of_first[g + 1] = sessions_of_first[g] + groups.HeldCount(g);
  }
  auto estimate = [&](int64_t cases) {
    return cases * pilot_events / kPilotCases + sessions_of_first[GroupCount(cases)];
  };
  int64_t lo = 1, hi = max_cases;
  while (lo < hi) {  // the smallest county whose estimate reaches the target
    const int64_t mid = lo + (hi - lo) / 2;
    if (estimate(mid) >= target_events) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

}  // namespace holdfast::sample
