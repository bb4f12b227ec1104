# The local API between `holdfast` (the CLI) and `holdfastd`, over the node's Unix socket.
#
# Framing (both directions): a 4-byte little-endian length N, then N bytes holding one
# unpacked Cap'n Proto message (a Request from the client, a Response from the daemon).
# N is at most 32 MiB; a larger or malformed frame gets an error Response and the
# connection is closed. A client sends a request and reads its response before the next.

@0xb31fbb934a7e9013;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("holdfast::api");

using Ev = import "/eventstore/event.capnp";

struct Identity {
  # Who is asking. The daemon checks the role's rights (SPEC "Roles and rights") and writes
  # both to the audit log; on appended events it overwrites the author with them and with
  # this node's agency.
  user @0 :Text;
  role @1 :Ev.Role;
}

struct Request {
  identity @0 :Identity;
  union {
    ping @1 :Void;                  # -> pong
    append @2 :Append;              # case-work verbs -> appended
    import @3 :List(Ev.Event);      # operator bulk import, authors kept -> appended
    readLog @4 :ReadLog;            # export, a page at a time -> events
    readStream @5 :Text;            # a stream's events, e.g. "case/C-0042" -> events
    listCases @6 :ListCases;        # -> cases
    storeVerify @7 :Void;           # -> verify
    storeStats @8 :Void;            # -> stats
    storeBackup @9 :Text;           # a directory that must not exist yet -> ok
    auditList @10 :AuditList;       # operator only -> audit
  }
}

struct Append {
  events @0 :List(Ev.Event);        # new events without provenance
  expectedStream @1 :Text;          # when set, the stream must be at expectedVersion
  expectedVersion @2 :UInt64;
}

struct ReadLog {
  after @0 :UInt64;                 # events after this log position
  limit @1 :UInt32;                 # at most this many (the daemon caps it)
}

struct ListCases {
  openOnly @0 :Bool;
  agency @1 :Text;                  # lead agency; empty for all
}

struct AuditList {
  limit @0 :UInt32;                 # the most recent entries, at most this many
}

struct Response {
  union {
    error @0 :Error;
    ok @1 :Void;
    pong @2 :Pong;
    appended @3 :List(Appended);    # one per event sent, in order
    events @4 :Events;
    cases @5 :List(CaseSummary);
    verify @6 :VerifyResult;
    stats @7 :List(Stat);
    audit @8 :List(AuditEntry);
  }
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
}

struct Appended {
  position @0 :UInt64;
  duplicate @1 :Bool;
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
}
