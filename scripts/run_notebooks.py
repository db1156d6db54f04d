"""Executes grasplab notebooks headless on the tslab kernel and exports each as HTML.

Called by scripts/run-notebooks.ts (npm run reproduce / npm test), which sets JUPYTER_PATH and PATH so the
project-local tslab kernel is found. Any cell whose execute reply is not 'ok' fails the run: tslab reports a failing
cell as stderr text plus an 'error' reply (not always an error output) and then aborts the queued cells, so checking
outputs alone would miss failures.
"""
import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter


class CellFailed(Exception):
    pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--html-dir", required=True)
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = ap.parse_args()
    os.makedirs(args.html_dir, exist_ok=True)
    for path in args.notebooks:
        name = os.path.basename(path)
        nb = nbformat.read(path, as_version=4)
        failures = []

        def on_executed(cell, cell_index, execute_reply, _name=name):
            status = execute_reply.get("content", {}).get("status")
            if status != "ok":
                text = "".join(
                    o.get("text", "") if o.get("output_type") == "stream" else "\n".join(o.get("traceback", []))
                    for o in cell.get("outputs", [])
                )
                first = cell.get("source", "").strip().splitlines()[:3]
                failures.append((cell_index, status, first, text))
                raise CellFailed(f"{_name}: cell {cell_index} status {status}")

        client = NotebookClient(
            nb,
            kernel_name="tslab",
            timeout=args.timeout,
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
            on_cell_executed=on_executed,
        )
        t0 = time.time()
        print(f"[notebooks] {name}: executing ...", flush=True)
        try:
            client.execute()
        except Exception as e:  # CellFailed, CellExecutionError, timeouts, dead kernels
            if failures:
                idx, status, first, text = failures[0]
                print(f"[notebooks] FAILED {name}, code cell index {idx} ({status}):", file=sys.stderr)
                for line in first:
                    print(f"    | {line}", file=sys.stderr)
                print(text.strip()[-4000:] or str(e), file=sys.stderr)
            else:
                print(f"[notebooks] FAILED {name}: {type(e).__name__}: {str(e)[-4000:]}", file=sys.stderr)
            write_html(nb, args.html_dir, name)
            return 1
        html = write_html(nb, args.html_dir, name)
        print(f"[notebooks] {name}: ok in {time.time() - t0:.1f} s -> {html}", flush=True)
        print(f"[notebooks]   cell seconds: {cell_seconds(nb)}", flush=True)
    return 0


def cell_seconds(nb):
    """Seconds per code cell from nbclient's timing metadata, to see where a notebook spends its time."""
    from datetime import datetime

    out = []
    for i, c in enumerate(nb.cells):
        ex = c.get("metadata", {}).get("execution", {})
        a, b = ex.get("iopub.status.busy"), ex.get("iopub.status.idle") or ex.get("shell.execute_reply")
        if c.cell_type == "code" and a and b:
            d = datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00"))
            out.append(f"{i}:{d.total_seconds():.1f}")
    return " ".join(out)


def write_html(nb, html_dir, name):
    body, _ = HTMLExporter().from_notebook_node(nb)
    out = os.path.join(html_dir, os.path.splitext(name)[0] + ".html")
    with open(out, "w", encoding="utf-8") as f:
        f.write(body)
    return out


if __name__ == "__main__":
    sys.exit(main())
