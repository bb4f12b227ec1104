// alerts watch over the local socket: the alert feed (projections/projector.h, ScanFeed)
// followed from a cursor, each change shown as the caller's role may see it.
#include <atomic>

#include "daemon/feed_follower.h"
#include "daemon/handler.h"

namespace holdfast {
namespace {

// Each watch holds a thread of the daemon's pool while it lasts: a bound keeps them from
// taking every thread from the requests.
constexpr int kMaxWatches = 16;
std::atomic<int> watches{0};

// Feed entries read and sent per scan, before the watch looks again at who is watching.
constexpr size_t kBatch = 256;

}  // namespace

void RequestHandler::FillFeedItem(const FeedEntry& entry, const AlertWithheld& withheld,
                                  api::FeedItem::Builder out) {
  out.setCursor(entry.cursor);
  out.setChange(AlertChangeName(entry.change));
  out.setEvent(FormatUuid(entry.event));
  FillAlertInfo(entry.alert, entry.status, out.initAlert(), withheld);
}

Status RequestHandler::HandleWatchFeed(const Caller& caller, api::WatchFeed::Reader watch,
                                       api::Response::Builder response, ResponseChannel* channel) {
  if (channel == nullptr) return Status::InvalidArgument("alerts watch needs a live connection");
  uint64_t cursor = watch.getSince();
  if (!watch.getFromEnd() && cursor > store_->LastPosition()) {
    // A cursor is a position in this node's log: past its end, the watch would show nothing
    // until the log grew past it.
    return Status::InvalidArgument(
        "--since: " + std::to_string(cursor) + " is past the end of this node's log (" +
        std::to_string(store_->LastPosition()) +
        "): a cursor of another node, or of this one before a restore? Watch from now (no "
        "--since), or from the start (--since 0)");
  }
  if (watch.getFromEnd()) {
    auto end = projector_->FeedEnd();
    if (!end.ok()) return end.status();
    cursor = *end;
  }
  if (channel->TakeFeed(caller, ScopeOf(caller), cursor)) {
    response.setOk();
    return Status::Ok();
  }
  if (watches.fetch_add(1) >= kMaxWatches) {
    watches.fetch_sub(1);
    return Status::Unavailable("this node already serves " + std::to_string(kMaxWatches) +
                               " alert watches: stop one, or read the feed over HTTPS "
                               "(GET /v1/alerts/feed)");
  }
  struct Release {
    ~Release() { watches.fetch_sub(1); }
  } release;
  // Listening from here: a change folded after FeedEnd above and before the first scan below
  // is found by that scan.
  FeedFollower follower(projector_);
  channel->Follow();
  {
    // The first frame says where the watch begins, so a client that reconnects resumes
    // there even if nothing it may see has changed since.
    capnp::MallocMessageBuilder m;
    m.initRoot<api::Response>().initFeedItem().setCursor(cursor);
    if (!channel->SendPage(m)) return Status::Ok();
  }
  const ReadScope scope = ScopeOf(caller);
  for (;;) {
    // A user disabled (or given another role) since they began to watch sees no more.
    HOLDFAST_RETURN_IF_ERROR(StillActs(caller));
    size_t read = 0;
    bool gone = false;
    Status scanned = projector_->ScanFeed(cursor, [&](const FeedEntry& entry) {
      auto visible = scope.MaySee(entry.alert);
      if (!visible.ok()) return false;  // told below, from the scan's status
      cursor = entry.cursor;
      if (*visible) {
        capnp::MallocMessageBuilder m;
        FillFeedItem(entry, scope.WithheldOf(entry.alert),
                     m.initRoot<api::Response>().initFeedItem());
        if (!channel->SendPage(m)) {
          gone = true;
          return false;
        }
      }
      return ++read < kBatch;
    });
    HOLDFAST_RETURN_IF_ERROR(scanned);
    if (gone) break;
    if (read < kBatch && !follower.WaitBeyond(cursor, std::chrono::seconds(1)) && channel->Gone()) {
      break;
    }
  }
  response.setOk();
  return Status::Ok();
}

}  // namespace holdfast
