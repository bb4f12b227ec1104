#include "projections/alert_state.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "eventstore/event_store.h"
#include "eventstore/ids.h"
#include "eventstore/validate.h"

namespace holdfast {
namespace {

constexpr Uuid kLifecycleNamespace{0x2d4c6e8f1a3b4c5dULL, 0x9e0f1a2b3c4d5e6fULL};

// Earliest by (occurred_at, id): a stable choice whatever the arrival order.
bool Earlier(int64_t at_a, const Uuid& id_a, int64_t at_b, const Uuid& id_b) {
  return std::tie(at_a, id_a) < std::tie(at_b, id_b);
}

std::string WithdrawReason(schema::AlertRule rule) {
  switch (rule) {
    case schema::AlertRule::NON_ENGAGEMENT:
      return "late evidence: the unacceptable absences that raised it do not stand (corrected, "
             "or outside the active programme)";
    case schema::AlertRule::NO_CONTACT:
      return "late evidence: a positive contact, or the programme ending, falls within the "
             "no-contact period";
    case schema::AlertRule::REOFFENDING:
      return "late evidence: the case was not open, or not closed recently enough, at the "
             "incident";
    case schema::AlertRule::BREACH:
      return "late evidence: the breach report is not held for this case";
    case schema::AlertRule::DROPOUT:
      return "late evidence: no exit for non-compliance or withdrawal stands";
    case schema::AlertRule::RISK_ESCALATION:
      return "late evidence: the earlier risk level was as high or higher, and no MARAC referral";
  }
  return "late evidence: the condition never held";
}

// Ranks stay exact in JSON (a double): at most 2^53.
constexpr uint64_t kMaxRank = uint64_t{1} << 53;

// The rank of a lifecycle event derived now for an alert (docs/alert-lifecycle.md): at least
// the sum of the view's marks (so a view that covers another's ranks at least as high), and
// above every lifecycle event of the alert held (so it stands over all the node knew of).
uint64_t RankFor(uint64_t evidence, const AlertState* standing) {
  uint64_t rank = std::max<uint64_t>(evidence, 1);
  if (standing != nullptr) {
    for (const auto& t : standing->transitions) rank = std::max(rank, t.rank + 1);
  }
  return std::min(rank, kMaxRank);
}

// The id of a lifecycle event, from all it says (its author and provenance aside): the same
// derivation gives the same id, and two events under one id never differ (which the store
// would refuse as a conflict). Name parts are escaped, so free text cannot make two
// contents join to one name.
Uuid LifecycleId(schema::Event::Reader e) {
  std::vector<std::string> parts;
  auto basis = [&](schema::Basis::Reader b) {
    parts.push_back(std::to_string(b.getRank()));
    parts.emplace_back(b.getMarks().cStr(), b.getMarks().size());
  };
  parts.push_back(std::to_string(e.getOccurredAt().getUnixNanos()));
  if (e.isAlertRaised()) {
    auto r = e.getAlertRaised();
    parts.insert(parts.begin(), {FormatUuid(ToUuid(r.getAlert())), "raised"});
    basis(r.getBasis());
    parts.push_back(std::to_string(static_cast<int>(r.getRule())));
    parts.emplace_back(r.getCaseId().cStr());
    parts.emplace_back(r.getSubject().cStr());
    parts.emplace_back(r.getIntervention().cStr());
    parts.push_back(std::to_string(static_cast<int>(r.getSeverity())));
    parts.push_back(FormatUuid(ToUuid(r.getTrigger())));
    parts.emplace_back(r.getReason().cStr());
  } else {
    auto w = e.getAlertWithdrawn();
    parts.insert(parts.begin(), {FormatUuid(ToUuid(w.getAlert())), "withdrawn"});
    basis(w.getBasis());
    parts.emplace_back(w.getReason().cStr());
  }
  return NameUuid(kLifecycleNamespace,
                  JoinNameParts(std::vector<std::string_view>(parts.begin(), parts.end())));
}

// The derived alert that takes over a held one whose id was made before alert ids escaped
// their name parts (docs/alert-ids.md): the same rule, case and intervention, under another
// id, and the same trigger where a rule raises more than one alert per intervention. Ids do
// not otherwise change, so nothing else matches.
const DerivedAlert* ReplacementOf(const AlertState& s, const std::vector<DerivedAlert>& derived) {
  const bool one_per_intervention =
      s.rule == schema::AlertRule::NON_ENGAGEMENT || s.rule == schema::AlertRule::DROPOUT;
  for (const DerivedAlert& d : derived) {
    if (d.alert != s.alert && d.rule == s.rule && d.case_id == s.case_id &&
        d.intervention == s.intervention && (one_per_intervention || d.trigger == s.trigger)) {
      return &d;
    }
  }
  return nullptr;
}

}  // namespace

bool StandsOver(const AlertTransition& a, const AlertTransition& b) {
  const uint64_t recorded_a = a.rank == 0 ? a.recorded_at : 0;
  const uint64_t recorded_b = b.rank == 0 ? b.recorded_at : 0;
  return std::tie(a.rank, recorded_a, a.id) > std::tie(b.rank, recorded_b, b.id);
}

std::string FormatMarks(const VersionVector& view) {
  std::string out;
  for (const auto& [origin, seq] : view) {
    std::string mark = origin + ":" + std::to_string(seq);
    if (out.size() + 1 + mark.size() + 4 > kMaxFreeTextBytes) return out + " ...";
    if (!out.empty()) out += ' ';
    out += mark;
  }
  return out;
}

void FoldAlertFact(const Fact& f, AlertState* s) {
  s->alert = f.alert;
  switch (f.type) {
    case EventType::ALERT_RAISED:
    case EventType::ALERT_WITHDRAWN: {
      const bool withdrawn = f.type == EventType::ALERT_WITHDRAWN;
      for (const auto& t : s->transitions) {
        if (t.id == f.id) return;  // already folded
      }
      // Does this event stand over every other? Then it decides the standing state.
      const AlertTransition mine{withdrawn, f.occurred_at, f.recorded_at, f.id, f.rank};
      bool latest = true;
      bool latest_raise = !withdrawn;
      for (const auto& t : s->transitions) {
        if (StandsOver(t, mine)) {
          latest = false;
          if (!t.withdrawn) latest_raise = false;
        }
      }
      s->transitions.push_back(mine);
      if (!withdrawn && latest_raise) {
        s->has_raised = true;
        s->rule = f.rule;
        s->case_id = f.case_id;
        s->subject = f.subject;
        s->intervention = f.intervention;
        s->reason = f.text;
        s->severity = f.severity;
        s->trigger = f.trigger;
      }
      if (latest) {
        s->withdrawn = withdrawn;
        if (withdrawn) {
          s->withdraw_reason = f.text;
        } else {
          s->raised_at = f.occurred_at;
          s->raised_by = f.origin;
        }
      }
      break;
    }
    case EventType::ALERT_ACKNOWLEDGED:
      if (s->acknowledged_at < 0 ||
          Earlier(f.occurred_at, f.id, s->acknowledged_at, s->acknowledged_id)) {
        s->acknowledged_at = f.occurred_at;
        s->acknowledged_by = f.user;
        s->acknowledged_id = f.id;
        s->note = f.text;
      }
      break;
    case EventType::ALERT_RESOLVED:
      if (s->resolved_at < 0 || Earlier(f.occurred_at, f.id, s->resolved_at, s->resolved_id)) {
        s->resolved_at = f.occurred_at;
        s->resolved_by = f.user;
        s->resolved_id = f.id;
        s->action = f.text;
      }
      break;
    case EventType::ALERT_ASSIGNED:
      // The latest assignment stands (SPEC "Alerts reach people"): by recorded_at, the
      // origin's clock when it was appended, then the larger id, whatever order they came in.
      if (s->assigned_to.empty() ||
          std::tie(f.recorded_at, f.id) > std::tie(s->assigned_recorded_at, s->assigned_id)) {
        s->assigned_to = f.assignee;
        s->assigned_by = f.user;
        s->assign_note = f.text;
        s->assigned_at = f.occurred_at;
        s->assigned_recorded_at = f.recorded_at;
        s->assigned_id = f.id;
      }
      break;
    default:
      break;
  }
}

std::optional<std::string> StatusAsOf(const AlertState& s, int64_t as_of) {
  if (!s.has_raised) return std::nullopt;
  // A withdrawn alert never held: withdrawn at every as-of time, never open before it.
  const int64_t first_raise = [&] {
    int64_t t = s.raised_at;
    for (const auto& tr : s.transitions) {
      if (!tr.withdrawn) t = std::min(t, tr.at);
    }
    return t;
  }();
  if (s.withdrawn) {
    if (first_raise > as_of) return std::nullopt;
    return std::string("withdrawn");
  }
  if (s.raised_at > as_of) return std::nullopt;
  if (s.resolved_at >= 0 && s.resolved_at <= as_of) return std::string("resolved");
  if (s.acknowledged_at >= 0 && s.acknowledged_at <= as_of) return std::string("acknowledged");
  return std::string("open");
}

void SetSystemAuthor(schema::Author::Builder author) {
  author.setUser("holdfastd");
  author.setRole(schema::Role::SYSTEM);
  author.setAgency("holdfast");
}

std::vector<Event> PlanLifecycle(const std::string& case_id,
                                 const std::vector<DerivedAlert>& derived,
                                 const std::vector<AlertState>& standing,
                                 const std::string& node_id, const VersionVector& view) {
  std::map<Uuid, const AlertState*> held;
  for (const auto& s : standing) held[s.alert] = &s;
  // Worked out for the first event planned (most evaluations plan none).
  std::optional<std::pair<uint64_t, std::string>> basis;
  auto set_basis = [&](schema::Basis::Builder b, const AlertState* s) {
    if (!basis) {
      uint64_t evidence = 0;
      for (const auto& [origin, seq] : view) evidence = std::min(evidence + seq, kMaxRank);
      basis.emplace(evidence, FormatMarks(view));
    }
    b.setRank(RankFor(basis->first, s));
    if (!basis->second.empty()) b.setMarks(basis->second);
  };
  std::vector<Event> out;
  std::map<Uuid, bool> still_holds;
  for (const DerivedAlert& d : derived) {
    still_holds[d.alert] = true;
    auto it = held.find(d.alert);
    const AlertState* s = it == held.end() ? nullptr : it->second;
    if (s != nullptr && s->has_raised && !s->withdrawn && s->raised_at == d.raised_at) continue;
    Event e;
    auto b = e.builder();
    b.initOccurredAt().setUnixNanos(d.raised_at);
    SetSystemAuthor(b.initAuthor());
    auto r = b.initAlertRaised();
    SetUuid(r.initAlert(), d.alert);
    r.setRule(d.rule);
    r.setCaseId(d.case_id);
    r.setSubject(d.subject);
    if (!d.intervention.empty()) r.setIntervention(d.intervention);
    r.setSeverity(d.severity);
    SetUuid(r.initTrigger(), d.trigger);
    r.setReason(d.reason);
    set_basis(r.initBasis(), s);
    SetUuid(b.initId(), LifecycleId(e.reader()));
    out.push_back(std::move(e));
  }
  for (const AlertState& s : standing) {
    // raised_by is an origin: after a restore the node's origin is "<node_id>~...".
    // An alert once shared by two cases (docs/alert-ids.md) is withdrawn by the case its
    // standing details name, so the two cases never plan two different withdrawals.
    if (!s.has_raised || s.withdrawn || OriginNode(s.raised_by) != node_id ||
        still_holds.count(s.alert) || s.case_id != case_id) {
      continue;
    }
    const DerivedAlert* replacement = ReplacementOf(s, derived);
    Event e;
    auto b = e.builder();
    b.initOccurredAt().setUnixNanos(s.raised_at);
    SetSystemAuthor(b.initAuthor());
    auto w = b.initAlertWithdrawn();
    SetUuid(w.initAlert(), s.alert);
    w.setReason(replacement == nullptr
                    ? WithdrawReason(s.rule)
                    : "replaced by alert " + FormatUuid(replacement->alert) +
                          ": the same alert, under an id no other case can share (alert ids "
                          "changed; see docs/alert-ids.md)");
    set_basis(w.initBasis(), &s);
    SetUuid(b.initId(), LifecycleId(e.reader()));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace holdfast
