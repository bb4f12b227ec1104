// `holdfast report indicators` end to end: the county of tests/projections/indicator_county.h
// imported into a real holdfastd in its three steps (first events, corrections, and the
// acknowledgements made with `alerts ack`), and the report's JSON and CSV compared whole
// with the values worked out by hand in tests/projections/indicators_test.cc.
#include <catch2/catch.hpp>

#include "eventstore/event_json.h"
#include "tests/daemon/harness.h"
#include "tests/projections/indicator_county.h"

namespace holdfast::test {
namespace {

void Import(const StartedNode& n, const std::vector<Event>& events, const std::string& name) {
  std::string lines;
  for (const auto& e : events) lines += EventToJson(e.reader()) + "\n";
  WriteFile(n.dir / name, lines);
  Ok(n.node, {"import", "--file", n.dir / name}, "operator");
}

// The rules' names, in the order of schema::AlertRule.
const char* const kRules[] = {"non_engagement", "no_contact", "reoffending",
                              "breach",         "dropout",    "risk_escalation"};

// `alerts ack` of the alert of the acknowledgement's rule and case raised at its time.
void Acknowledge(const StartedNode& n, const testing::IndicatorCounty& county,
                 bool before_corrections) {
  for (const auto& ack : county.acks) {
    if (ack.before_corrections != before_corrections) continue;
    const std::string rule = kRules[static_cast<size_t>(ack.rule)];
    const auto listed = Ok(n.node,
                           {"alerts", "list", "--status", "all", "--rule", rule, "--case",
                            ack.case_id, "--format", "json"},
                           "police");
    std::string alert;
    for (const auto& line : Lines(listed.out)) {
      if (StringField(line, "raised_at") == FormatRfc3339(ack.raised_at) &&
          StringField(line, "status") != "withdrawn") {
        alert = StringField(line, "alert");
      }
    }
    INFO(rule << " on " << ack.case_id << ": " << listed.out);
    REQUIRE(!alert.empty());
    Ok(n.node, {"alerts", "ack", "--alert", alert, "--at", FormatRfc3339(ack.at)}, "police");
  }
}

std::string Report(const StartedNode& n, const std::string& from, const std::string& to,
                   const std::string& format) {
  return Ok(n.node, {"report", "indicators", "--from", from, "--to", to, "--format", format},
            "probation")
      .out;
}

}  // namespace

TEST_CASE("report indicators gives the values worked out by hand for a small county",
          "[daemon][indicators]") {
  StartedNode n;
  const auto county = testing::MakeIndicatorCounty();
  Import(n, county.first, "first.jsonl");
  Acknowledge(n, county, true);
  Import(n, county.corrections, "corrections.jsonl");
  Acknowledge(n, county, false);

  // March: the figures of CheckMarch in tests/projections/indicators_test.cc, whose months
  // are UTC (a date alone is the start of the day in the node's zone: 1 April is in BST).
  CHECK(Report(n, "2025-03-01", "2025-04-01T00:00:00Z", "json") ==
        "{\"from\":\"2025-03-01T00:00:00Z\",\"to\":\"2025-04-01T00:00:00Z\",\"referrals\":4,"
        "\"starts\":4,\"completions\":3,\"exits\":{\"non_compliance\":1,\"withdrew\":0,"
        "\"moved_area\":1,\"custody\":0,\"other\":0},\"completion_rate\":0.6,"
        "\"attendance_rate\":0.666667,\"alerts\":{\"non_engagement\":1,\"no_contact\":1,"
        "\"reoffending\":2,\"breach\":1,\"dropout\":1,\"risk_escalation\":1},"
        "\"median_hours_to_acknowledge\":8.5,\"subjects_with_repeat_incidents\":2}\n");
  // February (CheckFebruary), the period given as RFC 3339 times.
  CHECK(Report(n, "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z", "json") ==
        "{\"from\":\"2025-02-01T00:00:00Z\",\"to\":\"2025-03-01T00:00:00Z\",\"referrals\":1,"
        "\"starts\":1,\"completions\":0,\"exits\":{\"non_compliance\":0,\"withdrew\":1,"
        "\"moved_area\":0,\"custody\":0,\"other\":0},\"completion_rate\":0,"
        "\"attendance_rate\":1,\"alerts\":{\"non_engagement\":0,\"no_contact\":1,"
        "\"reoffending\":0,\"breach\":0,\"dropout\":1,\"risk_escalation\":0},"
        "\"median_hours_to_acknowledge\":102,\"subjects_with_repeat_incidents\":0}\n");
  // April (CheckApril): nothing acknowledged, so the median is null in JSON and empty in
  // CSV.
  CHECK(Report(n, "2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z", "json") ==
        "{\"from\":\"2025-04-01T00:00:00Z\",\"to\":\"2025-05-01T00:00:00Z\",\"referrals\":0,"
        "\"starts\":1,\"completions\":1,\"exits\":{\"non_compliance\":0,\"withdrew\":0,"
        "\"moved_area\":0,\"custody\":0,\"other\":0},\"completion_rate\":1,"
        "\"attendance_rate\":0,\"alerts\":{\"non_engagement\":0,\"no_contact\":0,"
        "\"reoffending\":0,\"breach\":1,\"dropout\":0,\"risk_escalation\":0},"
        "\"median_hours_to_acknowledge\":null,\"subjects_with_repeat_incidents\":0}\n");
  // 2024, before anything happened: zero denominators.
  CHECK(Report(n, "2024-01-01", "2025-01-01", "csv") ==
        "from,to,referrals,starts,completions,exits_non_compliance,exits_withdrew,"
        "exits_moved_area,exits_custody,exits_other,completion_rate,attendance_rate,"
        "alerts_non_engagement,alerts_no_contact,alerts_reoffending,alerts_breach,"
        "alerts_dropout,alerts_risk_escalation,median_hours_to_acknowledge,"
        "subjects_with_repeat_incidents\n"
        "2024-01-01T00:00:00Z,2025-01-01T00:00:00Z,0,0,0,0,0,0,0,0,,,0,0,0,0,0,0,,0\n");
  // A table shows the period in the node's zone (London: 1 April 2025 is in BST, so this
  // period ends at 2025-03-31T23:00:00Z, an hour before the UTC month's).
  const std::string table = Report(n, "2025-03-01", "2025-04-01", "table");
  INFO(table);
  CHECK(table.rfind("from                            2025-03-01 00:00:00 GMT\n"
                    "to                              2025-04-01 00:00:00 BST\n",
                    0) == 0);
}

}  // namespace holdfast::test
