// Encoding of the projector's rows as state.capnp messages (projections/state.capnp).
#pragma once

#include <string>
#include <string_view>

#include "projections/alert_state.h"
#include "projections/projector.h"

namespace holdfast {

struct StandingRow {
  uint64_t recorded_at = 0;
  Uuid id;
  int64_t occurred_at = 0;
  schema::AttendanceOutcome outcome = schema::AttendanceOutcome::ATTENDED;
  std::string intervention;
};

std::string EncodeCase(const CaseRow& row);
bool DecodeCase(std::string_view bytes, CaseRow* row);
std::string EncodeAlert(const AlertState& state);
bool DecodeAlert(std::string_view bytes, AlertState* state);
std::string EncodeStanding(const StandingRow& row);
bool DecodeStanding(std::string_view bytes, StandingRow* row);
// The void that stands over an event (void/ rows): of its voids the canonical first.
std::string EncodeVoid(const VoidRow& row);
bool DecodeVoid(std::string_view bytes, VoidRow* row);
// A feed/ row's value: the change (1 byte), the event that made it (16 bytes), the alert's
// id (16), the alert after the change (as EncodeAlert). The cursor is the row's key.
std::string EncodeFeedValue(AlertChange change, const Uuid& event, const AlertState& alert);
bool DecodeFeedValue(std::string_view bytes, FeedEntry* entry);
// Indicator facts keep only what IndicatorBuilder::AddEvent reads.
std::string EncodeIndicatorFact(const Fact& fact);
bool DecodeIndicatorFact(std::string_view bytes, int64_t occurred_at, Fact* fact);

}  // namespace holdfast
