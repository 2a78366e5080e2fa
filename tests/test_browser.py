"""report.html in a real headless Chromium (Debian's ``chromium``, driven by playwright).

Checks: no console errors or page errors, no network request, every chart has
drawn data, the teaching slider moves the teaching chart's points, the page
fits a projector (1920x1080) and a laptop (1366x768) window without
sideways scrolling; the trade-off chart's numeric axes, the map, the message
when plotly.js is missing and a self-contained page; measures (prints) the size
and load time of a 2,000-point report.  Writes ``tests/artifacts/report.png`` and
the screenshots ``report_tradeoff.png``, ``report_map.png`` and ``report_no_plotly.png``
to ``tests/artifacts/``; with ``UPDATE_SCREENSHOTS=1`` to ``docs/`` instead (a test run
must not change tracked files).

Without Chromium (or the playwright package) the tests are skipped with the
reason, unless ``REQUIRE_BROWSER=1`` (set by ``.ci/run``), which makes that a
failure.  Never downloads a browser (no ``playwright install``).  The browser
is ``chromium`` on the PATH or ``/usr/bin/chromium``; ``CHROMIUM_PATH`` overrides.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_report import (  # tests/ is on sys.path
    COSTED,
    GEO_SWEEP,
    STUDY,
    SWEEP,
    big_run,
    make_run,
    make_study,
    set_targets,
)

from sim.report import write_report

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE = os.environ.get("REQUIRE_BROWSER", "") not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    """Debian's chromium; ``CHROMIUM_PATH`` names another binary (or a missing one, to test)."""
    override = os.environ.get("CHROMIUM_PATH")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"):
        if os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    exe = chromium_path()
    if exe is None:
        _unavailable("no Chromium found (install Debian's chromium: apt-get install -y chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A swept run, the same with call records, and a Dupit-shaped study."""
    base = tmp_path_factory.mktemp("browser-runs")
    sweep = make_run(base, SWEEP, records=False, name="sweep <script>alert(1)</script>")
    study = make_study(base)
    assert "proposal4" in STUDY
    return {"sweep": write_report(sweep), "study": write_report(study)}


@pytest.fixture(scope="module")
def records_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A swept run with per-call records: every data section, the distributions too."""
    return write_report(make_run(tmp_path_factory.mktemp("browser-records"), SWEEP, records=True))


class Page:
    """A loaded report with the console and network watched."""

    def __init__(self, browser: Any, path: Path, width: int, height: int) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith("file:"):
                r.continue_()
            else:
                self.requests.append(url)
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(path.as_uri(), wait_until="load", timeout=120_000)  # a busy CI machine
        self.page.wait_for_function(
            "() => document.querySelectorAll('.chart').length > 0 && "
            "Array.from(document.querySelectorAll('.chart'))"
            ".every(el => el.classList.contains('js-plotly-plot') && el._fullLayout)",
            timeout=20_000,
        )

    def close(self) -> None:
        self.context.close()


def _charts(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
        id: el.id,
        traces: el.data.length,
        visible: el.data.filter(t => t.visible !== false).length,
        drawn: el.querySelectorAll('.scatterlayer .trace path').length,
        width: el.getBoundingClientRect().width,
    }))""")


def _check_charts(p: Page, expected: set[str]) -> None:
    charts = _charts(p.page)
    assert expected <= {c["id"] for c in charts}, charts
    for c in charts:
        assert c["traces"] > 0 and c["visible"] > 0, c
        assert c["drawn"] > 0, f"{c['id']} has no drawn svg path"
        assert c["width"] > 600, c
    assert p.errors == []
    assert p.requests == [], "the report must work offline"


BASIC = {"chart-validation", "chart-tradeoff", "chart-timeseries", "chart-teaching"}


@pytest.mark.parametrize("which", ["sweep", "study"])
def test_every_chart_draws_without_errors(browser: Any, reports: dict[str, Path], which: str) -> None:
    p = Page(browser, reports[which], 1366, 768)
    try:
        _check_charts(p, BASIC)
        # the evil scenario name shows as text, and ran nothing (no dialog)
        if which == "sweep":
            assert "<script>alert(1)</script>" in p.page.inner_text("header h1")
    finally:
        p.close()


def test_distribution_chart_draws(browser: Any, records_report: Path) -> None:
    p = Page(browser, records_report, 1366, 768)
    try:
        _check_charts(p, BASIC | {"chart-distribution"})
        # the log-scale tail panel has data: empirical and formula lines for each point
        n = p.page.evaluate(
            "() => document.getElementById('chart-distribution')._fullData"
            ".filter(t => t.xaxis === 'x2' && t._length > 0).length"
        )
        assert n >= 6
    finally:
        p.close()


