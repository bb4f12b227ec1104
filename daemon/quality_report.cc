// `holdfast report quality`: the anomalies of projections/quality.h, read from the store on
// demand and shown as the caller's role may see them (docs/quality.md, "Who sees what").
//
// With a case: that case's stream, with each event's void looked up (its void/ stream) and
// each session its attendance names (its session/ stream). Without: one pass over the log
// that keeps the case ids, the sessions held and the voids (never the events), then each
// case's stream in case id order. Memory grows with cases, sessions and voids, not with
// events; the answer leaves in frames as it is found. Both read the events the log held
// when the request began, so they are a function of that set of events.
#include <array>
#include <map>
#include <set>

#include "daemon/handler.h"
#include "projections/fold.h"
#include "projections/quality.h"

namespace holdfast {
namespace {

using R = schema::Role;

// Anomalies per frame: a few hundred bytes each, so a frame is well under a MiB.
constexpr size_t kAnomaliesPerFrame = 2000;

// The report as frames: anomalies go out as they are added, the counts with the last.
class QualityFrames {
 public:
  QualityFrames(ResponseChannel* channel, api::Response::Builder response, bool counts_only,
                std::vector<std::string> withheld)
      : channel_(channel),
        response_(response),
        counts_only_(counts_only),
        withheld_(std::move(withheld)) {}

  // False when the client has gone: stop.
  bool Add(const Anomaly& a) {
    ++counts_[static_cast<size_t>(a.kind)];
    if (counts_only_) return true;
    held_.push_back(a);
    if (channel_ == nullptr || held_.size() < kAnomaliesPerFrame) return true;
    capnp::MallocMessageBuilder message;
    Fill(message.initRoot<api::Response>().initQuality());
    return channel_->SendPage(message);
  }

  void Finish() {
    auto q = response_.initQuality();
    Fill(q);
    q.setLast(true);
    const auto& kinds = AllAnomalyKinds();
    auto counts = q.initCounts(static_cast<unsigned>(kinds.size()));
    for (size_t i = 0; i < kinds.size(); ++i) {
      counts[static_cast<unsigned>(i)].setKind(std::string(AnomalyKindName(kinds[i])));
      counts[static_cast<unsigned>(i)].setCount(counts_[static_cast<size_t>(kinds[i])]);
    }
  }

 private:
  void Fill(api::QualityReport::Builder q) {
    q.setCountsOnly(counts_only_);
    auto list = q.initAnomalies(static_cast<unsigned>(held_.size()));
    for (size_t i = 0; i < held_.size(); ++i) {
      const Anomaly& a = held_[i];
      auto out = list[static_cast<unsigned>(i)];
      out.setKind(std::string(AnomalyKindName(a.kind)));
      out.setCaseId(a.case_id);
      out.setEvent(FormatUuid(a.event));
      out.setType(std::string(EventTypeName(a.type)));
      out.setOccurredAt(a.occurred_at);
      out.setDetail(a.detail);
      out.setIntervention(a.intervention);
    }
    if (!withheld_.empty()) {
      auto w = q.initWithheld(static_cast<unsigned>(withheld_.size()));
      for (size_t i = 0; i < withheld_.size(); ++i) w.set(static_cast<unsigned>(i), withheld_[i]);
    }
    held_.clear();
  }

