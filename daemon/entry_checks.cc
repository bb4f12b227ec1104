#include "daemon/entry_checks.h"

#include "daemon/rights.h"
#include "eventstore/ids.h"
#include "projections/case_summary.h"
#include "projections/fold.h"

namespace holdfast {
namespace {

std::string TypeName(EventType t) { return std::string(EventTypeName(t)); }

std::string When(int64_t t) { return FormatRfc3339(t); }

Status UnknownCase(const std::string& c) {
  return Status::NotFound("case " + c +
                          " is not known on this node: check the case id (`holdfast case "
                          "list`), or open it first with `holdfast case open`");
}

// The cases named so far: what is held, then the request's accepted events before this one,
// summarised again only when an event that changes a summary was added.
class CaseBook {
 public:
  explicit CaseBook(const HeldRecord& held) : held_(held) {}

  const CaseSummary& Summary(const std::string& c) {
    Entry& e = Get(c);
    if (e.dirty) {
      e.summary = SummarizeCase(c, e.facts);
      e.dirty = false;
    }
    return e.summary;
  }
  void Add(const Fact& f) {
    Entry& e = Get(f.case_id);
    e.facts.push_back(f);
    e.dirty = true;
  }

 private:
  struct Entry {
    std::vector<Fact> facts;
    CaseSummary summary;
    bool dirty = true;
  };
  Entry& Get(const std::string& c) {
    auto it = entries_.find(c);
    if (it != entries_.end()) return it->second;
    Entry& e = entries_[c];
    auto held = held_.cases.find(c);
    if (held != held_.cases.end()) e.facts = held->second;
    return e;
  }
  const HeldRecord& held_;
  std::map<std::string, Entry> entries_;
};

// Whether a facilitator of `agency` may see the case at all: an intervention of it is
// referred to the agency. (Anything else is answered as a case the node does not hold.)
bool HasInterventionAt(const CaseSummary& s, const std::string& agency) {
  for (const auto& i : s.interventions) {
    if (i.referred && i.provider == agency) return true;
  }
  return false;
}

class Checker {
 public:
  Checker(const HeldRecord& held, const EntryRules& rules)
      : held_(held), rules_(rules), book_(held), sessions_(held.sessions) {}

  // Why `f` may not be appended after the accepted events before it; Ok when it may.
  Status Check(const Fact& f, bool* already_voided, std::string* warning) {
    if (f.occurred_at > rules_.now + rules_.max_future_nanos) {
      return Status::InvalidArgument("--at: " + When(f.occurred_at) +
                                     " is in the future (more than " +
                                     std::to_string(rules_.max_future_nanos / 1000000000LL) +
                                     " s after now on this node): give the time it happened");
    }
    switch (f.type) {
      case EventType::RECORD_VOIDED:
        return CheckVoid(f, already_voided);
      case EventType::INCIDENT_REPORTED:
        if (held_.subjects.count(f.subject) == 0 && opened_subjects_.count(f.subject) == 0) {
          *warning = "warning: no case on this node names subject " + f.subject +
                     "; the incident is recorded, and counts once a case for the subject is "
                     "opened here (check the subject id if you expected one)";
        }
        return Status::Ok();
      case EventType::SESSION_HELD:
        return Status::Ok();
      default:
        break;
    }
    const std::string c = CaseNamedBy(f);
    if (c.empty()) return Status::Ok();  // alert acknowledgements and resolutions
    return CheckCaseEvent(c, f);
  }

  // Takes an accepted event into what later events of the request are checked against.
  void Accept(const Fact& f) {
    if (f.type == EventType::SESSION_HELD) sessions_.insert(f.session);
    if (f.type == EventType::CASE_OPENED) opened_subjects_.insert(f.subject);
    if (!CaseNamedBy(f).empty()) book_.Add(f);
  }

