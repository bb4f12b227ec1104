// holdfast-sample: writes a fictional county's partnership events as JSON Lines, the form
// `holdfast import` reads. Deterministic: the same options give the same bytes.
//
//   holdfast-sample --cases 300 --seed 7 > county.jsonl
//   holdfast-sample --events-target 1000000 > big.jsonl
//   holdfast-sample --seed 7 --agency-split out/   # out/probation.jsonl, provider.jsonl,
//   police.jsonl holdfast-sample --seed 7 --check --stats > /dev/null
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eventstore/event_json.h"
#include "eventstore/ids.h"
#include "eventstore/status.h"
#include "ops/sample/county.h"
#include "ops/sample/portable_random.h"

namespace holdfast::sample {
namespace {

namespace po = boost::program_options;

enum class LineOrder { kStream, kSorted, kShuffled };

struct Settings {
  CountyOptions county;
  int64_t events_target = 0;  // 0: use county.cases
  std::string split_dir;      // empty: everything to stdout
  LineOrder order = LineOrder::kStream;
  bool check = false;
  bool stats = false;
};

// Where lines go: stdout, or one file per agency. Counts lines per destination so that
// --check can name the line that failed.
class LineWriter {
 public:
  ~LineWriter() {
    for (Destination& d : destinations_) {
      if (d.file != nullptr && d.file != stdout) std::fclose(d.file);
    }
  }

  Status Open(const std::string& split_dir, bool check) {
    check_ = check;
    if (split_dir.empty()) {
      std::setvbuf(stdout, nullptr, _IOFBF, 1 << 20);
      destinations_.push_back(Destination{stdout, "stdout", 0});
      return Status::Ok();
    }
    std::error_code error;
    std::filesystem::create_directories(split_dir, error);
    if (error) {
      return Status::IoError("--agency-split: cannot create " + split_dir + ": " + error.message());
    }
    for (Agency agency : {Agency::kProbation, Agency::kProvider, Agency::kPolice}) {
      const std::string path =
          (std::filesystem::path(split_dir) / (std::string(AgencyName(agency)) + ".jsonl"))
              .string();
      std::FILE* file = std::fopen(path.c_str(), "w");
      if (file == nullptr) {
        return Status::IoError("--agency-split: cannot write " + path +
                               "; check the directory's permissions");
      }
      std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
      destinations_.push_back(Destination{file, path, 0});
    }
    return Status::Ok();
  }

  Status Write(Agency agency, std::string_view json) {
    Destination& d =
        destinations_.size() == 1 ? destinations_[0] : destinations_[static_cast<int>(agency)];
    ++d.lines;
    if (check_) {
      Result<Event> parsed = EventFromJson(json);
      if (!parsed.ok()) {
        return Status::InvalidArgument("--check: " + d.name + " line " + std::to_string(d.lines) +
                                       ": " + parsed.status().message());
      }
    }
    if (std::fwrite(json.data(), 1, json.size(), d.file) != json.size() ||
        std::fputc('\n', d.file) == EOF) {
      return Status::IoError("cannot write to " + d.name);
    }
    return Status::Ok();
  }

  Status Close() {
    for (Destination& d : destinations_) {
      const bool failed = std::fflush(d.file) != 0 || std::ferror(d.file) ||
                          (d.file != stdout && std::fclose(d.file) != 0);
      if (d.file != stdout) d.file = nullptr;
      if (failed) return Status::IoError("cannot write to " + d.name);
    }
    return Status::Ok();
  }

