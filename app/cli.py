"""`flask --app run pupns …` commands for operators."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .extensions import db


@click.group("pupns", help="e-PUPNS operations.")
def pupns():
    pass


@pupns.command("create-permissions")
@with_appcontext
def create_permissions():
    """Write FAB permissions for every view and the roles declared in app/roles.py."""
    from .services.permissions import sync_roles

    sync_roles(current_app.appbuilder)
    click.echo("Permissions and roles are up to date.")


IMPORT_ERRORS_SHOWN = 100


def _echo_totals(report) -> None:
    """The one summary line of an import (pegawai or riwayat)."""
    from flask_babel import gettext as _

    click.echo(
        _(
            "%(total)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.",
            total=report.total,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=report.rejected,
        )
    )


@pupns.command("import-pegawai")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--kanreg",
    metavar="KODE",
    help="Kanreg (I-XIV) of instansi the file creates; without it a row naming an unknown instansi is rejected.",
)
@click.option(
    "--report",
    "report_file",
    type=click.File("w", encoding="utf-8-sig", lazy=False),
    help="Write every rejected row (row, field, reason) to this CSV file.",
)
@with_appcontext
def import_pegawai_command(file, kanreg, report_file):
    """Create or update Pegawai records from FILE (.csv or .xlsx), matched by NIP.

    Exit code 0: every row imported or unchanged; 1: some rows rejected (listed);
    2: the file or options cannot be used (nothing changed).
    """
    import csv

    from flask_babel import gettext as _

    from .services import importer

    try:
        source = importer.read_rows(file)
        for column in source.ignored_columns:
            click.echo(_("Column %(name)s is not an import column and is ignored.", name=column))
        with click.progressbar(length=source.total, label=_("Importing")) as bar:
            report = importer.import_pegawai(db.session, source, kanreg=kanreg, progress=bar.update)
    except importer.ImportFileError as exc:
        click.echo(_("Nothing imported: %(error)s", error=exc), err=True)
        raise click.exceptions.Exit(2) from exc
    _echo_totals(report)
    if report.instansi_created or report.units_created:
        click.echo(
            _(
                "New instansi: %(instansi)d, new unit kerja: %(units)d.",
                instansi=report.instansi_created,
                units=report.units_created,
            )
        )
    for error in report.errors[:IMPORT_ERRORS_SHOWN]:
        click.echo(
            _("Row %(row)d, %(field)s: %(reason)s", row=error.row_number, field=error.field or "-", reason=error.reason)
        )
    if report_file is not None:
        writer = csv.writer(report_file, lineterminator="\n")
        writer.writerow(["row", "field", "reason"])
        writer.writerows((e.row_number, e.field, str(e.reason)) for e in report.errors)
        click.echo(_("Rejected rows written to %(name)s.", name=report_file.name))
    elif len(report.errors) > IMPORT_ERRORS_SHOWN:
        click.echo(
            _(
                "%(count)d more errors not shown; use --report FILE to get them all.",
                count=len(report.errors) - IMPORT_ERRORS_SHOWN,
            )
        )
    if report.rejected:
        raise click.exceptions.Exit(1)


@pupns.command("import-riwayat")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--section",
    metavar="TABLE",
    help="The section of a CSV file (riwayat_golongan, anak, …); for a workbook, import only that sheet.",
)
@click.option("--instansi", metavar="KODE", help="Accept only PNS of this instansi; rows of others are rejected.")
@click.option(
    "--report",
    "report_file",
    type=click.File("w", encoding="utf-8-sig", lazy=False),
    help="Write every rejected row and warning (sheet, row, field, severity, reason) to this CSV file.",
)
@with_appcontext
def import_riwayat_command(file, section, instansi, report_file):
    """Import history and family rows (golongan, jabatan, pendidikan, diklat, spouse, children,
    parents) from FILE: an .xlsx workbook with one sheet per section, or one section's .csv.

    Exit code 0: every row imported or unchanged; 1: some rows rejected (listed);
    2: the file or options cannot be used (nothing changed). Warnings never change it.
    """
    import csv

    from flask_babel import gettext as _

    from .services import importer

    try:
        instansi_id = importer.instansi_id_for(db.session, instansi)
        book = importer.read_workbook(file, section=section)
        for sheet in book.ignored_sheets:
            click.echo(_("Sheet %(name)s is not an import section and is ignored.", name=sheet))
        for sheet, column in book.ignored_columns:
            click.echo(
                _("Sheet %(sheet)s: column %(name)s is not an import column and is ignored.", sheet=sheet, name=column)
            )
        with click.progressbar(length=book.total, label=_("Importing")) as bar:
            report = importer.import_workbook(db.session, book, instansi_id=instansi_id, progress=bar.update)
    except importer.ImportFileError as exc:
        click.echo(_("Nothing imported: %(error)s", error=exc), err=True)
        raise click.exceptions.Exit(2) from exc
    _echo_totals(report)
    # The report file keeps the severity codes ("error", "warning"); the screen shows labels.
    listed = [("error", e) for e in report.errors] + [("warning", w) for w in report.warnings]
    labels = {"error": _("error"), "warning": _("warning")}
    for severity, error in listed[:IMPORT_ERRORS_SHOWN]:
        click.echo(
            _(
                "%(sheet)s row %(row)d, %(field)s (%(severity)s): %(reason)s",
                sheet=error.sheet or "-",
                row=error.row_number,
                field=error.field or "-",
                severity=labels[severity],
                reason=error.reason,
            )
        )
    if report_file is not None:
        writer = csv.writer(report_file, lineterminator="\n")
        writer.writerow(["sheet", "row", "field", "severity", "reason"])
        writer.writerows((e.sheet, e.row_number, e.field, severity, str(e.reason)) for severity, e in listed)
        click.echo(_("Rejected rows written to %(name)s.", name=report_file.name))
    elif len(listed) > IMPORT_ERRORS_SHOWN:
        click.echo(
            _(
                "%(count)d more errors not shown; use --report FILE to get them all.",
                count=len(listed) - IMPORT_ERRORS_SHOWN,
            )
        )
    if report.rejected:
        raise click.exceptions.Exit(1)


@pupns.command("run-import")
@click.argument("batch_id", type=int)
@with_appcontext
def run_import_command(batch_id):
    """Run an import batch of the "Impor Data" screen in this process (BATCH_ID from its page).

    For a batch that is queued, failed or interrupted (its heartbeat stopped); a finished
    batch, or one still running in a web process, is left alone (exit code 1)."""
    from flask_babel import gettext as _

    from .models import ImportBatch
    from .services import import_jobs

    if db.session.get(ImportBatch, batch_id) is None:
        raise click.ClickException(_("No import batch %(id)d.", id=batch_id))
    db.session.rollback()
    ran = import_jobs.run(batch_id, app=current_app._get_current_object())
    batch = db.session.get(ImportBatch, batch_id)
    click.echo(
        _(
            "Batch %(id)d: %(status)s; %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(rejected)d rejected.",
            id=batch_id,
            status=batch.status,
            created=batch.created_count,
            updated=batch.updated_count,
            unchanged=batch.unchanged_count,
            rejected=batch.rejected_count,
        )
    )
    if not ran:
        raise click.exceptions.Exit(1)


@pupns.command("seed-demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Seed only when the database holds no Pegawai; otherwise just print the demo accounts.",
)
@click.option(
    "--pegawai",
    "pegawai_count",
    type=click.IntRange(min=1),
    default=3000,
    show_default=True,
    help="Number of Pegawai to generate.",
)
@click.option(
    "--force", is_flag=True, help="Run even with the production configuration (only ever on a throw-away database)."
)
@with_appcontext
def seed_demo_command(if_empty, pegawai_count, force):
    """Fill the database with demo data and one demo account per role.

    The demo passwords are printed and documented: never run this on a production database.
    """
    from flask_babel import gettext as _

    from .services import demo

    if current_app.config.get("ENV_NAME") == "production" and not force:
        raise click.ClickException(
            _(
                "Refusing to seed demo data with the production configuration: the demo accounts "
                "have published passwords. Use --force only on a throw-away database."
            )
        )
    if if_empty and demo.has_pegawai(db.session):
        click.echo(
            _("The database already holds %(count)d Pegawai; nothing seeded.", count=demo.count_pegawai(db.session))
        )
        accounts = demo.demo_accounts(db.session)
    else:
        result = demo.seed_demo(db.session, pegawai_count=pegawai_count)
        click.echo(
            _(
                "Seeded %(pegawai)d Pegawai with %(rows)d history and family rows, "
                "%(instansi)d new instansi and %(units)d new unit kerja in %(seconds).1f s.",
                pegawai=result.stats.pegawai,
                rows=result.stats.history_rows,
                instansi=result.stats.instansi_created,
                units=result.stats.units_created,
                seconds=result.seconds,
            )
        )
        accounts = result.accounts
    if not accounts:
        click.echo(_("There are no demo accounts in this database."))
        return
    header = (_("Role"), _("Username"), _("Password"), _("Scope"))
    rows = [header] + [(a.role, a.username, a.password, a.scope) for a in accounts]
    widths = [max(len(str(row[i])) for row in rows) for i in range(3)]
    click.echo("")
    for row in rows:
        cells = zip(row, widths, strict=False)  # the 4th column (scope) is not padded
        click.echo("  ".join(str(cell).ljust(width) for cell, width in cells) + "  " + row[3])
    click.echo("")
    click.echo(
        _(
            "Open %(url)s and sign in with one of these accounts (demo passwords: never use "
            "seed-demo on a production database).",
            url=demo.DEMO_URL,
        )
    )


@pupns.command("refresh-monitoring")
@with_appcontext
def refresh_monitoring_command():
    """Rebuild the monitoring figures (dashboard and verifier workload) in one transaction.

    Run it from cron every few minutes in production (MONITORING_REFRESH_ON_READ off), e.g.
    `*/5 * * * * cd /srv/pupns && .venv/bin/flask --app run pupns refresh-monitoring`.
    Exit code 1 when another refresh was running (nothing changed)."""
    from flask_babel import gettext as _

    from .services import monitoring

    if not monitoring.refresh(db.session):
        click.echo(_("Another refresh of the monitoring figures is running; nothing done."), err=True)
        raise click.exceptions.Exit(1)
    click.echo(
        _("Monitoring figures refreshed in %(seconds).1f s.", seconds=monitoring.last_refresh_seconds(db.session))
    )


@pupns.command("refresh-data-quality")
@click.option("--instansi", "kode", default=None, metavar="KODE", help="Only this instansi (its code).")
@click.option("--batch-size", default=1000, show_default=True, help="Records checked per transaction.")
@with_appcontext
def refresh_data_quality_command(kode, batch_size):
    """Check every active official record against the rules and rebuild the data-quality
    report (services.data_quality), one instansi after another, committing per batch.

    Hours at national scale, so nightly from cron rather than with refresh-monitoring, e.g.
    `30 1 * * * cd /srv/pupns && .venv/bin/flask --app run pupns refresh-data-quality`."""
    from flask_babel import gettext as _
    from sqlalchemy import select

    from .models import Instansi
    from .services import data_quality

    instansi_id = None
    if kode is not None:
        instansi_id = db.session.scalar(select(Instansi.id).where(Instansi.kode == kode))
        if instansi_id is None:
            raise click.BadParameter(_("No instansi with code %(kode)s.", kode=kode), param_hint="--instansi")

    def progress(instansi, records):
        click.echo(_("%(instansi)s: %(num)d records checked", instansi=instansi.kode, num=records), err=True)

    done = data_quality.refresh(db.session, instansi_id, batch_size=max(1, batch_size), progress=progress)
    click.echo(
        _(
            "Data quality: %(records)d records of %(instansi)d instansi checked, %(findings)d findings, "
            "in %(seconds).1f s.",
            records=done.records,
            instansi=done.instansi,
            findings=done.findings,
            seconds=done.seconds,
        )
    )


@pupns.command("create-api-key")
@click.option(
    "--user",
    "username",
    required=True,
    metavar="NAME",
    help="Account of the Integrasi role the key acts as (its scope applies).",
)
@click.option("--name", "name", metavar="TEXT", help="What the key is for (default: the account name).")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=365,
    show_default=True,
    help="Days the key stays valid; 0 for a key that never expires.",
)
@with_appcontext
def create_api_key_command(username, name, days):
    """Make an API key for the REST API and print it once (only its SHA-256 is kept).

    Exit code 1 when the account is unknown, inactive or not of the Integrasi role."""
    import datetime as dt

    from flask_babel import gettext as _

    from .models import utcnow
    from .services import apikeys

    owner = current_app.appbuilder.sm.find_user(username=username)
    expires = utcnow() + dt.timedelta(days=days) if days else None
    try:
        if owner is None:
            raise apikeys.KeyRefused(_("No account named %(name)s.", name=username))
        key, token = apikeys.create(db.session, owner, name or username, expires_on=expires)
    except apikeys.KeyRefused as refused:
        click.echo(_("No key made: %(reason)s", reason=refused.message), err=True)
        raise click.exceptions.Exit(1) from refused
    click.echo(
        _(
            "API key %(name)s for %(user)s, valid until %(until)s:",
            name=key.name,
            user=owner.username,
            until=f"{expires:%Y-%m-%d %H:%M} UTC" if expires else _("never expires"),
        )
    )
    click.echo(token)
    click.echo(_("It is shown only this once. Send it as the header X-API-Key or Authorization: Bearer."))


@pupns.command("outbox")
@click.option(
    "--last",
    "last",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many of the newest mails to print.",
)
@with_appcontext
def outbox_command(last):
    """Print the newest mails of the outbox (oldest of them first), links included.

    Without MAIL_SERVER this is where development mail ends up (also in the server log)."""
    from flask_babel import gettext as _
    from sqlalchemy import select

    from .models.audit import OutboxMail

    mails = db.session.scalars(
        select(OutboxMail).order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()).limit(last)
    ).all()
    if not mails:
        click.echo(_("The outbox is empty."))
        return
    for mail in reversed(mails):
        if mail.sent_at is not None:
            state = _("sent %(time)s UTC", time=f"{mail.sent_at:%Y-%m-%d %H:%M:%S}")
        elif mail.error:
            state = _("not sent: %(error)s", error=mail.error)
        else:
            state = _("in the outbox only (not sent)")
        click.echo("=" * 72)
        click.echo(f"#{mail.id}  {mail.created_at:%Y-%m-%d %H:%M:%S} UTC  [{state}]")
        click.echo(_("To: %(recipient)s", recipient=mail.recipient))
        click.echo(_("Subject: %(subject)s", subject=mail.subject))
        click.echo("")
        click.echo(mail.body)
    click.echo("=" * 72)
