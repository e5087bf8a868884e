"""The family of a demo Pegawai: marital status, spouse, children and parents (a mixin of
people.PeopleGenerator)."""

import datetime as dt

from ...models import (
    Anak,
    OrangTua,
    Pasangan,
    Pegawai,
)
from ...models.family import STATUS_HIDUP, STATUS_MENINGGAL
from ..rules import add_years
from .tables import PEKERJAAN_ORANG_TUA, ROMAN_MONTHS, month_start_on_or_after, years_between
from .world import REGION_CODES


class FamilyHistory:
    """Spouse, children and parents, drawn with the generator's rng."""

    def _marital_status(self, age: int, family: bool) -> str:
        if family:
            return "Kawin"
        if age < 25 and self.rng.random() < 0.7:
            return "Belum Kawin"
        return self.pick((("Kawin", 85), ("Belum Kawin", 7), ("Cerai Hidup", 4), ("Cerai Mati", 4)))

    def _family(self, inst, gender, born, married, home, status):
        """Spouse and children; returns (rows, marital status the rows agree with)."""
        rng = self.rng
        spouse_gender = "P" if gender == "L" else "L"
        gap = dt.timedelta(days=rng.randint(0, 6 * 365))
        spouse_born = born + gap if gender == "L" else born - gap
        youngest = max(born, spouse_born)
        menikah = self.date_between(add_years(youngest, 22), add_years(youngest, 30))
        menikah = min(menikah, self.as_of - dt.timedelta(days=30))
        if menikah < add_years(youngest, 19):
            return [], "Belum Kawin"
        spouse_nip = None
        if rng.random() < 0.15:
            spouse_tmt = month_start_on_or_after(add_years(spouse_born, rng.randint(22, 30)))
            if spouse_tmt <= add_years(self.as_of, -1):
                spouse_nip = self.nip(spouse_born, spouse_tmt, spouse_gender)
        cerai = None
        if married == "Cerai Hidup":
            if add_years(menikah, 2) < self.as_of:
                cerai = self.date_between(add_years(menikah, 2), self.as_of)
            else:
                married = "Kawin"
        rows = [
            Pasangan(
                nama=self.name(spouse_gender),
                nik=self.nik(home, spouse_born, spouse_gender),
                tempat_lahir=self.place(rng.choice(REGION_CODES)),
                tanggal_lahir=spouse_born,
                status_hidup=STATUS_MENINGGAL if married == "Cerai Mati" else STATUS_HIDUP,
                tanggal_menikah=menikah,
                akta_menikah=(
                    f"{rng.randint(1, 999)}/{rng.randint(1, 99):02d}/{ROMAN_MONTHS[menikah.month - 1]}/{menikah.year}"
                ),
                tanggal_cerai=cerai,
                akta_cerai=f"{rng.randint(1, 999)}/AC/{cerai.year}/PA" if cerai else None,
                no_karis_karsu=f"{self.digits(6)} {'J' if spouse_gender == 'P' else 'K'}"
                if status != Pegawai.STATUS_CPNS and married == "Kawin"
                else None,
                is_pns=spouse_nip is not None,
                nip=spouse_nip,
            )
        ]
        child_born = add_years(menikah, 1) + dt.timedelta(days=rng.randint(0, 700))
        for _child in range(self.pick(((0, 15), (1, 30), (2, 35), (3, 20)))):
            if child_born > self.as_of:
                break
            child_gender = rng.choice("LP")
            age = years_between(child_born, self.as_of)
            level, sekolah = None, None
            if age >= 22:
                level, sekolah = "S-1", self._kampus(inst)
            elif age >= 15:
                level, sekolah = "SLTA", f"SMA Negeri {rng.randint(1, 11)} {inst.kota}"
            elif age >= 12:
                level, sekolah = "SLTP", f"SMP Negeri {rng.randint(1, 12)} {inst.kota}"
            elif age >= 6:
                level, sekolah = "SD", f"SD Negeri {rng.randint(1, 12)} {inst.kota}"
            rows.append(
                Anak(
                    nama=self.name(child_gender),
                    nik=self.nik(home, child_born, child_gender),
                    tempat_lahir=self.place(home),
                    tanggal_lahir=child_born,
                    jenis_kelamin=child_gender,
                    status_anak=self.pick(((Anak.STATUS_KANDUNG, 95), (Anak.STATUS_ANGKAT, 3), (Anak.STATUS_TIRI, 2))),
                    status_hidup=STATUS_HIDUP if rng.random() < 0.98 else STATUS_MENINGGAL,
                    tingkat_pendidikan_id=self.pendidikan[level] if level else None,
                    nama_sekolah=sekolah,
                )
            )
            child_born = add_years(child_born, rng.randint(2, 5)) + dt.timedelta(days=rng.randint(0, 300))
        return rows, married

    def _parents(self, inst, born):
        rows = []
        for hubungan, gender, gap in ((OrangTua.HUBUNGAN_AYAH, "L", (25, 38)), (OrangTua.HUBUNGAN_IBU, "P", (20, 34))):
            parent_born = add_years(born, -self.rng.randint(*gap)) - dt.timedelta(days=self.rng.randint(0, 364))
            age = years_between(parent_born, self.as_of)
            dead = self.rng.random() < (0.6 if age > 75 else 0.25 if age > 65 else 0.05)
            rows.append(
                OrangTua(
                    hubungan=hubungan,
                    nama=self.name(gender),
                    tempat_lahir=self.place(self.origin_region(inst)),
                    tanggal_lahir=parent_born,
                    status_hidup=STATUS_MENINGGAL if dead else STATUS_HIDUP,
                    pekerjaan=self.rng.choice(PEKERJAAN_ORANG_TUA if gender == "L" else PEKERJAAN_ORANG_TUA[1:]),
                )
            )
        return rows
