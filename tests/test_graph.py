"""Computational graphs (issue 15): `ts.graph(f)`, `ts.graph(ts.grad(f))`, `ts.graph(ts.jvp(f))`.

The SVG tests read the picture Graphviz's `dot` drew, through the structure its SVG has (each
node a `<g class="node">` whose `<title>` is the node's name, each edge a `<g class="edge">`
titled `a->b`). They skip where `dot` (Debian's graphviz package) is missing, unless
TANGENT_SRC_GRAPH_TESTS=required (.ci/run sets it once it has installed graphviz): then they fail.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tangent_src as ts
from tangent_src.codegen.graph import GraphvizNotFound

SVG = "{http://www.w3.org/2000/svg}"


def needs_dot() -> None:
    if shutil.which("dot") and importlib.util.find_spec("graphviz"):
        return
    if os.environ.get("TANGENT_SRC_GRAPH_TESTS") == "required":
        pytest.fail("Graphviz's dot or the graphviz package is missing, and .ci/run asked for the graph tests")
    pytest.skip("no Graphviz dot (apt-get install graphviz; .ci/run does) or no graphviz package")


def drawn(svg: str) -> tuple[dict[str, str], dict[tuple[str, str], set[str]], dict[str, str]]:
    """(node name -> its text, (tail, head) -> the edge's classes, cluster name -> its label) of an SVG."""
    root = ET.fromstring(svg)
    nodes, edges, clusters = {}, {}, {}
    for group in root.iter(f"{SVG}g"):
        classes = set((group.get("class") or "").split())
        title = group.findtext(f"{SVG}title")
        text = "\n".join(t.text or "" for t in group.iter(f"{SVG}text"))
        if "node" in classes:
            nodes[title] = text
        elif "edge" in classes:
            tail, head = title.split("->")
            edges[(tail, head)] = classes
        elif "cluster" in classes:
            clusters[title] = text
    return nodes, edges, clusters


def named(nodes: dict[str, str], text: str) -> str:
    """The one node whose text has `text`."""
    found = [name for name, shown in nodes.items() if text in shown]
    assert len(found) == 1, (text, found, nodes)
    return found[0]


def f(x, y):
    return np.sin(x + y ** 2)


def helper(a):
    return a * 2.0


def looped(x, T=3):
    s = 0.0
    for t in range(T):
        s = s + helper(x) * t
        if s > 1.0:
            s = s * 0.5
    k = 0
    while k < 3:
        s = s * x
        k = k + 1
        if np.sum(s) > 100.0:
            break
    return np.sum(s)


def test_function_graph_has_its_normalized_statements_and_their_dependencies():
    needs_dot()
    nodes, edges, _ = drawn(ts.graph(f).svg())
    power, add, sine = named(nodes, "y ** 2"), named(nodes, "x + "), named(nodes, "np.sin(")
    assert {"x", "y"} <= set(nodes)
    assert "operator.pow" in nodes[power] and "numpy.sin" in nodes[sine]  # the rule each applies
    for edge in [("x", add), ("y", power), (power, add), (add, sine)]:
        assert edge in edges and "data" in edges[edge], (edge, edges)
    assert ("x", power) not in edges and ("y", sine) not in edges


def test_nodes_are_named_as_the_generated_code_names_them():
    graph = ts.graph(f)
    assert [n.label.split("\n")[0] for n in graph.nodes.values() if n.kind == "statement"] == \
        ["t1 = y ** 2", "t2 = x + t1", "out = np.sin(t2)"]
    source = ts.source(ts.grad(f))
    for name in ("t1", "t2", "out"):
        assert f"{name} = " in source


def test_gradient_graph_has_both_sweeps_each_adjoint_linked_to_its_primal_statement():
    needs_dot()
    graph = ts.graph(ts.grad(f, wrt=(0, 1)))
    nodes, edges, clusters = drawn(graph.svg())
    assert "forward sweep" in clusters.values() and "reverse sweep" in clusters.values()
    power, add, sine = named(nodes, "y ** 2"), named(nodes, "x + t1"), named(nodes, "np.sin(t2)")
    links = {tail: head for (tail, head), classes in edges.items() if "link" in classes}
    assert links[named(nodes, "np.cos(t2) * bout")] == sine
    assert links[named(nodes, "bx = unbroadcast(bt2")] == add
    assert links[named(nodes, "bt1 = unbroadcast(bt2")] == add
    assert links[named(nodes, "by = 2 * y * bt1")] == power
    assert links[named(nodes, "scalar_seed(out")] == sine  # the seed: the adjoint of the result
    reverse = [n.id for n in graph.nodes.values() if n.side == "reverse"]
    forward = {n.id for n in graph.nodes.values() if n.side == "forward"}
    assert reverse and all(links.get(r) in forward for r in reverse)
    assert {power, add, sine, "x", "y"} <= forward
    # the adjoints' own dependencies, beside the values of the forward sweep they read
    assert "data" in edges[(named(nodes, "scalar_seed(out"), named(nodes, "np.cos(t2) * bout"))]
    assert "reads" in edges[(add, named(nodes, "np.cos(t2) * bout"))]
    tree = ast.parse(ts.source(ts.grad(f, wrt=(0, 1))))
    written = {ast.unparse(s) for s in ast.walk(tree) if isinstance(s, ast.stmt)}
    for node in graph.nodes.values():  # every statement as the generated code writes it
        if node.kind == "statement":
            assert node.label.split("\n")[0] in written, node.label


def test_forward_mode_graph_puts_tangents_beside_the_primal_statements():
    needs_dot()
    graph = ts.graph(ts.jvp(f))
    nodes, edges, clusters = drawn(graph.svg())
    assert {"primal statements", "tangent statements (forward mode)"} <= set(clusters.values())
    links = {tail: head for (tail, head), classes in edges.items() if "link" in classes}
    assert links[named(nodes, "np.cos(t2) * dt2")] == named(nodes, "np.sin(t2)")
    assert links[named(nodes, "broadcast_like(dx")] == named(nodes, "x + t1")
    assert links["dx"] == "x"
    assert {n.side for n in graph.nodes.values() if n.id.startswith("d")} == {"tangent"}


def test_vjp_and_value_and_grad_graphs():
    for derivative in (ts.vjp(f), ts.value_and_grad(f, wrt=1)):
        graph = ts.graph(derivative)
        assert {n.side for n in graph.nodes.values()} >= {"forward", "reverse"}
        assert graph.edges_of("link")


def test_loops_branches_and_helper_calls_are_drawn():
    needs_dot()
    for target in (looped, ts.grad(looped), ts.jvp(looped), ts.value_and_grad(looped)):
        graph = ts.graph(target)
        nodes, edges, clusters = drawn(graph.svg())
        assert any("for t in range(T)" in label for label in clusters.values()), clusters
        assert any("while" in label for label in clusters.values()), clusters
        assert any("if " in label for label in clusters.values()), clusters
        assert any("helper(x" in text for text in nodes.values())  # (jvp: jvp_helper(x, dx=dx))
    nodes, edges, clusters = drawn(ts.graph(looped).svg())
    carried = [(a, b) for (a, b), classes in edges.items() if "carried" in classes]
    # s, carried from the end of a trip to the `s + ...` of the next
    assert (named(nodes, "s = s_4"), named(nodes, "s_2 = s + t2")) in carried
    assert "body shown once" in "".join(clusters.values())
    reverse = ts.graph(ts.grad(looped))
    assert reverse.edges_of("link") and any(n.side == "reverse" and n.kind == "loop" for n in reverse.nodes.values())


def test_missing_dot_says_how_to_install_it_and_dot_text_still_works(monkeypatch, tmp_path):
    pytest.importorskip("graphviz")
    graph = ts.graph(ts.grad(f))
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` there
    with pytest.raises(GraphvizNotFound) as raised:
        graph.svg()
    for words in ("apt-get install graphviz", "brew install graphviz", "conda", "dot"):
        assert words in str(raised.value)
    text = graph.dot()
    assert text.startswith('digraph "grad_f"') and '"t2" -> "out"' in text
    graph.save(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == text


def test_missing_graphviz_package_says_install_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` raises ImportError
    graph = ts.graph(f)
    with pytest.raises(ImportError, match=r"pip install 'tangent_src\[graph\]'"):
        graph.svg()
    assert '"y" -> "t1"' in graph.dot()


def test_save_by_extension_and_notebook_view(tmp_path):
    needs_dot()
    graph = ts.graph(f)
    assert graph.save(tmp_path / "f.svg") == str(tmp_path / "f.svg")
    assert drawn((tmp_path / "f.svg").read_text())[0].keys() == drawn(graph._repr_svg_())[0].keys()
    graph.save(tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="extension"):
        graph.save(tmp_path / "f.txt")


def test_what_is_no_function_is_refused():
    with pytest.raises(ts.TransformError):
        ts.graph(42)


def test_import_loads_no_graphviz(tmp_path):
    program = textwrap.dedent("""
        import sys
        import tangent_src as ts
        assert "graphviz" not in sys.modules
        def f(x):
            return x * 2.0
        ts.graph(f).dot()
        print("graphviz" in sys.modules)
    """)
    (tmp_path / "program.py").write_text(program)
    done = subprocess.run([sys.executable, "program.py"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
