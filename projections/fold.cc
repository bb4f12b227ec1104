#include "projections/fold.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <unordered_map>

#include "eventstore/keys.h"
#include "projections/records.h"
#include "projections/row_keys.h"

namespace holdfast {
namespace {

std::tuple<int64_t, uint64_t, Uuid> KeyOf(const Fact& f) {
  return {f.occurred_at, f.recorded_at, f.id};
}

// Interned names (case ids, sessions, interventions, subjects, incident references): each
// is held once, in one arena, and the compact state names it by a 32-bit number. An open
// addressing table of (hash, number) finds a name with one probe, mostly.
class Names {
 public:
  static constexpr uint32_t kNone = ~0u;

  Names() : slots_(1u << 6, kEmpty), start_{0} {}

  uint32_t Of(std::string_view name) {
    const uint64_t h = Hash(name);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == kEmpty) {
        const auto id = static_cast<uint32_t>(start_.size() - 1);
        arena_.append(name);
        start_.push_back(arena_.size());
        slots_[i] = Slot(h, id);
        if (2 * size() > slots_.size()) Grow();
        return id;
      }
      if (Matches(slots_[i], h, name)) return static_cast<uint32_t>(slots_[i]);
    }
  }
  // The same, trying `*last` (the name looked up last in this role) first: a case's events,
  // and its attendance at one intervention, mostly come together.
  uint32_t Of(std::string_view name, uint32_t* last) {
    if (*last < size() && (*this)[*last] == name) return *last;
    *last = Of(name);
    return *last;
  }
  uint32_t Find(std::string_view name) const {
    const uint64_t h = Hash(name);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask; slots_[i] != kEmpty; i = (i + 1) & mask) {
      if (Matches(slots_[i], h, name)) return static_cast<uint32_t>(slots_[i]);
    }
    return kNone;
  }
  std::string_view operator[](uint32_t id) const {
    return std::string_view(arena_).substr(start_[id], start_[id + 1] - start_[id]);
  }
  uint32_t size() const { return static_cast<uint32_t>(start_.size() - 1); }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;
  static uint64_t Hash(std::string_view s) { return std::hash<std::string_view>()(s); }
  static uint64_t Slot(uint64_t h, uint32_t id) { return (h & 0xffffffff00000000ULL) | id; }
  bool Matches(uint64_t slot, uint64_t h, std::string_view name) const {
    return (slot >> 32) == (h >> 32) && (*this)[static_cast<uint32_t>(slot)] == name;
  }
  void Grow() {
    std::vector<uint64_t> slots(slots_.size() * 2, kEmpty);
    const size_t mask = slots.size() - 1;
    for (uint32_t id = 0; id < size(); ++id) {
      const uint64_t h = Hash((*this)[id]);
      size_t i = h & mask;
      while (slots[i] != kEmpty) i = (i + 1) & mask;
      slots[i] = Slot(h, id);
    }
    slots_.swap(slots);
  }

  std::vector<uint64_t> slots_;
  std::string arena_;
  std::vector<size_t> start_;  // name i is arena_[start_[i], start_[i + 1])
};

// What the rules read of a case event other than attendance (rules/*.cc).
struct CaseFact {
  int64_t occurred_at;
  uint64_t recorded_at;
  Uuid id;
  EventType type;
  uint8_t value;  // risk, exit reason or breach kind
  bool marac;
  uint32_t name;  // the intervention, or the opening's subject
};

struct Attendance {
  int64_t occurred_at;
  uint64_t recorded_at;
  Uuid id;
  uint32_t session, intervention;
  schema::AttendanceOutcome outcome;
  bool held;  // the row the family held, not an event added
};

std::tuple<const uint64_t&, const Uuid&> CorrectionOrder(const Attendance& a) {
  return holdfast::CorrectionOrder(a.recorded_at, a.id);  // the rule, in facts.h
}

struct Incident {
  int64_t occurred_at;
  uint64_t recorded_at;
  Uuid id;
  uint32_t incident;
  schema::IncidentCategory category;
};

