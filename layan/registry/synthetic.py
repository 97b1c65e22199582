"""A synthetic population for a regency: realistic families, deterministic from a seed.

:func:`generate` builds families of 1–8 people for the districts and villages of one regency:
names that sound like the people who live there (Javanese, Sundanese, Malay and Minang, Banjar,
Lampung, Muslim and Christian names, more common names more often; some with a title or a degree,
some of the old generation in the old spelling), birth dates that fit each role (parents 18–45
years older than their children, spouses of a similar age, a few twins), valid NIKs (the
district code, the birth date with 40 added to the day for women, a serial unique per prefix),
KK numbers, religion, marital status, the relation to the head, and the parents' names kept
consistent inside the family (a child's mother is the wife of the family, the head's mother is
the grandmother living with them). Names are written in capitals, as SIAK keeps them.

On request it plants duplicates, the Data Ganda an office finds in its own registry: the same
person registered again under another NIK with a spelling variant, a title, a typo, the day and
month swapped or a day off, sometimes two of these at once; and NIKs used by another person
(those cannot be stored in a registry that keeps one record per NIK, so they are returned as the
applications that would state them). :class:`Population` says which pairs were planted and which
pairs are twins, writes the tables in bulk (:meth:`Population.store`, through the importer's
writer) or a SIAK-format CSV for ``layan registry import`` (:meth:`Population.write_csv`).

:func:`load_synthetic` does both for the demo::

    load_synthetic(region="18.08", districts=[("18.08.01", "Blambangan Umpu"), ...],
                   families=2000, seed=7, now=now)
"""

from __future__ import annotations

import csv
import random
import re
from bisect import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from django.utils import timezone

from layan.registry.dedup import Person, swap
from layan.registry.folding import TITLES, fold_name
from layan.registry.imports import Row, Writer
from layan.registry.models import LifeStatus, Region

# --------------------------------------------------------------------------- the names

