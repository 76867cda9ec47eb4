#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The operator commands run as a crew runs them: the real `ykt` binary, its
output and exit codes, against a store made by running the demo shift.
Every expected number comes from reading the SQLite file directly (Python's
own sqlite3), never from ykt itself.

Usage: test_cmds.py CASE YKT SOURCE_ROOT
  CASE: status-empty | records | shift | selftest | psam-swap
"""
import csv
import hashlib
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def ykt(*args, stdin=None, env=None):
    p = subprocess.run([YKT, *args], capture_output=True, text=True, input=stdin, timeout=60,
                       env=env)
    return p.returncode, p.stdout, p.stderr


def schema_validator():
    try:
        import jsonschema
    except ImportError:
        print("python3-jsonschema is not installed (see .ci/deps)", file=sys.stderr)
        sys.exit(77)
    with open(os.path.join(ROOT, "docs", "status.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check_status_json(out, what):
    try:
        doc = json.loads(out)
    except ValueError as e:
        check(False, f"{what}: not JSON: {e}")
        return {}
    errors = list(VALIDATOR.iter_errors(doc))
    for e in errors:
        check(False, f"{what}: schema: {e.message} at {list(e.path)}")
    return doc


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tree(path):
    return sorted(os.listdir(path))


# ---- fixtures ----

def write_conf(d, script, sam, store="shift.db", extra=""):
    conf = os.path.join(d, "ykt.conf")
    with open(os.path.join(ROOT, "demo", "ykt.conf")) as f:
        text = f.read()
    text = text.replace("sim:shift.tap", f"sim:{script}")
    text = text.replace("sim:../tests/data/psam/psam.psam", f"sim:{sam}")
    text = re.sub(r"^path = .*$", f"path = {os.path.join(d, store)}", text, flags=re.M)
    text = re.sub(r"^state_dir = .*$", f"state_dir = {os.path.join(d, 'state')}", text,
                  flags=re.M)
    with open(conf, "w") as f:
        f.write(text + extra)
    return conf


def psam_copy(d, name, src):
    """A PSAM profile outside tests/data: its key file path made absolute."""
    with open(os.path.join(ROOT, "tests", "data", "psam", src)) as f:
        text = f.read().replace("keys = ../keys/",
                                "keys = " + os.path.join(ROOT, "tests", "data", "keys") + "/")
    path = os.path.join(d, name)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)
    return path


def demo_shift(d):
    """The README's demo shift, bracketed by a driver's sign-on and sign-off."""
    conf = write_conf(d, os.path.join(ROOT, "demo", "shift.tap"),
                      os.path.join(ROOT, "tests", "data", "psam", "psam.psam"))
    rc, out, err = ykt("shift", "start", "--driver", "D042", "-c", conf)
    check(rc == 0 and "shift 1" in out, f"shift start: rc {rc} {out} {err}")
    rc, out, err = ykt("run", "-c", conf)
    check(rc == 0 and out.count("tap ") >= 20, f"demo run: rc {rc} {err}")
    rc, out, err = ykt("shift", "end", "-c", conf)
    check(rc == 0 and "signed off" in out, f"shift end: rc {rc} {out} {err}")
    return conf, os.path.join(d, "shift.db")


def query(db, sql, *args):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def shown(out):
    m = re.search(r"^(\d+) records shown$", out, re.M)
    return int(m.group(1)) if m else -1


# ---- cases ----

def default_dir_locked():
    """Whether a running validator holds /run/ykt/validator.lock."""
    import fcntl
    try:
        fd = os.open("/run/ykt/validator.lock", os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def case_status_empty(d):
    """No configuration, no store, no hardware: exit 0 and schema-valid."""
    before_run = os.path.exists("/run/ykt")
    for args in (["-c", os.path.join(d, "absent.conf")], []):
        rc, out, err = ykt("status", "--json", *args)
        check(rc == 0, f"status --json {args}: exit {rc}: {err}")
        doc = check_status_json(out, f"status --json {args}")
        if args:
            check(doc.get("config", {}).get("loaded") is False, "config reported as loaded")
            check("configuration file" in doc.get("missing", []), f"missing: {doc.get('missing')}")
            check(doc.get("store", {}).get("present") is False, "a store reported present")
            # the default state directory is the machine's own: another
            # validator on this machine may hold it, and status must say so
            check(doc.get("validator", {}).get("running") is default_dir_locked(),
                  "validator running state differs from the lock on /run/ykt")
        rc, out, err = ykt("status", *args)
        check(rc == 0 and "missing" in out, f"status {args}: exit {rc}: {out} {err}")
    check(tree(d) == [], f"status created files: {tree(d)}")
    check(os.path.exists("/run/ykt") == before_run, "status created /run/ykt")

    if "with simulator" not in ykt("version")[1]:
        print("no simulator in this build: the cases with a configuration need sim: drivers")
        return
    # a configuration whose store does not exist yet: it is not created
    conf = write_conf(d, os.path.join(ROOT, "demo", "shift.tap"),
                      os.path.join(ROOT, "tests", "data", "psam", "psam.psam"))
    rc, out, err = ykt("status", "--json", "-c", conf)
    doc = check_status_json(out, "status, store absent")
    check(rc == 0 and doc.get("store", {}).get("present") is False, "absent store")
    check(doc.get("psams", [{}])[0].get("source") == "config", "PSAM from the config")
    check(tree(d) == ["ykt.conf"], f"status created: {tree(d)}")
    rc, out, err = ykt("records", "-c", conf)
    check(rc == 1 and tree(d) == ["ykt.conf"], f"records created a store: rc {rc} {tree(d)}")

    # an older schema: reported, never migrated
    db = os.path.join(d, "shift.db")
    with open(os.path.join(ROOT, "tests", "data", "store", "schema1.db"), "rb") as f, \
            open(db, "wb") as g:
        g.write(f.read())
    digest = file_digest(db)
    rc, out, err = ykt("status", "--json", "-c", conf)
    doc = check_status_json(out, "status, schema 1 store")
    store = doc.get("store", {})
    check(rc == 0 and store.get("present") and not store.get("readable"), f"schema 1: {store}")
    check("older" in (store.get("error") or ""), f"schema 1 error: {store.get('error')}")
    check(file_digest(db) == digest, "status changed a schema 1 store")
    check(query(db, "PRAGMA user_version") == [(1,)], "status migrated the store")


def case_records(d):
    conf, db = demo_shift(d)
    n_purchases = query(db, "SELECT count(*) FROM purchase")[0][0]
    n_events = query(db, "SELECT count(*) FROM event")[0][0]
    check(n_purchases >= 20 and n_events == 2, f"demo store: {n_purchases} purchases {n_events} events")

    rc, out, _ = ykt("records", "-c", conf)
    check(rc == 0 and shown(out) == n_purchases, f"records: {shown(out)} of {n_purchases}")
    for state, code in (("complete", 1), ("grey", 2), ("void", 3)):
        want = query(db, "SELECT count(*) FROM purchase WHERE state = ?", code)[0][0]
        rc, out, _ = ykt("records", "-c", conf, "--state", state)
        check(rc == 0 and shown(out) == want, f"--state {state}: {shown(out)}, want {want}")
    serial, = query(db, "SELECT card_serial FROM purchase GROUP BY card_serial"
                        " ORDER BY count(*) DESC LIMIT 1")[0]
    want = query(db, "SELECT count(*) FROM purchase WHERE card_serial = ?", serial)[0][0]
    rc, out, _ = ykt("records", "-c", conf, "--card", serial.lower())
    check(rc == 0 and shown(out) == want and want > 1, f"--card: {shown(out)}, want {want}")
    check(serial not in out, "card number unmasked without --unmasked")
    rc, out, _ = ykt("records", "-c", conf, "--card", serial, "--unmasked")
    check(out.count(serial) == want, "--unmasked shows the card number")
    rc, out, _ = ykt("records", "-c", conf, "--upload", "pending")
    check(rc == 0 and shown(out) == n_purchases, "--upload pending")
    rc, out, _ = ykt("records", "-c", conf, "--upload", "accepted")
    check(rc == 0 and shown(out) == 0, "--upload accepted")
    # time range: the demo runs 07:30 to 08:24 China Standard Time
    lo, hi = 1795217400 + 600, 1795217400 + 1800  # 07:40 .. 08:00
    want = query(db, "SELECT count(*) FROM purchase WHERE txn_unix_s BETWEEN ? AND ?", lo, hi)[0][0]
    rc, out, _ = ykt("records", "-c", conf, "--from", "2026-11-21T07:40:00",
                     "--to", "2026-11-21T08:00:00")
    check(rc == 0 and shown(out) == want and 0 < want < n_purchases,
          f"--from/--to: {shown(out)}, want {want}")
    rc, out, _ = ykt("records", "-c", conf, "--to", "2026-11-20")
    check(rc == 0 and shown(out) == 0, "--to before the shift")
    rc, out, _ = ykt("records", "-c", conf, "--kind", "event")
    check(rc == 0 and shown(out) == n_events and "shift-start" in out, "--kind event")
    rc, out, _ = ykt("records", "-c", conf, "--kind", "shift-end")
    check(rc == 0 and shown(out) == 1, "--kind shift-end")
    rc, out, _ = ykt("records", "-c", conf, "--kind", "all", "--shift", "1")
    check(rc == 0 and shown(out) == n_purchases + n_events, f"--shift 1: {shown(out)}")
    for bad in (["--state", "paid"], ["--card", "12345"], ["--from", "yesterday"],
                ["--kind", "Bad Kind"], ["--upload", "x"], ["extra"]):
        rc, _, _ = ykt("records", "-c", conf, *bad)
        check(rc == 2, f"records {bad}: exit {rc}, want 2")
    rc, _, err = ykt("records", "-c", conf, "--shift", "7")
    check(rc == 1 and "no shift 7" in err, f"--shift 7: exit {rc}")

    # CSV for a USB stick: masked, checksummed, readable by sha256sum -c
    stick = os.path.join(d, "stick")
    os.mkdir(stick)
    path = os.path.join(stick, "records.csv")
    rc, out, err = ykt("records", "-c", conf, "--csv", path, "--kind", "all")
    check(rc == 0 and "masked" in out, f"--csv: exit {rc}: {out} {err}")
    p = subprocess.run(["sha256sum", "-c", "records.csv.sha256"], cwd=stick, capture_output=True,
                       text=True)
    check(p.returncode == 0 and "OK" in p.stdout, f"sha256sum -c: {p.stdout} {p.stderr}")
    with open(path, newline="") as f:
        text = f.read()
    rows = list(csv.DictReader(io.StringIO(text)))
    check(len(rows) == n_purchases + n_events, f"CSV rows {len(rows)}")
    for (s,) in query(db, "SELECT DISTINCT card_serial FROM purchase"):
        check(s not in text, f"card {s[:4]}... unmasked in the CSV")
    total = sum(round(float(r["amount_yuan"]) * 100) for r in rows if r["type"] == "purchase")
    want = query(db, "SELECT sum(amount_fen) FROM purchase")[0][0]
    check(total == want, f"CSV amounts {total}, store {want}")
    bodies = [json.loads(r["body"]) for r in rows if r["type"].startswith("shift-")]
    check(bodies == [{"shift": 1, "driver": "D042"}] * 2, f"event bodies {bodies}")
    with open(path, "a") as f:
        f.write("1,purchase,forged\r\n")
    p = subprocess.run(["sha256sum", "-c", "records.csv.sha256"], cwd=stick, capture_output=True)
    check(p.returncode != 0, "sha256sum -c accepted a changed CSV")

    rc, out, _ = ykt("records", "-c", conf, "--csv", path, "--unmasked", "--state", "complete")
    with open(path) as f:
        text = f.read()
    check(rc == 0 and "UNMASKED" in out and serial in text, "--unmasked CSV has full numbers")
    check(subprocess.run(["sha256sum", "-c", "records.csv.sha256"], cwd=stick,
                         capture_output=True).returncode == 0, "checksum of the second export")
    rc, _, _ = ykt("records", "-c", conf, "--csv", os.path.join(d, "no", "such", "dir.csv"))
    check(rc == 1, "--csv into a missing directory")


def case_shift(d):
    conf, db = demo_shift(d)
    rc, out, err = ykt("shift", "report", "--json", "-c", conf)
    check(rc == 0, f"shift report: exit {rc}: {err}")
    rep = json.loads(out)
    start, end = rep["start_record_no"], rep["end_record_no"]
    check(rep["shift"] == 1 and rep["driver"] == "D042" and end > start, f"report: {rep}")
    got = {t["card_type"]: (t["count"], t["amount_fen"], t["fare_fen"], t["discount_fen"])
           for t in rep["by_card_type"]}
    want = {f"{ct:02X}": (n, a, f, dsc) for ct, n, a, f, dsc in query(
        db, "SELECT card_type, count(*), sum(amount_fen), sum(nominal_fen), sum(discount_fen)"
            " FROM purchase WHERE state = 1 AND record_no > ? AND record_no < ?"
            " GROUP BY card_type", start, end)}
    check(got == want and len(want) >= 3, f"by card type {got}, store says {want}")
    for state, code in (("complete", 1), ("grey", 2), ("void", 3), ("intent", 0)):
        n, a = query(db, "SELECT count(*), coalesce(sum(amount_fen), 0) FROM purchase"
                         " WHERE state = ? AND record_no > ? AND record_no < ?", code, start, end)[0]
        o = rep["by_outcome"][state]
        check((o["count"], o["amount_fen"]) == (n, a), f"{state}: {o}, store {n} {a}")
    rc, out, _ = ykt("shift", "report", "-c", conf)
    check(rc == 0 and "D042" in out and "student" in out, "text report")

    # a second shift holds only its own records
    rc, out, _ = ykt("shift", "-c", conf)
    check(rc == 0 and "no shift open" in out, f"shift: {out}")
    rc, out, _ = ykt("shift", "start", "--driver", "D7", "-c", conf)
    check(rc == 0 and "shift 2" in out, f"second start: {out}")
    rc, out, err = ykt("shift", "start", "--driver", "D8", "-c", conf)
    check(rc == 1 and "still open" in out + err, f"start while open: exit {rc}")
    rc, out, _ = ykt("shift", "-c", conf)
    check(rc == 0 and "shift 2" in out and "D7" in out and "open" in out, f"current: {out}")
    rc, out, _ = ykt("shift", "report", "--json", "-c", conf)
    rep2 = json.loads(out)
    check(rep2["shift"] == 2 and rep2["paid"]["count"] == 0 and rep2["end_record_no"] is None,
          f"empty open shift: {rep2}")
    rc, out, _ = ykt("shift", "report", "--shift", "1", "--json", "-c", conf)
    check(rc == 0 and json.loads(out)["by_card_type"] == rep["by_card_type"], "--shift 1 again")
    check(ykt("shift", "end", "-c", conf)[0] == 0, "end shift 2")
    rc, _, err = ykt("shift", "end", "-c", conf)
    check(rc == 1 and "no shift is open" in err, f"end with none open: exit {rc}")
    for bad in (["start"], ["start", "--driver", "has space"], ["start", "--driver", "x" * 33],
                ["sideways"], ["report", "--shift", "-1"]):
        rc, _, _ = ykt("shift", *bad, "-c", conf)
        check(rc == 2, f"shift {bad}: exit {rc}, want 2")
    rc, _, _ = ykt("shift", "report", "--shift", "9", "-c", conf)
    check(rc == 1, "report of a shift that does not exist")
    kinds = query(db, "SELECT kind, body FROM event ORDER BY record_no")
    check([k for k, _ in kinds] == ["shift-start", "shift-end"] * 2, f"events {kinds}")
    shift_with_faults(d)


def shift_with_faults(d):
    """A shift that leaves a grey record and a void one: only complete
    records count as paid, each outcome is counted apart."""
    d = os.path.join(d, "faults")
    os.mkdir(d)
    cards = os.path.join(ROOT, "tests", "data", "cards")
    script = os.path.join(d, "faults.tap")
    with open(script, "w") as f:
        f.write(f"clock 2026-11-21T07:30:00\ntap {cards}/adult.card\nwait 1m\n"
                f"tap {cards}/adult2.card leave-after:ins54\nwait 1m\n"
                f"tap {cards}/senior.card sw:ins54:9302\nwait 1m\n"
                f"tap {cards}/student.card\n")
    conf = write_conf(d, script, os.path.join(ROOT, "tests", "data", "psam", "psam.psam"))
    db = os.path.join(d, "shift.db")
    check(ykt("shift", "start", "--driver", "D9", "-c", conf)[0] == 0, "faults: start")
    check(ykt("run", "-c", conf)[0] == 0, "faults: run")
    check(ykt("shift", "end", "-c", conf)[0] == 0, "faults: end")
    rc, out, _ = ykt("shift", "report", "--json", "-c", conf)
    rep = json.loads(out) if rc == 0 else {}
    states = dict(query(db, "SELECT state, count(*) FROM purchase GROUP BY state"))
    check(states == {1: 2, 2: 1, 3: 1}, f"faults shift stored {states}")
    o = rep.get("by_outcome", {})
    check({k: o.get(k, {}).get("count") for k in ("complete", "grey", "void")} ==
          {"complete": 2, "grey": 1, "void": 1}, f"faults by outcome {o}")
    paid = query(db, "SELECT count(*), sum(amount_fen) FROM purchase WHERE state = 1")[0]
    check((rep.get("paid", {}).get("count"), rep.get("paid", {}).get("amount_fen")) == paid,
          f"paid {rep.get('paid')}, store {paid}")
    check(sorted(t["card_type"] for t in rep.get("by_card_type", [])) == ["01", "02"],
          f"faults by card type {rep.get('by_card_type')}")


def items(out):
    return {i["name"]: i for i in json.loads(out)["items"]}


def case_selftest(d):
    conf, db = demo_shift(d)
    # the demo's sim: clock stands at the shift's start, now behind its last
    # record: a validator started so would refuse to debit; the next
    # morning's clock is fine
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("clock = sim:2026-11-21T07:30:00", "clock = sim:2026-11-22T07:30:00"))
    rc, out, err = ykt("selftest", "--json", "-c", conf)
    it = items(out)
    check(rc == 0, f"selftest on the demo: exit {rc}: {out} {err}")
    for name in ("config", "reader", "psam", "store", "clock"):
        check(it.get(name, {}).get("result") == "pass", f"{name}: {it.get(name)}")
    check("001122334455" in it["psam"]["detail"], "PSAM terminal number in the detail")
    check(it["display"]["result"] == "skip" and not it["display"]["required"], "display")
    rc, out, _ = ykt("selftest", "-c", conf)
    check(rc == 0 and "selftest passed" in out and out.count("PASS") >= 5, f"text: {out}")

    cases = [
        ("psam", {"sim:" + os.path.join(ROOT, "tests/data/psam/psam.psam"):
                  "sim:" + os.path.join(d, "missing.psam")}, "psam"),
        ("clock", {"clock = sim:2026-11-22T07:30:00": "clock = sim:2025-06-01T08:00:00"}, "clock"),
        ("reader", {"sim:" + os.path.join(ROOT, "demo/shift.tap"):
                    "sim:" + os.path.join(d, "missing.tap")}, "reader"),
    ]
    with open(conf) as f:
        good = f.read()
    for name, edits, item_name in cases:
        text = good
        for a, b in edits.items():
            check(a in text, f"{name}: fixture text {a!r}")
            text = text.replace(a, b)
        bad = os.path.join(d, f"{name}.conf")
        with open(bad, "w") as f:
            f.write(text)
        rc, out, _ = ykt("selftest", "--json", "-c", bad)
        it = items(out)
        check(rc == 1 and it[item_name]["result"] == "fail",
              f"selftest with a bad {name}: exit {rc}, {it.get(item_name)}")
        others = [n for n, i in it.items() if i["result"] == "fail" and n != item_name]
        check(not others, f"bad {name}: other items failed too: {others}")
    # a clock earlier than the last record (beyond the tolerance)
    bad = os.path.join(d, "back.conf")
    with open(bad, "w") as f:
        f.write(good.replace("clock = sim:2026-11-22T07:30:00", "clock = sim:2026-11-21T07:30:00"))
    rc, out, _ = ykt("selftest", "-c", bad)
    check(rc == 1 and "earlier than the last record" in out, f"clock behind records: {out}")
    rc, out, _ = ykt("selftest", "-c", os.path.join(d, "absent.conf"))
    check(rc == 1 and "FAIL config" in out, f"no config: exit {rc}")


def wait_for(what, cond, timeout_s=30):
    """Wait for a state the validator publishes; failing after a generous
    guard time is a failure of the behaviour, not a speed measurement."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    check(False, f"timed out waiting for {what}")
    return None