struct CaseState {
  CaseRow row;
  bool folded = false;  // a case event added (its held row read into `row`): it is written
  std::vector<uint32_t> subjects;    // subject index rows added (names)
  std::vector<CaseFact> facts;       // history: openings, risk, closings, interventions, breaches
  std::vector<Attendance> standing;  // every record added; after Settle, the changed standing
  std::vector<Uuid> alerts;          // after Settle: the alerts that named it while raised
  // (provider, intervention) names of its referrals added (prov/ rows).
  std::vector<std::pair<uint32_t, uint32_t>> referrals;
  // (group, intervention) names of its starts with a group added (grp/ rows).
  std::vector<std::pair<uint32_t, uint32_t>> groups;
};

// The void that stands over an event: of its voids, the canonically first.
std::tuple<int64_t, uint64_t, const Uuid&> VoidOrder(const VoidRow& v) {
  return {v.occurred_at, v.recorded_at, v.void_id};
}

struct AlertEntry {
  AlertState state;
  std::vector<uint32_t> cases;          // the cases it has named while raised (calert/ rows)
  std::vector<std::string> held_index;  // the aidx/ rows of the alert as it was held
};

// The aidx/ rows that file `s` (row_keys.h): none until it is raised.
std::vector<std::string> AlertIndexKeys(const AlertState& s) {
  std::vector<std::string> keys;
  const auto filed_as = StatusAsOf(s, std::numeric_limits<int64_t>::max());
  if (!filed_as) return keys;
  std::string key(rows::kAlertsByRaisePrefix);
  rows::AppendAlertOrder(&key, s.raised_at, s.alert);
  keys.push_back(key);
  key = rows::AlertsByStatusPrefix(*filed_as);
  rows::AppendAlertOrder(&key, s.raised_at, s.alert);
  keys.push_back(key);
  if (!s.assigned_to.empty()) {
    key = rows::AlertsByAssigneePrefix(s.assigned_to);
    rows::AppendAlertOrder(&key, s.raised_at, s.alert);
    keys.push_back(key);
  }
  return keys;
}

// What an alert shows its readers, as far as the feed tells of changes to it.
struct AlertShows {
  bool shown = false;  // raised at some time (a withdrawal or an acknowledgement alone: not)
  bool withdrawn = false;
  int64_t raised_at = 0;
  int64_t acknowledged_at = -1;
  std::string acknowledged_by, note;
  int64_t resolved_at = -1;
  std::string resolved_by, action;
  Uuid assigned_id;  // the standing alert.assigned
};

AlertShows ShowsOf(const AlertState& s) {
  AlertShows shows;
  shows.shown = s.has_raised;
  if (!shows.shown) return shows;
  shows.withdrawn = s.withdrawn;
  shows.raised_at = s.raised_at;
  shows.acknowledged_at = s.acknowledged_at;
  shows.acknowledged_by = s.acknowledged_by;
  shows.note = s.note;
  shows.resolved_at = s.resolved_at;
  shows.resolved_by = s.resolved_by;
  shows.action = s.action;
  shows.assigned_id = s.assigned_id;
  return shows;
}

