# The local API between `holdfast` (the CLI) and `holdfastd`, over the node's Unix socket.
#
# Framing (both directions): a 4-byte little-endian length N, then N bytes holding one
# unpacked Cap'n Proto message (a Request from the client, a Response from the daemon).
# N is at most 32 MiB; a larger or malformed frame gets an error Response and the
# connection is closed. A client sends a request and reads its response before the next.
#
# Listings (readLog, readStream, listCases, listAlerts, auditList) answer with a stream of
# `page` frames, each holding about 1 MiB of items at most (always at least one item, so any
# item fits a frame), then a final `page` frame with `last` set. Pages come as fast as the
# client reads them: the daemon waits while a few MiB of them are unread, so neither side
# holds a whole listing. With a `limit`, the last page's `next` is the cursor to pass as
# `after` for the rest (empty when nothing is left). docs/paging.md has the cursors.

@0xb31fbb934a7e9013;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("holdfast::api");

using Ev = import "/eventstore/event.capnp";

struct Identity {
  # What the client presents of who is asking. The daemon never takes a user or a role from
  # the client (SPEC "Users, roles and rights"): it identifies the caller by the socket's
  # Unix uid (SO_PEERCRED), or by an API token when one is given here.
  obsoleteUser @0 :Text;            # ignored (clients before issue 13 named a user here)
  obsoleteRole @1 :Ev.Role;         # ignored (and a role)
  token @2 :Text;                   # an API token from `holdfast users token`; empty: by uid
}

struct Request {
  identity @0 :Identity;
  union {
    ping @1 :Void;                  # -> pong
    append @2 :Append;              # case-work verbs -> appended
    import @3 :List(Ev.Event);      # operator bulk import, authors kept -> progress frames
                                    #    while it runs (every 2 s), then appended; writes in
                                    #    order up to an event it refuses (alert.raised and
                                    #    alert.withdrawn too, unless importWithDerived)
    readLog @4 :ReadLog;            # export -> pages of events
    readStream @5 :Text;            # a stream's events, e.g. "case/C-0042" -> pages of events
    listCases @6 :ListCases;        # -> pages of cases
    storeVerify @7 :Void;           # -> verify
    storeStats @8 :Void;            # -> stats
    storeBackup @9 :Text;           # a directory that must not exist yet -> ok
    auditList @10 :AuditList;       # operator only -> pages of audit entries
    listAlerts @11 :ListAlerts;     # -> pages of alerts
    watchAlerts @12 :Void;          # -> ok, then one `alert` response per alert raised, until
                                    #    the client disconnects
    indicators @13 :Indicators;     # -> report
    rebuildProjections @14 :Void;   # operator -> progress frames (at least every 2 s), then ok
    peersList @15 :Void;            # -> peers
    peersAdd @16 :PeerInfo;         # operator -> ok
    peersRemove @17 :Text;          # operator: a peer id -> ok
    syncStatus @18 :Void;           # any role -> peers (counts only but for operators)
    syncNow @19 :Text;              # operator: a peer id, or empty for all -> peers, once each
                                    #    is linked and caught up or failed (at most ~10 s):
                                    #    connected (reached), eventsIn/eventsOut (moved
                                    #    meanwhile), lastError (why not reached), note
    usersList @20 :Void;            # operator -> users
    usersAdd @21 :UserInfo;         # operator: id, role, unixUser, name -> ok
    usersChange @22 :UserChange;    # operator: disable, enable or a new role -> ok
    usersToken @23 :Text;           # operator: a user id -> token (shown once)
    usersPassword @24 :UserPassword;  # operator -> ok
    auditVerify @26 :Void;          # operator -> auditVerify
    qualityReport @27 :QualityRequest;  # -> quality frames, the last with `last` set
    caseShow @28 :Text;             # a case id -> caseView: the case as the reader's role may
                                    #    see it (docs/case-views.md)
    subjectShow @29 :Text;          # a subject id -> subjectView: its cases, incidents, alerts
    sessionRoster @30 :SessionRoster;  # -> roster: who to mark in a group's session
    watchFeed @31 :WatchFeed;       # -> pages, each one `feedItem`: first one with no change
                                    #    whose cursor says where the watch begins, then one per
                                    #    alert change the caller may read, until the client goes
    resolveAlert @32 :Text;         # an alert id or a unique prefix of it (8 or more hex
                                    #    digits, dashes ignored) -> alert: the one alert it
                                    #    names among those the caller may read, as it may see
                                    #    it (its `alert` is the whole id)
    hooksAdd @33 :HookInfo;         # operator: id, url+secret or exec, rules, severity, ca -> ok
    hooksList @34 :Void;            # operator -> hooks (never a secret)
    hooksRemove @35 :Text;          # operator: a hook id -> ok
    hooksStatus @36 :Void;          # operator -> hookStatus, one per hook
    hooksRetry @37 :Text;           # operator: a hook id -> hooksRetried (parked deliveries
                                    #    queued again, in order)
  }
  importWithDerived @25 :Bool;      # import only: take alert.raised and alert.withdrawn too
                                    # (`holdfast import --with-derived`); without it the import
                                    # refuses them as it refuses any event it cannot take
}