# fmt: off
# Each group: given names for men and women of the older generation (born before 1975) and of
# the younger one, and second names; the earlier a name in its list, the more common it is.
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "jawa": {
        "m_old": (
            "Slamet", "Sutrisno", "Suparman", "Sukardi", "Supriyadi", "Sugiyono", "Sumarno",
            "Paijo", "Parman", "Wagiman", "Kasiman", "Marjuki", "Tukiman", "Sarmin", "Ngadimin",
            "Karsono", "Sunarto", "Mulyono", "Sutarno", "Kusnadi", "Warsito", "Pujiono", "Darmaji",
            "Suyono", "Bambang", "Joko", "Heru", "Budi", "Yono", "Harjo", "Kasno",
        ),
        "f_old": (
            "Sumarni", "Sutinah", "Ngatini", "Sukarti", "Paini", "Tumini", "Suwarni", "Painem",
            "Wagiyem", "Juminah", "Sarinah", "Kasmini", "Suyati", "Parmi", "Tukinem", "Sumiati",
            "Lasmi", "Rubiyah", "Marsinah", "Sri", "Siti", "Sulastri", "Suparni", "Warsini",
            "Katini", "Sukini", "Partini", "Jumiyem",
        ),
        "m": (
            "Agus", "Eko", "Budi", "Dwi", "Adi", "Andi", "Bayu", "Joko", "Wahyu", "Arif", "Teguh",
            "Fajar", "Dimas", "Rizki", "Yoga", "Bagus", "Galih", "Hendra", "Heru", "Yudi", "Anton",
            "Tri", "Didik", "Slamet", "Imam", "Bowo", "Rudi", "Aris", "Dedi", "Sigit", "Yusuf",
            "Hadi", "Nanang", "Eka", "Catur", "Gilang", "Ardi", "Puji",
        ),
        "f": (
            "Sri", "Dwi", "Tri", "Siti", "Eka", "Dewi", "Rina", "Fitri", "Nur", "Puji", "Indah",
            "Ayu", "Anisa", "Ratna", "Wulan", "Retno", "Endah", "Dian", "Lia", "Rini", "Yuli",
            "Novita", "Sari", "Yuni", "Tutik", "Umi", "Wahyu", "Desi", "Lestari", "Ning", "Eni",
            "Tri Wahyu", "Purwati",
        ),
        "m_last": (
            "Setiawan", "Prasetyo", "Santoso", "Nugroho", "Saputra", "Pratama", "Wibowo",
            "Hidayat", "Kurniawan", "Hartono", "Purnomo", "Gunawan", "Susilo", "Cahyono",
            "Firmansyah", "Wijaya", "Utomo", "Wicaksono", "Prabowo", "Sutrisno", "Maulana",
            "Ramadhan", "Riyadi", "Suryanto", "Hermawan", "Supriyanto", "Budiman",
        ),
        "f_last": (
            "Lestari", "Wahyuni", "Handayani", "Rahayu", "Susanti", "Astuti", "Sartika",
            "Rahmawati", "Wulandari", "Sulistyowati", "Pertiwi", "Anggraini", "Permatasari",
            "Ningsih", "Kusumawati", "Puspitasari", "Suryani", "Widayati", "Yuliani", "Ramadhani",
            "Safitri", "Mulyani", "Setyaningsih", "Utami", "Purwanti",
        ),
    },
    "sunda": {
        "m_old": (
            "Ujang", "Dadang", "Asep", "Cecep", "Endang", "Maman", "Enjang", "Usep", "Aep", "Ayi",
            "Dede", "Iwan", "Jajang", "Oman", "Aceng", "Udin", "Ece", "Encep",
        ),
        "f_old": (
            "Euis", "Neneng", "Iis", "Entin", "Imas", "Cucu", "Ai", "Yati", "Enok", "Lilis",
            "Nining", "Teti", "Popon", "Tati", "Ela", "Yuyun", "Wiwin", "Onih", "Iyam",
        ),
        "m": (
            "Asep", "Ujang", "Dadang", "Cecep", "Yayan", "Ade", "Dede", "Deden", "Iwan", "Agus",
            "Rudi", "Jajang", "Hendi", "Ridwan", "Yusuf", "Rizal", "Ilham", "Gugun", "Wawan",
            "Ikbal", "Fikri", "Rangga",
        ),
        "f": (
            "Euis", "Neneng", "Iis", "Imas", "Ai", "Lilis", "Rina", "Siti", "Dede", "Ela", "Yuyun",
            "Teti", "Nurul", "Rini", "Fitri", "Santi", "Intan", "Neng", "Anisa", "Nita", "Ratna",
        ),
        "m_last": (
            "Saepudin", "Suherman", "Hermawan", "Supriatna", "Sopyan", "Sudrajat", "Kurnia",
            "Saepuloh", "Setiawan", "Sutisna", "Hidayat", "Nurjaman", "Sutarman", "Rahmat",
            "Gunawan", "Permana", "Ramdani", "Firmansyah", "Mulyana", "Sukmana",
        ),
        "f_last": (
            "Komariah", "Hasanah", "Rohaeti", "Kartini", "Masitoh", "Sumiati", "Nurhayati",
            "Rohayati", "Suryani", "Marlina", "Nurjanah", "Nurlaela", "Yuningsih", "Rosmiati",
            "Maryati", "Kurniasih", "Nurhasanah", "Rahmawati", "Lestari",
        ),
    },
    "melayu": {  # Malay and Minang
        "m_old": (
            "Zulkifli", "Syamsul", "Zainal", "Bustami", "Jasman", "Darmawan", "Asrul", "Mukhlis",
            "Efendi", "Yusran", "Nasrul", "Syafii", "Kamaruddin", "Amiruddin", "Yunus", "Harun",
            "Rasyid", "Burhanuddin", "Usman", "Zainuddin",
        ),
        "f_old": (
            "Nurhayati", "Rosmaniar", "Yusnimar", "Nurmaini", "Asmawati", "Mardiah", "Rosmiati",
            "Syafrida", "Ernawati", "Rosna", "Nurbaiti", "Yusniar", "Jusmaniar", "Darmawati",
            "Zuraida", "Nurlela", "Rosnani", "Syamsiar",
        ),
        "m": (
            "Muhammad", "Rahmat", "Ahmad", "Syafrizal", "Yusrizal", "Afrizal", "Nofriadi",
            "Hendri", "Zulhendri", "Erwin", "Rudi", "Yuliardi", "Alfian", "Fadli", "Irwan",
            "Khairul", "Yulizar", "Firdaus", "Roni", "Doni", "Ilham", "Fauzan", "Randi", "Rizky",
            "Arif", "Dodi", "Yogi", "Feri", "Andri", "Reza",
        ),
        "f": (
            "Yulia", "Rahmi", "Desi", "Fitri", "Erlinda", "Yenni", "Yuliarni", "Elfi", "Nelfi",
            "Yulinda", "Susi", "Rina", "Fitriani", "Silvia", "Novi", "Mega", "Rani", "Rahma",
            "Sri", "Nurul", "Putri", "Wahyuni", "Rezki", "Suci", "Mutia",
        ),
        "m_last": (
            "Hidayat", "Fauzi", "Bahri", "Hartono", "Abidin", "Anwar", "Saputra", "Putra",
            "Syahputra", "Rahman", "Efendi", "Yusuf", "Ramadhan", "Hamdani", "Akbar", "Fernando",
            "Syafri", "Kurniawan", "Firmansyah", "Hakim",
        ),
        "f_last": (
            "Fitri", "Ratnasari", "Yani", "Susanti", "Wati", "Yanti", "Sari", "Handayani",
            "Novita", "Andriani", "Oktaviani", "Marlina", "Yusnita", "Hayati", "Afrianti", "Zulfa",
            "Ramadhani", "Rahmadani", "Safitri",
        ),
    },
    "banjar": {
        "m_old": (
            "Abdul Hamid", "Mahmud", "Rusdi", "Anang", "Jailani", "Hamdani", "Masrani", "Aspihani",
            "Syaifullah", "Rusmadi", "Abdul Wahab", "Basri", "Arbain", "Rasyidi", "Hamberi",
            "Saberi", "Jumberi", "Asmuni",
        ),
        "f_old": (
            "Masliani", "Jumiati", "Rusmiati", "Norhalimah", "Galuh", "Norlaila", "Hafsah",
            "Rusmini", "Mahrita", "Salasiah", "Masitah", "Fatimah", "Jamilah", "Mariam", "Saniah",
            "Bainah", "Aluh",
        ),
        "m": (
            "Muhammad", "Ahmad", "Akhmad", "Abdul", "Gusti", "Rahmadi", "Fahrurazi",
            "Syahriansyah", "Khairani", "Riduan", "Ramli", "Noor", "Rizali", "Arsyad", "Hairul",
            "Fadillah", "Zainal", "Rahmat", "Syarif", "Saifullah",
        ),
        "f": (
            "Siti", "Noor", "Nor", "Rabiatul", "Mariatul", "Rahmawati", "Siti Rahmah", "Norjannah",
            "Hafsah", "Aisyah", "Salma", "Rusdiana", "Nurul", "Maulida", "Rahmah", "Fitriani",
            "Halimah",
        ),
        "m_last": (
            "Arsyad", "Rifani", "Hamid", "Noor", "Ramli", "Riduan", "Rahman", "Wahab", "Hidayat",
            "Mahfuz", "Anshari", "Yusuf", "Sani", "Effendi", "Fahmi", "Aini",
        ),
        "f_last": (
            "Aisyah", "Hidayah", "Rahmah", "Adawiyah", "Kiptiah", "Zubaidah", "Jannah", "Hasanah",
            "Wahidah", "Maulida", "Fitriah", "Aulia", "Hafizah", "Salamah",
        ),
    },
    "lampung": {
        "m_old": (
            "Hasanuddin", "Kholidin", "Marzuki", "Hasbullah", "Syamsudin", "Azwar", "Ansori",
            "Bustami", "Zainudin", "Husin", "Romli", "Harun", "Nasrun", "Sahrul", "Ismail",
        ),
        "f_old": (
            "Rohimah", "Halimah", "Rosidah", "Nurlela", "Fitriyah", "Yusnani", "Asmarani",
            "Rusmala", "Zuraida", "Masyitoh", "Maryam", "Rohani", "Aminah",
        ),
        "m": (
            "Herwansyah", "Erwansyah", "Yuliansyah", "Marwansyah", "Hermansyah", "Rohman", "Rifki",
            "Dedi", "Fikri", "Ridho", "Ahmad", "Muhammad", "Khairul", "Heri", "Irfan", "Rahmat",
            "Iwan", "Andi", "Ferdi",
        ),
        "f": (
            "Maryani", "Yuliana", "Herlina", "Juwita", "Lela", "Neli", "Marlina", "Fitri", "Rina",
            "Yeni", "Desi", "Siti", "Nurul", "Dewi", "Novi", "Ria",
        ),
        "m_last": (
            "Irawan", "Saputra", "Syah", "Pratama", "Hidayat", "Kurniawan", "Gunawan", "Setiawan",
            "Hakim", "Putra", "Ramadhan", "Anwar",
        ),
        "f_last": (
            "Sari", "Yanti", "Wati", "Susanti", "Lestari", "Novita", "Anggraini", "Marlina",
            "Oktavia", "Puspita", "Rahmawati",
        ),
    },
    "kristen": {
        "m_old": (
            "Yohanes", "Paulus", "Stefanus", "Yosef", "Agustinus", "Petrus", "Benediktus",
            "Fransiskus", "Markus", "Adrianus", "Robertus", "Yakobus",
        ),
        "f_old": (
            "Maria", "Fransiska", "Theresia", "Kristina", "Elisabeth", "Magdalena", "Veronika",
            "Katarina", "Agnes", "Yuliana",
        ),
        "m": (
            "Yohanes", "Daniel", "Stefanus", "Yosef", "Paulus", "Samuel", "Kristian", "Timotius",
            "Matius", "Lukas", "Gabriel", "Michael", "Yonatan", "Kevin",
        ),
        "f": (
            "Maria", "Monika", "Lidia", "Debora", "Ester", "Priskila", "Kristina", "Agnes",
            "Theresia", "Veronika", "Yohana", "Natalia", "Gracia", "Angelina",
        ),
        "m_last": (
            "Budi Santoso", "Setiawan", "Wijaya", "Kurniawan", "Prasetyo", "Nugroho", "Gunawan",
            "Hartono", "Susanto", "Christian", "Wibowo",
        ),
        "f_last": (
            "Sri Rahayu", "Lestari", "Wulandari", "Handayani", "Susanti", "Kristiani", "Natalia",
            "Anggraini", "Wahyuni", "Dewi",
        ),
    },
}

