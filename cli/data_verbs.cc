// import and export: moving events in and out of a node in bulk.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include "cli/cli.h"
#include "concurrency/bounded_queue.h"
#include "eventstore/event_json.h"

namespace holdfast::cli {
namespace {

constexpr size_t kImportBatch = 2000;
// A batch is also cut at this many bytes of events, far below the 32 MiB frame limit even
// when every event carries the most free text it may.
constexpr size_t kImportBatchBytes = 8u << 20;

// The longest import line read. The largest valid event is far smaller: at most two
// free-text fields of 8 KiB (session.held's module and notes) and some twenty identifiers of
// at most 128 characters, which JSON may write a byte at a time as 6-byte \u escapes: about
// 110 KiB. The bound leaves room for any whitespace a tool adds, and stops a file that is
// not JSON Lines (or /dev/zero, one endless line) before it fills memory.
constexpr size_t kMaxImportLineBytes = 1u << 20;
constexpr const char* kMaxImportLineText = "1 MiB";

// Reads a file a line at a time, holding at most one line of at most max_bytes and one
// read buffer, whatever the file holds.
class LineReader {
 public:
  enum class Got { kLine, kEnd, kTooLong, kError };
  LineReader(int fd, size_t max_bytes) : fd_(fd), max_(max_bytes), buffer_(64 * 1024) {}
  // The next line, without its '\n' (the last line may lack one). kTooLong as soon as the
  // line passes max_bytes; kError with errno set when reading fails.
  Got Next(std::string* line);
  // The bytes of the file consumed so far.
  uint64_t offset() const { return offset_; }

