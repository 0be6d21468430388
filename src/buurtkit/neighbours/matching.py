"""The matching itself, without the database: pre-filter, score, pair.

1. **Pre-filter** (:func:`candidate_pairs`): a grid of 250 m cells; each participant looks in
   rings of cells around them, nearest first, up to their own maximum distance, and keeps at
   most ``per_person`` candidates that are in the same neighbourhood or within both people's
   maximum distance. Someone without a location gets candidates from their neighbourhood.
   Never all n² pairs.
2. **Score** every candidate pair with the compiled rules (:mod:`buurtkit.neighbours.rules`).
3. **Pair** (:func:`best_pairing`): maximum-weight matching (rustworkx, exact) per connected
   component. In a real town the candidate graph is one large component: one larger than
   ``max_exact`` nodes is matched exactly per neighbourhood first and its left-over people
   again together (the run's figures say when that happened). ADR 0010 gives the measured
   gap to the optimum (about 4 %) and the time of one exact matching over everything.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence

import rustworkx as rx

from buurtkit.neighbours.facts import Profile

CELL_M = 125.0
PER_PERSON = 20
MAX_EXACT = 3_000  # one exact matching of 8,700 people takes 3.6-7 s (ADR 0010)


def candidate_pairs(
    profiles: Sequence[Profile], *, per_person: int = PER_PERSON
) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)`` with ``i < j`` worth scoring (see the module doc)."""
    grid: dict[tuple[int, int], list[tuple[float, float, int, str, int]]] = defaultdict(list)
    by_area: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        if p.x is not None and p.y is not None:
            cell = (int(p.x // CELL_M), int(p.y // CELL_M))
            grid[cell].append((p.x, p.y, p.max_distance_m, p.neighbourhood, i))
        if p.neighbourhood:
            by_area[p.neighbourhood].append(i)
    # No location, no distance to sort by: the neighbourhood in a fixed shuffled circle, and
    # each such person takes the ones after them (a fair, deterministic spread).
    circles: dict[str, tuple[list[int], dict[int, int]]] = {}
    for area, members in by_area.items():
        circle = sorted(members, key=lambda j: (zlib.crc32(str(profiles[j].id).encode()), j))
        circles[area] = (circle, {j: pos for pos, j in enumerate(circle)})
    pairs: set[tuple[int, int]] = set()
    for i, p in enumerate(profiles):
        if p.x is None or p.y is None:
            if not p.neighbourhood:
                continue
            circle, position = circles[p.neighbourhood]
            start, size = position[i], len(circle)
            chosen = [circle[(start + s) % size] for s in range(1, min(per_person, size - 1) + 1)]
        else:
            chosen = _nearest(i, p.x, p.y, p.max_distance_m, p.neighbourhood, grid, per_person)
        for j in chosen:
            pairs.add((i, j) if i < j else (j, i))
    return pairs


def _nearest(
    i: int,
    px: float,
    py: float,
    reach: int,
    area: str,
    grid: dict[tuple[int, int], list[tuple[float, float, int, str, int]]],
    k: int,
) -> list[int]:
    """The ``k`` nearest acceptable candidates, scanning rings of cells outwards."""
    cx, cy = int(px // CELL_M), int(py // CELL_M)
    reach2 = reach * reach
    found: list[tuple[float, int]] = []
    for r in range(math.ceil(reach / CELL_M) + 1):
        if len(found) >= k:
            found.sort()
            if ((r - 1) * CELL_M) ** 2 > found[k - 1][0]:
                break  # every cell further out is further than the k-th candidate
        if r == 0:
            cells = [(cx, cy)]
        else:
            cells = [(cx + dx, cy + r) for dx in range(-r, r + 1)]
            cells += [(cx + dx, cy - r) for dx in range(-r, r + 1)]
            cells += [(cx + r, cy + dy) for dy in range(-r + 1, r)]
            cells += [(cx - r, cy + dy) for dy in range(-r + 1, r)]
        for cell in cells:
            for qx, qy, q_reach, q_area, j in grid.get(cell, ()):
                d2 = (px - qx) ** 2 + (py - qy) ** 2
                if (
                    d2 <= reach2
                    and j != i
                    and (d2 <= q_reach * q_reach or (area and q_area == area))
                ):
                    found.append((d2, j))
    found.sort()
    return [j for _d, j in found[:k]]


def best_pairing(
    edges: dict[tuple[int, int], float],
    *,
    max_exact: int = MAX_EXACT,
    group_of: Callable[[int], str] | None = None,
    stats: dict[str, int] | None = None,
) -> list[tuple[int, int]]:
    """A one-to-one pairing of maximum total weight (pairs ``(i, j)``, ``i < j``).

    Exact (rustworkx's blossom algorithm) per connected component of up to ``max_exact``
    nodes. A larger component is matched exactly per ``group_of(node)`` (the neighbourhood),
    then the people left unmatched are matched again together.
    """
    stats = stats if stats is not None else {}
    positive = {pair: w for pair, w in edges.items() if w > 0}
    graph = rx.PyGraph()
    graph.add_nodes_from(range(max((max(p) for p in positive), default=-1) + 1))
    graph.add_edges_from([(i, j, w) for (i, j), w in positive.items()])
    chosen: list[tuple[int, int]] = []
    for nodes in rx.connected_components(graph):
        if len(nodes) < 2:
            continue
        stats["components"] = stats.get("components", 0) + 1
        stats["largest_component"] = max(stats.get("largest_component", 0), len(nodes))
        chosen.extend(_match(graph, sorted(nodes), max_exact, group_of, stats, depth=0))
    return sorted((min(a, b), max(a, b)) for a, b in chosen)


def _exact(graph: rx.PyGraph, nodes: list[int]) -> list[tuple[int, int]]:
    sub = graph.subgraph(nodes)  # renumbered; a node's payload is its index in ``graph``
    # Integer weights (thousandths) keep the algorithm in exact integer arithmetic.
    pairs = rx.max_weight_matching(sub, weight_fn=lambda w: round(w * 1000))
    return [(sub[a], sub[b]) for a, b in pairs]


def _match(
    graph: rx.PyGraph,
    nodes: list[int],
    max_exact: int,
    group_of: Callable[[int], str] | None,
    stats: dict[str, int],
    depth: int,
) -> list[tuple[int, int]]:
    if len(nodes) <= max_exact:
        return _exact(graph, nodes)
    if depth >= 2 or group_of is None:
        stats["greedy_components"] = stats.get("greedy_components", 0) + 1
        return _greedy(graph, nodes)
    stats["split_components"] = stats.get("split_components", 0) + 1
    groups: dict[str, list[int]] = defaultdict(list)
    for n in nodes:
        groups[group_of(n)].append(n)
    matched: list[tuple[int, int]] = []
    for members in groups.values():
        stats["parts"] = stats.get("parts", 0) + 1
        matched.extend(_match(graph, members, max_exact, None, stats, depth + 1))
    used = {n for pair in matched for n in pair}
    rest = graph.subgraph([n for n in nodes if n not in used])
    for part in rx.connected_components(rest):
        if len(part) > 1:
            members = sorted(rest[k] for k in part)
            matched.extend(_match(graph, members, max_exact, None, stats, depth + 1))
    return matched


def _greedy(graph: rx.PyGraph, nodes: list[int]) -> list[tuple[int, int]]:
    sub = graph.subgraph(nodes)
    used: set[int] = set()
    out = []
    for a, b, _w in sorted(sub.weighted_edge_list(), key=lambda e: (-e[2], e[0], e[1])):
        if a not in used and b not in used:
            used |= {a, b}
            out.append((sub[a], sub[b]))
    return out