def test_teaching_slider_moves_the_point(browser: Any, reports: dict[str, Path]) -> None:
    p = Page(browser, reports["sweep"], 1366, 768)
    try:
        page = p.page
        point = (
            "() => { const el = document.getElementById('chart-teaching');"
            " return [el.data[4].x[0], el.data[4].y[0], el.layout.annotations[0].text]; }"
        )
        x0, y0, note0 = page.evaluate(point)
        assert x0 == pytest.approx(0.75) and y0 == pytest.approx(3.0)
        page.locator("#chart-teaching").scroll_into_view_if_needed()
        rail = page.locator("#chart-teaching .slider-rail-touch-rect").bounding_box()
        assert rail is not None
        # click the rail near its left end: the first step, utilization 0.05
        page.mouse.click(rail["x"] + 4, rail["y"] + rail["height"] / 2)
        page.wait_for_function(
            "() => document.getElementById('chart-teaching').data[4].x[0] !== 0.75", timeout=5000
        )
        x1, y1, note1 = page.evaluate(point)
        assert x1 == pytest.approx(0.05)
        assert y1 == pytest.approx(0.05 / 0.95)  # M/M/1: rho / (1 - rho) service times
        assert note1 != note0 and "utilization 5%" in note1
        # every pooled curve's point moved to the same utilization
        xs = page.evaluate(
            "() => document.getElementById('chart-teaching').data.slice(4, 8).map(t => t.x[0])"
        )
        assert xs == pytest.approx([0.05] * 4)
        assert p.errors == []
    finally:
        p.close()


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1366, 768)])
def test_readable_in_projector_and_laptop_windows(
    browser: Any, reports: dict[str, Path], width: int, height: int
) -> None:
    p = Page(browser, reports["study"], width, height)
    try:
        page = p.page
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, "the page scrolls sideways"
        for c in _charts(page):
            assert c["width"] >= 0.8 * (width - 120), c  # charts use the window's width
        font = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 16
        if width == 1366:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            assert (ARTIFACTS / "report.png").stat().st_size > 10_000
        assert p.errors == []
    finally:
        p.close()


# ---------------------------------------------------------------------------
# The trade-off axes, the map, a missing plotly.js, one self-contained file, a big sweep

# screenshots go to docs/ only when asked: a test run must leave tracked files alone
DOCS = (
    Path(__file__).resolve().parent.parent / "docs"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(__file__).resolve().parent / "artifacts"
)


def _load(browser: Any, path: Path, width: int = 1366, height: int = 768) -> Page:
    return Page(browser, path, width, height)