# Given names of children born from 2005 on, whatever the family's group.
MODERN = {
    "m": (
        "Muhammad", "Rafa", "Azka", "Arkan", "Kenzo", "Fathan", "Naufal", "Zidan", "Farel",
        "Rizky", "Arsya", "Bima", "Dafa", "Reyhan", "Hafiz", "Fadhil", "Alif", "Ibrahim", "Daffa",
        "Rasya", "Gibran", "Aditya", "Akbar", "Haikal", "Satria", "Zaki", "Al Fatih", "Alfarizqi",
        "Raffasya", "Abdullah", "Rafif", "Arfan",
    ),
    "f": (
        "Aqila", "Keisha", "Zhafira", "Khanza", "Alesha", "Arsyila", "Adzkia", "Naila", "Aisyah",
        "Shakira", "Zaskia", "Athaya", "Nayla", "Salsabila", "Nabila", "Zahra", "Siti", "Aulia",
        "Syifa", "Kayla", "Alya", "Citra", "Anindya", "Hanum", "Kirana", "Nadhira", "Qeisya",
        "Raisa", "Safa", "Tsabita", "Humaira",
    ),
}
MODERN_LAST = {
    "m": (
        "Pratama", "Saputra", "Ramadhan", "Putra", "Alfarizi", "Maulana", "Al Ghifari", "Akbar",
        "Firmansyah", "Hidayat", "Wijaya", "Setiawan",
    ),
    "f": (
        "Putri", "Ramadhani", "Azzahra", "Aulia", "Nur Aini", "Safitri", "Maharani", "Anggraini",
        "Rahmadani", "Kirana", "Lestari", "Amelia",
    ),
}

# The groups that live in a province, with their weight (others: a national mix).
GROUPS_BY_PROVINCE = {
    "13": {"melayu": 88, "jawa": 7, "sunda": 2, "kristen": 3},
    "18": {"jawa": 58, "lampung": 16, "sunda": 12, "melayu": 9, "kristen": 5},
    "63": {"banjar": 86, "jawa": 9, "melayu": 2, "kristen": 3},
}
NATIONAL = {"jawa": 42, "sunda": 16, "melayu": 20, "banjar": 5, "lampung": 5, "kristen": 12}

# Where the adults who moved in were born, with the district code of their NIK.
ELSEWHERE = (
    ("SEMARANG", "33.74.01"), ("KEBUMEN", "33.05.05"), ("PONOROGO", "35.02.06"),
    ("KEDIRI", "35.06.10"), ("BANDUNG", "32.04.11"), ("GARUT", "32.05.13"),
    ("JAKARTA", "31.71.03"), ("PADANG", "13.71.02"), ("BUKITTINGGI", "13.75.01"),
    ("PALEMBANG", "16.71.04"), ("BANDAR LAMPUNG", "18.71.02"), ("BANJARMASIN", "63.71.03"),
    ("KANDANGAN", "63.06.03"), ("SURABAYA", "35.78.06"), ("YOGYAKARTA", "34.71.05"),
)
VILLAGE_NAMES = (
    "Sukamaju", "Sidomulyo", "Tanjung Raja", "Gunung Sari", "Karang Agung", "Sumber Jaya",
    "Mekar Jaya", "Sri Rejeki", "Tri Tunggal", "Bumi Ratu", "Kampung Baru", "Sinar Harapan",
    "Tanjung Sari", "Suka Damai", "Mulya Agung", "Sidoharjo", "Marga Jaya", "Bandar Agung",
    "Tiuh Balak", "Negeri Baru", "Sukarame", "Purwodadi", "Rejo Sari", "Pasar Lama", "Air Mati",
    "Batu Putih", "Koto Baru", "Pulau Panggung", "Simpang Tiga", "Lubuk Batu",
)
STREETS = (
    "JL. LINTAS SUMATERA", "JL. MERDEKA", "JL. PEMUDA", "JL. PENDIDIKAN", "JL. MASJID",
    "JL. PASAR", "JL. SUDIRMAN", "JL. AHMAD YANI", "JL. KARTINI", "JL. DIPONEGORO",
    "JL. PERINTIS KEMERDEKAAN", "JL. RAYA",
)
DEGREES = (
    "S.Pd", "S.E", "S.H", "S.Kom", "S.T", "A.Md", "S.Ag", "S.Sos", "S.Pd.I", "S.Kep", "S.IP",
    "A.Md.Kep", "S.Si", "S.P",
)

# Second given names of those born from 1980 on ("Dwi Ayu Lestari").
MIDDLE = {
    "m": ("Adi", "Ari", "Nur", "Dwi", "Rizki", "Putra", "Budi", "Fajar", "Yoga", "Dian", "Eko",
          "Agung", "Indra", "Bayu", "Surya", "Dimas", "Arya", "Aji", "Ilham", "Hadi"),
    "f": ("Ayu", "Nur", "Putri", "Dwi", "Indah", "Dian", "Ika", "Nurul", "Sri", "Ratna", "Dewi",
          "Rahma", "Fitri", "Puspita", "Tri", "Eka", "Sari", "Wulan", "Intan", "Mega"),
}

