// Preloaded into each emulator (`node --require exit-with-parent.js <emulator> ...`): ends the emulator
// when its parent process (the watchdog) is gone.
//
// Why, next to watchdog.js: the watchdog stops the emulator when the owner dies, but nothing stops the
// emulator when the watchdog itself is killed with SIGKILL: by a kill of the whole process group, or
// when the owner dies in the middle of killing the process tree (it kills the parent before the
// children). The emulator runs in its own process group (for Ctrl-C, see watchdog.js), so it would be
// orphaned and keep running. An orphan is re-parented, so a changed parent pid means "parent gone".
"use strict";

const PARENT_POLL_INTERVAL_MS = 500;
const originalParentPid = process.ppid;

const poll = setInterval(() => {
  if (process.ppid !== originalParentPid) {
    process.stderr.write(`exit-with-parent: parent process ${originalParentPid} is gone, exiting\n`);
    process.exit(1);
  }
}, PARENT_POLL_INTERVAL_MS);
// Never keeps the emulator alive by itself.
poll.unref();
