#include "projections/rebuild.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <iterator>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "eventstore/keys.h"
#include "projections/records.h"
#include "projections/row_keys.h"

namespace holdfast {
namespace {

constexpr uint64_t kProgressEvery = 1u << 16;
constexpr size_t kBatchEvents = 1024;

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  return Status::IoError(what + ": " + s.ToString());
}

struct UuidHasher {
  size_t operator()(const Uuid& u) const {
    return static_cast<size_t>(u.hi ^ (u.lo * 0x9e3779b97f4a7c15ULL));
  }
};

// Interned names (case ids, sessions, interventions, subjects, incident references): each
// is held once, in one arena, and the compact facts name it by a 32-bit number. An open
// addressing table of (hash, number) finds a name with one probe, mostly.
class Names {
 public:
  static constexpr uint32_t kNone = ~0u;

  Names() : slots_(1u << 12, kEmpty), start_{0} {}

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
};

struct Incident {
  int64_t occurred_at;
  uint64_t recorded_at;
  Uuid id;
  uint32_t incident;
  schema::IncidentCategory category;
};

struct CaseState {
  CaseRow row;                       // row.events == 0: a case only alerts name
  std::vector<uint32_t> subjects;    // every subject its opening has named (subj/ rows)
  std::vector<CaseFact> facts;       // openings, risk changes, closings, interventions, breaches
  std::vector<Attendance> standing;  // every record while folding; the standing ones after
  std::vector<Uuid> alerts;          // its calert/ rows
  int64_t due = 0;                   // the next no_contact deadline (cdue/, due/)
  bool has_due = false;
};

struct AlertEntry {
  AlertState state;
  std::vector<uint32_t> cases;  // the cases it has named while raised (calert/ rows)
};

struct IndicatorRow {
  uint64_t at;  // occurred_at, as the key orders it
  Uuid id;
  std::string value;
};

void AppendName(std::string* key, std::string_view name) {
  key->append(name);
  key->push_back('\0');
}

// One table file's rows, in key order: set `key`, then Put the value.
struct RowSink {
  rocksdb::SstFileWriter* writer;
  std::string key;
  Status Put(const rocksdb::Slice& value) {
    return FromRocks(writer->Put(key, value), "writing the projections table");
  }
};

// Events in, compact state; then every case evaluated and every row written. Between Finish
// and WriteDeadlineRows, Evaluate and the other writers only read what they share
// (Evaluate writes only each case's deadline, the indicator writer only its own rows), so
// they run at once.
class BulkFold {
 public:
  explicit BulkFold(const RebuildOptions& options) : options_(options) {}

  void Fold(const Fact& f) {
    if (IsAlertType(f.type)) {
      FoldAlert(f);
    } else if (!f.case_id.empty()) {
      FoldCase(f);
    } else if (f.type == EventType::INCIDENT_REPORTED) {
      incidents_[names_.Of(f.subject)].push_back(
          {f.occurred_at, f.recorded_at, f.id, names_.Of(f.incident), f.category});
    }
    if (IsIndicatorType(f.type)) {
      indicators_.push_back({static_cast<uint64_t>(f.occurred_at), f.id, EncodeIndicatorFact(f)});
    }
  }

  // After the last Fold: keeps only the standing attendance (SPEC "Corrections"), in
  // session order, and gives each case its alerts.
  void Finish() {
    for (CaseState& c : states_) {
      auto& records = c.standing;
      std::sort(records.begin(), records.end(), [](const Attendance& a, const Attendance& b) {
        return std::tie(a.session, a.recorded_at, a.id) < std::tie(b.session, b.recorded_at, b.id);
      });
      size_t kept = 0;
      for (size_t i = 0; i < records.size(); ++i) {
        if (i + 1 < records.size() && records[i + 1].session == records[i].session) continue;
        records[kept++] = records[i];
      }
      records.resize(kept);
      records.shrink_to_fit();
      std::sort(records.begin(), records.end(), [&](const Attendance& a, const Attendance& b) {
        return names_[a.session] < names_[b.session];
      });
    }
    for (const auto& [id, entry] : alerts_) {
      for (uint32_t c : entry.cases) states_[c].alerts.push_back(id);
    }
    for (CaseState& c : states_) std::sort(c.alerts.begin(), c.alerts.end());
    by_case_id_.resize(states_.size());
    for (uint32_t i = 0; i < by_case_id_.size(); ++i) by_case_id_[i] = i;
    std::sort(by_case_id_.begin(), by_case_id_.end(),
              [&](uint32_t a, uint32_t b) { return cases_[a] < cases_[b]; });
    case_rank_.resize(states_.size());
    for (uint32_t r = 0; r < by_case_id_.size(); ++r) case_rank_[by_case_id_[r]] = r;
  }

