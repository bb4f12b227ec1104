// Reading a stream's facts as the projections see them: without the voided events (SPEC
// "Keeping the record right": a voided event is treated as absent everywhere). For the code
// outside the fold that reads a case, a subject or a session from the log: the daemon's
// entry checks, the case and subject views, the quality report.
//
// Whether an event is voided is the projector's word (Projector::GetVoid), so call
// Projector::CatchUp first for what the log holds now. Only events that may be voided
// (IsVoidable, fold.h) are ever dropped.
#pragma once

#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "eventstore/status.h"
#include "projections/facts.h"
#include "projections/projector.h"

namespace holdfast {

// Appends to `facts` the events of `stream` ("case/C-1", "subject/S-1", "session/S-9") that
// are not voided, in stream order. `voided`, when given, gets those that are.
Status ReadStreamFacts(const EventStore& store, const Projector& projector,
                       const std::string& stream, std::vector<Fact>* facts,
                       std::vector<Fact>* voided = nullptr);

// The same for one case: the stream "case/<case_id>".
inline Status ReadCaseFacts(const EventStore& store, const Projector& projector,
                            const std::string& case_id, std::vector<Fact>* facts,
                            std::vector<Fact>* voided = nullptr) {
  return ReadStreamFacts(store, projector, "case/" + case_id, facts, voided);
}

// Whether the event is voided (a voidable event with a void standing over it).
Result<bool> IsVoided(const Projector& projector, const Uuid& event, EventType type);

}  // namespace holdfast
