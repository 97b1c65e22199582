"""SLA clocks of real requests across weekends, Idul Fitri and an office's own day off."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from layan.cases import services
from layan.cases.services import Actor
from layan.offices.models import OfficeDayOff, Service

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")


def submit(office, now):
    return services.submit_case(
        service=Service.objects.get(office=office),
        actor=Actor.applicant(),
        applicant_name="Siti",
        now=now,
    )


def test_friday_afternoon_request_is_due_monday(office):
    case = submit(office, datetime(2026, 11, 27, 16, 25, tzinfo=WIB))  # Fri, closes 16:30
    # Step 2 has 10 working minutes: 5 on Friday, 5 on Monday morning.
    assert case.step_due_at == datetime(2026, 11, 30, 7, 35, tzinfo=WIB)
    assert case.due_at == datetime(2026, 11, 30, 16, 0, tzinfo=WIB)  # Mon closes 16:00


def test_idul_fitri_and_collective_leave_stop_the_clock(office):
    # Tue 17 March 2026, 15:55; 18 Mar cuti bersama Nyepi, 19 Nyepi, 20–24 Idul Fitri + cuti
    # bersama: the office reopens on Wednesday 25 March.
    case = submit(office, datetime(2026, 3, 17, 15, 55, tzinfo=WIB))
    assert case.step_due_at == datetime(2026, 3, 25, 7, 35, tzinfo=WIB)
    assert case.due_at == datetime(2026, 3, 25, 15, 55, tzinfo=WIB)


def test_office_day_off_is_skipped(office):
    OfficeDayOff.objects.create(office=office, date=date(2026, 11, 24), reason="Hari jadi")
    case = submit(office, datetime(2026, 11, 23, 15, 55, tzinfo=WIB))
    assert case.step_due_at == datetime(2026, 11, 25, 7, 35, tzinfo=WIB)


def test_submission_at_night_starts_counting_at_opening(office):
    case = submit(office, datetime(2026, 11, 23, 21, 0, tzinfo=WIB))
    assert case.step_due_at == datetime(2026, 11, 24, 7, 40, tzinfo=WIB)


def test_wita_office_counts_in_its_own_hours(make_office):
    office = make_office("wita")
    office.timezone = "Asia/Makassar"
    office.save()
    office.refresh_from_db()
    # 07:00 WIB is 08:00 WITA: already open in Balangan.
    case = submit(office, datetime(2026, 11, 23, 7, 0, tzinfo=WIB))
    assert case.step_due_at == datetime(2026, 11, 23, 8, 10, tzinfo=WITA)


def test_seed_flow_without_deadline_is_due_after_its_total_minutes(presets):
    service = Service.objects.get(office__code="solok", code="ktp-el")
    case = services.submit_case(
        service=service,
        actor=Actor.applicant(),
        applicant_name="Rina",
        now=datetime(2026, 11, 23, 9, 0, tzinfo=WIB),
    )
    assert case.due_at == datetime(2026, 11, 23, 9, 18, tzinfo=WIB)  # MARAWA: 18 minutes


def test_keliling_is_due_one_calendar_week_later(presets):
    service = Service.objects.get(office__code="keliling", code="kk")
    case = services.submit_case(
        service=service,
        actor=Actor.applicant(),
        applicant_name="Rina",
        now=datetime(2026, 11, 23, 9, 0, tzinfo=WIB),
    )
    assert case.due_at == datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
    # Its steps have no standard time of their own: each is due with the request.
    assert case.step_due_at == case.due_at
