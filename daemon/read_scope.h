// ReadScope: what a reader's role may see of the case data a node holds (SPEC "Users, roles
// and rights", the table; docs/roles.md says what each role sees, field by field, and why).
// Every request that shows case data asks here, so the daemon decides it in one place,
// whatever the client: `case list` (ScanCases), `case show` (ForStream: the case's events,
// then its alerts), `alerts list` and `alerts watch` (AlertView). The request table
// (daemon/requests.h) has already let in only the roles with the right to read cases
// (probation, facilitator, police); reports and export need rights of their own and show
// no case-level data beyond them.
//
//   probation    everything, unfiltered (the code path that was there before scopes)
//   facilitator  the cases with an intervention referred to the node's agency: the case's
//                header, those interventions' events and attendance, the alerts on them
//   police       every case's header, risk changes and breaches, and every alert; no
//                intervention or attendance events, no notes, reasons, details or actions
//
// A facilitator's cases come from the projections' index of referrals by provider
// (Projector::ScanProviderCases): a lookup, never a scan of the log.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/status.h"
#include "projections/projector.h"

namespace holdfast {

// The free-text fields of an alert a reader may not see: the API leaves them unset, so they
// are absent from JSON (api.capnp, AlertInfo).
struct AlertWithheld {
  bool reason = false;  // the rule's reason, and the withdrawal's
  bool note = false;    // the acknowledgement's note
  bool action = false;  // the resolution's action
  bool any() const { return reason || note || action; }
};

// What a reader sees of one stream's events (a case's, for case show).
class StreamView {
 public:
  enum class Show { kNothing, kWhole, kRedacted };
  // Whether the reader sees event `e` of the stream: not at all, whole, or with the free
  // text Redact clears.
  Show Of(schema::Event::Reader e) const;
  // Clears, in a copy of a kRedacted event, the fields the reader may not see.
  void Redact(schema::Event::Builder e) const;
  // What is left out, for people (api.capnp, Page.withheld): event types ("attendance
  // .recorded"), fields ("breach.reported detail"), or a phrase. Empty: nothing.
  const std::vector<std::string>& withheld() const { return withheld_; }
  // True when the stream shows nothing at all: answered as a case the node does not hold.
  bool hidden() const { return hidden_; }

  // For the case views (daemon/case_views.h), what the reader sees of a case beyond its
  // events one by one:
  // the intervention in the case's header, with its attendance counts (a facilitator: only
  // its agency's; police: none);
  bool SeesIntervention(const std::string& intervention) const;
  // the subject's incidents (probation and police);
  bool SeesIncidents() const { return !hidden_ && kind_ != Kind::kProvider; }
  // the free text of a void (its reason) and of an alert's acknowledgement or resolution
  // (not police).
  bool SeesFreeText() const { return !hidden_ && kind_ != Kind::kPolice; }

 private:
  friend class ReadScope;
  enum class Kind { kEverything, kProvider, kPolice };
  Kind kind_ = Kind::kEverything;
  bool hidden_ = false;
  std::set<std::string> interventions_;  // kProvider: the case's interventions at the agency
  std::vector<std::string> withheld_;
};

class ReadScope {
 public:
  // A reader of `role` on the node of agency `agency` (a facilitator's agency is its
  // node's), reading through `projector` (which must outlive the scope).
  ReadScope(schema::Role role, std::string agency, const Projector* projector);

  schema::Role role() const { return role_; }
  // Probation: every case, event, alert and field; callers take the unfiltered path.
  bool everything() const { return role_ == schema::Role::PROBATION; }

  // --- case list ---
  // The cases the reader may see, as Projector::ScanCases gives them (case id order, after
  // the case `after`, until fn returns false): every case, or a facilitator's.
  Status ScanCases(const std::string& after, const std::function<bool(const CaseRow&)>& fn) const;
  // The fields of api.CaseSummary withheld from every case listed ("events": the count of
  // all the case's events would tell of events the reader may not see). Empty: none.
  std::vector<std::string> WithheldCaseFields() const;

  // --- case show ---
  // What the reader sees of `stream`'s events. Other roles than probation read case streams
  // only ("case/ID"); a facilitator's view of a case with no intervention at its agency is
  // hidden (nothing: as a case the node does not hold).
  Result<StreamView> ForStream(const std::string& stream) const;

  // --- session roster ---
  // Whether the reader may read attendance at all (probation, facilitator; not police).
  bool ReadsAttendance() const {
    return role_ == schema::Role::PROBATION || role_ == schema::Role::FACILITATOR;
  }

  // --- alerts list, alerts watch ---
  // False when the reader may not see the alert at all (a facilitator: an alert not on an
  // intervention at its agency). Reads the projections for a facilitator only.
  Result<bool> MaySee(const AlertState& alert) const;
  // The fields withheld from an alert the reader may see.
  AlertWithheld WithheldOf(const AlertState& alert) const;

 private:
  schema::Role role_;
  std::string agency_;
  const Projector* projector_;
};

// Whether an alert of this rule is worked out from attendance or intervention records (its
// reason and withdrawal reason then tell of them): non_engagement, no_contact, dropout.
bool RuleReadsAttendance(schema::AlertRule rule);

}  // namespace holdfast
