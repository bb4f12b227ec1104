// report quality: the anomalies the node holds (docs/quality.md), as rows printed while they
// arrive; an analyst gets the count of each kind.
#include <iostream>

#include "cli/cli.h"

namespace holdfast::cli {
namespace {

int ReportQuality(Context& ctx) {
  capnp::MallocMessageBuilder message;
  auto req = NewRequest(message, ctx).initQualityReport();
  if (ctx.vm.count("case")) {
    const std::string case_id = ctx.vm["case"].as<std::string>();
    if (case_id.empty()) throw CliError{kExitUsage, "--case needs a case id"};
    req.setCaseId(case_id);
  }
  const bool table = ctx.format == "table";
  // The report's order (case, time, event, kind); a person reads the detail last.
  const std::vector<std::string> columns =
      table ? std::vector<std::string>{"case", "occurred_at", "kind", "type", "event", "detail"}
            : std::vector<std::string>{"case",  "occurred_at",  "kind",  "type",
                                       "event", "intervention", "detail"};
  std::unique_ptr<RowWriter> rows;
  std::vector<std::string> withheld;
  for (auto frame = ctx.Call(message);; frame = ctx.Next()) {
    auto response = frame->root<api::Response>();
    if (!response.isQuality()) {
      throw CliError{kExitFailed,
                     "holdfastd answered report quality with something else: is it older than "
                     "this CLI?"};
    }
    auto q = response.getQuality();
    withheld.clear();
    for (auto w : q.getWithheld()) withheld.emplace_back(w.cStr());
    if (q.getCountsOnly()) {
      if (!q.getLast()) continue;
      // Counts, every kind (0 too): the analyst's view.
      Table counts({"kind", "count"}, {false, true});
      uint64_t total = 0;
      for (auto c : q.getCounts()) {
        counts.Add({c.getKind(), std::to_string(c.getCount())});
        total += c.getCount();
      }
      counts.Print(ctx.format, std::cout);
      if (table) std::cout << total << " anomal" << (total == 1 ? "y" : "ies") << "\n";
      return 0;
    }
    if (!rows)
      rows = std::make_unique<RowWriter>(columns, std::vector<bool>{}, ctx.format, std::cout);
    for (auto a : q.getAnomalies()) {
      std::vector<std::string> row = {a.getCaseId(), ShowTime(ctx, a.getOccurredAt()), a.getKind(),
                                      a.getType(), a.getEvent()};
      if (!table) row.push_back(a.getIntervention());
      row.push_back(a.getDetail());
      rows->Add(std::move(row));
    }
    if (q.getLast()) break;
  }
  rows->Finish();
  if (table) {
    std::cout << rows->rows() << " anomal" << (rows->rows() == 1 ? "y" : "ies") << "\n";
    if (!withheld.empty()) {
      std::cout << "Not shown to your role:";
      for (size_t i = 0; i < withheld.size(); ++i) std::cout << (i ? ", " : " ") << withheld[i];
      std::cout << "\n";
    }
  }
  return 0;
}

}  // namespace

void AddQualityVerbs(std::vector<Verb>* verbs) {
  verbs->push_back(MakeVerb(
      "report quality",
      "Anomalies in the record (a case opened twice, attendance outside an intervention, ...)",
      "report quality [--case ID] [--format table|json|csv]",
      "holdfast report quality --case C-0042",
      [](po::options_description& d) {
        d.add_options()("case", po::value<std::string>(), "only this case's anomalies");
      },
      ReportQuality));
}

}  // namespace holdfast::cli
