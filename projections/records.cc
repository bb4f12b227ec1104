#include "projections/records.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/io.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "eventstore/keys.h"
#include "projections/state.capnp.h"

namespace holdfast {
namespace {

// The first segment of every record built on this thread: reused, so a small record costs
// no allocation (the builder zeroes what it used when it is destroyed, as capnp requires).
thread_local std::array<capnp::word, 512> scratch_segment{};

struct RecordBuilder : capnp::MallocMessageBuilder {
  RecordBuilder()
      : capnp::MallocMessageBuilder(kj::arrayPtr(scratch_segment.data(), scratch_segment.size())) {}
};

std::string ToBytes(capnp::MessageBuilder& m) {
  auto segments = m.getSegmentsForOutput();
  std::string out(capnp::computeSerializedSizeInWords(segments) * sizeof(capnp::word), '\0');
  kj::ArrayOutputStream stream(kj::arrayPtr(reinterpret_cast<kj::byte*>(out.data()), out.size()));
  capnp::writeMessage(stream, segments);
  return out;
}

// Decodes `bytes` as a T and calls fn(reader); false if they are not a message.
template <typename T, typename Fn>
bool WithReader(std::string_view bytes, Fn fn) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) return false;
  // capnp reads words in place: bytes that are not word-aligned are copied first.
  kj::Array<capnp::word> copy;  // not std::vector: capnp::word cannot be moved
  const capnp::word* words = reinterpret_cast<const capnp::word*>(bytes.data());
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) != 0) {
    copy = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(copy.begin(), bytes.data(), bytes.size());
    words = copy.begin();
  }
  try {
    capnp::FlatArrayMessageReader reader(
        kj::ArrayPtr<const capnp::word>(words, bytes.size() / sizeof(capnp::word)));
    fn(reader.getRoot<T>());
    return true;
  } catch (const kj::Exception&) {
    return false;
  }
}

void SetKey(state::EventKey::Builder b, const std::tuple<int64_t, uint64_t, Uuid>& k) {
  b.setOccurredAt(std::get<0>(k));
  b.setRecordedAt(std::get<1>(k));
  SetUuid(b.initId(), std::get<2>(k));
}

std::tuple<int64_t, uint64_t, Uuid> GetKey(state::EventKey::Reader r) {
  return {r.getOccurredAt(), r.getRecordedAt(), ToUuid(r.getId())};
}

}  // namespace

std::string EncodeCase(const CaseRow& c) {
  RecordBuilder m;
  auto b = m.initRoot<state::CaseRecord>();
  b.setCaseId(c.case_id);
  if (c.has_opened) SetKey(b.initOpened(), c.opened_key);
  b.setSubject(c.subject);
  b.setOrder(c.order);
  b.setLeadAgency(c.lead_agency);
  b.setRisk(c.risk);
  if (c.has_risk) SetKey(b.initRiskSet(), c.risk_key);
  if (c.has_closed) SetKey(b.initClosed(), c.closed_key);
  b.setEvents(c.events);
  return ToBytes(m);
}

bool DecodeCase(std::string_view bytes, CaseRow* c) {
  return WithReader<state::CaseRecord>(bytes, [&](state::CaseRecord::Reader r) {
    c->case_id = r.getCaseId();
    c->has_opened = r.hasOpened();
    if (c->has_opened) {
      c->opened_key = GetKey(r.getOpened());
      c->opened_at = std::get<0>(c->opened_key);
    }
    c->subject = r.getSubject();
    c->order = r.getOrder();
    c->lead_agency = r.getLeadAgency();
    c->risk = r.getRisk();
    c->has_risk = r.hasRiskSet();
    if (c->has_risk) c->risk_key = GetKey(r.getRiskSet());
    c->has_closed = r.hasClosed();
    if (c->has_closed) {
      c->closed_key = GetKey(r.getClosed());
      c->closed_at = std::get<0>(c->closed_key);
    }
    c->events = r.getEvents();
  });
}

