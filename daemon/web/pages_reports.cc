// Reports: indicators (/indicators) with charts, data tables and CSV, and the quality report
// (/quality). docs/web-reports.md says what each role sees.
//
// The indicators request answers one period with totals, so the page asks it once for the
// whole period (the totals and the CSV) and once per calendar month of it (the charts and
// their tables): at most 24 months, 25 requests. Every number on the page comes from those
// answers; nothing here reads the store.
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

#include "daemon/web/web_app.h"

namespace holdfast::web {
namespace {

constexpr int kMaxMonths = 24;
constexpr size_t kMaxAnomaliesPerKind = 200;

// ---- periods -----------------------------------------------------------------------------

struct YearMonth {
  int year;
  int month;  // 1..12
  YearMonth Plus(int months) const {
    const int index = year * 12 + (month - 1) + months;
    return {index / 12, index % 12 + 1};
  }
  std::string FirstDay() const {
    char buf[32];
    snprintf(buf, sizeof buf, "%04d-%02d-01", year, month);
    return buf;
  }
  std::string Name() const {
    static const char* names[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
    return std::string(names[month - 1]) + " " + std::to_string(year);
  }
  std::string Short() const {
    static const char* names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return names[month - 1];
  }
};

// Today's year and month in the node's time zone.
YearMonth ThisMonth(const WebContext& ctx) {
  using namespace std::chrono;
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(ctx.app.options().timezone);
  } catch (const std::exception&) {
    zone = date::locate_zone("UTC");
  }
  const auto local =
      zone->to_local(date::sys_seconds(duration_cast<seconds>(nanoseconds(ctx.request.now_ns))));
  const date::year_month_day ymd(date::floor<date::days>(local));
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month()))};
}

struct Period {
  std::string from_text, to_text;  // as typed (or the defaults)
  int64_t from = 0, to = 0;
};

struct Month {
  YearMonth ym;
  int64_t from = 0, to = 0;  // this month's part of the period
};

// The period the query asks for (from, to), the last 12 months by default. Errors name the
// field ("from", "to").
Period PeriodOf(const WebContext& ctx, std::vector<FieldError>* errors) {
  Period p;
  const YearMonth next = ThisMonth(ctx).Plus(1);
  p.from_text = ctx.query.Has("from") ? ctx.query.Get("from") : next.Plus(-12).FirstDay();
  p.to_text = ctx.query.Has("to") ? ctx.query.Get("to") : next.FirstDay();
  const auto trim = [](std::string& s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  };
  trim(p.from_text);
  trim(p.to_text);
  auto from = ctx.ParseTime(p.from_text);
  if (p.from_text.empty()) {
    errors->push_back({"from", "Enter the start of the period, as 2026-04-01"});
  } else if (!from.ok()) {
    errors->push_back({"from", "Start of the period: " + from.status().message()});
  } else {
    p.from = *from;
  }
  auto to = ctx.ParseTime(p.to_text);
  if (p.to_text.empty()) {
    errors->push_back({"to", "Enter the end of the period, as 2027-04-01"});
  } else if (!to.ok()) {
    errors->push_back({"to", "End of the period: " + to.status().message()});
  } else {
    p.to = *to;
  }
  if (errors->empty() && p.to <= p.from) {
    errors->push_back({"to", "The end of the period must be after its start"});
  }
  return p;
}

// The calendar months the period covers, each cut to the period; empty (with an error on
// "to") when there are more than kMaxMonths.
std::vector<Month> MonthsOf(const WebContext& ctx, const Period& p,
                            std::vector<FieldError>* errors) {
  // ParseTime took the text, so it starts with YYYY-MM.
  YearMonth ym{std::stoi(p.from_text.substr(0, 4)), std::stoi(p.from_text.substr(5, 2))};
  std::vector<Month> out;
  int64_t start = p.from;
  while (start < p.to) {
    auto next = ctx.ParseTime(ym.Plus(1).FirstDay());
    const int64_t end = next.ok() ? std::min(*next, p.to) : p.to;
    if (out.size() == kMaxMonths) {
      errors->push_back({"to", "Choose a period of " + std::to_string(kMaxMonths) +
                                   " months or less: the charts show each month"});
      return {};
    }
    if (end > start) out.push_back({ym, start, end});
    start = end;
    ym = ym.Plus(1);
  }
  return out;
}

// ---- the indicators, as the request table renders them -----------------------------------

