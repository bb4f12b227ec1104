#include "daemon/read_scope.h"

#include <utility>

#include "daemon/rights.h"

namespace holdfast {
namespace {

using R = schema::Role;
using W = schema::Event::Which;

constexpr std::string_view kCasePrefix = "case/";

// The event's intervention, for the event types that name one ("" for the others).
std::string InterventionOf(schema::Event::Reader e) {
  switch (e.which()) {
    case W::INTERVENTION_REFERRED:
      return e.getInterventionReferred().getIntervention();
    case W::INTERVENTION_STARTED:
      return e.getInterventionStarted().getIntervention();
    case W::INTERVENTION_COMPLETED:
      return e.getInterventionCompleted().getIntervention();
    case W::INTERVENTION_EXITED:
      return e.getInterventionExited().getIntervention();
    case W::ATTENDANCE_RECORDED:
      return e.getAttendanceRecorded().getIntervention();
    case W::ALERT_RAISED:
      return e.getAlertRaised().getIntervention();
    default:
      return "";
  }
}

bool MayReadCases(R role) {
  return role == R::PROBATION || role == R::FACILITATOR || role == R::POLICE;
}

}  // namespace

bool RuleReadsAttendance(schema::AlertRule rule) {
  using A = schema::AlertRule;
  return rule == A::NON_ENGAGEMENT || rule == A::NO_CONTACT || rule == A::DROPOUT;
}

StreamView::Show StreamView::Of(schema::Event::Reader e) const {
  if (hidden_) return Show::kNothing;
  switch (kind_) {
    case Kind::kEverything:
      return Show::kWhole;
    case Kind::kProvider:
      // The case's header, and its interventions at the agency: their events, attendance
      // and alerts. (No risk changes, breaches or other providers' interventions.)
      switch (e.which()) {
        case W::CASE_OPENED:
        case W::CASE_CLOSED:
          return Show::kWhole;
        case W::INTERVENTION_REFERRED:
        case W::INTERVENTION_STARTED:
        case W::INTERVENTION_COMPLETED:
        case W::INTERVENTION_EXITED:
        case W::ATTENDANCE_RECORDED:
        case W::ALERT_RAISED:
          return interventions_.count(InterventionOf(e)) > 0 ? Show::kWhole : Show::kNothing;
        default:
          return Show::kNothing;
      }
    case Kind::kPolice:
      // Headers, risk changes, breaches and alerts; never an intervention or attendance.
      switch (e.which()) {
        case W::CASE_OPENED:
        case W::CASE_RISK_CHANGED:
        case W::CASE_CLOSED:
          return Show::kWhole;
        case W::BREACH_REPORTED:
          return e.getBreachReported().hasDetail() ? Show::kRedacted : Show::kWhole;
        case W::ALERT_RAISED:
          return RuleReadsAttendance(e.getAlertRaised().getRule()) ? Show::kRedacted : Show::kWhole;
        default:
          return Show::kNothing;  // and any type added later, until it is decided here
      }
  }
  return Show::kNothing;
}

bool StreamView::SeesIntervention(const std::string& intervention) const {
  if (hidden_) return false;
  switch (kind_) {
    case Kind::kEverything:
      return true;
    case Kind::kProvider:
      return interventions_.count(intervention) > 0;
    case Kind::kPolice:
      return false;
  }
  return false;
}

void StreamView::Redact(schema::Event::Builder e) const {
  if (kind_ != Kind::kPolice) return;
  switch (e.which()) {
    case W::BREACH_REPORTED:
      e.getBreachReported().disownDetail();
      break;
    case W::ALERT_RAISED:
      e.getAlertRaised().disownReason();
      break;
    default:
      break;
  }
}

ReadScope::ReadScope(schema::Role role, std::string agency, const Projector* projector)
    : role_(role), agency_(std::move(agency)), projector_(projector) {}

Status ReadScope::ScanCases(const std::string& after,
                            const std::function<bool(const CaseRow&)>& fn) const {
  switch (role_) {
    case R::PROBATION:
    case R::POLICE:
      return projector_->ScanCases(after, fn);
    case R::FACILITATOR:
      return projector_->ScanProviderCases(agency_, after, fn);
    default:
      return Status::Ok();  // no case at all (the request table lets no other role here)
  }
}

std::vector<std::string> ReadScope::WithheldCaseFields() const {
  if (everything()) return {};
  return {"events"};
}

Result<StreamView> ReadScope::ForStream(const std::string& stream) const {
  StreamView view;
  if (everything()) return view;
  const bool case_stream = stream.rfind(kCasePrefix, 0) == 0;
  if (!MayReadCases(role_) || !case_stream) {
    return Status::PermissionDenied("the " + RoleName(role_) +
                                    " role reads cases' streams only (case/ID), not \"" + stream +
                                    "\"");
  }
  if (role_ == R::POLICE) {
    view.kind_ = StreamView::Kind::kPolice;
    view.withheld_ = {"intervention.*", "attendance.recorded", "breach.reported detail",
                      "alert.raised reason of non_engagement, no_contact and dropout alerts"};
    return view;
  }
  view.kind_ = StreamView::Kind::kProvider;
  auto interventions =
      projector_->ProviderInterventions(agency_, stream.substr(kCasePrefix.size()));
  if (!interventions.ok()) return interventions.status();
  view.interventions_.insert(interventions->begin(), interventions->end());
  view.hidden_ = view.interventions_.empty();
  view.withheld_ = {"case.risk_changed", "breach.reported",
                    "other providers' interventions with their attendance and alerts",
                    "alerts on no intervention"};
  return view;
}

Result<bool> ReadScope::MaySee(const AlertState& alert) const {
  switch (role_) {
    case R::PROBATION:
    case R::POLICE:
      return true;
    case R::FACILITATOR:
      if (alert.intervention.empty()) return false;
      return projector_->IsReferredTo(agency_, alert.case_id, alert.intervention);
    default:
      return false;
  }
}

AlertWithheld ReadScope::WithheldOf(const AlertState& alert) const {
  AlertWithheld withheld;
  if (role_ != R::POLICE) return withheld;
  withheld.reason = RuleReadsAttendance(alert.rule);
  withheld.note = true;
  withheld.action = true;
  return withheld;
}

}  // namespace holdfast