// The change an alert.* event of type `type` made, if it changed what the alert shows.
std::optional<AlertChange> ChangeOf(const AlertShows& was, const AlertShows& now, EventType type) {
  if (!now.shown) return std::nullopt;  // nothing to show until a raise is held
  if (!was.shown) return now.withdrawn ? std::nullopt : std::optional(AlertChange::kRaised);
  switch (type) {
    case EventType::ALERT_RAISED:
    case EventType::ALERT_WITHDRAWN:
      if (was.withdrawn != now.withdrawn) {
        return now.withdrawn ? AlertChange::kWithdrawn : AlertChange::kRaised;
      }
      if (!now.withdrawn && was.raised_at != now.raised_at) return AlertChange::kMoved;
      return std::nullopt;
    case EventType::ALERT_ACKNOWLEDGED:
      if (was.acknowledged_at != now.acknowledged_at ||
          was.acknowledged_by != now.acknowledged_by || was.note != now.note) {
        return AlertChange::kAcknowledged;
      }
      return std::nullopt;
    case EventType::ALERT_RESOLVED:
      if (was.resolved_at != now.resolved_at || was.resolved_by != now.resolved_by ||
          was.action != now.action) {
        return AlertChange::kResolved;
      }
      return std::nullopt;
    case EventType::ALERT_ASSIGNED:
      if (was.assigned_id != now.assigned_id) return AlertChange::kAssigned;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

struct IndicatorRow {
  uint64_t at;  // occurred_at, as the key orders it
  Uuid id;
  std::string value;
};

// A standing row replaced by one of another time: its attt/ row goes.
struct Replaced {
  int64_t occurred_at;
  uint32_t case_number, session;
};

}  // namespace

bool FoldCaseRow(const Fact& f, CaseRow* row) {
  bool new_subject = false;
  ++row->events;
  switch (f.type) {
    case EventType::CASE_OPENED:
      if (!row->has_opened || KeyOf(f) < row->opened_key) {
        new_subject = !row->has_opened || row->subject != f.subject;
        row->has_opened = true;
        row->opened_key = KeyOf(f);
        row->opened_at = f.occurred_at;
        row->subject = f.subject;
        row->order = f.order;
        row->lead_agency = f.lead_agency;
      }
      [[fallthrough]];
    case EventType::CASE_RISK_CHANGED:
      if (!row->has_risk || KeyOf(f) > row->risk_key) {
        row->has_risk = true;
        row->risk_key = KeyOf(f);
        row->risk = f.risk;
      }
      break;
    case EventType::CASE_CLOSED:
      if (!row->has_closed || KeyOf(f) < row->closed_key) {
        row->has_closed = true;
        row->closed_key = KeyOf(f);
        row->closed_at = f.occurred_at;
      }
      break;
    default:
      break;
  }
  return new_subject;
}

struct ProjectionFold::State {
  explicit State(const FoldOptions& o) : options(o) {}

  FoldOptions options;
  Status error;  // the first held row that could not be read
  Names cases, names;
  std::vector<CaseState> states;                                  // by case number (cases)
  std::unordered_map<uint32_t, std::vector<Incident>> incidents;  // by subject
  std::unordered_map<Uuid, AlertEntry, UuidHash> alerts;
  std::unordered_map<Uuid, VoidRow, UuidHash> voids;  // by the event voided
  std::vector<Uuid> new_voids;
  std::vector<IndicatorRow> indicators;
  std::vector<Replaced> replaced;
  std::vector<uint32_t> by_case_id, case_rank;
  std::vector<std::pair<uint64_t, std::string>> feed;  // (position, feed/ row value)
  // The latest occurred_at of an acknowledgement or resolution folded, with the held
  // aidx/t after Settle (nullopt: none folded, so aidx/t stays as it is).
  std::optional<int64_t> latest_alert_change;
  uint32_t last_case = Names::kNone, last_intervention = Names::kNone;

  // The held row under `key`, if any (none when the fold has no held rows).
  std::optional<std::string> Held(const std::string& key) {
    if (options.held == nullptr) return std::nullopt;
    auto r = options.held->Get(key);
    if (!r.ok()) {
      if (error.ok()) error = r.status();
      return std::nullopt;
    }
    return std::move(r).value();
  }

  uint32_t CaseNumber(std::string_view case_id, uint32_t* last) {
    const uint32_t c = cases.Of(case_id, last);
    if (c == states.size()) {
      states.emplace_back();
      states.back().row.case_id = case_id;
    }
    return c;
  }

  void AddCaseEvent(const Fact& f) {
    CaseState& c = states[CaseNumber(f.case_id, &last_case)];
    if (!c.folded) {
      c.folded = true;
      if (options.held != nullptr) {
        auto bytes = Held(rows::CaseKey(f.case_id));
        if (bytes && !DecodeCase(*bytes, &c.row)) c.row = CaseRow{};
        c.row.case_id = f.case_id;
      }
    }
    if (FoldCaseRow(f, &c.row)) {
      const uint32_t s = names.Of(f.subject);
      if (std::find(c.subjects.begin(), c.subjects.end(), s) == c.subjects.end()) {
        c.subjects.push_back(s);
      }
    }
    if (f.type == EventType::INTERVENTION_REFERRED && options.rows) {
      const std::pair<uint32_t, uint32_t> referral(names.Of(f.provider),
                                                   names.Of(f.intervention, &last_intervention));
      if (std::find(c.referrals.begin(), c.referrals.end(), referral) == c.referrals.end()) {
        c.referrals.push_back(referral);
      }
    }
    if (f.type == EventType::INTERVENTION_STARTED && options.rows && !f.group.empty()) {
      const std::pair<uint32_t, uint32_t> member(names.Of(f.group),
                                                 names.Of(f.intervention, &last_intervention));
      if (std::find(c.groups.begin(), c.groups.end(), member) == c.groups.end()) {
        c.groups.push_back(member);
      }
    }
    if (f.type == EventType::ATTENDANCE_RECORDED) {
      c.standing.push_back({f.occurred_at, f.recorded_at, f.id, names.Of(f.session),
                            names.Of(f.intervention, &last_intervention), f.outcome, false});
      return;
    }
    if (!options.history) return;
    auto fact = [&](uint8_t value, uint32_t name) {
      c.facts.push_back({f.occurred_at, f.recorded_at, f.id, f.type, value, f.marac, name});
    };
    switch (f.type) {
      case EventType::CASE_OPENED:
        fact(static_cast<uint8_t>(f.risk), names.Of(f.subject));
        break;
      case EventType::CASE_RISK_CHANGED:
        fact(static_cast<uint8_t>(f.risk), 0);
        break;
      case EventType::CASE_CLOSED:
        fact(0, 0);
        break;
      case EventType::INTERVENTION_STARTED:
      case EventType::INTERVENTION_COMPLETED:
        fact(0, names.Of(f.intervention, &last_intervention));
        break;
      case EventType::INTERVENTION_EXITED:
        fact(static_cast<uint8_t>(f.exit_reason), names.Of(f.intervention, &last_intervention));
        break;
      case EventType::BREACH_REPORTED:
        fact(static_cast<uint8_t>(f.breach_kind), 0);
        break;
      default:
        break;  // referrals: no rule reads them
    }
  }

  bool Voided(const Uuid& id) const {
    return (options.voided != nullptr && options.voided->Contains(id)) || voids.count(id) > 0;
  }

  // A record.voided: the void that stands over its event (held, or the first added).
  void AddVoid(const Fact& f) {
    const VoidRow candidate{f.voided, f.id, f.occurred_at, f.recorded_at, f.text, f.user};
    auto [it, added] = voids.try_emplace(f.voided, candidate);
    if (added) {
      VoidRow held;
      auto bytes = Held(rows::VoidKey(f.voided));
      if (bytes && DecodeVoid(*bytes, &held)) {
        held.target = f.voided;
        if (VoidOrder(held) < VoidOrder(candidate)) it->second = std::move(held);
        return;
      }
      if (options.voided == nullptr || !options.voided->Contains(f.voided)) {
        new_voids.push_back(f.voided);
      }
      return;
    }
    if (VoidOrder(candidate) < VoidOrder(it->second)) it->second = candidate;
  }

  AlertEntry& Alert(const Uuid& id) {
    auto [it, added] = alerts.try_emplace(id);
    if (added) {
      auto bytes = Held(rows::AlertKey(id));
      if (bytes && !DecodeAlert(*bytes, &it->second.state)) it->second.state = AlertState{};
      it->second.state.alert = id;
      if (bytes) it->second.held_index = AlertIndexKeys(it->second.state);
    }
    return it->second;
  }

  void AddAlertEvent(const Fact& f) {
    AlertEntry& a = Alert(f.alert);
    if (f.type == EventType::ALERT_ACKNOWLEDGED || f.type == EventType::ALERT_RESOLVED) {
      latest_alert_change = std::max(latest_alert_change.value_or(f.occurred_at), f.occurred_at);
    }
    // Only an event with a log position makes a feed entry: a fold without positions (a
    // case's history read back) does not copy what the alert shows.
    if (f.position == 0) {
      FoldAlertFact(f, &a.state);
    } else {
      const AlertShows before = ShowsOf(a.state);
      FoldAlertFact(f, &a.state);
      if (auto change = ChangeOf(before, ShowsOf(a.state), f.type)) {
        feed.emplace_back(f.position, EncodeFeedValue(*change, f.id, a.state));
      }
    }
    if (a.state.has_raised && !a.state.case_id.empty()) {
      uint32_t last = Names::kNone;
      const uint32_t c = CaseNumber(a.state.case_id, &last);
      if (std::find(a.cases.begin(), a.cases.end(), c) == a.cases.end()) a.cases.push_back(c);
    }
  }

  // Keeps, per (case, session), the record that stands if it is not the held row; a held
  // row it replaces at another time leaves its attt/ row to delete.
  void SettleStanding(uint32_t c) {
    CaseState& state = states[c];
    auto& records = state.standing;
    std::sort(records.begin(), records.end(), [](const Attendance& a, const Attendance& b) {
      if (a.session != b.session) return a.session < b.session;
      return CorrectionOrder(a) < CorrectionOrder(b);
    });
    size_t kept = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      if (i + 1 < records.size() && records[i + 1].session == records[i].session) continue;
      const Attendance& standing = records[i];
      if (options.held != nullptr) {
        auto bytes = Held(rows::StandingKey(state.row.case_id, names[standing.session]));
        StandingRow row;
        if (bytes && DecodeStanding(*bytes, &row)) {
          const Attendance held{row.occurred_at,
                                row.recorded_at,
                                row.id,
                                standing.session,
                                names.Of(row.intervention),
                                row.outcome,
                                true};
          if (!(CorrectionOrder(held) < CorrectionOrder(standing))) continue;  // it stands
          if (held.occurred_at != standing.occurred_at) {
            replaced.push_back({held.occurred_at, c, standing.session});
          }
        }
      }
      records[kept++] = standing;
    }
    records.resize(kept);
    records.shrink_to_fit();
    std::sort(records.begin(), records.end(), [&](const Attendance& a, const Attendance& b) {
      return names[a.session] < names[b.session];
    });
  }

  // The rows that name a (case, intervention) under another name first (prov/: a provider,
  // grp/: a group), from each case's `list` of (name, intervention), in key order.
  using SetMemberKey = void (*)(std::string*, std::string_view, std::string_view, std::string_view);
  Status EmitCaseMembers(std::vector<std::pair<uint32_t, uint32_t>> CaseState::*list,
                         SetMemberKey set_key, RowSink* sink) const {
    // (name, case, intervention): the key's parts, in its order.
    std::vector<std::tuple<std::string_view, std::string_view, std::string_view>> members;
    for (uint32_t c = 0; c < states.size(); ++c) {
      for (const auto& [name, intervention] : states[c].*list) {
        members.emplace_back(names[name], cases[c], names[intervention]);
      }
    }
    std::sort(members.begin(), members.end());
    std::string key;
    for (const auto& [name, case_id, intervention] : members) {
      set_key(&key, name, case_id, intervention);
      HOLDFAST_RETURN_IF_ERROR(sink->Put(key, ""));
    }
    return Status::Ok();
  }

  void Settle() {
    for (uint32_t c = 0; c < states.size(); ++c) SettleStanding(c);
    if (latest_alert_change) {
      auto held = Held(std::string(rows::kLatestAlertChangeKey));
      if (held && held->size() == 8) {
        const auto t = static_cast<int64_t>(keys::DecodeFixed64BE(held->data()));
        latest_alert_change = std::max(*latest_alert_change, t);
      }
    }
    for (const auto& [id, entry] : alerts) {
      for (uint32_t c : entry.cases) states[c].alerts.push_back(id);
    }
    for (CaseState& c : states) std::sort(c.alerts.begin(), c.alerts.end());
    by_case_id.resize(states.size());
    for (uint32_t i = 0; i < by_case_id.size(); ++i) by_case_id[i] = i;
    std::sort(by_case_id.begin(), by_case_id.end(),
              [&](uint32_t a, uint32_t b) { return cases[a] < cases[b]; });
    case_rank.resize(states.size());
    for (uint32_t r = 0; r < by_case_id.size(); ++r) case_rank[by_case_id[r]] = r;
  }
};

