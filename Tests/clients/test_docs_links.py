"""Relative links in the Markdown docs point at files that exist and at headings that exist.

Anchors follow GitHub's heading slugs, so a link that works here works on GitHub. Needs no server.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) and ![alt](target), target optionally in <...> and followed by a title.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_ANCHOR = re.compile(r"<a\s[^>]*(?:name|id)\s*=\s*[\"']([^\"']+)[\"']", re.I)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_files() -> list[Path]:
    files = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md")),
             *sorted((REPO_ROOT / "fixtures").glob("**/README.md"))]
    return [f for f in files if f.is_file()]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    out, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            continue
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
                fence = None
            continue
        out.append((number, line))
    return out


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text lowercased, punctuation and symbols dropped except `-` and
    `_`, each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = re.sub(r"<[^>]+>", "", text)
    kept = []
    for ch in text.lower():
        if ch in "-_ ":
            kept.append(ch)
        elif unicodedata.category(ch)[0] in "LNM":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a file defines: heading slugs (a repeated slug gets -1, -2, ...) and HTML name/id anchors."""
    text = path.read_text("utf-8")
    seen: dict[str, int] = {}
    found: set[str] = set(HTML_ANCHOR.findall(text))
    lines = prose_lines(text)
    headings = []
    for index, (number, line) in enumerate(lines):
        m = HEADING.match(line)
        if m:
            headings.append(m.group(2))
        elif index > 0 and SETEXT_UNDERLINE.match(line) and lines[index - 1][0] == number - 1 and lines[index - 1][1].strip() \
                and not HEADING.match(lines[index - 1][1]):
            headings.append(lines[index - 1][1].strip())
    for heading in headings:
        slug = github_slug(heading)
        if slug in seen:
            seen[slug] += 1
            found.add(f"{slug}-{seen[slug]}")
        else:
            seen[slug] = 0
            found.add(slug)
    return found


def links(path: Path) -> list[tuple[int, str]]:
    out = []
    for number, line in prose_lines(path.read_text("utf-8")):
        line = CODE_SPAN.sub(lambda span: " " * len(span.group(0)), line)  # `[x](y)` in code is not a link
        targets = [m.group(1) for m in INLINE_LINK.finditer(line)]
        m = REFERENCE_DEFINITION.match(line)
        if m:
            targets.append(m.group(1))
        out += [(number, t[1:-1] if t.startswith("<") else t) for t in targets]
    return out


def broken_links(path: Path, root: Path = REPO_ROOT) -> list[str]:
    problems = []
    for number, target in links(path):
        if SCHEME.match(target) or target.startswith("//"):
            continue  # another site's page
        file_part, _, anchor = target.partition("#")
        file_part = file_part.split("?", 1)[0]
        where = f"{path.relative_to(root)}:{number}: {target}"
        resolved = (path.parent / file_part).resolve() if file_part else path
        if file_part.startswith("/"):
            resolved = (root / file_part.lstrip("/")).resolve()
        if not resolved.exists():
            problems.append(f"{where}: no such file")
            continue
        if root.resolve() not in resolved.parents and resolved != root.resolve():
            problems.append(f"{where}: outside the repository")
            continue
        if anchor and resolved.is_file() and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{where}: no heading with anchor #{anchor}")
    return problems


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_relative_links_resolve(path):
    problems = broken_links(path)
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_docs_are_found():
    names = {str(p.relative_to(REPO_ROOT)) for p in markdown_files()}
    assert {"README.md", "docs/terraform.md", "fixtures/terraform/versioned-state-bucket/README.md"} <= names


def test_github_slugs():
    assert github_slug("6. Versioning and rolling back to an earlier state") == "6-versioning-and-rolling-back-to-an-earlier-state"
    assert github_slug("7. DynamoDB lock table (Terraform ≤ 1.9)") == "7-dynamodb-lock-table-terraform--19"
    assert github_slug("Terraform 1.0 – 1.5") == "terraform-10--15"
    assert github_slug("The `http` backend: [LOCK](x.md) & use_lockfile") == "the-http-backend-lock--use_lockfile"


def test_checker_reports_missing_files_and_anchors(tmp_path):
    # The checker itself must be able to fail: a page with good links and three bad ones.
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other\n\n## Same\n\n## Same\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text("# Page\n\n"
                    "[ok](other.md#same-1) [ok](#page) [web](https://example.com/x#y)\n"
                    "[gone](missing.md) [bad anchor](other.md#nothing) [self](#not-here)\n"
                    "```\n[in code](nope.md)\n# not a heading\n```\n"
                    "`[in a span](nope.md)`\n")
    problems = broken_links(page, root=tmp_path)
    assert len(problems) == 3, problems
    assert any("missing.md: no such file" in p for p in problems)
    assert any("#nothing" in p for p in problems) and any("#not-here" in p for p in problems)
