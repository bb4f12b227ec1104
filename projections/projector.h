// Projector: folds the store's log into the projections a node answers from (cases,
// standing attendance, alerts, indicator facts) and, on a deriving node, appends the alert
// lifecycle events the rules call for.
//
// State lives in the store's "projections" column family (its rows and their keys:
// projections/row_keys.h), written in one batch with the checkpoint (the last log position
// folded), so a crash never leaves it half-applied; on start the projector catches up from
// the checkpoint. Incremental folding and the rebuild fold through one fold
// (projections/fold.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event_store.h"
#include "projections/alert_state.h"
#include "projections/indicators.h"
#include "projections/rules.h"

namespace holdfast {

struct CaseRow {
  std::string case_id, subject, lead_agency;
  bool has_opened = false, has_closed = false;
  int64_t opened_at = 0, closed_at = 0;
  std::tuple<int64_t, uint64_t, Uuid> opened_key{}, closed_key{}, risk_key{};
  bool has_risk = false;
  schema::OrderKind order = schema::OrderKind::COMMUNITY_ORDER;
  schema::RiskLevel risk = schema::RiskLevel::STANDARD;
  uint32_t events = 0;
};

// A void standing over an event (SPEC "Keeping the record right"): the event is treated as
// absent everywhere. Of several voids of one event the canonically first (occurred_at,
// recorded_at, id) stands; the others change nothing.
struct VoidRow {
  Uuid target;   // the voided event
  Uuid void_id;  // the record.voided event
  int64_t occurred_at = 0;
  uint64_t recorded_at = 0;
  std::string reason, user;
};

struct AlertFilter {
  std::string status = "open";  // open | acknowledged | resolved | withdrawn | all
  std::string rule;             // empty for every rule
  std::string case_id;          // empty for every case
  int64_t as_of = 0;
  // Triage (projections/alert_filter.h, MatchesTriage): empty or unset for no filter.
  std::vector<schema::Severity> severities;  // any of these
  std::optional<int64_t> since;              // raised at or after (the standing raise time)
  std::string subject;                       // this subject's alerts
  std::string assigned_to;                   // assigned to this user (--mine)
};

struct ListedAlert {
  AlertState state;
  std::string status;
};

// One change of an alert as this node saw it happen (SPEC "Alerts reach people", the feed):
// an alert.* event, folded in local log order, that changed what the alert shows.
enum class AlertChange { kRaised, kMoved, kWithdrawn, kAcknowledged, kResolved, kAssigned };
// "raised", "raise_moved", "withdrawn", "acknowledged", "resolved", "assigned".
const char* AlertChangeName(AlertChange change);

struct FeedEntry {
  // The local log position of the event that made the change: the feed's cursor. Feed
  // entries are a function of the local log (a rebuild makes the same ones), so a cursor
  // stays good across restarts and rebuilds.
  uint64_t cursor = 0;
  AlertChange change = AlertChange::kRaised;
  Uuid event;          // the alert.* event that made it
  AlertState alert;    // the alert after the change
  std::string status;  // open | acknowledged | resolved | withdrawn, after the change
};

// Alerts are listed by raise time, then id; a listing resumes after this one.
struct AlertCursor {
  int64_t raised_at = 0;
  Uuid alert;
};

class Projector {
 public:
  // `now` gives the evaluation time for rules (unix nanoseconds); tests may fix it.
  static Result<std::unique_ptr<Projector>> Open(EventStore* store, const RuleConfig& rules,
                                                 std::function<int64_t()> now = nullptr);

  // Folds every event the log holds beyond the checkpoint, then (deriving) evaluates the
  // touched cases and appends lifecycle events, folding those too. Thread-safe; when it
  // returns, every query reflects the whole log as it was when it was called.
  Status CatchUp();
  // CatchUp's first step only, folding the log through position `last` and no further,
  // then (deriving) evaluating and appending without folding what it appended: what the
  // daemon's fold thread does when it folds one sync batch while the next is being
  // stored. For tests that stop a node between storing events and folding them.
  Status CatchUpThrough(uint64_t last);
  // Re-evaluates cases whose no_contact deadline has passed (the daemon's timer).
  Status Tick();
  // Drops every projection and folds the whole log again, in one pass that holds each
  // case's compact facts in memory, evaluates every case once (deriving) and replaces the
  // column family's rows in one ingested table file (projections/rebuild.h): queries see
  // the old rows until it is done. Then appends and folds the lifecycle events it derived.
  // `progress(done, total)` while it reads the log.
  Status Rebuild(const std::function<void(uint64_t, uint64_t)>& progress = nullptr);
  void SetRules(const RuleConfig& rules);

  // Called (from the folding thread, after the fold is stored) with the last feed cursor
  // whenever the feed gains entries. Keep it short: wake a reader, do not read here.
  // Returns a handle for RemoveFeedListener.
  int AddFeedListener(std::function<void(uint64_t last_cursor)> listener);
  void RemoveFeedListener(int handle);

