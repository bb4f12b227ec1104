// The keys of the projector's rows in the store's "projections" column family (the layout
// is described in projections/projector.h). Shared by the incremental fold (projector.cc)
// and the bulk rebuild (bulk_fold.cc), which must write byte-identical rows.
#pragma once

#include <cstdint>
#include <string>

#include "eventstore/ids.h"
#include "eventstore/keys.h"

namespace holdfast::rows {

inline const std::string kCheckpointKey = "ckpt";

inline std::string CaseKey(const std::string& c) { return "case/" + c; }
inline std::string SubjectKey(const std::string& s, const std::string& c) {
  return "subj/" + keys::NamePrefix(s) + c;
}
inline std::string StandingKey(const std::string& c, const std::string& session) {
  return "att/" + keys::NamePrefix(c) + session;
}
inline std::string StandingTimeKey(int64_t t, const std::string& c, const std::string& session) {
  return "attt/" + keys::Fixed64BE(static_cast<uint64_t>(t)) + keys::NamePrefix(c) + session;
}
inline std::string IndicatorKey(int64_t t, const Uuid& id) {
  return "ind/" + keys::Fixed64BE(static_cast<uint64_t>(t)) + keys::IdKey(id);
}
inline std::string AlertKey(const Uuid& id) { return "alert/" + keys::IdKey(id); }
inline std::string CaseAlertKey(const std::string& c, const Uuid& id) {
  return "calert/" + keys::NamePrefix(c) + keys::IdKey(id);
}
inline std::string DueKey(int64_t t, const std::string& c) {
  return "due/" + keys::Fixed64BE(static_cast<uint64_t>(t)) + c;
}
inline std::string CaseDueKey(const std::string& c) { return "cdue/" + c; }
// A case folded but not yet evaluated (written with the fold, removed once its lifecycle
// events are durable), so a crash between the two never loses an evaluation.
inline std::string PendingEvalKey(const std::string& c) { return "eval/" + c; }

}  // namespace holdfast::rows
