// The daemon's request table: for each kind of request in daemon/api.capnp, one row that says
// what the verb is called, the right it needs (daemon/rights.h), what the audit log records
// as its target, and the code that answers it. RequestHandler::Handle (daemon/handler.h)
// looks a request up here, checks the right, fills the audit entry and calls the row's
// handler; nothing else decides these things, so a new request kind is one new row, and a
// test (tests/daemon/requests_test.cc) fails until every kind has one.
//
// The table is plain data: no sockets, no framing. A row's handler takes the request, the
// response to fill and the caller, so any transport that can build an api::Request and name
// its caller (the local socket today, an HTTPS API later) dispatches through the same rows
// with the same rights and audit.
#pragma once

#include <string>
#include <vector>

#include "daemon/api.capnp.h"
#include "daemon/audit.h"
#include "daemon/rights.h"
#include "eventstore/status.h"

namespace holdfast {

class RequestHandler;
class ResponseChannel;

// One request being answered, as a row's handler sees it.
struct Call {
  const Caller& caller;
  api::Request::Reader request;
  api::Response::Builder response;
  ResponseChannel* channel;  // may be null: no interim frames, no watching
  // The entry the audit log records for this request. A kHandler row's handler sets its
  // target; a handler may also name what it did more exactly than the row's verb and the
  // returned status can (import: its verb with --with-derived, the outcome of an event it
  // refused).
  AuditRecord* audit;
};

// What the audit log records for a request. A request whose caller's identity is refused
// (no user, the system role) is audited with its verb whatever its row says.
enum class AuditTarget {
  kNotAudited,  // not written to the audit log: touches no case data (ping)
  kNone,        // audited with an empty target
  kRequest,     // audited with the row's `target` of the request, allowed or refused
  kHandler,     // audited with what the handler found (append: the case of its first event;
                // import: the derived event it refused)
};

struct RequestKind {
  api::Request::Which which;
  const char* verb;     // as the audit log records it: "store-backup"
  const char* command;  // as the user types it, in refusals: "store backup"
  Right right;
  AuditTarget audit;
  // AuditTarget::kRequest only (else null): the audited target, read from the request.
  std::string (*target)(api::Request::Reader request);
  Status (*handle)(RequestHandler& handler, const Call& call);
};

// Every row, one per kind of request, in api.capnp's order.
const std::vector<RequestKind>& RequestKinds();
// The row for `which`; null for a kind this daemon does not know (a newer client's).
const RequestKind* FindRequestKind(api::Request::Which which);

}  // namespace holdfast