struct UserInfo {
  id @0 :Text;
  role @1 :Ev.Role;
  unixUser @2 :Text;                # the Unix account's name; empty: token (or web) only
  unixUid @3 :Int64;                # -1: none
  name @4 :Text;
  disabled @5 :Bool;
  hasToken @6 :Bool;
  hasPassword @7 :Bool;
  createdAt @8 :Int64;              # unix nanoseconds
  changedAt @9 :Int64;
}

struct UserChange {
  id @0 :Text;
  union {
    disable @1 :Void;
    enable @2 :Void;
    role @3 :Ev.Role;
  }
}

struct UserPassword {
  id @0 :Text;
  password @1 :Text;
}

struct PeerInfo {
  id @0 :Text;
  address @1 :Text;                 # HOST:PORT; empty: accept only
  send @2 :Text;                    # the sharing agreement as given: all, police, provider,
                                    # probation, partnership, or type prefixes, comma separated
  source @3 :Text;                  # "config" (holdfast.conf) or "added" (holdfast peers add)
  connected @4 :Bool;
  lastContact @5 :Int64;            # unix nanoseconds; 0: never
  behindIn @6 :UInt64;              # peer events not yet pulled here
  behindOut @7 :UInt64;             # events here the peer has not pulled yet
  eventsIn @8 :UInt64;
  eventsOut @9 :UInt64;
  bytesIn @10 :UInt64;
  bytesOut @11 :UInt64;
  lastError @12 :Text;
  conflicts @13 :List(Text);        # origins no longer taken from this peer: its log and this
                                    # node's hold two events under one (origin, seq) of each
  certificate @14 :Text;            # this node's or the CA's certificate, on which every link
                                    # depends, expires within 30 days (or has); else empty
  note @15 :Text;                   # a warning about the agreement (alert acknowledgements
                                    # made here do not reach the peer); for sync now, what
                                    # happened ("caught up", "still syncing")
  countsOnly @16 :Bool;             # the caller is not an operator: only id, connected,
                                    # lastContact, behindIn and behindOut are filled
}

struct ListAlerts {
  status @0 :Text;                  # open | acknowledged | resolved | withdrawn | all
  rule @1 :Text;                    # empty for every rule
  asOf @2 :Int64;                   # unix nanoseconds; 0 means now
  caseId @3 :Text;                  # empty for every case
  after @4 :Text;                   # a cursor from an earlier page's `next`; empty: from the start
  limit @5 :UInt32;                 # at most this many alerts; 0: all
  # Triage (empty, or hasSince false: no filter):
  severity @6 :Text;                # low, medium, high, or several with commas ("high,medium")
  since @7 :Int64;                  # raised at or after (unix nanoseconds), when hasSince
  hasSince @8 :Bool;
  subject @9 :Text;                 # this subject's alerts
  mine @10 :Bool;                   # assigned to the caller
}

struct Indicators {
  from @0 :Int64;                   # unix nanoseconds, inclusive
  to @1 :Int64;                     # exclusive
  format @2 :Text;                  # table | json | csv
}