// One period's indicators: the CSV's header names to its values ("" for a rate with nothing
// to count).
using Figures = std::vector<std::pair<std::string, std::string>>;

Result<Figures> AskIndicators(const WebContext& ctx, int64_t from, int64_t to) {
  Answer answer = ctx.Ask([&](api::Request::Builder r) {
    auto i = r.initIndicators();
    i.setFrom(from);
    i.setTo(to);
    i.setFormat("csv");
  });
  if (!answer.ok()) return answer.status();
  std::istringstream lines(answer.response().getReport().cStr());
  std::string header, values;
  std::getline(lines, header);
  std::getline(lines, values);
  const auto split = [](const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, ',')) out.push_back(cell);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
  };
  const auto names = split(header), cells = split(values);
  Figures out;
  for (size_t i = 0; i < names.size(); ++i) {
    out.emplace_back(names[i], i < cells.size() ? cells[i] : "");
  }
  return out;
}

std::string ValueOf(const Figures& f, std::string_view name) {
  for (const auto& [n, v] : f) {
    if (n == name) return v;
  }
  return "";
}

double NumberOf(const Figures& f, std::string_view name) {
  const std::string v = ValueOf(f, name);
  return v.empty() ? 0 : std::strtod(v.c_str(), nullptr);
}

std::optional<double> RateOf(const Figures& f, std::string_view name) {
  const std::string v = ValueOf(f, name);
  if (v.empty()) return std::nullopt;
  return std::strtod(v.c_str(), nullptr);
}

// The names after `prefix` ("alerts_" -> non_engagement, ...), in the report's order.
std::vector<std::string> NamesWith(const Figures& f, std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& [n, v] : f) {
    if (n.rfind(prefix, 0) == 0) out.push_back(n.substr(prefix.size()));
  }
  return out;
}

// "non_engagement" -> "Non engagement".
std::string Readable(std::string name) {
  std::replace(name.begin(), name.end(), '_', ' ');
  if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') name[0] = static_cast<char>(name[0] - 32);
  return name;
}

std::string Percent(std::optional<double> rate) {
  if (!rate) return "";
  char buf[32];
  snprintf(buf, sizeof buf, "%.0f%%", *rate * 100);
  return buf;
}

std::string Count(double v) { return std::to_string(static_cast<long long>(std::llround(v))); }

// ---- charts: inline SVG, role="img", named by <title> and described by <desc> -------------

// Fills 3:1 or more against white and against each other's white gaps; every other series
// also striped, so no series is told by its colour alone (the legend shows both).
struct Look {
  const char* colour;
  bool striped;
};
constexpr Look kLooks[] = {{"#1d70b8", false}, {"#d4351c", true},  {"#00703c", false},
                           {"#4c2c92", true},  {"#505a5f", false}, {"#b1560f", true}};

struct Series {
  std::string label;
  std::vector<std::optional<double>> values;  // one per month; nullopt: nothing to count
};

constexpr int kWidth = 960, kLeft = 56, kRight = 16, kTop = 48, kBottom = 56;

std::string Num(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A round step for about 4 gridlines up to `max`.
double NiceStep(double max) {
  if (max <= 0) return 1;
  const double raw = max / 4;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return std::max(1.0, m * magnitude);
  }
  return 10 * magnitude;
}

std::string FillOf(const std::string& chart, size_t series) {
  const Look& look = kLooks[series % std::size(kLooks)];
  if (!look.striped) return look.colour;
  return "url(#" + chart + "-p" + std::to_string(series) + ")";
}