  // Evaluates every opened case in case id order (the order of the incremental Evaluate),
  // appending to `lifecycle` the events the rules call for, and setting each case's next
  // no_contact deadline.
  void Evaluate(std::vector<Event>* lifecycle) {
    std::vector<Fact> facts, incidents;
    std::vector<AlertState> held;
    for (uint32_t ci : by_case_id_) {
      CaseState& c = states_[ci];
      if (!c.row.has_opened) continue;
      CaseFacts(c, &facts);
      SubjectIncidents(c.row.subject, &incidents);
      const CaseContext context = BuildCaseContext(facts);
      const auto derived = EvaluateContext(context, incidents, options_.rules, options_.now);
      held.clear();
      for (const Uuid& id : c.alerts) held.push_back(alerts_.at(id).state);
      for (auto& e :
           PlanLifecycle(std::string(cases_[ci]), derived, held, options_.node_id, options_.view)) {
        lifecycle->push_back(std::move(e));
      }
      auto next = NextDeadline(context, options_.rules, options_.now);
      c.has_due = next.has_value();
      c.due = next.value_or(0);
    }
  }

  // The rows go to five table files with disjoint key ranges, starting at these keys:
  // alert/ att/ (WriteCaseRows), attt/ (WriteStandingByTime), calert/ case/
  // (WriteCaseIndexRows) and ind/ subj/ (WriteIndicatorAndSubjectRows), which evaluation
  // does not change, each by its own thread while it runs; then cdue/ ckpt due/
  // (WriteDeadlineRows).
  static constexpr const char* kFileStarts[] = {"", "attt/", "calert/", "cdue/", "ind/"};

  Status WriteCaseRows(rocksdb::SstFileWriter* w) const {
    RowSink out{w, {}};
    std::string& key = out.key;
    std::vector<Uuid> ids;
    ids.reserve(alerts_.size());
    for (const auto& [id, entry] : alerts_) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (const Uuid& id : ids) {
      key = rows::AlertKey(id);
      HOLDFAST_RETURN_IF_ERROR(out.Put(EncodeAlert(alerts_.at(id).state)));
    }
    ids = {};

    StandingRow row;
    for (uint32_t ci : by_case_id_) {
      const CaseState& c = states_[ci];
      for (const Attendance& a : c.standing) {
        key.assign("att/");
        AppendName(&key, cases_[ci]);
        key.append(names_[a.session]);
        row.recorded_at = a.recorded_at;
        row.id = a.id;
        row.occurred_at = a.occurred_at;
        row.outcome = a.outcome;
        row.intervention.assign(names_[a.intervention]);
        HOLDFAST_RETURN_IF_ERROR(out.Put(EncodeStanding(row)));
      }
    }
    return Status::Ok();
  }

  Status WriteStandingByTime(rocksdb::SstFileWriter* w) const {
    RowSink out{w, {}};
    std::string& key = out.key;
    struct TimeRow {
      uint64_t at;
      uint32_t case_rank, case_index, session;
      schema::AttendanceOutcome outcome;
    };
    std::vector<TimeRow> by_time;
    for (uint32_t ci : by_case_id_) {
      for (const Attendance& a : states_[ci].standing) {
        by_time.push_back(
            {static_cast<uint64_t>(a.occurred_at), case_rank_[ci], ci, a.session, a.outcome});
      }
    }
    std::sort(by_time.begin(), by_time.end(), [&](const TimeRow& a, const TimeRow& b) {
      if (a.at != b.at) return a.at < b.at;
      if (a.case_rank != b.case_rank) return a.case_rank < b.case_rank;
      return names_[a.session] < names_[b.session];
    });
    for (const TimeRow& t : by_time) {
      key.assign("attt/");
      keys::PutFixed64BE(&key, t.at);
      AppendName(&key, cases_[t.case_index]);
      key.append(names_[t.session]);
      const char outcome = static_cast<char>(t.outcome);
      HOLDFAST_RETURN_IF_ERROR(out.Put(rocksdb::Slice(&outcome, 1)));
    }
    return Status::Ok();
  }

