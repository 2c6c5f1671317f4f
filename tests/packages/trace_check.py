#!/usr/bin/python3
"""trace_check.py TRACE UNIT CHECK: what an strace of `pintail run` says
about the sandbox of the systemd unit, on a machine where the unit cannot
be started (no systemd as PID 1).

TRACE is `strace -f -y -qq -s 256 -o TRACE -- setpriv ... /usr/bin/pintail run`
(only what follows the execve of /usr/bin/pintail is the agent's).  UNIT is
the installed unit file.  CHECK is one of:

  syscalls   every system call the agent made is allowed by the unit's
             SystemCallFilter= lines (groups expanded with
             `systemd-analyze syscall-filter`)
  families   every socket() / socketpair() family is in
             RestrictAddressFamilies=
  writes     every successful create/write/rename/unlink/mkdir is under
             the unit's StateDirectory= (ProtectSystem=strict leaves nothing
             else writable)
  hidden     nothing was opened in /home (ProtectHome=), in /dev beyond
             PrivateDevices='s null/zero/full/random/urandom/tty, or in
             /proc beyond the process's own folders (ProcSubset=pid)
  wx         count the writable and executable mappings (PCRE2's JIT): the
             reason MemoryDenyWriteExecute= stays off; fails if there is none
             (then the comment in the unit would be wrong)

Prints one summary line; on failure, the offending calls.  Exit 0 or 1.
"""
import re
import subprocess
import sys

CALL = re.compile(r"^(\d+) +(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*)$")


def agent_lines(path):
    """The trace lines from the execve of /usr/bin/pintail on."""
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        if 'execve("/usr/bin/pintail"' in line and line.rstrip().endswith("= 0"):
            return lines[i:]
    sys.exit("trace_check: no successful execve of /usr/bin/pintail in " + path)


def calls(lines):
    """(name, rest of line) of every call started (resumed halves skipped)."""
    for line in lines:
        m = CALL.match(line)
        if m and m.group(3):
            yield m.group(3), m.group(4)


def unit_values(unit, key):
    vals = []
    for line in open(unit, encoding="utf-8"):
        line = line.strip()
        if line.startswith(key + "="):
            vals.append(line[len(key) + 1:])
    return vals


def filter_groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                         capture_output=True, text=True, check=True).stdout
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = groups.setdefault(line.strip(), [])
        elif cur is not None and line.strip() and not line.strip().startswith("#"):
            cur.append(line.strip())
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            out |= expand(groups.get(n, []), groups, seen)
        else:
            out.add(n)
    return out


def check_syscalls(lines, unit):
    groups = filter_groups()
    allowed = None
    for v in unit_values(unit, "SystemCallFilter"):
        deny = v.startswith("~")
        names = set(expand(v.lstrip("~").split(), groups))
        if deny:
            allowed = (allowed if allowed is not None else set()) - names
        else:
            allowed = names if allowed is None else allowed | names
    if allowed is None:
        return False, "the unit has no SystemCallFilter="
    used = {}
    for name, _ in calls(lines):
        used[name] = used.get(name, 0) + 1
    bad = sorted(n for n in used if n not in allowed)
    summary = f"{sum(used.values())} calls of {len(used)} system calls, all allowed"
    if bad:
        return False, "not allowed by SystemCallFilter=: " + " ".join(f"{n} ({used[n]}x)" for n in bad)
    return True, summary


def check_families(lines, unit):
    allowed = set()
    for v in unit_values(unit, "RestrictAddressFamilies"):
        allowed |= set(v.split())
    used = set()
    for name, rest in calls(lines):
        if name in ("socket", "socketpair"):
            m = re.match(r"(AF_\w+)", rest)
            if m:
                used.add(m.group(1))
    bad = sorted(used - allowed)
    if bad:
        return False, "families outside RestrictAddressFamilies=: " + " ".join(bad)
    return True, "socket families " + " ".join(sorted(used)) + " (allowed: " + " ".join(sorted(allowed)) + ")"


WRITE_OPEN = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
MUTATING = {"mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat",
            "rmdir", "link", "linkat", "symlink", "symlinkat", "truncate", "chmod",
            "fchmodat", "chown", "fchownat", "mknod", "mknodat", "utimensat"}


def paths_of(rest):
    """Absolute paths a call names: "/abs" strings, or <dir>, "rel" pairs."""
    out = []
    for m in re.finditer(r'(?:(\d+)<([^>]*)>, )?"([^"]*)"', rest):
        d, p = m.group(2), m.group(3)
        if p.startswith("/"):
            out.append(p)
        elif d:
            out.append(d.rstrip("/") + "/" + p)
    return out


def succeeded(rest):
    m = re.search(r"\) += (-?\d+)", rest)
    return m is None or not m.group(1).startswith("-")  # unfinished: assume it did


def check_writes(lines, unit):
    state = ["/var/lib/" + v.strip() for v in unit_values(unit, "StateDirectory")]
    bad, n = [], 0
    for name, rest in calls(lines):
        if name in ("open", "openat", "openat2", "creat"):
            if name != "creat" and not WRITE_OPEN.search(rest.split(")")[0]):
                continue
        elif name not in MUTATING:
            continue
        if not succeeded(rest):
            continue
        for p in paths_of(rest)[: 2 if name.startswith(("rename", "link", "symlink")) else 1]:
            n += 1
            if not any(p == s or p.startswith(s + "/") for s in state):
                bad.append(f"{name}: {p}")
    if bad:
        return False, "writes outside " + " ".join(state) + ":\n" + "\n".join(sorted(set(bad)))
    return True, f"{n} writes, all under " + " ".join(state)


DEV_OK = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}
PROC_OK = re.compile(r"^/proc/(self|thread-self|\d+)(/|$)")


def check_hidden(lines, unit):
    bad, n = [], 0
    for name, rest in calls(lines):
        if name not in ("open", "openat", "openat2", "stat", "newfstatat", "statx", "access",
                        "faccessat", "faccessat2", "readlink", "readlinkat", "opendir"):
            continue
        for p in paths_of(rest)[:1]:
            n += 1
            if p == "/home" or p.startswith("/home/") or p.startswith("/root/"):
                bad.append(f"{name}: {p} (ProtectHome=)")
            elif p.startswith("/dev/") and p not in DEV_OK:
                bad.append(f"{name}: {p} (PrivateDevices=)")
            elif p.startswith("/proc/") and not PROC_OK.match(p):
                bad.append(f"{name}: {p} (ProcSubset=pid)")
    if bad:
        return False, "paths the sandbox hides:\n" + "\n".join(sorted(set(bad)))
    return True, f"{n} path lookups, none in /home, /root, /dev (beyond null, zero, urandom...) or /proc (beyond its own)"


def check_wx(lines, unit):
    n = 0
    for name, rest in calls(lines):
        if name in ("mmap", "mprotect") and "PROT_WRITE" in rest and "PROT_EXEC" in rest:
            n += 1
    if n == 0:
        return False, "no writable+executable mapping: is PCRE2's JIT in use?"
    return True, f"{n} writable+executable mappings (PCRE2's JIT): MemoryDenyWriteExecute=yes would make them fail"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    lines = agent_lines(sys.argv[1])
    fn = {"syscalls": check_syscalls, "families": check_families, "writes": check_writes,
          "hidden": check_hidden, "wx": check_wx}.get(sys.argv[3])
    if fn is None:
        sys.exit("trace_check: unknown check " + sys.argv[3])
    good, text = fn(lines, sys.argv[2])
    print(text)
    sys.exit(0 if good else 1)


main()
