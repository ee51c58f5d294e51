"""The chaos campaign against the running lab (tests/chaos/run --lab): real
Xen nodes, heartbeat guests, real faults in the nodes' dom0s.

Operations: migrate a guest to another node, destroy one and create it
again, restart a node's blanketd. Faults, at a random moment of a
migration: kill -9 the source's or the destination's blanketd (init starts
it again), take a node's link down and up, freeze a node's blanketd with
SIGSTOP and thaw it.

After every step: no guest runs, or could run, on two nodes, and each
guest's heartbeat never goes backwards (a resumed old copy would count from
where its snapshot stopped). At the end, once faults are healed and
resolvers are done: no leftover copies, and every guest still runs.
"""

import os
import random
import re
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
AWAY = "--migratedaway"
INCOMING = "--incoming"
LIVE = ("r", "b", "p", "s")  # xl list: running, blocked, paused, shutdown
# A heartbeat older than this (s) says nothing of the copy that runs now.
FRESH_S = 30


def log(*args):
    print(*args, flush=True)


def on(node, *argv, timeout=120):
    try:
        return subprocess.run(["blanket-lab", "exec", "-n", node, "--"]
                              + list(argv), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", "timed out")


def cli(args, timeout=300):
    try:
        return subprocess.run(["blanket"] + args, capture_output=True,
                              text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", "timed out")


class LabCampaign:
    def __init__(self, nodes, rng, steps):
        self.nodes = nodes
        self.rng = rng
        self.steps = steps
        self.step = 0
        self.violations = 0
        self.guests = ["chaos%d" % i for i in range(2)]
        self.high = {}  # guest -> the highest heartbeat seen
        self.counts = {}

    def note(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1
        log("step %d: %s" % (self.step, what))

    def violation(self, what):
        self.violations += 1
        log("VIOLATION at step %d: %s" % (self.step, what))

    def domains(self, node):
        """(name, state letters) of node's domains, dom0 left out."""
        r = on(node, "xl", "list")
        out = []
        for line in r.stdout.splitlines()[1:]:
            w = line.split()
            if len(w) >= 5 and w[0] != "Domain-0":
                out.append((w[0], w[4]))
        return out

    def create(self, guest):
        cfg = os.path.join(TOP, "lab", "guest", "heartbeat.cfg")
        text = open(cfg).read()
        text = re.sub(r'^name = .*$', 'name = "%s"' % guest, text,
                      flags=re.M)
        path = "/tmp/blanket-chaos-%s.cfg" % guest
        with open(path, "w") as f:
            f.write(text)
        node = self.rng.choice(self.nodes)
        self.forget_logs(guest)
        r = cli(["create", "-n", node, path])
        os.unlink(path)
        self.high[guest] = 0
        self.note("create %s on %s: %s" % (guest, node,
                                            "ok" if r.returncode == 0
                                            else r.stderr.strip()))

    def where(self, guest):
        for n in self.nodes:
            for name, state in self.domains(n):
                if name == guest and "s" not in state:
                    return n
        return None

    def last_beat(self, node, guest):
        """The counter of the newest heartbeat in the console logs of
        guest's domain on node, or None when none is fresh: xenconsoled
        names a log after the domain's first name and keeps appending to
        it, so the logs hold earlier stays' beats too (each life's logs are
        removed at create, so never another life's). Fresh: stamped (the
        guest's wall clock, which is Xen's) at most FRESH_S before the
        node's."""
        r = on(node, "sh", "-c",
               "date +%%s; for f in guest-%s guest-%s%s; do tail -n 5 "
               "/var/log/xen/console/$f.log 2>/dev/null; done"
               % (guest, guest, INCOMING))
        lines = r.stdout.splitlines()
        if not lines:
            return None
        now, newest = int(lines[0]), None
        for line in lines[1:]:
            m = re.match(r"heartbeat (\d+) (\d+)\.", line)
            if m and (newest is None or int(m.group(2)) > newest[1]):
                newest = (int(m.group(1)), int(m.group(2)))
        if newest is None or newest[1] < now - FRESH_S:
            return None
        return newest[0]

    def forget_logs(self, guest):
        """Remove the console logs of guest's earlier lives, everywhere."""
        for n in self.nodes:
            on(n, "sh", "-c", "rm -f /var/log/xen/console/guest-%s.log "
               "/var/log/xen/console/guest-%s%s.log" % (guest, guest,
                                                        INCOMING))

    def check(self):
        copies = {}
        for n in self.nodes:
            for name, state in self.domains(n):
                if any(c in state for c in LIVE):
                    copies.setdefault(name, []).append(n)
        for name, where in copies.items():
            if len(where) > 1:
                self.violation("%s runs, or could, on %s" % (name, where))
        for g in self.guests:
            n = self.where(g)
            if not n:
                continue
            beat = self.last_beat(n, g)
            if beat is None:
                continue
            if beat < self.high.get(g, 0):
                self.violation("%s's heartbeat went back from %d to %d on %s"
                               % (g, self.high[g], beat, n))
            self.high[g] = max(self.high.get(g, 0), beat)

    def migrate_with_fault(self):
        g = self.rng.choice(self.guests)
        src = self.where(g)
        if not src:
            return
        dst = self.rng.choice([n for n in self.nodes if n != src])
        p = subprocess.Popen(["blanket", "migrate", g, dst],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, stdin=subprocess.DEVNULL)
        fault = self.rng.choice(["none", "none", "kill-src", "kill-dst",
                                 "cut-dst", "freeze-dst"])
        if fault != "none":
            time.sleep(self.rng.uniform(0.5, 20))
            victim = src if fault.endswith("src") else dst
            if fault.startswith("kill"):
                on(victim, "sh", "-c", "kill -9 $(pidof blanketd)")
            elif fault == "cut-dst":
                on(dst, "ifconfig", "eth0", "down")
                time.sleep(self.rng.uniform(1, 20))
                on(dst, "ifconfig", "eth0", "up")
            else:
                on(dst, "sh", "-c", "kill -STOP $(pidof blanketd)")
                time.sleep(self.rng.uniform(1, 10))
                on(dst, "sh", "-c", "kill -CONT $(pidof blanketd)")
        out, _ = p.communicate(timeout=600)
        self.note("migrate %s %s -> %s, fault %s: %s" %
                  (g, src, dst, fault,
                   "ok" if p.returncode == 0 else out.strip()[-200:]))

    def restart_daemon(self):
        n = self.rng.choice(self.nodes)
        on(n, "sh", "-c", "kill $(pidof blanketd)")
        self.note("blanketd restarted on %s" % n)

    def recreate(self):
        g = self.rng.choice(self.guests)
        r = cli(["destroy", g])
        self.note("destroy %s: %s" % (g, "ok" if r.returncode == 0
                                      else r.stderr.strip()))
        if r.returncode == 0:
            self.create(g)

    def settle(self):
        for n in self.nodes:
            on(n, "ifconfig", "eth0", "up")
            on(n, "sh", "-c", "kill -CONT $(pidof blanketd) 2>/dev/null")
        end = time.time() + 180
        left = True
        while time.time() < end and left:
            left = [(n, name) for n in self.nodes
                    for name, _ in self.domains(n)
                    if name.endswith(AWAY) or name.endswith(INCOMING)]
            if left:
                time.sleep(2)
        for n, name in left:
            self.violation("%s left on %s once settled" % (name, n))
        self.check()
        for g in self.guests:
            if not self.where(g):
                self.violation("%s does not run anywhere once settled" % g)

    def run(self):
        for g in self.guests:
            self.create(g)
        time.sleep(5)
        self.check()
        for self.step in range(1, self.steps + 1):
            r = self.rng.random()
            if r < 0.8:
                self.migrate_with_fault()
            elif r < 0.9:
                self.recreate()
            else:
                self.restart_daemon()
            self.check()
        self.settle()
        for g in self.guests:
            cli(["destroy", g])
        return self.violations


def run_lab(a):
    r = subprocess.run(["blanket-lab", "status", "--json"],
                       capture_output=True, text=True)
    nodes = re.findall(r'"name": "(node\d+)", "state": "ready"', r.stdout)
    if len(nodes) < 2:
        log("chaos: the lab needs two ready nodes (blanket-lab up)")
        return 2
    if not os.environ.get("BLANKET_CLUSTER"):
        log("chaos: set BLANKET_CLUSTER: eval \"$(blanket-lab env)\"")
        return 2
    log("chaos: seed %d, %d steps, lab nodes %s (real Xen)"
        % (a.seed, a.steps, " ".join(nodes)))
    start = time.time()
    camp = LabCampaign(nodes, random.Random(a.seed), a.steps)
    v = camp.run()
    log("chaos: %d steps, %d violations (seed %d, %.0f s)"
        % (a.steps, v, a.seed, time.time() - start))
    return 1 if v else 0
