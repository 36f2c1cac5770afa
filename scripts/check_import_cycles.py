"""Fail when the engine's modules import each other in a circle (``make lint``).

import-linter's contracts say which layers may import which; this check says no module of
deploy_studio.core reaches itself again through its imports (function-level imports count).
"""

from __future__ import annotations

import sys

import grimp


def cycles(package: str) -> list[list[str]]:
    graph = grimp.build_graph(package)
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in adj[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for m in sorted(adj):
        if m not in index:
            visit(m)
    return found


def main() -> int:
    found = cycles("deploy_studio.core")
    for comp in found:
        print("import cycle: " + " <-> ".join(comp))
    if found:
        print("cut each cycle: move the shared code into a module both import")
        return 1
    print("no import cycles in deploy_studio.core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