# The parts of coined Javanese names.
COINED = {
    "start": ("su", "sa", "pa", "ka", "wa", "da", "tu", "mu", "ha", "ra", "sri", "pur", "sar",
              "kas", "mar", "tar", "sas", "war", "ngat", "sup", "sug", "suk", "sum", "sut", "ju",
              "ti", "ri", "pai", "tuk", "wag", "kar", "dar", "nga"),
    "root": ("", "", "", "ki", "mi", "di", "ri", "ti", "ni", "wi", "ji", "ya", "ra", "ma", "na",
             "ta", "ka", "to", "mo", "dar", "mar", "par", "yat", "rip", "wan", "ron", "kim", "din",
             "har", "lim", "tin", "gi"),
    "m_end": ("man", "min", "no", "di", "to", "jo", "yo", "mo", "nto", "rto", "ran", "rso", "dja",
              "ijo", "ardi", "ono", "ijan", "ipan", "udin", "un"),
    "f_end": ("ni", "nah", "yem", "ti", "mi", "sih", "yah", "inem", "iyah", "rah", "nem", "tun",
              "rni", "nti", "wati", "iyati", "ini", "ijah", "ipah", "unah"),
}
ARABIC = {
    "m_first": ("Abdul", "Muhammad", "Ahmad", "Nur", "Abdullah", "Zainal", "Syamsul", "Khairul",
                "Ali", "Hasan", "Umar", "Usman"),
    "m": ("Rahman", "Hamid", "Wahab", "Aziz", "Karim", "Malik", "Gani", "Latif", "Rasyid", "Majid",
          "Kadir", "Jalil", "Halim", "Muis", "Salam", "Hakim", "Rauf", "Basir", "Syukur", "Fattah",
          "Razak", "Mutalib", "Rasid", "Hadi", "Ilyas", "Yunus", "Ismail", "Idris", "Ikhsan",
          "Arifin", "Anwar", "Fauzi", "Ridwan", "Yahya", "Zakaria", "Zubair", "Amin", "Mahfud",
          "Huda", "Mukhtar"),
    "f_first": ("Siti", "Nur", "Noor", "Siti Nur", "Nurul", "Ummi", "Rabiatul", "Khairun"),
    "f": ("Aisyah", "Fatimah", "Khadijah", "Zainab", "Maryam", "Rahmah", "Salamah", "Halimah",
          "Aminah", "Rukayah", "Hafsah", "Zubaidah", "Mahmudah", "Saudah", "Jamilah", "Rohani",
          "Hasanah", "Hidayah", "Jannah", "Azizah", "Latifah", "Sholihah", "Munawarah",
          "Khotimah", "Nafisah", "Rodiah", "Sa'adah", "Laila", "Zahra", "Habibah", "Mardiyah",
          "Masitoh", "Muslimah", "Nadirah", "Qomariah", "Syarifah"),
}

# First elements that never stand alone as a name.
PREFIXES = frozenset((
    "Sri", "Siti", "Dwi", "Tri", "Eka", "Nur", "Catur", "Muhammad", "Ahmad", "Akhmad", "Abdul",
    "Noor", "Nor", "Gusti", "Rabiatul", "Mariatul",
))

SIZES = {1: 8, 2: 12, 3: 20, 4: 25, 5: 17, 6: 9, 7: 5, 8: 4}
# fmt: on


# --------------------------------------------------------------------------- the population


@dataclass(frozen=True)
class District:
    """A kecamatan of the regency, with its villages (desa/kelurahan: code and name)."""

    code: str  # "PP.KK.DD"
    name: str
    villages: tuple[tuple[str, str], ...] = ()


@dataclass
class Member:
    nik: str
    name: str
    sex: str
    birth_date: date
    birth_place: str
    religion: str
    relation: str
    marital_status: str
    father_name: str = ""
    mother_name: str = ""
    status: str = LifeStatus.ALIVE
    died_on: date | None = None
    moved_to: str = ""


@dataclass
class SyntheticFamily:
    kk_number: str
    address: str
    rt: str
    rw: str
    village_code: str
    village: str
    members: list[Member] = field(default_factory=list)


@dataclass(frozen=True)
class Planted:
    """A planted duplicate: the record ``duplicate`` is the person of ``original`` again."""

    kind: str  # spelling, title, typo, swapped, day_off, and "+"-joined combinations
    original: str  # NIK
    duplicate: str  # NIK


@dataclass(frozen=True)
class ReusedNik:
    """Another person stating the NIK of a registered resident (an application, not a row)."""

    nik: str
    person: Person


@dataclass
class Population:
    region: str
    families: list[SyntheticFamily]
    planted: list[Planted] = field(default_factory=list)
    reused: list[ReusedNik] = field(default_factory=list)
    twins: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(f.members) for f in self.families)

    def rows(self) -> Iterator[Row]:
        """Every resident as an import row (line numbers as in :meth:`write_csv`)."""
        line = 1
        for family in self.families:
            for m in family.members:
                line += 1
                yield Row(
                    line=line, nik=m.nik, kk_number=family.kk_number, name=m.name,
                    birth_place=m.birth_place, birth_date=m.birth_date, sex=m.sex,
                    religion=m.religion, marital_status=m.marital_status, relation=m.relation,
                    father_name=m.father_name, mother_name=m.mother_name,
                    address=family.address, rt=family.rt, rw=family.rw,
                    village_code=family.village_code, village=family.village, status=m.status,
                    died_on=m.died_on, moved_to=m.moved_to,
                )  # fmt: skip

    def store(self, *, now: datetime | None = None, batch_size: int = 2000,
              history: bool = True) -> dict[str, int]:  # fmt: skip
        """Write the families and residents (and an ``imported`` history entry each, unless
        ``history`` is off) in bulk, in one transaction. Returns the counts."""
        writer = Writer(
            region=self.region, now=now or timezone.now(), source="synthetic",
            batch_size=batch_size, history=history,
        )  # fmt: skip
        return writer.write_all(self.rows())

    def write_csv(self, path: str | Path, *, delimiter: str = ";") -> int:
        """The population as a SIAK export (``docs/registry.md``); returns the rows written."""
        from_rows = self.rows()
        with open(path, "w", encoding="utf-8", newline="") as handle:
            return write_siak_csv(handle, from_rows, delimiter=delimiter)


SIAK_HEADER = (
    "NIK", "NO_KK", "NAMA_LGKP", "TMPT_LHR", "TGL_LHR", "JENIS_KLMIN", "AGAMA", "STATUS_KAWIN",
    "STAT_HBKEL", "NAMA_LGKP_AYAH", "NAMA_LGKP_IBU", "ALAMAT", "NO_RT", "NO_RW", "KODE_KEL",
    "NAMA_KEL", "STATUS", "TGL_MATI",
)  # fmt: skip
_SIAK_WORDS = {
    "religion": {"islam": "ISLAM", "kristen": "KRISTEN", "katolik": "KATHOLIK",
                 "hindu": "HINDU", "buddha": "BUDHA", "khonghucu": "KHONGHUCU",
                 "kepercayaan": "KEPERCAYAAN TERHADAP TUHAN YME"},
    "marital_status": {"belum_kawin": "BELUM KAWIN", "kawin": "KAWIN",
                       "cerai_hidup": "CERAI HIDUP", "cerai_mati": "CERAI MATI"},
    "relation": {"kepala": "KEPALA KELUARGA", "suami": "SUAMI", "istri": "ISTRI",
                 "anak": "ANAK", "menantu": "MENANTU", "cucu": "CUCU", "orang_tua": "ORANG TUA",
                 "mertua": "MERTUA", "famili": "FAMILI LAIN", "lainnya": "LAINNYA"},
    "status": {"alive": "HIDUP", "deceased": "MATI", "moved": "PINDAH"},
}  # fmt: skip