struct Append {
  events @0 :List(Ev.Event);        # new events without provenance
  expectedStream @1 :Text;          # when set, the stream must be at expectedVersion
  expectedVersion @2 :UInt64;
  # The checks at entry (docs/voids-and-checks.md) refuse attendance at a session with no
  # session.held on this node, unless this is set (a one-to-one appointment).
  unlistedSession @3 :Bool;
  # How the client names each event in a refusal ("line 4"; index for index with events):
  # a refused append names each bad event so. Empty: "event N", counted from 1.
  labels @4 :List(Text);
}

struct ReadLog {
  after @0 :UInt64;                 # events after this log position, up to the last position
                                    # when the request arrived
  limit @1 :UInt32;                 # at most this many events; 0: all
}

struct ListCases {
  openOnly @0 :Bool;
  agency @1 :Text;                  # lead agency; empty for all
  after @2 :Text;                   # a cursor from an earlier page's `next`; empty: from the start
  limit @3 :UInt32;                 # at most this many cases; 0: all
}

struct AuditList {
  limit @0 :UInt32;                 # at most this many entries, newest first; 0: all
  after @1 :Text;                   # a cursor from an earlier page's `next`: older entries only
  # Filters, all of which an entry must pass (empty or 0: no filter):
  user @2 :Text;                    # this user id
  caseId @3 :Text;                  # target is this case (or its stream, case/ID)
  verb @4 :Text;                    # this verb, as listed (read-stream) or typed (case show)
  outcome @5 :Text;                 # allowed (ok) | refused (any other) | an outcome as listed
  since @6 :Int64;                  # unix nanoseconds, inclusive
  until @7 :Int64;                  # unix nanoseconds, inclusive
}

struct Response {
  union {
    error @0 :Error;
    ok @1 :Void;
    pong @2 :Pong;
    appended @3 :List(Appended);    # one per event sent, in order (an import's ends early
                                    #    at an event it refused)
    events @4 :Events;              # (no longer sent: listings answer with pages)
    cases @5 :List(CaseSummary);    # (no longer sent)
    verify @6 :VerifyResult;
    stats @7 :List(Stat);
    audit @8 :List(AuditEntry);     # (no longer sent)
    alerts @9 :List(AlertInfo);     # (no longer sent)
    report @10 :Text;               # the indicators, rendered in the asked format
    progress @11 :Progress;         # an interim frame of a long request
    alert @12 :AlertInfo;           # a watched alert; the alert resolveAlert names
    peers @13 :List(PeerInfo);
    page @14 :Page;                 # one frame of a listing
    users @15 :List(UserInfo);
    token @16 :Text;                # a new API token: the only time it is shown
    auditVerify @17 :AuditVerifyResult;
    quality @18 :QualityReport;     # a frame of the quality report (frames until `last`)
    caseView @19 :CaseView;
    subjectView @20 :SubjectView;
    roster @21 :Roster;
    feedItem @22 :FeedItem;         # one change of an alert (watchFeed)
    hooks @23 :List(HookInfo);      # hooks list, by id
    hookStatus @24 :List(HookStatus);  # hooks status, by id
    hooksRetried @25 :UInt32;       # hooks retry: how many parked deliveries were queued again
  }
}

# A hook (SPEC "Alerts reach people", docs/hooks.md): where the node delivers each alert
# change it selects. Exactly one of url and exec is set.
struct HookInfo {
  id @0 :Text;                      # [a-z0-9-], 1-64 characters
  url @1 :Text;                     # a web hook: https://... (http:// only to this machine)
  secret @2 :Text;                  # hooksAdd only: "whsec_" + base64 of the signing key;
                                    #    never sent back (hasSecret says whether it is set)
  exec @3 :Text;                    # an exec hook: the absolute path of the program
  rules @4 :List(Text);             # the rules it takes; empty: every rule
  severity @5 :List(Text);          # the severities it takes; empty: every severity
  ca @6 :Text;                      # PEM: the CAs a web hook's receiver is verified against;
                                    #    empty: the system's CA store
  hasSecret @7 :Bool;               # hooks list
  createdAt @8 :Int64;              # unix nanoseconds
  startCursor @9 :UInt64;           # the feed cursor it was added at: it delivers what follows
}

