#include "projections/rebuild.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <iterator>
#include <string_view>
#include <thread>

#include "concurrency/bounded_queue.h"
#include "eventstore/keys.h"
#include "projections/fold.h"
#include "projections/records.h"
#include "projections/row_keys.h"

namespace holdfast {
namespace {

constexpr uint64_t kProgressEvery = 1u << 16;
constexpr size_t kBatchEvents = 1024;

// One table file's rows, in key order. A rebuild folds over no held rows, so it replaces
// none one by one: the file's range deletion removes every older row.
class TableSink : public RowSink {
 public:
  explicit TableSink(TableFile* file) : file_(file) {}
  Status Put(std::string_view key, std::string_view value) override {
    return file_->Put(key, value);
  }
  Status Delete(std::string_view) override {
    return Status::InvalidArgument("a rebuild's table file takes no single deletions");
  }

 private:
  TableFile* file_;
};

// Evaluates every opened case of the settled fold in case id order (the order of the
// incremental Evaluate), appending to `lifecycle` the events the rules call for; sets each
// case's next no_contact deadline in `due` (by case number).
void EvaluateAll(const ProjectionFold& fold, const RebuildOptions& options,
                 std::vector<std::optional<int64_t>>* due, std::vector<Event>* lifecycle) {
  due->assign(fold.case_count(), std::nullopt);
  std::vector<Fact> facts, incidents;
  std::vector<AlertState> held;
  for (uint32_t c : fold.CasesById()) {
    fold.CaseAlerts(c, &held);
    // A case without an opening supports no alert; one it raised while its opening stood
    // (voided since) is withdrawn.
    const bool opened = fold.Row(c).has_opened;
    if (!opened && held.empty()) continue;
    fold.History(c, &facts, &incidents);
    const CaseContext context = BuildCaseContext(facts);
    const auto derived = EvaluateContext(context, incidents, options.rules, options.now);
    for (auto& e :
         PlanLifecycle(std::string(fold.CaseId(c)), derived, held, options.node_id, options.view)) {
      lifecycle->push_back(std::move(e));
    }
    if (opened) (*due)[c] = NextDeadline(context, options.rules, options.now);
  }
}

// cdue/ ckpt due/: what evaluation sets, so written after it.
Status WriteDeadlineRows(const ProjectionFold& fold, const std::vector<std::optional<int64_t>>& due,
                         uint64_t checkpoint, RowSink* out) {
  std::string key;
  std::vector<std::pair<uint64_t, uint32_t>> by_time;  // (time as the key orders it, case rank)
  const std::vector<uint32_t>& cases = fold.CasesById();
  for (uint32_t rank = 0; rank < cases.size(); ++rank) {
    const std::optional<int64_t>& at = due[cases[rank]];
    if (!at) continue;
    rows::SetCaseDueKey(&key, fold.CaseId(cases[rank]));
    HOLDFAST_RETURN_IF_ERROR(out->Put(key, keys::Fixed64BE(static_cast<uint64_t>(*at))));
    by_time.emplace_back(static_cast<uint64_t>(*at), rank);
  }
  HOLDFAST_RETURN_IF_ERROR(out->Put(rows::kCheckpointKey, keys::Fixed64BE(checkpoint)));
  std::sort(by_time.begin(), by_time.end());
  for (const auto& [at, rank] : by_time) {
    rows::SetDueKey(&key, static_cast<int64_t>(at), fold.CaseId(cases[rank]));
    HOLDFAST_RETURN_IF_ERROR(out->Put(key, ""));
  }
  return Status::Ok();
}

// Scans the log on the calling thread, decoding events into batches of facts that a second
// thread folds: decoding and folding cost about the same, so each takes one core.
class FoldPipeline {
 public:
  explicit FoldPipeline(ProjectionFold* fold) : fold_(fold) {
    for (auto& b : batches_) {
      b.events.resize(kBatchEvents);
      b.positions.resize(kBatchEvents);
      free_.Push(&b);
    }
    worker_ = std::thread([this] { Work(); });
  }
  // After an early return the error that caused it is the one reported.
  ~FoldPipeline() { Close().IgnoreError(); }

  // The buffer to copy the next event's bytes into. The batch it is in goes to the folding
  // thread (which decodes and folds it) once it is full and the next one is asked for (so
  // only after this one is filled).
  // `position`: the event's local log position.
  std::vector<uint64_t>* Next(uint64_t position) {
    if (current_ != nullptr && current_->used == kBatchEvents) Hand();
    if (current_ == nullptr) {
      free_.Pop(&current_);  // waits for the folding thread to give one back
      current_->used = 0;
    }
    current_->positions[current_->used] = position;
    return &current_->events[current_->used++];
  }

  // Waits until every event handed over is folded; Corruption if one did not decode.
  Status Close() {
    if (worker_.joinable()) {
      if (current_ != nullptr) Hand();
      full_.Finish();
      worker_.join();
    }
    return error_;
  }

 private:
  static constexpr size_t kBatches = 4;
  struct Batch {
    // Words as uint64_t: std::vector<capnp::word> does not build with clang (a word cannot
    // be moved); Decode views them as capnp words.
    std::vector<std::vector<uint64_t>> events;
    std::vector<uint64_t> positions;  // each event's local log position
    size_t used = 0;                  // how many of `events` hold one
  };

  void Hand() {
    full_.Push(current_);  // never waits: the queue has room for every batch
    current_ = nullptr;
  }

