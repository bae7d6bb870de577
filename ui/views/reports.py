"""The reports screen for staff (issue 13, "The app saves them to a folder the user
picks"): "/reports".

Choose a report (member list, loan portfolio, default summary, balance sheet, a member's
passbook, a group's closure statement, certified minutes of a month), a folder (by
default `<data>/reports`, made owner-only when absent), PDF or CSV, and Save. The report
is built on the node thread from the fold, by the CLI's own functions (ui/vm/reports.py),
with the page header `header_of(node)` read in the same turn, so the footer's digest is
the digest of the fold the figures came from. The file is then written off the event
loop (`asyncio.to_thread`: a PDF with charts takes a while) by `report_pdf`, atomically,
and the screen says where it went. A refusal (an unknown member or group, a draw that
has not closed, a folder it cannot write) goes on the banner in words.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import flet as ft

from chitnode.errors import ChitError
from chitnode.node.node import Node
from chitnode.services import report_pdf
from chitnode.services.report_pdf import PageHeader
from chitnode.services.report_tables import Report
from ui.backend import Reading
from ui.shell import STAFF, Screen, SessionView
from ui.views.office import button, field, on_node, said, wrap
from ui.vm import reports as vm

REPORTS = "/reports"
FOLDER_MODE = 0o700  # the default folder is the node owner's: reports name members and money
FIELD_WIDTH_PX = 420  # a folder path is long


class ReportFolderUnusable(ChitError):
    """The folder typed is not an existing folder this node may write into."""

    def __init__(self, folder: Path) -> None:
        super().__init__(f"cannot save reports into {folder}", code="report_folder_unusable")


def default_folder(data: Path) -> Path:
    return data / vm.FOLDER_NAME


def ready_folder(typed: str, data: Path) -> Path:
    """The folder to save into: the default is made (owner-only) when absent; any other
    must be an existing folder, given as a full path, that this process may write."""
    default = default_folder(data)
    folder = Path(typed.strip()).expanduser() if typed.strip() else default
    if folder == default and not folder.exists():
        try:
            folder.mkdir(mode=FOLDER_MODE, parents=True)
        except OSError as exc:
            raise ReportFolderUnusable(folder) from exc
    usable = folder.is_absolute() and folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    if not usable:
        raise ReportFolderUnusable(folder)
    return folder


def write(report: Report, path: Path, header: PageHeader, fmt: str) -> None:
    """The file, as `chitnode report ... --pdf/--csv` writes it (atomically)."""
    if fmt == vm.CSV:
        report_pdf.write_report_csv(report, path)
    else:
        report_pdf.write_pdf(report, path, header)


async def save(view: SessionView, choice: vm.Choice, typed_folder: str) -> Path:
    """Build `choice` from the fold and write it into the folder; the path written."""
    data = view.backend.folder
    folder = await asyncio.to_thread(ready_folder, typed_folder, data)

    def on_thread(node: Node, reading: Reading) -> tuple[Report, PageHeader]:
        return vm.build(reading, choice), report_pdf.header_of(node)

    report, header = await on_node(view, on_thread)
    path = folder / vm.file_name(choice, header.printed_ms)
    await asyncio.to_thread(write, report, path, header, choice.fmt)
    return path


class ReportsForm:
    """The choices and the Save button; the outcome is said under them."""

    def __init__(self, view: SessionView) -> None:
        self.view = view
        t = view.t
        self.report = ft.Dropdown(
            label=t("reports.report"),
            value=vm.KINDS[0].name,
            options=[ft.DropdownOption(key=k.name, text=t(k.title_key)) for k in vm.KINDS],
            width=FIELD_WIDTH_PX,
        )
        self.fmt = ft.Dropdown(
            label=t("reports.format"),
            value=vm.PDF,
            options=[ft.DropdownOption(key=f, text=t(f"reports.format.{f}")) for f in vm.FORMATS],
            width=FIELD_WIDTH_PX,
        )
        self.member = field(t("reports.member"), "reports-member")
        self.group = field(t("reports.group"), "reports-group")
        self.month = field(t("reports.month"), "reports-month")
        self.folder = field(
            t("reports.folder"), "reports-folder", str(default_folder(view.backend.folder))
        )
        self.folder.width = FIELD_WIDTH_PX
        self.outcome = ft.Text("")

    def choice(self) -> vm.Choice:
        return vm.Choice(
            report=self.report.value or "",
            member_id=self.member.value or "",
            group_id=self.group.value or "",
            month=self.month.value or "",
            fmt=self.fmt.value or vm.PDF,
        )

    async def save(self) -> None:
        view = self.view
        if not view.touch():
            await view.expired()
            return
        self.outcome.value = view.t("reports.saving")
        view.clear_banner()
        view.push()
        try:
            path = await save(view, self.choice(), self.folder.value or "")
        except ChitError as exc:
            self.outcome.value = ""
            view.refuse(exc.code)
            return
        self.outcome.value = view.t("reports.saved", path=str(path))
        view.push()

    def controls(self) -> list[ft.Control]:
        t = self.view.t
        return [
            said(t("reports.title"), "reports-title", size=20, weight=ft.FontWeight.BOLD),
            ft.Text(t("reports.intro"), size=12),
            ft.Semantics(content=self.report, identifier="reports-kind"),
            wrap(self.member),
            wrap(self.group),
            wrap(self.month),
            wrap(self.folder),
            ft.Semantics(content=self.fmt, identifier="reports-format"),
            button(t("reports.save"), self.save, "reports-save", primary=True),
            ft.Semantics(content=self.outcome, identifier="reports-saved", live_region=True),
        ]


async def build_reports(view: SessionView) -> ft.Control:
    return ft.Column(ReportsForm(view).controls(), spacing=12)


def _never(event: object) -> bool:
    """Typing is not lost to a bid: the form reads the log when Save is pressed."""
    return False


SCREENS = [Screen(REPORTS, STAFF, "reports.title", build_reports, watches=_never)]
