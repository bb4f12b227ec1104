// RequestHandler: answers one local API request (daemon/api.capnp) against the node's
// store. Plain code, no sockets: the server calls it from its worker threads, and tests
// can call it directly. Every request that touches case data is written to the audit log.
// Which code answers which request, with which right, is daemon/requests.h's table.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "daemon/api.capnp.h"
#include "daemon/audit.h"
#include "daemon/entry_checks.h"
#include "daemon/hooks.h"
#include "daemon/peer_registry.h"
#include "daemon/read_scope.h"
#include "daemon/requests.h"
#include "daemon/users.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"

namespace holdfast {

struct NodeIdentity {
  std::string node_id;
  std::string agency;
  std::string kind;
  std::string timezone;          // [node] timezone, told to a CLI that asks (ping)
  int max_future_seconds = 300;  // [node] max_future_seconds
};

// What a request may do beyond answering once, provided by the server per connection.
class ResponseChannel {
 public:
  virtual ~ResponseChannel() = default;
  // Sends an interim response (progress) ahead of the final one. Thread-safe.
  virtual void SendInterim(capnp::MessageBuilder& message) = 0;
  // Sends one page of a listing ahead of the final response, first waiting while the client
  // has a few MiB of earlier pages unread. False when the client has gone, stopped reading
  // for minutes, or the daemon is stopping: the listing should stop. Thread-safe.
  virtual bool SendPage(capnp::MessageBuilder& message) = 0;
  // For a request that follows the alert feed until the client goes: from now on the
  // client closing its end ends the request (Gone turns true, SendPage false).
  virtual void Follow() {}
  // Whether the client has gone or the daemon is stopping. Thread-safe.
  virtual bool Gone() { return false; }
  // A transport that sends the feed by itself, without holding the request's thread (the
  // HTTPS server's SSE stream): given who reads, what they may see and where to begin, once
  // the request table has let them in and audited them. True when it takes the feed; the
  // request then answers at once.
  virtual bool TakeFeed(const Caller& /*caller*/, const ReadScope& /*scope*/, uint64_t /*cursor*/) {
    return false;
  }
};

class RequestHandler {
 public:
  RequestHandler(EventStore* store, AuditLog* audit, Users* users, Projector* projector,
                 SyncControl* sync, NodeIdentity node)
      : store_(store),
        audit_(audit),
        users_(users),
        projector_(projector),
        sync_(sync),
        node_(std::move(node)) {}

  // Fills `response` with the answer or an error. Thread-safe; never throws. `channel` may
  // be null (no interim frames, no watching). The caller is who the request's token names,
  // else the Unix account `peer_uid` (the socket's SO_PEERCRED; -1: the transport has none),
  // as the node's users know them (daemon/users.h); nothing else in the request is believed.
  // `signed_in` (the web front end's session; null otherwise) names the caller instead.
  void Handle(api::Request::Reader request, api::Response::Builder response,
              ResponseChannel* channel = nullptr, int64_t peer_uid = -1,
              const Presented* signed_in = nullptr);

  // Whether the store holds event `id`. Nothing of it is shown or audited: the web's case
  // forms ask after a refusal whether the form's own event (its id named by the form's
  // token) was stored by an earlier send of the same form.
  bool Holds(const Uuid& id) const { return store_->Get(id).ok(); }

  // The node's hooks (daemon/hooks.h), for the hooks verbs; without them (null) those
  // verbs are refused as unavailable. Set before the handler serves.
  void SetHooks(HookControl* hooks) { hooks_ = hooks; }

  // Ok while the node still lets `caller` in as its role (not disabled, the same role);
  // else the refusal they would now get.
  Status StillActs(const Caller& caller) const;

  // An alert as the API shows it, without the fields `withheld` names (left unset).
  static void FillAlertInfo(const AlertState& alert, const std::string& status,
                            api::AlertInfo::Builder out, const AlertWithheld& withheld = {});
  // A change of the alert feed as the API shows it (daemon/feed_json.h for its JSON).
  static void FillFeedItem(const FeedEntry& entry, const AlertWithheld& withheld,
                           api::FeedItem::Builder out);

  // Most events one append or import request may carry (`holdfast import` sends 2,000). A
  // list of empty structs costs its sender nothing per element, and each is copied into an
  // event of its own before it is checked: without a bound, a frame of a few bytes could
  // claim millions.
  static constexpr uint32_t kMaxEventsPerRequest = 10000;

 private:
  // The request table's handlers (one per row) are these.
  friend const std::vector<RequestKind>& RequestKinds();

