#include "daemon/case_views.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "daemon/handler.h"
#include "eventstore/validate.h"
#include "projections/case_reader.h"
#include "projections/case_summary.h"
#include "projections/fold.h"

namespace holdfast {
namespace {

using W = schema::Event::Which;

template <typename E>
std::string NameOf(E value) {
  auto e = capnp::Schema::from<E>().getEnumerants();
  const auto i = static_cast<unsigned>(value);
  return i < e.size() ? JsonNameOf(e[i]) : "unknown";
}

Status NotKnown(const std::string& what, const std::string& id, const std::string& how) {
  return Status::NotFound(what + " " + id + " is not known on this node: check the id with `" +
                          how + "`");
}

// One event of a timeline, held until the timeline is sorted.
struct Held {
  uint64_t position = 0;
  const char* source = "case";
  Event event;
  Fact fact;
  std::optional<VoidRow> void_row;
  bool redacted = false;           // clear what the reader may not see (StreamView::Redact)
  bool redact_alert_text = false;  // an alert event's note, action or reason: police
  std::string corrected_by;
  std::vector<std::string> replaces;
};

bool TimelineLess(const Held& a, const Held& b) { return CanonicalLess(a.fact, b.fact); }

// The void standing over the event, if it is voidable and voided.
Result<std::optional<VoidRow>> VoidOf(const Projector& projector, const Fact& f) {
  if (!IsVoidable(f.type)) return std::optional<VoidRow>();
  return projector.GetVoid(f.id);
}

Result<Held> HoldEvent(const Projector& projector, uint64_t position, const char* source,
                       schema::Event::Reader e) {
  Held h;
  h.position = position;
  h.source = source;
  h.event = Event::CopyOf(e);
  h.fact = FactOf(e);
  auto v = VoidOf(projector, h.fact);
  if (!v.ok()) return v.status();
  h.void_row = std::move(*v);
  return h;
}

// The events of `stream` the reader sees (`keep`), held for a timeline.
Status HoldStream(const EventStore& store, const Projector& projector, const std::string& stream,
                  const char* source,
                  const std::function<std::optional<bool>(schema::Event::Reader)>& keep,
                  std::vector<Held>* out) {
  Status error;
  HOLDFAST_RETURN_IF_ERROR(
      store.ScanStream(stream, [&](uint64_t position, schema::Event::Reader e) {
        auto shown = keep(e);  // nullopt: not shown; else whether it is shown redacted
        if (!shown) return true;
        auto h = HoldEvent(projector, position, source, e);
        if (!h.ok()) {
          error = h.status();
          return false;
        }
        h->redacted = *shown;
        out->push_back(std::move(*h));
        return true;
      }));
  return error;
}

// Marks the corrections among the case's attendance records: per (case, session), the
// record that stands (CorrectionOrder, voided ones left out) replaced every other.
void MarkCorrections(std::vector<Held>* timeline) {
  std::map<std::string, Held*> standing;  // session -> its standing record
  for (Held& h : *timeline) {
    if (h.fact.type != EventType::ATTENDANCE_RECORDED || h.void_row) continue;
    Held*& s = standing[h.fact.session];
    if (s == nullptr || CorrectionOrder(s->fact.recorded_at, s->fact.id) <
                            CorrectionOrder(h.fact.recorded_at, h.fact.id)) {
      s = &h;
    }
  }
  for (Held& h : *timeline) {
    if (h.fact.type != EventType::ATTENDANCE_RECORDED || h.void_row) continue;
    Held* s = standing[h.fact.session];
    if (s == &h) continue;
    h.corrected_by = FormatUuid(s->fact.id);
    s->replaces.push_back(FormatUuid(h.fact.id));
  }
}

void FillEntry(const Held& h, const StreamView* view, bool sees_free_text,
               api::TimelineEntry::Builder out) {
  out.setPosition(h.position);
  out.setSource(h.source);
  out.setEvent(h.event.reader());
  auto e = out.getEvent();
  if (h.redacted && view != nullptr) view->Redact(e);
  if (h.redact_alert_text) {
    switch (e.which()) {
      case W::ALERT_ACKNOWLEDGED:
        e.getAlertAcknowledged().disownNote();
        break;
      case W::ALERT_RESOLVED:
        e.getAlertResolved().disownAction();
        break;
      case W::ALERT_WITHDRAWN:
        e.getAlertWithdrawn().disownReason();
        break;
      case W::ALERT_ASSIGNED:
        e.getAlertAssigned().disownNote();  // the assignee stays: it is not free text
        break;
      default:
        break;
    }
  }
  if (h.void_row) {
    out.setVoided(true);
    out.setVoidEvent(FormatUuid(h.void_row->void_id));
    out.setVoidedAt(h.void_row->occurred_at);
    out.setVoidedBy(h.void_row->user);
    if (sees_free_text) out.setVoidReason(h.void_row->reason);
  } else {
    out.setVoidedAt(-1);
  }
  out.setCorrectedBy(h.corrected_by);
  auto replaces = out.initReplaces(static_cast<unsigned>(h.replaces.size()));
  for (unsigned i = 0; i < replaces.size(); ++i) replaces.set(i, h.replaces[i]);
}

void FillHeader(const CaseSummary& s, api::CaseHeader::Builder out) {
  out.setCaseId(s.case_id);
  out.setSubject(s.subject);
  out.setOrder(s.opened ? NameOf(s.order) : "");
  out.setRisk(s.opened ? NameOf(s.risk) : "");
  out.setMarac(s.marac);
  out.setLeadAgency(s.lead_agency);
  out.setOpenedAt(s.opened ? s.opened_at : -1);
  out.setStatus(!s.opened ? "not_opened" : s.closed ? "closed" : "open");
  out.setClosedAt(s.closed ? s.closed_at : -1);
  out.setCloseReason(s.closed ? NameOf(s.close_reason) : "");
}

std::string StateOf(const InterventionSummary& i) {
  if (i.ended()) return EndingName(i.ending);
  if (i.started) return "started";
  if (i.referred) return "referred";
  return "not_referred";
}

void FillIntervention(const InterventionSummary& i, api::InterventionView::Builder out) {
  out.setIntervention(i.id);
  out.setProgramme(i.programme);
  out.setProvider(i.provider);
  out.setGroup(i.group);
  out.setState(StateOf(i));
  out.setReferredAt(i.referred ? i.referred_at : -1);
  out.setStartedAt(i.started ? i.started_at : -1);
  out.setEndedAt(i.ended() ? i.ended_at : -1);
  out.setExitReason(i.ending == InterventionEnding::kExited ? NameOf(i.exit_reason) : "");
}

void SetWithheld(const std::vector<std::string>& withheld, capnp::List<capnp::Text>::Builder out) {
  for (unsigned i = 0; i < out.size(); ++i) out.set(i, withheld[i]);
}

// The case's alerts the reader may see, by raise time (every status).
Result<std::vector<ListedAlert>> VisibleAlerts(const Projector& projector, const ReadScope& scope,
                                               const std::string& case_id) {
  AlertFilter filter;
  filter.status = "all";
  filter.case_id = case_id;
  filter.as_of = std::numeric_limits<int64_t>::max();
  std::vector<ListedAlert> alerts;
  Status error;
  HOLDFAST_RETURN_IF_ERROR(projector.ScanAlerts(filter, std::nullopt, [&](const ListedAlert& a) {
    if (a.state.case_id != case_id) return true;  // named the case once, names another now
    auto visible = scope.MaySee(a.state);
    if (!visible.ok()) {
      error = visible.status();
      return false;
    }
    if (*visible) alerts.push_back(a);
    return true;
  }));
  HOLDFAST_RETURN_IF_ERROR(error);
  return alerts;
}

void FillAlerts(const std::vector<ListedAlert>& alerts, const ReadScope& scope,
                capnp::List<api::AlertInfo>::Builder out) {
  for (unsigned i = 0; i < out.size(); ++i) {
    RequestHandler::FillAlertInfo(alerts[i].state, alerts[i].status, out[i],
                                  scope.WithheldOf(alerts[i].state));
  }
}

// The case's facts without the voided ones, and its summary.
Result<CaseSummary> SummaryOf(const EventStore& store, const Projector& projector,
                              const std::string& case_id, std::vector<Fact>* facts) {
  HOLDFAST_RETURN_IF_ERROR(ReadCaseFacts(store, projector, case_id, facts));
  return SummarizeCase(case_id, *facts);
}

}  // namespace

Status BuildCaseView(const EventStore& store, const Projector& projector, const ReadScope& scope,
                     const std::string& case_id, api::CaseView::Builder out) {
  auto view = scope.ForStream("case/" + case_id);
  if (!view.ok()) return view.status();
  if (view->hidden()) return NotKnown("case", case_id, "holdfast case list");

  // The case's events the reader sees, and the standing facts of all of them (the header,
  // counts and corrections are the case's, whoever reads them).
  std::vector<Held> timeline;
  std::vector<Fact> facts;
  bool any = false;
  Status error;
  HOLDFAST_RETURN_IF_ERROR(
      store.ScanStream("case/" + case_id, [&](uint64_t position, schema::Event::Reader e) {
        any = true;
        auto h = HoldEvent(projector, position, "case", e);
        if (!h.ok()) {
          error = h.status();
          return false;
        }
        if (!h->void_row) facts.push_back(h->fact);
        const auto shown = view->Of(e);
        if (shown == StreamView::Show::kNothing) return true;
        h->redacted = shown == StreamView::Show::kRedacted;
        timeline.push_back(std::move(*h));
        return true;
      }));
  HOLDFAST_RETURN_IF_ERROR(error);
  if (!any) return NotKnown("case", case_id, "holdfast case list");
  const CaseSummary summary = SummarizeCase(case_id, facts);
  MarkCorrections(&timeline);

  // The subject's incidents.
  if (view->SeesIncidents() && !summary.subject.empty()) {
    HOLDFAST_RETURN_IF_ERROR(HoldStream(
        store, projector, "subject/" + summary.subject, "subject",
        [](schema::Event::Reader e) -> std::optional<bool> {
          if (!e.isIncidentReported()) return std::nullopt;
          return false;
        },
        &timeline));
  }
  // The alerts, and their acknowledgements, resolutions and withdrawals.
  auto alerts = VisibleAlerts(projector, scope, case_id);
  if (!alerts.ok()) return alerts.status();
  for (const ListedAlert& a : *alerts) {
    const AlertWithheld withheld = scope.WithheldOf(a.state);
    const size_t before = timeline.size();
    HOLDFAST_RETURN_IF_ERROR(HoldStream(
        store, projector, "alert/" + FormatUuid(a.state.alert), "alert",
        [](schema::Event::Reader) -> std::optional<bool> { return false; }, &timeline));
    for (size_t i = before; i < timeline.size(); ++i)
      timeline[i].redact_alert_text = withheld.any();
  }
  std::stable_sort(timeline.begin(), timeline.end(), TimelineLess);

  // Header and interventions.
  FillHeader(summary, out.initHeader());
  std::vector<const InterventionSummary*> interventions;
  for (const auto& i : summary.interventions) {
    if (view->SeesIntervention(i.id)) interventions.push_back(&i);
  }
  auto iv = out.initInterventions(static_cast<unsigned>(interventions.size()));
  for (unsigned i = 0; i < iv.size(); ++i) FillIntervention(*interventions[i], iv[i]);

  // Timeline.
  auto tl = out.initTimeline(static_cast<unsigned>(timeline.size()));
  for (unsigned i = 0; i < tl.size(); ++i) {
    FillEntry(timeline[i], &*view, view->SeesFreeText(), tl[i]);
  }

  // Attendance summary: standing records only, per intervention the reader sees.
  std::map<std::string, std::array<uint32_t, 5>> counts;
  for (const auto* i : interventions) counts[i->id] = {};
  for (const Fact& f : StandingAttendance(facts)) {
    auto it = counts.find(f.intervention);
    if (it == counts.end()) continue;
    const auto o = static_cast<unsigned>(f.outcome);
    if (o < 5) ++it->second[o];
  }
  auto att = out.initAttendance(static_cast<unsigned>(counts.size()));
  unsigned n = 0;
  for (const auto& [id, c] : counts) {
    using O = schema::AttendanceOutcome;
    auto a = att[n++];
    a.setIntervention(id);
    a.setAttended(c[static_cast<unsigned>(O::ATTENDED)]);
    a.setLate(c[static_cast<unsigned>(O::LATE)]);
    a.setLeftEarly(c[static_cast<unsigned>(O::LEFT_EARLY)]);
    a.setAbsentAcceptable(c[static_cast<unsigned>(O::ABSENT_ACCEPTABLE)]);
    a.setAbsentUnacceptable(c[static_cast<unsigned>(O::ABSENT_UNACCEPTABLE)]);
    a.setSessions(c[0] + c[1] + c[2] + c[3] + c[4]);
  }

  FillAlerts(*alerts, scope, out.initAlerts(static_cast<unsigned>(alerts->size())));

  std::vector<std::string> withheld = view->withheld();
  if (!view->SeesIncidents()) withheld.push_back("the subject's incidents");
  if (!view->SeesFreeText()) {
    withheld.push_back("interventions and attendance counts");
    withheld.push_back("void reasons");
    withheld.push_back("alert notes and actions");
  }
  SetWithheld(withheld, out.initWithheld(static_cast<unsigned>(withheld.size())));
  return Status::Ok();
}

Status BuildSubjectView(const EventStore& store, const Projector& projector, const ReadScope& scope,
                        const std::string& subject, api::SubjectView::Builder out) {
  // The cases, as the subject index names them and each case's standing opening agrees.
  std::vector<std::string> case_ids;
  HOLDFAST_RETURN_IF_ERROR(projector.ScanSubjectCases(subject, [&](std::string_view c) {
    case_ids.emplace_back(c);
    return true;
  }));
  std::vector<CaseSummary> cases;
  std::vector<ListedAlert> alerts;
  for (const std::string& c : case_ids) {
    auto view = scope.ForStream("case/" + c);
    if (!view.ok()) return view.status();
    if (view->hidden()) continue;
    std::vector<Fact> facts;
    auto summary = SummaryOf(store, projector, c, &facts);
    if (!summary.ok()) return summary.status();
    if (!summary->opened || summary->subject != subject) continue;
    cases.push_back(std::move(*summary));
    auto case_alerts = VisibleAlerts(projector, scope, c);
    if (!case_alerts.ok()) return case_alerts.status();
    alerts.insert(alerts.end(), case_alerts->begin(), case_alerts->end());
  }
  std::sort(alerts.begin(), alerts.end(), [](const ListedAlert& a, const ListedAlert& b) {
    return std::tie(a.state.raised_at, a.state.alert) < std::tie(b.state.raised_at, b.state.alert);
  });

  // Its incidents: probation and police.
  const bool sees_incidents =
      scope.role() == schema::Role::PROBATION || scope.role() == schema::Role::POLICE;
  std::vector<Held> incidents;
  if (sees_incidents) {
    HOLDFAST_RETURN_IF_ERROR(HoldStream(
        store, projector, "subject/" + subject, "subject",
        [](schema::Event::Reader e) -> std::optional<bool> {
          if (!e.isIncidentReported()) return std::nullopt;
          return false;
        },
        &incidents));
    std::stable_sort(incidents.begin(), incidents.end(), TimelineLess);
  }
  if (cases.empty() && incidents.empty()) {
    return NotKnown("subject", subject, "holdfast case list");
  }

  out.setSubject(subject);
  auto cl = out.initCases(static_cast<unsigned>(cases.size()));
  for (unsigned i = 0; i < cl.size(); ++i) FillHeader(cases[i], cl[i]);
  auto il = out.initIncidents(static_cast<unsigned>(incidents.size()));
  const bool free_text = scope.role() != schema::Role::POLICE;
  for (unsigned i = 0; i < il.size(); ++i) FillEntry(incidents[i], nullptr, free_text, il[i]);
  FillAlerts(alerts, scope, out.initAlerts(static_cast<unsigned>(alerts.size())));
  std::vector<std::string> withheld;
  if (!sees_incidents) withheld.push_back("the subject's incidents");
  if (scope.role() == schema::Role::FACILITATOR) {
    withheld.push_back("cases with no intervention at your agency");
    withheld.push_back("alerts on other providers' interventions, and on no intervention");
  }
  if (scope.role() == schema::Role::POLICE) {
    withheld.push_back("void reasons");
    withheld.push_back("alert notes and actions");
  }
  SetWithheld(withheld, out.initWithheld(static_cast<unsigned>(withheld.size())));
  return Status::Ok();
}

Status BuildRoster(const EventStore& store, const Projector& projector, const ReadScope& scope,
                   const std::string& group, int64_t at, api::Roster::Builder out) {
  if (!scope.ReadsAttendance()) {
    return Status::PermissionDenied("session roster shows attendance, which the " +
                                    RoleName(scope.role()) +
                                    " role may not read; ask a probation officer or the group's "
                                    "facilitator");
  }
  std::vector<std::pair<std::string, std::string>> members;
  HOLDFAST_RETURN_IF_ERROR(projector.ScanGroup(group, [&](std::string_view c, std::string_view i) {
    members.emplace_back(c, i);
    return true;
  }));
  struct Loaded {
    CaseSummary summary;
    std::vector<Fact> standing;
  };
  std::map<std::string, Loaded> loaded;  // per case: a case may have two members
  struct Row {
    const CaseSummary* summary;
    const InterventionSummary* intervention;
    const Fact* last = nullptr;
    uint32_t unacceptable = 0;
  };
  std::vector<Row> rows;
  for (const auto& [c, i] : members) {
    auto view = scope.ForStream("case/" + c);
    if (!view.ok()) return view.status();
    if (!view->SeesIntervention(i)) continue;
    auto it = loaded.find(c);
    if (it == loaded.end()) {
      std::vector<Fact> facts;
      auto summary = SummaryOf(store, projector, c, &facts);
      if (!summary.ok()) return summary.status();
      it = loaded.emplace(c, Loaded{std::move(*summary), StandingAttendance(facts)}).first;
    }
    const CaseSummary& s = it->second.summary;
    const InterventionSummary* iv = s.Find(i);
    if (!s.opened || iv == nullptr || iv->group != group || !iv->ActiveAt(at)) continue;
    if (s.closed && s.closed_at <= at) continue;
    Row row{&s, iv};
    for (const Fact& f : it->second.standing) {  // canonical order: the last is the latest
      if (f.intervention != i || f.occurred_at > at) continue;
      row.last = &f;
      if (f.outcome == schema::AttendanceOutcome::ABSENT_UNACCEPTABLE) ++row.unacceptable;
    }
    rows.push_back(row);
  }
  out.setGroup(group);
  out.setAt(at);
  auto list = out.initMembers(static_cast<unsigned>(rows.size()));
  for (unsigned k = 0; k < list.size(); ++k) {
    const Row& r = rows[k];
    auto m = list[k];
    m.setCaseId(r.summary->case_id);
    m.setSubject(r.summary->subject);
    m.setIntervention(r.intervention->id);
    m.setProgramme(r.intervention->programme);
    m.setProvider(r.intervention->provider);
    m.setStartedAt(r.intervention->started_at);
    m.setLastOutcome(r.last ? NameOf(r.last->outcome) : "");
    m.setLastSession(r.last ? r.last->session : "");
    m.setLastAt(r.last ? r.last->occurred_at : -1);
    m.setUnacceptableAbsences(r.unacceptable);
  }
  return Status::Ok();
}

}  // namespace holdfast
