// Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/): small valid
// inputs built with the real schemas, so the fuzzers start from what clients, peers and
// operators send. The output is the same on every run; `ops/fuzz --seeds` rewrites the
// corpus in the tree with it.
//
//   fuzz_make_seeds DIR
#include <capnp/message.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "daemon/api.capnp.h"
#include "daemon/config.h"
#include "eventstore/event_json.h"
#include "sync/sync.capnp.h"
#include "wire/frame.h"

using namespace holdfast;

namespace {

std::string out_dir;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const std::string dir = out_dir + "/" + target;
  std::filesystem::create_directories(dir);
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) {
    std::fprintf(stderr, "fuzz_make_seeds: cannot write %s/%s\n", dir.c_str(), name.c_str());
    std::exit(1);
  }
}

const char* const kProbation = R"({"user":"po-1","role":"probation","agency":"probation-ce"})";

std::string Line(const std::string& id, const std::string& type, const std::string& at,
                 const std::string& data, const char* author = kProbation) {
  return R"({"id":")" + id + R"(","type":")" + type + R"(","occurred_at":")" + at +
         R"(","author":)" + author + R"(,"data":)" + data + "}";
}

// One event of every type, about case C-1, with fixed ids and times.
std::vector<std::pair<std::string, std::string>> EventLines() {
  const std::string alert = "0b5a3c1e-0000-5000-8000-000000000001";
  return {
      {"case_opened",
       Line(
           "7f0c2a4e-5d1b-4c8e-9a51-000000000001", "case.opened", "2025-03-01T09:00:00Z",
           R"({"case":"C-1","subject":"P-1","order":"community_order","risk":"medium","lead_agency":"probation-ce"})")},
      {"case_risk_changed",
       Line("7f0c2a4e-5d1b-4c8e-9a51-000000000002", "case.risk_changed", "2025-03-02T09:00:00Z",
            R"({"case":"C-1","risk":"high","marac":true})")},
      {"intervention_referred",
       Line(
           "7f0c2a4e-5d1b-4c8e-9a51-000000000003", "intervention.referred", "2025-03-02T10:00:00Z",
           R"({"case":"C-1","intervention":"I-1","programme":"building_choices","provider":"provider-a"})")},
      {"intervention_started",
       Line("7f0c2a4e-5d1b-4c8e-9a51-000000000004", "intervention.started", "2025-03-03T10:00:00Z",
            R"({"case":"C-1","intervention":"I-1","group":"grpA"})")},
      {"session_held",
       Line(
           "7f0c2a4e-5d1b-4c8e-9a51-000000000005", "session.held", "2025-03-04T18:00:00Z",
           R"({"session":"S-1","group":"grpA","module":"Module 3: respect","facilitator":"f-ali","notes":"quiet group"})")},
      {"attendance_recorded",
       Line(
           "7f0c2a4e-5d1b-4c8e-9a51-000000000006", "attendance.recorded", "2025-03-04T18:00:00Z",
           R"({"case":"C-1","intervention":"I-1","session":"S-1","outcome":"absent_unacceptable","reason":"no contact","concern":true})")},
      {"breach_reported",
       Line("7f0c2a4e-5d1b-4c8e-9a51-000000000007", "breach.reported", "2025-03-05T10:00:00Z",
            R"({"case":"C-1","kind":"dvpo_breach","detail":"seen at the address"})")},
      {"incident_reported",
       Line("7f0c2a4e-5d1b-4c8e-9a51-000000000008", "incident.reported", "2025-03-06T23:00:00Z",
            R"({"subject":"P-1","incident":"INC-1","category":"domestic_abuse","crime":true})",
            R"({"user":"pc-7","role":"police","agency":"police-ce"})")},
      {"intervention_exited",
       Line("7f0c2a4e-5d1b-4c8e-9a51-000000000009", "intervention.exited", "2025-03-07T10:00:00Z",
            R"({"case":"C-1","intervention":"I-1","reason":"non_compliance"})")},
      {"intervention_completed",
       Line("7f0c2a4e-5d1b-4c8e-9a51-00000000000a", "intervention.completed",
            "2025-03-07T11:00:00Z", R"({"case":"C-1","intervention":"I-2"})")},
      {"alert_raised",
       Line(
           "7f0c2a4e-5d1b-4c8e-9a51-00000000000b", "alert.raised", "2025-03-07T10:00:00Z",
           R"({"alert":")" + alert +
               R"(","rule":"dropout","case":"C-1","subject":"P-1","intervention":"I-1","severity":"high","trigger":"7f0c2a4e-5d1b-4c8e-9a51-000000000009","reason":"left I-1 early: non_compliance"})",
           R"({"user":"holdfastd","role":"system","agency":"holdfast"})")},
      {"alert_acknowledged",
       Line("7f0c2a4e-5d1b-4c8e-9a51-00000000000c", "alert.acknowledged", "2025-03-08T10:00:00Z",
            R"({"alert":")" + alert + R"(","note":"called the officer"})",
            R"({"user":"pc-7","role":"police","agency":"police-ce"})")},
      {"alert_resolved",
       Line("7f0c2a4e-5d1b-4c8e-9a51-00000000000d", "alert.resolved", "2025-03-09T10:00:00Z",
            R"({"alert":")" + alert + R"(","action":"home visit made"})")},
      {"alert_withdrawn",
       Line("7f0c2a4e-5d1b-4c8e-9a51-00000000000e", "alert.withdrawn", "2025-03-09T11:00:00Z",
            R"({"alert":")" + alert + R"(","reason":"attendance corrected"})",
            R"({"user":"holdfastd","role":"system","agency":"holdfast"})")},
      {"alert_withdrawn_basis",
       Line(
           "7f0c2a4e-5d1b-4c8e-9a51-000000000011", "alert.withdrawn", "2025-03-09T11:00:00Z",
           R"({"alert":")" + alert +
               R"(","reason":"attendance corrected","basis":{"rank":2002,"marks":"partnership-1:4 probation-1:1998"}})",
           R"({"user":"holdfastd","role":"system","agency":"holdfast"})")},
      {"record_voided",
       Line("7f0c2a4e-5d1b-4c8e-9a51-00000000000f", "record.voided", "2025-03-09T12:00:00Z",
            R"({"event":"7f0c2a4e-5d1b-4c8e-9a51-000000000007","reason":"wrong case"})")},
      {"subject_erased", Line("7f0c2a4e-5d1b-4c8e-9a51-000000000010", "subject.erased",
                              "2025-03-10T12:00:00Z", R"({"subject":"P-1"})",
                              R"({"user":"op-1","role":"operator","agency":"probation-ce"})")},
  };
}

