// The pieces every `holdfast` verb shares: its options, who is acting, the connection to
// the daemon, and output as a table, JSON or CSV.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/local_time.h"
#include "client/client.h"
#include "daemon/config.h"
#include "daemon/safe_text.h"
#include "eventstore/event.h"
#include "eventstore/status.h"

namespace holdfast::cli {

namespace po = boost::program_options;

// Exit codes: 0 success, 1 the action failed or was refused, 2 the command line was wrong
// (also when holdfastd refuses an option's value, naming it: "--status: ...").
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

// A failure that ends the command: its one-line message goes to stderr.
struct CliError {
  int exit_code;
  std::string message;
};

// Options and identity common to every verb.
struct Context {
  std::string verb;  // "case open"
  std::string socket, config_path, token_file, format;
  std::string token;            // read from token_file; empty: the daemon knows the caller by uid
  double timeout_seconds = 30;  // --timeout: give up when the daemon is silent this long
  // Said after "holdfastd did not answer within N s" when a call times out: what became of
  // the request (an append's outcome is unknown) and how to re-run it safely.
  std::string timeout_note;
  std::optional<NodeConfig> config;
  po::variables_map vm;

  // Connects to the daemon and makes one call; an error response becomes a CliError.
  std::unique_ptr<Frame> Call(capnp::MessageBuilder& request);
  // The next frame of a request answered with several; an error response is a CliError.
  std::unique_ptr<Frame> Next();
  // Sends a listing request and calls `page` for each page of its answer as it arrives
  // (the frame may be kept: the page reads from it). Returns the cursor for the rest when a
  // --limit cut the listing short, "" when it is complete.
  using PageFn = std::function<void(api::Page::Reader page, std::unique_ptr<Frame>& frame)>;
  std::string List(capnp::MessageBuilder& request, const PageFn& page);
  // From now on, waits for the daemon for ever (alerts watch).
  void WaitForever();
  // Puts the token (if any) in the request; without one the daemon identifies the caller by
  // the socket's Unix uid.
  void SetIdentity(api::Request::Builder request) const;
  // Refuses a --format this verb does not offer.
  void RequireFormat(const std::vector<std::string>& allowed) const;
  // The node's time zone ([node] timezone), which times people type are read in and tables
  // show: the config's when the CLI has one, else asked of holdfastd (on a connection of
  // its own, so a listing in flight is undisturbed). Loaded once, on first use.
  const LocalZone& Zone() const;

 private:
  std::unique_ptr<Frame> Checked(Result<std::unique_ptr<Frame>> reply);
  std::unique_ptr<Client> client_;
  bool value_refusal_is_usage_ = false;  // the request in flight is not an append
  mutable std::optional<LocalZone> zone_;
};

// The value of a string option the verb requires; a usage error (exit 2) naming it when it
// is not given.
std::string RequiredOption(const Context& ctx, const char* option);

// A listing's "more after this page" line (stderr), when `cursor` is not empty: the option
// that continues it (--after, or --since for export) and the cursor.
void PrintNextPage(const std::string& option, const std::string& cursor);

// Rows printed as they come: a JSON array of objects (numeric columns as JSON numbers), CSV
// after one header row, or a table aligned to the widest cells of its first `width_rows`
// rows (held until then; a later, longer cell pushes the rest of its row right). Memory
// stays flat for json and csv however many rows pass through. A cell the reader's role may
// not see (`withheld`) is "-" in a table, empty in CSV, and absent from its JSON object.
class RowWriter {
 public:
  RowWriter(std::vector<std::string> columns, std::vector<bool> numeric, std::string format,
            std::ostream& out, size_t width_rows = 1000);
  void Add(std::vector<std::string> row, std::vector<bool> withheld = {});
  // Prints what is held and closes the JSON array. Call once, after the last row.
  void Finish();
  size_t rows() const { return rows_; }

 private:
  void Start();
  void Print(const std::vector<std::string>& row, const std::vector<bool>& withheld);
  void Line(const std::vector<std::string>& cells);
  std::vector<std::string> columns_;
  std::vector<bool> numeric_;
  std::string format_;
  std::ostream& out_;
  size_t width_rows_;
  bool started_ = false;
  size_t rows_ = 0;
  std::vector<size_t> width_;
  std::vector<std::vector<std::string>> held_;  // table rows before the widths are known
};

// Rows of text with named columns, printed as an aligned table, a JSON array of objects,
// or CSV with a header row. Numeric columns are JSON numbers; withheld cells as RowWriter's.
class Table {
 public:
  explicit Table(std::vector<std::string> columns, std::vector<bool> numeric = {});
  void Add(std::vector<std::string> row, std::vector<bool> withheld = {});
  void Print(const std::string& format, std::ostream& out) const;
  size_t size() const { return rows_.size(); }

 private:
  std::vector<std::string> columns_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::vector<bool>> withheld_;
};

using holdfast::InvalidUtf8;  // JsonString: daemon/safe_text.h
using holdfast::JsonString;
std::string CsvField(const std::string& s);

// One verb: its options, and what it does.
struct Verb {
  std::string name;     // "case open"
  std::string summary;  // one line for `holdfast --help`
  std::string usage;    // the synopsis line
  std::string example;  // one example command line
  std::function<void(po::options_description&)> add_options;
  std::function<int(Context&)> run;
  std::vector<std::string> formats = {"table", "json", "csv"};  // the first is the default
  std::string positional;  // the option a bare argument fills ("dir"), if any
};

// A verb from its parts (`options` may add none).
Verb MakeVerb(std::string name, std::string summary, std::string usage, std::string example,
              std::function<void(po::options_description&)> options,
              std::function<int(Context&)> run);

// The time option `name` (--at, --since, --as-of, ...) as unix nanoseconds: a local time in
// the node's zone ("2026-12-06 18:00", "2026-12-06") or RFC 3339 (cli/local_time.h); a
// usage error naming the option otherwise.
int64_t TimeOption(const Context& ctx, const char* name);

// A time for output: in a table, the node's local time ("2026-12-06 18:00:00 GMT"); in
// json and csv, RFC 3339 UTC ("2026-12-06T18:00:00Z").
std::string ShowTime(const Context& ctx, int64_t unix_nanos);

// Verb groups, each in its own file.
void AddEventVerbs(std::vector<Verb>* verbs);    // case-work verbs that record an event
void AddRegisterVerb(std::vector<Verb>* verbs);  // session register (AddEventVerbs adds it)
void AddReadVerbs(std::vector<Verb>* verbs);     // case list
void AddViewVerbs(std::vector<Verb>* verbs);     // case show, subject show, session roster
void AddDataVerbs(std::vector<Verb>* verbs);     // import, export
void AddOpsVerbs(std::vector<Verb>* verbs);      // node init, store *, audit list
void AddSyncVerbs(std::vector<Verb>* verbs);     // peers list|add|remove, sync status|now
void AddUserVerbs(std::vector<Verb>* verbs);   // users add|list|disable|enable|role|token|password
void AddAlertVerbs(std::vector<Verb>* verbs);  // alerts list|watch, report indicators,
                                               // projections rebuild
void AddQualityVerbs(std::vector<Verb>* verbs);  // report quality
void AddHookVerbs(std::vector<Verb>* verbs);     // hooks add|list|remove|status|retry

// A fresh request message with the caller's identity set.
api::Request::Builder NewRequest(capnp::MallocMessageBuilder& message, const Context& ctx);

}  // namespace holdfast::cli