// The <svg> head: title, description, stripe patterns and the legend.
std::string ChartHead(const std::string& id, std::string_view title, std::string_view desc,
                      const std::vector<Series>& series, int height, bool lines) {
  Html h;
  h.Raw("<svg class=\"hf-chart\" role=\"img\" width=\"100%\"")
      .Raw(Attr("viewBox", "0 0 " + std::to_string(kWidth) + " " + std::to_string(height)))
      .Raw(Attr("aria-labelledby", id + "-title " + id + "-desc"))
      .Raw(" font-family=\"arial, sans-serif\" font-size=\"14\" fill=\"#0b0c0c\">");
  h.Raw("<title").Raw(Attr("id", id + "-title")).Raw(">").Text(title).Raw("</title>");
  h.Raw("<desc").Raw(Attr("id", id + "-desc")).Raw(">").Text(desc).Raw("</desc><defs>");
  for (size_t i = 0; i < series.size(); ++i) {
    const Look& look = kLooks[i % std::size(kLooks)];
    if (!look.striped) continue;
    h.Raw("<pattern").Raw(Attr("id", id + "-p" + std::to_string(i)));
    h.Raw(
         " patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" "
         "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\"")
        .Raw(Attr("fill", look.colour))
        .Raw("/><rect width=\"3\" height=\"8\" fill=\"#ffffff\"/></pattern>");
  }
  h.Raw("</defs>");
  // The legend, in a row along the top.
  int x = kLeft;
  for (size_t i = 0; i < series.size(); ++i) {
    if (lines) {
      h.Raw("<line").Raw(Attr("x1", std::to_string(x))).Raw(Attr("x2", std::to_string(x + 24)));
      h.Raw(" y1=\"20\" y2=\"20\" stroke-width=\"3\"")
          .Raw(Attr("stroke", kLooks[i % std::size(kLooks)].colour))
          .Raw("/><circle")
          .Raw(Attr("cx", std::to_string(x + 12)))
          .Raw(" cy=\"20\" r=\"5\"")
          .Raw(Attr("fill", kLooks[i % std::size(kLooks)].colour))
          .Raw("/>");
    } else {
      h.Raw("<rect").Raw(Attr("x", std::to_string(x)));
      h.Raw(" y=\"10\" width=\"24\" height=\"20\" stroke=\"#0b0c0c\" stroke-width=\"1\"")
          .Raw(Attr("fill", FillOf(id, i)))
          .Raw("/>");
    }
    h.Raw("<text").Raw(Attr("x", std::to_string(x + 32))).Raw(" y=\"25\">");
    h.Text(series[i].label).Raw("</text>");
    x += 32 + static_cast<int>(series[i].label.size()) * 8 + 28;
  }
  return h.Take();
}

// The y axis's gridlines and labels, and the months along the x axis.
std::string Axes(const std::vector<Month>& months, int height, double max, double step,
                 bool percent) {
  Html h;
  const int bottom = height - kBottom;
  const double plot = bottom - kTop;
  for (double v = 0; v <= max + 1e-9; v += step) {
    const double y = bottom - plot * v / max;
    h.Raw("<line")
        .Raw(Attr("x1", std::to_string(kLeft)))
        .Raw(Attr("x2", std::to_string(kWidth - kRight)));
    h.Raw(Attr("y1", Num(y))).Raw(Attr("y2", Num(y)));
    h.Raw(v == 0 ? " stroke=\"#0b0c0c\" stroke-width=\"2\"/>"
                 : " stroke=\"#b1b4b6\" stroke-width=\"1\"/>");
    h.Raw("<text text-anchor=\"end\"").Raw(Attr("x", std::to_string(kLeft - 8)));
    h.Raw(Attr("y", Num(y + 5))).Raw(">");
    h.Text(percent ? Count(v * 100) + "%" : Count(v)).Raw("</text>");
  }
  const double slot = static_cast<double>(kWidth - kLeft - kRight) / months.size();
  for (size_t i = 0; i < months.size(); ++i) {
    const double cx = kLeft + slot * (i + 0.5);
    h.Raw("<text text-anchor=\"middle\"").Raw(Attr("x", Num(cx)));
    h.Raw(Attr("y", std::to_string(bottom + 20)))
        .Raw(">")
        .Text(months[i].ym.Short())
        .Raw("</text>");
    if (i == 0 || months[i].ym.month == 1) {
      h.Raw("<text text-anchor=\"middle\" font-weight=\"bold\"").Raw(Attr("x", Num(cx)));
      h.Raw(Attr("y", std::to_string(bottom + 40)))
          .Raw(">")
          .Text(std::to_string(months[i].ym.year))
          .Raw("</text>");
    }
  }
  return h.Take();
}

