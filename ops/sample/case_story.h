// One case's story: the events that probation, the provider and the police record about one
// person from the case's opening to its closure, and any later police incidents.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/sample/group_schedule.h"
#include "ops/sample/sample_event.h"

namespace holdfast::sample {

// What every story reads: the county's size and span, its staff and its groups.
struct CountyPlan {
  uint64_t seed = 0;
  int64_t cases = 0;
  int64_t start = 0;        // midnight UTC, the first instant of the span
  int64_t opens_until = 0;  // cases open in [start, opens_until)
  int64_t horizon = 0;      // the end of the span: nothing at or after it is told
  int officers = 0;         // probation officers po-001 ...
  int keyworkers = 0;       // one-to-one facilitators, numbered after the groups' ones
  int police_officers = 0;  // pc-0001 ...
  GroupSchedule groups;
};

// Case number case_number's events (1-based), in occurred_at order. A pure function of the
// plan and the number: no other case's story is needed, so cases can be told one at a time.
std::vector<SampleEvent> TellCaseStory(const CountyPlan& plan, int64_t case_number);

}  // namespace holdfast::sample