  ResponseChannel* channel_;
  api::Response::Builder response_;
  bool counts_only_;
  std::vector<std::string> withheld_;
  std::vector<Anomaly> held_;
  std::array<uint64_t, 11> counts_{};
};

// What the node holds beyond one case's stream, as the report reads it: whether an event is
// voided, whether a session is held.
struct Held {
  std::function<bool(const Uuid& event)> voided;
  SessionHeld session;
};

bool IsCaseEvent(schema::Event::Reader e, std::string* case_id) {
  const EventType type = e.which();
  if (IsAlertType(type) || type == EventType::SESSION_HELD ||
      type == EventType::INCIDENT_REPORTED || type == EventType::SUBJECT_ERASED ||
      type == EventType::RECORD_VOIDED) {
    return false;
  }
  const std::string stream = StreamOf(e);
  *case_id = stream.substr(stream.find('/') + 1);
  return true;
}

}  // namespace

Status RequestHandler::HandleQualityReport(const Caller& caller, api::QualityRequest::Reader req,
                                           api::Response::Builder response,
                                           ResponseChannel* channel) {
  QualityConfig config;
  config.max_future_nanos = static_cast<int64_t>(node_.max_future_seconds) * 1000000000LL;
  const bool counts_only = caller.role == R::ANALYST;
  const bool everything = counts_only || caller.role == R::PROBATION;
  const ReadScope scope = ScopeOf(caller);
  if (!everything) {
    // A facilitator's cases are the projections' referrals to its agency.
    Status s = projector_->CatchUp();
    if (!s.ok() && store_->CanWrite().ok()) return s;
  }
  std::vector<std::string> withheld;
  if (caller.role == R::FACILITATOR) {
    withheld = {"anomalies of cases with no intervention referred to " + node_.agency,
                "of other providers' interventions, risk changes and breaches",
                "of sessions and voids recorded by other agencies"};
  } else if (caller.role == R::POLICE) {
    withheld = {"anomalies of intervention, attendance and session records",
                "of voids recorded by other agencies"};
  }
  QualityFrames frames(channel, response, counts_only, withheld);
  const uint64_t last = store_->LastPosition();
  bool gone = false;

  // One case: its events held and not voided, judged, and shown as the reader may see them.
  // `shown` (optional): false when the reader may see nothing of the case.
  auto report_case = [&](const std::string& case_id, const Held& held,
                         bool* shown = nullptr) -> Status {
    std::optional<StreamView> view;
    if (shown != nullptr) *shown = true;
    if (!everything) {
      auto v = scope.ForStream("case/" + case_id);
      if (!v.ok()) return v.status();
      if (v->hidden()) {
        if (shown != nullptr) *shown = false;
        return Status::Ok();
      }
      view = std::move(v).value();
    }
    std::vector<Fact> facts;
    std::set<Uuid> hidden;
    HOLDFAST_RETURN_IF_ERROR(
        store_->ScanStream("case/" + case_id, [&](uint64_t position, schema::Event::Reader e) {
          if (position > last || IsAlertType(e.which())) return true;
          Fact f = FactOf(e);
          if (held.voided(f.id)) return true;
          if (view && view->Of(e) == StreamView::Show::kNothing) hidden.insert(f.id);
          facts.push_back(std::move(f));
          return true;
        }));
    std::vector<Anomaly> anomalies;
    CaseAnomalies(facts, held.session, config, &anomalies);
    SortAnomalies(&anomalies);
    for (const Anomaly& a : anomalies) {
      if (hidden.count(a.event) > 0) continue;
      if (!frames.Add(a)) {
        gone = true;
        break;
      }
    }
    return Status::Ok();
  };

  const std::string case_id = req.getCaseId();
  // A case the reader may not see is answered as one the node does not hold.
  const Status not_held = Status::NotFound(
      "case " + case_id +
      ": this node holds no events of it (holdfast case list shows the cases it holds)");
  if (!case_id.empty()) {
    if (counts_only) {
      // Even a count for one case tells of the case (whether it is held, what is wrong).
      return Status::PermissionDenied(
          "report quality --case is case-level data: the analyst role sees the node's counts "
          "only (leave out --case)");
    }
    if (store_->StreamVersion("case/" + case_id) == 0) return not_held;
    std::map<std::string, bool> sessions;
    Held held;
    held.voided = [&](const Uuid& event) {
      return store_->StreamVersion("void/" + FormatUuid(event)) > 0;
    };
    Status session_status;
    held.session = [&](const std::string& session) {
      // Named, not a structured binding: the scan's lambda below uses it (clang refuses a
      // binding captured by a lambda in C++17).
      const auto inserted = sessions.emplace(session, false);
      const auto it = inserted.first;
      if (!inserted.second) return it->second;
      Status s =
          store_->ScanStream("session/" + session, [&](uint64_t position, schema::Event::Reader e) {
            if (position > last || e.which() != EventType::SESSION_HELD) return true;
            if (held.voided(ToUuid(e.getId()))) return true;
            it->second = true;
            return false;
          });
      if (!s.ok()) session_status = s;
      return it->second;
    };
    bool shown = true;
    HOLDFAST_RETURN_IF_ERROR(report_case(case_id, held, &shown));
    if (!shown) return not_held;
    HOLDFAST_RETURN_IF_ERROR(session_status);
    if (gone) return Status::Unavailable("the client stopped reading");
    frames.Finish();
    return Status::Ok();
  }

  // The whole node: one pass over the log for what is not in a case's stream.
  std::set<std::string> cases;
  std::map<std::string, std::vector<Uuid>> session_events;  // session -> its session.held
  struct Other {
    Fact fact;
    bool visible = false;  // to this reader
  };
  std::vector<Other> voids, dated;  // the voids, and the sessions and incidents future dated
  auto authored_here = [&](schema::Event::Reader e) {
    return e.getAuthor().getAgency() == node_.agency;
  };
  Anomaly future;
  HOLDFAST_RETURN_IF_ERROR(store_->ScanLog(0, [&](uint64_t position, schema::Event::Reader e) {
    if (position > last) return false;
    std::string id;
    switch (e.which()) {
      case EventType::RECORD_VOIDED:
        voids.push_back({FactOf(e), everything || authored_here(e)});
        break;
      case EventType::SESSION_HELD:
        session_events[e.getSessionHeld().getSession()].push_back(ToUuid(e.getId()));
        if (FutureDated(FactOf(e), config, &future)) {
          dated.push_back(
              {FactOf(e), everything || (caller.role == R::FACILITATOR && authored_here(e))});
        }
        break;
      case EventType::INCIDENT_REPORTED:
        if (FutureDated(FactOf(e), config, &future)) {
          dated.push_back({FactOf(e), everything || caller.role == R::POLICE});
        }
        break;
      default:
        if (IsCaseEvent(e, &id)) cases.insert(std::move(id));
    }
    return true;
  }));
  // The voids that stand (their target held, and one a void may void), and those whose
  // target is missing.
  std::set<Uuid> voided;
  std::vector<Anomaly> others;
  for (const Other& v : voids) {
    auto target = store_->Get(v.fact.voided);
    if (target.ok() && target->position() <= last) {
      if (IsVoidable(target->reader().which())) voided.insert(v.fact.voided);
    } else if (target.ok() || target.status().code() == Status::Code::kNotFound) {
      if (v.visible) others.push_back(VoidTargetMissing(v.fact));
    } else {
      return target.status();
    }
  }
  for (const Other& d : dated) {
    if (d.visible && voided.count(d.fact.id) == 0 && FutureDated(d.fact, config, &future)) {
      others.push_back(future);
    }
  }
  std::set<std::string> sessions;
  for (const auto& [session, events] : session_events) {
    for (const Uuid& event : events) {
      if (voided.count(event) == 0) sessions.insert(session);
    }
  }
  session_events.clear();
  SortAnomalies(&others);
  for (const Anomaly& a : others) {
    if (!frames.Add(a)) return Status::Unavailable("the client stopped reading");
  }
  Held held;
  held.voided = [&](const Uuid& event) { return voided.count(event) > 0; };
  held.session = [&](const std::string& session) { return sessions.count(session) > 0; };
  for (const std::string& c : cases) {
    HOLDFAST_RETURN_IF_ERROR(report_case(c, held));
    if (gone) return Status::Unavailable("the client stopped reading");
  }
  frames.Finish();
  return Status::Ok();
}

}  // namespace holdfast