// The events that parse (a type this build does not know is left out of the binary seeds).
std::vector<Event> Events() {
  std::vector<Event> out;
  for (const auto& [name, line] : EventLines()) {
    auto e = EventFromJson(line);
    if (e.ok()) out.push_back(std::move(e).value());
  }
  return out;
}

Event WithProvenance(const Event& e, const std::string& origin, uint64_t seq) {
  Event copy = Event::CopyOf(e.reader());
  auto p = copy.builder().initProvenance();
  p.setOrigin(origin);
  p.setSeq(seq);
  p.initRecordedAt().setValue(HlcPack(1741111200000ULL + seq, 0));
  return copy;
}

void EventJsonSeeds() {
  for (const auto& [name, line] : EventLines()) Write("fuzz_event_json", name, line);
  // An exported line: provenance and the exporter's position.
  auto events = Events();
  Write("fuzz_event_json", "exported",
        EventToJson(WithProvenance(events[5], "provider-1", 42).reader(), 1234));
}

void ConfigSeeds() {
  std::ifstream example("ops/holdfast.conf.example", std::ios::binary);
  if (example) {
    std::string text((std::istreambuf_iterator<char>(example)), std::istreambuf_iterator<char>());
    Write("fuzz_config", "example", text);
  }
  NodeConfig c;
  c.node_id = "police-1";
  c.agency = "police-ce";
  c.kind = "police";
  c.data_dir = "/var/lib/holdfast";
  c.socket = "/var/lib/holdfast/holdfast.sock";
  Write("fuzz_config", "node_init", RenderConfig(c));
  Write("fuzz_config", "peers",
        "[node]\nid = probation-1\nagency = probation-ce\nkind = probation\ndata_dir = data\n"
        "[sync]\nlisten = 127.0.0.1:7400\nca = ca.crt\ncert = p.crt\nkey = p.key\n"
        "peer = police-1 127.0.0.1:7402 police\npeer = provider-1 - alert.,case.opened\n"
        "[rules]\nderive = true\nno_contact_days = 14\n");
}

