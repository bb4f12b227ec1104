#include "projections/projector.h"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <map>
#include <set>

#include "eventstore/keys.h"
#include "projections/fold.h"
#include "projections/rebuild.h"
#include "projections/records.h"
#include "projections/row_keys.h"

namespace holdfast {
namespace {

constexpr const char* kFamily = keys::kProjectionsFamily;
constexpr size_t kChunkEvents = 20000;
constexpr uint64_t kPointReadEvents = 16;
using rows::AlertKey;
using rows::CaseAlertKey;
using rows::CaseDueKey;
using rows::CaseKey;
using rows::DueKey;
using rows::IndicatorKey;
using rows::kCheckpointKey;
using rows::PendingEvalKey;
using rows::StandingKey;
using rows::StandingTimeKey;
using rows::SubjectKey;

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  return Status::IoError(what + ": " + s.ToString());
}

// Calls fn(key, value) for every key with `prefix`, in order, until fn returns false.
template <typename Fn>
Status ScanPrefix(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& prefix,
                  Fn fn, const std::string& start = "",
                  const rocksdb::ReadOptions& options = rocksdb::ReadOptions()) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, cf));
  for (it->Seek(start.empty() ? prefix : start); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    if (!fn(it->key(), it->value())) break;
  }
  return FromRocks(it->status(), "reading projections");
}

// The projections family as it stands, read by the incremental fold.
class FamilyRows : public HeldRows {
 public:
  FamilyRows(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) : db_(db), cf_(cf) {}
  Result<std::optional<std::string>> Get(const std::string& key) const override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), cf_, key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "reading projections");
    return std::optional<std::string>(std::move(value));
  }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
};

// The incremental fold's rows, into the batch that carries the checkpoint.
class BatchSink : public RowSink {
 public:
  BatchSink(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf) : batch_(batch), cf_(cf) {}
  Status Put(std::string_view key, std::string_view value) override {
    return FromRocks(batch_->Put(cf_, rocksdb::Slice(key.data(), key.size()),
                                 rocksdb::Slice(value.data(), value.size())),
                     "batching projections");
  }
  Status Delete(std::string_view key) override {
    return FromRocks(batch_->Delete(cf_, rocksdb::Slice(key.data(), key.size())),
                     "batching projections");
  }

 private:
  rocksdb::WriteBatch* batch_;
  rocksdb::ColumnFamilyHandle* cf_;
};

}  // namespace

Projector::Projector(EventStore* store, rocksdb::ColumnFamilyHandle* cf, const RuleConfig& rules,
                     std::function<int64_t()> now)
    : store_(store), cf_(cf), rules_(rules), now_(std::move(now)) {
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
  auto cf = store->ColumnFamily(kFamily);
  if (!cf.ok()) return cf.status();
  std::unique_ptr<Projector> p(new Projector(store, *cf, rules, std::move(now)));
  std::string value;
  auto s = store->db()->Get(rocksdb::ReadOptions(), *cf, kCheckpointKey, &value);
  if (s.ok() && value.size() == 8) p->checkpoint_ = keys::DecodeFixed64BE(value.data());
  return p;
}

void Projector::SetRules(const RuleConfig& rules) {
  std::lock_guard<std::mutex> l(mu_);
  rules_ = rules;
}