ProjectionFold::ProjectionFold(const FoldOptions& options) : s_(std::make_unique<State>(options)) {}

ProjectionFold::~ProjectionFold() = default;

void ProjectionFold::Add(const Fact& f) {
  // Every event reaches the rows and the rules' view here, so voids are decided here.
  if (f.type == EventType::RECORD_VOIDED) {
    s_->AddVoid(f);
    return;
  }
  if (IsVoidable(f.type) && s_->Voided(f.id)) return;  // as if it had never arrived
  if (IsAlertType(f.type)) {
    if (s_->options.rows) s_->AddAlertEvent(f);
  } else if (!f.case_id.empty()) {
    s_->AddCaseEvent(f);
  } else if (f.type == EventType::INCIDENT_REPORTED && s_->options.history) {
    s_->incidents[s_->names.Of(f.subject)].push_back(
        {f.occurred_at, f.recorded_at, f.id, s_->names.Of(f.incident), f.category});
  }
  if (s_->options.rows && IsIndicatorType(f.type)) {
    s_->indicators.push_back({static_cast<uint64_t>(f.occurred_at), f.id, EncodeIndicatorFact(f)});
  }
}

Status ProjectionFold::Settle() {
  s_->Settle();
  return s_->error;
}

Status ProjectionFold::EmitAlerts(RowSink* sink) const {
  std::vector<const AlertEntry*> alerts;
  alerts.reserve(s_->alerts.size());
  for (const auto& [id, entry] : s_->alerts) alerts.push_back(&entry);
  std::sort(alerts.begin(), alerts.end(), [](const AlertEntry* a, const AlertEntry* b) {
    return a->state.alert < b->state.alert;
  });
  std::string key;
  for (const AlertEntry* a : alerts) {
    rows::SetAlertKey(&key, a->state.alert);
    HOLDFAST_RETURN_IF_ERROR(sink->Put(key, EncodeAlert(a->state)));
  }
  return Status::Ok();
}