std::string EncodeAlert(const AlertState& s) {
  RecordBuilder m;
  auto b = m.initRoot<state::AlertRecord>();
  SetUuid(b.initAlert(), s.alert);
  b.setHasRaised(s.has_raised);
  b.setRule(s.rule);
  b.setCaseId(s.case_id);
  b.setSubject(s.subject);
  b.setIntervention(s.intervention);
  b.setReason(s.reason);
  b.setSeverity(s.severity);
  SetUuid(b.initTrigger(), s.trigger);
  b.setWithdrawn(s.withdrawn);
  b.setRaisedAt(s.raised_at);
  b.setRaisedBy(s.raised_by);
  b.setWithdrawReason(s.withdraw_reason);
  auto ts = b.initTransitions(static_cast<unsigned>(s.transitions.size()));
  for (size_t i = 0; i < s.transitions.size(); ++i) {
    auto t = ts[static_cast<unsigned>(i)];
    t.setWithdrawn(s.transitions[i].withdrawn);
    t.setAt(s.transitions[i].at);
    t.setRecordedAt(s.transitions[i].recorded_at);
    SetUuid(t.initId(), s.transitions[i].id);
    t.setRank(s.transitions[i].rank);
  }
  b.setAcknowledgedAt(s.acknowledged_at);
  b.setAcknowledgedBy(s.acknowledged_by);
  b.setNote(s.note);
  SetUuid(b.initAcknowledgedId(), s.acknowledged_id);
  b.setResolvedAt(s.resolved_at);
  b.setResolvedBy(s.resolved_by);
  b.setAction(s.action);
  SetUuid(b.initResolvedId(), s.resolved_id);
  if (!s.assigned_to.empty()) {
    b.setAssignedTo(s.assigned_to);
    b.setAssignedBy(s.assigned_by);
    b.setAssignedAt(s.assigned_at);
    b.setAssignedRecordedAt(s.assigned_recorded_at);
    SetUuid(b.initAssignedId(), s.assigned_id);
    b.setAssignNote(s.assign_note);
  }
  return ToBytes(m);
}

bool DecodeAlert(std::string_view bytes, AlertState* s) {
  return WithReader<state::AlertRecord>(bytes, [&](state::AlertRecord::Reader r) {
    s->alert = ToUuid(r.getAlert());
    s->has_raised = r.getHasRaised();
    s->rule = r.getRule();
    s->case_id = r.getCaseId();
    s->subject = r.getSubject();
    s->intervention = r.getIntervention();
    s->reason = r.getReason();
    s->severity = r.getSeverity();
    s->trigger = ToUuid(r.getTrigger());
    s->withdrawn = r.getWithdrawn();
    s->raised_at = r.getRaisedAt();
    s->raised_by = r.getRaisedBy();
    s->withdraw_reason = r.getWithdrawReason();
    s->transitions.clear();
    for (auto t : r.getTransitions()) {
      s->transitions.push_back(
          {t.getWithdrawn(), t.getAt(), t.getRecordedAt(), ToUuid(t.getId()), t.getRank()});
    }
    s->acknowledged_at = r.getAcknowledgedAt();
    s->acknowledged_by = r.getAcknowledgedBy();
    s->note = r.getNote();
    s->acknowledged_id = ToUuid(r.getAcknowledgedId());
    s->resolved_at = r.getResolvedAt();
    s->resolved_by = r.getResolvedBy();
    s->action = r.getAction();
    s->resolved_id = ToUuid(r.getResolvedId());
    s->assigned_to = r.getAssignedTo();
    s->assigned_by = r.getAssignedBy();
    s->assigned_at = s->assigned_to.empty() ? -1 : r.getAssignedAt();
    s->assigned_recorded_at = r.getAssignedRecordedAt();
    s->assigned_id = ToUuid(r.getAssignedId());
    s->assign_note = r.getAssignNote();
  });
}

