# The protocol between peer nodes, over mutual TLS (SPEC "Sync between nodes").
#
# Framing: a 4-byte little-endian length N (a non-zero multiple of 8, at most 16 MiB), then
# N bytes holding one unpacked Cap'n Proto `Message`, read with bounded traversal.
#
# Both ends of a connection are pullers and servers at once:
#   1. each sends `hello` first (protocol version, its node id, its version vector);
#   2. each asks the other for the events after its checkpoint in the other's log (`pull`);
#   3. the server answers each pull with one `batch`: the events after that position the
#      data-sharing filter lets this peer see and its version vector does not already
#      cover, and `through`, the log position the batch accounts for. When there is nothing
#      new, the server holds the pull until there is (continuous sync), so one batch is in
#      flight per direction at most: that is the flow control.
#   4. the puller inserts the batch and its checkpoint `through` in one atomic write, then
#      pulls again from `through`.
# Each (origin, seq) names one event in the whole partnership. A batch names the events it
# leaves out because the puller holds their seqs (`skipped`), so two logs that hold different
# events under one (origin, seq) are found even though version vectors agree; a puller that
# finds one takes no more events of that origin from that server, and names the split in
# its pulls (`conflicts`) so the server finds it too (docs/sync-integrity.md).
# A checkpoint is only good for the `basis` it was given under (a fingerprint of the
# server's log and of the filter it applies for this peer, carried by hello and batch):
# when the filter changes (a wider one lets through events the checkpoint has passed)
# the puller starts again from 0, which idempotent inserts make safe. A server answers a
# held pull at once, if with nothing, when the basis changes.
# Any message out of this order, malformed or oversized, closes the connection.

@0xb77de40ccefbb565;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("holdfast::wire");

using Ev = import "/eventstore/event.capnp";

const protocolVersion :UInt32 = 1;

struct SeqClaims {
  # Events of one origin as a node holds them: ids[i] is its event at seqs[i].
  origin @0 :Text;
  seqs @1 :List(UInt64);
  ids @2 :List(Ev.Uuid);
}

struct OriginSeq {
  origin @0 :Text;
  seq @1 :UInt64;   # every event of this origin up to and including seq is held
}

struct Hello {
  protocol @0 :UInt32;
  nodeId @1 :Text;
  held @2 :List(OriginSeq);   # the sender's version vector (contiguous marks)
  lastPosition @3 :UInt64;    # the sender's log length, for "events behind"
  basis @4 :UInt64;           # what the sender's log positions and filter are now (0: not
                              # said): a puller holding a checkpoint under another starts
                              # again from 0
}

struct Pull {
  after @0 :UInt64;           # send events after this position of your log
  maxEvents @1 :UInt32;
  held @2 :List(OriginSeq);   # the puller's version vector now (events it got meanwhile,
                              # by any path, need not be sent)
  conflicts @3 :List(SeqClaims);
                              # the origins the puller no longer takes from the server: for
                              # each, the (origin, seq) where their logs split and the event
                              # the puller holds there, for the server to check and record
}

struct Batch {
  events @0 :List(Ev.Event);
  through @1 :UInt64;         # the server's log position this batch covers up to
  serverLast @2 :UInt64;      # the server's log length when the batch was read
  basis @3 :UInt64;           # the basis this batch was read under (as Hello.basis)
  skipped @4 :List(SeqClaims);
                              # the events in the batch's range the filter lets through but
                              # the puller's version vector covers, left out: the puller
                              # checks it holds the same events under those seqs
}

struct Message {
  union {
    hello @0 :Hello;
    pull @1 :Pull;
    batch @2 :Batch;
    goodbye @3 :Text;         # why the sender is closing
  }
}