 private:
  struct Destination {
    std::FILE* file;
    std::string name;
    uint64_t lines;
  };
  bool check_ = false;
  std::vector<Destination> destinations_;
};

struct BufferedLine {
  int64_t occurred_at;
  Agency agency;
  std::string json;
};

// Puts the buffered lines in the asked order: by occurred_at (stable), or a seeded shuffle.
void Reorder(LineOrder order, uint64_t seed, std::vector<BufferedLine>* lines) {
  if (order == LineOrder::kSorted) {
    std::stable_sort(
        lines->begin(), lines->end(),
        [](const BufferedLine& a, const BufferedLine& b) { return a.occurred_at < b.occurred_at; });
    return;
  }
  PortableRandom rng(Mix64(seed ^ 0x53485546464c45ull));  // Fisher-Yates
  for (size_t i = lines->size(); i > 1; --i) {
    std::swap((*lines)[i - 1], (*lines)[rng.Below(i)]);
  }
}

// Parses the command line; false with a message when it is wrong or help was asked for.
bool ParseSettings(int argc, char** argv, Settings* settings, int* exit_code) {
  std::string start = "2025-01-06";
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "cases", po::value(&settings->county.cases)->default_value(300),
      "cases in the county (opened over its first 15 months)")(
      "seed", po::value(&settings->county.seed)->default_value(1),
      "seed: the same seed and options give the same output, byte for byte")(
      "start", po::value(&start)->default_value(start),
      "first day of the county's 18 months (YYYY-MM-DD, UTC)")(
      "events-target", po::value(&settings->events_target),
      "scale the number of cases so that about this many events are written")(
      "agency-split", po::value(&settings->split_dir),
      "write DIR/probation.jsonl, DIR/provider.jsonl and DIR/police.jsonl instead of stdout")(
      "sorted", "order the lines by occurred_at (holds every line in memory)")(
      "shuffle", "order the lines randomly, from the seed (holds every line in memory)")(
      "check", "parse every line with the event store's JSON reader; fail naming the line")(
      "stats", "print the number of events of each type to stderr");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "holdfast-sample: " << e.what() << "; see holdfast-sample --help\n";
    *exit_code = 2;
    return false;
  }
  if (vm.count("help")) {
    std::cout << "holdfast-sample: a fictional county's partnership events as JSON Lines\n\n"
                 "Usage: holdfast-sample [--cases N | --events-target M] [--seed S] "
                 "[--start DATE]\n"
                 "                       [--agency-split DIR] [--sorted | --shuffle] [--check] "
                 "[--stats]\n\n"
              << options
              << "\nExample:\n  holdfast-sample --cases 300 --seed 7 --check > county.jsonl\n";
    *exit_code = 0;
    return false;
  }
  auto fail = [exit_code](const std::string& message) {
    std::cerr << "holdfast-sample: " << message << "\n";
    *exit_code = 2;
    return false;
  };
  if (vm.count("events-target") && !vm["cases"].defaulted()) {
    return fail("give --cases or --events-target, not both");
  }
  if (vm.count("events-target") && settings->events_target < 1) {
    return fail("--events-target: expected a number of events, 1 or more");
  }
  if (settings->county.cases < 1) return fail("--cases: expected 1 or more");
  if (vm.count("sorted") && vm.count("shuffle")) {
    return fail("give --sorted or --shuffle, not both");
  }
  std::optional<int64_t> start_nanos = ParseDateOrTime(start);
  if (!start_nanos) {
    return fail("--start: expected a date like 2025-01-06, got \"" + start + "\"");
  }
  // Nanosecond times end in 2262: keep the county's 18 months well inside them.
  constexpr int64_t kLatestStart = 7258118400;  // 2200-01-01T00:00:00Z
  if (*start_nanos / 1000000000 >= kLatestStart) {
    return fail("--start: expected a date before 2200-01-01, got \"" + start + "\"");
  }
  settings->county.start = *start_nanos / 1000000000;
  settings->order = vm.count("sorted")    ? LineOrder::kSorted
                    : vm.count("shuffle") ? LineOrder::kShuffled
                                          : LineOrder::kStream;
  settings->check = vm.count("check") > 0;
  settings->stats = vm.count("stats") > 0;
  return true;
}

int Run(const Settings& given) {
  Settings settings = given;
  if (settings.events_target > 0) {
    settings.county.cases = CasesForEventTarget(settings.county, settings.events_target);
  }
  LineWriter writer;
  Status status = writer.Open(settings.split_dir, settings.check);
  std::map<std::string, uint64_t, std::less<>> counts;
  std::vector<BufferedLine> buffered;
  const auto began = std::chrono::steady_clock::now();
  GenerateCounty(settings.county, [&](const SampleLine& line) {
    if (!status.ok()) return false;
    auto it = counts.find(line.type);
    if (it == counts.end()) it = counts.emplace(std::string(line.type), 0).first;
    ++it->second;
    if (settings.order != LineOrder::kStream) {
      buffered.push_back(BufferedLine{line.occurred_at, line.agency, std::string(line.json)});
      return true;
    }
    status = writer.Write(line.agency, line.json);
    return status.ok();
  });
  if (status.ok() && settings.order != LineOrder::kStream) {
    Reorder(settings.order, settings.county.seed, &buffered);
    for (const BufferedLine& line : buffered) {
      status = writer.Write(line.agency, line.json);
      if (!status.ok()) break;
    }
  }
  if (status.ok()) status = writer.Close();
  if (!status.ok()) {
    std::cerr << "holdfast-sample: " << status.message() << "\n";
    return 1;
  }
  if (settings.stats) {
    uint64_t total = 0;
    for (const auto& [type, count] : counts) {
      std::cerr << type << " " << count << "\n";
      total += count;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::cerr << "total " << total << " events, " << settings.county.cases << " cases, " << seconds
              << " s" << (settings.check ? " (checked)" : "") << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace holdfast::sample

int main(int argc, char** argv) {
  holdfast::sample::Settings settings;
  int exit_code = 0;
  if (!holdfast::sample::ParseSettings(argc, argv, &settings, &exit_code)) return exit_code;
  return holdfast::sample::Run(settings);
}