 private:
  Status CheckCaseEvent(const std::string& c, const Fact& f) {
    const CaseSummary& s = book_.Summary(c);
    const bool facilitator = rules_.role == schema::Role::FACILITATOR;
    if (f.type == EventType::CASE_OPENED) {
      if (s.opened) {
        return Status::Conflict("case " + c + " is already opened (on " + When(s.opened_at) +
                                "): re-opening uses a new case id; to correct this case's "
                                "opening, void it (holdfast record void --event " +
                                FormatUuid(s.opened_event) + " --reason TEXT) and open it again");
      }
      return Status::Ok();
    }
    if (!s.opened || (facilitator && !HasInterventionAt(s, rules_.agency))) {
      return UnknownCase(c);
    }
    if (s.closed) {
      return Status::Conflict("case " + c + " is closed (on " + When(s.closed_at) +
                              "): a closed case takes no new records; if it was closed by "
                              "mistake, void the closing first (holdfast record void --event " +
                              FormatUuid(s.closed_event) + " --reason TEXT)");
    }
    const InterventionSummary* i = s.Find(f.intervention);
    const std::string named = "intervention " + f.intervention + " of case " + c;
    switch (f.type) {
      case EventType::INTERVENTION_STARTED:
      case EventType::INTERVENTION_COMPLETED:
      case EventType::INTERVENTION_EXITED:
      case EventType::ATTENDANCE_RECORDED:
        if (i == nullptr || !i->referred) {
          return Status::Conflict(named +
                                  " is not referred: check the intervention id (holdfast case "
                                  "show --case " +
                                  c + "), or refer it first (holdfast intervention refer)");
        }
        if (facilitator && i->provider != rules_.agency) {
          return Status::PermissionDenied(named + " is referred to " + i->provider + ", not " +
                                          rules_.agency +
                                          ": a facilitator records only its own agency's "
                                          "interventions");
        }
        break;
      default:
        return Status::Ok();
    }
    switch (f.type) {
      case EventType::INTERVENTION_STARTED:
        if (i->started) {
          return Status::Conflict(named + " already started (on " + When(i->started_at) +
                                  "); if that start is wrong, void it first (holdfast record "
                                  "void --event " +
                                  FormatUuid(i->started_event) + " --reason TEXT)");
        }
        return Status::Ok();
      case EventType::INTERVENTION_COMPLETED:
      case EventType::INTERVENTION_EXITED:
        if (i->ended()) {
          return Status::Conflict(named + " already ended (" + EndingName(i->ending) + " on " +
                                  When(i->ended_at) +
                                  "); if that is wrong, void it first (holdfast record void "
                                  "--event " +
                                  FormatUuid(i->ended_event) + " --reason TEXT)");
        }
        if (f.type == EventType::INTERVENTION_COMPLETED && !i->started) {
          return Status::Conflict(named +
                                  " has not started: record its start first (holdfast "
                                  "intervention start), or exit it if it never will");
        }
        return Status::Ok();
      case EventType::ATTENDANCE_RECORDED:
        if (!i->ActiveAt(f.occurred_at)) {
          const std::string span = !i->started
                                       ? "it has not started: record its start first (holdfast "
                                         "intervention start)"
                                   : f.occurred_at < i->started_at
                                       ? "it started on " + When(i->started_at) + ": check --at"
                                       : "it ended (" + EndingName(i->ending) + ") on " +
                                             When(i->ended_at) + ": check --at";
          return Status::Conflict(named + " was not active on " + When(f.occurred_at) + ": " +
                                  span);
        }
        if (!rules_.unlisted_session && sessions_.count(f.session) == 0) {
          return Status::NotFound("session " + f.session +
                                  " is not logged on this node: check the session id, log the "
                                  "session first (holdfast session log, or session register), "
                                  "or give --unlisted-session for a one-to-one appointment");
        }
        return Status::Ok();
      default:
        return Status::Ok();
    }
  }