// Bars per month: stacked (one bar of every series, its total above it) or grouped (a bar
// per series, each with its number above it).
std::string BarChart(const std::string& id, std::string_view title, std::string_view desc,
                     const std::vector<Month>& months, const std::vector<Series>& series,
                     bool stacked) {
  const int height = 340;
  double max = 0;
  for (size_t m = 0; m < months.size(); ++m) {
    double total = 0;
    for (const auto& s : series) {
      const double v = s.values[m].value_or(0);
      total = stacked ? total + v : std::max(total, v);
    }
    max = std::max(max, total);
  }
  const double step = NiceStep(max);
  max = std::max(step, std::ceil(max / step) * step);
  Html h;
  h.Raw(ChartHead(id, title, desc, series, height, false));
  h.Raw(Axes(months, height, max, step, false));
  const int bottom = height - kBottom;
  const double plot = bottom - kTop;
  const double slot = static_cast<double>(kWidth - kLeft - kRight) / months.size();
  const int label_size = months.size() > 12 ? 11 : 13;
  for (size_t m = 0; m < months.size(); ++m) {
    const double x0 = kLeft + slot * m + slot * 0.15;
    const double width = slot * 0.7;
    double y = bottom, total = 0;
    for (size_t s = 0; s < series.size(); ++s) {
      const double v = series[s].values[m].value_or(0);
      const double bar_height = plot * v / max;
      const double bar_width = stacked ? width : width / series.size();
      const double x = stacked ? x0 : x0 + bar_width * s;
      const double top = stacked ? y - bar_height : bottom - bar_height;
      if (v > 0) {
        h.Raw("<rect").Raw(Attr("x", Num(x))).Raw(Attr("y", Num(top)));
        h.Raw(Attr("width", Num(bar_width))).Raw(Attr("height", Num(bar_height)));
        h.Raw(Attr("fill", FillOf(id, s))).Raw(" stroke=\"#ffffff\" stroke-width=\"1\"/>");
      }
      if (!stacked) {
        h.Raw("<text text-anchor=\"middle\"").Raw(Attr("font-size", std::to_string(label_size)));
        h.Raw(Attr("x", Num(x + bar_width / 2))).Raw(Attr("y", Num(top - 4))).Raw(">");
        h.Text(Count(v)).Raw("</text>");
      }
      y = top;
      total += v;
    }
    if (stacked) {
      h.Raw("<text text-anchor=\"middle\" font-weight=\"bold\"")
          .Raw(Attr("font-size", std::to_string(label_size)));
      h.Raw(Attr("x", Num(x0 + width / 2))).Raw(Attr("y", Num(y - 4))).Raw(">");
      h.Text(Count(total)).Raw("</text>");
    }
  }
  h.Raw("</svg>");
  return h.Take();
}

// A line per series with a marked point (and its value) each month; a month with nothing to
// count breaks the line and says "none".
std::string RateChart(const std::string& id, std::string_view title, std::string_view desc,
                      const std::vector<Month>& months, const Series& series) {
  const int height = 320;
  Html h;
  h.Raw(ChartHead(id, title, desc, {series}, height, true));
  h.Raw(Axes(months, height, 1.0, 0.25, true));
  const int bottom = height - kBottom;
  const double plot = bottom - kTop;
  const double slot = static_cast<double>(kWidth - kLeft - kRight) / months.size();
  const char* colour = kLooks[0].colour;
  std::string path;
  for (size_t m = 0; m < months.size(); ++m) {
    const auto v = series.values[m];
    if (!v) {
      path += " ";
      continue;
    }
    const double x = kLeft + slot * (m + 0.5), y = bottom - plot * *v;
    const bool starts = m == 0 || !series.values[m - 1];
    path += (starts ? "M" : "L") + Num(x) + " " + Num(y) + " ";
  }
  if (path.find('M') != std::string::npos) {
    h.Raw("<path fill=\"none\" stroke-width=\"3\"").Raw(Attr("stroke", colour));
    h.Raw(Attr("d", path)).Raw("/>");
  }
  const int label_size = months.size() > 12 ? 11 : 13;
  for (size_t m = 0; m < months.size(); ++m) {
    const auto v = series.values[m];
    const double x = kLeft + slot * (m + 0.5);
    if (!v) {
      h.Raw("<text text-anchor=\"middle\" fill=\"#505a5f\"")
          .Raw(Attr("font-size", std::to_string(label_size)));
      h.Raw(Attr("x", Num(x))).Raw(Attr("y", std::to_string(bottom - 8))).Raw(">none</text>");
      continue;
    }
    const double y = bottom - plot * *v;
    h.Raw("<circle r=\"5\" stroke=\"#ffffff\" stroke-width=\"2\"").Raw(Attr("fill", colour));
    h.Raw(Attr("cx", Num(x))).Raw(Attr("cy", Num(y))).Raw("/>");
    h.Raw("<text text-anchor=\"middle\" font-weight=\"bold\"")
        .Raw(Attr("font-size", std::to_string(label_size)));
    h.Raw(Attr("x", Num(x))).Raw(Attr("y", Num(*v > 0.9 ? y + 22 : y - 10))).Raw(">");
    h.Text(Percent(v)).Raw("</text>");
  }
  h.Raw("</svg>");
  return h.Take();
}

