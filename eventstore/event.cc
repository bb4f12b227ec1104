#include "eventstore/event.h"

#include <capnp/schema.h>

#include <cstring>
#include <unordered_map>

#include "eventstore/validate.h"

namespace holdfast {
namespace {

// One entry per union member of schema::Event, built once from the schema itself.
struct TypeTable {
  std::vector<EventType> all;
  std::unordered_map<uint16_t, std::string> names;
  std::unordered_map<std::string, EventType> by_name;

  TypeTable() {
    auto schema = capnp::Schema::from<schema::Event>();
    for (auto field : schema.getUnionFields()) {
      auto type = static_cast<EventType>(field.getProto().getDiscriminantValue());
      std::string name = JsonNameOf(field);
      all.push_back(type);
      names[static_cast<uint16_t>(type)] = name;
      by_name[name] = type;
    }
  }
};

const TypeTable& Types() {
  static const TypeTable table;
  return table;
}

}  // namespace

Event::Event() : message_(std::make_unique<capnp::MallocMessageBuilder>(64)) {
  message_->initRoot<schema::Event>();
}

Event::Event(Empty) : message_(std::make_unique<capnp::MallocMessageBuilder>(64)) {}

Event Event::CopyOf(schema::Event::Reader reader) {
  // setRoot on a message that already has a root would leave the old one behind as dead
  // words, making copies larger than the original.
  Event e{Empty{}};
  e.message_->setRoot(reader);
  return e;
}

schema::Event::Reader Event::reader() const {
  return message_->getRoot<schema::Event>().asReader();
}

kj::Array<capnp::word> Event::Encode() const { return capnp::messageToFlatArray(*message_); }

capnp::ReaderOptions BoundedReaderOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 64 * 1024;
  options.nestingLimit = 16;
  return options;
}

Status DecodeEventWords(kj::ArrayPtr<const capnp::word> words,
                        const std::function<void(schema::Event::Reader)>& fn) {
  try {
    if (capnp::expectedSizeInWordsFromPrefix(words) != words.size()) {
      return Status::Corruption("message size does not match its segment table");
    }
    capnp::FlatArrayMessageReader reader(words, BoundedReaderOptions());
    fn(reader.getRoot<schema::Event>());
  } catch (const kj::Exception& ex) {
    return Status::Corruption(std::string("undecodable event: ") + ex.getDescription().cStr());
  }
  return Status::Ok();
}

Result<StoredEvent> StoredEvent::Decode(std::string_view bytes, uint64_t position) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return Status::Corruption("event bytes are not a whole number of words (" +
                              std::to_string(bytes.size()) + " bytes)");
  }
  StoredEvent e;
  e.position_ = position;
  e.words_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(e.words_.begin(), bytes.data(), bytes.size());
  try {
    kj::ArrayPtr<const capnp::word> words = e.words_.asPtr();
    if (capnp::expectedSizeInWordsFromPrefix(words) != words.size()) {
      return Status::Corruption("event message size does not match its segment table");
    }
    e.reader_ = std::make_unique<capnp::FlatArrayMessageReader>(words, BoundedReaderOptions());
    // Touch the envelope so a broken root pointer is found here, not by a later caller.
    auto root = e.reader_->getRoot<schema::Event>();
    (void)root.which();
    (void)root.getId().getHi();
  } catch (const kj::Exception& ex) {
    return Status::Corruption(std::string("undecodable event: ") + ex.getDescription().cStr());
  }
  return e;
}

std::string_view StoredEvent::bytes() const {
  auto b = words_.asBytes();
  return {reinterpret_cast<const char*>(b.begin()), b.size()};
}

std::string_view EventTypeName(EventType type) {
  auto it = Types().names.find(static_cast<uint16_t>(type));
  return it == Types().names.end() ? std::string_view("unknown") : std::string_view(it->second);
}

bool FindEventType(std::string_view name, EventType* type) {
  auto it = Types().by_name.find(std::string(name));
  if (it == Types().by_name.end()) return false;
  *type = it->second;
  return true;
}

const std::vector<EventType>& AllEventTypes() { return Types().all; }

std::string StreamOf(schema::Event::Reader e) {
  using W = schema::Event::Which;
  switch (e.which()) {
    case W::CASE_OPENED:
      return "case/" + std::string(e.getCaseOpened().getCaseId());
    case W::CASE_RISK_CHANGED:
      return "case/" + std::string(e.getCaseRiskChanged().getCaseId());
    case W::CASE_CLOSED:
      return "case/" + std::string(e.getCaseClosed().getCaseId());
    case W::INTERVENTION_REFERRED:
      return "case/" + std::string(e.getInterventionReferred().getCaseId());
    case W::INTERVENTION_STARTED:
      return "case/" + std::string(e.getInterventionStarted().getCaseId());
    case W::INTERVENTION_COMPLETED:
      return "case/" + std::string(e.getInterventionCompleted().getCaseId());
    case W::INTERVENTION_EXITED:
      return "case/" + std::string(e.getInterventionExited().getCaseId());
    case W::ATTENDANCE_RECORDED:
      return "case/" + std::string(e.getAttendanceRecorded().getCaseId());
    case W::BREACH_REPORTED:
      return "case/" + std::string(e.getBreachReported().getCaseId());
    case W::ALERT_RAISED:
      return "case/" + std::string(e.getAlertRaised().getCaseId());
    case W::SESSION_HELD:
      return "session/" + std::string(e.getSessionHeld().getSession());
    case W::INCIDENT_REPORTED:
      return "subject/" + std::string(e.getIncidentReported().getSubject());
    case W::SUBJECT_ERASED:
      return "subject/" + std::string(e.getSubjectErased().getSubject());
    case W::RECORD_VOIDED:
      return "void/" + FormatUuid(ToUuid(e.getRecordVoided().getEvent()));
    case W::ALERT_ACKNOWLEDGED:
      return "alert/" + FormatUuid(ToUuid(e.getAlertAcknowledged().getAlert()));
    case W::ALERT_RESOLVED:
      return "alert/" + FormatUuid(ToUuid(e.getAlertResolved().getAlert()));
    case W::ALERT_WITHDRAWN:
      return "alert/" + FormatUuid(ToUuid(e.getAlertWithdrawn().getAlert()));
    case W::ALERT_ASSIGNED:
      return "alert/" + FormatUuid(ToUuid(e.getAlertAssigned().getAlert()));
  }
  return "unknown/";
}

Uuid ToUuid(schema::Uuid::Reader id) { return Uuid{id.getHi(), id.getLo()}; }

void SetUuid(schema::Uuid::Builder out, const Uuid& id) {
  out.setHi(id.hi);
  out.setLo(id.lo);
}

}  // namespace holdfast