Status ProjectionFold::EmitAlertIndex(RowSink* sink) const {
  // Every row to write or delete, in key order (a key is never both: a row held and
  // still standing is written again).
  std::vector<std::pair<std::string, bool>> changes;  // (key, delete)
  for (const auto& [id, entry] : s_->alerts) {
    std::vector<std::string> now = AlertIndexKeys(entry.state);
    for (const std::string& held : entry.held_index) {
      if (std::find(now.begin(), now.end(), held) == now.end()) changes.emplace_back(held, true);
    }
    for (std::string& key : now) changes.emplace_back(std::move(key), false);
  }
  std::sort(changes.begin(), changes.end());
  for (const auto& [key, deleted] : changes) {
    HOLDFAST_RETURN_IF_ERROR(deleted ? sink->Delete(key) : sink->Put(key, ""));
  }
  if (!s_->latest_alert_change) return Status::Ok();
  return sink->Put(rows::kLatestAlertChangeKey,
                   keys::Fixed64BE(static_cast<uint64_t>(*s_->latest_alert_change)));
}

Status ProjectionFold::EmitStanding(RowSink* sink) const {
  std::string key;
  StandingRow row;
  for (uint32_t c : s_->by_case_id) {
    const CaseState& state = s_->states[c];
    for (const Attendance& a : state.standing) {
      rows::SetStandingKey(&key, state.row.case_id, s_->names[a.session]);
      row.recorded_at = a.recorded_at;
      row.id = a.id;
      row.occurred_at = a.occurred_at;
      row.outcome = a.outcome;
      row.intervention.assign(s_->names[a.intervention]);
      HOLDFAST_RETURN_IF_ERROR(sink->Put(key, EncodeStanding(row)));
    }
  }
  return Status::Ok();
}