def write_siak_csv(handle, rows: Iterable[Row], *, delimiter: str = ";") -> int:
    """``rows`` written as a SIAK export: the header of :data:`SIAK_HEADER`, dates DD-MM-YYYY,
    the coded columns in SIAK's words."""
    out = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
    out.writerow(SIAK_HEADER)
    words = _SIAK_WORDS
    count = 0
    for r in rows:
        out.writerow((
            r.nik, r.kk_number, r.name, r.birth_place, r.birth_date.strftime("%d-%m-%Y"),
            "LAKI-LAKI" if r.sex == "L" else "PEREMPUAN",
            words["religion"].get(r.religion, r.religion.upper()),
            words["marital_status"].get(r.marital_status, ""),
            words["relation"].get(r.relation, ""), r.father_name, r.mother_name, r.address,
            r.rt, r.rw, r.village_code, r.village, words["status"].get(r.status, "HIDUP"),
            r.died_on.strftime("%d-%m-%Y") if r.died_on else "",
        ))  # fmt: skip
        count += 1
    return count


def districts_of(region: str) -> list[District]:
    """The districts of ``region`` from the region table (with their villages when loaded)."""
    rows = Region.objects.filter(code__startswith=f"{region}.").order_by("code")
    districts: dict[str, District] = {}
    villages: dict[str, list[tuple[str, str]]] = {}
    for code, name, level in rows.values_list("code", "name", "level"):
        if level == Region.Level.DISTRICT:
            districts[code] = District(code, name)
        elif level == Region.Level.VILLAGE:
            villages.setdefault(code[:8], []).append((code, name))
    return [replace(d, villages=tuple(villages.get(d.code, ()))) for d in districts.values()]


def _as_district(value: Any) -> District:
    if isinstance(value, District):
        return value
    if isinstance(value, dict):
        return District(value["code"], value["name"], tuple(map(tuple, value.get("villages", ()))))
    code, name, *rest = value
    return District(code, name, tuple(map(tuple, rest[0])) if rest else ())