@pytest.fixture(scope="module")
def targeted_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three staffing levels with a cost model and a target on the mean wait."""
    run = make_run(tmp_path_factory.mktemp("browser-targets"), COSTED, records=False)
    set_targets(
        run,
        [{"kpi": "wait_h", "class": "all", "op": "<=", "bound": 1.0}],
        {"kpi": "cost_per_day", "minimize": True},
    )
    return write_report(run)


def test_tradeoff_axes_are_numbers_with_units(browser: Any, targeted_report: Path) -> None:
    p = _load(browser, targeted_report)
    try:
        page = p.page
        info = page.evaluate("""() => { const el = document.getElementById('chart-tradeoff');
            const L = el._fullLayout;
            const pts = [];  // the design points' markers (the star rings one of them on purpose)
            Array.from(el.querySelectorAll('.scatterlayer .trace')).forEach((tr, i) => {
                if (el.data[i].marker && el.data[i].marker.symbol === 'star-open') return;
                tr.querySelectorAll('.point').forEach(n => {
                    const r = n.getBoundingClientRect();
                    pts.push([r.x + r.width / 2, r.y + r.height / 2]); });
            });
            return {xtype: L.xaxis.type, xtitle: L.xaxis.title.text, ytitle: L.yaxis.title.text,
                    ticks: Array.from(el.querySelectorAll('.xtick text')).map(t => t.textContent),
                    shapes: L.shapes.length, pts: pts,
                    star: el.data.some(t => t.marker && t.marker.symbol === 'star-open')}; }""")
        assert info["xtype"] == "linear"
        assert info["xtitle"] == "cost per day, mean" and info["ytitle"] == "mean wait (h)"
        nums = [float(t.replace(",", "").replace("\u2212", "-")) for t in info["ticks"] if t]
        assert len(nums) >= 3 and nums == sorted(nums)  # a numeric scale, not categories
        assert info["shapes"] == 1 and info["star"]  # the target line and the recommendation
        pts = info["pts"]
        assert len(pts) >= 3
        for i, a in enumerate(pts):  # no two markers on the same spot
            for b in pts[i + 1 :]:
                assert abs(a[0] - b[0]) + abs(a[1] - b[1]) > 3, (a, b)
        assert "Recommendation:" in page.inner_text("#tradeoffs")
        DOCS.mkdir(exist_ok=True)
        page.locator("#tradeoffs").screenshot(path=str(DOCS / "report_tradeoff.png"))
        assert p.errors == [] and p.requests == []
    finally:
        p.close()


@pytest.fixture(scope="module")
def map_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(make_run(tmp_path_factory.mktemp("browser-map"), GEO_SWEEP, records=False))


def test_map_shows_machines_bases_and_teams(browser: Any, map_report: Path) -> None:
    p = _load(browser, map_report)
    try:
        page = p.page
        info = page.evaluate("""() => { const el = document.getElementById('chart-map');
            const vis = el._fullData.filter(t => t.visible === true);
            const by = n => vis.filter(t => t.name.startsWith(n));
            return {machines: by('machines').reduce((s, t) => s + t._length, 0),
                    bases: by('technician base').reduce((s, t) => s + t._length, 0),
                    teams: by('team boundary').length, menu: (el.layout.updatemenus || []).length,
                    ratio: el._fullLayout.yaxis.scaleanchor,
                    drawn: el.querySelectorAll('.scatterlayer .trace .point').length}; }""")
        # the first design point: 2 territories of 15 machines, pooled into one team
        assert info["machines"] == 30 and info["bases"] == 2 and info["teams"] == 1
        assert info["drawn"] >= 32 and info["ratio"] == "x" and info["menu"] == 1
        DOCS.mkdir(exist_ok=True)
        page.locator("#map").screenshot(path=str(DOCS / "report_map.png"))
        assert p.errors == [] and p.requests == []
    finally:
        p.close()


def test_a_missing_plotly_says_what_is_wrong(browser: Any, reports: dict[str, Path], tmp_path: Path) -> None:
    lonely = tmp_path / "mailed" / "report.html"  # the page alone, without ../plotly.min.js
    lonely.parent.mkdir()
    shutil.copy(reports["sweep"], lonely)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(lonely.as_uri(), wait_until="load", timeout=120_000)
        note = page.locator("#no-plotly")
        assert note.is_visible()
        text = note.inner_text()
        assert "plotly.min.js" in text and "--self-contained" in text
        assert "chart not drawn" in page.inner_text("#chart-validation")
        assert page.locator("#summary-table").is_visible()  # the numbers are still there
        assert errors == []  # no ReferenceError: Plotly is not defined
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "report_no_plotly.png"))
    finally:
        ctx.close()


def test_a_self_contained_report_works_alone(browser: Any, tmp_path: Path) -> None:
    run = make_run(tmp_path / "runs", SWEEP, records=False)
    alone = tmp_path / "mailed" / "report.html"
    alone.parent.mkdir()
    shutil.copy(write_report(run, self_contained=True), alone)
    p = _load(browser, alone)
    try:
        _check_charts(p, BASIC)
        assert not p.page.locator("#no-plotly").is_visible()
    finally:
        p.close()


def test_a_2000_point_sweep_stays_small_and_fast(browser: Any, tmp_path: Path) -> None:
    """Measure (not assert) page size and load time of a 2,000-point report; the
    size must grow about as the points do, not faster."""
    sizes: dict[int, int] = {}
    times: dict[int, float] = {}
    for n in (500, 2000):
        run = big_run(tmp_path / f"n{n}", n)
        t0 = time.perf_counter()
        path = write_report(run)
        build_s = time.perf_counter() - t0
        sizes[n] = path.stat().st_size
        p = _load(browser, path)
        try:
            times[n] = p.page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
            charts_ms = p.page.evaluate("() => performance.now()")
            _check_charts(p, {"chart-validation", "chart-tradeoff", "chart-timeseries"})
            table_rows = p.page.evaluate("() => document.querySelectorAll('#summary-table tbody tr').length")
        finally:
            p.close()
        print(
            f"\n{n} design points: report.html {sizes[n] / 1e6:.2f} MB, written in {build_s:.1f} s, "
            f"load event {times[n]:.0f} ms, charts drawn by {charts_ms:.0f} ms, {table_rows} table rows"
        )
        assert table_rows <= 200
    assert sizes[2000] < 4 * sizes[500] * 1.1  # at most linear in the points
    assert sizes[2000] < 5_000_000
