// The provider's rolling groups: which programme each runs, when it meets each week, which
// weeks it is held, who facilitates, and the session.held event of each meeting. Every
// answer is a pure function of the seed and the group and week numbers, so each case's
// story can find its group's sessions without any shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/sample/programmes.h"
#include "ops/sample/sample_event.h"

namespace holdfast::sample {

struct Group {
  std::string id;               // "grpA" ... "grpF", then "grpA2" ... for a larger county
  const Programme* programme;   // building_choices or respect_dvpp
  int64_t offset;               // from Monday midnight to the weekly meeting, in seconds
  std::string facilitators[2];  // the lead, then the co-facilitator who covers
};

class GroupSchedule {
 public:
  GroupSchedule() = default;
  // Meetings are counted in weeks from the Monday on or before start; only those in
  // [start, horizon) can be held.
  GroupSchedule(uint64_t seed, int64_t start, int64_t horizon, int group_count);

  int size() const { return static_cast<int>(groups_.size()); }
  const Group& group(int g) const { return groups_[g]; }
  // The groups running a group programme (indices into the schedule).
  const std::vector<int>& GroupsRunning(ProgrammeId programme) const;
  // Groups in the order they meet within a week, for emitting sessions in time order.
  const std::vector<int>& MeetingOrder() const { return meeting_order_; }
  // Weeks in the span (the last may be partial).
  int64_t weeks() const { return weeks_; }

  int64_t MeetingTime(int g, int64_t week) const;
  // Held: inside the span, not in the winter closure, and not cancelled (about 1 in 60).
  bool IsHeld(int g, int64_t week) const;
  // The first week whose meeting is at or after t (which may not be held: check IsHeld).
  int64_t FirstWeekFrom(int g, int64_t t) const;
  // "S-2025-03-04-grpA".
  std::string SessionId(int g, int64_t week) const;
  // Who ran the meeting: usually the lead, sometimes the co-facilitator.
  const std::string& Facilitator(int g, int64_t week) const;
  // The meeting's session.held event.
  SampleEvent SessionHeld(int g, int64_t week) const;
  // Number of group g's meetings held in the span.
  int64_t HeldCount(int g) const;

 private:
  uint64_t seed_ = 0;
  int64_t start_ = 0;
  int64_t horizon_ = 0;
  int64_t first_monday_ = 0;
  int64_t weeks_ = 0;
  std::vector<Group> groups_;
  std::vector<int> meeting_order_;
  std::vector<int> by_programme_[2];  // building_choices, respect_dvpp
};

}  // namespace holdfast::sample
