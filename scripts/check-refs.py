#!/usr/bin/env python3
"""Fail when a doc, comment or README names a repository file that does not exist.

What is read: every file git tracks (or would: untracked, not ignored) that
ends in .md or .sh (all of it), or .rs, .toml or .py (comments, and the
docstrings of .py; code is checked by its compiler or interpreter), and
.ci/run.

What names a file:
- a word ending in an extension that files of this repository have (.md,
  .rs, .toml, .sh, .py, .txt, .png, .svg, .x, .lock): `docs/SEMANTICS.md`,
  `tests/common/check.rs`, `firmware/ci/flash-sizes.sh`, `memory.x`;
- a path with a slash whose first part is a top-level entry of the
  repository (`tests/data/int8`, `firmware/qemu-tests/`, `.ci/steps/`) or a
  directory beside the naming file or above it;
- a path out of the repository: `../shared/...` (a user's clone has no
  ../shared; allowed in .ci/, whose scripts handle its absence) and an
  absolute path to an .md, .rs, .toml, .sh or .py file.
Not file names: URLs, Rust paths (`a::b`), words with a placeholder
(`<target>`, `$DIR`, `{a,b}`), paths of other projects (`reference/softmax.h`
is TFLite's), and the linker script cortex-m-rt writes at build time.

When it resolves: a path resolves against the directory of the file that
names it or any directory above it, up to the repository root (so `README.md`
in tests/data/int8/README.md's directory, `Cargo.toml` anywhere); `*` matches
as in a shell glob; a path without an extension may be the start of a file's
path (`.ci/steps/50` for .ci/steps/50-cross-builds.sh); a path into git-ignored
build output (`target/...`) is not a repository file and passes. A bare name
of a source file (`check.rs`, `70-fuzz.sh`) also resolves if a file of that
name exists anywhere in the repository; a bare document name (`SEMANTICS.md`)
does not: a reader or a Markdown link needs its path. A line holding
`check-refs: ignore` is skipped, and so is this script (its examples).

Usage: scripts/check-refs.py [--root DIR]. Prints `file:line: reference (why)`
for each dangling reference; exits 1 if there is any.
"""

import argparse
import fnmatch
import io
import os
import re
import subprocess
import sys
import tokenize
from pathlib import PurePosixPath

EXTENSIONS = {"md", "rs", "toml", "sh", "py", "txt", "png", "svg", "x", "lock"}
DOCUMENTS = {"md", "txt", "png", "svg"}
OUTSIDE_EXTENSIONS = {"md", "rs", "toml", "sh", "py"}
# Names of files that exist only in a build: cortex-m-rt's linker script.
BUILD_GENERATED = {"link.x", "-Tlink.x"}
SHARED_OK_UNDER = ".ci/"
IGNORE_MARK = "check-refs: ignore"

URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
WORD = re.compile(r"(?<![A-Za-z0-9_.:/*-])(?:\.{1,2}/|/)?[A-Za-z0-9_.*-]+(?:/[A-Za-z0-9_.*-]*)*")


def git(root, *args):
    return subprocess.run(["git", "-C", root, *args], check=True, capture_output=True).stdout.decode()


def repo_files(root):
    out = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted({f for f in out.split("\0") if f and os.path.lexists(os.path.join(root, f))})


def rust_comments(text):
    """The text of every comment of a Rust file, code blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(text[i:j])
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(text[i:j])
            i = j
        elif c == '"' or (c == "r" and re.match(r'r#*"', text[i:]) and not re.match(r"\w", text[i - 1 : i])):
            if c == "r":
                hashes = re.match(r"r(#*)\"", text[i:]).group(1)
                end = '"' + hashes
                j = text.find(end, i + 2 + len(hashes))
                j = n if j < 0 else j + len(end)
            else:
                j = i + 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'" and (text[i + 1 : i + 2] == "\\" or text[i + 2 : i + 3] == "'"):
            j = text.find("'", i + 2 if text[i + 1] != "\\" else i + 3)
            j = n if j < 0 else j + 1
            out.append(" " * (j - i))
            i = j
        else:
            out.append("\n" if c == "\n" else " ")
            i += 1
    return "".join(out)


def hash_comments(text):
    """`#` comments of a TOML file (a `#` inside a quoted value is not one)."""
    lines = []
    for line in text.splitlines():
        m = re.match(r'^(?:[^"\'#]|"[^"]*"|\'[^\']*\')*(#.*)$', line)
        lines.append(m.group(1) if m else "")
    return "\n".join(lines)


def python_prose(text):
    """Comments and triple-quoted strings (docstrings) of a Python file."""
    lines = [""] * (text.count("\n") + 2)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.string.endswith(('"""', "'''"))):
                for k, part in enumerate(tok.string.split("\n")):
                    lines[tok.start[0] - 1 + k] += " " + part
    except (tokenize.TokenError, IndentationError):
        return text
    return "\n".join(lines)


