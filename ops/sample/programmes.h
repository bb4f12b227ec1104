// The programmes the county's provider runs: how each is delivered, how many sessions make a
// completion, and the module titles facilitators write in session.held.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::sample {

enum class ProgrammeId { kBuildingChoices, kRespectDvpp, kDrive, kOneToOne };

struct Programme {
  ProgrammeId id;
  std::string_view name;  // as written in intervention.referred: "building_choices"
  bool in_groups;         // rolling weekly groups; otherwise individual appointments
  int sessions;           // sessions attended or missed before the programme is complete
  int interval_days;      // between individual appointments
  std::vector<std::string_view> modules;
};

const Programme& ProgrammeOf(ProgrammeId id);

// "Module 4: Managing emotions" for the programme's index-th session (0-based); the modules
// repeat, as a rolling group's do.
std::string ModuleTitle(const Programme& programme, int64_t index);

}  // namespace holdfast::sample