  void Work() {
    for (Batch* batch; full_.Pop(&batch);) {
      for (size_t i = 0; i < batch->used && error_.ok(); ++i) {
        Decode(batch->events[i], batch->positions[i]);
      }
      free_.Push(batch);
    }
  }

  void Decode(const std::vector<uint64_t>& words, uint64_t position) {
    Status s =
        DecodeEventWords(kj::ArrayPtr<const capnp::word>(
                             reinterpret_cast<const capnp::word*>(words.data()), words.size()),
                         [&](schema::Event::Reader e) { FactInto(e, &fact_); });
    if (!s.ok()) {
      error_ = Status::Corruption("a log entry: " + s.message());
      return;
    }
    fact_.position = position;
    fold_->Add(fact_);
  }

  ProjectionFold* fold_;
  Fact fact_;     // the folding thread's, reused
  Status error_;  // the folding thread's until it is joined
  Batch batches_[kBatches];
  Batch* current_ = nullptr;             // the scanning thread's
  BoundedQueue<Batch*> free_{kBatches};  // to fill, for the scanning thread
  BoundedQueue<Batch*> full_{kBatches};  // to fold, for the folding thread
  std::thread worker_;
};

}  // namespace

Status RebuildProjections(EventStore* store, const SideTable& table, const RebuildOptions& options,
                          std::vector<Event>* lifecycle) {
  // Every void is read first (the "void/" streams: few events), so the fold skips each
  // voided event wherever it lies in the log, before or after its void.
  VoidedIds voided;
  HOLDFAST_RETURN_IF_ERROR(
      store->ScanStreams("void/", [&](uint64_t position, schema::Event::Reader e) {
        if (position <= options.last && e.isRecordVoided()) {
          voided.Insert(ToUuid(e.getRecordVoided().getEvent()));
        }
        return true;
      }));
  FoldOptions fold_options;
  fold_options.history = options.rules.derive;
  fold_options.voided = &voided;
  ProjectionFold fold(fold_options);
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
      std::vector<uint64_t>* words = pipeline.Next(position);
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
  HOLDFAST_RETURN_IF_ERROR(fold.Settle());

  // Five table files with disjoint key ranges, each holding its rows and a range deletion
  // of every older row in its range, ingested in one step: readers see the old
  // projections, then the new ones, never a mixture, and a crash leaves one or the other.
  // Four are written while the cases are evaluated (evaluation changes none of their
  // rows), the deadlines (and the checkpoint) after. The files start at these keys:
  //   aidx/ alert/ att/ the alerts, their listing order and the standing attendance
  //   attt/             the standing attendance by time
  //   calert/ case/     the cases and their alerts
  //   cdue/ ckpt due/   what evaluation sets (eval/ falls in here too: none is left), the
  //   feed/ grp/        alert feed and the groups' members
  //   ind/ prov/ subj/  the indicator facts, the providers' cases and the subject index,
  //   void/             and the voids
  const std::string starts[] = {
      "", std::string(rows::kStandingTimePrefix), std::string(rows::kCaseAlertPrefix),
      std::string(rows::kCaseDuePrefix), std::string(rows::kIndicatorPrefix)};
  constexpr size_t kFiles = std::size(starts);
  std::vector<std::unique_ptr<TableFile>> tables;
  std::vector<std::unique_ptr<TableSink>> sinks;
  for (size_t i = 0; i < kFiles; ++i) {
    auto file = TableFile::Create(
        table, table.ScratchPath("projections-rebuild-" + std::to_string(i) + ".sst"));
    if (!file.ok()) return file.status();
    tables.push_back(std::move(file).value());
    sinks.push_back(std::make_unique<TableSink>(tables.back().get()));
    const std::string& to = i + 1 < kFiles ? starts[i + 1] : rows::kEndOfRows;
    HOLDFAST_RETURN_IF_ERROR(tables.back()->DeleteRange(starts[i], to));
  }
  Status written[kFiles];
  // Each writer emits its families into its file, each while those before it went in.
  auto emit = [&](size_t file, auto... families) {
    return std::thread([&written, &fold, sink = sinks[file].get(), file, families...] {
      for (auto family : {families...}) {
        if (written[file].ok()) written[file] = (fold.*family)(sink);
      }
    });
  };
  std::thread writers[] = {
      emit(0, &ProjectionFold::EmitAlertIndex, &ProjectionFold::EmitAlerts,
           &ProjectionFold::EmitStanding),
      emit(1, &ProjectionFold::EmitStandingByTime),
      emit(2, &ProjectionFold::EmitCaseAlerts, &ProjectionFold::EmitCases),
      emit(4, &ProjectionFold::EmitIndicators, &ProjectionFold::EmitProviders,
           &ProjectionFold::EmitSubjects, &ProjectionFold::EmitVoids),
  };
  std::vector<std::optional<int64_t>> due(fold.case_count());
  if (options.rules.derive) EvaluateAll(fold, options, &due, lifecycle);
  for (auto& t : writers) t.join();
  written[3] = WriteDeadlineRows(fold, due, options.last, sinks[3].get());
  if (written[3].ok()) written[3] = fold.EmitFeed(sinks[3].get());
  if (written[3].ok()) written[3] = fold.EmitGroups(sinks[3].get());
  std::vector<std::string> paths;
  for (size_t i = 0; i < kFiles; ++i) {
    HOLDFAST_RETURN_IF_ERROR(written[i]);
    HOLDFAST_RETURN_IF_ERROR(tables[i]->Finish());
    paths.push_back(tables[i]->path());
  }
  return table.Ingest(paths);
}

}  // namespace holdfast