  // calert/ case/
  Status WriteCaseIndexRows(rocksdb::SstFileWriter* w) const {
    RowSink out{w, {}};
    std::string& key = out.key;
    for (uint32_t ci : by_case_id_) {
      for (const Uuid& id : states_[ci].alerts) {
        key.assign("calert/");
        AppendName(&key, cases_[ci]);
        key.append(keys::IdKey(id));
        HOLDFAST_RETURN_IF_ERROR(out.Put(""));
      }
    }
    for (uint32_t ci : by_case_id_) {
      if (states_[ci].row.events == 0) continue;
      key.assign("case/").append(cases_[ci]);
      HOLDFAST_RETURN_IF_ERROR(out.Put(EncodeCase(states_[ci].row)));
    }
    return Status::Ok();
  }

  // cdue/ ckpt due/: what evaluation sets, so written after it.
  Status WriteDeadlineRows(rocksdb::SstFileWriter* w, uint64_t checkpoint) const {
    RowSink out{w, {}};
    std::string& key = out.key;
    std::vector<std::pair<uint64_t, uint32_t>> due;  // (time, case rank)
    for (uint32_t ci : by_case_id_) {
      const CaseState& c = states_[ci];
      if (!c.has_due) continue;
      key.assign("cdue/").append(cases_[ci]);
      HOLDFAST_RETURN_IF_ERROR(out.Put(keys::Fixed64BE(static_cast<uint64_t>(c.due))));
      due.emplace_back(static_cast<uint64_t>(c.due), case_rank_[ci]);
    }
    key = rows::kCheckpointKey;
    HOLDFAST_RETURN_IF_ERROR(out.Put(keys::Fixed64BE(checkpoint)));
    std::sort(due.begin(), due.end());
    for (const auto& [at, rank] : due) {
      key.assign("due/");
      keys::PutFixed64BE(&key, at);
      key.append(cases_[by_case_id_[rank]]);
      HOLDFAST_RETURN_IF_ERROR(out.Put(""));
    }
    return Status::Ok();
  }

  // ind/ subj/
  Status WriteIndicatorAndSubjectRows(rocksdb::SstFileWriter* w) {
    RowSink out{w, {}};
    std::string& key = out.key;
    std::sort(indicators_.begin(), indicators_.end(),
              [](const IndicatorRow& a, const IndicatorRow& b) {
                return std::tie(a.at, a.id) < std::tie(b.at, b.id);
              });
    for (const IndicatorRow& r : indicators_) {
      key.assign("ind/");
      keys::PutFixed64BE(&key, r.at);
      key.append(keys::IdKey(r.id));
      HOLDFAST_RETURN_IF_ERROR(out.Put(r.value));
    }
    indicators_ = {};

    std::vector<std::pair<std::string_view, uint32_t>> subjects;  // (subject, case rank)
    for (uint32_t ci = 0; ci < states_.size(); ++ci) {
      for (uint32_t s : states_[ci].subjects) subjects.emplace_back(names_[s], case_rank_[ci]);
    }
    std::sort(subjects.begin(), subjects.end());
    for (const auto& [subject, rank] : subjects) {
      key.assign("subj/");
      AppendName(&key, subject);
      key.append(cases_[by_case_id_[rank]]);
      HOLDFAST_RETURN_IF_ERROR(out.Put(""));
    }
    return Status::Ok();
  }

 private:
  CaseState& Case(std::string_view case_id, uint32_t* last) {
    const uint32_t ci = cases_.Of(case_id, last);
    if (ci == states_.size()) {
      states_.emplace_back();
      states_.back().row.case_id = case_id;
    }
    return states_[ci];
  }

