"""Turns one bench/run result directory into the table, the JSON file and the chart.

  python3 bench/peers/report.py RESULT_DIR

Reads RESULT_DIR/cells.jsonl (one record per cell and round from the drivers; a cell keeps each
client's median round, with the spread of the rounds), connections.jsonl (the connections stunnel
accepted during each TLS record), capacity.jsonl, conversation.jsonl (plain vs incremental saves),
micro.json (Google Benchmark), states-<server>/meta.json and environment.json; writes
  RESULT_DIR/results.json        every cell with its ratios to the floor, capacity, targets
  RESULT_DIR/table.md            the tables of docs/benchmarks.md
  RESULT_DIR/latency-ratio.png   p50 ratio to the floor per payload and client, 8-worker ops/s
and prints the tables and the target checks. Standard library only (plus gnuplot for the chart).
"""

import json
import os
import shutil
import subprocess
import sys

CLIENTS = ["floor", "ours", "own", "js", "boto3", "go"]
PEERS = ("js", "boto3", "go")
LABEL = {"floor": "floor", "floor_curl": "floor over libcurl", "ours": "agents-sdk-cpp",
         "own": "own client (bare)", "js": "JS SDK v3", "boto3": "boto3", "go": "Go SDK v2"}
# Workloads measured against the floor of the plain workload they vary.
VARIANT_SUFFIXES = ("_zstd", "_generic")
SIZES = ["1KB", "64KB", "350KB"]
TURNS = ["t10", "t100", "t500"]


def load_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_json(path, default):
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def key(r):
    return (r["server"], r["workload"], r["size"], r["workers"])


def median_rounds(records):
    """Each client's median round of each cell (by p50 with one worker, by ops/s with more: a best
    round flatters whoever had the quiet moment), with the range of every round as its spread."""
    rounds = {}
    for r in records:
        rounds.setdefault((r["server"], r["client"], r["workload"], r["size"], r["workers"]), []).append(r)
    cells = []
    for runs in rounds.values():
        measured = [r for r in runs if r["ops"]] or runs
        one_worker = runs[0]["workers"] == 1
        measured.sort(key=lambda r: r["p50_ms"] if one_worker else -r["ops_per_s"])
        median = dict(measured[(len(measured) - 1) // 2])
        median["rounds"] = len(runs)
        opened = [r["connections_opened"] for r in runs if "connections_opened" in r]
        if opened:
            median["connections_opened_max"] = max(opened)
        for field in ("p50_ms", "ops_per_s", "client_cpu_ms_per_op"):
            values = [r[field] for r in measured if r.get(field) is not None]
            if values:
                median[field + "_min"], median[field + "_max"] = min(values), max(values)
        cells.append(median)
    return cells


def add_ratios(cells):
    floor = {key(r): r for r in cells if r["client"] == "floor" and r["ops"]}
    for r in cells:
        # *_zstd (ours with compression), *_generic (a free-form JSON state) against the floor of
        # the same plain workload
        k = key(r)
        base = k[1]
        for suffix in VARIANT_SUFFIXES:
            base = base.removesuffix(suffix)
        f = floor.get((k[0], base, k[2], k[3]))
        if f and r["ops"]:
            r["p50_ratio_to_floor"] = r["p50_ms"] / f["p50_ms"]
            r["p99_ratio_to_floor"] = r["p99_ms"] / f["p99_ms"]
            r["ops_per_s_share_of_floor"] = r["ops_per_s"] / f["ops_per_s"]


def find(cells, server, client, workload, size, workers):
    for r in cells:
        if (r["server"], r["client"], r["workload"], r["size"], r["workers"]) == (
            server,
            client,
            workload,
            size,
            workers,
        ):
            return r
    return None


def fmt(v, digits=2):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits}f}"