std::string Figure(std::string_view caption, const std::string& svg, std::string table) {
  // The table's caption a size below the figure's.
  const std::string medium = "govuk-table__caption--m";
  const size_t at = table.find(medium);
  if (at != std::string::npos) table.replace(at, medium.size(), "govuk-table__caption--s");
  Html h;
  h.Raw("<figure class=\"hf-figure govuk-!-margin-0 govuk-!-margin-bottom-6\">");
  h.Raw("<figcaption class=\"govuk-heading-m\">").Text(caption).Raw("</figcaption>");
  h.Raw(svg).Raw(table).Raw("</figure>");
  return h.Take();
}

std::string PeriodQuery(std::string_view from, std::string_view to) {
  return "from=" + UrlEncode(from) + "&to=" + UrlEncode(to);
}

// ---- /indicators -------------------------------------------------------------------------

std::string PeriodForm(const WebContext& ctx, const Period& p,
                       const std::vector<FieldError>& errors) {
  Html h;
  Field from("from", "From", p.from_text, ErrorFor(errors, "from"));
  from.hint = "The first day counted, as 2026-01-01";
  from.width = "govuk-input--width-10";
  Field to("to", "To (not included)", p.to_text, ErrorFor(errors, "to"));
  to.hint = "The day after the last one counted, as 2027-01-01";
  to.width = "govuk-input--width-10";
  h.Raw("<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-one-quarter\">");
  h.Raw(TextInput(from)).Raw("</div><div class=\"govuk-grid-column-one-quarter\">");
  h.Raw(TextInput(to)).Raw("</div></div>");
  h.Raw(Button("Show indicators", "secondary"));
  std::string form = GetForm("/indicators", h.Take());
  // Quick periods.
  const YearMonth now = ThisMonth(ctx);
  const YearMonth quarter{now.year, (now.month - 1) / 3 * 3 + 1};
  const YearMonth last_quarter = quarter.Plus(-3);
  const YearMonth year{now.year, 1};
  Html q;
  q.Raw("<p class=\"govuk-body\">Or show: ");
  q.Raw(Link("/indicators?" + PeriodQuery(now.Plus(-11).FirstDay(), now.Plus(1).FirstDay()),
             "the last 12 months"));
  q.Raw(", ");
  q.Raw(Link("/indicators?" + PeriodQuery(last_quarter.FirstDay(), quarter.FirstDay()),
             "last quarter (" + last_quarter.Name() + " to " + quarter.Plus(-1).Name() + ")"));
  q.Raw(", ");
  q.Raw(Link("/indicators?" + PeriodQuery(year.FirstDay(), year.Plus(12).FirstDay()),
             "this year (" + std::to_string(now.year) + ")"));
  q.Raw("</p>");
  return form + q.Take();
}

