// The request table's handlers for the case views (daemon/case_views.h): case show, subject
// show and session roster. Kept apart from handler.cc: each checks its request, catches the
// projections up, and builds the view for the caller's role.
#include <chrono>

#include "daemon/case_views.h"
#include "daemon/handler.h"
#include "daemon/paged_reply.h"
#include "eventstore/validate.h"

namespace holdfast {
namespace {

Status RequireIdentifier(const char* option, const std::string& what, const std::string& id) {
  if (IsIdentifier(id)) return Status::Ok();
  return Status::InvalidArgument(std::string(option) + ": \"" + id + "\" is not " + what +
                                 " id (1 to 128 characters, no spaces)");
}

Status CatchUpForRead(Projector* projector, EventStore* store) {
  Status s = projector->CatchUp();
  // While the store takes no writes (a full disk) the fold cannot be saved: answer from
  // the projections as they stand.
  if (!s.ok() && !store->CanWrite().ok()) return Status::Ok();
  return s;
}

}  // namespace

Status RequestHandler::HandleCaseShow(const Caller& caller, const std::string& case_id,
                                      api::Response::Builder response, ResponseChannel* channel) {
  HOLDFAST_RETURN_IF_ERROR(RequireIdentifier("--case", "a case", case_id));
  HOLDFAST_RETURN_IF_ERROR(CatchUpForRead(projector_, store_));
  capnp::MallocMessageBuilder view;  // the response is set only once the view is whole
  auto built = view.initRoot<api::CaseView>();
  HOLDFAST_RETURN_IF_ERROR(BuildCaseView(*store_, *projector_, ScopeOf(caller), case_id, built));
  // A timeline too long for one frame goes ahead in parts of about kPageBytes, each sent
  // once the client has read the earlier ones; the final response holds the rest.
  auto timeline = built.asReader().getTimeline();
  unsigned begin = 0;
  if (channel != nullptr) {
    size_t bytes = 0;
    for (unsigned i = 0; i < timeline.size(); ++i) {
      bytes += timeline[i].totalSize().wordCount * sizeof(capnp::word);
      if (bytes < kPageBytes) continue;
      capnp::MallocMessageBuilder part(static_cast<unsigned>(bytes / sizeof(capnp::word) + 64));
      auto out = part.initRoot<api::Response>().initCaseView();
      out.setMore(true);
      auto list = out.initTimeline(i + 1 - begin);
      for (unsigned k = begin; k <= i; ++k) list.setWithCaveats(k - begin, timeline[k]);
      if (!channel->SendPage(part)) {
        return Status::Unavailable(
            "case show stopped: the client stopped reading, or holdfastd "
            "is stopping");
      }
      begin = i + 1;
      bytes = 0;
    }
  }
  auto out = response.initCaseView();
  auto in = built.asReader();
  out.setHeader(in.getHeader());
  out.setInterventions(in.getInterventions());
  auto list = out.initTimeline(timeline.size() - begin);
  for (unsigned k = begin; k < timeline.size(); ++k) list.setWithCaveats(k - begin, timeline[k]);
  out.setAttendance(in.getAttendance());
  out.setAlerts(in.getAlerts());
  out.setWithheld(in.getWithheld());
  return Status::Ok();
}

Status RequestHandler::HandleSubjectShow(const Caller& caller, const std::string& subject,
                                         api::Response::Builder response) {
  HOLDFAST_RETURN_IF_ERROR(RequireIdentifier("--subject", "a subject", subject));
  HOLDFAST_RETURN_IF_ERROR(CatchUpForRead(projector_, store_));
  capnp::MallocMessageBuilder view;
  auto built = view.initRoot<api::SubjectView>();
  HOLDFAST_RETURN_IF_ERROR(BuildSubjectView(*store_, *projector_, ScopeOf(caller), subject, built));
  response.setSubjectView(built.asReader());
  return Status::Ok();
}

Status RequestHandler::HandleSessionRoster(const Caller& caller, api::SessionRoster::Reader roster,
                                           api::Response::Builder response) {
  const std::string group = roster.getGroup();
  HOLDFAST_RETURN_IF_ERROR(RequireIdentifier("--group", "a group", group));
  int64_t at = roster.getAt();
  if (at < 0) return Status::InvalidArgument("--at: a time before 1970 is not one");
  if (at == 0) {
    at = std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count();
  }
  HOLDFAST_RETURN_IF_ERROR(CatchUpForRead(projector_, store_));
  capnp::MallocMessageBuilder view;
  auto built = view.initRoot<api::Roster>();
  HOLDFAST_RETURN_IF_ERROR(BuildRoster(*store_, *projector_, ScopeOf(caller), group, at, built));
  response.setRoster(built.asReader());
  return Status::Ok();
}

}  // namespace holdfast
