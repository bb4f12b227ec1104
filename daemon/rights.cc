#include "daemon/rights.h"

#include <capnp/schema.h>

#include "eventstore/validate.h"

namespace holdfast {

bool MayAppend(schema::Role role, EventType type) {
  using R = schema::Role;
  using T = EventType;
  switch (role) {
    case R::PROBATION:
      switch (type) {
        case T::CASE_OPENED:
        case T::CASE_RISK_CHANGED:
        case T::CASE_CLOSED:
        case T::INTERVENTION_REFERRED:
        case T::INTERVENTION_STARTED:
        case T::INTERVENTION_COMPLETED:
        case T::INTERVENTION_EXITED:
        case T::ATTENDANCE_RECORDED:
        case T::BREACH_REPORTED:
        case T::ALERT_ACKNOWLEDGED:
        case T::ALERT_RESOLVED:
          return true;
        default:
          return false;
      }
    case R::FACILITATOR:
      return type == T::SESSION_HELD || type == T::ATTENDANCE_RECORDED ||
             type == T::INTERVENTION_STARTED || type == T::INTERVENTION_COMPLETED ||
             type == T::INTERVENTION_EXITED;
    case R::POLICE:
      return type == T::INCIDENT_REPORTED || type == T::ALERT_ACKNOWLEDGED ||
             type == T::ALERT_RESOLVED;
    case R::OPERATOR:
      return type == T::SUBJECT_ERASED;
    case R::SYSTEM:
      return false;  // the daemon's own role: never accepted from a client
  }
  return false;
}

std::string AppendableTypes(schema::Role role) {
  std::string out;
  for (auto type : AllEventTypes()) {
    if (MayAppend(role, type)) out += (out.empty() ? "" : ", ") + std::string(EventTypeName(type));
  }
  return out.empty() ? "none" : out;
}

namespace {

// The roles a client may act as: every role but the daemon's own (system).
bool IsClientRole(schema::Role role) {
  switch (role) {
    case schema::Role::PROBATION:
    case schema::Role::FACILITATOR:
    case schema::Role::POLICE:
    case schema::Role::OPERATOR:
      return true;
    case schema::Role::SYSTEM:
      return false;
  }
  return false;  // a role this build does not know
}

}  // namespace

bool HasRight(schema::Role role, Right right) {
  switch (right) {
    case Right::kAnyRole:
    case Right::kCaseWork:
      return IsClientRole(role);
    case Right::kOperator:
      return role == schema::Role::OPERATOR;
  }
  return false;
}

Status CheckRight(schema::Role role, Right right, std::string_view verb) {
  if (HasRight(role, right)) return Status::Ok();
  if (!IsClientRole(role)) {
    return Status::PermissionDenied("role " + RoleName(role) +
                                    " cannot be used by a client; use probation, "
                                    "facilitator, police or operator");
  }
  // A client role lacks no right but the operator's.
  return Status::PermissionDenied(std::string(verb) + " is for the operator role, not " +
                                  RoleName(role) + "; run it with --role operator");
}

std::string RoleName(schema::Role role) {
  auto e = capnp::Schema::from<schema::Role>().getEnumerants();
  auto i = static_cast<unsigned>(role);
  return i < e.size() ? JsonNameOf(e[i]) : "unknown";
}

}  // namespace holdfast