std::string EncodeStanding(const StandingRow& s) {
  RecordBuilder m;
  auto b = m.initRoot<state::StandingAttendance>();
  b.setRecordedAt(s.recorded_at);
  SetUuid(b.initId(), s.id);
  b.setOccurredAt(s.occurred_at);
  b.setOutcome(s.outcome);
  b.setIntervention(s.intervention);
  return ToBytes(m);
}

bool DecodeStanding(std::string_view bytes, StandingRow* s) {
  return WithReader<state::StandingAttendance>(bytes, [&](state::StandingAttendance::Reader r) {
    s->recorded_at = r.getRecordedAt();
    s->id = ToUuid(r.getId());
    s->occurred_at = r.getOccurredAt();
    s->outcome = r.getOutcome();
    s->intervention = r.getIntervention();
  });
}

std::string EncodeVoid(const VoidRow& v) {
  RecordBuilder m;
  auto b = m.initRoot<state::VoidRecord>();
  SetUuid(b.initVoidId(), v.void_id);
  b.setOccurredAt(v.occurred_at);
  b.setRecordedAt(v.recorded_at);
  b.setReason(v.reason);
  b.setUser(v.user);
  return ToBytes(m);
}

bool DecodeVoid(std::string_view bytes, VoidRow* v) {
  return WithReader<state::VoidRecord>(bytes, [&](state::VoidRecord::Reader r) {
    v->void_id = ToUuid(r.getVoidId());
    v->occurred_at = r.getOccurredAt();
    v->recorded_at = r.getRecordedAt();
    v->reason = r.getReason();
    v->user = r.getUser();
  });
}

std::string EncodeIndicatorFact(const Fact& f) {
  RecordBuilder m;
  auto b = m.initRoot<state::IndicatorFact>();
  b.setType(static_cast<uint16_t>(f.type));
  b.setExitReason(f.exit_reason);
  b.setSubject(f.subject);
  b.setIncident(f.incident);
  b.setCategory(f.category);
  return ToBytes(m);
}

bool DecodeIndicatorFact(std::string_view bytes, int64_t occurred_at, Fact* f) {
  return WithReader<state::IndicatorFact>(bytes, [&](state::IndicatorFact::Reader r) {
    f->type = static_cast<EventType>(r.getType());
    f->occurred_at = occurred_at;
    f->exit_reason = r.getExitReason();
    f->subject = r.getSubject();
    f->incident = r.getIncident();
    f->category = r.getCategory();
  });
}

std::string EncodeFeedValue(AlertChange change, const Uuid& event, const AlertState& alert) {
  std::string value(1, static_cast<char>(change));
  value.append(keys::IdKey(event));
  value.append(keys::IdKey(alert.alert));  // the alert row's key holds it, not its value
  value.append(EncodeAlert(alert));
  return value;
}

bool DecodeFeedValue(std::string_view bytes, FeedEntry* entry) {
  constexpr size_t kHead = 1 + 16 + 16;
  if (bytes.size() < kHead) return false;
  const auto change = static_cast<uint8_t>(bytes[0]);
  if (change > static_cast<uint8_t>(AlertChange::kAssigned)) return false;
  entry->change = static_cast<AlertChange>(change);
  entry->event.hi = keys::DecodeFixed64BE(bytes.data() + 1);
  entry->event.lo = keys::DecodeFixed64BE(bytes.data() + 9);
  entry->alert = AlertState{};
  if (!DecodeAlert(bytes.substr(kHead), &entry->alert)) return false;
  entry->alert.alert.hi = keys::DecodeFixed64BE(bytes.data() + 17);
  entry->alert.alert.lo = keys::DecodeFixed64BE(bytes.data() + 25);
  entry->status = StatusAsOf(entry->alert, INT64_MAX).value_or("withdrawn");
  return true;
}

}  // namespace holdfast
