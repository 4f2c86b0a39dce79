"""The `ecoloop` command."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import lxml.html
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from ecoloop.app import create_app
from ecoloop.cli import app
from ecoloop.db.engine import make_engine
from ecoloop.identity.enums import OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.passwords import verify_password
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from tests.conftest import make_settings
from tests.web.helpers import login

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ECOLOOP_DATABASE_URL", f"sqlite:///{tmp_path / 'e.sqlite'}")
    monkeypatch.setenv("ECOLOOP_ANALYTICS_URL", f"duckdb:///{tmp_path / 'a.duckdb'}")
    monkeypatch.setenv("ECOLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOLOOP_PORT", "8765")
    return tmp_path


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "serve", "db", "user"):
        assert command in result.output


def test_demo_loads_once_and_prints_accounts(env: Path) -> None:
    first = runner.invoke(app, ["demo", "--no-serve", "--no-readings"])
    assert first.exit_code == 0, first.output
    assert "Ecoloop-2026" in first.output and "hotline" in first.output and ":8765/login" in first.output
    assert (env / "a.duckdb").exists()
    second = runner.invoke(app, ["demo", "--no-serve", "--no-readings"])
    assert "regions 0, organisations 0, enterprises 0, users 0" in second.output.replace("\n", " ")


def test_user_add_and_passwd(env: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    added = runner.invoke(
        app, ["user", "add", "wangfang", "--role", "analyst", "--organisation", "bureau", "--password", "Analyst-2026"]
    )
    assert added.exit_code == 0, added.output
    weak = runner.invoke(app, ["user", "passwd", "wangfang", "--password", "short"])
    assert weak.exit_code == 1
    changed = runner.invoke(app, ["user", "passwd", "wangfang", "--password", "Changed-2026x"])
    assert changed.exit_code == 0, changed.output
    engine = make_engine(f"sqlite:///{env / 'e.sqlite'}")
    with engine.connect() as conn:
        hashed = conn.scalar(select(User.password_hash).where(User.username == "wangfang"))
    engine.dispose()
    assert hashed is not None and verify_password("Changed-2026x", hashed)
    wrong_org = runner.invoke(
        app, ["user", "add", "x1", "--role", "analyst", "--organisation", "nope", "--password", "Analyst-2026"]
    )
    assert wrong_org.exit_code == 1


def test_bad_setting_exits_with_its_name(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOLOOP_PORT", "not-a-port")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "ECOLOOP_PORT" in result.output


def test_device_add_and_list(env: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    added = runner.invoke(
        app,
        [
            "device",
            "add",
            "--mn",
            "010000A8900016F000169DC0",
            "--password",
            "100000",
            "--site-name",
            "华能热电1号排口",
            "--kind",
            "air_source",
            "--region",
            "371802",
            "--crc",
            "modbus_le",
        ],
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(
        app,
        [
            "device",
            "add",
            "--mn",
            "010000A8900016F000169DC0",
            "--password",
            "1",
            "--site-name",
            "x",
            "--kind",
            "air_source",
        ],
    )
    assert again.exit_code == 1 and "mn_taken" in again.output
    listed = runner.invoke(app, ["device", "list"])
    assert listed.exit_code == 0
    assert "010000A8900016F000169DC0" in listed.output and "modbus_le" in listed.output
    assert "100000" not in listed.output  # the password is never printed


BEIJING_HEADER = (
    '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM",'
    '"station"'
)


def test_import_csv_and_export(env: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    history = tmp_path / "PRSA_Data_Dongsi_sample.csv"
    history.write_text(
        "\n".join(
            [
                BEIJING_HEADER,
                '1,2013,3,1,0,9,9,3,17,300,89,-0.5,1024.5,-21.4,0,"NNW",5.7,"Dongsi"',
                '2,2013,3,1,1,4,NA,3,16,300,88,-0.7,1025.1,-22.1,0,"NW",3.9,"Dongsi"',
                '3,2013,2,30,2,7,7,3,16,300,88,-0.7,1025.1,-22.1,0,"NW",3.9,"Dongsi"',  # 30 February
                '4,2013,3,1,2,7,7,3,16,300,88,-0.7,1025.1,-22.1,0,"NW",3.9,"Nowhere"',  # no such site
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "csv", str(history), "--format", "beijing"])
    assert result.exit_code == 0, result.output
    # Two good rows: 6 + 5 readings (PM10 is NA in the second); two rows refused with their reasons.
    assert "4 rows read, 11 readings stored, 0 rows skipped, 2 problems" in result.output.replace("\n", " ")
    again = runner.invoke(app, ["import", "csv", str(history), "--format", "beijing"])
    assert again.exit_code == 0
    added = runner.invoke(
        app,
        [
            "device",
            "add",
            "--mn",
            "DONGSI-01",
            "--password",
            "123456",
            "--site-name",
            "东四站",
            "--kind",
            "air_station",
        ],
    )
    assert added.exit_code == 0, added.output
    exported = runner.invoke(app, ["data", "export", "--mn", "DONGSI-01", "--from", "2013-03-01T00:00:00"])
    assert exported.exit_code == 0, exported.output
    lines = exported.output.strip().splitlines()
    assert lines[0] == "time,parameter,interval,value,flag,source,source_by" and len(lines) == 1 + 11  # no re-import
    assert "2013-03-01T00:00:00+08:00,a21005,hour,0.3,,import,beijing" in lines  # CO from µg/m³ to mg/m³
    garbage = tmp_path / "broken.csv"
    garbage.write_text("not,a,beijing,file\n1,2,3,4\n", encoding="utf-8")
    broken = runner.invoke(app, ["import", "csv", str(garbage)])
    assert broken.exit_code == 1 and "not a Beijing" in broken.output


def test_data_compact_moves_hot_readings(env: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from ecoloop.readings.store import HotStore
    from ecoloop.readings.vocabulary import Interval, Reading

    store = HotStore(env / "ingest" / "hot.sqlite")
    old = datetime.now(UTC) - timedelta(hours=1)
    store.write([Reading(1, "a34004", Interval.HOUR, datetime(2026, 11, 22, 8, tzinfo=UTC), 35.0)], now=old)
    store.write([Reading(1, "a34004", Interval.HOUR, datetime(2026, 11, 22, 9, tzinfo=UTC), 36.0)])
    result = runner.invoke(app, ["data", "compact", "--older-than", "600"])
    assert result.exit_code == 0, result.output
    assert "1 readings moved" in result.output
    assert store.hot_table().num_rows == 1 and (env / "readings" / "interval=hour" / "date=2026-11-22").is_dir()


def test_data_compact_electricity_moves_the_closed_days(env: Path) -> None:
    import sqlite3

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with sqlite3.connect(env / "e.sqlite") as connection:  # foreign keys off: a meter's row is not needed here
        connection.executemany(
            "INSERT INTO electricity_readings (meter_id, at, kwh, origin, received_at) VALUES (?, ?, ?, 'api', ?)",
            [(1, "2026-11-22 08:00:00.000000", 5.0, "2026-11-22 09:00:00.000000"),
             (1, "2999-01-01 08:00:00.000000", 6.0, "2026-11-22 09:00:00.000000")],
        )  # fmt: skip
    result = runner.invoke(app, ["data", "compact-electricity"])
    assert result.exit_code == 0, result.output
    assert "1 electricity readings moved" in result.output
    assert (env / "electricity" / "date=2026-11-22" / "part.parquet").is_file()


def test_scheduler_runs_the_due_jobs_once(env: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    first = runner.invoke(app, ["scheduler", "run", "--once"])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        ["device-last-seen", "ok"],
        ["compact-readings", "ok"],
        ["archive-raw-packets", "ok"],
        ["case-deadlines", "ok"],
        ["results", "ok"],
        ["results-sources", "ok"],
        ["reports", "ok"],  # the briefs due (issue 17): which depends on the hour
        ["intake-housekeeping", "ok"],  # old rate counters and spent form tokens (issue 18)
        ["complaint-replies", "ok"],  # replies left unrated conclude (issue 18)
        ["partner-feedback", "ok"],  # the partner platforms' feedback (issue 18)
        ["warning-webhooks", "ok"],  # the changes of heavy-pollution warnings to webhooks (issue 20)
        ["hotspot-clock", "ok"],  # hotspot orders' overdue marks, 督办, 约谈 (issue 20)
        ["hotspot-effects", "ok"],  # hotspot orders' effect on their station (issue 20)
        ["electricity-checks", "ok"],  # the electricity checks during heavy-pollution warnings (issue 20)
        ["compact-electricity", "ok"],  # the electricity readings' closed days into Parquet (issue 20)
    ]
    assert "2 days computed" in lines[4] and "2 days computed" in lines[5]  # today and yesterday, the first time
    again = runner.invoke(app, ["scheduler", "run", "--once"])
    assert again.exit_code == 0 and again.output == ""  # nothing is due a second later


def test_import_enterprises_all_or_nothing(env: Path, tmp_path: Path) -> None:
    import io

    import openpyxl

    from ecoloop.enterprises.imports import example_workbook

    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    good = tmp_path / "good.xlsx"
    good.write_bytes(example_workbook())
    done = runner.invoke(app, ["import", "enterprises", str(good)])
    assert done.exit_code == 0, done.output
    assert "added" in done.output
    book = openpyxl.load_workbook(io.BytesIO(example_workbook()))
    sheet = book.worksheets[0]
    sheet.cell(row=2, column=1, value="91371802MA00000000")  # a wrong check character
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    refused = runner.invoke(app, ["import", "enterprises", str(broken), "--as", "analyst"])
    assert refused.exit_code == 1 and "nothing imported" in refused.output


def test_alerts_run_once_evaluates_the_queued_data(env: Path) -> None:
    from datetime import UTC, datetime

    from ecoloop.alerts.models import Alert
    from ecoloop.enterprises.models import Outlet, OutletLimit
    from ecoloop.readings.store import HotStore
    from ecoloop.readings.vocabulary import Interval, Reading

    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    engine = make_engine(f"sqlite:///{env / 'e.sqlite'}")
    with engine.connect() as conn:
        site_id, pollutant, limit, o2 = conn.execute(
            select(Outlet.site_id, OutletLimit.pollutant, OutletLimit.limit_value, OutletLimit.reference_o2)
            .join(Outlet, Outlet.id == OutletLimit.outlet_id)
            .where(Outlet.site_id.is_not(None), OutletLimit.averaging == "hour")
            .limit(1)
        ).one()
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    readings = [Reading(site_id, pollutant, Interval.HOUR, hour, float(limit) * 3, "N")]
    if o2 is not None:
        readings.append(Reading(site_id, "a19001", Interval.HOUR, hour, float(o2), "N"))
    with engine.connect() as conn:
        before = set(conn.scalars(select(Alert.id)))  # the demo's alert history
    store = HotStore(env / "ingest" / "hot.sqlite")
    store.write(readings)
    store.close()
    result = runner.invoke(app, ["alerts", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 arrivals evaluated" in result.output
    with engine.connect() as conn:
        raised = conn.execute(
            select(Alert.site_id, Alert.parameter).where(Alert.kind == "source_exceedance", Alert.id.not_in(before))
        ).all()
        assert raised == [(site_id, pollutant)]
        # the demo's loggers never sent anything here, but the engine has only just started watching them
        assert conn.execute(select(Alert.id).where(Alert.kind == "device_silent")).all() == []
    engine.dispose()


@pytest.mark.parametrize("hot", ["sqlite", "postgresql"])
def test_export_tells_each_readings_source_in_the_hot_store_and_after_compaction(
    env: Path, hot: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from ecoloop.monitoring.models import Device
    from ecoloop.readings.store import HotStore
    from ecoloop.readings.vocabulary import Interval, Reading

    if hot == "postgresql":
        monkeypatch.setenv("ECOLOOP_HOT_STORE_URL", request.getfixturevalue("hot_pg_url"))
    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    added = runner.invoke(
        app, ["device", "add", "--mn", "MN-X", "--password", "1", "--site-name", "排口", "--kind", "air_source"]
    )
    assert added.exit_code == 0, added.output
    with Session(make_engine(f"sqlite:///{env / 'e.sqlite'}")) as session:
        site = session.scalars(select(Device.site_id).where(Device.mn == "MN-X")).one()
    store = HotStore(request.getfixturevalue("hot_pg_url") if hot == "postgresql" else env / "ingest" / "hot.sqlite")
    t = datetime(2026, 11, 22, 0, tzinfo=UTC)  # 08:00 local
    received = datetime.now(UTC) - timedelta(hours=1)

    def at(hour: int, value: float, source: str) -> Reading:
        return Reading(site, "a21026", Interval.HOUR, t + timedelta(hours=hour), value, "N", source)

    store.write([at(0, 50.0, "hj212"), at(2, 40.0, "hj212")], now=received)
    store.write([at(0, 20.0, "upload:wang"), at(1, 21.0, "upload:wang")], now=received)  # hour 0: a conflict
    store.write([at(2, 4.0, "correction:li")], now=received, replace=True)
    store.close()
    expected = [
        "time,parameter,interval,value,flag,source,source_by",
        "2026-11-22T08:00:00+08:00,a21026,hour,50.0,N,hj212,",
        "2026-11-22T09:00:00+08:00,a21026,hour,21.0,N,upload,wang",
        "2026-11-22T10:00:00+08:00,a21026,hour,4.0,N,correction,li",
    ]

    for step in ("hot", "compacted"):
        exported = runner.invoke(app, ["data", "export", "--mn", "MN-X"])
        assert exported.exit_code == 0, exported.output
        assert exported.output.strip().splitlines() == expected, step
        if step == "hot":
            assert "3 readings moved" in runner.invoke(app, ["data", "compact", "--older-than", "60"]).output


def test_implausible_stored_rows_stop_no_export_compaction_or_job(env: Path) -> None:
    from datetime import UTC, datetime

    from ecoloop.monitoring.models import Device
    from ecoloop.readings.store import HotStore
    from tests.factories import plant_implausible_readings

    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    add = ["device", "add", "--mn", "DONGSI-01", "--password", "123456", "--site-name", "东四站"]
    assert runner.invoke(app, [*add, "--kind", "air_station"]).exit_code == 0
    engine = make_engine(f"sqlite:///{env / 'e.sqlite'}")
    with engine.connect() as conn:
        site_id = conn.scalar(select(Device.site_id).where(Device.mn == "DONGSI-01"))
    engine.dispose()
    assert site_id is not None
    store = HotStore(env / "ingest" / "hot.sqlite")
    received = int(datetime.now(UTC).timestamp() * 1000) - 3_600_000
    good_ts = plant_implausible_readings(store, env / "readings", site_id, received)

    exported = runner.invoke(app, ["data", "export", "--mn", "DONGSI-01"])
    assert exported.exit_code == 0, exported.output
    good = datetime.fromtimestamp(good_ts, UTC).astimezone(ZoneInfo("Asia/Shanghai")).isoformat()
    assert f"{good},a34002,hour,50.0,N,hj212," in exported.output.splitlines()
    compacted = runner.invoke(app, ["data", "compact"])
    assert compacted.exit_code == 0, compacted.output
    assert store.hot_table().num_rows == 0  # set aside into the archive, not dropped
    jobs = runner.invoke(app, ["scheduler", "run", "--once"])
    assert jobs.exit_code == 0 and "failed" not in jobs.output, jobs.output
    cleaned = runner.invoke(app, ["data", "clean"])
    assert cleaned.exit_code == 0, cleaned.output
    assert "4 readings set aside" in cleaned.output  # the Parquet tier's
    assert store.packet_counts()[("rejected", "time_out_of_range")] == 4
    store.close()


def _password_file(env: Path, text: str = "Bureau-Admin-2026\n") -> str:
    path = env / "admin-password"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _init(env: Path, *extra: str, city_code: str = "410700", password: str = "Bureau-Admin-2026\n") -> Result:
    args = ["init", "--city-code", city_code, "--city-name", "新乡市", "--bureau", "新乡市生态环境局"]
    return runner.invoke(app, [*args, "--admin-password-file", _password_file(env, password), *extra])


def _counts(env: Path) -> tuple[int, int, int]:
    engine = make_engine(f"sqlite:///{env / 'e.sqlite'}")
    with engine.connect() as conn:
        counts = tuple(conn.scalar(select(func.count()).select_from(m)) or 0 for m in (Region, Organisation, User))
    engine.dispose()
    return counts  # type: ignore[return-value]


def test_init_sets_up_a_new_city_once(env: Path) -> None:
    """Issue 15: an empty database gets its city, bureau and first administrator, who can then add users."""
    result = _init(env, "--admin", "zhangwei", "--admin-name", "张伟")
    assert result.exit_code == 0, result.output
    assert "新乡市 (410700)" in result.output and "zhangwei" in result.output
    engine = make_engine(f"sqlite:///{env / 'e.sqlite'}")
    with Session(engine) as session:
        admin = session.scalars(select(User).where(User.username == "zhangwei")).one()
        assert admin.role is Role.ADMIN and admin.display_name == "张伟"
        assert verify_password("Bureau-Admin-2026", admin.password_hash)
        assert admin.organisation is not None and admin.organisation.kind is OrgKind.BUREAU
        assert admin.organisation.name == "新乡市生态环境局"
        city = admin.organisation.region
        assert (city.code, city.name, city.level, city.parent_id) == ("410700", "新乡市", RegionLevel.CITY, None)
    engine.dispose()
    added = runner.invoke(
        app, ["user", "add", "lina", "--role", "analyst", "--organisation", "bureau", "--password", "Analyst-2026"]
    )
    assert added.exit_code == 0, added.output
    again = _init(env)
    assert again.exit_code == 1 and "already holds a city" in again.output
    assert _counts(env) == (1, 1, 2)


@pytest.mark.parametrize(
    ("city_code", "password", "says"),
    [
        ("410701", "Bureau-Admin-2026\n", "city code"),  # a county's code, not a city's
        ("41070", "Bureau-Admin-2026\n", "6 digits"),
        ("410700", "short\n", "password"),
        ("410700", "", "password"),
    ],
)
def test_init_refuses_bad_input_and_writes_nothing(env: Path, city_code: str, password: str, says: str) -> None:
    result = _init(env, city_code=city_code, password=password)
    assert result.exit_code == 1
    assert says in result.output.lower()
    assert _counts(env) == (0, 0, 0)


def test_init_refuses_a_database_that_holds_the_demo(env: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    before = _counts(env)
    result = _init(env)
    assert result.exit_code == 1 and "already holds a city" in result.output
    assert _counts(env) == before


async def test_the_administrator_set_up_by_init_signs_in(env: Path) -> None:
    """The city that `ecoloop init` sets up is reachable: its administrator signs in on the web and sees the start
    page in Chinese."""
    assert _init(env, "--admin", "zhangwei", "--admin-name", "张伟").exit_code == 0
    settings = make_settings(env, database_url=f"sqlite:///{env / 'e.sqlite'}")
    app_ = create_app(settings)
    transport = httpx.ASGITransport(app=app_, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        signed_in = await login(client, "zhangwei", "Bureau-Admin-2026")
        assert signed_in.status_code == 303
        home = await client.get("/")
    app_.state.engine.dispose()
    assert home.status_code == 200
    assert "张伟" in home.text and "生态环境" in home.text
    assert "demo-notice" not in home.text and "演示数据" not in home.text  # a real city's pages are not demo data


async def test_user_add_without_a_password_prints_a_one_time_link_that_works(env: Path, tmp_path: Path) -> None:
    """Issue 15: `ecoloop user add` without a password prints the link with which the user chooses one; `ecoloop
    user link` prints a new one, and the earlier one stops working."""
    assert _init(env, "--admin", "zhangwei").exit_code == 0
    added = runner.invoke(app, ["user", "add", "lina", "--role", "analyst", "--organisation", "bureau"])
    assert added.exit_code == 0, added.output
    first = re.search(r"http://127\.0\.0\.1:8765/set-password/([A-Za-z0-9_-]{43})", added.output)
    assert first is not None, added.output
    relinked = runner.invoke(app, ["user", "link", "LINA", "--base-url", "https://ecoloop.example.gov.cn/"])
    assert relinked.exit_code == 0, relinked.output
    second = re.search(r"https://ecoloop\.example\.gov\.cn/set-password/([A-Za-z0-9_-]{43})", relinked.output)
    assert second is not None, relinked.output
    assert runner.invoke(app, ["user", "link", "nobody"]).exit_code == 1

    settings = make_settings(env, database_url=f"sqlite:///{env / 'e.sqlite'}")
    app_ = create_app(settings)
    transport = httpx.ASGITransport(app=app_, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await login(client, "lina", "no such account 0")).status_code == 401, "no password before the link"
        old = await client.post(
            f"/set-password/{first[1]}", data={"new": "Chosen-pass-2027", "confirm": "Chosen-pass-2027"}
        )
        new = await client.post(
            f"/set-password/{second[1]}", data={"new": "Chosen-pass-2027", "confirm": "Chosen-pass-2027"}
        )
        signed_in = await login(client, "lina", "Chosen-pass-2027")
    app_.state.engine.dispose()
    assert (old.status_code, new.status_code, signed_in.status_code) == (404, 200, 303)


def test_user_add_reads_a_password_file(env: Path, tmp_path: Path) -> None:
    assert _init(env, "--admin", "zhangwei").exit_code == 0
    secret = tmp_path / "pw"
    secret.write_text("Analyst-2026x\nignored\n")
    added = runner.invoke(
        app,
        ["user", "add", "wangfang", "--role", "analyst", "--organisation", "bureau", "--password-file", str(secret)],
    )
    assert added.exit_code == 0, added.output
    assert "set-password" not in added.output
    engine = make_engine(f"sqlite:///{env / 'e.sqlite'}")
    with engine.connect() as conn:
        hashed = conn.scalar(select(User.password_hash).where(User.username == "wangfang"))
    engine.dispose()
    assert hashed is not None and verify_password("Analyst-2026x", hashed)


async def test_the_demo_says_on_its_pages_that_its_data_are_demo_data(env: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    app_ = create_app(make_settings(env, database_url=f"sqlite:///{env / 'e.sqlite'}"))
    transport = httpx.ASGITransport(app=app_, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/login")
        signed_in = await login(client, "analyst", "Ecoloop-2026")
        home = await client.get("/")
    app_.state.engine.dispose()
    assert signed_in.status_code == 303
    for response in (page, home):
        notice = lxml.html.fromstring(response.text).xpath("//p[@class='demo-notice']")
        assert len(notice) == 1 and "演示数据" in notice[0].text_content() and "整年平移" in notice[0].text_content()


def test_import_csv_to_present_dates_the_data_whole_years_later(env: Path, tmp_path: Path) -> None:
    """`--to-present` dates a history whole years later so that it ends now; hours after now are skipped."""
    from datetime import datetime, timedelta

    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime.now(tz).replace(minute=0, second=0, microsecond=0)
    if (now.month, now.day) == (2, 29) or ((now + timedelta(hours=3)).month, (now + timedelta(hours=3)).day) == (2, 29):
        pytest.skip("29 February: the year ten years before has no such day")
    hours = [now - timedelta(hours=2), now - timedelta(hours=2), now + timedelta(hours=3)]
    years = [10, 11, 10]  # the last row is the data's last hour: 10 years bring it past now
    rows = [
        f'{i},{h.year - y},{h.month},{h.day},{h.hour},9,9,3,17,300,89,-0.5,1024.5,-21.4,0,"NNW",5.7,"Dongsi"'
        for i, (h, y) in enumerate(zip(hours, years, strict=True), 1)
    ]
    history = tmp_path / "PRSA_Data_Dongsi_recent.csv"
    history.write_text("\n".join([BEIJING_HEADER, *rows]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "csv", str(history), "--to-present"])
    assert result.exit_code == 0, result.output
    output = result.output.replace("\n", " ")
    assert "dated 10 years later" in output and "3 rows read, 12 readings stored, 1 rows skipped, 0 problems" in output
    added = ["device", "add", "--mn", "DONGSI-01", "--password", "123456", "--site-name", "东四站"]
    assert runner.invoke(app, [*added, "--kind", "air_station"]).exit_code == 0
    since = (now - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S")
    exported = runner.invoke(app, ["data", "export", "--mn", "DONGSI-01", "--from", since])
    times = {line.split(",")[0] for line in exported.output.strip().splitlines()[1:]}
    year_before = (now - timedelta(hours=2)).replace(year=now.year - 1)
    assert times == {(now - timedelta(hours=2)).isoformat(), year_before.isoformat()}