// ---- the local API ----

using RequestFill = std::function<void(api::Request::Builder)>;

// Who a request acts as is not in it: the fuzz target identifies its caller by uid (operator
// or probation, alternately).
std::string RequestFrame(const RequestFill& fill) {
  capnp::MallocMessageBuilder m;
  auto request = m.initRoot<api::Request>();
  fill(request);
  return EncodeFrame(m);
}

void LocalRequestSeeds() {
  auto events = Events();
  auto append = [&](std::vector<size_t> which) {
    return [&events, which](api::Request::Builder r) {
      auto list = r.initAppend().initEvents(static_cast<unsigned>(which.size()));
      for (size_t i = 0; i < which.size(); ++i) {
        list.setWithCaveats(static_cast<unsigned>(i), events[which[i]].reader());
      }
    };
  };
  const std::string open = RequestFrame(append({0}));
  const std::string refer = RequestFrame(append({2, 3}));
  const std::string absence = RequestFrame(append({5}));
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"ping", RequestFrame([](auto r) { r.setPing(); })},
      {"append_case_opened", open},
      {"append_attendance", absence},
      {"import", RequestFrame([&](api::Request::Builder r) {
         auto list = r.initImport(2);
         list.setWithCaveats(0, WithProvenance(events[0], "probation-2", 1).reader());
         list.setWithCaveats(1, events[7].reader());
       })},
      {"read_log", RequestFrame([](api::Request::Builder r) {
         auto read = r.initReadLog();
         read.setAfter(0);
         read.setLimit(10);
       })},
      {"read_stream", RequestFrame([](api::Request::Builder r) { r.setReadStream("case/C-1"); })},
      {"list_cases", RequestFrame([](api::Request::Builder r) {
         r.initListCases().setOpenOnly(true);
         r.getListCases().setAgency("probation-ce");
       })},
      {"store_verify", RequestFrame([](api::Request::Builder r) { r.setStoreVerify(); })},
      {"store_stats", RequestFrame([](api::Request::Builder r) { r.setStoreStats(); })},
      {"audit_list", RequestFrame([](api::Request::Builder r) { r.initAuditList().setLimit(5); })},
      {"audit_list_filtered", RequestFrame([](api::Request::Builder r) {
         auto l = r.initAuditList();
         l.setUser("po-1");
         l.setCaseId("C-1");
         l.setVerb("case show");
         l.setOutcome("refused");
         l.setSince(1735689600000000000LL);
         l.setUntil(1767225600000000000LL);
         l.setLimit(2);
       })},
      {"audit_verify", RequestFrame([](api::Request::Builder r) { r.setAuditVerify(); })},
      // Derived events: refused, then taken with the flag.
      {"import_derived", RequestFrame([&](api::Request::Builder r) {
                           auto list = r.initImport(2);
                           list.setWithCaveats(0, events[10].reader());
                           list.setWithCaveats(1, events[13].reader());
                         }) + RequestFrame([&](api::Request::Builder r) {
                           r.setImportWithDerived(true);
                           auto list = r.initImport(2);
                           list.setWithCaveats(0, events[10].reader());
                           list.setWithCaveats(1, events[13].reader());
                         })},
      {"list_alerts", RequestFrame([](api::Request::Builder r) {
         auto l = r.initListAlerts();
         l.setStatus("all");
         l.setRule("non_engagement");
         l.setCaseId("C-1");
       })},
      {"watch_alerts", RequestFrame([](api::Request::Builder r) { r.setWatchAlerts(); })},
      {"indicators", RequestFrame([](api::Request::Builder r) {
         auto i = r.initIndicators();
         i.setFrom(1735689600000000000LL);
         i.setTo(1767225600000000000LL);
         i.setFormat("csv");
       })},
      {"rebuild", RequestFrame([](api::Request::Builder r) { r.setRebuildProjections(); })},
      {"peers_list", RequestFrame([](api::Request::Builder r) { r.setPeersList(); })},
      {"peers_add", RequestFrame([](api::Request::Builder r) {
         auto p = r.initPeersAdd();
         p.setId("police-1");
         p.setAddress("127.0.0.1:7402");
         p.setSend("police");
       })},
      {"peers_remove", RequestFrame([](api::Request::Builder r) { r.setPeersRemove("police-1"); })},
      {"sync_status", RequestFrame([](api::Request::Builder r) { r.setSyncStatus(); })},
      {"sync_now", RequestFrame([](api::Request::Builder r) { r.setSyncNow("police-1"); })},
      // A conversation: a case opened, an intervention referred and started, two
      // absences (an alert derived), the alerts listed.
      {"conversation",
       open + refer + absence + RequestFrame([&](api::Request::Builder r) {
         auto list = r.initAppend().initEvents(1);
         Event second = Event::CopyOf(events[5].reader());
         SetUuid(second.builder().getId(), Uuid{0x7f0c2a4e5d1b4c8eULL, 99});
         second.builder().getOccurredAt().setUnixNanos(1741200000000000000LL);
         second.builder().getAttendanceRecorded().setSession("S-2");
         list.setWithCaveats(0, second.reader());
       }) + RequestFrame([](api::Request::Builder r) { r.initListAlerts().setStatus("all"); })},
      // The case views and the quality report, as the CLI asks for them.
      {"quality_report", RequestFrame([](api::Request::Builder r) { r.initQualityReport(); })},
      {"quality_report_case",
       RequestFrame([](api::Request::Builder r) { r.initQualityReport().setCaseId("C-1"); })},
      {"case_show", RequestFrame([](api::Request::Builder r) { r.setCaseShow("C-1"); })},
      {"subject_show", RequestFrame([](api::Request::Builder r) { r.setSubjectShow("P-1"); })},
      {"session_roster", RequestFrame([](api::Request::Builder r) {
         auto roster = r.initSessionRoster();
         roster.setGroup("grpA");
         roster.setAt(1741111200000000000LL);
       })},
      {"append_void", RequestFrame(append({15}))},
      // session register: the session and its attendance in one append, each named by the
      // register's line; and a one-to-one's attendance at a session logged nowhere.
      {"session_register", RequestFrame([&](api::Request::Builder r) {
         auto a = r.initAppend();
         auto list = a.initEvents(2);
         list.setWithCaveats(0, events[4].reader());
         list.setWithCaveats(1, events[5].reader());
         auto labels = a.initLabels(2);
         labels.set(0, "session S-1");
         labels.set(1, "line 2");
       })},
      {"append_unlisted_session", RequestFrame([&](api::Request::Builder r) {
         auto a = r.initAppend();
         a.initEvents(1).setWithCaveats(0, events[5].reader());
         a.setUnlistedSession(true);
       })},
      // A case worked through: opened, referred and started in group grpA, a session logged,
      // the absence voided (its id is events[5]'s); then the case, its subject, the group's
      // roster and the quality report read back.
      {"conversation_void",
       open + refer + RequestFrame(append({4})) + absence +
           RequestFrame([&](api::Request::Builder r) {
             auto list = r.initAppend().initEvents(1);
             Event v = Event::CopyOf(events[15].reader());
             SetUuid(v.builder().getId(), Uuid{0x7f0c2a4e5d1b4c8eULL, 100});
             SetUuid(v.builder().getRecordVoided().getEvent(),
                     Uuid{0x7f0c2a4e5d1b4c8eULL, 0x9a51000000000006ULL});
             list.setWithCaveats(0, v.reader());
           }) +
           RequestFrame([](api::Request::Builder r) { r.setCaseShow("C-1"); }) +
           RequestFrame([](api::Request::Builder r) { r.setSubjectShow("P-1"); }) +
           RequestFrame([](api::Request::Builder r) { r.initSessionRoster().setGroup("grpA"); }) +
           RequestFrame([](api::Request::Builder r) { r.initQualityReport(); })},
  };
  for (const auto& [name, bytes] : seeds) Write("fuzz_local_request", name, bytes);
}

