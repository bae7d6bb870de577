"""The auditor's screen, "/audit" (issue 13, "Auditors"): open an export, verify it with a
progress bar, recompute every balance from the log alone, list what is wrong, save it.

Any unlocked staff session may open it; on an auditor's device it is the whole job. It
writes nothing to the node: no command is submitted (an auditor's session could not:
ui/gate.py), and chitnode/services/audit.py folds the export into a store of its own.
The one file it writes is the findings, next to the export, when asked.

The audit runs in a worker thread (`asyncio.to_thread`) so the node's loop keeps serving
the other sessions; the thread only counts entries, and the handler moves the bar every
PROGRESS_EVERY_S while it waits. A handler that sent an update itself gets no automatic
one from Flet when it ends, so it sends its last one too (in-process tests read the
controls, not what was sent: the browser test checks that). The path field is the
reliable way in (Flet's FilePicker in web mode uploads the file rather than naming it);
exports found in the data folder and the current folder are offered as buttons that
fill it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import flet as ft

from chitnode.errors import ChitError
from chitnode.services.audit import Findings, audit_export, save_findings
from chitnode.services.events import Event
from ui.shell import AUDITOR_HOME, STAFF, Screen, SessionView
from ui.theme import GAP_PX, TOUCH_TARGET_PX
from ui.vm import auditor as vm

ROUTE = AUDITOR_HOME  # where an auditor's device lands after unlocking
PROGRESS_EVERY_S = 0.25  # how often the bar moves while the worker thread audits
COLUMN_WIDTHS_PX = (110, 220, 140, 140, 140)  # a findings table's columns on a laptop

Handler = Callable[[], Awaitable[None]]


def _text(
    value: str,
    ident: str,
    *,
    size: int | None = None,
    bold: bool = False,
    color: ft.ColorValue | None = None,
) -> ft.Control:
    weight = ft.FontWeight.BOLD if bold else None
    text = ft.Text(value, size=size, weight=weight, color=color)
    return ft.Semantics(content=text, identifier=ident)


def _button(label: str, action: Handler, ident: str, *, filled: bool = True) -> ft.Control:
    kind = ft.FilledButton if filled else ft.TextButton
    return ft.Semantics(
        content=kind(content=label, on_click=action, height=TOUCH_TARGET_PX), identifier=ident
    )


def _table(
    ident: str, heading: str, header: tuple[str, ...], rows: list[tuple[str, ...]]
) -> ft.Control:
    def line(cells: tuple[str, ...], bold: bool = False) -> ft.Control:
        weight = ft.FontWeight.BOLD if bold else None
        return ft.Row(
            [
                ft.Text(c, width=w, weight=weight)
                for c, w in zip(cells, COLUMN_WIDTHS_PX, strict=False)
            ],
            spacing=GAP_PX,
        )

    return ft.Semantics(
        content=ft.Column(
            [
                ft.Text(heading, size=18, weight=ft.FontWeight.BOLD),
                line(header, bold=True),
                *(line(r) for r in rows),
            ],
            spacing=4,
        ),
        identifier=ident,
    )


def results(view: SessionView, found: Findings, save: Handler, saved: ft.Text) -> list[ft.Control]:
    """The findings as controls: verdict, summary, balance, each anomaly list, the tables."""
    t = view.t
    shown = vm.build_audit(found, t, view.money)
    colour = ft.Colors.GREEN if shown.clean else ft.Colors.ERROR
    controls: list[ft.Control] = [
        _text(shown.verdict, "audit-verdict", size=20, bold=True, color=colour),
        _text(shown.summary, "audit-summary"),
        _text(shown.balance, "audit-balance"),
    ]
    for section in shown.sections:
        lines: list[ft.Control] = [ft.Text(section.heading, size=16, weight=ft.FontWeight.BOLD)]
        lines += [ft.Text(row) for row in section.rows]  # plain: a selectable text's words
        # do not reach the page's semantics (readers, browser tests)
        if section.more:
            lines.append(ft.Text(section.more, italic=True))
        controls.append(
            ft.Semantics(content=ft.Column(lines, spacing=2), identifier=f"audit-{section.ident}")
        )
    controls.append(
        _table(
            "audit-members",
            t("auditor.members"),
            tuple(t(f"auditor.member.{k}") for k in ("id", "name", "wallet", "paid", "prizes")),
            list(shown.members),
        )
    )
    controls.append(
        _table(
            "audit-groups",
            t("auditor.groups"),
            tuple(t(f"auditor.group.{k}") for k in ("id", "name", "status", "total")),
            list(shown.groups),
        )
    )
    controls += [
        _text(t("auditor.saves_to", path=shown.saves_to), "audit-saves-to", size=13),
        _button(t("auditor.save"), save, "audit-save"),
        ft.Semantics(content=saved, identifier="audit-saved"),
    ]
    return controls


async def build_audit(view: SessionView) -> ft.Control:
    t = view.t
    folder = view.backend.folder
    choices = await asyncio.to_thread(vm.find_exports, (folder, Path.cwd()))
    path_field = ft.TextField(label=t("auditor.path"), value=view.params.get("file", ""), width=560)
    bar = ft.ProgressBar(value=0, width=560)
    # The wrapper is what hides: Flet draws an error box for a Semantics whose content is
    # hidden ("Semantics.content must be provided and visible"; found in the browser).
    bar_box = ft.Semantics(content=bar, identifier="audit-progress", visible=False)
    bar_text = ft.Text("")
    found_box = ft.Column([], spacing=GAP_PX * 1.5)
    saved = ft.Text("")
    last: list[Findings] = []  # the findings shown, for "Save findings"

    def draw() -> None:
        view.push()

    async def save() -> None:
        if not last:
            return
        try:
            where = await asyncio.to_thread(save_findings, last[0])
        except ChitError as exc:
            view.refuse(exc.code)
            return
        saved.value = t("auditor.saved", path=str(where))
        draw()

    async def run() -> None:
        try:
            path = vm.export_path(path_field.value or "", folder)
        except ChitError as exc:
            view.refuse(exc.code)
            return
        view.clear_banner()
        total = await asyncio.to_thread(vm.expected_entries, path)
        counts = [0, 0]  # entries verified, entries read for the fold (the worker counts)

        def on_verify() -> None:
            counts[0] += 1

        def on_fold() -> None:
            counts[1] += 1

        def show_progress() -> None:
            shown = vm.progress(counts[0], counts[1], total, t)
            bar.value, bar_text.value = shown.fraction, shown.text

        run_button.disabled, bar_box.visible, bar.value = True, True, 0
        found_box.controls, saved.value, last[:] = [], "", []
        audit = asyncio.ensure_future(
            asyncio.to_thread(audit_export, path, on_verify=on_verify, on_fold=on_fold)
        )
        try:
            while not audit.done():  # the bar moves while the worker thread audits
                show_progress()
                draw()
                await asyncio.wait({audit}, timeout=PROGRESS_EVERY_S)
            found = audit.result()
        except ChitError as exc:
            view.refuse(exc.code)
            return
        finally:
            run_button.disabled = False
            draw()
        show_progress()
        last.append(found)
        found_box.controls = results(view, found, save, saved)
        draw()  # Flet skips its update after a handler that updated the page itself

    def picker(choice: vm.ExportChoice) -> Handler:
        async def pick() -> None:
            path_field.value = str(choice.path)

        return pick

    files: list[ft.Control] = [
        _button(c.label, picker(c), f"audit-file-{i}", filled=False) for i, c in enumerate(choices)
    ]
    run_button = ft.FilledButton(content=t("auditor.run"), on_click=run, height=TOUCH_TARGET_PX)
    path_field.on_submit = run
    return ft.Column(
        [
            ft.Text(t("auditor.title"), size=24, weight=ft.FontWeight.BOLD),
            ft.Text(t("auditor.hint"), size=13),
            ft.Semantics(content=path_field, identifier="audit-path"),
            ft.Semantics(content=run_button, identifier="audit-run"),
            bar_box,
            ft.Semantics(content=bar_text, identifier="audit-progress-text"),
            found_box,
            ft.Divider(),
            ft.Text(t("auditor.files") if choices else t("auditor.no_files"), size=13),
            ft.Column(files, spacing=0),
        ],
        spacing=GAP_PX * 1.5,
    )


def _never(event: Event) -> bool:
    return False  # the screen reads a file, not the log: a write elsewhere changes nothing here


SCREENS = [Screen(ROUTE, STAFF, "auditor.title", build_audit, watches=_never)]
