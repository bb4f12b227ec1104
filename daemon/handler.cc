#include "daemon/handler.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "daemon/entry_checks.h"
#include "daemon/paged_reply.h"
#include "daemon/rights.h"
#include "daemon/safe_text.h"
#include "daemon/triage.h"
#include "eventstore/keys.h"
#include "eventstore/validate.h"
#include "projections/alert_filter.h"

namespace holdfast {
namespace {

api::Error::Code ToApiCode(Status::Code code) {
  using C = api::Error::Code;
  switch (code) {
    case Status::Code::kInvalidArgument:
      return C::INVALID_ARGUMENT;
    case Status::Code::kNotFound:
      return C::NOT_FOUND;
    case Status::Code::kConflict:
    case Status::Code::kSeqConflict:
      return C::CONFLICT;
    case Status::Code::kVersionConflict:
      return C::VERSION_CONFLICT;
    case Status::Code::kPermissionDenied:
      return C::PERMISSION_DENIED;
    case Status::Code::kUnavailable:
      return C::UNAVAILABLE;
    case Status::Code::kIoError:
      return C::IO_ERROR;
    case Status::Code::kCorruption:
      return C::CORRUPTION;
    case Status::Code::kOk:
      break;
  }
  return C::INTERNAL;
}

std::string EncodeHex(const std::string& bytes) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// "" when `hex` is not an even number of hex digits.
std::string DecodeHex(std::string_view hex) {
  auto digit = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  if (hex.size() % 2 != 0) return "";
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// An alerts listing's cursor: "<raise time, unix nanoseconds>.<alert id>".
std::string FormatAlertCursor(const AlertCursor& c) {
  return std::to_string(c.raised_at) + "." + FormatUuid(c.alert);
}

std::optional<AlertCursor> ParseAlertCursor(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 20) return std::nullopt;
  AlertCursor c;
  const std::string number(text.substr(0, dot));
  char* end = nullptr;
  errno = 0;
  c.raised_at = std::strtoll(number.c_str(), &end, 10);
  if (errno != 0 || end != number.c_str() + number.size()) return std::nullopt;
  auto id = ParseUuid(text.substr(dot + 1));
  if (!id) return std::nullopt;
  c.alert = *id;
  return c;
}

// An entry's outcome: "ok", or the status's code ("permission denied").
std::string AuditOutcome(const Status& status) {
  const std::string text = status.ToString();
  return status.ok() ? "ok" : text.substr(0, text.find(':'));
}

// Events only a node's own alert rules write (SPEC "Users, roles and rights").
bool IsDerived(EventType type) {
  return type == EventType::ALERT_RAISED || type == EventType::ALERT_WITHDRAWN;
}

// The case an event is about, or "" when it names none.
std::string CaseOf(schema::Event::Reader e) {
  std::string stream = StreamOf(e);
  return stream.rfind("case/", 0) == 0 ? stream.substr(5) : "";
}

// A refusal with `message` in place of the status's own, keeping its code.
Status Restated(const Status& status, std::string message) {
  switch (status.code()) {
    case Status::Code::kNotFound:
      return Status::NotFound(std::move(message));
    case Status::Code::kConflict:
      return Status::Conflict(std::move(message));
    case Status::Code::kPermissionDenied:
      return Status::PermissionDenied(std::move(message));
    default:
      return Status::InvalidArgument(std::move(message));
  }
}

// One event of an import and what became of it: written (or already held) at a position, or
// refused, and why.
struct ImportOutcome {
  AppendedEvent appended;
  std::string refused;
};

// The store's errors that are about one event's content, which an import reports against
// that event (and its line), as opposed to the store's own troubles.
bool IsAboutOneEvent(const Status& s) {
  return s.code() == Status::Code::kConflict || s.code() == Status::Code::kInvalidArgument;
}

// Why the store refused one event, in the words the CLI prints after "line N: ".
std::string RefusalOf(EventStore* store, schema::Event::Reader event, const Status& status) {
  if (status.code() != Status::Code::kConflict) return status.message();
  const Uuid id = ToUuid(event.getId());
  if (store->Get(id).ok()) {
    return "id " + FormatUuid(id) + " is already held with different content (conflict)";
  }
  return status.message() + " (conflict)";
}

// Writes events [begin, end) of an import (all new, or all from elsewhere) in order, until
// the store refuses one. The store takes a call whole or not at all, so a refused call is
// split in two and each half tried in turn: what comes before the refused event is written,
// its refusal is the last outcome, and nothing after it is written. Another error is
// returned (what came before it is written). Refusals are rare, so the extra calls are too.
Status WriteUntilRefused(EventStore* store, capnp::List<schema::Event>::Reader events,
                         unsigned begin, unsigned end, bool remote,
                         std::vector<ImportOutcome>* outcomes) {
  if (begin == end) return Status::Ok();
  std::vector<Event> run;
  run.reserve(end - begin);
  for (unsigned i = begin; i < end; ++i) run.push_back(Event::CopyOf(events[i]));
  auto r = remote ? store->Insert(std::move(run)) : store->Append(std::move(run));
  if (r.ok()) {
    for (const auto& e : r->events) outcomes->push_back({e, ""});
    return Status::Ok();
  }
  if (!IsAboutOneEvent(r.status())) return r.status();
  if (end - begin == 1) {
    outcomes->push_back({{}, RefusalOf(store, events[begin], r.status())});
    return Status::Ok();
  }
  const unsigned middle = begin + (end - begin) / 2;
  HOLDFAST_RETURN_IF_ERROR(WriteUntilRefused(store, events, begin, middle, remote, outcomes));
  if (!outcomes->empty() && !outcomes->back().refused.empty()) return Status::Ok();
  return WriteUntilRefused(store, events, middle, end, remote, outcomes);
}

// While a long request (an import batch, a rebuild) runs, a progress frame at least every
// second, so a client can tell a daemon at work from a stopped one (docs/paging.md).
class Heartbeat {
 public:
  Heartbeat(ResponseChannel* channel, std::function<void(api::Progress::Builder)> fill) {
    if (channel == nullptr) return;
    thread_ = std::thread([this, channel, fill = std::move(fill)] {
      std::unique_lock<std::mutex> l(mu_);
      while (!cv_.wait_for(l, std::chrono::seconds(1), [this] { return done_; })) {
        capnp::MallocMessageBuilder m;
        fill(m.initRoot<api::Response>().initProgress());
        channel->SendInterim(m);
      }
    });
  }
  ~Heartbeat() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> l(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

Status ClientGone() {
  return Status::Unavailable(
      "the listing stopped: the client stopped reading, or holdfastd is "
      "stopping");
}

// Folds what the log holds into the projections before a query answers or an append
// returns. While the store takes no writes (a full disk) the fold cannot be saved: queries
// then answer from the projections as they stand (the fold thread folds the rest once
// writing resumes), and an append that is durable is never reported failed for it.
Status CatchUp(Projector* projector, EventStore* store) {
  Status s = projector->CatchUp();
  if (!s.ok() && !store->CanWrite().ok()) return Status::Ok();
  return s;
}

Status RequireFewEnoughEvents(size_t events) {
  if (events <= RequestHandler::kMaxEventsPerRequest) return Status::Ok();
  return Status::InvalidArgument(
      "a request of " + std::to_string(events) + " events: one request carries at most " +
      std::to_string(RequestHandler::kMaxEventsPerRequest) + "; send them in batches");
}

}  // namespace

void RequestHandler::Handle(api::Request::Reader request, api::Response::Builder response,
                            ResponseChannel* channel, int64_t peer_uid,
                            const Presented* signed_in) {
  Status status;
  AuditRecord audit;
  try {
    const std::string token = request.getIdentity().getToken();
    const Identification who =
        users_->Identify(signed_in != nullptr ? *signed_in : Presented{token, peer_uid, {}, {}});
    const Caller& caller = who.caller;
    const RequestKind* kind = FindRequestKind(request.which());
    audit.user = caller.user;
    audit.role = caller.user.empty() ? "" : RoleName(caller.role);
    audit.credential = caller.credential;
    audit.verb = kind != nullptr ? kind->verb : "unknown";
    if (!who.status.ok()) {
      status = who.status;  // an unmapped or disabled caller, or a bad token
    } else if (Status client = CheckRight(caller.role, Right::kAnyRole, audit.verb); !client.ok()) {
      status = client;  // the daemon's own role, or one this build does not know
    } else if (kind == nullptr) {
      status = Status::InvalidArgument("unknown request: is the CLI newer than holdfastd?");
    } else {
      if (kind->audit == AuditTarget::kRequest) audit.target = kind->target(request);
      status = CheckRight(caller.role, kind->right, kind->command);
      if (status.ok()) {
        status = kind->handle(*this, Call{caller, request, response, channel, &audit});
      }
      // A ping is not audited once its caller is known; a refused caller always is.
      if (kind->audit == AuditTarget::kNotAudited) audit.verb.clear();
    }
  } catch (const kj::Exception& ex) {
    status =
        Status::InvalidArgument(std::string("malformed request: ") + ex.getDescription().cStr());
  } catch (const std::exception& ex) {
    status = Status::InvalidArgument(std::string("request failed: ") + ex.what());
  }
  if (!status.ok()) {
    auto error = response.initError();
    error.setCode(ToApiCode(status.code()));
    error.setMessage(status.message());
  }
  if (!audit.verb.empty()) {
    // Unless the handler named it (import)
    if (!status.ok() || audit.outcome.empty()) audit.outcome = AuditOutcome(status);
    audit_->Record(audit).IgnoreError();  // an entry the store cannot take yet waits in the log
  }
}

Status RequestHandler::HandlePing(api::Response::Builder response) {
  auto pong = response.initPong();
  pong.setNodeId(node_.node_id);
  pong.setAgency(node_.agency);
  pong.setKind(node_.kind);
  pong.setLastPosition(store_->LastPosition());
  pong.setTimezone(node_.timezone);
  return Status::Ok();
}

Status RequestHandler::HandleVerify(api::Response::Builder response) {
  auto report = store_->Verify();
  // Splits from peers' logs that sync found: the store alone cannot see them.
  auto splits = RecordedSplits(*store_);
  if (!splits.ok()) {
    report.problems.push_back(splits.status().ToString());
  } else {
    for (auto& split : *splits) report.problems.push_back(std::move(split));
  }
  auto v = response.initVerify();
  v.setEvents(report.events);
  auto problems = v.initProblems(static_cast<unsigned>(report.problems.size()));
  for (size_t i = 0; i < report.problems.size(); ++i) {
    problems.set(static_cast<unsigned>(i), report.problems[i]);
  }
  return Status::Ok();
}

Status RequestHandler::HandleWatchAlerts() {
  return Status::InvalidArgument(
      "this holdfast is older than holdfastd: alerts watch now follows the alert feed; run the "
      "holdfast installed with this holdfastd");
}

Status RequestHandler::HandlePeersAdd(api::PeerInfo::Reader info, api::Response::Builder response) {
  auto send = PeerFilter::Parse(info.getSend());
  if (!send.ok()) return Status::InvalidArgument("--send: " + send.status().message());
  PeerConfig peer{info.getId(), info.getAddress(), *send};
  HOLDFAST_RETURN_IF_ERROR(sync_->AddPeer(peer));
  response.setOk();
  return Status::Ok();
}

Status RequestHandler::HandlePeersRemove(const std::string& id, api::Response::Builder response) {
  HOLDFAST_RETURN_IF_ERROR(sync_->RemovePeer(id));
  response.setOk();
  return Status::Ok();
}

Status RequestHandler::HandleSyncNow(const std::string& id, api::Response::Builder response) {
  auto reports = sync_->SyncAndReport(id, std::chrono::seconds(10));
  if (!reports.ok()) return reports.status();
  auto out = response.initPeers(static_cast<unsigned>(reports->size()));
  for (size_t i = 0; i < reports->size(); ++i) {
    const SyncReport& r = (*reports)[i];
    auto p = out[static_cast<unsigned>(i)];
    p.setId(r.peer);
    p.setConnected(r.reached);
    p.setEventsIn(r.received);
    p.setEventsOut(r.sent);
    p.setLastError(r.error);
    p.setNote(!r.reached ? "" : r.caught_up ? "caught up" : "still syncing");
  }
  return Status::Ok();
}

Status RequestHandler::CheckAlertsKnown(const std::vector<Event>& events) {
  for (const auto& e : events) {
    auto r = e.reader();
    if (!r.isAlertAcknowledged() && !r.isAlertResolved() && !r.isAlertAssigned()) continue;
    const Uuid id = ToUuid(r.isAlertAcknowledged() ? r.getAlertAcknowledged().getAlert()
                           : r.isAlertResolved()   ? r.getAlertResolved().getAlert()
                                                   : r.getAlertAssigned().getAlert());
    HOLDFAST_RETURN_IF_ERROR(CatchUp(projector_, store_));
    auto alert = projector_->GetAlert(id);
    if (!alert.ok()) return alert.status();
    if (!*alert || !(*alert)->has_raised) {
      return Status::NotFound("alert " + FormatUuid(id) +
                              " is not known on this node: check the id with `holdfast alerts "
                              "list --status all`");
    }
  }
  return Status::Ok();
}

Status RequestHandler::HandleAppend(const Caller& caller, api::Request::Reader request,
                                    api::Response::Builder response, std::string* target) {
  auto append = request.getAppend();
  const auto role = caller.role;
  HOLDFAST_RETURN_IF_ERROR(RequireFewEnoughEvents(append.getEvents().size()));
  std::vector<Event> events;
  for (auto e : append.getEvents()) {
    Event event = Event::CopyOf(e);
    auto author = event.builder().initAuthor();
    author.setUser(caller.user);
    author.setRole(role);
    author.setAgency(node_.agency);
    events.push_back(std::move(event));
  }
  if (events.empty()) return Status::InvalidArgument("no events to append");
  *target = CaseOf(events[0].reader());
  if (target->empty()) *target = StreamOf(events[0].reader());
  for (const auto& e : events) {
    if (!MayAppend(role, e.reader().which())) {
      return Status::PermissionDenied("the " + RoleName(role) + " role may not record " +
                                      std::string(EventTypeName(e.reader().which())) +
                                      " (it may record: " + AppendableTypes(role) + ")");
    }
    HOLDFAST_RETURN_IF_ERROR(ValidateEvent(e.reader()));
  }
  HOLDFAST_RETURN_IF_ERROR(CheckAlertsKnown(events));
  std::optional<ExpectedVersion> expected;
  if (append.hasExpectedStream()) {
    expected = ExpectedVersion{append.getExpectedStream(), append.getExpectedVersion()};
  }
  // The checks at entry and the append, one request at a time: two appends checked at once
  // could each pass (two starts of one intervention) and both be written.
  std::lock_guard<std::mutex> entry(entry_mu_);
  EntryVerdict verdict;
  HOLDFAST_RETURN_IF_ERROR(CheckAtEntry(caller, append, events, &verdict));
  std::vector<Event> writing;  // without the voids of events already voided
  for (size_t i = 0; i < events.size(); ++i) {
    if (!verdict.already_voided.count(i)) writing.push_back(std::move(events[i]));
  }
  AppendResult result;
  if (!writing.empty()) {
    auto r = store_->Append(std::move(writing), expected);
    if (!r.ok()) return r.status();
    result = std::move(*r);
  }
  auto list = response.initAppended(static_cast<unsigned>(events.size()));
  for (unsigned i = 0, written = 0; i < list.size(); ++i) {
    if (verdict.already_voided.count(i)) {
      list[i].setDuplicate(true);
      list[i].setWarning("that event was already voided: nothing more was written");
      continue;
    }
    list[i].setPosition(result.events[written].position);
    list[i].setDuplicate(result.events[written].duplicate);
    ++written;
  }
  for (const auto& w : verdict.warnings) list[static_cast<unsigned>(w.index)].setWarning(w.text);
  for (unsigned i = 0; i < list.size(); ++i) {
    if (list[i].hasWarning()) continue;
    const std::string warning = AssigneeWarning(*users_, append.getEvents()[i]);
    if (!warning.empty()) list[i].setWarning(warning);
  }
  return CatchUp(projector_, store_);  // read your writes: lists already show what was appended
}

Status RequestHandler::CheckAtEntry(const Caller& caller, api::Append::Reader append,
                                    const std::vector<Event>& events, EntryVerdict* verdict) {
  HOLDFAST_RETURN_IF_ERROR(CatchUp(projector_, store_));  // voids and events just appended
  std::vector<Fact> offered;
  offered.reserve(events.size());
  for (const auto& e : events) offered.push_back(FactOf(e.reader()));
  auto held = ReadHeldRecord(*store_, *projector_, offered);
  if (!held.ok()) return held.status();
  EntryRules rules;
  rules.role = caller.role;
  rules.agency = node_.agency;
  rules.now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  rules.max_future_nanos = int64_t{node_.max_future_seconds} * 1000000000LL;
  rules.unlisted_session = append.getUnlistedSession();
  *verdict = CheckEntry(offered, *held, rules);
  if (verdict->ok()) return Status::Ok();
  const auto labels = append.getLabels();
  auto label = [&](size_t i) -> std::string {
    if (i < labels.size()) return labels[static_cast<unsigned>(i)];
    return "event " + std::to_string(i + 1);
  };
  const EntryProblem& first = verdict->refused.front();
  if (events.size() == 1) return first.status;
  // One line naming every bad event, so a register's bad rows can all be put right at once.
  std::string message = "nothing was written: " + std::to_string(verdict->refused.size()) + " of " +
                        std::to_string(events.size()) + " refused";
  for (const auto& p : verdict->refused)
    message += "; " + label(p.index) + ": " + p.status.message();
  return Restated(first.status, std::move(message));
}

Status RequestHandler::HandleImport(api::Request::Reader request, api::Response::Builder response,
                                    ResponseChannel* channel, AuditRecord* audit) {
  const uint64_t total = request.getImport().size();
  Heartbeat heartbeat(channel, [total](api::Progress::Builder p) { p.setTotal(total); });
  // Events with provenance (an export of some node) keep it (Insert); the others are new
  // here (Append). Runs of each kind go in file order, so an import that stops at an event
  // (refused, or an error) has written what came before it and nothing after it.
  auto events = request.getImport();
  HOLDFAST_RETURN_IF_ERROR(RequireFewEnoughEvents(events.size()));
  // Derived events (alert.raised, alert.withdrawn) are a node's own rules' to write: one
  // imported could withdraw a real alert. They are taken only when the operator says so,
  // and the audit log says when that was.
  const bool with_derived = request.getImportWithDerived();
  if (with_derived) audit->verb = kAuditVerbImportWithDerived;
  unsigned importable = events.size();
  for (unsigned i = 0; i < importable && !with_derived; ++i) {
    if (IsDerived(events[i].which())) importable = i;
  }
  std::vector<ImportOutcome> outcomes;
  outcomes.reserve(events.size());
  for (unsigned i = 0; i < importable;) {
    const bool remote = events[i].hasProvenance();
    unsigned end = i;
    while (end < importable && events[end].hasProvenance() == remote) ++end;
    Status s = WriteUntilRefused(store_, events, i, end, remote, &outcomes);
    if (!s.ok()) {
      // What was written before the failure is folded too; the failure is what the client hears.
      projector_->CatchUp().IgnoreError();
      return s;
    }
    if (!outcomes.empty() && !outcomes.back().refused.empty()) break;
    i = end;
  }
  if (importable < events.size() && (outcomes.empty() || outcomes.back().refused.empty())) {
    const auto derived = events[importable];
    const std::string what =
        std::string(EventTypeName(derived.which())) + " " + FormatUuid(ToUuid(derived.getId()));
    outcomes.push_back(
        {{},
         what + " is derived: only a node's own alert rules write alert.raised and "
                "alert.withdrawn; import them only from an export you trust, with --with-derived"});
    audit->target = what;
    audit->outcome = AuditOutcome(Status::PermissionDenied("derived"));
  }
  auto list = response.initAppended(static_cast<unsigned>(outcomes.size()));
  for (unsigned i = 0; i < outcomes.size(); ++i) {
    list[i].setPosition(outcomes[i].appended.position);
    list[i].setDuplicate(outcomes[i].appended.duplicate);
    if (!outcomes[i].refused.empty()) list[i].setRefused(outcomes[i].refused);
  }
  // Folded (and its alerts derived) before the answer, so the alerts an import derives
  // depend on the file and its batches only, never on how the fold thread's timing fell.
  return CatchUp(projector_, store_);
}

Status RequestHandler::HandleReadLog(api::ReadLog::Reader read, api::Response::Builder response,
                                     ResponseChannel* channel) {
  // Up to the last position when the export began, so an export of a busy node ends.
  const uint64_t end = store_->LastPosition();
  const uint32_t limit = read.getLimit();
  PagedReply<api::PositionedEvent> reply(
      channel, response, [](api::Page::Builder p, unsigned n) { return p.initEvents(n); });
  uint64_t last = read.getAfter();
  bool more = false, gone = false;
  HOLDFAST_RETURN_IF_ERROR(
      store_->ScanLog(read.getAfter(), [&](uint64_t position, schema::Event::Reader e) {
        if (position > end) return false;
        if (limit != 0 && reply.count() >= limit) {
          more = true;  // an item beyond the limit: the listing goes on after `last`
          return false;
        }
        auto item = reply.Add();
        item.setPosition(position);
        item.setEvent(e);
        last = position;
        gone = !reply.Added();
        return !gone;
      }));
  if (gone) return ClientGone();
  reply.Finish(more ? std::to_string(last) : "").setLastPosition(end);
  return Status::Ok();
}

Status RequestHandler::HandleReadStream(const Caller& caller, const std::string& stream,
                                        api::Response::Builder response, ResponseChannel* channel) {
  const ReadScope scope = ScopeOf(caller);
  auto view = scope.ForStream(stream);
  if (!view.ok()) return view.status();
  PagedReply<api::PositionedEvent> reply(
      channel, response, [](api::Page::Builder p, unsigned n) { return p.initEvents(n); });
  reply.Withhold(view->withheld());
  bool gone = false;
  // A stream the reader may not see is answered as one the node does not hold: no events.
  if (!view->hidden()) {
    HOLDFAST_RETURN_IF_ERROR(
        store_->ScanStream(stream, [&](uint64_t position, schema::Event::Reader e) {
          const StreamView::Show show = view->Of(e);
          if (show == StreamView::Show::kNothing) return true;
          auto item = reply.Add();
          item.setPosition(position);
          item.setEvent(e);
          if (show == StreamView::Show::kRedacted) view->Redact(item.getEvent());
          gone = !reply.Added();
          return !gone;
        }));
  }
  if (gone) return ClientGone();
  reply.Finish("").setLastPosition(store_->LastPosition());
  return Status::Ok();
}

Status RequestHandler::HandleListCases(const Caller& caller, api::ListCases::Reader list,
                                       api::Response::Builder response, ResponseChannel* channel) {
  HOLDFAST_RETURN_IF_ERROR(CatchUp(projector_, store_));
  const ReadScope scope = ScopeOf(caller);
  const uint32_t limit = list.getLimit();
  const std::string agency = list.getAgency();
  PagedReply<api::CaseSummary> reply(
      channel, response, [](api::Page::Builder p, unsigned n) { return p.initCases(n); });
  const std::vector<std::string> withheld = scope.WithheldCaseFields();
  const bool count_events = withheld.empty();  // else "events" is the one withheld
  reply.Withhold(withheld);
  std::string last;
  bool more = false, gone = false;
  HOLDFAST_RETURN_IF_ERROR(scope.ScanCases(list.getAfter(), [&](const CaseRow& s) {
    if (list.getOpenOnly() && s.has_closed) return true;
    if (!agency.empty() && s.lead_agency != agency) return true;
    if (limit != 0 && reply.count() >= limit) {
      more = true;  // an item beyond the limit: the listing goes on after `last`
      return false;
    }
    auto c = reply.Add();
    c.setCaseId(s.case_id);
    c.setSubject(s.subject);
    c.setOrder(s.order);
    c.setRisk(s.risk);
    c.setLeadAgency(s.lead_agency);
    c.setOpenedAt(s.opened_at);
    c.setClosed(s.has_closed);
    c.setClosedAt(s.has_closed ? s.closed_at : 0);
    c.setEvents(count_events ? s.events : 0);
    last = s.case_id;
    gone = !reply.Added();
    return !gone;
  }));
  if (gone) return ClientGone();
  reply.Finish(more ? last : "");
  return Status::Ok();
}

Status RequestHandler::HandleStats(api::Response::Builder response) {
  std::vector<std::pair<std::string, std::string>> stats = {
      {"node", node_.node_id},
      {"agency", node_.agency},
      {"kind", node_.kind},
      {"events", std::to_string(store_->LastPosition())},
  };
  for (const auto& [origin, seq] : store_->HighWaterMarks()) {
    stats.emplace_back("origin " + origin + " seq", std::to_string(seq));
  }
  const auto sizes = store_->ApproximateSizes();
  stats.emplace_back("sst bytes", std::to_string(sizes.table_file_bytes));
  stats.emplace_back("memtable bytes", std::to_string(sizes.memtable_bytes));
  auto out = response.initStats(static_cast<unsigned>(stats.size()));
  for (size_t i = 0; i < stats.size(); ++i) {
    out[static_cast<unsigned>(i)].setName(stats[i].first);
    out[static_cast<unsigned>(i)].setValue(stats[i].second);
  }
  return Status::Ok();
}

Status RequestHandler::HandleBackup(const std::string& dir, api::Response::Builder response) {
  if (dir.empty() || dir[0] != '/') {
    return Status::InvalidArgument("backup directory must be an absolute path");
  }
  HOLDFAST_RETURN_IF_ERROR(store_->Backup(dir));
  response.setOk();
  return Status::Ok();
}

namespace {

// The verbs the audit log records: the request table's and its own.
std::vector<std::string> AuditVerbs() {
  std::vector<std::string> verbs;
  for (const auto& kind : RequestKinds()) verbs.push_back(kind.verb);
  for (const char* v :
       {kAuditVerbImportWithDerived, kAuditVerbStoreRestore, kAuditVerbEntriesLost, "unknown",
        // the web front end's own (daemon/web/sessions.cc)
        "sign-in", "sign-out"}) {
    verbs.push_back(v);
  }
  return verbs;
}

// An audit listing's filters from the request; a one-line refusal naming the option.
Result<AuditFilter> AuditFilterOf(api::AuditList::Reader list) {
  AuditFilter filter;
  filter.user = list.getUser();
  if (!filter.user.empty() && !IsIdentifier(filter.user)) {
    return Status::InvalidArgument("--user: \"" + filter.user +
                                   "\" is not a user id (1 to 128 characters, no spaces)");
  }
  filter.case_id = list.getCaseId();
  if (!filter.case_id.empty() && !IsIdentifier(filter.case_id)) {
    return Status::InvalidArgument("--case: \"" + filter.case_id +
                                   "\" is not a case id (1 to 128 characters, no spaces)");
  }
  const std::string verb = list.getVerb();
  if (!verb.empty()) {
    std::string known;
    for (const auto& kind : RequestKinds()) {
      if (verb == kind.command) filter.verb = kind.verb;  // as typed: "case show"
    }
    for (const auto& v : AuditVerbs()) {
      if (verb == v) filter.verb = v;
      known += (known.empty() ? "" : ", ") + v;
    }
    if (filter.verb.empty()) {
      return Status::InvalidArgument("--verb: \"" + verb +
                                     "\" is not a verb the audit log records; give one as "
                                     "audit list shows it (" +
                                     known + ") or as you type it (case show)");
    }
  }
  const std::string outcome = list.getOutcome();
  if (outcome == "allowed" || outcome == "ok") {
    filter.outcome = AuditFilter::Outcome::kAllowed;
  } else if (outcome == "refused") {
    filter.outcome = AuditFilter::Outcome::kRefused;
  } else if (!outcome.empty()) {
    // An outcome as listed: the code of a refusal ("permission denied").
    for (const Status& s :
         {Status::InvalidArgument(""), Status::NotFound(""), Status::Conflict(""),
          Status::SeqConflict(""), Status::VersionConflict(""), Status::PermissionDenied(""),
          Status::Unavailable(""), Status::IoError(""), Status::Corruption("")}) {
      if (AuditOutcome(s) == outcome) filter.outcome = AuditFilter::Outcome::kExactly;
    }
    if (filter.outcome != AuditFilter::Outcome::kExactly) {
      return Status::InvalidArgument(
          "--outcome: \"" + outcome +
          "\" is not allowed, refused, or an outcome as audit list shows it (\"permission "
          "denied\")");
    }
    filter.exact_outcome = outcome;
  }
  filter.since = list.getSince();
  filter.until = list.getUntil();
  if (filter.since < 0 || filter.until < 0) {
    return Status::InvalidArgument("--since and --until: a time before 1970 is not one");
  }
  if (filter.since != 0 && filter.until != 0 && filter.since > filter.until) {
    return Status::InvalidArgument("--since: it is after --until, so no entry could match");
  }
  return filter;
}

}  // namespace

Status RequestHandler::HandleAuditList(api::AuditList::Reader list, api::Response::Builder response,
                                       ResponseChannel* channel) {
  std::string before;
  if (list.getAfter().size() > 0) {
    before = DecodeHex(list.getAfter().cStr());
    if (before.size() != 16) {
      return Status::InvalidArgument("--after: \"" + std::string(list.getAfter().cStr()) +
                                     "\" is not a cursor audit list printed; copy it from the "
                                     "\"more after this page\" line");
    }
  }
  auto filter = AuditFilterOf(list);
  if (!filter.ok()) return filter.status();
  // Keys begin with the entry's time: a listing --until a time starts just after it.
  if (filter->until != 0 && filter->until < INT64_MAX) {
    const std::string until_key =
        keys::Fixed64BE(static_cast<uint64_t>(filter->until) + 1) + std::string(8, '\0');
    if (before.empty() || until_key < before) before = until_key;
  }
  const uint32_t limit = list.getLimit();
  PagedReply<api::AuditEntry> reply(
      channel, response, [](api::Page::Builder p, unsigned n) { return p.initAudit(n); });
  std::string last;
  bool more = false, gone = false;
  HOLDFAST_RETURN_IF_ERROR(audit_->Scan(before, [&](const std::string& key, const AuditRecord& r) {
    if (filter->since != 0 && r.at < filter->since) return false;  // older ones all are
    if (!filter->Matches(r)) return true;
    if (limit != 0 && reply.count() >= limit) {
      more = true;  // an item beyond the limit: the listing goes on after `last`
      return false;
    }
    auto e = reply.Add();
    e.setAt(r.at);
    e.setUser(r.user);
    e.setRole(r.role);
    e.setVerb(r.verb);
    e.setTarget(r.target);
    e.setOutcome(r.outcome);
    e.setCredential(r.credential);
    last = key;
    gone = !reply.Added();
    return !gone;
  }));
  if (gone) return ClientGone();
  reply.Finish(more ? EncodeHex(last) : "");
  return Status::Ok();
}

Status RequestHandler::HandleAuditVerify(api::Response::Builder response) {
  auto report = audit_->Verify();
  if (!report.ok()) return report.status();
  auto v = response.initAuditVerify();
  v.setChecked(report->checked);
  v.setUnchained(report->unchained);
  v.setHeadCount(report->head.count);
  v.setHeadHash(report->head.hash);
  v.setBreakCount(report->breaks);
  auto breaks = v.initBreaks(static_cast<unsigned>(report->found.size()));
  for (unsigned i = 0; i < breaks.size(); ++i) {
    const AuditBreak& b = report->found[i];
    breaks[i].setKind(AuditBreakKindName(b.kind));
    breaks[i].setPosition(b.position);
    breaks[i].setCount(b.count);
    breaks[i].setAt(b.at);
    breaks[i].setDetail(b.detail);
  }
  return Status::Ok();
}

void RequestHandler::FillAlertInfo(const AlertState& a, const std::string& status,
                                   api::AlertInfo::Builder out, const AlertWithheld& withheld) {
  static const char* const kSeverity[] = {"low", "medium", "high"};
  out.setAlert(FormatUuid(a.alert));
  out.setRule(RuleName(a.rule));
  out.setCaseId(a.case_id);
  out.setSubject(a.subject);
  out.setIntervention(a.intervention);
  out.setSeverity(kSeverity[static_cast<unsigned>(a.severity) % 3]);
  out.setRaisedAt(a.raised_at);
  out.setStatus(status);
  out.setTrigger(FormatUuid(a.trigger));
  if (!withheld.reason) out.setReason(a.reason);
  out.setAcknowledgedAt(a.acknowledged_at);
  out.setAcknowledgedBy(a.acknowledged_by);
  if (!withheld.note) out.setNote(a.note);
  out.setResolvedAt(a.resolved_at);
  out.setResolvedBy(a.resolved_by);
  if (!withheld.action) out.setAction(a.action);
  if (!withheld.reason) out.setWithdrawReason(a.withdraw_reason);
  out.setAssignedTo(a.assigned_to);  // a user id, not free text: every reader sees it
  out.setAssignedBy(a.assigned_by);
  out.setAssignedAt(a.assigned_to.empty() ? -1 : a.assigned_at);
  if (!withheld.note) out.setAssignNote(a.assign_note);
}

Status RequestHandler::HandleListAlerts(const Caller& caller, api::ListAlerts::Reader list,
                                        api::Response::Builder response, ResponseChannel* channel) {
  static const char* const kStatuses[] = {"open", "acknowledged", "resolved", "withdrawn", "all"};
  AlertFilter filter;
  filter.status = list.getStatus().size() > 0 ? list.getStatus().cStr() : "open";
  bool known = false;
  for (const char* s : kStatuses) known = known || filter.status == s;
  if (!known) {
    return Status::InvalidArgument("--status: \"" + filter.status +
                                   "\" is not one of open, acknowledged, resolved, withdrawn, all");
  }
  filter.rule = list.getRule();
  if (!filter.rule.empty()) {
    bool rule_known = false;
    for (auto r : {schema::AlertRule::NON_ENGAGEMENT, schema::AlertRule::NO_CONTACT,
                   schema::AlertRule::REOFFENDING, schema::AlertRule::BREACH,
                   schema::AlertRule::DROPOUT, schema::AlertRule::RISK_ESCALATION}) {
      rule_known = rule_known || RuleName(r) == filter.rule;
    }
    if (!rule_known) {
      return Status::InvalidArgument("--rule: \"" + filter.rule +
                                     "\" is not one of non_engagement, no_contact, reoffending, "
                                     "breach, dropout, risk_escalation");
    }
  }
  filter.case_id = list.getCaseId();
  HOLDFAST_RETURN_IF_ERROR(ReadTriageFilter(list, caller, &filter));
  filter.as_of = list.getAsOf();
  if (filter.as_of == 0) {
    filter.as_of = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  }
  std::optional<AlertCursor> after;
  if (list.getAfter().size() > 0) {
    after = ParseAlertCursor(list.getAfter().cStr());
    if (!after) {
      return Status::InvalidArgument("--after: \"" + std::string(list.getAfter().cStr()) +
                                     "\" is not a cursor alerts list printed; copy it from the "
                                     "\"more after this page\" line");
    }
  }
  const uint32_t limit = list.getLimit();
  HOLDFAST_RETURN_IF_ERROR(CatchUp(projector_, store_));
  const ReadScope scope = ScopeOf(caller);
  PagedReply<api::AlertInfo> reply(
      channel, response, [](api::Page::Builder p, unsigned n) { return p.initAlerts(n); });
  AlertCursor last;
  bool more = false, gone = false;
  Status unseen;  // why an alert's visibility (or its marks) could not be read
  AlertMarks marks(*store_, *projector_, filter.as_of);
  HOLDFAST_RETURN_IF_ERROR(projector_->ScanAlerts(filter, after, [&](const ListedAlert& a) {
    if (!MatchesTriage(filter, a.state)) return true;
    if (!scope.everything()) {
      auto visible = scope.MaySee(a.state);
      if (!visible.ok()) {
        unseen = visible.status();
        return false;
      }
      if (!*visible) return true;
    }
    if (limit != 0 && reply.count() >= limit) {
      more = true;  // an item beyond the limit: the listing goes on after `last`
      return false;
    }
    auto info = reply.Add();
    FillAlertInfo(a.state, a.status, info, scope.WithheldOf(a.state));
    unseen = marks.Fill(a.state, info);
    if (!unseen.ok()) return false;
    last = {a.state.raised_at, a.state.alert};
    gone = !reply.Added();
    return !gone;
  }));
  HOLDFAST_RETURN_IF_ERROR(unseen);
  if (gone) return ClientGone();
  reply.Finish(more ? FormatAlertCursor(last) : "");
  return Status::Ok();
}

Status RequestHandler::HandleIndicators(api::Indicators::Reader req,
                                        api::Response::Builder response) {
  if (req.getTo() <= req.getFrom()) {
    return Status::InvalidArgument("--to must be after --from");
  }
  const std::string format = req.getFormat().size() > 0 ? req.getFormat().cStr() : "table";
  HOLDFAST_RETURN_IF_ERROR(CatchUp(projector_, store_));
  auto report = projector_->Indicators(req.getFrom(), req.getTo());
  if (!report.ok()) return report.status();
  response.setReport(RenderIndicators(*report, format));
  return Status::Ok();
}

Status RequestHandler::HandleRebuild(api::Response::Builder response, ResponseChannel* channel) {
  auto last_sent = std::chrono::steady_clock::now();
  std::atomic<uint64_t> done_so_far{0}, total_so_far{0};
  // The log is read in the first part of a rebuild; the rest (evaluating, writing the table
  // files) reports nothing, so the heartbeat repeats the last figures.
  Heartbeat heartbeat(channel, [&](api::Progress::Builder p) {
    p.setDone(done_so_far.load());
    p.setTotal(total_so_far.load());
  });
  Status s = projector_->Rebuild([&](uint64_t done, uint64_t total) {
    done_so_far = done;
    total_so_far = total;
    const auto now = std::chrono::steady_clock::now();
    if (channel == nullptr || now - last_sent < std::chrono::milliseconds(200)) return;
    last_sent = now;
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<api::Response>().initProgress();
    p.setDone(done);
    p.setTotal(total);
    channel->SendInterim(m);
  });
  HOLDFAST_RETURN_IF_ERROR(s);
  response.setOk();
  return Status::Ok();
}

Status RequestHandler::HandlePeers(api::Response::Builder response, bool status, bool counts_only) {
  auto peers = sync_->ListPeers(/*behind_out=*/status);
  if (!peers.ok()) return peers.status();
  auto out = response.initPeers(static_cast<unsigned>(peers->size()));
  for (size_t i = 0; i < peers->size(); ++i) {
    const auto& v = (*peers)[i];
    auto p = out[static_cast<unsigned>(i)];
    p.setId(v.status.config.id);
    p.setConnected(v.status.connected);
    p.setLastContact(v.status.last_contact);
    p.setBehindIn(v.status.behind_in);
    p.setBehindOut(v.status.behind_out);
    if (counts_only) {
      p.setCountsOnly(true);
      continue;
    }
    p.setAddress(v.status.config.address);
    p.setSend(v.status.config.send.agreement());
    p.setNote(v.note);
    p.setSource(v.source);
    p.setEventsIn(v.status.events_in);
    p.setEventsOut(v.status.events_out);
    p.setBytesIn(v.status.bytes_in);
    p.setBytesOut(v.status.bytes_out);
    p.setLastError(v.status.last_error);
    auto conflicts = p.initConflicts(static_cast<unsigned>(v.status.quarantine.size()));
    unsigned j = 0;
    for (const auto& [origin, c] : v.status.quarantine) conflicts.set(j++, DescribeConflict(c));
    p.setCertificate(v.status.certificate);
  }
  return Status::Ok();
}

}  // namespace holdfast

namespace holdfast {

Status RequestHandler::StillActs(const Caller& caller) const {
  return users_->StillActs(caller.user, caller.role);
}

Status RequestHandler::HandleUsersList(api::Response::Builder response) {
  const auto users = users_->List();
  auto list = response.initUsers(static_cast<unsigned>(users.size()));
  for (size_t i = 0; i < users.size(); ++i) {
    const User& u = users[i];
    auto out = list[static_cast<unsigned>(i)];
    out.setId(u.id);
    out.setRole(u.role);
    out.setUnixUser(u.unix_name);
    out.setUnixUid(u.unix_uid);
    out.setName(u.name);
    out.setDisabled(u.disabled);
    out.setHasToken(u.has_token);
    out.setHasPassword(u.has_password);
    out.setCreatedAt(u.created_at);
    out.setChangedAt(u.changed_at);
  }
  return Status::Ok();
}

Status RequestHandler::HandleUsersAdd(api::UserInfo::Reader info, api::Response::Builder response) {
  User user;
  user.id = info.getId();
  user.role = info.getRole();
  user.name = info.getName();
  const std::string unix_user = info.getUnixUser();
  if (!unix_user.empty()) {
    auto account = FindUnixAccount(unix_user);
    if (!account.ok()) return Status::InvalidArgument("--unix-user: " + account.status().message());
    user.unix_uid = account->uid;
    user.unix_name = account->name;
  }
  HOLDFAST_RETURN_IF_ERROR(users_->Add(user));
  response.setOk();
  return Status::Ok();
}

Status RequestHandler::HandleUsersChange(api::UserChange::Reader change,
                                         api::Response::Builder response) {
  const std::string id = change.getId();
  switch (change.which()) {
    case api::UserChange::DISABLE:
      HOLDFAST_RETURN_IF_ERROR(users_->SetDisabled(id, true));
      break;
    case api::UserChange::ENABLE:
      HOLDFAST_RETURN_IF_ERROR(users_->SetDisabled(id, false));
      break;
    case api::UserChange::ROLE:
      HOLDFAST_RETURN_IF_ERROR(users_->SetRole(id, change.getRole()));
      break;
    default:
      return Status::InvalidArgument("unknown user change: is the CLI newer than holdfastd?");
  }
  response.setOk();
  return Status::Ok();
}

Status RequestHandler::HandleUsersToken(const std::string& id, api::Response::Builder response) {
  auto token = users_->NewToken(id);
  if (!token.ok()) return token.status();
  response.setToken(*token);
  return Status::Ok();
}

Status RequestHandler::HandleUsersPassword(api::UserPassword::Reader password,
                                           api::Response::Builder response) {
  HOLDFAST_RETURN_IF_ERROR(users_->SetPassword(
      password.getId().cStr(),
      std::string_view(password.getPassword().cStr(), password.getPassword().size())));
  response.setOk();
  return Status::Ok();
}

}  // namespace holdfast