def status(conf):
    rc, out, _ = ykt("status", "--json", "-c", conf)
    doc = check_status_json(out, "status while running")
    check(rc == 0, "status exit")
    return doc


def read_until(stream, text):
    seen = ""
    while text not in seen:
        line = stream.readline()
        if not line:
            break
        seen += line
    return seen


def case_psam_swap(d):
    slot = psam_copy(d, "slot.psam", "psam.psam")
    script = os.path.join(d, "idle.tap")
    with open(script, "w") as f:
        f.write(f"clock 2026-11-21T07:30:00\ntap {ROOT}/tests/data/cards/adult.card\nidle\n")
    conf = write_conf(d, script, slot)
    run = subprocess.Popen([YKT, "run", "-c", conf], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        psam_swap_running(d, conf, slot, run)
    finally:
        if run.poll() is None:
            run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=30)
    check(run.returncode == 0, f"validator after SIGTERM: exit {run.returncode}: {err}")
    # several renames before the validator looks are read once (the last
    # request stands); none of the junk ever took it out of service
    check(err.count("; ignored") >= 1, f"hostile control files: {err}")
    check(err.count("out of service on request") == 2, f"out of service twice: {err}")
    check("tap 1: paid" in out, f"validator output: {out}")
    doc = status(conf)
    check(doc["validator"]["running"] is False, "validator still reported running")

    # no validator: ykt psam opens the slot itself
    rc, out, _ = ykt("psam", "-c", conf)
    check(rc == 0 and "001122334456" in out and "ready" in out, f"psam offline: {out}")
    rc, out, _ = ykt("psam", "swap", "-c", conf, stdin="\n")
    check(rc == 0 and "No validator is running" in out and "001122334456" in out,
          f"offline swap: {rc} {out}")
    os.unlink(slot)
    rc, out, _ = ykt("psam", "--json", "-c", conf)
    check(rc == 1 and json.loads(out)[0]["state"] == "absent", f"empty slot: {rc} {out}")