void Projector::SetAlertListener(std::function<void(const AlertState&)> listener) {
  std::lock_guard<std::mutex> l(mu_);
  listener_ = std::move(listener);
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
    const FamilyRows held(store_->db(), cf_);
    FoldOptions options;
    options.held = &held;
    options.track_raised = static_cast<bool>(listener_);
    ProjectionFold fold(options);
    uint64_t reached = checkpoint_;
    size_t n = 0;
    std::set<std::string> incident_subjects;
    HOLDFAST_RETURN_IF_ERROR(ScanPending(last, [&](uint64_t position, schema::Event::Reader e) {
      if (position > last) return false;
      Fact f = FactOf(e);
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
    // An incident touches every case of its subject, held already or opened in this chunk.
    fold.ForEachNewSubjectRow([&](std::string_view subject, std::string_view case_id) {
      if (incident_subjects.count(std::string(subject)) > 0) dirty->emplace(case_id);
    });
    for (const auto& subject : incident_subjects) {
      const std::string prefix = rows::SubjectCasesPrefix(subject);
      HOLDFAST_RETURN_IF_ERROR(ScanPrefix(
          store_->db(), cf_, prefix, [&](const rocksdb::Slice& k, const rocksdb::Slice&) {
            dirty->emplace(rows::CaseOfSubjectKey(std::string_view(k.data(), k.size()), subject));
            return true;
          }));
    }
    rocksdb::WriteBatch batch;
    BatchSink sink(&batch, cf_);
    HOLDFAST_RETURN_IF_ERROR(fold.EmitRows(&sink));
    if (rules_.derive) {
      for (const auto& c : *dirty) batch.Put(cf_, PendingEvalKey(c), "");
    }
    batch.Put(cf_, rocksdb::Slice(kCheckpointKey.data(), kCheckpointKey.size()),
              keys::Fixed64BE(reached));
    HOLDFAST_RETURN_IF_ERROR(store_->Write(&batch));
    checkpoint_ = reached;
    if (listener_) {
      for (const auto& a : fold.raised()) listener_(a);
    }
    if (progress) progress(checkpoint_, last);
  }
  return Status::Ok();
}

Status Projector::LoadCaseFacts(const std::string& case_id, std::vector<Fact>* facts,
                                std::vector<Fact>* incidents, std::optional<CaseRow>* row) const {
  auto r = GetCase(case_id);
  if (!r.ok()) return r.status();
  *row = *r;
  // A case not opened (yet) is not evaluated: its history need not be read.
  if (!*row || !(*row)->has_opened) return Status::Ok();
  HOLDFAST_RETURN_IF_ERROR(
      store_->ScanStream("case/" + case_id, [&](uint64_t, schema::Event::Reader e) {
        if (!e.isAlertRaised()) facts->push_back(FactOf(e));
        return true;
      }));
  return store_->ScanStream("subject/" + (*row)->subject, [&](uint64_t, schema::Event::Reader e) {
    if (e.isIncidentReported()) incidents->push_back(FactOf(e));
    return true;
  });
}

Status Projector::Evaluate(const std::set<std::string>& cases, bool* appended) {
  const int64_t now = now_();
  // The version vector before the facts are read: every event it counts is among them.
  const VersionVector view = store_->HighWaterMarks();
  rocksdb::WriteBatch due;
  // Every case's lifecycle events go in one append: one fsync, however many cases changed.
  std::vector<Event> lifecycle;
  for (const auto& case_id : cases) {
    std::vector<Fact> facts, incidents;
    std::optional<CaseRow> row;
    HOLDFAST_RETURN_IF_ERROR(LoadCaseFacts(case_id, &facts, &incidents, &row));
    if (!row || !row->has_opened) continue;
    const CaseContext context = BuildCaseContext(facts);
    auto derived = EvaluateContext(context, incidents, rules_, now);
    auto standing = CaseAlerts(case_id);
    if (!standing.ok()) return standing.status();
    for (auto& e : PlanLifecycle(case_id, derived, *standing, store_->node_id(), view)) {
      lifecycle.push_back(std::move(e));
    }
    // The next no_contact deadline of this case, for Tick (written only when it moves).
    std::string old;
    std::optional<int64_t> held;
    if (store_->db()->Get(rocksdb::ReadOptions(), cf_, CaseDueKey(case_id), &old).ok() &&
        old.size() == 8) {
      held = static_cast<int64_t>(keys::DecodeFixed64BE(old.data()));
    }
    auto next = NextDeadline(context, rules_, now);
    if (next == held) continue;
    if (held) {
      due.Delete(cf_, DueKey(*held, case_id));
      due.Delete(cf_, CaseDueKey(case_id));
    }
    if (next) {
      due.Put(cf_, DueKey(*next, case_id), "");
      due.Put(cf_, CaseDueKey(case_id), keys::Fixed64BE(static_cast<uint64_t>(*next)));
    }
  }
  // Until the lifecycle events are durable the cases stay marked for evaluation (a later
  // CatchUp, or the next start, evaluates them again; their alert ids make that idempotent).
  pending_loaded_ = false;
  if (due.Count() > 0) {
    HOLDFAST_RETURN_IF_ERROR(store_->Write(&due));
  }
  if (!lifecycle.empty()) {
    auto r = store_->Append(std::move(lifecycle));
    if (!r.ok()) return r.status();
    for (const auto& e : r->events) *appended = *appended || !e.duplicate;
  }
  rocksdb::WriteBatch evaluated;
  for (const auto& case_id : cases) evaluated.Delete(cf_, PendingEvalKey(case_id));
  HOLDFAST_RETURN_IF_ERROR(store_->Write(&evaluated));
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
      HOLDFAST_RETURN_IF_ERROR(ScanPrefix(store_->db(), cf_, "eval/",
                                          [&](const rocksdb::Slice& k, const rocksdb::Slice&) {
                                            dirty.insert(k.ToString().substr(5));
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
  HOLDFAST_RETURN_IF_ERROR(
      ScanPrefix(store_->db(), cf_, "due/", [&](const rocksdb::Slice& k, const rocksdb::Slice&) {
        if (k.compare(until) >= 0) return false;
        dirty.insert(k.ToString().substr(4 + 8));
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
  HOLDFAST_RETURN_IF_ERROR(RebuildProjections(store_, cf_, options, &lifecycle));
  checkpoint_ = options.last;
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
      ScanPrefix(store_->db(), cf_, "calert/" + keys::NamePrefix(case_id),
                 [&](const rocksdb::Slice& k, const rocksdb::Slice&) {
                   std::string id = k.ToString().substr(k.size() - 16);
                   std::string bytes;
                   AlertState a;
                   if (store_->db()->Get(rocksdb::ReadOptions(), cf_, "alert/" + id, &bytes).ok() &&
                       DecodeAlert(bytes, &a)) {
                     out.push_back(std::move(a));
                   }
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
  // Two passes over one snapshot: the first keeps only the listing order of the selected
  // alerts (24 bytes each), the second reads them again in that order, so a node with
  // hundreds of thousands of alerts never holds them all.
  rocksdb::ManagedSnapshot snapshot(store_->db());
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.snapshot();
  auto selected = [&](const AlertState& a) -> std::optional<std::string> {
    if (after && std::tie(a.raised_at, a.alert) <= std::tie(after->raised_at, after->alert)) {
      return std::nullopt;
    }
    auto status = StatusAsOf(a, filter.as_of);
    if (!status) return std::nullopt;
    if (filter.status != "all" && *status != filter.status) return std::nullopt;
    if (!filter.rule.empty() && RuleName(a.rule) != filter.rule) return std::nullopt;
    return status;
  };
  std::vector<AlertCursor> order;
  auto consider = [&](const rocksdb::Slice& v) {
    AlertState a;
    if (DecodeAlert(std::string_view(v.data(), v.size()), &a) && selected(a)) {
      order.push_back({a.raised_at, a.alert});
    }
  };
  if (!filter.case_id.empty()) {
    HOLDFAST_RETURN_IF_ERROR(ScanPrefix(
        store_->db(), cf_, "calert/" + keys::NamePrefix(filter.case_id),
        [&](const rocksdb::Slice& k, const rocksdb::Slice&) {
          std::string bytes;
          if (store_->db()
                  ->Get(options, cf_, "alert/" + k.ToString().substr(k.size() - 16), &bytes)
                  .ok()) {
            consider(bytes);
          }
          return true;
        },
        "", options));
  } else {
    HOLDFAST_RETURN_IF_ERROR(ScanPrefix(
        store_->db(), cf_, "alert/",
        [&](const rocksdb::Slice&, const rocksdb::Slice& v) {
          consider(v);
          return true;
        },
        "", options));
  }
  std::sort(order.begin(), order.end(), [](const AlertCursor& a, const AlertCursor& b) {
    return std::tie(a.raised_at, a.alert) < std::tie(b.raised_at, b.alert);
  });
  for (const auto& key : order) {
    std::string bytes;
    auto s = store_->db()->Get(options, cf_, AlertKey(key.alert), &bytes);
    if (!s.ok()) return FromRocks(s, "reading an alert");
    ListedAlert listed;
    if (!DecodeAlert(bytes, &listed.state)) return Status::Corruption("undecodable alert record");
    auto status = selected(listed.state);
    if (!status) continue;
    listed.status = *status;
    if (!fn(listed)) break;
  }
  return Status::Ok();
}

Result<std::optional<AlertState>> Projector::GetAlert(const Uuid& alert) const {
  std::string bytes;
  auto s = store_->db()->Get(rocksdb::ReadOptions(), cf_, AlertKey(alert), &bytes);
  if (s.IsNotFound()) return std::optional<AlertState>();
  if (!s.ok()) return FromRocks(s, "reading an alert");
  AlertState a;
  if (!DecodeAlert(bytes, &a)) return Status::Corruption("undecodable alert record");
  return std::optional<AlertState>(std::move(a));
}

Result<std::optional<CaseRow>> Projector::GetCase(const std::string& case_id) const {
  std::string bytes;
  auto s = store_->db()->Get(rocksdb::ReadOptions(), cf_, CaseKey(case_id), &bytes);
  if (s.IsNotFound()) return std::optional<CaseRow>();
  if (!s.ok()) return FromRocks(s, "reading a case");
  CaseRow row;
  if (!DecodeCase(bytes, &row)) return Status::Corruption("undecodable case record");
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
  return ScanPrefix(
      store_->db(), cf_, "case/",
      [&](const rocksdb::Slice&, const rocksdb::Slice& v) {
        CaseRow row;
        if (DecodeCase(std::string_view(v.data(), v.size()), &row) && row.has_opened) {
          return fn(row);
        }
        return true;
      },
      start);
}

Result<IndicatorReport> Projector::Indicators(int64_t from, int64_t to) const {
  IndicatorBuilder builder(from, to);
  const std::string ind_end = "ind/" + keys::Fixed64BE(static_cast<uint64_t>(to));
  HOLDFAST_RETURN_IF_ERROR(ScanPrefix(
      store_->db(), cf_, "ind/",
      [&](const rocksdb::Slice& k, const rocksdb::Slice& v) {
        if (k.compare(ind_end) >= 0) return false;
        Fact f;
        if (DecodeIndicatorFact(std::string_view(v.data(), v.size()),
                                static_cast<int64_t>(keys::DecodeFixed64BE(k.data() + 4)), &f)) {
          builder.AddEvent(f);
        }
        return true;
      },
      "ind/" + keys::Fixed64BE(static_cast<uint64_t>(from))));
  const std::string att_end = "attt/" + keys::Fixed64BE(static_cast<uint64_t>(to));
  HOLDFAST_RETURN_IF_ERROR(ScanPrefix(
      store_->db(), cf_, "attt/",
      [&](const rocksdb::Slice& k, const rocksdb::Slice& v) {
        if (k.compare(att_end) >= 0) return false;
        if (v.size() == 1) {
          builder.AddStandingAttendance(static_cast<int64_t>(keys::DecodeFixed64BE(k.data() + 5)),
                                        static_cast<schema::AttendanceOutcome>(v[0]));
        }
        return true;
      },
      "attt/" + keys::Fixed64BE(static_cast<uint64_t>(from))));
  HOLDFAST_RETURN_IF_ERROR(
      ScanPrefix(store_->db(), cf_, "alert/", [&](const rocksdb::Slice&, const rocksdb::Slice& v) {
        AlertState a;
        if (DecodeAlert(std::string_view(v.data(), v.size()), &a)) builder.AddAlert(a);
        return true;
      }));
  return builder.Finish();
}

}  // namespace holdfast
