// Triage of alerts (SPEC "Alerts reach people"): what `alerts list` adds to its listing
// (the filters --severity, --since, --subject and --mine; the marks of an alert whose case
// is closed or whose intervention has ended), and unique id prefixes (resolveAlert). The
// request handler (daemon/handler.h) calls these; they read the projections and the log,
// never write.
#pragma once

#include <map>
#include <string>

#include "daemon/api.capnp.h"
#include "daemon/rights.h"
#include "eventstore/event_store.h"
#include "eventstore/status.h"
#include "projections/projector.h"

namespace holdfast {

class ReadScope;
class Users;

// Fewest characters (hex digits) of an alert id a verb takes.
constexpr size_t kMinAlertPrefix = 8;

// Reads the triage filters of `list` into `filter` (the caller's user for --mine): an
// InvalidArgument naming the option for a bad one.
Status ReadTriageFilter(api::ListAlerts::Reader list, const Caller& caller, AlertFilter* filter);

// The whole id of the one alert `text` names (a whole id, or its first 8 or more hex
// digits, dashes ignored) among the alerts the reader may see. InvalidArgument for a
// prefix too short, not an id, or naming more than one alert; NotFound for none.
Result<Uuid> ResolveAlertId(const Projector& projector, const ReadScope& scope,
                            const std::string& text);

// The marks of the alerts of one listing, as of `as_of`: their case is closed, their
// intervention has ended. Reads each case once (its row, and its stream for an alert that
// names an intervention), whatever the number of its alerts.
class AlertMarks {
 public:
  AlertMarks(const EventStore& store, const Projector& projector, int64_t as_of)
      : store_(store), projector_(projector), as_of_(as_of) {}
  // Sets caseClosed and interventionEnded of `out`, the AlertInfo of `alert`.
  Status Fill(const AlertState& alert, api::AlertInfo::Builder out);

 private:
  struct CaseMarks {
    bool closed = false;
    bool read_interventions = false;
    std::map<std::string, bool> ended;  // per intervention the case's events name
  };
  const EventStore& store_;
  const Projector& projector_;
  int64_t as_of_;
  std::map<std::string, CaseMarks> cases_;
};

// A warning for an append's alert.assigned that names a user this node does not know ("" when
// it does): the assignment is kept (a user may be another node's), but a typo shows.
std::string AssigneeWarning(const Users& users, schema::Event::Reader event);

}  // namespace holdfast