def latency_table(cells, server, workloads, sizes):
    head = "| workload | " + " | ".join(LABEL[c] for c in CLIENTS) + " |"
    lines = [head, "|---|" + "---|" * len(CLIENTS)]
    for workload in workloads:
        for size in sizes:
            row = []
            any_cell = False
            for c in CLIENTS:
                r = find(cells, server, c, workload, size, 1)
                if r is None or not r["ops"]:
                    row.append("–")
                    continue
                any_cell = True
                text = fmt(r["p50_ms"])
                if r.get("rounds", 1) > 1 and "p50_ms_min" in r:
                    text += f" [{fmt(r['p50_ms_min'])}–{fmt(r['p50_ms_max'])}]"
                text += f" / {fmt(r['p99_ms'])}"
                if c != "floor" and "p50_ratio_to_floor" in r:
                    text += f" (**{r['p50_ratio_to_floor']:.2f}×**)"
                text += f"; cpu {fmt(r['client_cpu_ms_per_op'], 3)}"
                if r.get("server_cpu_ms_per_op") is not None:
                    text += f" + srv {fmt(r['server_cpu_ms_per_op'])}"
                row.append(text)
            if any_cell:
                lines.append(f"| {workload} {size} | " + " | ".join(row) + " |")
    return "\n".join(lines) if len(lines) > 2 else ""


def throughput_table(cells, server, workers):
    lines = ["| workload | " + " | ".join(LABEL[c] for c in CLIENTS) + " |", "|---|" + "---|" * len(CLIENTS)]
    for workload in ("save", "load"):
        for size in SIZES:
            row = []
            any_cell = False
            for c in CLIENTS:
                r = find(cells, server, c, workload, size, workers)
                if r is None or not r["ops"]:
                    row.append("–")
                    continue
                any_cell = True
                text = f"{r['ops_per_s']:.0f}/s"
                if c != "floor" and "ops_per_s_share_of_floor" in r:
                    text += f" (**{100 * r['ops_per_s_share_of_floor']:.0f}%**)"
                text += f"; cpu {fmt(r['client_cpu_ms_per_op'], 3)}"
                if r.get("server_cpu_ms_per_op") is not None:
                    text += f" + srv {fmt(r['server_cpu_ms_per_op'])}"
                row.append(text)
            if any_cell:
                lines.append(f"| {workload} {size} | " + " | ".join(row) + " |")
    return "\n".join(lines) if len(lines) > 2 else ""


