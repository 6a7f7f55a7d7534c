#!/usr/bin/env python3
"""Play a containerd shim's part, N times: as the child subreaper (the init
is reparented to us when `create` exits), create, start, kill -9 right after
the start, reap the init, then delete without --force, as the shim does
once it saw the exit. Stops after SECONDS. Prints one line per failure and
"N runs, F failures"; exits 1 if any failed.

  shim_loop.py RUNTIME ROOT BUNDLE ID-PREFIX N SECONDS
"""
import ctypes
import os
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main(runtime, root, bundle, prefix, n, seconds):
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
    err_path = os.path.join(bundle, "shim.err")
    pid_path = os.path.join(bundle, "shim.pid")

    def rt(*args):
        # Output to files: the init inherits them, and a pipe would stay open.
        with open(err_path, "w") as err:
            rc = subprocess.call([runtime, "--root", root, *args], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=err)
        if rc:
            with open(err_path) as err:
                raise RuntimeError("%s: %s" % (args[0], err.read().strip()))

    failures, runs, end = 0, 0, time.monotonic() + seconds
    while runs < n and time.monotonic() < end:
        runs += 1
        cid = "%s-%d" % (prefix, runs)
        try:
            rt("create", "--bundle", bundle, "--pid-file", pid_path, cid)
            with open(pid_path) as f:
                pid = int(f.read())
            rt("start", cid)
            rt("kill", cid, "KILL")
            os.waitpid(pid, 0)
            rt("delete", cid)
        except (RuntimeError, OSError, ValueError) as e:
            failures += 1
            print("run %d: %s" % (runs, e))
            subprocess.call([runtime, "--root", root, "delete", "--force", cid],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:  # reap whatever else was reparented to us
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
    print("%d runs, %d failures" % (runs, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) != 6:
        sys.exit(__doc__)
    main(a[0], a[1], a[2], a[3], int(a[4]), float(a[5]))