Status ProjectionFold::EmitStandingByTime(RowSink* sink) const {
  struct TimeRow {
    uint64_t at;
    uint32_t case_rank, case_number, session;
    schema::AttendanceOutcome outcome;
    bool deleted;
  };
  std::vector<TimeRow> by_time;
  for (uint32_t c : s_->by_case_id) {
    for (const Attendance& a : s_->states[c].standing) {
      by_time.push_back(
          {static_cast<uint64_t>(a.occurred_at), s_->case_rank[c], c, a.session, a.outcome, false});
    }
  }
  for (const Replaced& r : s_->replaced) {
    by_time.push_back({static_cast<uint64_t>(r.occurred_at), s_->case_rank[r.case_number],
                       r.case_number, r.session, schema::AttendanceOutcome::ATTENDED, true});
  }
  const Names& names = s_->names;
  std::sort(by_time.begin(), by_time.end(), [&](const TimeRow& a, const TimeRow& b) {
    if (a.at != b.at) return a.at < b.at;
    if (a.case_rank != b.case_rank) return a.case_rank < b.case_rank;
    return names[a.session] < names[b.session];
  });
  std::string key;
  for (const TimeRow& t : by_time) {
    rows::SetStandingTimeKey(&key, static_cast<int64_t>(t.at), s_->cases[t.case_number],
                             names[t.session]);
    if (t.deleted) {
      HOLDFAST_RETURN_IF_ERROR(sink->Delete(key));
    } else {
      const char outcome = static_cast<char>(t.outcome);
      HOLDFAST_RETURN_IF_ERROR(sink->Put(key, std::string_view(&outcome, 1)));
    }
  }
  return Status::Ok();
}