class _Generator:
    def __init__(self, region: str, districts: Sequence[District], seed: int, today: date):
        self.rng = random.Random(seed)
        self.region = region
        self.today = today
        self.districts = [self._with_villages(d) for d in districts]
        self.serials: dict[str, int] = {}
        self.kk_serials: dict[str, int] = {}
        groups = GROUPS_BY_PROVINCE.get(region[:2], NATIONAL)
        self.groups, self.group_weights = list(groups), list(groups.values())
        self.twins: list[tuple[str, str]] = []
        self.elsewhere_start = 1000 + int(region.replace(".", "")) * 37 % 7000
        self._weights: dict[int, list[float]] = {}

    def _with_villages(self, district: District) -> District:
        if district.villages:
            return district
        # No village list: eight villages, the first named after the district (its seat).
        rng = random.Random(district.code)
        names = [district.name.upper(), *rng.sample(VILLAGE_NAMES, 7)]
        villages = tuple(
            (f"{district.code}.{(1001 if i == 0 else 2000 + i):04d}", name.upper())
            for i, name in enumerate(names)
        )
        return replace(district, villages=villages)

    # ---------------------------------------------------------------- picking

    def pick(self, items: Sequence[str]) -> str:
        """A name from a list, the earlier ones more often (a Zipf-like frequency)."""
        totals = self._weights.get(len(items))
        if totals is None:
            totals = list(accumulate(1 / (rank + 1) ** 0.6 for rank in range(len(items))))
            self._weights[len(items)] = totals
        return items[bisect(totals, self.rng.random() * totals[-1])]

    def given_name(self, group: str, sex: str, born: date) -> str:
        key = "m" if sex == "L" else "f"
        names = NAMES[group]
        rng = self.rng
        if born.year >= 2005 and group != "kristen" and rng.random() < 0.5:
            name = self.pick(MODERN[key])
            if name in PREFIXES:
                name = f"{name} {self.pick(MODERN[key][1:])}"
            if rng.random() < 0.6:
                second = self.pick(MODERN[key])
                if second not in name.split():
                    name = f"{name} {second}"
            if rng.random() < 0.6:
                name = f"{name} {self.pick(MODERN_LAST[key])}"
            return name
        old = born.year < 1975
        if group in ("jawa", "sunda") and rng.random() < (0.65 if old else 0.3):
            name = self.coined(key, sundanese=group == "sunda")  # Sukirman, Dadang
        elif group in ("melayu", "banjar", "lampung") and rng.random() < 0.35:
            name = self.arabic(key)  # Abdul Halim, Siti Rukayah
        else:
            name = self.pick(names[f"{key}_old" if old else key])
        if born.year >= 1980 and " " not in name and rng.random() < 0.35:
            middle = self.pick(MIDDLE[key])
            if middle != name:
                name = f"{name} {middle}"
        second = 0.35 if old else 0.85
        if name in PREFIXES or group == "kristen" or rng.random() < second:
            last = self.pick(names[f"{key}_last"])
            if last.split()[0] not in name.split():
                name = f"{name} {last}"
        if rng.random() < 0.12:  # spelt another accepted way by this family
            name = natural_variant(name, rng)
        return name

    def coined(self, key: str, *, sundanese: bool = False) -> str:
        """A name made the way Javanese names are (a prefix, a root, an ending: Sukirman,
        Partini) or Sundanese ones (a doubled syllable: Dadang, Lilis)."""
        rng = self.rng
        if sundanese:
            consonant, vowel = rng.choice("bcdjklmnprstwy"), rng.choice("aaeiiuo")
            ending = rng.choice(("ng", "n", "p", "s", "t", "h", "ng", "r"))
            return f"{consonant}{vowel}{consonant}{vowel}{ending}".capitalize()
        start, root = rng.choice(COINED["start"]), rng.choice(COINED["root"])
        ending = rng.choice(COINED[f"{key}_end"])
        if root == start:
            root = ""
        stem = start + root
        if stem[-1] in "aiueo" and ending[0] in "aiueo":
            ending = ending[1:] or ending
        return (stem + ending).capitalize()

    def arabic(self, key: str) -> str:
        rng = self.rng
        return f"{rng.choice(ARABIC[f'{key}_first'])} {rng.choice(ARABIC[key])}"

    def full_name(self, group: str, sex: str, born: date, religion: str) -> str:
        name = self.given_name(group, sex, born)
        rng = self.rng
        if born.year < 1972 and rng.random() < 0.35:
            name = old_spelling(name)
        age = self.age(born)
        roll = rng.random()
        if age >= 45 and religion == "islam" and roll < 0.05:
            name = f"{'H.' if sex == 'L' else 'Hj.'} {name}"
        elif age >= 24 and born.year >= 1955 and roll < 0.10:
            name = f"{name}, {rng.choice(DEGREES)}"
        elif 1940 <= born.year < 1970 and roll < 0.12:
            name = f"{'Drs.' if sex == 'L' else 'Dra.'} {name}"
        return name.upper()

    def age(self, born: date) -> int:
        today = self.today
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def born_between(self, earliest: date, latest: date) -> date:
        span = max((latest - earliest).days, 0)
        return earliest + timedelta(days=self.rng.randint(0, span))

    def years_before(self, day: date, years: float) -> date:
        return day - timedelta(days=round(years * 365.25))

    # ---------------------------------------------------------------- numbers

    def nik(self, district_code: str, born: date, sex: str) -> str:
        digits = district_code.replace(".", "")
        day = born.day + (40 if sex == "P" else 0)
        prefix = f"{digits}{day:02d}{born.month:02d}{born.year % 100:02d}"
        # NIKs issued elsewhere start at a serial of this regency's own, so the populations of
        # two regencies never share a NIK (and stay under 9001, which the demo keeps for itself)
        start = 0 if code_in(district_code, self.region) else self.elsewhere_start
        serial = self.serials.get(prefix, start) + 1
        if serial > 9999:
            raise ValueError(f"no NIK serial left for {prefix}")
        self.serials[prefix] = serial
        return f"{prefix}{serial:04d}"

    def kk_number(self, district_code: str, issued: date) -> str:
        prefix = f"{district_code.replace('.', '')}{issued:%d%m%y}"
        serial = self.kk_serials.get(prefix, 0) + 1
        self.kk_serials[prefix] = serial
        return f"{prefix}{serial:04d}"

    # ---------------------------------------------------------------- a family

    def family(self) -> SyntheticFamily:
        rng = self.rng
        district = rng.choice(self.districts)
        village_code, village = rng.choice(district.villages)
        group = rng.choices(self.groups, self.group_weights)[0]
        religion = "islam"
        if group == "kristen":
            religion = rng.choices(("kristen", "katolik"), (3, 2))[0]
        elif rng.random() < 0.01:
            religion = "kristen"
        size = rng.choices(list(SIZES), list(SIZES.values()))[0]
        members = self.members(size, group, religion, district)
        if rng.random() < 0.5:
            address = f"{rng.choice(STREETS)} NO. {rng.randint(1, 180)}"
        else:
            address = f"DUSUN {rng.choice(VILLAGE_NAMES).upper()}"
        head_born = members[0].birth_date
        issued = self.born_between(max(date(2005, 1, 1), self.years_before(head_born, -18)),
                                   self.today)  # fmt: skip
        return SyntheticFamily(
            kk_number=self.kk_number(district.code, issued), address=address,
            rt=f"{rng.randint(1, 12):03d}", rw=f"{rng.randint(1, 6):03d}",
            village_code=village_code, village=village, members=members,
        )  # fmt: skip

    def person(self, *, group, religion, sex, born, relation, marital, district, local=True,
               father="", mother="") -> Member:  # fmt: skip
        rng = self.rng
        place, code = district.name.upper(), district.code
        if not local:
            place, code = rng.choice(ELSEWHERE)
        return Member(
            nik=self.nik(code, born, sex), name=self.full_name(group, sex, born, religion),
            sex=sex, birth_date=born, birth_place=place, religion=religion, relation=relation,
            marital_status=marital, father_name=father, mother_name=mother,
        )  # fmt: skip

    def parent_names(self, group: str, religion: str, child_born: date) -> tuple[str, str]:
        """The names of a person's parents who do not live in the family."""
        father_born = self.years_before(child_born, self.rng.uniform(22, 40))
        mother_born = self.years_before(child_born, self.rng.uniform(18, 36))
        return (self.full_name(group, "L", father_born, religion),
                self.full_name(group, "P", mother_born, religion))  # fmt: skip

    def members(self, size: int, group: str, religion: str, district: District) -> list[Member]:
        rng, today = self.rng, self.today
        local_adult = rng.random() < 0.8  # the adults born in the regency, or moved in
        if size == 1:
            if rng.random() < 0.5:
                born = self.born_between(self.years_before(today, 38), self.years_before(today, 19))
                sex, marital = rng.choice("LP"), "belum_kawin"
            else:
                born = self.born_between(self.years_before(today, 88), self.years_before(today, 58))
                sex = rng.choices("LP", (1, 3))[0]
                marital = rng.choices(("cerai_mati", "cerai_hidup"), (5, 1))[0]
            father, mother = self.parent_names(group, religion, born)
            head = self.person(group=group, religion=religion, sex=sex, born=born,
                               relation="kepala", marital=marital, district=district,
                               local=local_adult, father=father, mother=mother)  # fmt: skip
            return [head]

        extras = 0
        if size >= 4 and rng.random() < 0.18:
            extras = 1
        married = rng.random() < 0.88
        children = size - 1 - (1 if married else 0) - extras
        if children < 0:
            children, extras = 0, 0
            married = True
        # The mother's and father's birth dates leave room for the children between 18 and 45.
        need = 18 + children * 2.5
        mother_age = rng.uniform(max(20.0, need), max(62.0, need + 1))
        if children == 0:
            mother_age = rng.uniform(20, 75)
        mother_born = self.years_before(today, mother_age)
        father_born = self.years_before(mother_born, rng.uniform(-3, 10))
        head_sex = "L" if married else rng.choices("LP", (1, 3))[0]
        earliest = self.years_before(max(mother_born, father_born), -18)
        latest = min(self.years_before(min(mother_born, father_born), -45), today)
        births: list[date] = []
        day = self.born_between(earliest, self.years_before(earliest, -6))
        for _ in range(children):
            if day > latest:
                break
            births.append(day)
            day = day + timedelta(days=rng.randint(430, 2200))
        twins_at: int | None = None
        if births and rng.random() < 0.04:
            twins_at = rng.randrange(len(births))

        father_parents = self.parent_names(group, religion, father_born)
        mother_parents = self.parent_names(group, religion, mother_born)
        husband = self.person(group=group, religion=religion, sex="L", born=father_born,
                              relation="kepala", marital="kawin", district=district,
                              local=local_adult, father=father_parents[0],
                              mother=father_parents[1])  # fmt: skip
        wife = self.person(group=group, religion=religion, sex="P", born=mother_born,
                           relation="istri", marital="kawin", district=district,
                           local=local_adult or rng.random() < 0.5, father=mother_parents[0],
                           mother=mother_parents[1])  # fmt: skip
        if married:
            head, spouse = husband, wife
            members = [head, spouse]
        else:
            head = wife if head_sex == "P" else husband
            head.relation = "kepala"
            head.marital_status = rng.choices(("cerai_mati", "cerai_hidup"), (3, 1))[0]
            spouse = None
            members = [head]
        father_name = husband.name
        mother_name = wife.name
        kids: list[Member] = []
        for index, born in enumerate(births):
            count = 2 if index == twins_at else 1
            for _ in range(count):
                kid = self.child(group, religion, born, district, father_name, mother_name, kids)
                kids.append(kid)
        if twins_at is not None:
            pair = [k for k in kids if k.birth_date == births[twins_at]]
            self.twins.append((pair[0].nik, pair[1].nik))
        members.extend(kids)
        for kid in kids:
            if self.age(kid.birth_date) >= 17 and rng.random() < 0.15:
                kid.marital_status = "kawin"
        if extras:
            members.append(self.relative(group, religion, district, head, spouse, kids))
        self.deaths_and_moves(members)
        return members

    def child(self, group, religion, born, district, father_name, mother_name,
              siblings) -> Member:  # fmt: skip
        sex = self.rng.choice("LP")
        kid = self.person(group=group, religion=religion, sex=sex, born=born, relation="anak",
                          marital="belum_kawin", district=district, father=father_name,
                          mother=mother_name)  # fmt: skip
        # Siblings, twins above all, have distinct given names.
        for _ in range(20):
            if not any(_alike(kid.name, s.name) for s in siblings):
                break
            kid.name = self.full_name(group, sex, born, religion)
        return kid

    def relative(self, group, religion, district, head, spouse, kids) -> Member:
        """A grandparent, a grandchild or another relative living with the family."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.45 and self.age(head.birth_date) < 60:
            # the head's mother (or the wife's: mertua), widowed
            parent = head if spouse is None or rng.random() < 0.6 else spouse
            born = self.born_between(self.years_before(parent.birth_date, 40),
                                     self.years_before(parent.birth_date, 19))  # fmt: skip
            grandmother = self.person(
                group=group, religion=religion, sex="P", born=born,
                relation="orang_tua" if parent is head else "mertua", marital="cerai_mati",
                district=district, local=False,
            )  # fmt: skip
            grandmother.father_name, grandmother.mother_name = self.parent_names(
                group, religion, born
            )
            parent.mother_name = grandmother.name
            return grandmother
        adults = [k for k in kids if self.age(k.birth_date) >= 20]
        if roll < 0.8 and adults:
            parent = adults[0]
            partner_born = self.years_before(parent.birth_date, rng.uniform(-2, 2))
            earliest = self.years_before(max(parent.birth_date, partner_born), -19)
            if earliest < self.today:
                born = self.born_between(earliest, self.today)
                mother = parent.name if parent.sex == "P" else self.full_name(
                    group, "P", partner_born, religion
                )  # fmt: skip
                father = parent.name if parent.sex == "L" else self.full_name(
                    group, "L", partner_born, religion
                )  # fmt: skip
                parent.marital_status = "kawin"
                return self.person(group=group, religion=religion, sex=rng.choice("LP"),
                                   born=born, relation="cucu", marital="belum_kawin",
                                   district=district, father=father, mother=mother)  # fmt: skip
        born = self.born_between(
            self.years_before(self.today, 30), self.years_before(self.today, 8)
        )
        father, mother = self.parent_names(group, religion, born)
        return self.person(group=group, religion=religion, sex=rng.choice("LP"), born=born,
                           relation="famili", marital="belum_kawin", district=district,
                           father=father, mother=mother)  # fmt: skip

    def deaths_and_moves(self, members: list[Member]) -> None:
        rng = self.rng
        for m in members[1:]:
            if m.relation in ("orang_tua", "mertua") and rng.random() < 0.15:
                m.status = LifeStatus.DECEASED
                m.died_on = self.born_between(self.years_before(self.today, 4), self.today)
            elif m.relation == "anak" and self.age(m.birth_date) >= 19 and rng.random() < 0.04:
                m.status = LifeStatus.MOVED
                m.moved_to = rng.choice(ELSEWHERE)[0]

    # ---------------------------------------------------------------- planted duplicates

    def plant(self, families: list[SyntheticFamily], count: int, reused: int,
              population: Population) -> None:  # fmt: skip
        rng = self.rng
        people = [
            (f, m) for f in families for m in f.members
            if m.status == LifeStatus.ALIVE and self.age(m.birth_date) >= 1
        ]  # fmt: skip
        chosen = rng.sample(people, min(count + reused, len(people)))
        kinds = ("spelling", "title", "typo", "swapped", "day_off")
        for _family, original in chosen[:count]:
            kind = rng.choices(kinds, (3, 2, 3, 1, 2))[0]
            if kind == "swapped" and swap(original.birth_date) is None:
                kind = "day_off"
            applied = [kind]
            if rng.random() < 0.25:
                second = rng.choice([k for k in ("spelling", "typo", "day_off") if k != kind])
                if not (second == "day_off" and kind == "swapped"):
                    applied.append(second)
            duplicate = self.duplicate_of(original, applied)
            # registered again in another village of the regency: a family of one
            district = rng.choice(self.districts)
            village_code, village = rng.choice(district.villages)
            issued = self.born_between(date(2012, 1, 1), self.today)
            families.append(SyntheticFamily(
                kk_number=self.kk_number(district.code, issued),
                address=f"DUSUN {rng.choice(VILLAGE_NAMES).upper()}",
                rt=f"{rng.randint(1, 12):03d}", rw=f"{rng.randint(1, 6):03d}",
                village_code=village_code, village=village, members=[duplicate],
            ))  # fmt: skip
            population.planted.append(Planted("+".join(applied), original.nik, duplicate.nik))
        for _family, original in chosen[count:]:
            # another person stating this NIK
            sex = rng.choice("LP")
            born = self.born_between(
                self.years_before(self.today, 70), self.years_before(self.today, 17)
            )
            name = self.full_name("jawa", sex, born, "islam")
            population.reused.append(ReusedNik(original.nik, Person(
                name=name, birth_date=born, sex=sex, nik=original.nik,
                mother_name=self.full_name("jawa", "P", self.years_before(born, 25), "islam"),
                role="applicant",
            )))  # fmt: skip

    def duplicate_of(self, original: Member, kinds: list[str]) -> Member:
        rng = self.rng
        name, born, mother = original.name, original.birth_date, original.mother_name
        for kind in kinds:
            if kind == "spelling":
                changed = on_core(name, old_spelling)
                if changed == name or fold_name(changed) != fold_name(name):
                    changed = spelling_variant(name, rng)  # already old, or no letter to change
                name = changed
                older = on_core(mother, old_spelling)
                if rng.random() < 0.3 and fold_name(older) == fold_name(mother):
                    mother = older
            elif kind == "title":
                name = with_title(name, original.sex, rng)
            elif kind == "typo":
                name = typo(name, rng)
            elif kind == "swapped":
                born = swap(born) or born
            elif kind == "day_off":
                born = born + timedelta(days=rng.choice((-1, 1)))
        district = rng.choice(self.districts)
        return Member(
            nik=self.nik(district.code, born, original.sex), name=name, sex=original.sex,
            birth_date=born, birth_place=original.birth_place, religion=original.religion,
            relation="kepala", marital_status=original.marital_status,
            father_name=original.father_name, mother_name=mother,
        )  # fmt: skip


def code_in(district_code: str, region: str) -> bool:
    return district_code.startswith(f"{region}.")


def _alike(first: str, second: str) -> bool:
    """Whether two siblings' names are too close to tell apart (the given names differ by
    little more than a letter, or share a word other than a common first element)."""
    a, b = fold_name(first).split(), fold_name(second).split()
    rest_a = [w for w in a if w not in b]
    rest_b = [w for w in b if w not in a]
    if not rest_a or not rest_b:
        return True
    common = {"muhammad", "ahmad", "siti", "nur", "dwi", "tri", "eka", "sri", "putri", "putra"}
    if set(a) & set(b) - common:
        return True
    x, y = " ".join(rest_a), " ".join(rest_b)
    return x[:3] == y[:3] or x[-3:] == y[-3:]


def old_spelling(name: str) -> str:
    """``name`` in the spelling before 1972 (Ejaan Soewandi): u → oe, j → dj, y → j, c → tj,
    kh → ch."""
    return _NEW_LETTERS.sub(lambda m: _OLD_LETTERS[m[0]], name)


_OLD_LETTERS = {"kh": "ch", "u": "oe", "j": "dj", "y": "j", "c": "tj"}
_OLD_LETTERS |= {k.upper(): v.upper() for k, v in _OLD_LETTERS.items()}
_OLD_LETTERS |= {"Kh": "Ch"}
_NEW_LETTERS = re.compile("kh|Kh|KH|[ujycUJYC]")


# How families spell one name differently: each pair both ways.
NATURAL = (("rizki", "rizky"), ("fitri", "fitry"), ("saputra", "saputera"), ("setiawan",
           "setyawan"), ("hidayat", "hidayad"), ("rahmat", "rakhmat"), ("ahmad", "achmad"),
           ("muhammad", "muhamad"), ("yusuf", "yusup"), ("fauzi", "fauzy"),
           ("syafitri", "safitri"), ("anisa", "annisa"), ("lestari", "lestary"),
           ("prasetyo", "prasetio"), ("wahyuni", "wahyuningsih"), ("nur", "noor"),
           ("aisyah", "aisah"), ("zahra", "zahrah"), ("khairul", "hairul"))  # fmt: skip
_NATURAL = {a: b for a, b in NATURAL} | {b: a for a, b in NATURAL}


def natural_variant(name: str, rng: random.Random) -> str:
    """``name`` with one of its words spelt another accepted way (Rizki → Rizky), if it has one."""
    words = name.split()
    spots = [i for i, w in enumerate(words) if w.lower() in _NATURAL]
    if not spots:
        return name
    i = rng.choice(spots)
    other = _NATURAL[words[i].lower()]
    words[i] = other.upper() if words[i].isupper() else other.capitalize()
    return " ".join(words)


def _is_title(word: str) -> bool:
    return word.strip(",").replace(".", "").lower() in TITLES


def on_core(name: str, change) -> str:
    """``name`` with ``change`` applied to each word that is not a title or degree."""
    return " ".join(w if _is_title(w) else change(w) for w in name.split())


def spelling_variant(name: str, rng: random.Random) -> str:
    """Another accepted spelling of ``name`` (two words joined, a letter another way), titles and
    degrees left as they are."""
    words = name.split()
    core = [i for i, w in enumerate(words) if not _is_title(w)]
    variants = []
    for a, b in zip(core, core[1:], strict=False):
        if b == a + 1 and not words[a].endswith(","):
            variants.append(" ".join([*words[:a], words[a] + words[b], *words[b + 1 :]]))
    for i in core:
        word = words[i]
        for old, new in (("Y", "I"), ("I", "Y"), ("F", "V"), ("TH", "T"), ("H", ""), ("A", "AH")):
            if old in word[1:]:
                changed = word[0] + word[1:].replace(old, new, 1)
                variants.append(" ".join([*words[:i], changed, *words[i + 1 :]]))
    return rng.choice(variants) if variants else name + "H"


def with_title(name: str, sex: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{'H.' if sex == 'L' else 'HJ.'} {name}"
    return f"{name}, {rng.choice(DEGREES).upper()}"


def typo(name: str, rng: random.Random) -> str:
    """One slip of the keyboard in the last word that is not a title or degree: a letter
    swapped, dropped, doubled or replaced by its neighbour."""
    words = name.split()
    core = [i for i, w in enumerate(words) if not _is_title(w)]
    if not core or len(words[core[-1]].strip(",")) < 4:
        return name + "H"
    at = core[-1]
    word = words[at].strip(",")
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == 1:
        word = word[:i] + word[i + 1 :]
    elif kind == 2:
        word = word[:i] + word[i] + word[i:]
    else:
        near = {"A": "E", "E": "A", "I": "U", "O": "U", "U": "O", "N": "M", "M": "N", "S": "Z"}
        word = word[:i] + near.get(word[i], "A") + word[i + 1 :]
    if words[at].endswith(","):
        word += ","
    return " ".join([*words[:at], word, *words[at + 1 :]])


def generate(
    region: str = "18.08",
    districts: Iterable[Any] | None = None,
    *,
    families: int = 1000,
    seed: int = 1,
    now: datetime | date | None = None,
    duplicates: float = 0.0,
    reused_niks: float = 0.0,
) -> Population:
    """A population of ``families`` families for the regency ``region`` (``PP.KK``), the same
    for the same arguments. ``districts``: :class:`District` values or ``(code, name)`` /
    ``(code, name, villages)`` tuples (default: the region table's, else numbered ones).
    ``duplicates`` and ``reused_niks`` are the fractions of residents planted again under
    another NIK and whose NIK another person states."""
    today = now.date() if isinstance(now, datetime) else (now or timezone.localdate())
    district_list = [_as_district(d) for d in (districts or ())] or districts_of(region)
    if not district_list:
        district_list = [District(f"{region}.{n:02d}", f"KECAMATAN {n}") for n in range(1, 6)]
    generator = _Generator(region, district_list, seed, today)
    population = Population(region=region, families=[], twins=generator.twins)
    for _ in range(families):
        population.families.append(generator.family())
    residents = len(population)
    generator.plant(
        population.families, round(residents * duplicates), round(residents * reused_niks),
        population,
    )  # fmt: skip
    return population


def load_synthetic(
    region: str = "18.08",
    districts: Iterable[Any] | None = None,
    *,
    families: int = 1000,
    seed: int = 1,
    now: datetime | None = None,
    duplicates: float = 0.01,
    reused_niks: float = 0.0,
    history: bool = True,
) -> Population:
    """Generate a population (:func:`generate`) and store it in the registry's tables."""
    now = now or timezone.now()
    population = generate(
        region, districts, families=families, seed=seed, now=now, duplicates=duplicates,
        reused_niks=reused_niks,
    )  # fmt: skip
    population.store(now=now, history=history)
    return population
