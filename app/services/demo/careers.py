"""The career history of a demo Pegawai: schooling, golongan, jabatan and diklat rows that
pass the history rules (a mixin of people.PeopleGenerator)."""

import datetime as dt

from ...models import (
    Pegawai,
    RiwayatDiklat,
    RiwayatGolongan,
    RiwayatJabatan,
    RiwayatPendidikan,
    codes,
)
from ..rules import add_years
from .tables import (
    CAREERS,
    CHAIN,
    D3_UMUM,
    DIKLAT_TEKNIS,
    EDUCATION,
    GOLONGAN_ANGKA_KREDIT,
    JFT_LEVELS,
    JFT_UMUM,
    JFT_UMUM_TERAMPIL,
    JFU_TITLES,
    KURSUS,
    NATIONAL_KAMPUS,
    OLD_ENGINEERING,
    OLD_TITLE_YEAR,
    S1_GURU,
    S1_UMUM,
    S2_GURU,
    S2_UMUM,
    S3_ALL,
    SMA_JURUSAN,
    SMK_JURUSAN,
    SPESIALIS,
    TOPICS,
    kp_period_on_or_after,
    month_start_on_or_after,
)
from .world import REGION_CODES, REGIONS, InstansiSpec


class CareerHistory:
    """Education, golongan, jabatan and diklat history, drawn with the generator's rng."""

    def _school(self, level: str, city: str) -> tuple[str, str, str]:
        """(tingkat pendidikan, school name, jurusan) of a school below university."""
        rng = self.rng
        if level == "SD":
            return "SD", f"SD Negeri {rng.randint(1, 12)} {city}", None
        if level == "SLTP":
            return "SLTP", f"SMP Negeri {rng.randint(1, 12)} {city}", None
        roll = rng.random()
        if roll < 0.25:
            return "SLTA Kejuruan", f"SMK Negeri {rng.randint(1, 6)} {city}", rng.choice(SMK_JURUSAN)
        if roll < 0.35:
            return "SLTA", f"MAN {rng.randint(1, 3)} {city}", rng.choice(SMA_JURUSAN)
        return "SLTA", f"SMA Negeri {rng.randint(1, 11)} {city}", rng.choice(SMA_JURUSAN)

    def _kampus(self, inst: InstansiSpec) -> str:
        return self.rng.choice(inst.kampus) if self.rng.random() < 0.7 else self.rng.choice(NATIONAL_KAMPUS)

    def _education(self, inst, career, edu_cpns, upgrade, born, tmt_cpns, end, gender):
        """Riwayat pendidikan up to the CPNS qualification (+ a degree in service).
        Returns (rows, final level, gelar depan, gelar belakang)."""
        rng = self.rng
        city = rng.choice((inst.kota, REGIONS[rng.choice(REGION_CODES)][0].title()))
        grad_ages = EDUCATION[edu_cpns][0]
        chain = list(CHAIN[edu_cpns])
        dates = []
        for age in grad_ages:
            day = add_years(born, age) + dt.timedelta(days=rng.randint(120, 300))
            dates.append(min(day, tmt_cpns - dt.timedelta(days=30)))
        if upgrade:
            grad = add_years(tmt_cpns, rng.randint(4, 10)) + dt.timedelta(days=rng.randint(0, 300))
            if grad < end:
                chain.append(upgrade)
                dates.append(grad)
        rows, depan, belakang = [], [], []
        s1_field = None
        for level, graduated in zip(chain, dates, strict=False):
            gd = gb = jurusan = None
            show = True
            if level in ("SD", "SLTP", "SLTA"):
                tingkat, sekolah, jurusan = self._school(level, city)
            else:
                tingkat, sekolah = level, self._kampus(inst)
                if level == "D-III":
                    if career == "perawat":
                        jurusan, gb, sekolah = "Keperawatan", "A.Md.Kep.", f"Poltekkes Kemenkes {inst.kota}"
                    elif career == "bidan":
                        jurusan, gb, sekolah = "Kebidanan", "A.Md.Keb.", f"Akademi Kebidanan {inst.kota}"
                    else:
                        jurusan, gb = rng.choice(D3_UMUM)
                elif level in ("S-1", "D-IV"):
                    if career in ("dokter",):
                        jurusan, gb, show = "Pendidikan Dokter", "S.Ked.", False
                    elif career == "perawat":
                        jurusan, gb = "Ilmu Keperawatan", "S.Kep."
                    elif career == "guru":
                        jurusan, gb = rng.choice(S1_GURU)
                    else:
                        jurusan, gb = rng.choice(S1_UMUM)
                    if level == "D-IV":
                        gb = "S.ST."
                    s1_field = gb
                    if graduated.year < OLD_TITLE_YEAR and gb not in ("S.Ked.", "S.H.", "S.Kep."):
                        gd = "Ir." if gb in OLD_ENGINEERING else ("Drs." if gender == "L" else "Dra.")
                        gb = None
                elif level == "Profesi":
                    if career == "perawat":
                        jurusan, gb = "Profesi Ners", "Ns."
                    else:
                        jurusan, gd = "Profesi Dokter", "dr."
                elif level == "Spesialis":
                    jurusan, gb = rng.choice(SPESIALIS)
                    jurusan = f"Spesialis {jurusan}"
                elif level == "S-2":
                    jurusan, gb = rng.choice(S2_GURU if s1_field in ("S.Pd.", "S.Pd.I.") else S2_UMUM)
                elif level == "S-3":
                    jurusan, gd = rng.choice(S3_ALL), "Dr."
            if show and gd:
                depan.insert(0, gd) if gd == "Dr." else depan.append(gd)
            if show and gb:
                belakang.append(gb)
            rows.append(
                RiwayatPendidikan(
                    tingkat_pendidikan_id=self.pendidikan[tingkat],
                    jurusan=jurusan,
                    nama_sekolah=sekolah,
                    tahun_lulus=graduated.year,
                    tanggal_lulus=graduated,
                    nomor_ijazah=f"{rng.randint(1, 99):02d} {self.digits(2)} {self.digits(7)}",
                    gelar_depan=gd,
                    gelar_belakang=gb,
                    pendidikan_pertama=(level == edu_cpns),
                )
            )
        return rows, chain[-1], " ".join(depan) or None, ", ".join(belakang) or None

    def _golongan(self, inst, career, start, ceiling, tmt_cpns, end, status, sk_nomor, sk_tanggal):
        """Riwayat golongan as (tingkat, row): the CPNS golongan, then one step per promotion
        up to the ceiling (the CPNS and PNS golongan are one row, as the Satgas asked)."""
        rng = self.rng
        jft = CAREERS[career][0] == "Fungsional Tertentu"
        rows = [
            (
                start,
                RiwayatGolongan(
                    golongan_id=self.golongan[start][0],
                    nomor_sk=sk_nomor,
                    tanggal_sk=sk_tanggal,
                    tmt_golongan=tmt_cpns,
                    jenis_kp=codes.KP_PENGANGKATAN_CPNS,
                    masa_kerja_tahun=0,
                    masa_kerja_bulan=0,
                ),
            )
        ]
        if status == Pegawai.STATUS_CPNS:
            return rows
        tingkat, tmt = start, tmt_cpns
        while True:
            position = self.tingkat_list.index(tingkat)
            if position + 1 >= len(self.tingkat_list) or self.tingkat_list[position + 1] > ceiling:
                break
            # Fungsional staff rise with their angka kredit (from 2 years); others every 4-5.
            interval = rng.choice((2, 3, 4, 4, 5)) if jft else (5 if rng.random() < 0.25 else 4)
            nxt_tmt = kp_period_on_or_after(add_years(tmt, interval))
            if nxt_tmt > end:
                break
            tingkat, tmt = self.tingkat_list[position + 1], nxt_tmt
            months = (tmt.year - tmt_cpns.year) * 12 + tmt.month - tmt_cpns.month
            tanggal_sk = tmt - dt.timedelta(days=rng.randint(10, 75))
            if career == "struktural" and tingkat >= 41:
                jenis_kp = codes.KP_PILIHAN_STRUKTURAL
            elif jft:
                jenis_kp = codes.KP_PILIHAN_FUNGSIONAL
            else:
                jenis_kp = codes.KP_REGULER
            rows.append(
                (
                    tingkat,
                    RiwayatGolongan(
                        golongan_id=self.golongan[tingkat][0],
                        nomor_sk=self.sk(inst, "kp", tanggal_sk.year),
                        tanggal_sk=tanggal_sk,
                        tmt_golongan=tmt,
                        nomor_pertek=f"PT-{self.digits(5)}/KR.{inst.kanreg}/{tanggal_sk.year}"
                        if tingkat >= 33
                        else None,
                        tanggal_pertek=tanggal_sk - dt.timedelta(days=rng.randint(7, 30)) if tingkat >= 33 else None,
                        jenis_kp=jenis_kp,
                        masa_kerja_tahun=months // 12,
                        masa_kerja_bulan=months % 12,
                        angka_kredit=GOLONGAN_ANGKA_KREDIT.get(tingkat) if jft else None,
                    ),
                )
            )
        return rows

    def _jft_title(self, base: str, tingkat: int, keahlian: bool) -> str:
        if keahlian:
            level = "Pertama" if tingkat < 33 else "Muda" if tingkat < 41 else "Madya" if tingkat < 44 else "Utama"
        else:
            level = "Pelaksana" if tingkat < 31 else "Pelaksana Lanjutan" if tingkat < 33 else "Penyelia"
        return f"{base} {level}"

    def _jabatan(self, inst, unit, career, edu, golongan, tmt_cpns, end, status):
        """Riwayat jabatan: consecutive, non-overlapping rows; the last one is current."""
        rng = self.rng
        entries = []  # (start, name, jenis, eselon)
        jft_id = "Fungsional Tertentu"
        if career in ("guru", "dokter", "perawat", "bidan", "jft"):
            keahlian = career in ("guru", "dokter") or edu not in ("D-III", "SLTA")
            if career == "jft":
                base = rng.choice(JFT_UMUM if keahlian else JFT_UMUM_TERAMPIL)
            else:
                base = {"guru": "Guru", "dokter": "Dokter", "perawat": "Perawat", "bidan": "Bidan"}[career]
            for tingkat, row in golongan:
                title = self._jft_title(base, tingkat, keahlian)
                if not entries or entries[-1][1] != title:
                    entries.append((row.tmt_golongan, title, jft_id, None))
        else:
            level = "low" if edu in ("SD", "SLTP") else "mid" if edu in ("SLTA", "D-III") else "high"
            entries.append((tmt_cpns, rng.choice(JFU_TITLES[level]), "Fungsional Umum", None))
            if career == "struktural":
                topics = TOPICS[{"faskes": "kesehatan", "sekolah": "pendidikan"}.get(unit.kind, unit.kind)]
                sekretariat = "Sekretariat" in unit.nama or unit.nama.startswith(("Biro", "Bagian"))
                steps = (
                    (33, "Kepala Subbagian" if sekretariat else "Kepala Seksi", "IV.a"),
                    (41, "Kepala Bagian" if sekretariat else "Kepala Bidang", "III.b"),
                )
                for min_tingkat, title, eselon in steps:
                    reached = next((r.tmt_golongan for t, r in golongan if t >= min_tingkat), None)
                    if reached is None:
                        break
                    start = month_start_on_or_after(reached + dt.timedelta(days=rng.randint(60, 540)))
                    if start > end or start <= entries[-1][0]:
                        break
                    entries.append((start, f"{title} {rng.choice(topics)}", "Struktural", eselon))
            elif rng.random() < 0.3:
                start = month_start_on_or_after(add_years(tmt_cpns, rng.randint(3, 12)))
                title = rng.choice(JFU_TITLES[level])
                if start < end and title != entries[-1][1]:
                    entries.append((start, title, "Fungsional Umum", None))
        rows = []
        for i, (start, name, jenis, eselon) in enumerate(entries):
            if i + 1 < len(entries):
                finish = entries[i + 1][0] - dt.timedelta(days=1)
            else:
                finish = end if status == Pegawai.STATUS_PENSIUN else None
            tanggal_sk = start - dt.timedelta(days=rng.randint(3, 45))
            rows.append(
                RiwayatJabatan(
                    jenis_jabatan_id=self.jenis_jabatan[jenis],
                    unit_kerja_nama=unit.nama,
                    eselon=eselon,
                    nama_jabatan=name,
                    tmt_jabatan=start,
                    tmt_selesai=finish,
                    nomor_sk=self.sk(inst, "jab", tanggal_sk.year),
                    tanggal_sk=tanggal_sk,
                    tmt_pelantikan=start if jenis == "Struktural" else None,
                )
            )
        return rows

    def _diklat(self, inst, career, jabatan_rows, tmt_cpns, end):
        rng = self.rng
        courses = []  # (jenis, nama, jam, earliest start, penyelenggara)
        for row in jabatan_rows:
            if row.eselon == "IV.a":
                courses.append(
                    ("Diklatpim Tk. IV", "Diklat Kepemimpinan Tingkat IV", 285, row.tmt_jabatan, inst.diklat)
                )
            elif row.eselon == "III.b":
                courses.append(
                    (
                        "Diklatpim Tk. III",
                        "Diklat Kepemimpinan Tingkat III",
                        360,
                        row.tmt_jabatan,
                        "Lembaga Administrasi Negara",
                    )
                )
        if career == "guru" and end.year >= 2008 and rng.random() < 0.7:
            courses.append(
                (
                    "Diklat Fungsional",
                    "Pendidikan dan Latihan Profesi Guru (PLPG)",
                    90,
                    max(tmt_cpns, dt.date(2008, 1, 1)),
                    f"Rayon PLPG {inst.kampus[0]}",
                )
            )
        elif CAREERS[career][0] == "Fungsional Tertentu" and rng.random() < 0.6:
            base = " ".join(w for w in jabatan_rows[0].nama_jabatan.split() if w not in JFT_LEVELS)
            courses.append(
                (
                    "Diklat Fungsional",
                    f"Diklat Pembentukan Jabatan Fungsional {base}",
                    120,
                    jabatan_rows[0].tmt_jabatan,
                    inst.diklat,
                )
            )
        if rng.random() < 0.35:
            name, jam = rng.choice(DIKLAT_TEKNIS)
            courses.append(("Diklat Teknis", name, jam, add_years(tmt_cpns, 1), inst.diklat))
        if rng.random() < 0.1:
            name, jam = rng.choice(KURSUS)
            courses.append(("Kursus", name, jam, tmt_cpns, f"Lembaga Kursus {inst.kota}"))
        rows = []
        for jenis, nama, jam, earliest, penyelenggara in courses:
            mulai = self.date_between(earliest + dt.timedelta(days=30), earliest + dt.timedelta(days=720))
            selesai = mulai + dt.timedelta(days=max(2, jam // 8))
            if selesai > end:
                continue
            rows.append(
                RiwayatDiklat(
                    jenis_diklat_id=self.jenis_diklat[jenis],
                    nama=nama,
                    nomor_sertifikat=f"{self.digits(4)}/DIKLAT/{selesai.year}",
                    tanggal_mulai=mulai,
                    tanggal_selesai=selesai,
                    tahun=selesai.year,
                    jumlah_jam=jam,
                    penyelenggara=penyelenggara,
                )
            )
        return rows

    # -- family --------------------------------------------------------------------
