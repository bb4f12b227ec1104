// One node for projection tests: a real store in a temporary directory and a projector over
// it, with the evaluation time fixed. "Sync" between two of them is EventStore::Insert of
// the other's log, as the sync session does, so a test can force any arrival order, fold
// point or restart. Catch2 REQUIREs inside: for test files only.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "tests/eventstore/test_events.h"

namespace holdfast::testing {

// Every row of the store's projections column family, keys and values as stored.
inline std::vector<std::pair<std::string, std::string>> ProjectionRows(EventStore* store) {
  auto table = store->Table("projections");
  REQUIRE(table.ok());
  std::vector<std::pair<std::string, std::string>> rows;
  REQUIRE(table
              ->Scan("",
                     [&](std::string_view key, std::string_view value) {
                       rows.emplace_back(key, value);
                       return true;
                     })
              .ok());
  return rows;
}

class ProjectorNode {
 public:
  // `id` is the store's node id (its origin); `now` the projector's evaluation time.
  ProjectorNode(std::string id, bool derive, int64_t now, RuleConfig rules = {})
      : id_(std::move(id)), now_(now), rules_(rules) {
    rules_.derive = derive;
    Open();
  }

  // A restart: the projector and store closed and opened again.
  void Restart() {
    projector_.reset();
    store_.reset();
    Open();
  }
  // Appends as this node's own events (its origin, seqs and recorded_at).
  void Append(std::vector<Event> events) {
    auto r = store_->Append(std::move(events));
    REQUIRE(r.ok());
  }
  void Append(Event e) { Append(Single(std::move(e))); }
  // Stores events that carry another node's provenance, as a sync batch does.
  void Insert(std::vector<Event> events) {
    if (events.empty()) return;
    auto r = store_->Insert(std::move(events));
    REQUIRE(r.ok());
  }
  uint64_t Last() const { return store_->LastPosition(); }
  void CatchUp() { REQUIRE(projector_->CatchUp().ok()); }
  void CatchUpThrough(uint64_t last) { REQUIRE(projector_->CatchUpThrough(last).ok()); }
  // Every projection dropped and folded again from the log (`projections rebuild`).
  void Rebuild() { REQUIRE(projector_->Rebuild().ok()); }
  // The events at positions after..through of this node's log, with their provenance.
  std::vector<Event> Log(uint64_t after = 0, uint64_t through = UINT64_MAX) const {
    std::vector<Event> out;
    REQUIRE(store_
                ->ScanLog(after,
                          [&](uint64_t position, schema::Event::Reader e) {
                            if (position > through) return false;
                            out.push_back(Event::CopyOf(e));
                            return true;
                          })
                .ok());
    return out;
  }
  // The events at positions after..through of `from`'s log stored here, as a sync batch.
  void Receive(const ProjectorNode& from, uint64_t after, uint64_t through) {
    Insert(from.Log(after, through));
  }
  void ReceiveAll(const ProjectorNode& from) { Receive(from, 0, from.Last()); }
  // The position of event `id` in this node's log.
  uint64_t PositionOf(const Uuid& id) const {
    auto e = store_->Get(id);
    REQUIRE(e.ok());
    return e->position();
  }
  // Every alert listed (status "all") as of `as_of`, as "id" -> "status raised_at".
  std::map<std::string, std::string> Alerts(int64_t as_of) const {
    AlertFilter filter;
    filter.status = "all";
    filter.as_of = as_of;
    auto listed = projector_->ListAlerts(filter);
    REQUIRE(listed.ok());
    std::map<std::string, std::string> out;
    for (const auto& a : *listed) {
      out[FormatUuid(a.state.alert)] = a.status + " " + std::to_string(a.state.raised_at);
    }
    return out;
  }
  std::map<std::string, std::string> Alerts() const { return Alerts(now_); }
  // The alerts not withdrawn: what a from-scratch derivation lists.
  std::map<std::string, std::string> Standing() const {
    auto all = Alerts();
    for (auto it = all.begin(); it != all.end();) {
      it = it->second.rfind("withdrawn", 0) == 0 ? all.erase(it) : std::next(it);
    }
    return all;
  }
  AlertState Alert(const std::string& alert) const {
    auto a = projector_->GetAlert(*ParseUuid(alert));
    REQUIRE(a.ok());
    REQUIRE(a->has_value());
    return **a;
  }
  bool Acknowledged(const std::string& alert) const { return Alert(alert).acknowledged_at >= 0; }
  // alert.raised and alert.withdrawn events in the log; with `origin`, only those that
  // node appended.
  size_t LifecycleEvents(const std::string& origin = "") const {
    size_t n = 0;
    REQUIRE(store_
                ->ScanLog(0,
                          [&](uint64_t, schema::Event::Reader e) {
                            if (!origin.empty() &&
                                std::string(e.getProvenance().getOrigin()) != origin) {
                              return true;
                            }
                            n += e.isAlertRaised() || e.isAlertWithdrawn();
                            return true;
                          })
                .ok());
    return n;
  }
  IndicatorReport Indicators(int64_t from, int64_t to) const {
    auto r = projector_->Indicators(from, to);
    REQUIRE(r.ok());
    return *r;
  }
  const std::string& id() const { return id_; }
  Projector* projector() const { return projector_.get(); }
  EventStore* store() const { return store_.get(); }

 private:
  void Open() {
    StoreOptions options{id_};
    // Restarts here close the store cleanly; the fsyncs would only make the test slow.
    options.sync = false;
    options.block_cache_bytes = 1 << 20;
    options.write_buffer_bytes = 4 << 20;
    auto s = EventStore::Open(dir_.path(), options);
    REQUIRE(s.ok());
    store_ = std::move(s).value();
    const int64_t now = now_;
    auto p = Projector::Open(store_.get(), rules_, [now] { return now; });
    REQUIRE(p.ok());
    projector_ = std::move(p).value();
  }

  TempDir dir_{"holdfast-projector"};
  std::string id_;
  int64_t now_;
  RuleConfig rules_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<Projector> projector_;
};

}  // namespace holdfast::testing