WebReply IndicatorsPage(WebContext& ctx) {
  std::vector<FieldError> errors;
  Period p = PeriodOf(ctx, &errors);
  std::vector<Month> months;
  if (errors.empty()) months = MonthsOf(ctx, p, &errors);
  Html h;
  h.Raw(ErrorSummary(errors));
  h.Raw("<h1 class=\"govuk-heading-l\">Indicators</h1>");
  h.Raw(
      "<p class=\"govuk-body\">The partnership's figures for a period, counted from the events "
      "this node holds: each event by the time it happened, alerts by when they were raised "
      "(withdrawn ones left out). No case is named here.</p>");
  h.Raw(PeriodForm(ctx, p, errors));
  if (!errors.empty()) return ctx.Page("Indicators", h.Take(), true);

  auto total = AskIndicators(ctx, p.from, p.to);
  if (!total.ok()) {
    if (total.status().code() == Status::Code::kInvalidArgument) {
      errors.push_back({"to", total.status().message()});
      Html e;
      e.Raw(ErrorSummary(errors)).Raw("<h1 class=\"govuk-heading-l\">Indicators</h1>");
      e.Raw(PeriodForm(ctx, p, errors));
      return ctx.Page("Indicators", e.Take(), true);
    }
    return ctx.Refused(total.status());
  }
  std::vector<Figures> per_month;
  for (const auto& m : months) {
    auto f = AskIndicators(ctx, m.from, m.to);
    if (!f.ok()) return ctx.Refused(f.status());
    per_month.push_back(std::move(f).value());
  }

  const std::string period_words = ctx.Date(p.from) + " to " + ctx.Date(p.to - 1);
  h.Raw("<h2 class=\"govuk-heading-m\">").Text(period_words).Raw("</h2>");
  h.Raw("<p class=\"govuk-body\">");
  h.Raw(Link("/indicators.csv?" + PeriodQuery(p.from_text, p.to_text),
             "Download CSV (the same figures as holdfast report indicators --format csv)"));
  h.Raw("</p>");

  // The period's totals.
  std::vector<SummaryRow> rows;
  rows.push_back({"Referrals", Escape(ValueOf(*total, "referrals")), "", ""});
  rows.push_back({"Starts", Escape(ValueOf(*total, "starts")), "", ""});
  rows.push_back({"Completions", Escape(ValueOf(*total, "completions")), "", ""});
  double exits = 0;
  for (const auto& reason : NamesWith(*total, "exits_"))
    exits += NumberOf(*total, "exits_" + reason);
  rows.push_back({"Exits", Escape(Count(exits)), "", ""});
  const auto or_none = [](std::string s) { return s.empty() ? std::string("none to count") : s; };
  rows.push_back(
      {"Completion rate", Escape(or_none(Percent(RateOf(*total, "completion_rate")))), "", ""});
  rows.push_back(
      {"Attendance rate", Escape(or_none(Percent(RateOf(*total, "attendance_rate")))), "", ""});
  double alerts = 0;
  for (const auto& rule : NamesWith(*total, "alerts_"))
    alerts += NumberOf(*total, "alerts_" + rule);
  rows.push_back({"Alerts raised", Escape(Count(alerts)), "", ""});
  const std::string median = ValueOf(*total, "median_hours_to_acknowledge");
  rows.push_back({"Median hours to acknowledge an alert",
                  Escape(median.empty() ? "none to count" : median), "", ""});
  rows.push_back({"Subjects with repeat incidents",
                  Escape(ValueOf(*total, "subjects_with_repeat_incidents")), "", ""});
  h.Raw(SummaryList(rows));

  // Alerts by rule per month: stacked bars.
  const auto rules = NamesWith(*total, "alerts_");
  std::vector<Series> alert_series;
  for (const auto& rule : rules) {
    Series s{Readable(rule), {}};
    for (const auto& f : per_month) s.values.push_back(NumberOf(f, "alerts_" + rule));
    alert_series.push_back(std::move(s));
  }
  {
    std::vector<std::string> headers = {"Month"};
    for (const auto& s : alert_series) headers.push_back("#" + s.label);
    headers.push_back("#Total");
    std::vector<std::vector<std::string>> table;
    for (size_t m = 0; m < months.size(); ++m) {
      std::vector<std::string> row = {Escape(months[m].ym.Name())};
      double sum = 0;
      for (const auto& s : alert_series) {
        row.push_back(Escape(Count(*s.values[m])));
        sum += *s.values[m];
      }
      row.push_back(Escape(Count(sum)));
      table.push_back(std::move(row));
    }
    std::vector<std::string> row = {"<strong>Period</strong>"};
    for (const auto& rule : rules) row.push_back(Escape(ValueOf(*total, "alerts_" + rule)));
    row.push_back(Escape(Count(alerts)));
    table.push_back(std::move(row));
    h.Raw(Figure("Alerts raised by rule, per month",
                 BarChart("chart-alerts", "Alerts raised by rule, per month",
                          "Stacked bars, one a month, each divided by rule in the legend's order "
                          "from the bottom, with the month's total above it. The table below "
                          "gives every number.",
                          months, alert_series, true),
                 Table("The chart's numbers: alerts raised by rule", headers, table)));
  }

  // Attendance rate per month: a line.
  {
    Series s{"Attendance rate", {}};
    for (const auto& f : per_month) s.values.push_back(RateOf(f, "attendance_rate"));
    std::vector<std::vector<std::string>> table;
    for (size_t m = 0; m < months.size(); ++m) {
      table.push_back({Escape(months[m].ym.Name()), Escape(or_none(Percent(s.values[m])))});
    }
    table.push_back(
        {"<strong>Period</strong>", Escape(or_none(Percent(RateOf(*total, "attendance_rate"))))});
    h.Raw(Figure(
        "Attendance rate, per month",
        RateChart("chart-attendance", "Attendance rate, per month",
                  "A line with a point a month: the share of attendance outcomes that "
                  "were positive contacts (acceptable absences not counted). A month "
                  "with no outcomes says none. The table below gives every number.",
                  months, s),
        Table("The chart's numbers: attendance rate", {"Month", "#Attendance rate"}, table)));
  }

  // Completions and exits per month: grouped bars.
  {
    const auto reasons = NamesWith(*total, "exits_");
    Series completions{"Completions", {}}, exit_series{"Exits", {}};
    for (const auto& f : per_month) {
      completions.values.push_back(NumberOf(f, "completions"));
      double sum = 0;
      for (const auto& r : reasons) sum += NumberOf(f, "exits_" + r);
      exit_series.values.push_back(sum);
    }
    std::vector<std::string> headers = {"Month", "#Completions", "#Exits"};
    for (const auto& r : reasons) headers.push_back("#Exits: " + Readable(r));
    headers.push_back("#Completion rate");
    std::vector<std::vector<std::string>> table;
    for (size_t m = 0; m < months.size(); ++m) {
      std::vector<std::string> row = {Escape(months[m].ym.Name()),
                                      Escape(Count(*completions.values[m])),
                                      Escape(Count(*exit_series.values[m]))};
      for (const auto& r : reasons) row.push_back(Escape(ValueOf(per_month[m], "exits_" + r)));
      row.push_back(Escape(or_none(Percent(RateOf(per_month[m], "completion_rate")))));
      table.push_back(std::move(row));
    }
    std::vector<std::string> row = {"<strong>Period</strong>",
                                    Escape(ValueOf(*total, "completions")), Escape(Count(exits))};
    for (const auto& r : reasons) row.push_back(Escape(ValueOf(*total, "exits_" + r)));
    row.push_back(Escape(or_none(Percent(RateOf(*total, "completion_rate")))));
    table.push_back(std::move(row));
    h.Raw(Figure(
        "Completions and exits, per month",
        BarChart("chart-endings", "Completions and exits, per month",
                 "Two bars a month, completions (solid) then exits (striped), each "
                 "with its number above it. The table below gives every number, "
                 "exits by reason too.",
                 months, {completions, exit_series}, false),
        Table("The chart's numbers: completions and exits, exits by reason", headers, table)));
  }
  return ctx.Page("Indicators", h.Take());
}

