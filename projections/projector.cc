#include "projections/projector.h"

#include <chrono>
#include <set>

#include "eventstore/keys.h"
#include "projections/alert_filter.h"
#include "projections/fold.h"
#include "projections/rebuild.h"
#include "projections/records.h"
#include "projections/row_keys.h"

namespace holdfast {
namespace {

constexpr size_t kChunkEvents = 20000;
constexpr uint64_t kPointReadEvents = 16;
using rows::AlertKey;
using rows::CaseDueKey;
using rows::CaseKey;
using rows::DueKey;
using rows::kCheckpointKey;
using rows::PendingEvalKey;

// The row under `key`, or nullopt when there is none.
Result<std::optional<std::string>> GetRow(const SideTable& table, std::string_view key) {
  auto r = table.Get(key);
  if (r.ok()) return std::optional<std::string>(std::move(r).value());
  if (r.status().code() == Status::Code::kNotFound) return std::optional<std::string>();
  return r.status();
}

// The projections family as it stands, read by the incremental fold.
class TableRows : public HeldRows {
 public:
  explicit TableRows(const SideTable& table) : table_(table) {}
  Result<std::optional<std::string>> Get(const std::string& key) const override {
    return GetRow(table_, key);
  }

 private:
  const SideTable& table_;
};

// The incremental fold's rows, into the batch that carries the checkpoint.
class BatchSink : public RowSink {
 public:
  BatchSink(SideBatch* batch, const SideTable& table) : batch_(batch), table_(table) {}
  Status Put(std::string_view key, std::string_view value) override {
    batch_->Put(table_, key, value);
    return Status::Ok();
  }
  Status Delete(std::string_view key) override {
    batch_->Delete(table_, key);
    return Status::Ok();
  }