  Status HandlePing(api::Response::Builder response);
  Status HandleAppend(const Caller& caller, api::Request::Reader request,
                      api::Response::Builder response, std::string* target);
  Status HandleImport(api::Request::Reader request, api::Response::Builder response,
                      ResponseChannel* channel, AuditRecord* audit);
  // Listings answer in pages through `channel` (daemon/paged_reply.h). The reads of case
  // data show what the caller's role may see of it (ScopeOf, daemon/read_scope.h).
  Status HandleReadLog(api::ReadLog::Reader read, api::Response::Builder response,
                       ResponseChannel* channel);
  Status HandleReadStream(const Caller& caller, const std::string& stream,
                          api::Response::Builder response, ResponseChannel* channel);
  Status HandleListCases(const Caller& caller, api::ListCases::Reader list,
                         api::Response::Builder response, ResponseChannel* channel);
  Status HandleVerify(api::Response::Builder response);
  Status HandleStats(api::Response::Builder response);
  Status HandleBackup(const std::string& dir, api::Response::Builder response);
  Status HandleAuditList(api::AuditList::Reader list, api::Response::Builder response,
                         ResponseChannel* channel);
  Status HandleAuditVerify(api::Response::Builder response);
  Status HandleListAlerts(const Caller& caller, api::ListAlerts::Reader list,
                          api::Response::Builder response, ResponseChannel* channel);
  // The alerts watch of a holdfast from before the feed: refused, saying why.
  static Status HandleWatchAlerts();
  // alerts watch (daemon/feed_watch.cc): the feed's changes from a cursor, as pages through
  // `channel`, until the client goes.
  Status HandleWatchFeed(const Caller& caller, api::WatchFeed::Reader watch,
                         api::Response::Builder response, ResponseChannel* channel);
  // resolveAlert (daemon/triage.cc): the whole id of the alert a unique prefix names.
  Status HandleResolveAlert(const Caller& caller, const std::string& text,
                            api::Response::Builder response);
  Status HandleIndicators(api::Indicators::Reader req, api::Response::Builder response);
  // report quality (daemon/quality_report.cc): in frames through `channel`.
  Status HandleQualityReport(const Caller& caller, api::QualityRequest::Reader req,
                             api::Response::Builder response, ResponseChannel* channel);
  Status HandleRebuild(api::Response::Builder response, ResponseChannel* channel);
  // peers list (`status` false), or sync status: with behind_out, and for a non-operator
  // (`counts_only`) without addresses, agreements, errors, conflicts or certificates.
  Status HandlePeers(api::Response::Builder response, bool status = false,
                     bool counts_only = false);
  Status HandlePeersAdd(api::PeerInfo::Reader info, api::Response::Builder response);
  Status HandlePeersRemove(const std::string& id, api::Response::Builder response);
  Status HandleSyncNow(const std::string& id, api::Response::Builder response);
  Status HandleUsersList(api::Response::Builder response);
  Status HandleUsersAdd(api::UserInfo::Reader info, api::Response::Builder response);
  Status HandleUsersChange(api::UserChange::Reader change, api::Response::Builder response);
  Status HandleUsersToken(const std::string& id, api::Response::Builder response);
  Status HandleUsersPassword(api::UserPassword::Reader password, api::Response::Builder response);
  // The case views (daemon/case_views.h): case show, subject show, session roster.
  Status HandleCaseShow(const Caller& caller, const std::string& case_id,
                        api::Response::Builder response, ResponseChannel* channel);
  Status HandleSubjectShow(const Caller& caller, const std::string& subject,
                           api::Response::Builder response);
  Status HandleSessionRoster(const Caller& caller, api::SessionRoster::Reader roster,
                             api::Response::Builder response);
  // The hooks verbs (daemon/hooks_handler.cc).
  Status HandleHooksAdd(api::HookInfo::Reader info, api::Response::Builder response);
  Status HandleHooksList(api::Response::Builder response);
  Status HandleHooksRemove(const std::string& id, api::Response::Builder response);
  Status HandleHooksStatus(api::Response::Builder response);
  Status HandleHooksRetry(const std::string& id, api::Response::Builder response);
  // What the caller may read of this node's case data.
  ReadScope ScopeOf(const Caller& caller) const {
    return ReadScope(caller.role, node_.agency, projector_);
  }
  // The checks at entry (daemon/entry_checks.h) on an append's events: an error naming
  // each event refused, or Ok with what `verdict` says of the accepted ones.
  Status CheckAtEntry(const Caller& caller, api::Append::Reader append,
                      const std::vector<Event>& events, EntryVerdict* verdict);
  // Refuses acknowledgements, resolutions and assignments of alerts this node does not hold.
  Status CheckAlertsKnown(const std::vector<Event>& events);

  EventStore* store_;
  AuditLog* audit_;
  Users* users_;
  Projector* projector_;
  SyncControl* sync_;
  NodeIdentity node_;
  HookControl* hooks_ = nullptr;
  std::mutex entry_mu_;  // one append's checks and write at a time
};

}  // namespace holdfast
