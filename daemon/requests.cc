#include "daemon/requests.h"

#include "daemon/handler.h"

namespace holdfast {
namespace {

// A user change as audited: "po-1 disable", "po-1 role police".
std::string UserChangeTarget(api::UserChange::Reader change) {
  std::string out = change.getId();
  switch (change.which()) {
    case api::UserChange::DISABLE:
      return out + " disable";
    case api::UserChange::ENABLE:
      return out + " enable";
    case api::UserChange::ROLE:
      return out + " role " + RoleName(change.getRole());
  }
  return out;
}

}  // namespace

// One row per request kind, in api.capnp's order: the kind; the verb as audited; the command
// as refusals name it; the right; the audit target (and, for kRequest, how to read it); the
// handler, which unpacks the request for the RequestHandler method that answers it.
const std::vector<RequestKind>& RequestKinds() {
  using W = api::Request::Which;
  using R = api::Request::Reader;
  using H = RequestHandler;
  using A = AuditTarget;
  static const std::vector<RequestKind> kinds = {
      {W::PING, "ping", "ping", Right::kAnyRole, A::kNotAudited, nullptr,
       [](H& h, const Call& c) { return h.HandlePing(c.response); }},
      {W::APPEND, "append", "append", Right::kCaseWork, A::kHandler, nullptr,
       [](H& h, const Call& c) {
         return h.HandleAppend(c.caller, c.request, c.response, &c.audit->target);
       }},
      {W::IMPORT, "import", "import", Right::kOperator, A::kHandler, nullptr,
       [](H& h, const Call& c) {
         return h.HandleImport(c.request, c.response, c.channel, c.audit);
       }},
      {W::READ_LOG, "export", "export", Right::kOperator, A::kRequest,
       [](R r) { return "after " + std::to_string(r.getReadLog().getAfter()); },
       [](H& h, const Call& c) {
         return h.HandleReadLog(c.request.getReadLog(), c.response, c.channel);
       }},
      {W::READ_STREAM, "read-stream", "read stream", Right::kReadCases, A::kRequest,
       [](R r) -> std::string { return r.getReadStream(); },
       [](H& h, const Call& c) {
         return h.HandleReadStream(c.caller, c.request.getReadStream(), c.response, c.channel);
       }},
      {W::LIST_CASES, "case-list", "case list", Right::kReadCases, A::kNone, nullptr,
       [](H& h, const Call& c) {
         return h.HandleListCases(c.caller, c.request.getListCases(), c.response, c.channel);
       }},
      {W::STORE_VERIFY, "store-verify", "store verify", Right::kOperator, A::kNone, nullptr,
       [](H& h, const Call& c) { return h.HandleVerify(c.response); }},
      {W::STORE_STATS, "store-stats", "store stats", Right::kOperator, A::kNone, nullptr,
       [](H& h, const Call& c) { return h.HandleStats(c.response); }},
      {W::STORE_BACKUP, "store-backup", "store backup", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getStoreBackup(); },
       [](H& h, const Call& c) { return h.HandleBackup(c.request.getStoreBackup(), c.response); }},
      {W::AUDIT_LIST, "audit-list", "audit list", Right::kOperator, A::kNone, nullptr,
       [](H& h, const Call& c) {
         return h.HandleAuditList(c.request.getAuditList(), c.response, c.channel);
       }},
      {W::LIST_ALERTS, "alerts-list", "alerts list", Right::kReadCases, A::kRequest,
       [](R r) -> std::string { return r.getListAlerts().getCaseId(); },
       [](H& h, const Call& c) {
         return h.HandleListAlerts(c.caller, c.request.getListAlerts(), c.response, c.channel);
       }},
      // The watch of a holdfast from before the feed (watchFeed): refused, saying to upgrade.
      {W::WATCH_ALERTS, "alerts-watch", "alerts watch (an older holdfast)", Right::kReadCases,
       A::kNone, nullptr, [](H&, const Call&) { return RequestHandler::HandleWatchAlerts(); }},
      {W::INDICATORS, "report-indicators", "report indicators", Right::kReports, A::kNone, nullptr,
       [](H& h, const Call& c) {
         return h.HandleIndicators(c.request.getIndicators(), c.response);
       }},
      {W::REBUILD_PROJECTIONS, "projections-rebuild", "projections rebuild", Right::kOperator,
       A::kNone, nullptr,
       [](H& h, const Call& c) { return h.HandleRebuild(c.response, c.channel); }},
      {W::PEERS_LIST, "peers-list", "peers list", Right::kOperator, A::kNone, nullptr,
       [](H& h, const Call& c) { return h.HandlePeers(c.response); }},
      {W::PEERS_ADD, "peers-add", "peers add", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getPeersAdd().getId(); },
       [](H& h, const Call& c) { return h.HandlePeersAdd(c.request.getPeersAdd(), c.response); }},
      {W::PEERS_REMOVE, "peers-remove", "peers remove", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getPeersRemove(); },
       [](H& h, const Call& c) {
         return h.HandlePeersRemove(c.request.getPeersRemove(), c.response);
       }},
      // Every role may see it (a facilitator's laptop: have my records gone?); counts only
      // but for operators.
      {W::SYNC_STATUS, "sync-status", "sync status", Right::kAnyRole, A::kNone, nullptr,
       [](H& h, const Call& c) {
         return h.HandlePeers(c.response, /*status=*/true,
                              /*counts_only=*/c.caller.role != schema::Role::OPERATOR);
       }},
      {W::SYNC_NOW, "sync-now", "sync now", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getSyncNow(); },
       [](H& h, const Call& c) { return h.HandleSyncNow(c.request.getSyncNow(), c.response); }},
      {W::USERS_LIST, "users-list", "users list", Right::kOperator, A::kNone, nullptr,
       [](H& h, const Call& c) { return h.HandleUsersList(c.response); }},
      {W::USERS_ADD, "users-add", "users add", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getUsersAdd().getId(); },
       [](H& h, const Call& c) { return h.HandleUsersAdd(c.request.getUsersAdd(), c.response); }},
      {W::USERS_CHANGE, "users-change", "users disable|enable|role", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return UserChangeTarget(r.getUsersChange()); },
       [](H& h, const Call& c) {
         return h.HandleUsersChange(c.request.getUsersChange(), c.response);
       }},
      {W::USERS_TOKEN, "users-token", "users token", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getUsersToken(); },
       [](H& h, const Call& c) {
         return h.HandleUsersToken(c.request.getUsersToken(), c.response);
       }},
      {W::USERS_PASSWORD, "users-password", "users password", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getUsersPassword().getId(); },
       [](H& h, const Call& c) {
         return h.HandleUsersPassword(c.request.getUsersPassword(), c.response);
       }},
      {W::AUDIT_VERIFY, "audit-verify", "audit verify", Right::kOperator, A::kNone, nullptr,
       [](H& h, const Call& c) { return h.HandleAuditVerify(c.response); }},
      // Each role sees what it may of it (an analyst, the counts); the target is the case
      // asked about, empty for the whole node.
      {W::QUALITY_REPORT, "report-quality", "report quality", Right::kQuality, A::kRequest,
       [](R r) -> std::string { return r.getQualityReport().getCaseId(); },
       [](H& h, const Call& c) {
         return h.HandleQualityReport(c.caller, c.request.getQualityReport(), c.response,
                                      c.channel);
       }},
      {W::CASE_SHOW, "case-show", "case show", Right::kReadCases, A::kRequest,
       [](R r) -> std::string { return r.getCaseShow(); },
       [](H& h, const Call& c) {
         return h.HandleCaseShow(c.caller, c.request.getCaseShow(), c.response, c.channel);
       }},
      {W::SUBJECT_SHOW, "subject-show", "subject show", Right::kReadCases, A::kRequest,
       [](R r) -> std::string { return r.getSubjectShow(); },
       [](H& h, const Call& c) {
         return h.HandleSubjectShow(c.caller, c.request.getSubjectShow(), c.response);
       }},
      {W::SESSION_ROSTER, "session-roster", "session roster", Right::kReadCases, A::kRequest,
       [](R r) -> std::string { return r.getSessionRoster().getGroup(); },
       [](H& h, const Call& c) {
         return h.HandleSessionRoster(c.caller, c.request.getSessionRoster(), c.response);
       }},
      {W::WATCH_FEED, "alerts-feed", "alerts watch", Right::kReadCases, A::kNone, nullptr,
       [](H& h, const Call& c) {
         return h.HandleWatchFeed(c.caller, c.request.getWatchFeed(), c.response, c.channel);
       }},
      // An alert id's unique prefix (daemon/triage.h): the alerts the caller may read only.
      {W::RESOLVE_ALERT, "alert-id", "an alert id prefix", Right::kReadCases, A::kRequest,
       [](R r) -> std::string { return r.getResolveAlert(); },
       [](H& h, const Call& c) {
         return h.HandleResolveAlert(c.caller, c.request.getResolveAlert(), c.response);
       }},
      {W::HOOKS_ADD, "hooks-add", "hooks add", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getHooksAdd().getId(); },
       [](H& h, const Call& c) { return h.HandleHooksAdd(c.request.getHooksAdd(), c.response); }},
      {W::HOOKS_LIST, "hooks-list", "hooks list", Right::kOperator, A::kNone, nullptr,
       [](H& h, const Call& c) { return h.HandleHooksList(c.response); }},
      {W::HOOKS_REMOVE, "hooks-remove", "hooks remove", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getHooksRemove(); },
       [](H& h, const Call& c) {
         return h.HandleHooksRemove(c.request.getHooksRemove(), c.response);
       }},
      {W::HOOKS_STATUS, "hooks-status", "hooks status", Right::kOperator, A::kNone, nullptr,
       [](H& h, const Call& c) { return h.HandleHooksStatus(c.response); }},
      {W::HOOKS_RETRY, "hooks-retry", "hooks retry", Right::kOperator, A::kRequest,
       [](R r) -> std::string { return r.getHooksRetry(); },
       [](H& h, const Call& c) {
         return h.HandleHooksRetry(c.request.getHooksRetry(), c.response);
       }},
  };
  return kinds;
}

const RequestKind* FindRequestKind(api::Request::Which which) {
  for (const auto& kind : RequestKinds()) {
    if (kind.which == which) return &kind;
  }
  return nullptr;
}

}  // namespace holdfast