def psam_swap_running(d, conf, slot, run):
    doc = wait_for("the validator's first tap", lambda: (lambda s: s if s["validator"]["running"]
                   and (s["validator"]["taps"] or {}).get("total") == 1 else None)(status(conf)))
    if not doc:
        return
    check(doc["validator"]["in_service"] is True, f"in service: {doc['validator']}")
    check(doc["psams"][0]["terminal_no"] == "001122334455", f"psam: {doc['psams']}")
    rc, out, _ = ykt("psam", "-c", conf)
    check(rc == 0 and "running validator" in out and "001122334455" in out, f"psam: {out}")
    rc, out, _ = ykt("selftest", "-c", conf)
    check(rc == 0 and "in use by the running validator" in out, f"selftest running: {out}")

    # hostile control files are ignored (the validator handles them in
    # order, so by the time the real swap below is acknowledged they were read)
    control = os.path.join(d, "state", "control")
    for junk in ('{"request": "out-of-service", "id": "bad id!", "reason": "psam-swap"}',
                 '{"request": "out-of-service", "id": "x"}', "[1, 2", "{" * 5000 + "x" * 70000):
        with open(control + ".junk", "w") as f:
            f.write(junk)
        os.rename(control + ".junk", control)
    swap = subprocess.Popen([YKT, "psam", "swap", "-c", conf], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = read_until(swap.stdout, "press Enter")
    check("OUT OF SERVICE" in said and "001122334455" in said, f"swap said: {said}")
    doc = status(conf)
    v = doc["validator"]
    check(v["in_service"] is False and "psam-swap" in (v["out_of_service_reason"] or ""),
          f"during the swap: {v}")
    check(doc["psams"][0]["state"] == "released", f"slot during the swap: {doc['psams']}")
    psam_copy(d, "slot.psam", "psam2.psam")  # the crew puts another PSAM in
    out, err = swap.communicate("\n", timeout=60)
    check(swap.returncode == 0, f"swap: exit {swap.returncode}: {out} {err}")
    check("terminal 001122334456 (was 001122334455)" in out and "IN SERVICE" in out,
          f"swap result: {out}")
    doc = status(conf)
    check(doc["validator"]["in_service"] is True and
          doc["psams"][0]["terminal_no"] == "001122334456", f"after the swap: {doc['psams']}")

    # the crew's session dies half-way: the validator comes back by itself
    swap = subprocess.Popen([YKT, "psam", "swap", "-c", conf], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    read_until(swap.stdout, "press Enter")
    check(status(conf)["validator"]["in_service"] is False, "out of service before the kill")
    swap.kill()
    swap.communicate(timeout=30)
    wait_for("the validator back in service",
             lambda: status(conf)["validator"]["in_service"] is True)
    check(run.poll() is None, "validator stopped during the swaps")


CASES = {
    "status-empty": case_status_empty,
    "records": case_records,
    "shift": case_shift,
    "selftest": case_selftest,
    "psam-swap": case_psam_swap,
}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    YKT, ROOT = os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    VALIDATOR = schema_validator()
    with tempfile.TemporaryDirectory(prefix="ykt-cmds-") as tmp:
        CASES[sys.argv[1]](tmp)
    print(f"{sys.argv[1]}: {failures} failures")
    sys.exit(1 if failures else 0)
