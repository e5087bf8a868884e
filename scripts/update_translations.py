"""Keep the Indonesian catalogue in step with the code (`make translations-update`).

Steps, all from the repository root:

1. extract e-PUPNS's own msgids (app/**.py, app/templates/**.html, see babel.cfg);
2. merge them with the templates of the libraries whose texts users see:
   translations/fab-5.3.0.pot (Flask-AppBuilder ships no Indonesian catalogue, and its
   messages.pot is only in the sdist) and translations/wtforms-3.3.2.pot (WTForms' validator
   messages; they reach users in Indonesian only once the app routes WTForms' gettext
   through Flask-Babel, since Flask-WTF reads WTForms' own catalogues, which lack Indonesian);
3. `pybabel update` translations/id/LC_MESSAGES/messages.po without fuzzy matching (a guessed
   translation of a similar string is worse than a visible English one) and without obsolete
   entries;
4. `pybabel compile -d translations`;
5. list every msgid that still has no Indonesian translation and exit 1 if there is one.

Usage:
    .venv/bin/python scripts/update_translations.py          # update, compile, report
    .venv/bin/python scripts/update_translations.py --check  # change nothing; exit 1 if stale
    .venv/bin/python scripts/update_translations.py --refresh-library-pots
        # after a Flask-AppBuilder or WTForms upgrade: re-extract translations/fab-<version>.pot
        # from the installed FAB (its sources give the same msgids as the sdist's messages.pot)
        # and copy WTForms' wtforms.pot to translations/wtforms-<version>.pot

translations/en holds an intentionally empty catalogue: the msgids are English, so gettext's
fallback to the msgid is the English text.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import flask_appbuilder
import wtforms
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
# Named after the installed versions, so an upgrade without new templates fails loudly.
FAB_POT = TRANSLATIONS / f"fab-{flask_appbuilder.__version__}.pot"
WTFORMS_POT = TRANSLATIONS / f"wtforms-{wtforms.__version__}.pot"
LIBRARY_POTS = (FAB_POT, WTFORMS_POT)
BABEL_CFG = ROOT / "babel.cfg"
# Locales whose catalogue must be complete. English needs none (msgids are English).
TRANSLATED_LOCALES = ("id",)
# Functions that mark strings in our code (flask_babel's gettext/lazy_gettext and the
# house aliases `_` and `_l`); pybabel's defaults (_, gettext, ngettext, ...) stay on too.
KEYWORDS = ("_l", "lazy_gettext", "_", "gettext", "ngettext:1,2", "lazy_ngettext:1,2", "lazy_formatter_gettext:1")
# FAB's own extraction map (babel/babel.cfg in its sdist).
FAB_MAPPING = "[python: **.py]\n[jinja2: **/templates/**.html]\nencoding = utf-8\n"


def _pybabel(*args: str, cwd: Path = ROOT) -> int:
    """Run one pybabel sub-command in this interpreter from `cwd`; return its status."""
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CommandLineInterface().run(["pybabel", "-q", *args]) or 0
    except SystemExit as exc:  # optparse errors exit instead of returning
        return int(exc.code or 0)
    finally:
        os.chdir(previous)


def extract_app_catalog(pot_path: Path) -> Catalog:
    """Extract e-PUPNS's own msgids (per babel.cfg) into `pot_path` and return them."""
    keyword_args = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    # The default --ignore-dirs (".* ._") already skips .venv, .git and .pytest_cache.
    status = _pybabel(
        "extract",
        "-F",
        str(BABEL_CFG),
        *keyword_args,
        "-c",
        "TRANSLATORS:",
        "--project",
        "e-PUPNS",
        "--no-wrap",
        "-o",
        str(pot_path),
        ".",
    )
    if status:
        raise RuntimeError(f"pybabel extract failed with status {status}")
    with open(pot_path, "rb") as fh:
        return read_po(fh)


def _stamp(path: Path, origin: str) -> None:
    path.write_text(
        f"# {origin}\n# Written by `scripts/update_translations.py --refresh-library-pots`. Do not edit.\n"
        + path.read_text(encoding="utf-8"),
        encoding="utf-8",
    )


def refresh_library_templates() -> list[Path]:
    """Re-extract the installed Flask-AppBuilder's msgids into translations/fab-<version>.pot
    and copy the installed WTForms' template to translations/wtforms-<version>.pot."""
    package_dir = Path(flask_appbuilder.__file__).resolve().parent
    keyword_args = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    with tempfile.TemporaryDirectory() as tmp:
        mapping = Path(tmp) / "babel.cfg"
        mapping.write_text(FAB_MAPPING)
        status = _pybabel(
            "extract",
            "-F",
            str(mapping),
            *keyword_args,
            "--project",
            "Flask-AppBuilder",
            "--version",
            flask_appbuilder.__version__,
            "--sort-by-file",
            "--no-wrap",
            "-o",
            str(FAB_POT),
            package_dir.name,
            cwd=package_dir.parent,
        )
    if status:
        raise RuntimeError(f"pybabel extract failed with status {status}")
    _stamp(
        FAB_POT,
        f"Extracted from the installed Flask-AppBuilder {flask_appbuilder.__version__} "
        "(same msgids as babel/messages.pot in its sdist).",
    )
    wtforms_pot = Path(wtforms.__file__).resolve().parent / "locale" / "wtforms.pot"
    WTFORMS_POT.write_bytes(wtforms_pot.read_bytes())
    _stamp(WTFORMS_POT, f"Copy of wtforms/locale/wtforms.pot from WTForms {wtforms.__version__}.")
    return [FAB_POT, WTFORMS_POT]