// ---- sync ----

std::string WireFrame(const std::function<void(wire::Message::Builder)>& fill) {
  capnp::MallocMessageBuilder m;
  fill(m.initRoot<wire::Message>());
  return EncodeFrame(m);
}

std::string Hello(const std::string& node) {
  return WireFrame([&](wire::Message::Builder m) {
    auto h = m.initHello();
    h.setProtocol(wire::PROTOCOL_VERSION);
    h.setNodeId(node);
    h.setLastPosition(3);
    h.setBasis(11);
    auto held = h.initHeld(1);
    held[0].setOrigin("node-b");
    held[0].setSeq(3);
  });
}

std::string Pull(uint64_t after) {
  return WireFrame([&](wire::Message::Builder m) {
    auto p = m.initPull();
    p.setAfter(after);
    p.setMaxEvents(2000);
    auto held = p.initHeld(1);
    held[0].setOrigin("node-b");
    held[0].setSeq(3);
  });
}

std::string Batch(const std::vector<Event>& events, uint64_t through, uint64_t basis) {
  return WireFrame([&](wire::Message::Builder m) {
    auto b = m.initBatch();
    auto list = b.initEvents(static_cast<unsigned>(events.size()));
    for (size_t i = 0; i < events.size(); ++i) {
      list.setWithCaveats(static_cast<unsigned>(i), events[i].reader());
    }
    b.setThrough(through);
    b.setServerLast(through + 2);
    b.setBasis(basis);
  });
}

