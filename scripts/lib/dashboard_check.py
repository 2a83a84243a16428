"""Checks Grafana dashboards and prints their queries as a Prometheus rule
file, so that promtool parses each one as PromQL.

Fails (exit 1, with the file and panel) when a dashboard is not valid JSON,
lacks its uid or the datasource variable, reuses a panel id, overlaps two
panels, or has a panel without a query, a title or the datasource variable.
"""
import json
import re
import sys

GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
}


def fail(path, message):
    sys.exit(f"dashboard_check: {path}: {message}")


def check(path):
    try:
        with open(path) as f:
            dashboard = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        fail(path, f"not valid JSON: {err}")
    if not dashboard.get("uid") or not dashboard.get("title"):
        fail(path, "needs a uid and a title")
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource":
        fail(path, "needs a datasource variable, so it imports into any Grafana")
    seen_ids, cells, queries = set(), set(), []
    for panel in dashboard.get("panels", []):
        where = f"panel {panel.get('id')} {panel.get('title')!r}"
        if panel.get("id") in seen_ids:
            fail(path, f"{where}: id used twice")
        seen_ids.add(panel.get("id"))
        grid = panel.get("gridPos", {})
        for x in range(grid.get("x", 0), grid.get("x", 0) + grid.get("w", 0)):
            for y in range(grid.get("y", 0), grid.get("y", 0) + grid.get("h", 0)):
                if (x, y) in cells:
                    fail(path, f"{where}: overlaps another panel at x={x} y={y}")
                cells.add((x, y))
        if grid.get("x", 0) + grid.get("w", 0) > 24:
            fail(path, f"{where}: wider than the 24-column grid")
        if panel.get("type") == "row":
            continue
        if not panel.get("title") or not panel.get("description"):
            fail(path, f"{where}: needs a title and a description")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            fail(path, f"{where}: must use the datasource variable")
        targets = panel.get("targets") or []
        if not targets:
            fail(path, f"{where}: has no query")
        for target in targets:
            expr = target.get("expr", "").strip()
            if not expr:
                fail(path, f"{where}: query {target.get('refId')} is empty")
            for name, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(name, value)
            # Dashboard variables ($gateway_job, ...) are label regexes.
            expr = re.sub(r"\$\{?([a-z_]+)\}?", lambda m: ".+" if m.group(1) in variables else m.group(0), expr)
            if "$" in expr:
                fail(path, f"{where}: unknown variable in {expr!r}")
            queries.append((where, expr))
    return queries


def main():
    rules = []
    for path in sys.argv[1:]:
        for where, expr in check(path):
            rules.append({"record": f"dashboard:query_{len(rules)}", "expr": expr})
    if not rules:
        sys.exit("dashboard_check: no dashboard queries found")
    # JSON is YAML: promtool reads this as a rule file.
    print(json.dumps({"groups": [{"name": "dashboard_queries", "rules": rules}]}, indent=1))


if __name__ == "__main__":
    main()
