#include "ops/sample/programmes.h"

namespace holdfast::sample {

const Programme& ProgrammeOf(ProgrammeId id) {
  static const Programme kProgrammes[] = {
      {ProgrammeId::kBuildingChoices,
       "building_choices",
       true,
       24,
       7,
       {"Understanding abusive behaviour", "Power and control", "Beliefs and attitudes",
        "Managing emotions", "Recognising warning signs", "Impact on children",
        "Respectful relationships", "Communication skills", "Jealousy and trust",
        "Resolving conflict", "Accountability and repair", "Relapse prevention plan"}},
      {ProgrammeId::kRespectDvpp,
       "respect_dvpp",
       true,
       26,
       7,
       {"Defining domestic abuse", "Taking responsibility", "Physical and sexual abuse",
        "Emotional abuse", "Coercive control", "Effects on partners", "Effects on children",
        "Self-talk and time-outs", "Parenting after abuse", "Negotiation and fairness",
        "Respectful sexuality", "Trust and honesty", "Safety and future plans"}},
      {ProgrammeId::kDrive,
       "drive",
       false,
       16,
       14,
       {"Initial assessment", "Safety planning", "Housing and finance", "Substance use",
        "Mental health support", "Multi-agency review", "Behaviour change goals",
        "Progress review"}},
      {ProgrammeId::kOneToOne,
       "one_to_one",
       false,
       12,
       7,
       {"Motivation to change", "Offence analysis", "Cycle of abuse", "Emotional regulation",
        "Healthy relationships", "Victim empathy", "Parenting", "Alcohol and abuse",
        "Problem solving", "Warning signs", "Support networks", "Moving forward"}},
  };
  return kProgrammes[static_cast<int>(id)];
}

std::string ModuleTitle(const Programme& programme, int64_t index) {
  const int64_t n = static_cast<int64_t>(programme.modules.size());
  const int64_t i = ((index % n) + n) % n;
  return "Module " + std::to_string(i + 1) + ": " + std::string(programme.modules[i]);
}

}  // namespace holdfast::sample