def prose(path, text):
    if path.endswith(".rs"):
        return rust_comments(text)
    if path.endswith(".toml"):
        return hash_comments(text)
    if path.endswith(".py"):
        return python_prose(text)
    return text


def candidates(line, top_level, near_dirs):
    """(word, kind) for every word of one line that names a file."""
    line = URL.sub(" ", line)
    for m in WORD.finditer(line):
        word, before, after = m.group(0), line[m.start() - 1 : m.start()], line[m.end() : m.end() + 1]
        if line[m.end() : m.end() + 2] == "::" or (after and after in "<>${}") or (before and before in "<>${"):
            continue
        word = word.rstrip(".")
        parts = [p for p in word.split("/") if p not in ("", ".")]
        if not parts or word in BUILD_GENERATED:
            continue
        last = parts[-1]
        ext = last.rsplit(".", 1)[1] if "." in last.strip(".") else ""
        if word.startswith("/"):
            if ext in OUTSIDE_EXTENSIONS:
                yield word, "outside"
        elif parts[0] == "..":
            if len(parts) > 1 and parts[1] == "shared":
                yield word, "shared"
        elif ext in EXTENSIONS and not last.startswith("."):
            yield word, "file"
        elif not ext and len(parts) > 1 and (parts[0] in top_level or parts[0] in near_dirs):
            yield word, "path"


class Repo:
    def __init__(self, root):
        self.root = root
        self.files = repo_files(root)
        self.fileset = set(self.files)
        self.dirs = set()
        for f in self.files:
            p = PurePosixPath(f).parent
            while str(p) != ".":
                self.dirs.add(str(p))
                p = p.parent
        self.basenames = {PurePosixPath(f).name for f in self.files}
        self.top_level = {f.split("/", 1)[0] for f in self.files}
        self.ignored = {}

    def is_ignored(self, path):
        if path not in self.ignored:
            r = subprocess.run(["git", "-C", self.root, "check-ignore", "-q", "--no-index", path], capture_output=True)
            self.ignored[path] = r.returncode == 0
        return self.ignored[path]

    def bases(self, source):
        """The directory of `source` and every directory above it."""
        base, out = PurePosixPath(source).parent, []
        while True:
            out.append(base)
            if str(base) == ".":
                return out
            base = base.parent

    def near_dirs(self, source):
        """Names of the directories beside `source` or beside a directory above it."""
        names = set()
        for b in self.bases(source):
            prefix = "" if str(b) == "." else str(b) + "/"
            names |= {d[len(prefix) :].split("/", 1)[0] for d in self.dirs if d.startswith(prefix)}
        return names

    def resolves(self, source, ref, kind):
        rel = ref.rstrip("/")
        for b in self.bases(source):
            path = os.path.normpath(rel if str(b) == "." else str(b / rel))
            if path.startswith(".."):
                continue
            if any(c in path for c in "*?["):
                if any(fnmatch.fnmatchcase(f, path) for f in self.files + sorted(self.dirs)):
                    return True
            elif path in self.fileset or path in self.dirs or self.is_ignored(path):
                return True
            elif kind == "path" and any(f.startswith(path) for f in self.files):
                return True
        name = PurePosixPath(rel).name
        ext = name.rsplit(".", 1)[-1]
        return "/" not in rel and ext not in DOCUMENTS and name in self.basenames


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=".")
    args = ap.parse_args()
    repo = Repo(args.root)
    scanned = 0
    dangling = []
    # This script names dangling paths on purpose, as examples.
    itself = os.path.relpath(os.path.abspath(__file__), os.path.abspath(args.root))
    for source in repo.files:
        if not (source.endswith((".md", ".sh", ".rs", ".toml", ".py")) or source == ".ci/run") or source == itself:
            continue
        try:
            with open(os.path.join(args.root, source), encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, IsADirectoryError):
            continue
        scanned += 1
        raw = text.splitlines()
        near = None
        for n, line in enumerate(prose(source, text).splitlines(), 1):
            if n <= len(raw) and IGNORE_MARK in raw[n - 1]:
                continue
            if near is None and ("/" in line):
                near = repo.near_dirs(source)
            for ref, kind in candidates(line, repo.top_level, near or set()):
                if kind == "outside" or (kind == "shared" and not source.startswith(SHARED_OK_UNDER)):
                    dangling.append(f"{source}:{n}: {ref} (outside the repository)")
                elif kind in ("file", "path") and not repo.resolves(source, ref, kind):
                    dangling.append(f"{source}:{n}: {ref} (no such file)")
    print("\n".join(dangling) if dangling else f"check-refs: every file reference resolves ({scanned} files read)")
    if dangling:
        print(f"check-refs: {len(dangling)} dangling file reference(s) in {scanned} files", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
