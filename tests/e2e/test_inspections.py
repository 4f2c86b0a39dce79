"""An inspection on a phone that loses its connection, in Chromium (issue 19): an officer opens today's task on a
375×812 screen, answers the checklist, takes a photo and writes the conclusion; the phone goes offline; the photo
and the submission wait in the browser ("已保存在本机，联网后自动提交") with nothing on the server; back online, both
are sent by themselves, without a reload, and the server holds the record exactly once. The second officer then
confirms it on their own phone: the inspection is complete, read-only, and published without the officers. A
screenshot for docs/screens."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.service import Acting
from ecoloop.db.base import utcnow
from ecoloop.db.engine import make_engine
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.models import User
from ecoloop.identity.service import principal_for
from ecoloop.inspections import service
from ecoloop.inspections.enums import Answer, Status
from ecoloop.inspections.models import Inspection, InspectionAnswer, InspectionPhoto, InspectionSubmission
from tests.e2e.conftest import Demo
from tests.e2e.test_login import DEMO_PASSWORD, sign_in
from tests.e2e.test_screen import SCREENS

pytestmark = pytest.mark.e2e

PHONE_SCREEN = {"width": 375, "height": 812}
ENTERPRISE = "91371821683814002E"  # 临河县鑫源化工, in the county of the demo's branch account
LOCATED = (116.7339, 36.7403)  # where the phone says it is
NOTE = "危废贮存间地面未做防渗处理，标识缺失"
FINDINGS = "现场检查时企业正在生产，危险废物贮存不规范，已当场责令整改。"
QUEUED = "已保存在本机，联网后自动提交"


def _session(demo: Demo) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{demo.directory / 'ecoloop.sqlite'}")
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture
def task(demo_city: Demo, live_server: str) -> int:
    """An on-site inspection of the demo's chemical works for today by the bureau's inspector and the county's
    branch, planned by the analyst (as the inspection pages do)."""
    for session in _session(demo_city):
        set_actor(session, Actor(label="e2e"))
        users = {
            u.username: u
            for u in session.scalars(select(User).where(User.username.in_(["analyst", "inspector", "branch"])))
        }
        enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == ENTERPRISE)).one()
        inspection = service.create_inspection(
            session, Acting(users["analyst"], principal_for(users["analyst"], session)), enterprise_id=enterprise.id,
            officer_ids=[users["inspector"].id, users["branch"].id], planned_on=utcnow().date(),
            now=utcnow(), on_site=True,
        )  # fmt: skip
        session.commit()
        return inspection.id
    raise AssertionError("no session")


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A phone: 375×812 CSS pixels, touch, Chinese, location allowed."""
    ctx = browser.new_context(
        locale="zh-CN",
        viewport=PHONE_SCREEN,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": LOCATED[0], "latitude": LOCATED[1]},
        permissions=["geolocation"],
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (110, 120, 100)).save(out, format="JPEG")
    return out.getvalue()


def _stored(demo: Demo, inspection_id: int) -> tuple[int, int, int, Status, list[str]]:
    """Submissions, photos and answers on the server, the status and who confirmed."""
    for session in _session(demo):
        submissions = session.scalar(
            select(func.count()).where(InspectionSubmission.inspection_id == inspection_id)
        )  # fmt: skip
        photos = session.scalar(select(func.count()).where(InspectionPhoto.inspection_id == inspection_id))
        answers = session.scalar(select(func.count()).where(InspectionAnswer.inspection_id == inspection_id))
        inspection = session.get(Inspection, inspection_id)
        assert inspection is not None
        confirmed = [o.user.username for o in inspection.officers if o.confirmed_at is not None]
        return submissions or 0, photos or 0, answers or 0, inspection.status, confirmed
    raise AssertionError("no session")


def _fits_the_phone(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width[0]} px wide on a {width[1]} px screen"


