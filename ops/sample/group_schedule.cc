#include "ops/sample/group_schedule.h"

#include <algorithm>
#include <cstdio>

#include "ops/sample/calendar.h"
#include "ops/sample/portable_random.h"

namespace holdfast::sample {
namespace {

// Tags that keep the hashes of different shared decisions apart.
constexpr uint64_t kCancelTag = 0xca11ed;
constexpr uint64_t kCoverTag = 0xc0ffee;
constexpr uint64_t kNotesTag = 0x401e5;

// Weekday evenings mostly, one daytime slot.
constexpr int64_t kMeetingMinutes[] = {18 * 60, 18 * 60 + 30, 18 * 60, 10 * 60};

const char* const kSessionNotes[] = {
    "Room changed to the community hall annex",
    "Co-facilitator off sick; session run by one facilitator",
    "Session ran 15 minutes over",
    "Fire alarm at 19:10; session ended early",
    "New member joined the rolling group",
    "Heating failure; moved to the library meeting room",
    "Recorded for supervision with members' consent",
    "Two members challenged each other; facilitators de-escalated",
};

std::string GroupName(int g) {
  std::string name = "grp";
  name.push_back(static_cast<char>('A' + g % 6));
  if (g >= 6) name += std::to_string(g / 6 + 1);
  return name;
}

std::string FacilitatorName(int number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "fac-%03d", number);
  return buf;
}

}  // namespace

GroupSchedule::GroupSchedule(uint64_t seed, int64_t start, int64_t horizon, int group_count)
    : seed_(seed), start_(start), horizon_(horizon), first_monday_(WeekStart(start)) {
  weeks_ = (horizon - first_monday_ + kWeek - 1) / kWeek;
  for (int g = 0; g < group_count; ++g) {
    Group group;
    group.id = GroupName(g);
    // Alternate the two group programmes so that each has half the groups.
    ProgrammeId programme = g % 2 == 0 ? ProgrammeId::kBuildingChoices : ProgrammeId::kRespectDvpp;
    group.programme = &ProgrammeOf(programme);
    by_programme_[g % 2].push_back(g);
    const int64_t weekday = g % 4;  // Monday to Thursday
    group.offset = weekday * kDay + kMeetingMinutes[(g / 4) % 4] * kMinute;
    group.facilitators[0] = FacilitatorName(2 * g + 1);
    group.facilitators[1] = FacilitatorName(2 * g + 2);
    groups_.push_back(std::move(group));
    meeting_order_.push_back(g);
  }
  std::stable_sort(meeting_order_.begin(), meeting_order_.end(),
                   [this](int a, int b) { return groups_[a].offset < groups_[b].offset; });
}

const std::vector<int>& GroupSchedule::GroupsRunning(ProgrammeId programme) const {
  return by_programme_[programme == ProgrammeId::kBuildingChoices ? 0 : 1];
}

int64_t GroupSchedule::MeetingTime(int g, int64_t week) const {
  return first_monday_ + week * kWeek + groups_[g].offset;
}

bool GroupSchedule::IsHeld(int g, int64_t week) const {
  const int64_t t = MeetingTime(g, week);
  if (t < start_ || t >= horizon_ || InWinterClosure(t)) return false;
  return MixAll({seed_, static_cast<uint64_t>(g), static_cast<uint64_t>(week), kCancelTag}) % 60 !=
         0;
}

int64_t GroupSchedule::FirstWeekFrom(int g, int64_t t) const {
  const int64_t since = t - first_monday_ - groups_[g].offset;
  if (since <= 0) return 0;
  return (since + kWeek - 1) / kWeek;
}

std::string GroupSchedule::SessionId(int g, int64_t week) const {
  return "S-" + FormatDate(MeetingTime(g, week)) + "-" + groups_[g].id;
}

const std::string& GroupSchedule::Facilitator(int g, int64_t week) const {
  const uint64_t h =
      MixAll({seed_, static_cast<uint64_t>(g), static_cast<uint64_t>(week), kCoverTag});
  return groups_[g].facilitators[h % 8 == 0 ? 1 : 0];
}

SampleEvent GroupSchedule::SessionHeld(int g, int64_t week) const {
  const Group& group = groups_[g];
  SampleEvent event;
  event.at = MeetingTime(g, week);
  event.type = SampleType::kSessionHeld;
  event.user = Facilitator(g, week);
  std::string session = SessionId(g, week);
  // A rolling group: each group is at its own point in the module cycle.
  event.data = {Text("session", session), Text("group", group.id),
                Text("module", ModuleTitle(*group.programme, week + 5 * g)),
                Text("facilitator", event.user)};
  const uint64_t h =
      MixAll({seed_, static_cast<uint64_t>(g), static_cast<uint64_t>(week), kNotesTag});
  if (h % 100 < 8) {
    event.data.push_back(Text("notes", kSessionNotes[(h >> 8) % std::size(kSessionNotes)]));
  }
  // Not the case count: a session is the same event whatever the county's size.
  event.id_name = std::to_string(seed_) + "/" + std::to_string(start_) + "/session/" + session;
  return event;
}

int64_t GroupSchedule::HeldCount(int g) const {
  int64_t held = 0;
  for (int64_t w = 0; w < weeks_; ++w) held += IsHeld(g, w) ? 1 : 0;
  return held;
}

}  // namespace holdfast::sample
