"""Enters an image's root as the charts' pods run: chroot, working directory, every capability out of the
bounding set, user and group, then exec. Used by docker/image-run.sh (run_restricted) after setpriv has set
no_new_privs and emptied the inheritable and ambient sets.

Why one process and not setpriv + `unshare --root --setuid`: dropping from the bounding set needs
CAP_SETPCAP, so it must come before the switch to user 10001, while the chroot must come before the command is
found; unshare does the chroot and the switch in one exec, and a second setpriv would have to live inside the
image (distroless: no setpriv, no shell). This script is read and compiled before the chroot and imports
nothing after it, so the image needs nothing of it.

Usage: python3 -I -S enter-root.py <root> <workdir> <uid>:<gid> <command> [args ...]
"""

import ctypes
import os
import sys

PR_CAPBSET_DROP = 24

root, workdir, ids, *command = sys.argv[1:]
uid, gid = (int(part) for part in ids.split(":"))
libc = ctypes.CDLL(None, use_errno=True)
with open("/proc/sys/kernel/cap_last_cap") as f:
    last_cap = int(f.read())

os.chroot(root)
os.chdir(workdir)
# Still root with every capability in the effective set: CAP_SETPCAP allows emptying the bounding set, and
# CAP_SETUID/CAP_SETGID (effective, untouched by the bounding set) allow the switch below.
for cap in range(last_cap + 1):
    if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"PR_CAPBSET_DROP {cap}: {os.strerror(errno)}")
os.setgroups([])
os.setresgid(gid, gid, gid)
# From uid 0 to another, the kernel clears the permitted, effective and ambient sets.
os.setresuid(uid, uid, uid)

# The command on the image's PATH (os.execvp would import a module, which the image does not have).
path = command[0]
if "/" not in path:
    candidates = [f"{d}/{path}" for d in os.environ.get("PATH", "").split(":") if d]
    found = [c for c in candidates if os.path.isfile(c) and os.access(c, os.X_OK)]
    if not found:
        raise FileNotFoundError(f"{path} not found on PATH={os.environ.get('PATH', '')}")
    path = found[0]
os.execv(path, command)