// GET /indicators.csv?from=..&to=..: exactly what `holdfast report indicators --format csv`
// prints for the same period.
WebReply IndicatorsCsv(WebContext& ctx) {
  std::vector<FieldError> errors;
  Period p = PeriodOf(ctx, &errors);
  if (!errors.empty()) {
    return ctx.Refused(Status::InvalidArgument(errors.front().message));
  }
  Answer answer = ctx.Ask([&](api::Request::Builder r) {
    auto i = r.initIndicators();
    i.setFrom(p.from);
    i.setTo(p.to);
    i.setFormat("csv");
  });
  if (!answer.ok()) return ctx.Refused(answer.status());
  const auto safe = [](std::string s) {
    for (char& c : s) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
    }
    return s;
  };
  WebReply r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = answer.response().getReport().cStr();
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"indicators-" +
                                                    safe(p.from_text) + "-to-" + safe(p.to_text) +
                                                    ".csv\"");
  return r;
}

// ---- /quality ----------------------------------------------------------------------------

struct KindWords {
  const char* kind;
  const char* title;
};
constexpr KindWords kKinds[] = {
    {"case_reopened", "A case opened twice"},
    {"case_subject_conflict", "A case opened again for a different subject"},
    {"after_close", "Recorded after the case closed"},
    {"not_referred", "An intervention not referred in the case"},
    {"not_started", "An intervention not started"},
    {"ended_twice", "An intervention ended twice"},
    {"not_active", "Attendance while the intervention was not active"},
    {"unknown_session", "Attendance at a session this node holds no record of"},
    {"future_dated", "Dated in the future"},
    {"unknown_case", "An event naming a case not opened here"},
    {"void_target_missing", "A void of an event not held here"},
};

std::string KindTitle(const std::string& kind) {
  for (const auto& k : kKinds) {
    if (kind == k.kind) return k.title;
  }
  return Readable(kind);
}