  void FoldCase(const Fact& f) {
    CaseState& c = Case(f.case_id, &last_case_);
    if (FoldCaseRow(f, &c.row)) {
      const uint32_t s = names_.Of(f.subject);
      if (std::find(c.subjects.begin(), c.subjects.end(), s) == c.subjects.end()) {
        c.subjects.push_back(s);
      }
    }
    auto fact = [&](uint8_t value, uint32_t name) {
      c.facts.push_back({f.occurred_at, f.recorded_at, f.id, f.type, value, f.marac, name});
    };
    switch (f.type) {
      case EventType::ATTENDANCE_RECORDED:
        c.standing.push_back({f.occurred_at, f.recorded_at, f.id, names_.Of(f.session),
                              names_.Of(f.intervention, &last_intervention_), f.outcome});
        break;
      case EventType::CASE_OPENED:
        fact(static_cast<uint8_t>(f.risk), names_.Of(f.subject));
        break;
      case EventType::CASE_RISK_CHANGED:
        fact(static_cast<uint8_t>(f.risk), 0);
        break;
      case EventType::CASE_CLOSED:
        fact(0, 0);
        break;
      case EventType::INTERVENTION_STARTED:
      case EventType::INTERVENTION_COMPLETED:
        fact(0, names_.Of(f.intervention, &last_intervention_));
        break;
      case EventType::INTERVENTION_EXITED:
        fact(static_cast<uint8_t>(f.exit_reason), names_.Of(f.intervention, &last_intervention_));
        break;
      case EventType::BREACH_REPORTED:
        fact(static_cast<uint8_t>(f.breach_kind), 0);
        break;
      default:
        break;  // referrals: no rule reads them
    }
  }

  void FoldAlert(const Fact& f) {
    AlertEntry& a = alerts_[f.alert];
    FoldAlertFact(f, &a.state);
    if (a.state.has_raised && !a.state.case_id.empty()) {
      uint32_t last = Names::kNone;
      Case(a.state.case_id, &last);
      if (std::find(a.cases.begin(), a.cases.end(), last) == a.cases.end()) {
        a.cases.push_back(last);
      }
    }
  }

  // The case's events as the rules read them: the standing attendance only (the rules use
  // nothing else of attendance), no referrals (no rule reads them).
  void CaseFacts(const CaseState& c, std::vector<Fact>* facts) const {
    facts->resize(c.facts.size() + c.standing.size());
    size_t i = 0;
    for (const CaseFact& cf : c.facts) {
      Fact& f = (*facts)[i++];
      ClearFact(&f);
      f.id = cf.id;
      f.type = cf.type;
      f.occurred_at = cf.occurred_at;
      f.recorded_at = cf.recorded_at;
      f.case_id = c.row.case_id;
      switch (cf.type) {
        case EventType::CASE_OPENED:
          f.subject = names_[cf.name];
          f.risk = static_cast<schema::RiskLevel>(cf.value);
          break;
        case EventType::CASE_RISK_CHANGED:
          f.risk = static_cast<schema::RiskLevel>(cf.value);
          f.marac = cf.marac;
          break;
        case EventType::INTERVENTION_STARTED:
        case EventType::INTERVENTION_COMPLETED:
          f.intervention = names_[cf.name];
          break;
        case EventType::INTERVENTION_EXITED:
          f.intervention = names_[cf.name];
          f.exit_reason = static_cast<schema::ExitReason>(cf.value);
          break;
        case EventType::BREACH_REPORTED:
          f.breach_kind = static_cast<schema::BreachKind>(cf.value);
          break;
        default:
          break;
      }
    }
    for (const Attendance& a : c.standing) {
      Fact& f = (*facts)[i++];
      ClearFact(&f);
      f.id = a.id;
      f.type = EventType::ATTENDANCE_RECORDED;
      f.occurred_at = a.occurred_at;
      f.recorded_at = a.recorded_at;
      f.case_id = c.row.case_id;
      f.session = names_[a.session];
      f.intervention = names_[a.intervention];
      f.outcome = a.outcome;
    }
  }

  void SubjectIncidents(const std::string& subject, std::vector<Fact>* out) const {
    out->clear();
    const uint32_t s = names_.Find(subject);
    auto it = s == Names::kNone ? incidents_.end() : incidents_.find(s);
    if (it == incidents_.end()) return;
    for (const Incident& in : it->second) {
      Fact& f = out->emplace_back();
      f.id = in.id;
      f.type = EventType::INCIDENT_REPORTED;
      f.occurred_at = in.occurred_at;
      f.recorded_at = in.recorded_at;
      f.subject = subject;
      f.incident = names_[in.incident];
      f.category = in.category;
    }
  }