def merged_template(app_catalog: Catalog) -> Catalog:
    """Our msgids first (in code order), then FAB's, then WTForms'; a msgid used by several
    appears once."""
    sources = [app_catalog]
    for pot in LIBRARY_POTS:
        if not pot.exists():
            raise SystemExit(
                f"{pot.relative_to(ROOT)} is missing (a library was upgraded?): "
                "run scripts/update_translations.py --refresh-library-pots"
            )
        with open(pot, "rb") as fh:
            sources.append(read_po(fh))
    merged = Catalog(project="e-PUPNS", fuzzy=False)
    for source in sources:
        for message in source:
            if not message.id:
                continue
            existing = merged.get(message.id, message.context)
            if existing is None:
                merged.add(
                    message.id,
                    "",
                    locations=message.locations,
                    flags=message.flags,
                    auto_comments=message.auto_comments,
                    context=message.context,
                )
            else:
                existing.locations.extend(message.locations)
                existing.flags |= message.flags
    return merged


def catalogue_path(locale: str) -> Path:
    """Path of the .po file for `locale`."""
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def untranslated(locale: str) -> list[str]:
    """Msgids of `locale`'s catalogue that are empty (any plural form) or fuzzy."""
    with open(catalogue_path(locale), "rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def _keys(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _print_list(title: str, msgids) -> None:
    print(title)
    for msgid in msgids:
        print(f"  {msgid!r}")


def check(template: Catalog) -> int:
    """1 when a catalogue lacks a msgid of `template`, keeps one it no longer has, or has an
    untranslated/fuzzy entry. Source line numbers are ignored: they move with every edit."""
    status = 0
    for locale in TRANSLATED_LOCALES:
        path = catalogue_path(locale)
        if not path.exists():
            print(f"{path.relative_to(ROOT)} is missing")
            status = 1
            continue
        with open(path, "rb") as fh:
            present = _keys(read_po(fh))
        new, gone = sorted(_keys(template) - present), sorted(present - _keys(template))
        todo = untranslated(locale)
        if new:
            _print_list(f"{len(new)} msgids are not yet in {path.relative_to(ROOT)}:", new)
        if gone:
            _print_list(f"{len(gone)} msgids of {path.relative_to(ROOT)} are no longer used:", gone)
        if todo:
            _print_list(f"{len(todo)} msgids need a translation in {path.relative_to(ROOT)}:", todo)
        if new or gone or todo:
            status = 1
    if status:
        print("run `make translations-update` and translate what it lists")
    return status


def main(argv=None) -> int:
    """Run the update (or only the check); return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a catalogue misses, keeps or lacks a translation of a msgid",
    )
    parser.add_argument(
        "--refresh-library-pots",
        action="store_true",
        help="first rewrite the FAB and WTForms templates from the installed packages",
    )
    args = parser.parse_args(argv)
    if args.refresh_library_pots:
        for path in refresh_library_templates():
            print(f"wrote {path.relative_to(ROOT)}")

    with tempfile.TemporaryDirectory() as tmp:
        template = merged_template(extract_app_catalog(Path(tmp) / "app.pot"))
        print(
            f"{len(template)} msgids (e-PUPNS + Flask-AppBuilder {flask_appbuilder.__version__}"
            f" + WTForms {wtforms.__version__})"
        )
        if args.check:
            return check(template)

        template_path = Path(tmp) / "messages.pot"
        with open(template_path, "wb") as fh:
            write_po(fh, template, width=None)
        for locale in TRANSLATED_LOCALES:
            update_args = [
                "update",
                "-i",
                str(template_path),
                "-d",
                str(TRANSLATIONS),
                "-l",
                locale,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
                "--ignore-pot-creation-date",
                "--no-wrap",
            ]
            if not catalogue_path(locale).exists():
                update_args.append("--init-missing")
            status = _pybabel(*update_args)
            if status:
                return status

    status = _pybabel("compile", "-d", str(TRANSLATIONS), "-D", "messages")
    if status:
        return status

    exit_status = 0
    for locale in TRANSLATED_LOCALES:
        missing = untranslated(locale)
        if missing:
            exit_status = 1
            _print_list(
                f"{len(missing)} msgids need a translation in {catalogue_path(locale).relative_to(ROOT)}:", missing
            )
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
