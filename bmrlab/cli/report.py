"""What the commands print about runs: one run's figures (``run``, ``analyze``), a recipe's
outcome table, and the number format they share."""

import json

from ..standard import TABLE1

FLAGS = ("on_off_lower_bound", "retention_censored")  # beside the figures they qualify


def run_report(result, device: str, as_json: bool) -> None:
    figures = {k: result.figures[k] for k in TABLE1 if k in result.figures}
    # what a protocol finds beyond Table 1: fits, PPF indices, spike counts ...
    results = {k: v for k, v in result.figures.items() if k not in {*TABLE1, *FLAGS, "stats"}}
    if as_json:
        print(json.dumps({"device": device, "protocol": result.protocol,
                          "status": result.status, "reason": result.reason,
                          "file": str(result.path), "run": result.run, "figures": figures,
                          **{k: result.figures[k] for k in FLAGS if k in result.figures},
                          "stats": result.figures.get("stats", {}), "results": results,
                          "files": [str(p) for p in result.figure_files]}, default=str))
        return
    print(f"{result.protocol} on {device}: {result.status}"
          + (f" ({result.reason})" if result.reason else ""))
    print(f"  run      {result.run}")
    print(f"  file     {result.path}")
    stats = result.figures.get("stats", {})
    for key, value in figures.items():
        spread = stats.get(key, {})
        line = f"  {key:<13} {format_value(value)}"
        if spread.get("n"):
            line += (f"   (5-95 %: {format_value(spread['p5'])} .. "
                     f"{format_value(spread['p95'])}, n = {spread['n']})")
        elif value is None and spread.get("reason"):
            line = f"  {key:<13} {spread['reason']}"
        if key == "on_off_ratio" and result.figures.get("on_off_lower_bound"):
            line += "\n                lower bound: the HRS read is at the instrument's floor"
        if key == "retention_ms" and result.figures.get("retention_censored"):
            line += "\n                censored: the state outlasted the read-out window"
        print(line)
    fit = results.pop("delay_fit", None)
    if fit:
        print(f"  delay fit     V0 {fit['V0_mV']:.1f} mV, tau0 {fit['tau0_s'] * 1e3:.3g} ms"
              + ("" if fit["form"] == "sinh" else
                 f", tau_x {fit['tau_x_s'] * 1e3:.3g} ms, DC threshold {fit['V_th_mV']:.0f} mV")
              + f" ({fit['points']} amplitudes)")
    for key, value in results.items():
        print(f"  {key:<13} {json.dumps(value, default=str)}")
    for path in result.figure_files:
        print(f"  figure   {path}")


def recipe_report(recipe, out, outcomes, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"recipe": recipe.name, "file": str(out), "runs": [
            {"device": o.planned.device.id, "protocol": o.planned.protocol,
             "step": o.planned.key, "status": o.status, "reason": o.reason, "run": o.run,
             "figures": table1(o.figures)}
            for o in outcomes]}, default=str))
        return
    print(f"{recipe.name}: {len(outcomes)} runs into {out}")
    print(f"  {'device':<8} {'protocol':<13} {'status':<9} figures")
    for o in outcomes:
        shown = ", ".join(f"{k} {format_value(v)}" for k, v in table1(o.figures).items()
                          if v is not None)
        note = o.reason if o.status not in ("finished", "resumed") else shown
        print(f"  {o.planned.device.id:<8} {o.planned.protocol:<13} {o.status:<9} {note}")


def table1(figures: dict) -> dict:
    """The Table 1 columns among a run's figures, in Table 1's order."""
    return {k: figures[k] for k in TABLE1 if k in figures}


def format_value(value) -> str:
    if value is None:
        return "not found"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) >= 1e4 or abs(value) < 1e-2 else f"{value:.1f}"
    return str(value)
