// PagedReply: a listing's answer as pages (api.capnp, "Listings"). The handler adds items as
// it walks the store; each item is built in a scratch message, and once the items reach
// kPageBytes they go to the client as one `page` frame through the ResponseChannel (which
// waits while the client is behind). Finish puts the rest in the final response. So neither
// the daemon nor the client ever holds more than a few pages, whatever the listing's size.
#pragma once

#include <capnp/message.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/api.capnp.h"
#include "daemon/handler.h"

namespace holdfast {

// Items per page are cut at this many bytes (the last item may go over it). An item is at
// most one event (tens of KiB), so a page is far below the 32 MiB frame limit.
constexpr size_t kPageBytes = 1u << 20;

template <typename T>  // api::PositionedEvent, api::CaseSummary, api::AlertInfo, api::AuditEntry
class PagedReply {
 public:
  // Initialises the page's list of items (one of the Page union's members).
  using InitList = typename capnp::List<T>::Builder (*)(api::Page::Builder page, unsigned size);

  // Without a channel (a caller of RequestHandler::Handle that cannot take interim frames)
  // every item goes into the final response.
  PagedReply(ResponseChannel* channel, api::Response::Builder response, InitList init)
      : channel_(channel), response_(response), init_(init) {
    NewScratch();
  }
  PagedReply(const PagedReply&) = delete;
  PagedReply& operator=(const PagedReply&) = delete;

  // A new item at the end of the listing; fill it, then call Added.
  typename T::Builder Add() {
    items_.push_back(scratch_->getOrphanage().template newOrphan<T>());
    return items_.back().get();
  }
  // Counts the item just filled; sends the page when it is full. False when the client has
  // gone: stop listing and fail the request.
  bool Added() {
    bytes_ += items_.back().getReader().totalSize().wordCount * sizeof(capnp::word);
    ++count_;
    if (channel_ == nullptr || bytes_ < kPageBytes) return true;
    capnp::MallocMessageBuilder message(static_cast<unsigned>(bytes_ / sizeof(capnp::word) + 64));
    Fill(message.initRoot<api::Response>().initPage());
    return channel_->SendPage(message);
  }
  // The final frame: the items not sent yet, `last`, and the cursor for the rest ("" when the
  // listing is complete).
  api::Page::Builder Finish(const std::string& next) {
    auto page = response_.initPage();
    Fill(page);
    page.setLast(true);
    page.setNext(next);
    return page;
  }
  // Items added so far.
  size_t count() const { return count_; }
  // What the reader's role is not shown (Page.withheld), set on every page from now on.
  void Withhold(std::vector<std::string> withheld) { withheld_ = std::move(withheld); }

 private:
  void NewScratch() {
    items_.clear();
    scratch_ = std::make_unique<capnp::MallocMessageBuilder>();
    bytes_ = 0;
  }
  void Fill(api::Page::Builder page) {
    auto list = init_(page, static_cast<unsigned>(items_.size()));
    for (size_t i = 0; i < items_.size(); ++i) {
      list.setWithCaveats(static_cast<unsigned>(i), items_[i].getReader());
    }
    if (!withheld_.empty()) {
      auto withheld = page.initWithheld(static_cast<unsigned>(withheld_.size()));
      for (size_t i = 0; i < withheld_.size(); ++i) {
        withheld.set(static_cast<unsigned>(i), withheld_[i]);
      }
    }
    NewScratch();
  }

  ResponseChannel* channel_;
  api::Response::Builder response_;
  InitList init_;
  std::unique_ptr<capnp::MallocMessageBuilder> scratch_;
  std::vector<capnp::Orphan<T>> items_;
  std::vector<std::string> withheld_;
  size_t bytes_ = 0;
  size_t count_ = 0;
};

}  // namespace holdfast