 private:
  SideBatch* batch_;
  const SideTable& table_;
};

// Takes the events a fold voided out of the projector's set again unless the batch that
// records their voids was written.
struct VoidedUndo {
  VoidedIds* voided;
  const std::vector<Uuid>& ids;
  bool written;
  ~VoidedUndo() {
    if (!written) {
      for (const Uuid& id : ids) voided->Erase(id);
    }
  }
};

}  // namespace

Projector::Projector(EventStore* store, SideTable table, const RuleConfig& rules,
                     std::function<int64_t()> now)
    : store_(store), table_(std::move(table)), rules_(rules), now_(std::move(now)) {
  if (!now_) {
    now_ = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

Result<std::unique_ptr<Projector>> Projector::Open(EventStore* store, const RuleConfig& rules,
                                                   std::function<int64_t()> now) {
  auto table = store->Table(keys::kProjectionsFamily);
  if (!table.ok()) return table.status();
  std::unique_ptr<Projector> p(new Projector(store, *table, rules, std::move(now)));
  auto checkpoint = GetRow(p->table_, kCheckpointKey);
  if (!checkpoint.ok()) return checkpoint.status();
  if (*checkpoint && (*checkpoint)->size() == 8) {
    p->checkpoint_ = keys::DecodeFixed64BE((*checkpoint)->data());
  }
  HOLDFAST_RETURN_IF_ERROR(p->LoadVoided());
  return p;
}

Status Projector::LoadVoided() {
  voided_.Clear();
  return table_.Scan(rows::kVoidPrefix, [&](std::string_view key, std::string_view) {
    if (key.size() == rows::kVoidPrefix.size() + 16) voided_.Insert(rows::EventOfVoidKey(key));
    return true;
  });
}

void Projector::SetRules(const RuleConfig& rules) {
  std::lock_guard<std::mutex> l(mu_);
  rules_ = rules;
}

const char* AlertChangeName(AlertChange change) {
  switch (change) {
    case AlertChange::kRaised:
      return "raised";
    case AlertChange::kMoved:
      return "raise_moved";
    case AlertChange::kWithdrawn:
      return "withdrawn";
    case AlertChange::kAcknowledged:
      return "acknowledged";
    case AlertChange::kResolved:
      return "resolved";
    case AlertChange::kAssigned:
      return "assigned";
  }
  return "unknown";
}

int Projector::AddFeedListener(std::function<void(uint64_t)> listener) {
  std::lock_guard<std::mutex> l(feed_mu_);
  const int handle = ++last_feed_handle_;
  feed_listeners_.emplace(handle, std::move(listener));
  return handle;
}

void Projector::RemoveFeedListener(int handle) {
  std::lock_guard<std::mutex> l(feed_mu_);
  feed_listeners_.erase(handle);
}

void Projector::NotifyFeed(uint64_t last_cursor) {
  std::lock_guard<std::mutex> l(feed_mu_);
  for (const auto& [handle, listener] : feed_listeners_) listener(last_cursor);
}

Status Projector::ScanFeed(uint64_t after, const std::function<bool(const FeedEntry&)>& fn) const {
  const std::string start = rows::FeedKey(after + 1);
  Status bad;
  FeedEntry entry;
  HOLDFAST_RETURN_IF_ERROR(table_.Scan(
      rows::kFeedPrefix,
      [&](std::string_view key, std::string_view value) {
        if (key.size() != rows::kFeedPrefix.size() + 8 || !DecodeFeedValue(value, &entry)) {
          bad = Status::Corruption("a feed/ row does not decode: run holdfast projections rebuild");
          return false;
        }
        entry.cursor = rows::PositionOfFeedKey(key);
        return fn(entry);
      },
      start));
  return bad;
}

Result<uint64_t> Projector::FeedEnd() const {
  uint64_t end = 0;
  HOLDFAST_RETURN_IF_ERROR(
      table_.ScanBackward(rows::kFeedPrefix, {}, [&](std::string_view key, std::string_view) {
        if (key.size() == rows::kFeedPrefix.size() + 8) end = rows::PositionOfFeedKey(key);
        return false;
      }));
  return end;
}

uint64_t Projector::checkpoint() const {
  std::lock_guard<std::mutex> l(mu_);
  return checkpoint_;
}

Status Projector::ScanPending(uint64_t last, const EventStore::ScanFn& fn) const {
  if (last - checkpoint_ > kPointReadEvents) return store_->ScanLog(checkpoint_, fn);
  // A few events (the usual catch-up after one append): point reads, no log iterator.
  for (uint64_t position = checkpoint_ + 1; position <= last; ++position) {
    auto e = store_->GetAt(position);
    if (!e.ok()) return e.status();
    if (!fn(position, e->reader())) break;
  }
  return Status::Ok();
}

Status Projector::FoldPending(std::set<std::string>* dirty,
                              const std::function<void(uint64_t, uint64_t)>& progress,
                              std::optional<uint64_t> through) {
  const uint64_t last = std::min(store_->LastPosition(), through.value_or(UINT64_MAX));
  // While the store takes no writes (a full disk) nothing folded could be kept: fail before
  // reading. The checkpoint stays, so the next call folds from there.
  if (checkpoint_ < last) HOLDFAST_RETURN_IF_ERROR(store_->CanWrite());
  while (checkpoint_ < last) {
    const TableRows held(table_);
    FoldOptions options;
    options.held = &held;
    options.voided = &voided_;
    ProjectionFold fold(options);
    uint64_t reached = checkpoint_;
    size_t n = 0;
    std::set<std::string> incident_subjects;
    Fact f;  // reused: its strings keep their storage from one event to the next
    HOLDFAST_RETURN_IF_ERROR(ScanPending(last, [&](uint64_t position, schema::Event::Reader e) {
      if (position > last) return false;
      FactInto(e, &f);
      f.position = position;
      fold.Add(f);
      if (IsAlertType(f.type)) {
        // Another node's derivation may now stand: this node evaluates the case again and,
        // if its rules say otherwise, derives over it (docs/alert-lifecycle.md).
        if ((f.type == EventType::ALERT_RAISED || f.type == EventType::ALERT_WITHDRAWN) &&
            OriginNode(f.origin) != store_->node_id()) {
          const std::string_view case_id = fold.AlertCase(f.alert);
          if (!case_id.empty()) dirty->emplace(case_id);
        }
      } else if (!f.case_id.empty()) {
        dirty->insert(f.case_id);
      } else if (f.type == EventType::INCIDENT_REPORTED) {
        incident_subjects.insert(f.subject);
      }
      reached = position;
      return ++n < kChunkEvents;
    }));
    HOLDFAST_RETURN_IF_ERROR(fold.Settle());
    SideBatch batch;
    BatchSink sink(&batch, table_);
    HOLDFAST_RETURN_IF_ERROR(fold.EmitRows(&sink));
    // Events voided for the first time by this chunk: from now on they are skipped, and
    // what those already folded wrote is taken out, after the chunk's rows in the batch.
    // Should the batch not be written, they are not voided here yet.
    VoidedUndo undo{&voided_, fold.new_voids(), false};
    for (const Uuid& id : fold.new_voids()) voided_.Insert(id);
    HOLDFAST_RETURN_IF_ERROR(TakeOutVoided(fold.new_voids(), &batch, dirty, &incident_subjects));
    // An incident touches every case of its subject, held already or opened in this chunk.
    fold.ForEachNewSubjectRow([&](std::string_view subject, std::string_view case_id) {
      if (incident_subjects.count(std::string(subject)) > 0) dirty->emplace(case_id);
    });
    for (const auto& subject : incident_subjects) {
      const std::string prefix = rows::SubjectCasesPrefix(subject);
      HOLDFAST_RETURN_IF_ERROR(table_.Scan(prefix, [&](std::string_view k, std::string_view) {
        dirty->emplace(rows::CaseOfSubjectKey(k, subject));
        return true;
      }));
    }
    if (rules_.derive) {
      for (const auto& c : *dirty) batch.Put(table_, PendingEvalKey(c), "");
    }
    batch.Put(table_, kCheckpointKey, keys::Fixed64BE(reached));
    HOLDFAST_RETURN_IF_ERROR(store_->Write(batch));
    undo.written = true;
    checkpoint_ = reached;
    if (fold.HasFeed()) NotifyFeed(fold.FeedEnd());
    if (progress) progress(checkpoint_, last);
  }
  return Status::Ok();
}

Status Projector::TakeOutVoided(const std::vector<Uuid>& voided, SideBatch* batch,
                                std::set<std::string>* dirty,
                                std::set<std::string>* incident_subjects) {
  std::set<std::string> cases;
  for (const Uuid& id : voided) {
    auto e = store_->Get(id);
    if (e.status().code() == Status::Code::kNotFound) continue;  // voided before it arrives
    if (!e.ok()) return e.status();
    const Fact f = FactOf(e->reader());
    if (!IsVoidable(f.type)) continue;  // a void of an alert event (or a void) changes nothing
    if (!f.case_id.empty()) {
      cases.insert(f.case_id);
    } else if (f.type == EventType::INCIDENT_REPORTED) {
      batch->Delete(table_, rows::IndicatorKey(f.occurred_at, f.id));
      incident_subjects->insert(f.subject);  // its subject's cases are evaluated again
    }
    // session.held writes no row.
  }
  for (const auto& case_id : cases) {
    HOLDFAST_RETURN_IF_ERROR(RefoldCase(case_id, batch));
    dirty->insert(case_id);
  }
  return Status::Ok();
}

Status Projector::RefoldCase(const std::string& case_id, SideBatch* batch) {
  std::vector<Fact> facts;
  HOLDFAST_RETURN_IF_ERROR(
      store_->ScanStream("case/" + case_id, [&](uint64_t, schema::Event::Reader e) {
        facts.push_back(FactOf(e));
        return true;
      }));
  // Every row an event of the case may have written goes, voided or not (fold.cc writes
  // these: the case row, its subjects, standing attendance, referrals, groups, indicator
  // facts); the fold below puts back those its events still support.
  batch->Delete(table_, CaseKey(case_id));
  for (const Fact& f : facts) {
    switch (f.type) {
      case EventType::CASE_OPENED:
        batch->Delete(table_, rows::SubjectKey(f.subject, case_id));
        break;
      case EventType::ATTENDANCE_RECORDED:
        batch->Delete(table_, rows::StandingKey(case_id, f.session));
        batch->Delete(table_, rows::StandingTimeKey(f.occurred_at, case_id, f.session));
        break;
      case EventType::INTERVENTION_REFERRED:
        batch->Delete(table_, rows::ProviderKey(f.provider, case_id, f.intervention));
        break;
      case EventType::INTERVENTION_STARTED:
        if (!f.group.empty()) {
          batch->Delete(table_, rows::GroupKey(f.group, case_id, f.intervention));
        }
        break;
      default:
        break;
    }
    if (IsIndicatorType(f.type)) batch->Delete(table_, rows::IndicatorKey(f.occurred_at, f.id));
  }
  FoldOptions options;
  options.voided = &voided_;
  ProjectionFold fold(options);
  for (const Fact& f : facts) {
    if (!IsAlertType(f.type)) fold.Add(f);  // the alerts' rows are the alert events' own
  }
  HOLDFAST_RETURN_IF_ERROR(fold.Settle());
  BatchSink sink(batch, table_);
  return fold.EmitRows(&sink);
}

Status Projector::LoadCaseFacts(const std::string& case_id, std::vector<Fact>* facts,
                                std::vector<Fact>* incidents, std::optional<CaseRow>* row) const {
  auto r = GetCase(case_id);
  if (!r.ok()) return r.status();
  *row = *r;
  // A case not opened (yet) is not evaluated: its history need not be read.
  if (!*row || !(*row)->has_opened) return Status::Ok();
  // What the rules read of the case comes from a fold of its history and its subject's
  // incidents: the fold the rebuild evaluates from, so both see the same (corrections).
  FoldOptions options;
  options.rows = false;
  options.history = true;
  options.voided = &voided_;
  ProjectionFold fold(options);
  Fact f;
  HOLDFAST_RETURN_IF_ERROR(
      store_->ScanStream("case/" + case_id, [&](uint64_t, schema::Event::Reader e) {
        FactInto(e, &f);
        fold.Add(f);
        return true;
      }));
  HOLDFAST_RETURN_IF_ERROR(
      store_->ScanStream("subject/" + (*row)->subject, [&](uint64_t, schema::Event::Reader e) {
        if (e.isIncidentReported()) {
          FactInto(e, &f);
          fold.Add(f);
        }
        return true;
      }));
  HOLDFAST_RETURN_IF_ERROR(fold.Settle());
  if (auto c = fold.FindCase(case_id)) fold.History(*c, facts, incidents);
  return Status::Ok();
}

Status Projector::Evaluate(const std::set<std::string>& cases, bool* appended) {
  const int64_t now = now_();
  // The version vector before the facts are read: every event it counts is among them.
  const VersionVector view = store_->HighWaterMarks();
  SideBatch due;
  // Every case's lifecycle events go in one append: one fsync, however many cases changed.
  std::vector<Event> lifecycle;
  for (const auto& case_id : cases) {
    std::vector<Fact> facts, incidents;
    std::optional<CaseRow> row;
    HOLDFAST_RETURN_IF_ERROR(LoadCaseFacts(case_id, &facts, &incidents, &row));
    auto standing = CaseAlerts(case_id);
    if (!standing.ok()) return standing.status();
    // A case without an opening (not yet arrived, or voided) supports no alert: those it
    // raised while its opening stood are withdrawn.
    const bool opened = row && row->has_opened;
    if (!opened && standing->empty()) continue;
    const CaseContext context = BuildCaseContext(facts);
    auto derived = EvaluateContext(context, incidents, rules_, now);
    for (auto& e : PlanLifecycle(case_id, derived, *standing, store_->node_id(), view)) {
      lifecycle.push_back(std::move(e));
    }
    // The next no_contact deadline of this case, for Tick (written only when it moves).
    auto old = GetRow(table_, CaseDueKey(case_id));
    if (!old.ok()) return old.status();
    std::optional<int64_t> held;
    if (*old && (*old)->size() == 8) {
      held = static_cast<int64_t>(keys::DecodeFixed64BE((*old)->data()));
    }
    auto next = opened ? NextDeadline(context, rules_, now) : std::nullopt;
    if (next == held) continue;
    if (held) {
      due.Delete(table_, DueKey(*held, case_id));
      due.Delete(table_, CaseDueKey(case_id));
    }
    if (next) {
      due.Put(table_, DueKey(*next, case_id), "");
      due.Put(table_, CaseDueKey(case_id), keys::Fixed64BE(static_cast<uint64_t>(*next)));
    }
  }
  // Until the lifecycle events are durable the cases stay marked for evaluation (a later
  // CatchUp, or the next start, evaluates them again; their alert ids make that idempotent).
  pending_loaded_ = false;
  if (!due.empty()) {
    HOLDFAST_RETURN_IF_ERROR(store_->Write(due));
  }
  if (!lifecycle.empty()) {
    auto r = store_->Append(std::move(lifecycle));
    if (!r.ok()) return r.status();
    for (const auto& e : r->events) *appended = *appended || !e.duplicate;
  }
  SideBatch evaluated;
  for (const auto& case_id : cases) evaluated.Delete(table_, PendingEvalKey(case_id));
  HOLDFAST_RETURN_IF_ERROR(store_->Write(evaluated));
  pending_loaded_ = true;
  return Status::Ok();
}

Status Projector::CatchUp() {
  std::lock_guard<std::mutex> l(mu_);
  return CatchUpLocked(std::nullopt);
}

Status Projector::CatchUpThrough(uint64_t last) {
  std::lock_guard<std::mutex> l(mu_);
  return CatchUpLocked(last);
}

Status Projector::CatchUpLocked(std::optional<uint64_t> through) {
  for (int round = 0; round < 8; ++round) {
    std::set<std::string> dirty;
    HOLDFAST_RETURN_IF_ERROR(FoldPending(&dirty, nullptr, through));
    if (rules_.derive && !pending_loaded_) {
      // Cases folded before a crash or a failed evaluation, not evaluated since.
      HOLDFAST_RETURN_IF_ERROR(
          table_.Scan(rows::kPendingEvalPrefix, [&](std::string_view k, std::string_view) {
            dirty.emplace(rows::CaseOfPendingEvalKey(k));
            return true;
          }));
      pending_loaded_ = true;
    }
    if (!rules_.derive || dirty.empty()) return Status::Ok();
    bool appended = false;
    HOLDFAST_RETURN_IF_ERROR(Evaluate(dirty, &appended));
    // Through a position: what was appended lies past events not to be folded yet.
    if (!appended || through) return Status::Ok();
    // The lifecycle events just appended are folded on the next round; this node's own
    // mark no case for evaluation.
  }
  return Status::Ok();
}

Status Projector::Tick() {
  std::lock_guard<std::mutex> l(mu_);
  if (!rules_.derive) return Status::Ok();
  std::set<std::string> dirty;
  HOLDFAST_RETURN_IF_ERROR(FoldPending(&dirty, nullptr));
  const std::string until = DueKey(now_() + 1, "");  // deadlines at or before now
  HOLDFAST_RETURN_IF_ERROR(table_.Scan(rows::kDuePrefix, [&](std::string_view k, std::string_view) {
    if (k >= until) return false;
    dirty.emplace(rows::CaseOfDueKey(k));
    return true;
  }));
  if (dirty.empty()) return Status::Ok();
  bool appended = false;
  HOLDFAST_RETURN_IF_ERROR(Evaluate(dirty, &appended));
  std::set<std::string> more;
  return FoldPending(&more, nullptr);
}

Status Projector::Rebuild(const std::function<void(uint64_t, uint64_t)>& progress) {
  std::lock_guard<std::mutex> l(mu_);
  HOLDFAST_RETURN_IF_ERROR(store_->CanWrite());
  RebuildOptions options;
  options.rules = rules_;
  options.now = now_();
  options.view = store_->HighWaterMarks();  // before `last`: every event it counts is read
  options.last = store_->LastPosition();
  options.node_id = store_->node_id();
  options.progress = progress;
  std::vector<Event> lifecycle;
  HOLDFAST_RETURN_IF_ERROR(RebuildProjections(store_, table_, options, &lifecycle));
  // The feed is the same as before (a function of the log), but a reader may have missed
  // entries that the rows just replaced had not yet told of.
  if (auto end = FeedEnd(); end.ok() && *end > 0) NotifyFeed(*end);
  checkpoint_ = options.last;
  HOLDFAST_RETURN_IF_ERROR(LoadVoided());
  if (!lifecycle.empty()) {
    auto r = store_->Append(std::move(lifecycle));
    if (!r.ok()) return r.status();
  }
  // The lifecycle events just appended, and whatever arrived meanwhile, folded as usual.
  return CatchUpLocked(std::nullopt);
}

Result<std::vector<AlertState>> Projector::CaseAlerts(const std::string& case_id) const {
  std::vector<AlertState> out;
  Status s =
      table_.Scan(rows::CaseAlertsPrefix(case_id), [&](std::string_view k, std::string_view) {
        auto bytes = table_.Get(AlertKey(rows::AlertOfCaseAlertKey(k)));
        AlertState a;
        if (bytes.ok() && DecodeAlert(*bytes, &a)) out.push_back(std::move(a));
        return true;
      });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<ListedAlert>> Projector::ListAlerts(const AlertFilter& filter) const {
  std::vector<ListedAlert> out;
  HOLDFAST_RETURN_IF_ERROR(ScanAlerts(filter, std::nullopt, [&](const ListedAlert& a) {
    out.push_back(a);
    return true;
  }));
  return out;
}

Status Projector::ScanAlerts(const AlertFilter& filter, const std::optional<AlertCursor>& after,
                             const std::function<bool(const ListedAlert&)>& fn) const {
  const SideTable at = table_.AtSnapshot();
  // Whether the alert is listed, and as what.
  auto selected = [&](const AlertState& a) -> std::optional<std::string> {
    if (after && std::tie(a.raised_at, a.alert) <= std::tie(after->raised_at, after->alert)) {
      return std::nullopt;
    }
    auto status = StatusAsOf(a, filter.as_of);
    if (!status) return std::nullopt;
    if (filter.status != "all" && *status != filter.status) return std::nullopt;
    if (!filter.rule.empty() && RuleName(a.rule) != filter.rule) return std::nullopt;
    if (!MatchesTriage(filter, a)) return std::nullopt;
    return status;
  };
  // Reads the alert and gives it to fn if it is listed; false once fn has had enough.
  Status status;
  ListedAlert listed;
  auto offer = [&](const Uuid& id) {
    auto bytes = at.Get(AlertKey(id));
    if (!bytes.ok()) {
      status = bytes.status();
      return false;
    }
    if (!DecodeAlert(*bytes, &listed.state)) {
      status = Status::Corruption("undecodable alert record");
      return false;
    }
    auto as = selected(listed.state);
    if (!as) return true;
    listed.status = std::move(*as);
    return fn(listed);
  };

  if (!filter.case_id.empty()) {
    // A case's alerts are few: its calert/ rows, put in listing order here.
    std::vector<AlertCursor> order;
    HOLDFAST_RETURN_IF_ERROR(
        at.Scan(rows::CaseAlertsPrefix(filter.case_id), [&](std::string_view k, std::string_view) {
          auto bytes = at.Get(AlertKey(rows::AlertOfCaseAlertKey(k)));
          AlertState a;
          if (bytes.ok() && DecodeAlert(*bytes, &a) && selected(a)) {
            order.push_back({a.raised_at, a.alert});
          }
          return true;
        }));
    std::sort(order.begin(), order.end(), [](const AlertCursor& a, const AlertCursor& b) {
      return std::tie(a.raised_at, a.alert) < std::tie(b.raised_at, b.alert);
    });
    for (const auto& key : order) {
      if (!offer(key.alert)) break;
    }
    return status;
  }

  // Otherwise one of the listing-order indexes (aidx/, row_keys.h), read from where the
  // listing starts, so a page reads its own alerts and not every alert the node holds:
  // the assignee's alerts; or one status's, when every acknowledgement and resolution the
  // node holds happened by `as_of` (so each alert is listed as the status it is filed
  // under, or not at all); or else every raised alert.
  std::string prefix(rows::kAlertsByRaisePrefix);
  if (!filter.assigned_to.empty()) {
    prefix = rows::AlertsByAssigneePrefix(filter.assigned_to);
  } else if (filter.status != "all") {
    auto latest = GetRow(at, std::string(rows::kLatestAlertChangeKey));
    if (!latest.ok()) return latest.status();
    if (!*latest || ((*latest)->size() == 8 && static_cast<int64_t>(keys::DecodeFixed64BE(
                                                   (*latest)->data())) <= filter.as_of)) {
      prefix = rows::AlertsByStatusPrefix(filter.status);
    }
  }
  std::string start = prefix;
  if (filter.since) start = std::max(start, rows::AlertOrderKey(prefix, *filter.since));
  if (after)
    start = std::max(start, rows::AlertOrderKeyAfter(prefix, after->raised_at, after->alert));
  HOLDFAST_RETURN_IF_ERROR(at.Scan(
      prefix, [&](std::string_view k, std::string_view) { return offer(rows::AlertOfIndexKey(k)); },
      start));
  return status;
}

Result<std::optional<AlertState>> Projector::GetAlert(const Uuid& alert) const {
  auto bytes = GetRow(table_, AlertKey(alert));
  if (!bytes.ok()) return bytes.status();
  if (!*bytes) return std::optional<AlertState>();
  AlertState a;
  if (!DecodeAlert(**bytes, &a)) return Status::Corruption("undecodable alert record");
  return std::optional<AlertState>(std::move(a));
}

Result<std::optional<CaseRow>> Projector::GetCase(const std::string& case_id) const {
  auto bytes = GetRow(table_, CaseKey(case_id));
  if (!bytes.ok()) return bytes.status();
  if (!*bytes) return std::optional<CaseRow>();
  CaseRow row;
  if (!DecodeCase(**bytes, &row)) return Status::Corruption("undecodable case record");
  return std::optional<CaseRow>(std::move(row));
}

Result<std::vector<CaseRow>> Projector::ListCases() const {
  std::vector<CaseRow> out;
  HOLDFAST_RETURN_IF_ERROR(ScanCases("", [&](const CaseRow& row) {
    out.push_back(row);
    return true;
  }));
  return out;
}

Status Projector::ScanCases(const std::string& after,
                            const std::function<bool(const CaseRow&)>& fn) const {
  // "case/<after>\0" is the first key after the cursor's own ("case/<after>" itself).
  const std::string start = after.empty() ? "" : CaseKey(after) + std::string(1, '\0');
  return table_.Scan(
      rows::kCasePrefix,
      [&](std::string_view, std::string_view v) {
        CaseRow row;
        if (DecodeCase(v, &row) && row.has_opened) return fn(row);
        return true;
      },
      start);
}

Status Projector::ScanProviderCases(const std::string& provider, const std::string& after,
                                    const std::function<bool(const CaseRow&)>& fn) const {
  const SideTable at = table_.AtSnapshot();  // the prov/ rows and the case rows agree
  const std::string prefix = rows::ProviderCasesPrefix(provider);
  // "prov/<provider>\0<after>\x01" is the first key after every row of the cursor's case
  // (an identifier holds no control character).
  const std::string start = after.empty() ? "" : prefix + after + std::string(1, '\x01');
  std::string last;
  Status status;
  HOLDFAST_RETURN_IF_ERROR(at.Scan(
      prefix,
      [&](std::string_view key, std::string_view) {
        const std::string_view case_id = rows::CaseOfProviderKey(key, provider);
        if (case_id == last) return true;  // its other interventions at the provider
        last.assign(case_id);
        auto bytes = GetRow(at, CaseKey(last));
        if (!bytes.ok()) {
          status = bytes.status();
          return false;
        }
        CaseRow row;
        if (!*bytes) return true;  // referred before its opening arrived: not listed yet
        if (!DecodeCase(**bytes, &row)) {
          status = Status::Corruption("undecodable case record");
          return false;
        }
        return !row.has_opened || fn(row);
      },
      start));
  return status;
}

Result<std::vector<std::string>> Projector::ProviderInterventions(
    const std::string& provider, const std::string& case_id) const {
  std::vector<std::string> out;
  HOLDFAST_RETURN_IF_ERROR(table_.Scan(
      rows::ProviderCasePrefix(provider, case_id), [&](std::string_view key, std::string_view) {
        out.emplace_back(rows::InterventionOfProviderKey(key, provider));
        return true;
      }));
  return out;
}

Result<bool> Projector::IsReferredTo(const std::string& provider, const std::string& case_id,
                                     const std::string& intervention) const {
  auto row = GetRow(table_, rows::ProviderKey(provider, case_id, intervention));
  if (!row.ok()) return row.status();
  return row->has_value();
}

Result<std::optional<VoidRow>> Projector::GetVoid(const Uuid& event) const {
  auto bytes = GetRow(table_, rows::VoidKey(event));
  if (!bytes.ok()) return bytes.status();
  if (!*bytes) return std::optional<VoidRow>();
  VoidRow v;
  if (!DecodeVoid(**bytes, &v)) return Status::Corruption("undecodable void record");
  v.target = event;
  return std::optional<VoidRow>(std::move(v));
}

Status Projector::ScanGroup(
    const std::string& group,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  return table_.Scan(rows::GroupPrefix(group), [&](std::string_view key, std::string_view) {
    return fn(rows::CaseOfGroupKey(key, group), rows::InterventionOfGroupKey(key, group));
  });
}

Result<IndicatorReport> Projector::Indicators(int64_t from, int64_t to) const {
  IndicatorBuilder builder(from, to);
  using rows::kIndicatorPrefix;
  using rows::kStandingTimePrefix;
  const std::string ind_end = rows::TimeKey(kIndicatorPrefix, to);
  HOLDFAST_RETURN_IF_ERROR(table_.Scan(
      kIndicatorPrefix,
      [&](std::string_view k, std::string_view v) {
        if (k >= ind_end) return false;
        Fact f;
        if (DecodeIndicatorFact(v, rows::TimeOfKey(kIndicatorPrefix, k), &f)) builder.AddEvent(f);
        return true;
      },
      rows::TimeKey(kIndicatorPrefix, from)));
  const std::string att_end = rows::TimeKey(kStandingTimePrefix, to);
  HOLDFAST_RETURN_IF_ERROR(table_.Scan(
      kStandingTimePrefix,
      [&](std::string_view k, std::string_view v) {
        if (k >= att_end) return false;
        if (v.size() == 1) {
          builder.AddStandingAttendance(rows::TimeOfKey(kStandingTimePrefix, k),
                                        static_cast<schema::AttendanceOutcome>(v[0]));
        }
        return true;
      },
      rows::TimeKey(kStandingTimePrefix, from)));
  HOLDFAST_RETURN_IF_ERROR(
      table_.Scan(rows::kAlertPrefix, [&](std::string_view, std::string_view v) {
        AlertState a;
        if (DecodeAlert(v, &a)) builder.AddAlert(a);
        return true;
      }));
  return builder.Finish();
}

Status Projector::ScanSubjectCases(const std::string& subject,
                                   const std::function<bool(std::string_view)>& fn) const {
  return table_.Scan(rows::SubjectCasesPrefix(subject),
                     [&](std::string_view key, std::string_view) {
                       return fn(rows::CaseOfSubjectKey(key, subject));
                     });
}

}  // namespace holdfast