  Status CheckVoid(const Fact& f, bool* already_voided) {
    const std::string id = FormatUuid(f.voided);
    auto it = held_.void_targets.find(f.voided);
    if (it == held_.void_targets.end()) {
      return Status::NotFound("event " + id +
                              " is not held on this node: check the id (holdfast case show "
                              "--case ID --format json lists each event's id)");
    }
    const Fact& target = it->second.event;
    if (!IsVoidable(target.type)) {
      const std::string why =
          target.type == EventType::RECORD_VOIDED ? "a void is final"
          : target.type == EventType::SUBJECT_ERASED
              ? "an erasure is final"
              : "alerts are the rules' record: acknowledge or resolve the alert instead "
                "(holdfast alerts ack|resolve)";
      return Status::InvalidArgument("event " + id + " is " + TypeName(target.type) +
                                     ", which cannot be voided: " + why);
    }
    if (!MayVoid(rules_.role, target.type)) {
      return Status::PermissionDenied("event " + id + " is " + TypeName(target.type) +
                                      ", which the " + RoleName(rules_.role) +
                                      " role may not record, so it may not void it either; "
                                      "ask a user whose role records " +
                                      TypeName(target.type));
    }
    if (rules_.role == schema::Role::FACILITATOR) {
      const std::string c = CaseNamedBy(target);
      if (c.empty()) {
        if (it->second.agency != rules_.agency) {
          return Status::PermissionDenied("event " + id + " was recorded by " + it->second.agency +
                                          ", not " + rules_.agency +
                                          ": a facilitator voids only its own agency's records");
        }
      } else {
        const CaseSummary& s = book_.Summary(c);
        const InterventionSummary* i = s.Find(target.intervention);
        if (!HasInterventionAt(s, rules_.agency)) {
          return Status::NotFound("event " + id +
                                  " is not held on this node: check the id (holdfast case "
                                  "show --case ID --format json lists each event's id)");
        }
        if (i == nullptr || !i->referred || i->provider != rules_.agency) {
          return Status::PermissionDenied("event " + id + " is about intervention " +
                                          target.intervention + " of case " + c +
                                          ", which is not referred to " + rules_.agency +
                                          ": a facilitator voids only its own agency's records");
        }
      }
    }
    // Voiding is idempotent: two voids of one event are one void (nothing more is written).
    *already_voided = it->second.voided || voided_here_.count(f.voided) > 0;
    voided_here_.insert(f.voided);
    return Status::Ok();
  }

  const HeldRecord& held_;
  const EntryRules& rules_;
  CaseBook book_;
  std::set<std::string> sessions_;
  std::set<std::string> opened_subjects_;
  std::set<Uuid> voided_here_;
};

}  // namespace

std::string CaseNamedBy(const Fact& f) {
  switch (f.type) {
    case EventType::CASE_OPENED:
    case EventType::CASE_RISK_CHANGED:
    case EventType::CASE_CLOSED:
    case EventType::INTERVENTION_REFERRED:
    case EventType::INTERVENTION_STARTED:
    case EventType::INTERVENTION_COMPLETED:
    case EventType::INTERVENTION_EXITED:
    case EventType::ATTENDANCE_RECORDED:
    case EventType::BREACH_REPORTED:
    case EventType::ALERT_RAISED:
      return f.case_id;
    default:
      return "";
  }
}

EntryVerdict CheckEntry(const std::vector<Fact>& offered, const HeldRecord& held,
                        const EntryRules& rules) {
  EntryVerdict verdict;
  Checker checker(held, rules);
  for (size_t i = 0; i < offered.size(); ++i) {
    bool already_voided = false;
    std::string warning;
    Status s = checker.Check(offered[i], &already_voided, &warning);
    if (!s.ok()) {
      verdict.refused.push_back({i, std::move(s)});
      continue;
    }
    if (!warning.empty()) verdict.warnings.push_back({i, std::move(warning)});
    if (already_voided) verdict.already_voided.insert(i);
    checker.Accept(offered[i]);
  }
  return verdict;
}

}  // namespace holdfast