Status ProjectionFold::EmitCaseAlerts(RowSink* sink) const {
  std::string key;
  for (uint32_t c : s_->by_case_id) {
    for (const Uuid& id : s_->states[c].alerts) {
      rows::SetCaseAlertKey(&key, s_->cases[c], id);
      HOLDFAST_RETURN_IF_ERROR(sink->Put(key, ""));
    }
  }
  return Status::Ok();
}

Status ProjectionFold::EmitCases(RowSink* sink) const {
  std::string key;
  for (uint32_t c : s_->by_case_id) {
    const CaseState& state = s_->states[c];
    if (!state.folded) continue;
    rows::SetCaseKey(&key, state.row.case_id);
    HOLDFAST_RETURN_IF_ERROR(sink->Put(key, EncodeCase(state.row)));
  }
  return Status::Ok();
}

Status ProjectionFold::EmitGroups(RowSink* sink) const {
  return s_->EmitCaseMembers(&CaseState::groups, rows::SetGroupKey, sink);
}

Status ProjectionFold::EmitVoids(RowSink* sink) const {
  if (!s_->options.rows) return Status::Ok();
  std::vector<const VoidRow*> voids;
  voids.reserve(s_->voids.size());
  for (const auto& [target, row] : s_->voids) voids.push_back(&row);
  std::sort(voids.begin(), voids.end(),
            [](const VoidRow* a, const VoidRow* b) { return a->target < b->target; });
  std::string key;
  for (const VoidRow* v : voids) {
    rows::SetVoidKey(&key, v->target);
    HOLDFAST_RETURN_IF_ERROR(sink->Put(key, EncodeVoid(*v)));
  }
  return Status::Ok();
}

Status ProjectionFold::EmitIndicators(RowSink* sink) const {
  struct Order {
    uint64_t at;
    Uuid id;
    const std::string* value;
  };
  std::vector<Order> order;
  order.reserve(s_->indicators.size());
  for (const IndicatorRow& r : s_->indicators) order.push_back({r.at, r.id, &r.value});
  std::sort(order.begin(), order.end(), [](const Order& a, const Order& b) {
    return std::tie(a.at, a.id) < std::tie(b.at, b.id);
  });
  std::string key;
  for (const Order& r : order) {
    rows::SetIndicatorKey(&key, static_cast<int64_t>(r.at), r.id);
    HOLDFAST_RETURN_IF_ERROR(sink->Put(key, *r.value));
  }
  return Status::Ok();
}

Status ProjectionFold::EmitProviders(RowSink* sink) const {
  return s_->EmitCaseMembers(&CaseState::referrals, rows::SetProviderKey, sink);
}

Status ProjectionFold::EmitSubjects(RowSink* sink) const {
  std::vector<std::pair<std::string_view, uint32_t>> subjects;  // (subject, case rank)
  for (uint32_t c = 0; c < s_->states.size(); ++c) {
    for (uint32_t s : s_->states[c].subjects) subjects.emplace_back(s_->names[s], s_->case_rank[c]);
  }
  std::sort(subjects.begin(), subjects.end());
  std::string key;
  for (const auto& [subject, rank] : subjects) {
    rows::SetSubjectKey(&key, subject, s_->cases[s_->by_case_id[rank]]);
    HOLDFAST_RETURN_IF_ERROR(sink->Put(key, ""));
  }
  return Status::Ok();
}

Status ProjectionFold::EmitFeed(RowSink* sink) const {
  std::string key(rows::kFeedPrefix);
  for (const auto& [position, value] : s_->feed) {
    key.resize(rows::kFeedPrefix.size());
    keys::PutFixed64BE(&key, position);
    HOLDFAST_RETURN_IF_ERROR(sink->Put(key, value));
  }
  return Status::Ok();
}

bool ProjectionFold::HasFeed() const { return !s_->feed.empty(); }
uint64_t ProjectionFold::FeedEnd() const { return s_->feed.empty() ? 0 : s_->feed.back().first; }