struct HookStatus {
  id @0 :Text;
  pending @1 :UInt64;               # changes selected and not yet delivered (not parked)
  delivered @2 :UInt64;             # deliveries the receiver took (2xx / exit 0), ever
  failedAttempts @3 :UInt64;        # attempts that failed, ever
  parked @4 :UInt64;                # deliveries parked as failed (hooks retry queues them again)
  lastError @5 :Text;               # the last attempt's failure ("HTTP 500", "timed out"); empty:
                                    #    none since the hook was added
  lastErrorAt @6 :Int64;            # unix nanoseconds; 0: none
  lastSuccessAt @7 :Int64;          # 0: none
  nextAttemptAt @8 :Int64;          # the earliest retry waiting; 0: none waiting
  cursor @9 :UInt64;                # every change at or below it is delivered, parked or not
                                    #    selected
  inFlight @10 :UInt32;             # deliveries under way now
}

struct WatchFeed {
  since @0 :UInt64;                 # the cursor of the last change the client has; 0: from the
                                    #    first change the node holds
  fromEnd @1 :Bool;                 # ignore `since`: only the changes from now on
}

# One change of an alert (SPEC "Alerts reach people"): the alert feed's entries, the hooks'
# deliveries and `alerts watch` all show this, as JSON through capnp's codec.
struct FeedItem {
  cursor @0 :UInt64;                # the local log position of the event that made the change;
                                    #    a feed resumes after it (SSE `id:`, `--since`)
  change @1 :Text;                  # raised | raise_moved | withdrawn | acknowledged | resolved |
                                    #    assigned
  event @2 :Text;                   # the id of the alert.* event that made it
  alert @3 :AlertInfo;              # the alert after the change, as the reader may see it
}

struct Page {
  union {
    events @0 :List(PositionedEvent);   # readLog (log order), readStream (stream order)
    cases @1 :List(CaseSummary);        # by case id
    alerts @2 :List(AlertInfo);         # by raise time, then alert id
    audit @3 :List(AuditEntry);         # newest first
  }
  last @4 :Bool;                    # the final frame of the listing
  next @5 :Text;                    # on the last page: the cursor for the rest when `limit`
                                    # cut the listing short; empty when nothing is left
  lastPosition @6 :UInt64;          # events: the node's last log position when listing began
  withheld @7 :List(Text);          # what the reader's role is not shown, on every page
                                    # (daemon/read_scope.h, docs/roles.md): for cases, the
                                    # CaseSummary fields left out (they read as 0); for events,
                                    # the event types and fields left out ("attendance.recorded",
                                    # "breach.reported detail"). Empty: nothing is withheld.
}

struct Progress {
  done @0 :UInt64;
  total @1 :UInt64;
}

struct AlertInfo {
  # A free-text field the reader's role may not see (reason, withdrawReason, note, action:
  # daemon/read_scope.h) is left unset: has...() is false, where a field with nothing in it
  # is set to "".
  alert @0 :Text;                   # the alert id (UUID)
  rule @1 :Text;
  caseId @2 :Text;
  subject @3 :Text;
  intervention @4 :Text;
  severity @5 :Text;
  raisedAt @6 :Int64;
  status @7 :Text;
  trigger @8 :Text;
  reason @9 :Text;
  acknowledgedAt @10 :Int64;        # -1 when not acknowledged
  acknowledgedBy @11 :Text;
  note @12 :Text;
  resolvedAt @13 :Int64;            # -1 when not resolved
  resolvedBy @14 :Text;
  action @15 :Text;
  withdrawReason @16 :Text;
  # The standing assignment (alert.assigned): the latest by recorded_at. assignedTo is a user
  # id, not free text: every reader of the alert sees it; assignNote is free text.
  assignedTo @17 :Text;             # "" when not assigned
  assignedBy @18 :Text;
  assignedAt @19 :Int64;            # -1 when not assigned
  assignNote @20 :Text;
  # Marks (alerts list): as of the listing's time, the alert's case is closed, or the
  # intervention it names has ended (completed or exited).
  caseClosed @21 :Bool;
  interventionEnded @22 :Bool;
}

