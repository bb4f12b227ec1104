// case list: the cases a node holds. (case show is in view_verbs.cc.)
#include <capnp/dynamic.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "cli/cli.h"
#include "eventstore/event_json.h"
#include "eventstore/validate.h"

namespace holdfast::cli {
namespace {

int CaseList(Context& ctx) {
  capnp::MallocMessageBuilder message;
  auto list = NewRequest(message, ctx).initListCases();
  list.setOpenOnly(ctx.vm["open"].as<bool>());
  if (ctx.vm.count("agency")) list.setAgency(ctx.vm["agency"].as<std::string>());
  if (ctx.vm.count("after")) list.setAfter(ctx.vm["after"].as<std::string>());
  list.setLimit(ctx.vm["limit"].as<uint32_t>());
  RowWriter t({"case", "subject", "order", "risk", "lead_agency", "opened", "status", "events"},
              {false, false, false, false, false, false, false, true}, ctx.format, std::cout);
  auto orders = capnp::Schema::from<schema::OrderKind>().getEnumerants();
  auto risks = capnp::Schema::from<schema::RiskLevel>().getEnumerants();
  const std::string next = ctx.List(message, [&](api::Page::Reader page, std::unique_ptr<Frame>&) {
    // A field the reader's role is not shown (the count of a case's events, to a role that
    // may not see them all).
    bool events_withheld = false;
    for (auto field : page.getWithheld()) events_withheld = events_withheld || field == "events";
    for (auto c : page.getCases()) {
      t.Add({c.getCaseId(), c.getSubject(), JsonNameOf(orders[static_cast<unsigned>(c.getOrder())]),
             JsonNameOf(risks[static_cast<unsigned>(c.getRisk())]), c.getLeadAgency(),
             ShowTime(ctx, c.getOpenedAt()), c.getClosed() ? "closed" : "open",
             std::to_string(c.getEvents())},
            {false, false, false, false, false, false, false, events_withheld});
    }
  });
  t.Finish();
  PrintNextPage("--after", next);
  return 0;
}

}  // namespace

void AddReadVerbs(std::vector<Verb>* verbs) {
  Verb list;
  list.name = "case list";
  list.summary = "List the cases this node holds";
  list.usage = "case list [--open] [--agency ID] [--limit N] [--after CURSOR]";
  list.example = "holdfast case list --open --agency probation-ce --format csv";
  list.add_options = [](po::options_description& d) {
    d.add_options()("open", po::bool_switch(), "only cases not closed")(
        "agency", po::value<std::string>(), "only cases led by this agency")(
        "limit", po::value<uint32_t>()->default_value(0),
        "at most this many cases (0: all); the next page's cursor goes to stderr")(
        "after", po::value<std::string>(), "the cases after this cursor (a case id)");
  };
  list.run = CaseList;
  verbs->push_back(std::move(list));
}

}  // namespace holdfast::cli
