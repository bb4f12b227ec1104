// RequestHandler: answers one local API request (daemon/api.capnp) against the node's
// store. Plain code, no sockets: the server calls it from its worker threads, and tests
// can call it directly. Every request that touches case data is written to the audit log.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/api.capnp.h"
#include "daemon/audit.h"
#include "eventstore/event_store.h"

namespace holdfast {

struct NodeIdentity {
  std::string node_id;
  std::string agency;
  std::string kind;
};

class RequestHandler {
 public:
  RequestHandler(EventStore* store, AuditLog* audit, NodeIdentity node)
      : store_(store), audit_(audit), node_(std::move(node)) {}

  // Fills `response` with the answer or an error. Thread-safe; never throws.
  void Handle(api::Request::Reader request, api::Response::Builder response);

  // Largest page a readLog request gets, in events.
  static constexpr uint32_t kMaxPage = 10000;

 private:
  Status HandleAppend(api::Request::Reader request, api::Response::Builder response,
                      std::string* target);
  Status HandleImport(api::Request::Reader request, api::Response::Builder response);
  Status HandleReadLog(api::ReadLog::Reader read, api::Response::Builder response);
  Status HandleReadStream(const std::string& stream, api::Response::Builder response);
  Status HandleListCases(api::ListCases::Reader list, api::Response::Builder response);
  Status HandleStats(api::Response::Builder response);
  Status HandleBackup(const std::string& dir, api::Response::Builder response);
  Status HandleAuditList(api::AuditList::Reader list, api::Response::Builder response);
  void FillEvents(const std::vector<std::pair<uint64_t, Event>>& events,
                  api::Response::Builder response);
  // Refuses case-work events naming a case this node holds no case.opened for.
  Status CheckCasesKnown(const std::vector<Event>& events);

  EventStore* store_;
  AuditLog* audit_;
  NodeIdentity node_;
};

}  // namespace holdfast