def test_an_inspection_submitted_offline_is_stored_once_when_back_online(
    browser: Browser, phone: BrowserContext, live_server: str, demo_city: Demo, task: int
) -> None:
    page = phone.new_page()
    sign_in(page, live_server, "inspector", DEMO_PASSWORD)
    page.goto(f"{live_server}/inspections/mine")
    expect(page.locator("h1")).to_have_text("我的检查任务")
    _fits_the_phone(page)
    page.locator(f"#today a[href='/inspections/{task}/field']").tap()

    form = page.locator("form[data-inspection-form][data-ready=yes]")
    expect(form).to_be_visible()
    _fits_the_phone(page)
    items = page.locator("fieldset.item")
    for n in range(items.count()):
        items.nth(n).get_by_text("符合", exact=True).tap()
    second = items.nth(1)
    second.get_by_text("不符合", exact=True).tap()
    second.locator("textarea").fill(NOTE)
    page.locator("textarea[name=findings]").fill(FINDINGS)
    page.get_by_text("发现问题，已责令改正").tap()
    # what was typed is in the browser already
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ecoloop.inspection.')).length")
    assert kept == 1

    # The connection is lost: the photo and the submission wait on the phone.
    phone.set_offline(True)
    page.locator("input[data-photo-input]").set_input_files(
        files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    expect(page.locator("[data-photo-list] li")).to_have_count(1)
    page.get_by_role("button", name="提交并确认").tap()
    status = page.locator("[data-sync-status]")
    expect(status).to_have_text(QUEUED)
    expect(status).to_have_attribute("data-queued", "yes")
    assert _stored(demo_city, task)[:3] == (0, 0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "inspection-field.png")

    # Back online (no reload): the photo, then the record, are sent by themselves; a second `online` is harmless.
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text("已提交并确认。")
    expect(status).to_have_attribute("data-sent", "yes")
    expect(page.locator("[data-sync-error]")).to_be_hidden()
    expect(page.locator("[data-officers] li", has_text="张立强")).to_contain_text("已确认")

    submissions, photos, answers, state, confirmed = _stored(demo_city, task)
    assert (submissions, photos) == (1, 1)
    assert answers == items.count()
    assert (state, confirmed) == (Status.RECORDED, ["inspector"])
    for session in _session(demo_city):
        inspection = session.get(Inspection, task)
        assert inspection is not None and inspection.findings == FINDINGS
        noted = [a for a in inspection.answers if a.answer is Answer.NONCOMPLIANT]
        assert [a.note for a in noted] == [NOTE]
        photo = session.scalars(select(InspectionPhoto).where(InspectionPhoto.inspection_id == task)).one()
        assert photo.longitude is not None and float(photo.longitude) == pytest.approx(LOCATED[0], abs=1e-5)
    # nothing waits on the phone once stored
    drafts = "Object.keys(localStorage).filter(k => k.startsWith('ecoloop.inspection.')).map(k => localStorage[k])"
    assert [json.loads(d)["pending"] for d in page.evaluate(drafts)] == [None]

    # The second officer confirms the record as it stands on their own account: the inspection is complete,
    # read-only, and published without the officers.
    other = browser.new_context(locale="zh-CN", viewport=PHONE_SCREEN, is_mobile=True, has_touch=True)
    try:
        second_phone = other.new_page()
        sign_in(second_phone, live_server, "branch", DEMO_PASSWORD)
        second_phone.goto(f"{live_server}/inspections/mine")
        second_phone.locator(f"#to_confirm a[href='/inspections/{task}/field']").tap()
        expect(second_phone.locator("form[data-inspection-form][data-ready=yes]")).to_be_visible()
        expect(second_phone.locator("textarea[name=findings]")).to_have_value(FINDINGS)
        second_phone.get_by_role("button", name="提交并确认").tap()
        expect(second_phone.locator("[data-sync-status]")).to_have_text("全部执法人员已确认，检查完成。")
        assert _stored(demo_city, task)[3:] == (Status.COMPLETED, ["inspector", "branch"])

        second_phone.reload()
        expect(second_phone.locator("form[data-inspection-form]")).to_have_count(0)  # read-only now
        expect(second_phone.locator("ol.record")).to_contain_text(NOTE)

        public = other.new_page()
        public.goto(f"{live_server}/public/inspections")
        row = public.locator("table.published tr", has_text=ENTERPRISE).first  # newest first (the demo has more)
        expect(row).to_contain_text("发现问题，已责令改正")
        for private in ("张立强", "刘洋", NOTE, FINDINGS):
            expect(public.locator("body")).not_to_contain_text(private)
        _fits_the_phone(public)
    finally:
        other.close()


def test_a_photo_the_server_refuses_does_not_hold_the_record_back(
    phone: BrowserContext, live_server: str, demo_city: Demo, task: int
) -> None:
    page = phone.new_page()
    sign_in(page, live_server, "inspector", DEMO_PASSWORD)
    page.goto(f"{live_server}/inspections/{task}/field")
    expect(page.locator("form[data-inspection-form][data-ready=yes]")).to_be_visible()
    items = page.locator("fieldset.item")
    for n in range(items.count()):
        items.nth(n).get_by_text("符合", exact=True).tap()
    second = items.nth(1)
    second.get_by_text("不符合", exact=True).tap()
    second.locator("textarea").fill(NOTE)
    page.locator("textarea[name=findings]").fill(FINDINGS)
    page.get_by_text("发现问题，已责令改正").tap()

    # Offline, a good photo and a file that is no image at all (named .jpg) wait with the record.
    phone.set_offline(True)
    taken = page.locator("input[data-photo-input]")
    taken.set_input_files(files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    expect(page.locator("[data-photo-list] li")).to_have_count(1)
    not_a_photo = b"%PDF-1.4 not a photo at all"
    taken.set_input_files(files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": not_a_photo}])
    expect(page.locator("[data-photo-list] li")).to_have_count(2)
    page.get_by_role("button", name="提交并确认").tap()
    status = page.locator("[data-sync-status]")
    expect(status).to_have_text(QUEUED)

    # Back online: the refused file is shown with the server's reason and dropped; the record is stored all the same.
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text("已提交并确认。")
    refused = page.locator("[data-photo-list] li[data-refused=yes]")
    expect(refused).to_have_count(1)
    expect(refused.locator("[data-photo-refused]")).to_have_text("仅接受 JPEG、PNG 和 WebP 格式的照片。")
    assert _stored(demo_city, task)[:2] == (1, 1)
    waiting = page.evaluate(
        """() => new Promise(done => { const open = indexedDB.open("ecoloop-inspections", 1);
             open.onsuccess = () => { const all = open.result.transaction("photos").objectStore("photos").count();
                                      all.onsuccess = () => done(all.result); }; })"""
    )
    assert waiting == 0  # nothing left on the phone to be sent (and refused) again


def test_a_record_submitted_while_a_photo_is_uploading_is_sent_right_after_it(
    phone: BrowserContext, live_server: str, demo_city: Demo, task: int
) -> None:
    page = phone.new_page()
    sign_in(page, live_server, "inspector", DEMO_PASSWORD)
    page.goto(f"{live_server}/inspections/{task}/field")
    expect(page.locator("form[data-inspection-form][data-ready=yes]")).to_be_visible()
    items = page.locator("fieldset.item")
    for n in range(items.count()):
        items.nth(n).get_by_text("符合", exact=True).tap()
    second = items.nth(1)
    second.get_by_text("不符合", exact=True).tap()
    second.locator("textarea").fill(NOTE)
    page.locator("textarea[name=findings]").fill(FINDINGS)
    page.get_by_text("发现问题，已责令改正").tap()
    held: list[Route] = []

    def hold(route: Route) -> None:  # the photo's upload waits on a slow network
        held.append(route)

    page.route(f"**/inspections/{task}/photos", hold)

    page.locator("input[data-photo-input]").set_input_files(
        files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the photo was not being uploaded"
    page.get_by_role("button", name="提交并确认").tap()  # pressed while the photo is on its way
    held[0].continue_()

    expect(page.locator("[data-sync-status]")).to_have_text("已提交并确认。")
    assert _stored(demo_city, task)[:2] == (1, 1)
