// ProjectionFold: the one fold of events into the projector's rows (projections/row_keys.h).
// Pure: it reads and writes no storage itself. Each way the projector keeps its rows uses
// it, with a sink of its own:
//
//   CatchUp  folds each chunk of new events over the rows the family holds, read through
//            HeldRows the first time the fold needs one, and writes the rows that changed
//            in one write batch with the checkpoint (projector.cc);
//   Rebuild  folds the whole log over no rows, and writes every row into table files that
//            are ingested in one step (rebuild.cc);
//   and the evaluation of a case reads what the rules need of it from a fold of its events
//   (History), in both.
//
// Each rule of the fold is written once, in one of two places:
//   Add     each event's effect: the case row (FoldCaseRow), the subject index, the
//           providers' referrals, the attendance records, the indicator facts, the alert
//           (FoldAlertFact), and what the rules read of the case and of its subject's
//           incidents;
//   Settle  per (case, session) the attendance record that stands after corrections
//           (CorrectionOrder, facts.h), among the records added and the row held.
// Voids are decided in Add, and nowhere else: a record.voided is kept as the void/ row of
// the event it names (the canonically first void of an event stands), and an event that is
// voided (FoldOptions::voided, or a void added earlier in this fold) is not added at all,
// exactly as if it had never arrived. A void added after its event cannot be undone here:
// over held rows the fold sees only what a row stands on, so the caller folds that event's
// case again from its stream (new_voids(); Projector::RefoldCase), and the rebuild reads
// every void before it folds (so it skips each voided event wherever it lies in the log).
// The rows do not depend on the order the events are added in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"
#include "projections/alert_state.h"
#include "projections/facts.h"
#include "projections/projector.h"

namespace holdfast {

inline bool IsIndicatorType(EventType t) {
  return t == EventType::INTERVENTION_REFERRED || t == EventType::INTERVENTION_STARTED ||
         t == EventType::INTERVENTION_COMPLETED || t == EventType::INTERVENTION_EXITED ||
         t == EventType::INCIDENT_REPORTED;
}

// Folds one case event (alert lifecycle events excluded) into its case's row: the event
// count, the earliest opening (subject, order, lead agency), the risk set last and the
// earliest closing. True when the row's subject changed, so the subject index gains
// (subject, case).
bool FoldCaseRow(const Fact& f, CaseRow* row);

// The rows a fold starts from: the projections family as it stands.
class HeldRows {
 public:
  virtual ~HeldRows() = default;
  // The value stored under `key` (row_keys.h); nullopt when there is none.
  virtual Result<std::optional<std::string>> Get(const std::string& key) const = 0;
};

// Where a fold's rows go: a write batch, or a table file (which takes keys in order only:
// each Emit below gives its rows in key order).
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
};

struct FoldOptions {
  // The rows already stored, that the events fold over; nullptr when there are none.
  const HeldRows* held = nullptr;
  // Whether to keep the alerts and the indicator facts (false: a fold read only through
  // History, which needs neither), and what the rules read of each case (History).
  bool rows = true;
  bool history = false;
  // The events voided already (nullptr: none); a void added to the fold adds its own.
  const VoidedIds* voided = nullptr;
};

class ProjectionFold {
 public:
  explicit ProjectionFold(const FoldOptions& options);
  ~ProjectionFold();
  ProjectionFold(const ProjectionFold&) = delete;
  ProjectionFold& operator=(const ProjectionFold&) = delete;

  void Add(const Fact& f);
  // After the last Add: chooses the standing attendance, reading the held rows it needs.
  // An error if a held row could not be read (during Add or here): then emit nothing.
  Status Settle();

  // The rows that changed, after Settle, by family, each in key order. Each only reads the
  // fold, so they may run at once on several threads.
  Status EmitAlertIndex(RowSink* sink) const;      // aidx/
  Status EmitAlerts(RowSink* sink) const;          // alert/
  Status EmitStanding(RowSink* sink) const;        // att/
  Status EmitStandingByTime(RowSink* sink) const;  // attt/ (and the deletion of replaced ones)
  Status EmitCaseAlerts(RowSink* sink) const;      // calert/
  Status EmitCases(RowSink* sink) const;           // case/
  Status EmitFeed(RowSink* sink) const;            // feed/
  Status EmitGroups(RowSink* sink) const;          // grp/
  Status EmitIndicators(RowSink* sink) const;      // ind/
  Status EmitProviders(RowSink* sink) const;       // prov/
  Status EmitSubjects(RowSink* sink) const;        // subj/
  Status EmitVoids(RowSink* sink) const;           // void/
  Status EmitRows(RowSink* sink) const;            // all of the above, in key order

  // The cases the events named (opened or not, or named by an alert only), by number from
  // 0, and after Settle, by case id.
  uint32_t case_count() const;
  const std::vector<uint32_t>& CasesById() const;
  std::string_view CaseId(uint32_t c) const;
  // The case's row after the events (over its held row, if the fold has held rows); empty
  // for a case only an alert names. has_opened is false until an opening is folded.
  const CaseRow& Row(uint32_t c) const;
  std::optional<uint32_t> FindCase(std::string_view case_id) const;
  // With options.history and no held rows, after Settle: the case's events as the rules
  // read them (its standing attendance, no referrals, no alert events), and the incidents
  // of the subject its opening names.
  void History(uint32_t c, std::vector<Fact>* facts, std::vector<Fact>* incidents) const;
  // After Settle: the state of every alert that has named the case while raised, by id.
  void CaseAlerts(uint32_t c, std::vector<AlertState>* alerts) const;

  // The case the alert names after what was added ("" when none, or not yet raised).
  std::string_view AlertCase(const Uuid& alert) const;
  // Calls fn(subject, case) for each subject index row the events add.
  void ForEachNewSubjectRow(
      const std::function<void(std::string_view subject, std::string_view case_id)>& fn) const;
  // The events a void added to this fold voided for the first time (no void/ row held, not
  // in options.voided), by id: those already folded must be taken out by the caller.
  const std::vector<Uuid>& new_voids() const;
  // Whether the events changed what an alert shows (feed/ rows: only of facts with a
  // position), and the last such position (0: none).
  bool HasFeed() const;
  uint64_t FeedEnd() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace holdfast