  const RebuildOptions& options_;
  Names cases_, names_;
  std::vector<CaseState> states_;                                  // by case number (cases_)
  std::unordered_map<uint32_t, std::vector<Incident>> incidents_;  // by subject
  std::unordered_map<Uuid, AlertEntry, UuidHasher> alerts_;
  std::vector<IndicatorRow> indicators_;
  std::vector<uint32_t> case_rank_, by_case_id_;
  uint32_t last_case_ = Names::kNone, last_intervention_ = Names::kNone;
};

// Scans the log on the calling thread, decoding events into batches of facts that a second
// thread folds: decoding and folding cost about the same, so each takes one core.
class FoldPipeline {
 public:
  explicit FoldPipeline(BulkFold* fold) : fold_(fold) {
    for (auto& b : batches_) {
      b.resize(kBatchEvents);
      free_.push_back(&b);
    }
    worker_ = std::thread([this] { Work(); });
  }
  ~FoldPipeline() { (void)Close(); }

  // The buffer to copy the next event's bytes into. The batch it is in goes to the folding
  // thread (which decodes and folds it) once it is full and the next one is asked for (so
  // only after this one is filled).
  std::vector<uint64_t>* Next() {
    if (current_ != nullptr && used_ == kBatchEvents) Hand();
    if (current_ == nullptr) {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return !free_.empty(); });
      current_ = free_.front();
      free_.pop_front();
      used_ = 0;
    }
    return &(*current_)[used_++];
  }

  // Waits until every event handed over is folded; Corruption if one did not decode.
  Status Close() {
    if (worker_.joinable()) {
      if (current_ != nullptr) Hand();
      {
        std::lock_guard<std::mutex> l(mu_);
        closed_ = true;
      }
      cv_.notify_all();
      worker_.join();
    }
    return error_;
  }

 private:
  // Words as uint64_t: std::vector<capnp::word> does not build with clang (a word cannot be
  // moved); Decode views them as capnp words.
  using Batch = std::vector<std::vector<uint64_t>>;

  void Hand() {
    {
      std::lock_guard<std::mutex> l(mu_);
      full_.emplace_back(current_, used_);
    }
    cv_.notify_all();
    current_ = nullptr;
  }

  void Work() {
    for (;;) {
      std::pair<Batch*, size_t> batch;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return !full_.empty() || closed_; });
        if (full_.empty()) return;
        batch = full_.front();
        full_.pop_front();
      }
      for (size_t i = 0; i < batch.second && error_.ok(); ++i) Decode((*batch.first)[i]);
      {
        std::lock_guard<std::mutex> l(mu_);
        free_.push_back(batch.first);
      }
      cv_.notify_all();
    }
  }

  void Decode(const std::vector<uint64_t>& words) {
    Status s =
        DecodeEventWords(kj::ArrayPtr<const capnp::word>(
                             reinterpret_cast<const capnp::word*>(words.data()), words.size()),
                         [&](schema::Event::Reader e) { FactInto(e, &fact_); });
    if (!s.ok()) {
      error_ = Status::Corruption("a log entry: " + s.message());
      return;
    }
    fold_->Fold(fact_);
  }

  BulkFold* fold_;
  Fact fact_;     // the folding thread's, reused
  Status error_;  // the folding thread's until it is joined
  Batch batches_[4];
  Batch* current_ = nullptr;  // the scanning thread's
  size_t used_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch*> free_;
  std::deque<std::pair<Batch*, size_t>> full_;
  bool closed_ = false;
  std::thread worker_;
};

// A table file for the projections family: bloom filters on whole keys (every read of a
// projection is a point read or a prefix scan), uncompressed (compaction compresses later).
class SstTableFile {
 public:
  SstTableFile(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& path)
      : path_(path),
        writer_(rocksdb::EnvOptions(), Options(db, cf), cf,
                /*invalidate_page_cache=*/false) {}
  const std::string& path() const { return path_; }
  rocksdb::SstFileWriter* writer() { return &writer_; }
  Status Open() { return FromRocks(writer_.Open(path_), "creating " + path_); }
  Status Finish() { return FromRocks(writer_.Finish(), "finishing " + path_); }

