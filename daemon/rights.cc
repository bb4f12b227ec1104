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
        case T::ALERT_ASSIGNED:
        case T::RECORD_VOIDED:
          return true;
        default:
          return false;
      }
    // record.voided: of what the role may append (MayVoid).
    case R::FACILITATOR:
      return type == T::SESSION_HELD || type == T::ATTENDANCE_RECORDED ||
             type == T::INTERVENTION_STARTED || type == T::INTERVENTION_COMPLETED ||
             type == T::INTERVENTION_EXITED || type == T::RECORD_VOIDED;
    case R::POLICE:
      return type == T::INCIDENT_REPORTED || type == T::ALERT_ACKNOWLEDGED ||
             type == T::ALERT_RESOLVED || type == T::ALERT_ASSIGNED || type == T::RECORD_VOIDED;
    case R::OPERATOR:
      return type == T::SUBJECT_ERASED;
    case R::ANALYST:
      return false;  // aggregates only
    case R::SYSTEM:
      return false;  // the daemon's own role: never accepted from a client
  }
  return false;
}

bool MayVoid(schema::Role role, EventType target) {
  const bool final_or_derived =
      target == EventType::ALERT_RAISED || target == EventType::ALERT_ACKNOWLEDGED ||
      target == EventType::ALERT_RESOLVED || target == EventType::ALERT_WITHDRAWN ||
      target == EventType::ALERT_ASSIGNED || target == EventType::RECORD_VOIDED ||
      target == EventType::SUBJECT_ERASED;
  return !final_or_derived && MayAppend(role, EventType::RECORD_VOIDED) && MayAppend(role, target);
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
    case schema::Role::ANALYST:
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
      return IsClientRole(role);
    case Right::kReadCases:
    case Right::kCaseWork:
      return role == schema::Role::PROBATION || role == schema::Role::FACILITATOR ||
             role == schema::Role::POLICE;
    case Right::kReports:
      return role == schema::Role::PROBATION || role == schema::Role::ANALYST;
    case Right::kQuality:
      return role == schema::Role::PROBATION || role == schema::Role::FACILITATOR ||
             role == schema::Role::POLICE || role == schema::Role::ANALYST;
    case Right::kOperator:
      return role == schema::Role::OPERATOR;
  }
  return false;
}

std::string RolesWith(Right right) {
  std::string out;
  for (auto role : {schema::Role::PROBATION, schema::Role::FACILITATOR, schema::Role::POLICE,
                    schema::Role::ANALYST, schema::Role::OPERATOR}) {
    if (HasRight(role, right)) out += (out.empty() ? "" : ", ") + RoleName(role);
  }
  return out;
}

Status CheckRight(schema::Role role, Right right, std::string_view verb) {
  if (HasRight(role, right)) return Status::Ok();
  if (!IsClientRole(role)) {
    return Status::PermissionDenied("role " + RoleName(role) +
                                    " cannot be used by a client; a user's role is probation, "
                                    "facilitator, police, analyst or operator");
  }
  // The fix is another person's account, never a flag: the caller's role is the node's.
  return Status::PermissionDenied(std::string(verb) + " is for the " + RolesWith(right) + " role" +
                                  (right == Right::kOperator ? "" : "s") + ", not " +
                                  RoleName(role) +
                                  "; ask an operator of this node to act, or for a user of "
                                  "that role (holdfast users add)");
}

std::string RoleName(schema::Role role) {
  auto e = capnp::Schema::from<schema::Role>().getEnumerants();
  auto i = static_cast<unsigned>(role);
  return i < e.size() ? JsonNameOf(e[i]) : "unknown";
}

}  // namespace holdfast