struct Error {
  code @0 :Code;
  message @1 :Text;                 # one line: what was wrong and how to fix it
  enum Code {
    invalidArgument @0;
    notFound @1;
    conflict @2;
    versionConflict @3;
    permissionDenied @4;
    unavailable @5;
    ioError @6;
    corruption @7;
    internal @8;
  }
}

struct Pong {
  nodeId @0 :Text;
  agency @1 :Text;
  kind @2 :Text;
  lastPosition @3 :UInt64;
  timezone @4 :Text;                # [node] timezone: the zone a CLI without the config reads
                                    # and shows local times in (docs/local-times.md)
}

struct Appended {
  position @0 :UInt64;
  duplicate @1 :Bool;
  refused @2 :Text;                 # import only: why this event was not written; the list
                                    # ends with it, and nothing after it was written
  warning @3 :Text;                 # append only: accepted, but the caller should hear this
                                    # (an incident for a subject no case names; a void of an
                                    # event already voided, for which nothing was written)
}

struct Events {
  items @0 :List(PositionedEvent);
  lastPosition @1 :UInt64;          # the node's last log position when the page was read
}

struct PositionedEvent {
  position @0 :UInt64;
  event @1 :Ev.Event;
}

struct CaseSummary {
  caseId @0 :Text;
  subject @1 :Text;
  order @2 :Ev.OrderKind;
  risk @3 :Ev.RiskLevel;
  leadAgency @4 :Text;
  openedAt @5 :Int64;               # unix nanoseconds
  closed @6 :Bool;
  closedAt @7 :Int64;
  events @8 :UInt32;
}

struct VerifyResult {
  events @0 :UInt64;
  problems @1 :List(Text);
}

struct Stat {
  name @0 :Text;
  value @1 :Text;
}

struct AuditEntry {
  at @0 :Int64;                     # unix nanoseconds
  user @1 :Text;
  role @2 :Text;
  verb @3 :Text;
  target @4 :Text;                  # the case, subject, stream or file concerned
  outcome @5 :Text;                 # "ok" or the error code
  credential @6 :Text;              # how the caller was identified: "uid 1000", "token 3fa2c1d0"
}

struct AuditVerifyResult {
  checked @0 :UInt64;               # chained entries read
  unchained @1 :UInt64;             # older entries before the chain began: not checkable
  headCount @2 :UInt64;             # the chain's head as stored: entries it counts
  headHash @3 :Text;                # and the SHA-256 of the newest (hex)
  breakCount @4 :UInt64;            # breaks found; the first 1,000 are in `breaks`
  breaks @5 :List(AuditBreak);
}

struct AuditBreak {
  kind @0 :Text;                    # changed | removed | unreadable | head
  position @1 :UInt64;              # the entry changed, or the first removed; 0: not known
  count @2 :UInt64;                 # removed: how many
  at @3 :Int64;                     # the entry's time (removed: of the entry after the gap); 0: none
  detail @4 :Text;                  # one line: what and where
}

struct QualityRequest {
  caseId @0 :Text;                  # one case's anomalies; empty: every anomaly the node holds
}

struct QualityReport {
  # The quality report (projections/quality.h, docs/quality.md) comes as frames of at most a
  # few thousand anomalies each, in report order (case, occurred_at, event id, kind), the last
  # frame with `last` set and the counts. An analyst is sent the counts only.
  anomalies @0 :List(Anomaly);
  counts @1 :List(AnomalyCount);    # the last frame: every kind, in the SPEC's order, 0 too
  last @2 :Bool;
  countsOnly @3 :Bool;              # the reader's role sees counts, not anomalies (analyst)
  withheld @4 :List(Text);          # what the reader's role is not shown (counted neither)
}

struct Anomaly {
  kind @0 :Text;                    # case_reopened, after_close, ...
  caseId @1 :Text;                  # empty: the event names no case (a session, a void)
  event @2 :Text;                   # the event's id
  type @3 :Text;                    # its type: attendance.recorded
  occurredAt @4 :Int64;             # unix nanoseconds
  detail @5 :Text;                  # one line: what is wrong and what to do
  intervention @6 :Text;            # the intervention the event names; empty: none
}

struct AnomalyCount {
  kind @0 :Text;
  count @1 :UInt64;
}

