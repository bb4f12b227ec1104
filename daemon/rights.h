// SPEC "Roles and rights": what each local role may do through the daemon.
#pragma once

#include <string>

#include "eventstore/event.h"

namespace holdfast {

// May a user of this role append an event of this type through a case-work verb?
bool MayAppend(schema::Role role, EventType type);
// The types a role may append, for error messages ("case.opened, case.risk_changed, ...").
std::string AppendableTypes(schema::Role role);
// Operator verbs: import, export, store, audit (and later peers, sync, projections).
bool IsOperator(schema::Role role);
std::string RoleName(schema::Role role);

}  // namespace holdfast