 private:
  static rocksdb::Options Options(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    rocksdb::Options options(db->GetDBOptions(), db->GetOptions(cf));
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = true;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    options.compression = rocksdb::kNoCompression;
    return options;
  }

  std::string path_;
  rocksdb::SstFileWriter writer_;
};

}  // namespace

Status RebuildProjections(EventStore* store, rocksdb::ColumnFamilyHandle* cf,
                          const RebuildOptions& options, std::vector<Event>* lifecycle) {
  BulkFold fold(options);
  uint64_t folded = 0;
  {
    // This thread only reads the log and copies each entry out; the folding thread decodes
    // and folds it, so the two halves of the work run at once.
    FoldPipeline pipeline(&fold);
    Status bad;
    HOLDFAST_RETURN_IF_ERROR(store->ScanLogBytes(0, [&](uint64_t position, std::string_view bytes) {
      if (position > options.last) return false;
      if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
        bad = Status::Corruption("position " + std::to_string(position) +
                                 ": event bytes are not a whole number of words");
        return false;
      }
      std::vector<uint64_t>* words = pipeline.Next();
      words->resize(bytes.size() / sizeof(capnp::word));
      std::memcpy(words->data(), bytes.data(), bytes.size());
      folded = position;
      if (options.progress && position % kProgressEvery == 0) {
        options.progress(position, options.last);
      }
      return position < options.last;
    }));
    HOLDFAST_RETURN_IF_ERROR(bad);
    HOLDFAST_RETURN_IF_ERROR(pipeline.Close());
  }
  if (folded != options.last) {
    return Status::Corruption("the log ends at " + std::to_string(folded) + ", not at " +
                              std::to_string(options.last));
  }
  if (options.progress) options.progress(folded, options.last);
  fold.Finish();

  // Five table files with disjoint key ranges, each holding its rows and a range deletion
  // of every older row in its range, ingested in one step: readers see the old
  // projections, then the new ones, never a mixture, and a crash leaves one or the other.
  // Four are written while the cases are evaluated, the deadlines (and the checkpoint)
  // after.
  rocksdb::DB* db = store->db();
  constexpr size_t kFiles = std::size(BulkFold::kFileStarts);
  std::vector<std::unique_ptr<SstTableFile>> tables;
  for (size_t i = 0; i < kFiles; ++i) {
    tables.push_back(std::make_unique<SstTableFile>(
        db, cf, db->GetName() + "/projections-rebuild-" + std::to_string(i) + ".sst"));
    HOLDFAST_RETURN_IF_ERROR(tables.back()->Open());
    const std::string from = BulkFold::kFileStarts[i];
    const std::string to = i + 1 < kFiles ? BulkFold::kFileStarts[i + 1] : std::string(8, '\xff');
    HOLDFAST_RETURN_IF_ERROR(
        FromRocks(tables.back()->writer()->DeleteRange(from, to), "writing the projections table"));
  }
  Status written[kFiles];
  std::thread writers[] = {
      std::thread([&] { written[0] = fold.WriteCaseRows(tables[0]->writer()); }),
      std::thread([&] { written[1] = fold.WriteStandingByTime(tables[1]->writer()); }),
      std::thread([&] { written[2] = fold.WriteCaseIndexRows(tables[2]->writer()); }),
      std::thread([&] { written[4] = fold.WriteIndicatorAndSubjectRows(tables[4]->writer()); }),
  };
  if (options.rules.derive) fold.Evaluate(lifecycle);
  for (auto& t : writers) t.join();
  written[3] = fold.WriteDeadlineRows(tables[3]->writer(), options.last);
  std::vector<std::string> paths;
  for (size_t i = 0; i < kFiles; ++i) {
    HOLDFAST_RETURN_IF_ERROR(written[i]);
    HOLDFAST_RETURN_IF_ERROR(tables[i]->Finish());
    paths.push_back(tables[i]->path());
  }
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  return FromRocks(db->IngestExternalFile(cf, paths, ingest), "ingesting the rebuilt projections");
}

}  // namespace holdfast
