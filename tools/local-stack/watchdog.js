#!/usr/bin/env node
// Runs one command and kills it when its owner goes away, so no emulator outlives the process that
// started it, even when that process is killed hard (SIGKILL) and cannot clean up.
//
//   node watchdog.js [--watch-stdin] <ownerPid> -- <command> [args...]
//
// The command is stopped when:
//   - the owner process no longer exists (polled every second), or
//   - with --watch-stdin: this process's stdin reaches end of file. The owner keeps a pipe to our
//     stdin open and never writes to it; the operating system closes it when the owner dies. This
//     also covers what polling cannot: an owner that is a zombie not yet reaped by its parent, and
//     a process id that was reused by another process.
//   - this process gets SIGTERM or SIGHUP.
// SIGINT (Ctrl-C in a terminal) is ignored on purpose: the terminal sends it to the owner too, and the
// owner decides when the emulators stop (it may still be flushing work to them while shutting down).
// For the same reason the command runs in its own process group, so Ctrl-C does not reach it directly.
//
// Exits with the command's exit code, or 1 when it was stopped by a signal.
// No npm dependencies: this runs before and while `npm ci` installs the emulators.
"use strict";

const { spawn } = require("child_process");

const OWNER_POLL_INTERVAL_MS = 1000;
// After SIGTERM, how long the command gets to exit before it is killed outright.
const TERMINATE_GRACE_MS = 3000;

function usage(message) {
  process.stderr.write(`watchdog: ${message}\nusage: node watchdog.js [--watch-stdin] <ownerPid> -- <command> [args...]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let watchStdin = false;
if (args[0] === "--watch-stdin") {
  watchStdin = true;
  args.shift();
}
const ownerPid = Number.parseInt(args.shift(), 10);
if (!Number.isInteger(ownerPid) || ownerPid <= 0) usage("ownerPid must be a positive integer");
if (args.shift() !== "--") usage("expected -- before the command");
if (args.length === 0) usage("missing command");
const [command, ...commandArgs] = args;

function ownerIsAlive() {
  try {
    process.kill(ownerPid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; only ESRCH means it is gone.
    return error.code === "EPERM";
  }
}

if (!ownerIsAlive()) usage(`owner process ${ownerPid} does not exist`);

const child = spawn(command, commandArgs, {
  stdio: ["ignore", "inherit", "inherit"],
  // Own process group (on POSIX): a Ctrl-C in the terminal reaches the owner, not the emulator.
  detached: process.platform !== "win32",
});

let stopping = false;
function stopChild(reason) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`watchdog: stopping ${command} (${reason})\n`);
  try {
    child.kill("SIGTERM");
  } catch (error) {
    // Already gone.
  }
  setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch (error) {
      // Already gone.
    }
  }, TERMINATE_GRACE_MS).unref();
}

child.on("error", (error) => {
  process.stderr.write(`watchdog: cannot start ${command}: ${error.message}\n`);
  process.exit(127);
});

child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});

const poll = setInterval(() => {
  if (!ownerIsAlive()) stopChild(`owner process ${ownerPid} exited`);
}, OWNER_POLL_INTERVAL_MS);
poll.unref();

if (watchStdin) {
  process.stdin.on("data", () => {
    // The owner never writes; reading only keeps the stream flowing so that "end" is seen.
  });
  process.stdin.on("end", () => stopChild("owner closed stdin"));
  process.stdin.on("error", () => stopChild("owner stdin failed"));
}

process.on("SIGTERM", () => stopChild("SIGTERM"));
process.on("SIGHUP", () => stopChild("SIGHUP"));
process.on("SIGINT", () => {
  // Ignored: see the header comment.
});
