"""Issue 15, done when: a second city is built from zero with `ecoloop init` and the registry imports only (regions,
organisations, users, sites, data loggers), a logger registered by import sends an HJ 212 packet over real TCP to
the receiver, and the reading is on the site's page."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from ecoloop.cli import app
from ecoloop.ingest.hj212 import encode, parse
from tests.conftest import make_settings
from tests.sheets.workbooks import xlsx
from tests.web.helpers import login
from tests.web.helpers import parse as parse_html

runner = CliRunner()
ECOLOOP = str(Path(sys.executable).parent / "ecoloop")
TZ = ZoneInfo("Asia/Shanghai")
MN = "410702TOWN0000000000001"

REGIONS = [
    ["区划代码", "名称", "级别"],
    ["410702", "红旗区", "区县"],
    ["410702001000", "西街街道", "乡镇街道"],
    ["410702001001", "新中社区居委会", "村社区"],
    ["410721", "新乡县", "区县"],
]
ORGANISATIONS = [
    ["机构编码", "机构名称", "机构类型", "部门类别", "所在区划代码", "负责区划", "职责"],
    ["branch-410702", "新乡市生态环境局红旗分局", "分局", None, "410702", None, "大气、水、噪声"],
    ["housing-410702", "红旗区住房和城乡建设局", "责任部门", "住建", "410702", "410702001000", "大气"],
]
USERS = [
    ["用户名", "姓名", "角色", "所属机构编码"],
    ["liqiang", "李强", "分局", "branch-410702"],
    ["zhaomin", "赵敏", "分析员", "bureau"],
]
SITES = [
    ["点位编码", "点位名称", "点位类型", "控制级别", "所属区划代码", "经度", "纬度", "坐标系"],
    ["410702-T01", "西街街道站", "环境空气站", "乡镇", "410702001000", "113.8765", "35.3079", "GCJ-02"],
]
DEVICES = [["MN号", "访问密码", "监测点位编码", "数据间隔(分钟)"], [MN, "410702", "410702-T01", 60]]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "ECOLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'ecoloop.sqlite'}",
        "ECOLOOP_ANALYTICS_URL": f"duckdb:///{tmp_path / 'analytics.duckdb'}",
        "ECOLOOP_DATA_DIR": str(tmp_path),
        "ECOLOOP_HJ212_PORT": "0",
        "ECOLOOP_PUBLIC_URL": "https://hb.example.gov.cn",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return {k: v for k, v in os.environ.items() if not k.startswith("ECOLOOP_")} | values | {"PYTHONUNBUFFERED": "1"}


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def workbook(tmp: Path, name: str, rows: list[list[object]]) -> str:
    path = tmp / f"{name}.xlsx"
    path.write_bytes(xlsx(rows, name))
    return str(path)


async def send_hourly(port: int, hour: datetime) -> str:
    """One hourly upload of PM2.5 and PM10 from the imported logger; returns the acknowledgement's QN."""
    packet = encode(
        {
            "QN": hour.strftime("%Y%m%d%H%M%S") + "001",
            "ST": "22",
            "CN": "2061",
            "PW": "410702",
            "MN": MN,
            "Flag": 5,
            "CP": {
                "DataTime": hour.strftime("%Y%m%d%H%M%S"),
                "a34004-Avg": "48.6",
                "a34004-Flag": "N",
                "a34002-Avg": "87",
                "a34002-Flag": "N",
            },
        }
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(packet)
    ack = await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)
    writer.close()
    return parse(ack).qn or ""


async def test_a_second_city_from_zero_by_init_and_imports(tmp_path: Path, env: dict[str, str]) -> None:
    password = tmp_path / "admin-password"
    password.write_text("Xinxiang-Bureau-2026\n", encoding="utf-8")
    invoke(
        "init",
        "--city-code",
        "410700",
        "--city-name",
        "新乡市",
        "--bureau",
        "新乡市生态环境局",
        "--admin",
        "admin",
        "--admin-password-file",
        str(password),
    )
    assert "4 added" in invoke("import", "regions", workbook(tmp_path, "区划", REGIONS))
    assert "2 added" in invoke("import", "organisations", workbook(tmp_path, "机构", ORGANISATIONS))
    users = invoke("import", "users", workbook(tmp_path, "用户", USERS))
    assert "2 added" in users
    assert users.count("https://hb.example.gov.cn/set-password/") == 2  # a one-time link per new user
    assert "1 added" in invoke("import", "sites", workbook(tmp_path, "监测点位", SITES))
    assert "1 added" in invoke("import", "devices", workbook(tmp_path, "数采仪", DEVICES))

    receiver = subprocess.Popen([ECOLOOP, "hj212", "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline().rsplit(":", 1)[1])
        hour = (datetime.now(TZ) - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        assert await send_hourly(port, hour) == hour.strftime("%Y%m%d%H%M%S") + "001"
    finally:
        receiver.terminate()
        receiver.wait(15)
        assert receiver.stdout is not None
        receiver.stdout.close()

    settings = make_settings(
        tmp_path,
        database_url=env["ECOLOOP_DATABASE_URL"],
        analytics_url=env["ECOLOOP_ANALYTICS_URL"],
    )
    from ecoloop.app import create_app

    web = create_app(settings)
    transport = httpx.ASGITransport(app=web, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await login(client, "admin", "Xinxiang-Bureau-2026")).status_code == 303
        listing = await client.get("/monitoring/sites")
        assert listing.status_code == 200
        link = next(a.attrs["href"] for a in parse_html(listing.text).find_all("a") if a.text == "西街街道站")
        page = await client.get(link)
    web.state.engine.dispose()
    assert page.status_code == 200
    text = parse_html(page.text).text
    assert "西街街道站" in text and "乡镇站" in text
    assert "48.6" in text and "87" in text  # the values the logger sent