  // Queries (call CatchUp first for read-your-writes).
  // The feed's entries after `after` (0: from the first), in cursor order, until fn returns
  // false. Reads one snapshot.
  Status ScanFeed(uint64_t after, const std::function<bool(const FeedEntry&)>& fn) const;
  // The last cursor the feed holds (0: none).
  Result<uint64_t> FeedEnd() const;
  Result<std::vector<ListedAlert>> ListAlerts(const AlertFilter& filter) const;
  // The alerts ListAlerts gives, one at a time in the same order (raise time, then id),
  // starting after `after`, until fn returns false. Reads one snapshot, from the listing
  // order's index (aidx/ rows, docs/alert-listing.md): from where the listing starts, the
  // alerts it meets, so a page of a few reads a few, whatever the node holds.
  Status ScanAlerts(const AlertFilter& filter, const std::optional<AlertCursor>& after,
                    const std::function<bool(const ListedAlert&)>& fn) const;
  Result<std::optional<AlertState>> GetAlert(const Uuid& alert) const;
  // The alerts whose id, in hex without dashes, starts with `hex` (lower case hex digits,
  // at least 2), in id order, at most `limit` of them (projections/alert_prefix.cc).
  Result<std::vector<AlertState>> FindAlertsByPrefix(std::string_view hex, size_t limit) const;
  Result<std::optional<CaseRow>> GetCase(const std::string& case_id) const;
  Result<std::vector<CaseRow>> ListCases() const;
  // The cases ListCases gives, in case id order, starting after the case `after` ("": from
  // the first), until fn returns false.
  Status ScanCases(const std::string& after, const std::function<bool(const CaseRow&)>& fn) const;
  // The cases with an intervention referred to `provider` (the provider an
  // intervention.referred names), as ScanCases gives them: in case id order, starting after
  // the case `after`, until fn returns false. Reads the provider's prov/ rows and the case
  // row of each of its cases, from one snapshot: never the log.
  Status ScanProviderCases(const std::string& provider, const std::string& after,
                           const std::function<bool(const CaseRow&)>& fn) const;
  // The interventions of the case referred to `provider`, in id order (none: empty).
  Result<std::vector<std::string>> ProviderInterventions(const std::string& provider,
                                                         const std::string& case_id) const;
  // Whether the case's intervention was referred to `provider`.
  Result<bool> IsReferredTo(const std::string& provider, const std::string& case_id,
                            const std::string& intervention) const;
  Result<IndicatorReport> Indicators(int64_t from, int64_t to) const;
  // The void standing over `event`, if it is voided (whether or not the event is held).
  // Only events that may be voided are ever treated as voided: not alert.*, record.voided
  // or subject.erased (IsVoidable, fold.h), whatever a void names.
  Result<std::optional<VoidRow>> GetVoid(const Uuid& event) const;
  // The interventions that an intervention.started (not voided) put in `group`, as
  // (case, intervention), in case then intervention order, until fn returns false.
  Status ScanGroup(
      const std::string& group,
      const std::function<bool(std::string_view case_id, std::string_view intervention)>& fn) const;
  // The cases the projections' subject index (subj/ rows) holds for `subject`, in case id
  // order, until fn returns false: every case whose earliest opening named the subject (and
  // one that lost its place to an earlier opening naming another). The subject show view.
  Status ScanSubjectCases(const std::string& subject,
                          const std::function<bool(std::string_view case_id)>& fn) const;
  uint64_t checkpoint() const;

 private:
  Projector(EventStore* store, SideTable table, const RuleConfig& rules,
            std::function<int64_t()> now);
  Status CatchUpLocked(std::optional<uint64_t> through);
  // Calls fn for the events after the checkpoint (at least up to `last`), as ScanLog does.
  Status ScanPending(uint64_t last, const EventStore::ScanFn& fn) const;
  // Folds the events after the checkpoint, through `through` when given (else all).
  Status FoldPending(std::set<std::string>* dirty,
                     const std::function<void(uint64_t, uint64_t)>& progress,
                     std::optional<uint64_t> through = std::nullopt);
  Status Evaluate(const std::set<std::string>& cases, bool* appended);
  Status LoadCaseFacts(const std::string& case_id, std::vector<Fact>* facts,
                       std::vector<Fact>* incidents, std::optional<CaseRow>* row) const;
  Result<std::vector<AlertState>> CaseAlerts(const std::string& case_id) const;
  // Tells the feed listeners the feed now runs to `last_cursor`.
  void NotifyFeed(uint64_t last_cursor);
  // The targets of the void/ rows, into voided_.
  Status LoadVoided();
  // For events just voided: refolds the cases they belong to (RefoldCase) and marks them
  // for evaluation; a voided incident's indicator fact goes and its subject is noted.
  Status TakeOutVoided(const std::vector<Uuid>& voided, SideBatch* batch,
                       std::set<std::string>* dirty, std::set<std::string>* incident_subjects);
  // Replaces every row of the case, in `batch`, with a fold of its stream without the
  // voided events.
  Status RefoldCase(const std::string& case_id, SideBatch* batch);

  EventStore* store_;
  SideTable table_;  // the projections family (row_keys.h)
  RuleConfig rules_;
  std::function<int64_t()> now_;
  mutable std::mutex mu_;  // one fold at a time
  std::mutex feed_mu_;     // the feed listeners (taken inside mu_, never around it)
  std::map<int, std::function<void(uint64_t)>> feed_listeners_;
  int last_feed_handle_ = 0;
  uint64_t checkpoint_ = 0;
  // Whether the cases marked for evaluation in the store (eval/) are all in hand.
  bool pending_loaded_ = false;
  // The events voided in the folded log (void/ rows): the fold skips them.
  VoidedIds voided_;
};

}  // namespace holdfast