void SyncSeeds() {
  auto events = Events();
  std::vector<Event> first, second;
  for (size_t i = 0; i < 4 && i < events.size(); ++i) {
    first.push_back(WithProvenance(events[i], "node-b", i + 1));
  }
  for (size_t i = 4; i < 8 && i < events.size(); ++i) {
    second.push_back(WithProvenance(events[i], "provider-1", i - 3));
  }
  const std::string goodbye =
      WireFrame([](wire::Message::Builder m) { m.setGoodbye("shutting down"); });
  // Byte 0: after which messages the effects complete; byte 1: the size of the pieces.
  auto seed = [](uint8_t schedule, uint8_t piece, const std::string& stream) {
    return std::string(1, static_cast<char>(schedule)) + std::string(1, static_cast<char>(piece)) +
           stream;
  };
  const std::string session =
      Hello("node-b") + Batch(first, 4, 11) + Pull(0) + Batch(second, 9, 11) + Pull(2);
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"session_in_step", seed(0xff, 0, session)},
      {"session_overlapping", seed(0x00, 0, session)},
      {"session_in_pieces", seed(0x55, 13, session + goodbye)},
      {"basis_changes",
       seed(0xff, 0, Hello("node-b") + Batch(first, 4, 11) + Batch(second, 2, 12))},
      {"hello_wrong_node", seed(0xff, 0, Hello("node-x") + Pull(0))},
      {"pull_before_hello", seed(0xff, 0, Pull(0) + Hello("node-b"))},
      {"batch_twice", seed(0xff, 0, Hello("node-b") + Batch(first, 4, 11) + Batch(first, 4, 11))},
      {"goodbye", seed(0xff, 0, Hello("node-b") + goodbye)},
  };
  for (const auto& [name, bytes] : seeds) Write("fuzz_sync_session", name, bytes);
}

}  // namespace

// ---- a session register's CSV file ----

void RegisterCsvSeeds() {
  Write("fuzz_register_csv", "register",
        "case,intervention,outcome,reason,concern\nC-1,I-1,attended,,\n"
        "C-2,I-2,absent_unacceptable,\"no contact, phone off\",yes\n");
  Write("fuzz_register_csv", "bom_crlf_quotes",
        "\xef\xbb\xbfoutcome,case,intervention\r\nlate,C-1,I-1\r\n\r\n"
        "\"absent_acceptable\",\"C-\"\"2\",\"I-2\"\r\n");
  Write("fuzz_register_csv", "bad_rows",
        "case,intervention,outcome,concern\nC-1,I-1\nC-\xff,I-1,attended,maybe\n\"open");
}

// ---- the HTTPS API's routes: method, path?query, body ----

