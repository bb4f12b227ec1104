#include "projections/case_reader.h"

#include "projections/fold.h"

namespace holdfast {

Result<bool> IsVoided(const Projector& projector, const Uuid& event, EventType type) {
  if (!IsVoidable(type)) return false;
  auto v = projector.GetVoid(event);
  if (!v.ok()) return v.status();
  return v->has_value();
}

Status ReadStreamFacts(const EventStore& store, const Projector& projector,
                       const std::string& stream, std::vector<Fact>* facts,
                       std::vector<Fact>* voided) {
  Status error;
  HOLDFAST_RETURN_IF_ERROR(store.ScanStream(stream, [&](uint64_t, schema::Event::Reader e) {
    Fact f = FactOf(e);
    auto gone = IsVoided(projector, f.id, f.type);
    if (!gone.ok()) {
      error = gone.status();
      return false;
    }
    if (!*gone) {
      facts->push_back(std::move(f));
    } else if (voided != nullptr) {
      voided->push_back(std::move(f));
    }
    return true;
  }));
  return error;
}

}  // namespace holdfast