 private:
  int fd_;
  size_t max_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // the unread part of buffer_
  bool eof_ = false;
  uint64_t offset_ = 0;
};

LineReader::Got LineReader::Next(std::string* line) {
  line->clear();
  for (;;) {
    if (begin_ < end_) {
      const char* start = buffer_.data() + begin_;
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
      const size_t n = newline ? static_cast<size_t>(newline - start) : end_ - begin_;
      if (line->size() + n > max_) return Got::kTooLong;
      line->append(start, n);
      const size_t used = n + (newline ? 1 : 0);
      begin_ += used;
      offset_ += used;
      if (newline) return Got::kLine;
    }
    if (eof_) return line->empty() ? Got::kEnd : Got::kLine;
    const ssize_t got = ::read(fd_, buffer_.data(), buffer_.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Got::kError;
    eof_ = got == 0;
    begin_ = 0;
    end_ = static_cast<size_t>(got);
  }
}

// A line import did not take, and why.
struct SkippedLine {
  size_t line = 0;
  std::string why;
};

// Batches of parsed events handed from the parsing thread to the sending one; bounded, so
// memory stays flat however large the file.
struct Batch {
  std::vector<Event> events;
  std::vector<size_t> lines;         // the file line of each event
  size_t bytes = 0;                  // of the events, as Cap'n Proto messages
  uint64_t bytes_read = 0;           // file offset reached
  std::vector<SkippedLine> skipped;  // --skip-invalid: lines before the last event not parsed
  std::string error;                 // set on the batch that ends at a bad line
  bool error_skippable = true;       // false when --skip-invalid would not have helped
};

// At most four batches wait for the sender.
using BatchQueue = BoundedQueue<Batch>;
constexpr size_t kQueuedBatches = 4;

void ParseFile(int fd, const std::string& path, bool skip_invalid, BatchQueue* queue) {
  Batch batch;
  LineReader reader(fd, kMaxImportLineBytes);
  std::string line;
  size_t number = 0;
  while (!queue->closed()) {
    const auto got = reader.Next(&line);
    if (got == LineReader::Got::kEnd) break;
    ++number;
    if (got == LineReader::Got::kTooLong) {
      batch.error = "line " + std::to_string(number) + " is longer than " + kMaxImportLineText +
                    ": not a holdfast JSONL file?";
      batch.error_skippable = false;
      break;
    }
    if (got == LineReader::Got::kError) {
      batch.error = "reading " + path + " failed at line " + std::to_string(number) + ": " +
                    std::strerror(errno);
      batch.error_skippable = false;
      break;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto event = EventFromJson(line);
    if (!event.ok()) {
      if (skip_invalid) {
        batch.skipped.push_back({number, event.status().message()});
        continue;
      }
      batch.error = "line " + std::to_string(number) + ": " + event.status().message();
      break;
    }
    batch.bytes += event->reader().totalSize().wordCount * sizeof(capnp::word);
    batch.events.push_back(std::move(event).value());
    batch.lines.push_back(number);
    batch.bytes_read = reader.offset();
    if (batch.events.size() >= kImportBatch || batch.bytes >= kImportBatchBytes) {
      queue->Push(std::move(batch));
      batch = Batch();
    }
  }
  batch.bytes_read = reader.offset();
  if (!batch.events.empty() || !batch.skipped.empty() || !batch.error.empty()) {
    queue->Push(std::move(batch));
  }
  queue->Finish();
}

struct ImportCounts {
  uint64_t read = 0, added = 0, held = 0;  // events the daemon took, of them new, held before
};

// Sends a batch's events from `from` on. Returns the index of the event the daemon refused
// (it wrote everything before it and nothing after it), with why in *refusal; or the
// batch's size when it took them all.
size_t SendBatch(Context& ctx, const Batch& batch, size_t from, ImportCounts* counts,
                 std::string* refusal) {
  const size_t n = batch.events.size() - from;
  capnp::MallocMessageBuilder message;
  auto request = NewRequest(message, ctx);
  request.setImportWithDerived(ctx.vm["with-derived"].as<bool>());
  auto list = request.initImport(static_cast<unsigned>(n));
  for (size_t i = 0; i < n; ++i) {
    list.setWithCaveats(static_cast<unsigned>(i), batch.events[from + i].reader());
  }
  auto reply = ctx.Call(message);
  while (reply->root<api::Response>().isProgress()) reply = ctx.Next();  // still working
  size_t at = from;
  for (auto a : reply->root<api::Response>().getAppended()) {
    if (a.getRefused().size() > 0) {
      *refusal = a.getRefused();
      return at;
    }
    ++(a.getDuplicate() ? counts->held : counts->added);
    ++counts->read;
    ++at;
  }
  if (at != batch.events.size()) {
    throw CliError{kExitFailed, "holdfastd answered for " + std::to_string(at - from) + " of " +
                                    std::to_string(n) +
                                    " events and refused none: is holdfastd older than the CLI?"};
  }
  return at;
}

int Import(Context& ctx) {
  if (!ctx.vm.count("file"))
    throw CliError{kExitUsage, "--file is required (see holdfast help import)"};
  const std::string path = ctx.vm["file"].as<std::string>();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw CliError{kExitUsage, "cannot read " + path + ": check the path"};
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  const double size =
      ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<double>(st.st_size) : 0;
  const bool progress = isatty(STDERR_FILENO) && !ctx.vm["quiet"].as<bool>();
  const bool skip_invalid = ctx.vm["skip-invalid"].as<bool>();
  ctx.timeout_note =
      "the import's outcome is unknown: importing the file again is safe (events already held "
      "are skipped)";

  BatchQueue queue(kQueuedBatches);
  std::thread parser(ParseFile, fd, std::cref(path), skip_invalid, &queue);
  ImportCounts counts;
  size_t skipped = 0;
  const auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  std::string error;
  bool error_skippable = true;
  try {
    Batch batch;
    while (error.empty() && queue.Pop(&batch)) {
      std::vector<SkippedLine> reports = std::move(batch.skipped);
      for (size_t from = 0; from < batch.events.size();) {
        std::string refusal;
        const size_t refused = SendBatch(ctx, batch, from, &counts, &refusal);
        if (refused == batch.events.size()) break;
        const std::string line = "line " + std::to_string(batch.lines[refused]);
        if (!skip_invalid) {
          error = line + ": " + refusal;
          break;
        }
        reports.push_back({batch.lines[refused], refusal});
        from = refused + 1;
      }
      // In file order, each on a line of its own (on a terminal, after the progress line).
      std::sort(reports.begin(), reports.end(),
                [](const SkippedLine& a, const SkippedLine& b) { return a.line < b.line; });
      for (const auto& r : reports) {
        std::cerr << (progress ? "\n" : "") << "line " << r.line << ": skipped: " << r.why << "\n";
      }
      skipped += reports.size();
      if (error.empty() && !batch.error.empty()) {
        error = batch.error;
        error_skippable = batch.error_skippable;
      }
      const auto now = std::chrono::steady_clock::now();
      if (progress && now - last_report > std::chrono::milliseconds(200)) {
        last_report = now;
        const double secs = std::chrono::duration<double>(now - start).count();
        std::fprintf(stderr, "\r%5.1f%%  %llu events, %llu new, %.0f events/s   ",
                     size > 0 ? 100.0 * static_cast<double>(batch.bytes_read) / size : 100.0,
                     static_cast<unsigned long long>(counts.read),
                     static_cast<unsigned long long>(counts.added),
                     static_cast<double>(counts.read) / secs);
      }
    }
  } catch (...) {
    queue.Close();
    parser.join();
    throw;
  }
  queue.Close();
  parser.join();
  if (progress) std::fprintf(stderr, "\r%70s\r", "");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!error.empty()) {
    const std::string before = "the " + std::to_string(counts.read) + " events before it";
    throw CliError{
        kExitFailed,
        error + (error_skippable ? " (" + before +
                                       " were imported; fix the line and import again, which "
                                       "skips what is already held, or pass --skip-invalid)"
                                 : " (" + before + " were imported)")};
  }
  std::cout << "imported " << path << ": " << counts.read << " events, " << counts.added << " new, "
            << counts.held << " already held"
            << (skipped ? ", " + std::to_string(skipped) + " invalid lines skipped" : "") << " in "
            << static_cast<int>(secs * 1000) << " ms\n";
  return skipped ? kExitFailed : 0;
}

int Export(Context& ctx) {
  const bool capnp_frames = ctx.format == "capnp";
  capnp::MallocMessageBuilder message;
  auto read = NewRequest(message, ctx).initReadLog();
  read.setAfter(ctx.vm["since"].as<uint64_t>());
  read.setLimit(ctx.vm["limit"].as<uint32_t>());
  // One request; the daemon streams the log in pages as fast as they are written out.
  const std::string next = ctx.List(message, [&](api::Page::Reader page, std::unique_ptr<Frame>&) {
    for (auto item : page.getEvents()) {
      if (capnp_frames) {
        capnp::MallocMessageBuilder copy;
        copy.setRoot(item.getEvent());
        auto words = capnp::messageToFlatArray(copy);
        auto bytes = words.asBytes();
        std::cout.write(reinterpret_cast<const char*>(bytes.begin()),
                        static_cast<std::streamsize>(bytes.size()));
      } else {
        std::cout << EventToJson(item.getEvent(), item.getPosition()) << "\n";
      }
    }
    if (!std::cout)
      throw CliError{kExitFailed, "writing the export failed (disk full or pipe closed?)"};
  });
  std::cout.flush();
  if (!std::cout)
    throw CliError{kExitFailed, "writing the export failed (disk full or pipe closed?)"};
  PrintNextPage("--since", next);
  return 0;
}

}  // namespace

void AddDataVerbs(std::vector<Verb>* verbs) {
  Verb import;
  import.name = "import";
  import.summary =
      "Import events from a JSON Lines file (idempotent: importing twice adds nothing)";
  import.usage = "import --file FILE.jsonl [--skip-invalid] [--with-derived]";
  import.example = "holdfast import --file county.jsonl";
  import.add_options = [](po::options_description & d) {
    d.add_options()("file", po::value<std::string>(), "the JSON Lines file (required)")(
        "skip-invalid", po::bool_switch(), "report bad lines and carry on instead of stopping")(
        "with-derived", po::bool_switch(),
        "take alert.raised and alert.withdrawn too (audited): only from an export you trust")(
        "quiet", po::bool_switch(), "no progress bar");
};
import.run = Import;
import.formats = {"table"};
verbs->push_back(std::move(import));

Verb exp;
exp.name = "export";
exp.summary = "Print every event this node holds, in local log order";
exp.usage = "export [--since POSITION] [--limit N] [--format jsonl|capnp]";
exp.example = "holdfast export --since 1000 > events.jsonl";
exp.add_options = [](po::options_description& d) {
  d.add_options()("since", po::value<uint64_t>()->default_value(0),
                  "only events after this log position")(
      "limit", po::value<uint32_t>()->default_value(0),
      "at most this many events (0: all); the next page's --since goes to stderr");
};
exp.run = Export;
exp.formats = {"jsonl", "capnp"};
verbs->push_back(std::move(exp));
}  // namespace holdfast::cli

}  // namespace holdfast::cli
