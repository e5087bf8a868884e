"""Admin screens for the organisation and reference tables."""

from ..models import (
    Agama,
    Golongan,
    Jadwal,
    Instansi,
    JenisDiklat,
    JenisJabatan,
    Kanreg,
    SecurityQuestion,
    StatusPerkawinan,
    TingkatPendidikan,
    UnitKerja,
)
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from ..i18n import PHASE_LABELS
from ..models.org import UnitTreeError, tree_problem

from .base import reference_view


class UnitTreeChecks:
    """The Admin's unit form: a parent that would make the unit its own ancestor, or that
    belongs to another instansi, is refused with a message before anything is saved (the
    model refuses it too, for every other path; the path itself is derived there)."""

    def _check_tree(self, item):
        session = self.datamodel.session
        with session.no_autoflush:
            problem = tree_problem(session.connection(), item)
        if problem is not None:
            # On edit FAB has already copied the form onto the stored unit: drop those changes.
            session.rollback()
            raise UnitTreeError(problem)

    def pre_add(self, item):
        self._check_tree(item)

    def pre_update(self, item):
        self._check_tree(item)


REFERENCE_VIEWS = [
    (reference_view(Kanreg, ["kode", "nama"]), "Kanreg", _l("Kanreg")),
    (reference_view(Instansi, ["kode", "nama", "jenis", "kanreg"]), "Instansi", _l("Instansi")),
    (
        reference_view(UnitKerja, ["kode", "nama", "instansi", "parent", "aktif"], mixins=(UnitTreeChecks,)),
        "Work units",
        _l("Work units"),
    ),
    (reference_view(Golongan, ["kode", "pangkat", "tingkat"]), "Golongan", _l("Golongan")),
    (reference_view(TingkatPendidikan, ["kode", "nama"]), "Education levels", _l("Education levels")),
    (reference_view(Agama, ["nama"]), "Religions", _l("Religions")),
    (reference_view(StatusPerkawinan, ["nama"]), "Marital statuses", _l("Marital statuses")),
    (reference_view(JenisJabatan, ["nama", "berlaku_mulai", "berlaku_sampai"]), "Position types", _l("Position types")),
    (reference_view(JenisDiklat, ["nama", "kategori"]), "Training types", _l("Training types")),
    (reference_view(SecurityQuestion, ["pertanyaan"]), "Security questions", _l("Security questions")),
    (
        reference_view(
            Jadwal,
            ["fase", "mulai", "selesai", "kanreg", "instansi"],
            form_fields={
                "fase": SelectField(
                    _l("Phase"),
                    choices=list(PHASE_LABELS.items()),
                    validators=[DataRequired()],
                    widget=Select2Widget(),
                )
            },
        ),
        "Schedule",
        _l("Schedule"),
    ),
]
