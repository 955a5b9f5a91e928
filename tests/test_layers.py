"""The layers stay as docs/architecture.md draws them (issue 11).

`lint-imports` (run by `make test`) checks that no module imports a higher layer, imports
inside functions included. These tests keep the escape hatch small: an import inside a
function hides a dependency from the reader, so there are at most 16, each with a
comment saying why (on its line or the line above).
"""

import ast
from pathlib import Path

import grimp
import pytest

import relais

pytestmark = pytest.mark.sqlite_only  # reads the code, not a database

MAX_IMPORTS_INSIDE_FUNCTIONS = 17  # one per app's ready (rights: the 16th), and the
# `relais` command's Django, imported when a command runs (a Ctrl+C while starting: quiet)
SOURCE = Path(relais.__file__).parent


def imports_inside_functions() -> list[tuple[Path, int, str, str]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = path.read_text().splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    line = lines[node.lineno - 1]
                    above = lines[node.lineno - 2] if node.lineno > 1 else ""
                    found.append((path.relative_to(SOURCE), node.lineno, line, above))
    return found


def test_few_imports_inside_functions():
    found = imports_inside_functions()
    listing = "\n".join(f"{path}:{line}: {text.strip()}" for path, line, text, _ in found)
    assert len(found) <= MAX_IMPORTS_INSIDE_FUNCTIONS, listing


def test_each_import_inside_a_function_says_why():
    unexplained = [f"{path}:{line}: {text.strip()}"
                   for path, line, text, above in imports_inside_functions()
                   if "why" not in text and "why" not in above]
    assert not unexplained, "\n".join(unexplained)


def test_no_module_imports_itself_through_others():
    """No import circle, of any length, between any two modules (today: none; issue 11
    found one of twelve modules)."""
    graph = grimp.build_graph("relais", cache_dir=None)
    circles = [sorted(component) for component in strongly_connected(graph) if
               len(component) > 1]
    assert not circles, circles


def strongly_connected(graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit to worry about)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(
                        child)))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                found.append(component)
    return found


def test_the_circle_finder_finds_a_circle():
    graph = grimp.ImportGraph()
    for importer, imported in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]:
        graph.add_import(importer=importer, imported=imported)
    assert [sorted(c) for c in strongly_connected(graph) if len(c) > 1] == [["a", "b", "c"]]
