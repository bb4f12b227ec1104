// The case views: `case show`, `subject show` and `session roster` as data (api.capnp's
// CaseView, SubjectView and Roster), built by the daemon for the reader's role so that every
// client renders the same thing: the CLI as a table, JSON or CSV, a web front end as pages.
// docs/case-views.md says what each section holds and what each role sees of it.
//
// What a role sees comes from its ReadScope (daemon/read_scope.h), the one place that
// decides it: a facilitator sees the cases with an intervention at its agency, only those
// interventions with their attendance and alerts, and never the subject's incidents; police
// see headers, incidents, breaches, risk changes and alerts, and no interventions,
// attendance, notes or reasons. The request table (daemon/requests.h) has already refused
// the roles that read no cases (analyst, operator).
//
// A voided event (SPEC "Keeping the record right") is left out of every header, count,
// roster and alert, and shown in the timeline struck through with its void's reason and
// author (Projector::GetVoid). Call Projector::CatchUp first: the views read the projections
// as they stand.
#pragma once

#include <cstdint>
#include <string>

#include "daemon/api.capnp.h"
#include "daemon/read_scope.h"
#include "eventstore/event_store.h"
#include "eventstore/status.h"
#include "projections/projector.h"

namespace holdfast {

// The case's header, interventions, timeline, attendance summary and alerts. NotFound for a
// case the node holds nothing of, or that the reader may see nothing of.
Status BuildCaseView(const EventStore& store, const Projector& projector, const ReadScope& scope,
                     const std::string& case_id, api::CaseView::Builder out);

// Every case of the subject (as the subject index and each case's opening name it), its
// incidents and its alerts across cases. NotFound when the reader may see none of these.
Status BuildSubjectView(const EventStore& store, const Projector& projector, const ReadScope& scope,
                        const std::string& subject, api::SubjectView::Builder out);

// The members of a programme group to mark at time `at` (unix nanoseconds): each (case,
// intervention) started in `group` and active at `at` in a case not closed by then, with
// its latest standing outcome and its count of unacceptable absences up to `at`. A
// facilitator gets only its agency's referrals; police, who may not read attendance, are
// refused.
Status BuildRoster(const EventStore& store, const Projector& projector, const ReadScope& scope,
                   const std::string& group, int64_t at, api::Roster::Builder out);

}  // namespace holdfast