void HttpRequestSeeds() {
  Write("fuzz_http_request", "ack",
        "POST\n/v1/alerts/7f0c2a4e/ack\n{\"note\":\"called the "
        "officer\",\"at\":\"2025-01-02T10:00:00Z\"}");
  Write("fuzz_http_request", "assign",
        "POST\n/v1/alerts/7f0c2a4e-5d1b/assign\n{\"to\":\"pc-2\",\"note\":\"n\\u00e9\"}");
  Write("fuzz_http_request", "case", "GET\n/v1/cases/C-1\n");
  Write("fuzz_http_request", "cases", "GET\n/v1/cases?open=true&agency=a%20b&after=C-1\n");
  Write("fuzz_http_request", "events",
        "POST\n/v1/"
        "events\n{\"id\":\"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13\",\"type\":\"breach.reported\","
        "\"occurred_at\":\"2025-01-01T00:00:00Z\",\"data\":{\"case_id\":\"C-1\",\"kind\":"
        "\"recall\"}}\n");
  Write("fuzz_http_request", "indicators",
        "GET\n/v1/reports/indicators?from=2025-01-01&to=2025-02-01\n");
  Write("fuzz_http_request", "list",
        "GET\n/v1/"
        "alerts?status=open&severity=high,medium&since=2025-01-01T00:00:00Z&limit=10&mine=true\n");
}

// The web front end: a flags byte (1: the session's cookie, 2: the real CSRF token for each
// "CSRF"), the method, the path and query, the form body.
void WebRequestSeeds() {
  const std::string in = "\x03";
  Write("fuzz_web_request", "today", in + "GET\n/\n");
  Write("fuzz_web_request", "cases", in + "GET\n/cases?status=open&q=C-1&after=C-0&limit=5\n");
  Write("fuzz_web_request", "case", in + "GET\n/cases/C-1?done=attendance\n");
  Write("fuzz_web_request", "subject", in + "GET\n/subjects/P-1\n");
  Write("fuzz_web_request", "alerts", in + "GET\n/alerts?status=all&severity=high&mine=1\n");
  Write("fuzz_web_request", "alert", in + "GET\n/alerts/7f0c2a4e\n");
  Write("fuzz_web_request", "ack-many",
        in + "POST\n/alerts/acknowledge\ncsrf=CSRF&alert=7f0c2a4e&alert=x&note=called");
  Write("fuzz_web_request", "attendance",
        in + "POST\n/cases/C-1/attendance\ncsrf=CSRF&intervention=I-1&session=S-1&outcome="
             "absent_unacceptable&reason=no+show&at=2026-12-07+10%3A00&concern=1");
  Write("fuzz_web_request", "open-case",
        in + "POST\n/cases/C-1/risk\ncsrf=CSRF&risk=high&reason=%E2%9C%93");
  Write("fuzz_web_request", "void", in + "POST\n/cases/C-1/void?event=e1\ncsrf=CSRF&reason=wrong");
  Write("fuzz_web_request", "register",
        in + "GET\n/sessions/S-2026-12-07-grpA/register?group=grpA\n");
  Write("fuzz_web_request", "register-post",
        in + "POST\n/sessions/S-1/register?group=g\ncsrf=CSRF&module=M1&outcome-C-1=attended");
  Write("fuzz_web_request", "indicators", in + "GET\n/indicators?from=2025-01-01&to=2026-01-01\n");
  Write("fuzz_web_request", "quality", in + "GET\n/quality\n");
  Write("fuzz_web_request", "operator", in + "GET\n/operator/audit?user=po&verb=case-show\n");
  Write("fuzz_web_request", "sign-out", in + "POST\n/sign-out\ncsrf=CSRF");
  Write("fuzz_web_request", "forged", "\x01POST\n/cases/C-1/breach\ncsrf=nope&detail=x");
  Write("fuzz_web_request", "signed-out", std::string("\x00") + "GET\n/cases?x=%3Cscript%3E\n");
  Write("fuzz_web_request", "asset", in + "GET\n/assets/govuk-frontend.min.css\n");
  Write("fuzz_web_request", "sign-in-page", in + "GET\n/sign-in?next=//evil.example/\n");
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds DIR (run from the repository's top)\n");
    return 2;
  }
  out_dir = argv[1];
  EventJsonSeeds();
  ConfigSeeds();
  LocalRequestSeeds();
  SyncSeeds();
  RegisterCsvSeeds();
  HttpRequestSeeds();
  WebRequestSeeds();
  return 0;
}
