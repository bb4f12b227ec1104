// One event of the sample county before it becomes a JSON line: its time, type, author and
// body. The author's role and agency follow from the type (the agency that records it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/ids.h"
#include "ops/sample/county.h"

namespace holdfast::sample {

// The event types the county produces: the vocabulary less alert.*, subject.erased and
// record.voided, which nodes derive, operators append or people append to set a mistake aside.
enum class SampleType {
  kCaseOpened,
  kCaseRiskChanged,
  kCaseClosed,
  kInterventionReferred,
  kInterventionStarted,
  kInterventionCompleted,
  kInterventionExited,
  kSessionHeld,
  kAttendanceRecorded,
  kBreachReported,
  kIncidentReported,
};

// "attendance.recorded".
std::string_view TypeName(SampleType type);
// The agency that records events of this type: probation for case work, referrals, exits,
// completions and breaches; the provider for sessions, starts and attendance; police for
// incidents.
Agency AgencyOf(SampleType type);

struct DataField {
  std::string_view key;  // JSON name, in the schema's field order
  std::string value;     // the text, or "true"/"false" for a flag
  bool is_flag = false;
};

inline DataField Text(std::string_view key, std::string value) {
  return DataField{key, std::move(value), false};
}
inline DataField Flag(std::string_view key, bool value) {
  return DataField{key, value ? "true" : "false", true};
}

struct SampleEvent {
  int64_t at = 0;  // occurred_at, seconds since the epoch
  SampleType type = SampleType::kCaseOpened;
  std::string user;  // the author's user id; role and agency follow from the type
  std::vector<DataField> data;
  std::string id_name;  // the event's id is NameUuid(kSampleNamespace, id_name)
};

// The namespace of every sample event id.
extern const Uuid kSampleNamespace;

// The event as one line of JSON (no newline), exactly as the store's own export prints it
// (less provenance): id, occurred_at, author, type, data, with the data fields in schema order
// and every flag written out, false included.
std::string EventJson(const SampleEvent& event);

}  // namespace holdfast::sample
