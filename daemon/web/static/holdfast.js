// holdfast's own JavaScript, served as /assets/holdfast/holdfast.js (embedded at build time,
// daemon/web/assets.cmake). Pages work without it: it only improves them (progressive
// enhancement).
