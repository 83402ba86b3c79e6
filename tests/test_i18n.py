"""The translation catalogues are complete, and the committed .mo files match their .po files.

Uses GNU gettext (msgattrib, msgfmt); missing tools are an error, not a skip.
"""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE_DIR = Path(__file__).resolve().parents[1] / "src" / "dangvu" / "locale"


def catalogues() -> list[Path]:
    found = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po"))
    if not found:
        pytest.fail("no catalogues: run make messages")
    return found


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"GNU gettext's {name} is missing: apt-get install gettext (or run .ci/run)")
    return path


def _unquote(text: str) -> str:
    return text.strip()[1:-1]


def entries(po_text: str) -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) of each live entry of a PO text (obsolete ``#~`` entries are comments)."""
    found: list[tuple[str | None, str]] = []
    for block in po_text.split("\n\n"):
        ctxt: str | None = None
        msgid: str | None = None
        current: str | None = None
        for line in block.splitlines():
            if line.startswith("msgctxt "):
                current, ctxt = "ctxt", _unquote(line[len("msgctxt ") :])
            elif line.startswith("msgid "):
                current, msgid = "id", _unquote(line[len("msgid ") :])
            elif line.startswith('"') and current == "ctxt":
                ctxt = (ctxt or "") + _unquote(line)
            elif line.startswith('"') and current == "id":
                msgid = (msgid or "") + _unquote(line)
            else:
                current = None
        if msgid is not None:
            found.append((ctxt, msgid))
    return found


def real_entries(po_text: str) -> list[str]:
    """The entries of a PO text, less the header (the entry with an empty msgid and no context)."""
    return [
        (f"[{ctxt}] " if ctxt is not None else "") + msgid
        for ctxt, msgid in entries(po_text)
        if msgid or ctxt is not None
    ]


def test_entries_parser() -> None:
    po = (
        'msgid ""\nmsgstr ""\n"Language: vi\\n"\n\n'
        '#: a.py\nmsgid "Sign out"\nmsgstr ""\n\n'
        'msgctxt "month"\nmsgid ""\n"May"\nmsgstr ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n'
    )
    assert real_entries(po) == ["Sign out", "[month] May"]


@pytest.mark.parametrize(
    ("option", "what"), [("--untranslated", "untranslated"), ("--only-fuzzy", "fuzzy")]
)
def test_catalogues_are_complete(option: str, what: str) -> None:
    msgattrib = tool("msgattrib")
    problems = []
    for po in catalogues():
        result = subprocess.run(
            [msgattrib, option, "--no-obsolete", "--no-wrap", str(po)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"msgattrib failed on {po}:\n{result.stderr}"
        if found := real_entries(result.stdout):
            listing = "\n".join(f"    {msgid!r}" for msgid in found)
            problems.append(f"{po.relative_to(LOCALE_DIR)}: {len(found)} {what}:\n{listing}")
    assert not problems, "run make messages, then translate:\n" + "\n".join(problems)


def test_compiled_catalogues_match_their_sources(tmp_path: Path) -> None:
    msgfmt = tool("msgfmt")
    problems = []
    for po in catalogues():
        committed = po.with_suffix(".mo")
        if not committed.exists():
            problems.append(f"{committed.relative_to(LOCALE_DIR)} is missing")
            continue
        fresh = tmp_path / f"{po.parent.parent.name}.mo"
        # --check-format, as Django's compilemessages does.
        result = subprocess.run(
            [msgfmt, "--check-format", "-o", str(fresh), str(po)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            problems.append(f"msgfmt rejects {po.relative_to(LOCALE_DIR)}:\n{result.stderr}")
            continue
        with committed.open("rb") as a, fresh.open("rb") as b:
            old = gettext.GNUTranslations(a)._catalog  # type: ignore[attr-defined]
            new = gettext.GNUTranslations(b)._catalog  # type: ignore[attr-defined]
        if old != new:
            changed = sorted(str(k) for k in old.keys() ^ new.keys()) + sorted(
                str(k) for k in old.keys() & new.keys() if old[k] != new[k]
            )
            problems.append(
                f"{committed.relative_to(LOCALE_DIR)} is stale ({len(changed)} entries differ, "
                f"e.g. {changed[:5]})"
            )
    assert not problems, "run make messages (compilemessages):\n" + "\n".join(problems)