def capacity_table(capacity, meta):
    lines = [
        "| state | bytes | compression | layout | WCU/save | RCU/load | turn calls | $ per 1M turns |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in capacity:
        calls = ", ".join(f"{n} {op}" for op, n in sorted(r["turn_calls"].items()))
        lines.append(
            f"| {r['size']} | {r['state_bytes']} | {r['compression']} | {r['layout']} | "
            f"{fmt(r['wcu_per_save'], 1)} | {fmt(r['rcu_per_load'], 1)} | {calls} | "
            f"{r['usd_per_million_turns']:.2f} |"
        )
    return "\n".join(lines)


def micro_table(micro):
    lines = ["| benchmark | real time | CPU time | notes |", "|---|---|---|---|"]
    for b in micro.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        notes = []
        if "bytes_per_second" in b:
            notes.append(f"{b['bytes_per_second'] / 1e6:.0f} MB/s")
        for counter in ("body_bytes", "ratio"):
            if counter in b:
                notes.append(f"{counter} {b[counter]:.4g}")
        unit = b.get("time_unit", "ns")
        lines.append(
            f"| {name} | {b['real_time']:.3g} {unit} | {b['cpu_time']:.3g} {unit} | {', '.join(notes)} |"
        )
    return "\n".join(lines)


def own_client_pairs(cells, server):
    """(state shape, workload suffix, workload, size, own client cell, checkpointer cell) of every
    one-client cell both measured."""
    for shape, suffix in (("messages", ""), ("free-form JSON", "_generic")):
        for workload in ("save", "load"):
            for size in SIZES:
                own = find(cells, server, "own", workload + suffix, size, 1)
                ours = find(cells, server, "ours", workload + suffix, size, 1)
                if own and ours and own["ops"] and ours["ops"]:
                    yield shape, suffix, workload, size, own, ours


def own_client_table(cells, server):
    """The checkpointer against the library's own bare client (same item, same transport): what the
    checkpoint layer costs, per state shape."""
    lines = ["| workload | state | own client p50 ms; cpu | agents-sdk-cpp p50 ms; cpu | p50 ratio | CPU ratio |",
             "|---|---|---|---|---|---|"]
    for shape, _, workload, size, own, ours in own_client_pairs(cells, server):
        lines.append(
            f"| {workload} {size} | {shape} | {fmt(own['p50_ms'])}; {fmt(own['client_cpu_ms_per_op'], 3)} | "
            f"{fmt(ours['p50_ms'])}; {fmt(ours['client_cpu_ms_per_op'], 3)} | "
            f"**{ours['p50_ms'] / own['p50_ms']:.2f}×** | "
            f"**{ours['client_cpu_ms_per_op'] / own['client_cpu_ms_per_op']:.2f}×** |")
    return "\n".join(lines) if len(lines) > 2 else ""


def floor_table(cells, server):
    """The socket floor beside the libcurl floor it replaced (one run, same rounds)."""
    lines = ["| workload | floor (socket) p50 ms; cpu | floor over libcurl p50 ms; cpu | libcurl ÷ socket p50 |",
             "|---|---|---|---|"]
    for workload in ("save", "load"):
        f = find(cells, server, "floor", workload, "1KB", 1)
        c = find(cells, server, "floor_curl", workload, "1KB", 1)
        if f and c and f["ops"] and c["ops"]:
            lines.append(f"| {workload} 1KB | {fmt(f['p50_ms'])}; {fmt(f['client_cpu_ms_per_op'], 3)} | "
                         f"{fmt(c['p50_ms'])}; {fmt(c['client_cpu_ms_per_op'], 3)} | {c['p50_ms'] / f['p50_ms']:.2f}× |")
    return "\n".join(lines) if len(lines) > 2 else ""


def tls_table(cells, server="ddblocal-tls"):
    """TLS cells: p50 (or ops/s with workers), client CPU, and the connections stunnel accepted."""
    lines = ["| cell | " + " | ".join(LABEL[c] for c in CLIENTS) + " |", "|---|" + "---|" * len(CLIENTS)]
    keys = sorted({(r["workload"], r["size"], r["workers"]) for r in cells if r["server"] == server},
                  key=lambda k: (k[2], k[0] != "save", SIZES.index(k[1]) if k[1] in SIZES else 9))
    for workload, size, workers in keys:
        row = []
        for c in CLIENTS:
            r = find(cells, server, c, workload, size, workers)
            if r is None or not r["ops"]:
                row.append("–")
                continue
            if workers == 1:
                text = f"{fmt(r['p50_ms'])} ms"
                if c != "floor" and "p50_ratio_to_floor" in r:
                    text += f" (**{r['p50_ratio_to_floor']:.2f}×**)"
            else:
                text = f"{r['ops_per_s']:.0f}/s"
                if c != "floor" and "ops_per_s_share_of_floor" in r:
                    text += f" (**{100 * r['ops_per_s_share_of_floor']:.0f}%**)"
            text += f"; cpu {fmt(r['client_cpu_ms_per_op'], 3)}"
            if "connections_opened_max" in r:
                calls = r["ops"] + r.get("warmup_ops", 0)
                text += f"; {r['connections_opened_max']} conn ({1000 * r['connections_opened_max'] / max(1, calls):.2f}/1000 calls)"
            row.append(text)
        lines.append(f"| {workload} {size} x{workers} | " + " | ".join(row) + " |")
    return "\n".join(lines) if len(lines) > 2 else ""


def warmup_summary(raw_cells):
    """How long the clients warmed up, and how many records never reached a stable throughput."""
    by_client = {}
    for r in raw_cells:
        if "warmup_s" in r:
            by_client.setdefault(r["client"], []).append(r)
    lines = ["| client | records | warm-up s (median, max) | not stable after 4× the least warm-up |", "|---|---|---|---|"]
    for c in ["floor", "floor_curl"] + CLIENTS[1:]:
        runs = by_client.get(c)
        if not runs:
            continue
        secs = sorted(r["warmup_s"] for r in runs)
        lines.append(f"| {LABEL[c]} | {len(runs)} | {secs[(len(secs) - 1) // 2]:.1f}, {secs[-1]:.1f} | "
                     f"{sum(1 for r in runs if not r.get('warmup_stable'))} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def peer_comparisons(cells, server):
    """Ours against every peer in every cell of `server`: (compared, [cells behind])."""
    behind, compared = [], 0
    for r in cells:
        if r["server"] != server or r["client"] != "ours" or not r["ops"]:
            continue
        for peer in PEERS:
            p = find(cells, server, peer, r["workload"], r["size"], r["workers"])
            if not p or not p["ops"]:
                continue
            compared += 1
            if r["workers"] == 1 and r["p50_ms"] >= p["p50_ms"]:
                behind.append(f"{r['workload']} {r['size']} p50 vs {peer}")
            if r["workers"] > 1 and r["ops_per_s"] <= p["ops_per_s"]:
                behind.append(f"{r['workload']} {r['size']} x{r['workers']} ops/s vs {peer}")
    return compared, behind


def own_client_targets(cells, server):
    out = []
    slow = []
    compared = 0
    for _, suffix, workload, size, own, ours in own_client_pairs(cells, server):
        compared += 1
        ratio = ours["p50_ms"] / own["p50_ms"]
        if ratio > 1.15:
            slow.append(f"{workload}{suffix} {size} {ratio:.2f}×")
    if compared:
        out.append(("checkpointer p50 ≤ 1.15× its own bare client, every size and shape",
                    f"{compared - len(slow)}/{compared} cells" + (f"; over: {', '.join(slow)}" if slow else ""),
                    not slow))
    for suffix, shape in (("", "messages"), ("_generic", "free-form JSON")):
        for workload in ("save", "load"):
            own = find(cells, server, "own", workload + suffix, "350KB", 1)
            ours = find(cells, server, "ours", workload + suffix, "350KB", 1)
            if own and ours and own["ops"] and ours["ops"]:
                ratio = ours["client_cpu_ms_per_op"] / own["client_cpu_ms_per_op"]
                out.append((f"350 KB {workload}, {shape} state: client CPU ≤ 1.5× the bare client's",
                            f"{ratio:.2f}× ({ours['client_cpu_ms_per_op']:.3f} vs {own['client_cpu_ms_per_op']:.3f} ms)",
                            ratio <= 1.5))
    return out


def tls_targets(cells, server="ddblocal-tls"):
    out = []
    tls = [r for r in cells if r["server"] == server and r["ops"]]
    if not tls:
        return out
    handshakes = [f"{r['client']} {r['workload']} {r['size']} x{r['workers']}: {r['connections_opened_max']}"
                  for r in tls if r["client"] in ("ours", "own") and r.get("connections_opened_max", 0) > r["workers"]]
    counted = [r for r in tls if r["client"] in ("ours", "own") and "connections_opened_max" in r]
    out.append(("TLS: no handshake per call (connections opened ≤ workers, ours and own client)",
                f"{len(counted) - len(handshakes)}/{len(counted)} cells" + (f"; over: {'; '.join(handshakes)}" if handshakes else ""),
                bool(counted) and not handshakes))
    for workload in ("save", "load"):
        ours = find(cells, server, "ours", workload, "1KB", 1)
        floor = find(cells, server, "floor", workload, "1KB", 1)
        if ours and floor and ours["ops"] and floor["ops"]:
            ratio = ours["client_cpu_ms_per_op"] / floor["client_cpu_ms_per_op"]
            out.append((f"TLS 1 KB {workload}: client CPU ≤ 1.5× the TLS floor's",
                        f"{ratio:.2f}× ({ours['client_cpu_ms_per_op']:.3f} vs {floor['client_cpu_ms_per_op']:.3f} ms)",
                        ratio <= 1.5))
    compared, behind = peer_comparisons(cells, server)
    if compared:
        out.append(("TLS: ahead of JS SDK v3, boto3 and Go SDK v2 in every cell",
                    f"{compared - len(behind)}/{compared} comparisons" + (f"; behind: {', '.join(behind)}" if behind else ""),
                    not behind))
    return out


def targets(cells, capacity, server):
    """The issue's targets, each as (name, measured text, met?)."""
    out = []

    def cell(client, workload, size, workers=1):
        return find(cells, server, client, workload, size, workers)

    for workload in ("save", "load"):
        r = cell("ours", workload, "1KB")
        if r and "p50_ratio_to_floor" in r:
            out.append((f"1 KB {workload} p50 ≤ 1.25× floor", f"{r['p50_ratio_to_floor']:.2f}×",
                        r["p50_ratio_to_floor"] <= 1.25))
            out.append((f"1 KB {workload} client CPU ≤ 0.06 ms (issue 9's absolute figure)", f"{r['client_cpu_ms_per_op']:.3f} ms",
                        r["client_cpu_ms_per_op"] <= 0.06))
    r = cell("ours", "load", "350KB")
    if r and "p50_ratio_to_floor" in r:
        out.append(("350 KB load p50 ≤ 1.2× floor", f"{r['p50_ratio_to_floor']:.2f}×", r["p50_ratio_to_floor"] <= 1.2))
        out.append(("350 KB load client CPU ≤ 0.8 ms (issue 9's absolute figure)", f"{r['client_cpu_ms_per_op']:.3f} ms",
                    r["client_cpu_ms_per_op"] <= 0.8))
    for workload in ("save", "load"):
        r = cell("ours", workload, "1KB", 8)
        if r and "ops_per_s_share_of_floor" in r:
            share = r["ops_per_s_share_of_floor"]
            out.append((f"8 workers 1 KB {workload} ≥ 80% of floor ops/s", f"{100 * share:.0f}%", share >= 0.8))
    out += own_client_targets(cells, server)
    compared, behind = peer_comparisons(cells, server)
    if compared:
        out.append(("ahead of JS SDK v3, boto3 and Go SDK v2 in every cell",
                    f"{compared - len(behind)}/{compared} comparisons" + (f"; behind: {', '.join(behind)}" if behind else ""),
                    not behind))
    plain_turns = [c for c in capacity if c["server"] == server and c["compression"] == "auto" and c["layout"] == "plain"]
    if plain_turns:
        exact = all(c["turn_calls"] == {"GetItem": 1, "PutItem": 1} for c in plain_turns)
        out.append(("agent turn on a plain state: exactly 1 GetItem + 1 PutItem",
                    "; ".join(f"{c['size']}: {c['turn_calls']}" for c in plain_turns if c["size"].startswith("t")),
                    exact))
    plain = next((c for c in capacity if c["server"] == server and c["size"] == "t100" and c["compression"] == "auto"), None)
    packed = next((c for c in capacity if c["server"] == server and c["size"] == "t100" and c["compression"] == "always"), None)
    if plain and packed and packed["wcu_per_save"]:
        ratio = plain["wcu_per_save"] / packed["wcu_per_save"]
        out.append(("compression: ≥ 3× fewer WCU per save (100 turns)",
                    f"{plain['wcu_per_save']:g} → {packed['wcu_per_save']:g} WCU ({ratio:.1f}×)", ratio >= 3))
    return out


def conversation_table(runs):
    """The 500-turn conversation, plain and incremental saves side by side (issue 11)."""
    lines = ["| server | layout | bytes sent at turn 10 / 200 | WCU at turn 10 / 200 | WCU per turn, turns 1-20 / 191-210 "
             "| WCU for all turns | load p50 / p90 ms |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        for layout in ("plain", "incremental"):
            x = r[layout]
            b, w = x["bytes_by_turn"], x["wcu_by_turn"]
            late = min(200, len(w))
            window = lambda v, a, z: sum(v[a - 1:z]) / (z - a + 1)
            lines.append(f"| {r['server']} | {layout} | {b[9]:.0f} / {b[late - 1]:.0f} | {w[9]:g} / {w[late - 1]:g} | "
                         f"{window(w, 1, 20):.2f} / {window(w, late - 9, min(late + 10, len(w))):.2f} | "
                         f"{x['total_wcu']:.0f} | {x['load_ms_p50']:.2f} / {x['load_ms_p90']:.2f} |")
        if "incremental_cached_load_ms_p50" in r:
            lines.append(f"| {r['server']} | incremental, warm worker (segment cache) | | | | | "
                         f"{r['incremental_cached_load_ms_p50']:.2f} / |")
    return "\n".join(lines)


def conversation_targets(runs, server):
    out = []
    for r in runs:
        if r["server"] != server:
            continue
        t = r["targets"]
        out.append(("incremental: bytes sent at turn 200 ≤ 1.5× turn 10", f"{t['bytes_t200_over_t10']:.2f}×",
                    t["bytes_t200_over_t10"] <= 1.5))
        out.append(("incremental: WCU at turn 200 ≤ 1.5× turn 10", f"{t['wcu_t200_over_t10']:.2f}×",
                    t["wcu_t200_over_t10"] <= 1.5))
        out.append(("incremental: total WCU for 500 turns ≥ 20× lower than plain",
                    f"{t['plain_total_wcu_over_incremental']:.1f}×", t["plain_total_wcu_over_incremental"] >= 20))
        out.append(("incremental: load of the 500-turn thread ≤ 2× plain (p50)",
                    f"{t['incremental_load_p50_over_plain']:.2f}×", t["incremental_load_p50_over_plain"] <= 2))
    return out


def history_table(runs):
    """The cost of checkpoint history (issue 21): with_history(keep_last) vs none, side by side."""
    lines = ["| server | layout | turns | WCU total | WCU per turn | MB sent | RCU total | stored KB | save p50 ms |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        for layout in ("incremental", "incremental+history", "plain", "plain+history"):
            x = r[layout]
            lines.append(f"| {r['server']} | {layout}{' (keep_last ' + str(r['keep_last']) + ')' if 'history' in layout else ''} "
                         f"| {x['turns']} | {x['total_wcu']:.0f} | {x['total_wcu'] / x['turns']:.2f} | "
                         f"{x['bytes_sent'] / 1e6:.2f} | {x['total_rcu']:.0f} | {x['stored_bytes'] / 1024:.1f} | "
                         f"{x.get('save_ms_p50', 0):.2f} |")
    return "\n".join(lines)


def history_targets(runs, server):
    return [("history: incremental, keep_last 20: WCU ≤ 1.5× without history",
             f"{r['targets']['incremental_history_wcu_ratio']:.2f}×",
             r["targets"]["incremental_history_wcu_ratio"] <= 1.5) for r in runs if r["server"] == server]


def chart(cells, servers, path_png):
    gnuplot = shutil.which("gnuplot")
    if not servers:
        return False  # nothing but the conversation was run
    if not gnuplot:
        print("report: gnuplot not found; no chart", file=sys.stderr)
        return False
    base = os.path.splitext(path_png)[0]
    panels = []
    for server in servers:
        data = f"{base}-{server}.dat"
        rows = []
        for workers in (1, 8):
            for workload in ("save", "load"):
                for size in SIZES:
                    vals = []
                    for c in ("ours", "js", "boto3", "go"):
                        r = find(cells, server, c, workload, size, workers)
                        if workers == 1:
                            v = r.get("p50_ratio_to_floor") if r else None
                        else:
                            # floor ops/s ÷ ops/s: time per op relative to the floor, like the p50s
                            share = r.get("ops_per_s_share_of_floor") if r else None
                            v = 1 / share if share else None
                        vals.append(f"{v:.3f}" if v else "NaN")
                    if any(v != "NaN" for v in vals):
                        label = f"{workload} {size}" + ("\\n8 workers" if workers == 8 else "\\n1 client")
                        rows.append(f'"{label}" ' + " ".join(vals))
        if not rows:
            continue
        with open(data, "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
        panels.append((server, data))
    height = 420 * len(panels)
    script = [
        f"set terminal pngcairo size 1200,{height} font 'DejaVu Sans,10'",
        f"set output '{path_png}'",
        f"set multiplot layout {len(panels)},1",
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.9",
        "set grid ytics",
        "set key top left",
        "set xrange [-0.6:*]",
        "set yrange [0:*]",
        "set ylabel 'time per op ÷ floor (1 = floor)'",
        "set bmargin 4",
        "set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb '#444444'",
    ]
    for server, data in panels:
        script += [
            f"set title 'Ratio to the raw floor on {server}"
            + (" (primary)" if server == servers[0] else " (secondary)")
            + ": p50 latency with 1 client; floor ops/s ÷ ops/s with 8 workers (lower is better)'",
            f"plot '{data}' using 2:xtic(1) title 'agents-sdk-cpp' lc rgb '#1b9e77', "
            "'' using 3 title 'JS SDK v3' lc rgb '#d95f02', '' using 4 title 'boto3' lc rgb '#7570b3', "
            "'' using 5 title 'Go SDK v2' lc rgb '#e7298a'",
        ]
    script.append("unset multiplot")
    subprocess.run([gnuplot], input="\n".join(script) + "\n", text=True, check=True)
    return True


def dumps_one_record_per_line(result):
    """JSON with one line per top-level key, and one line per record of the lists: diffable."""
    parts = []
    for k, v in result.items():
        if isinstance(v, list):
            body = ",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in v)
            parts.append(f" {json.dumps(k)}: [\n{body}\n ]" if v else f" {json.dumps(k)}: []")
        else:
            parts.append(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main():
    out_dir = sys.argv[1]
    raw_cells = load_jsonl(os.path.join(out_dir, "cells.jsonl"))
    capacity = load_jsonl(os.path.join(out_dir, "capacity.jsonl"))
    micro = load_json(os.path.join(out_dir, "micro.json"), {})
    meta = {}
    environment = load_json(os.path.join(out_dir, "environment.json"), {})
    with open("/proc/loadavg", encoding="ascii") as f:
        environment["load_average_at_end"] = " ".join(f.read().split()[:3])
    connections = load_jsonl(os.path.join(out_dir, "connections.jsonl"))
    for c in connections:
        if c["record"] < len(raw_cells):
            raw_cells[c["record"]]["connections_opened"] = c["connections_opened"]
    cells = median_rounds(raw_cells)
    add_ratios(cells)
    servers = [s for s in ("ddblocal", "dynalite") if any(r["server"] == s for r in cells)]
    primary = servers[0] if servers else "ddblocal"
    # The states every client sent (sizes, messages) and the server's answer to a plain 2 MB item.
    meta = load_json(os.path.join(out_dir, f"states-{primary}", "meta.json"), {})

    conversation = load_jsonl(os.path.join(out_dir, "conversation.jsonl"))
    history = load_jsonl(os.path.join(out_dir, "history.jsonl"))
    checks = (targets(cells, capacity, primary) + tls_targets(cells) + conversation_targets(conversation, primary) +
              history_targets(history, primary))
    md = []
    for server in servers:
        tag = " (primary)" if server == primary else " (secondary)"
        md.append(f"#### {server}{tag}: one client, p50 / p99 ms (p50 ratio to the floor); client CPU + server CPU ms per op\n")
        md.append(latency_table(cells, server, ("save", "load", "save_zstd", "load_zstd"), SIZES + ["2MB"]))
        md.append("")
        turns = latency_table(cells, server, ("turn",), TURNS)
        if turns:
            md += [turns, ""]
        workers8 = throughput_table(cells, server, 8)
        if workers8:
            md.append(f"#### {server}{tag}: 8 workers, ops/s (share of the floor's); client CPU + server CPU ms per op\n")
            md += [workers8, ""]
        own = own_client_table(cells, server)
        if own:
            md.append(f"#### {server}{tag}: the checkpointer against its own bare client, one client\n")
            md += [own, ""]
        floors = floor_table(cells, server)
        if floors:
            md.append(f"#### {server}{tag}: the socket floor beside the libcurl floor, one client\n")
            md += [floors, ""]
    tls = tls_table(cells)
    if tls:
        md.append("#### ddblocal-tls: DynamoDB Local behind stunnel4 (TLS); p50 (ratio to the TLS floor) or 8-worker ops/s "
                  "(share); client CPU ms per op; connections stunnel accepted (most of any round; per 1,000 calls "
                  "including the warm-up)\n")
        md += [tls, ""]
    warm = warmup_summary(raw_cells)
    if warm:
        md.append("#### Warm-up: until three windows' throughput agreed within 10 % (at least the set warm-up)\n")
        md += [warm, ""]
    cap_primary = [c for c in capacity if c["server"] == primary]
    if cap_primary:
        md.append(f"#### Capacity units per operation ({primary}, ReturnConsumedCapacity) and on-demand cost\n")
        md.append(capacity_table(cap_primary, meta))
        md.append("")
    if conversation:
        md.append("#### A 500-turn conversation (~1 KB per turn): plain vs incremental saves\n")
        md.append(conversation_table(conversation))
        md.append("")
    if history:
        md.append("#### Checkpoint history: with_history(keep_last) vs none (checkpoint_bench history)\n")
        md.append(history_table(history))
        md.append("")
    if micro:
        md.append("#### Hot-path micro benchmarks (hot_path_bench)\n")
        md.append(micro_table(micro))
        md.append("")
    md.append(f"#### Targets ({primary})\n")
    md.append("| target | measured | met |\n|---|---|---|")
    for name, measured, ok in checks:
        md.append(f"| {name} | {measured} | {'yes' if ok else '**no**'} |")
    table = "\n".join(md) + "\n"
    with open(os.path.join(out_dir, "table.md"), "w", encoding="utf-8") as f:
        f.write(table)

    png = os.path.join(out_dir, "latency-ratio.png")
    has_chart = chart(cells, servers, png)
    result = {
        "environment": environment,
        "states": meta,
        "cells": cells,
        "raw_cells": raw_cells,
        "capacity": capacity,
        "conversation": [{k: v for k, v in r.items()} for r in conversation],
        "history": history,
        "micro": [
            {k: b[k] for k in ("name", "real_time", "cpu_time", "time_unit", "bytes_per_second", "body_bytes", "ratio")
             if k in b}
            for b in micro.get("benchmarks", [])
            if b.get("run_type") != "aggregate" or b.get("aggregate_name") == "median"
        ],
        "targets": [{"target": n, "measured": m, "met": ok} for n, m, ok in checks],
        "chart": os.path.basename(png) if has_chart else None,
    }
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
        f.write(dumps_one_record_per_line(result))

    print(table)
    errors = [r for r in raw_cells if r.get("errors")]
    for r in errors:
        print(f"report: {r['server']} {r['client']} {r['workload']} {r['size']} x{r['workers']}: "
              f"{r['errors']} errors, first: {r.get('first_error', '')}", file=sys.stderr)
    print(f"report: {len(cells)} cells; {os.path.join(out_dir, 'results.json')}, table.md"
          + (", latency-ratio.png" if has_chart else ""))


if __name__ == "__main__":
    main()