# --- The case views (case show, subject show, session roster): docs/case-views.md --------
# Built by the daemon (daemon/case_views.h) for the reader's role, so every client (the CLI,
# a web front end) renders the same data. Times are unix nanoseconds; -1 means none. Names
# of enum values are as in JSON ("community_order", "absent_unacceptable"). A free-text
# field the reader's role may not see is left unset (has...() false), and the view's
# `withheld` says in words what is left out.

struct CaseHeader {
  caseId @0 :Text;
  subject @1 :Text;
  order @2 :Text;
  risk @3 :Text;                    # the standing risk (the last opening or risk change)
  marac @4 :Bool;
  leadAgency @5 :Text;
  openedAt @6 :Int64;
  status @7 :Text;                  # open | closed
  closedAt @8 :Int64;               # -1 while open
  closeReason @9 :Text;             # "" while open
}

struct InterventionView {
  intervention @0 :Text;
  programme @1 :Text;               # "" when its referral is not held
  provider @2 :Text;
  group @3 :Text;                   # the group its start names ("" none)
  state @4 :Text;                   # not_referred | referred | started | completed | exited
  referredAt @5 :Int64;
  startedAt @6 :Int64;
  endedAt @7 :Int64;                # completed or exited
  exitReason @8 :Text;              # "" unless exited
}

struct TimelineEntry {
  position @0 :UInt64;              # the event's position in this node's log
  source @1 :Text;                  # case (the case's stream) | subject (the subject's
                                    # incidents) | alert (an alert's acknowledgement,
                                    # resolution or withdrawal)
  event @2 :Ev.Event;               # as the reader may see it (fields withheld are unset)
  voided @3 :Bool;                  # a void stands over it: shown struck through
  voidEvent @4 :Text;               # the record.voided event's id
  voidedAt @5 :Int64;
  voidedBy @6 :Text;                # the voiding user
  voidReason @7 :Text;              # unset when withheld from the reader
  correctedBy @8 :Text;             # attendance: the record of the same session that
                                    # replaced it ("" when it stands or is voided)
  replaces @9 :List(Text);          # attendance: the records of its session it replaced
}

struct AttendanceCounts {
  # Per intervention, from the standing records only (after corrections, voids left out).
  intervention @0 :Text;
  sessions @1 :UInt32;
  attended @2 :UInt32;
  late @3 :UInt32;
  leftEarly @4 :UInt32;
  absentAcceptable @5 :UInt32;
  absentUnacceptable @6 :UInt32;
}

struct CaseView {
  header @0 :CaseHeader;
  interventions @1 :List(InterventionView);  # in id order
  timeline @2 :List(TimelineEntry);          # by occurred_at, then recorded_at, then id
  attendance @3 :List(AttendanceCounts);     # in intervention order
  alerts @4 :List(AlertInfo);                # by raise time, every status
  withheld @5 :List(Text);                   # what the reader's role is not shown
  more @6 :Bool;                # a case too long for one frame (docs/case-views.md): this
                                # frame holds only a part of the timeline, which the next
                                # frame's continues; the last frame (more false) holds the
                                # rest of the timeline and every other section
}

struct SubjectView {
  subject @0 :Text;
  cases @1 :List(CaseHeader);                # in case id order
  incidents @2 :List(TimelineEntry);         # by occurred_at
  alerts @3 :List(AlertInfo);                # across its cases, by raise time
  withheld @4 :List(Text);
}

struct SessionRoster {
  group @0 :Text;
  at @1 :Int64;                     # unix nanoseconds; 0: now
}

struct RosterMember {
  caseId @0 :Text;
  subject @1 :Text;
  intervention @2 :Text;
  programme @3 :Text;
  provider @4 :Text;
  startedAt @5 :Int64;
  lastOutcome @6 :Text;             # the latest standing outcome at or before `at`; "" none
  lastSession @7 :Text;
  lastAt @8 :Int64;                 # -1: none
  unacceptableAbsences @9 :UInt32;  # standing absent_unacceptable records at or before `at`
}

struct Roster {
  group @0 :Text;
  at @1 :Int64;                     # the time asked for (now when none was given)
  members @2 :List(RosterMember);   # in case, then intervention order
}
