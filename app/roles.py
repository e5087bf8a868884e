"""The roles of DESIGN.md §1 and what each may do, as plain data.

Imports nothing from `app`: services, views, the API and tests read the role names here, and
the security manager writes the table to the database (`services.permissions.sync_roles`).
Views and API classes are named by their FAB permission names (tests/test_roles.py checks
them against the registered views, so the strings cannot drift).
"""

ROLE_ADMIN = "Admin"
ROLE_PNS = "PNS"
ROLE_VERIFIKATOR_SKPD = "Verifikator SKPD"
ROLE_VERIFIKATOR_INSTANSI = "Verifikator Instansi"
ROLE_VERIFIKATOR_BKN = "Verifikator BKN"
ROLE_HELPDESK = "Helpdesk"
ROLE_MONITOR = "Monitor"
# Machine accounts of integration clients (BPJS, Taspen, an instansi's HR system): they read
# the REST API (app/api) with an API key, within their scope, and have no screens. Not in
# ALL_ROLES, the roles of people (DESIGN.md §1, one demo account each).
ROLE_INTEGRASI = "Integrasi"
ALL_ROLES = (
    ROLE_ADMIN,
    ROLE_PNS,
    ROLE_VERIFIKATOR_SKPD,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_BKN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
)

# The CRUD views of a Pegawai's history and family (models.PEGAWAI_CHILD_MODELS + "View").
EMPLOYEE_CHILD_VIEWS = (
    "RiwayatGolonganView",
    "RiwayatJabatanView",
    "RiwayatPendidikanView",
    "RiwayatDiklatView",
    "PenghargaanView",
    "RiwayatSkpView",
    "HukumanDisiplinView",
    "OrganisasiView",
    "KompetensiView",
    "PasanganView",
    "AnakView",
    "OrangTuaView",
    "PerumahanView",
)
# The read-only REST API resources (api.resources.API_CLASSES).
API_VIEWS = (
    "PegawaiApi",
    "RiwayatGolonganApi",
    "RiwayatJabatanApi",
    "RiwayatPendidikanApi",
    "PasanganApi",
    "AnakApi",
)


def _crud(view: str, *, write: bool) -> list[tuple[str, str]]:
    perms = ["can_list", "can_show"] + (["can_add", "can_edit", "can_delete"] if write else [])
    return [(p, view) for p in perms]


def role_permissions() -> dict[str, list[tuple[str, str]]]:
    """Permission/view pairs for every non-Admin role (Admin gets everything from FAB)."""
    employee_views = ["PegawaiView", *EMPLOYEE_CHILD_VIEWS]
    own_account = [
        ("can_userinfo", "UserDBModelView"),
        ("resetmypassword", "UserDBModelView"),
        ("can_this_form_get", "ResetMyPasswordView"),
        ("can_this_form_post", "ResetMyPasswordView"),
    ]
    read_employees = [pair for v in employee_views for pair in _crud(v, write=False)]
    read_employees += _crud("DokumenView", write=False) + [("can_download", "DokumenView")]
    read_employees += [("menu_access", m) for m in ("Employees", "Employee data", "Documents")]
    write_employees = [pair for v in employee_views for pair in _crud(v, write=True)]
    write_employees += [("muldelete", "PegawaiView")]
    handle_tickets = [
        (p, "TicketInboxView") for p in ("can_list", "can_show", "can_download", "can_claim", "can_resolve")
    ]
    handle_tickets += [("menu_access", m) for m in ("Helpdesk", "Helpdesk tickets")]
    approve_registrations = [(p, "RegistrationApprovalView") for p in ("can_list", "can_approve", "can_reject")]
    approve_registrations += [("menu_access", m) for m in ("Verification", "Registration approval")]
    helpdesk_accounts = [(p, "HelpdeskAccountView") for p in ("can_lookup", "can_reset", "can_unlock")]
    helpdesk_accounts += [("menu_access", m) for m in ("Helpdesk", "Registration lookup")]
    verify_submissions = [(p, "VerificationInboxView") for p in ("can_list", "can_show", "can_act")]
    verify_submissions += [("menu_access", m) for m in ("Verification", "Verification inbox")]
    my_data = [
        ("can_access", "MyDataView"),
        ("menu_access", "My data"),
        ("can_list", "MessageView"),
        ("menu_access", "Messages"),
    ]
    # Dashboard, lists, workload and exports, each user within his own scope (services.monitoring).
    monitoring = [("can_access", "MonitoringView"), ("can_export", "MonitoringView")]
    monitoring += [("menu_access", m) for m in ("Monitoring", "Dashboard", "Verifier workload")]
    # The data-quality report (services.data_quality): Monitor in his scope, the Verifikator
    # Instansi for his own instansi (BKD cleans its records).
    data_quality = [("can_access", "DataQualityView"), ("can_export", "DataQualityView")]
    data_quality += [("menu_access", m) for m in ("Monitoring", "Data quality")]
    return {
        ROLE_PNS: own_account + my_data,
        ROLE_VERIFIKATOR_SKPD: own_account + read_employees + verify_submissions + monitoring,
        ROLE_VERIFIKATOR_INSTANSI: own_account
        + read_employees
        + write_employees
        + handle_tickets
        + approve_registrations
        + verify_submissions
        + monitoring
        + data_quality,
        ROLE_VERIFIKATOR_BKN: own_account + read_employees + verify_submissions + monitoring,
        ROLE_HELPDESK: own_account + handle_tickets + helpdesk_accounts + verify_submissions,
        ROLE_MONITOR: own_account + read_employees + monitoring + data_quality,
        # The read-only REST API (app/api), nothing else.
        ROLE_INTEGRASI: [(p, api) for api in API_VIEWS for p in ("can_get", "can_info")],
    }