WebReply QualityPage(WebContext& ctx) {
  Answer answer = ctx.Ask([&](api::Request::Builder r) { r.initQualityReport(); });
  if (!answer.ok()) return ctx.Refused(answer.status());
  std::vector<api::Response::Reader> frames = answer.frames();
  frames.push_back(answer.response());
  bool counts_only = false;
  std::vector<std::pair<std::string, uint64_t>> counts;
  std::vector<std::string> withheld;
  std::map<std::string, std::vector<api::Anomaly::Reader>> by_kind;
  for (auto f : frames) {
    if (!f.isQuality()) continue;
    auto q = f.getQuality();
    counts_only = counts_only || q.getCountsOnly();
    for (auto a : q.getAnomalies()) by_kind[a.getKind()].push_back(a);
    if (q.getLast()) {
      for (auto c : q.getCounts()) counts.emplace_back(c.getKind(), c.getCount());
      withheld.clear();
      for (auto w : q.getWithheld()) withheld.emplace_back(w.cStr());
    }
  }
  const bool links = HasRight(ctx.session.role, Right::kReadCases);
  uint64_t total = 0;
  for (const auto& [kind, n] : counts) total += n;

  Html h;
  h.Raw("<h1 class=\"govuk-heading-l\">Quality report</h1>");
  h.Raw(
      "<p class=\"govuk-body\">Records that break the checks made when something is entered: "
      "they came by import or from another node, which keep whatever arrives. Each is fixed "
      "by voiding the wrong record or adding the missing one; then it leaves this "
      "report.</p>");
  if (total == 0) {
    h.Raw(
        InsetText("<p class=\"govuk-body\">No anomalies: every record this node holds passes "
                  "the checks.</p>"));
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [kind, n] : counts) {
    std::string name = Escape(KindTitle(kind));
    if (!counts_only && n > 0)
      name = "<a class=\"govuk-link\" href=\"#" + kind + "\">" + name + "</a>";
    rows.push_back({name, "<code>" + Escape(kind) + "</code>", Escape(std::to_string(n))});
  }
  rows.push_back({"<strong>Total</strong>", "", "<strong>" + std::to_string(total) + "</strong>"});
  h.Raw(Table("Anomalies by kind", {"Kind", "Name in the CLI's report", "#Count"}, rows));
  if (counts_only) {
    h.Raw(InsetText(
        "<p class=\"govuk-body\">Your role sees the counts only: the anomalies themselves name "
        "cases.</p>"));
    return ctx.Page("Quality report", h.Take());
  }
  if (!withheld.empty()) {
    std::string text;
    for (const auto& w : withheld) text += (text.empty() ? "" : ", ") + w;
    h.Raw(InsetText("<p class=\"govuk-body\">Not shown to your role (and not counted): " +
                    Escape(text) + ".</p>"));
  }
  for (const auto& [kind, n] : counts) {
    auto it = by_kind.find(kind);
    if (it == by_kind.end() || it->second.empty()) continue;
    const auto& list = it->second;
    h.Raw("<h2 class=\"govuk-heading-m\"").Raw(Attr("id", kind)).Raw(">");
    h.Text(KindTitle(kind) + " (" + std::to_string(list.size()) + ")").Raw("</h2>");
    std::vector<std::vector<std::string>> table;
    for (size_t i = 0; i < list.size() && i < kMaxAnomaliesPerKind; ++i) {
      auto a = list[i];
      const std::string case_id = a.getCaseId();
      std::string case_cell = case_id.empty() ? std::string("none")
                              : links
                                  ? "<span class=\"hf-nowrap\">" +
                                        Link("/cases/" + UrlEncode(case_id), case_id) + "</span>"
                                  : "<span class=\"hf-nowrap\">" + Escape(case_id) + "</span>";
      table.push_back({case_cell, Escape(ctx.Time(a.getOccurredAt())), Escape(a.getType().cStr()),
                       "<code class=\"hf-id\">" + Escape(a.getEvent().cStr()) + "</code>",
                       Escape(a.getDetail().cStr())});
    }
    h.Raw(Table("", {"Case", "Happened", "Event", "Event id", "What to do"}, table));
    if (list.size() > kMaxAnomaliesPerKind) {
      h.Raw("<p class=\"govuk-body\">The first " + std::to_string(kMaxAnomaliesPerKind) +
            " are shown. <code>holdfast report quality --format csv</code> lists them all.</p>");
    }
  }
  return ctx.Page("Quality report", h.Take());
}

}  // namespace

std::vector<Page> ReportPages() {
  return {
      {"GET", "/indicators", Right::kReports, "indicators", IndicatorsPage},
      {"GET", "/indicators.csv", Right::kReports, "indicators", IndicatorsCsv},
      {"GET", "/quality", Right::kQuality, "quality", QualityPage},
  };
}

}  // namespace holdfast::web
