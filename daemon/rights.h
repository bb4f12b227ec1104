// SPEC "Roles and rights": what each local role may do. Every decision of the form "may a
// user of role R do X" is made here: the daemon's request table (daemon/requests.h) names the
// right each request needs, and the CLI asks the same question for `store restore`, which
// runs with the daemon stopped.
#pragma once

#include <string>
#include <string_view>

#include "eventstore/event.h"
#include "eventstore/status.h"

namespace holdfast {

// Who is asking, as the node identified them: never what a client claims.
struct Caller {
  std::string user;  // the user id (holdfast users list)
  schema::Role role = schema::Role::SYSTEM;
  // How they were identified, as the audit log records it: "uid 1000" or "token 3fa2c1d0"
  // (the first 8 hex digits of the token's SHA-256, never the token).
  std::string credential;
};

// What a verb needs of its caller's role (SPEC "Users, roles and rights", the table).
enum class Right {
  // Any user the node knows: a ping, `sync status` (counts only).
  kAnyRole,
  // Reading case data (cases, streams, alerts): probation, facilitator and police, each
  // then shown only what its role may read.
  kReadCases,
  // Aggregate reports (indicators): probation and analyst.
  kReports,
  // The quality report: probation, facilitator, police and analyst, each then shown what its
  // role may see of it (an analyst, the counts only).
  kQuality,
  // Probation, facilitator and police may ask; each event it carries is then checked with
  // MayAppend.
  kCaseWork,
  // The operator's verbs: import, export, users, store, audit, peers, sync now, projections
  // rebuild.
  kOperator,
};

// May a user of this role use a verb that needs `right`? Never for the daemon's own role
// (system) or a role this build does not know.
bool HasRight(schema::Role role, Right right);
// The roles that have `right`, for messages: "probation, analyst".
std::string RolesWith(Right right);
// Ok when the role has the right; else the one-line refusal a caller gets, naming `verb` as
// the user types it and the roles that may ("store backup is for the operator role, not
// police; ask an operator of this node ..."). It never suggests a flag: no client chooses
// its role.
Status CheckRight(schema::Role role, Right right, std::string_view verb);

// May a user of this role append an event of this type through a case-work verb?
bool MayAppend(schema::Role role, EventType type);
// May a user of this role void an event of type `target`? Only of a type it may append
// itself, and never alert.*, record.voided or subject.erased (IsVoidable, projections/fold.h,
// which the daemon's entry checks also ask; tests/daemon/entry_checks_test.cc keeps the two
// in step).
bool MayVoid(schema::Role role, EventType target);
// The types a role may append, for error messages ("case.opened, case.risk_changed, ...").
std::string AppendableTypes(schema::Role role);
std::string RoleName(schema::Role role);

}  // namespace holdfast