Status ProjectionFold::EmitRows(RowSink* sink) const {
  HOLDFAST_RETURN_IF_ERROR(EmitAlertIndex(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitAlerts(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitStanding(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitStandingByTime(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitCaseAlerts(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitCases(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitFeed(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitGroups(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitIndicators(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitProviders(sink));
  HOLDFAST_RETURN_IF_ERROR(EmitSubjects(sink));
  return EmitVoids(sink);
}

uint32_t ProjectionFold::case_count() const { return static_cast<uint32_t>(s_->states.size()); }

const std::vector<uint32_t>& ProjectionFold::CasesById() const { return s_->by_case_id; }

std::string_view ProjectionFold::CaseId(uint32_t c) const { return s_->cases[c]; }

std::optional<uint32_t> ProjectionFold::FindCase(std::string_view case_id) const {
  const uint32_t c = s_->cases.Find(case_id);
  if (c == Names::kNone) return std::nullopt;
  return c;
}

const CaseRow& ProjectionFold::Row(uint32_t c) const { return s_->states[c].row; }

void ProjectionFold::History(uint32_t c, std::vector<Fact>* facts,
                             std::vector<Fact>* incidents) const {
  const CaseState& state = s_->states[c];
  const Names& names = s_->names;
  facts->resize(state.facts.size() + state.standing.size());
  size_t i = 0;
  for (const CaseFact& cf : state.facts) {
    Fact& f = (*facts)[i++];
    ClearFact(&f);
    f.id = cf.id;
    f.type = cf.type;
    f.occurred_at = cf.occurred_at;
    f.recorded_at = cf.recorded_at;
    f.case_id = state.row.case_id;
    switch (cf.type) {
      case EventType::CASE_OPENED:
        f.subject = names[cf.name];
        f.risk = static_cast<schema::RiskLevel>(cf.value);
        break;
      case EventType::CASE_RISK_CHANGED:
        f.risk = static_cast<schema::RiskLevel>(cf.value);
        f.marac = cf.marac;
        break;
      case EventType::INTERVENTION_STARTED:
      case EventType::INTERVENTION_COMPLETED:
        f.intervention = names[cf.name];
        break;
      case EventType::INTERVENTION_EXITED:
        f.intervention = names[cf.name];
        f.exit_reason = static_cast<schema::ExitReason>(cf.value);
        break;
      case EventType::BREACH_REPORTED:
        f.breach_kind = static_cast<schema::BreachKind>(cf.value);
        break;
      default:
        break;
    }
  }
  for (const Attendance& a : state.standing) {
    Fact& f = (*facts)[i++];
    ClearFact(&f);
    f.id = a.id;
    f.type = EventType::ATTENDANCE_RECORDED;
    f.occurred_at = a.occurred_at;
    f.recorded_at = a.recorded_at;
    f.case_id = state.row.case_id;
    f.session = names[a.session];
    f.intervention = names[a.intervention];
    f.outcome = a.outcome;
  }

  incidents->clear();
  const uint32_t s = state.row.has_opened ? names.Find(state.row.subject) : Names::kNone;
  auto it = s == Names::kNone ? s_->incidents.end() : s_->incidents.find(s);
  if (it == s_->incidents.end()) return;
  for (const Incident& in : it->second) {
    Fact& f = incidents->emplace_back();
    f.id = in.id;
    f.type = EventType::INCIDENT_REPORTED;
    f.occurred_at = in.occurred_at;
    f.recorded_at = in.recorded_at;
    f.subject = state.row.subject;
    f.incident = names[in.incident];
    f.category = in.category;
  }
}

void ProjectionFold::CaseAlerts(uint32_t c, std::vector<AlertState>* alerts) const {
  alerts->clear();
  for (const Uuid& id : s_->states[c].alerts) alerts->push_back(s_->alerts.at(id).state);
}

std::string_view ProjectionFold::AlertCase(const Uuid& alert) const {
  auto it = s_->alerts.find(alert);
  return it == s_->alerts.end() ? std::string_view() : std::string_view(it->second.state.case_id);
}

void ProjectionFold::ForEachNewSubjectRow(
    const std::function<void(std::string_view, std::string_view)>& fn) const {
  for (uint32_t c = 0; c < s_->states.size(); ++c) {
    for (uint32_t s : s_->states[c].subjects) fn(s_->names[s], s_->cases[c]);
  }
}

const std::vector<Uuid>& ProjectionFold::new_voids() const { return s_->new_voids; }

}  // namespace holdfast
